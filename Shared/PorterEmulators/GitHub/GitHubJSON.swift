import Foundation

/// Renders emulator state in GitHub's REST and webhook JSON shapes (the same keys, in the same nesting).
struct GitHubJSON {
    /// Where the API is served, for the `*_url` fields.
    var api: String

    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }

    static func nodeID(_ kind: String, _ id: Int) -> String { Data("\(kind)\(id)".utf8).base64EncodedString() }

    func user(_ user: EmulatedUser) -> [String: Any] {
        let url = "\(api)/users/\(user.login)"
        return [
            "login": user.login, "id": user.id, "node_id": Self.nodeID("04:User", user.id),
            "avatar_url": "\(api)/avatars/u/\(user.id)?v=4", "gravatar_id": "", "url": url,
            "html_url": "\(api)/\(user.login)", "followers_url": "\(url)/followers",
            "following_url": "\(url)/following{/other_user}", "gists_url": "\(url)/gists{/gist_id}",
            "starred_url": "\(url)/starred{/owner}{/repo}", "subscriptions_url": "\(url)/subscriptions",
            "organizations_url": "\(url)/orgs", "repos_url": "\(url)/repos", "events_url": "\(url)/events{/privacy}",
            "received_events_url": "\(url)/received_events", "type": user.type, "site_admin": false,
        ]
    }

    func organization(_ user: EmulatedUser) -> [String: Any] {
        let url = "\(api)/orgs/\(user.login)"
        return [
            "login": user.login, "id": user.id, "node_id": Self.nodeID("012:Organization", user.id), "url": url,
            "repos_url": "\(url)/repos", "events_url": "\(url)/events", "hooks_url": "\(url)/hooks",
            "issues_url": "\(url)/issues", "members_url": "\(url)/members{/member}",
            "public_members_url": "\(url)/public_members{/member}", "avatar_url": "\(api)/avatars/u/\(user.id)?v=4",
            "description": "",
        ]
    }

    func reactions(_ url: String, _ list: [(id: Int, content: String, user: String)]) -> [String: Any] {
        var summary: [String: Any] = ["url": url, "total_count": list.count]
        for content in ["+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"] {
            summary[content] = list.count { $0.content == content }
        }
        return summary
    }

    func label(_ name: String, id: Int, repository: EmulatedRepository) -> [String: Any] {
        [
            "id": id, "node_id": Self.nodeID("05:Label", id),
            "url": "\(api)/repos/\(repository.fullName)/labels/\(name)", "name": name, "color": "ededed",
            "default": false, "description": NSNull(),
        ]
    }

    func installationStub(_ id: Int) -> [String: Any] {
        ["id": id, "node_id": Self.nodeID("023:IntegrationInstallation", id)]
    }
}
