import Foundation

extension GitHubJSON {
    func repository(_ repo: EmulatedRepository, owner: EmulatedUser, openIssues: Int) -> [String: Any] {
        let url = "\(api)/repos/\(repo.fullName)"
        let stamp = Self.timestamp(repo.createdAt)
        var object: [String: Any] = [
            "id": repo.id, "node_id": Self.nodeID("010:Repository", repo.id), "name": repo.name,
            "full_name": repo.fullName, "private": repo.isPrivate, "owner": user(owner),
            "html_url": "\(api)/\(repo.fullName)", "description": NSNull(), "fork": repo.parentID != nil, "url": url,
            "created_at": stamp, "updated_at": stamp, "pushed_at": stamp, "git_url": "\(api)/\(repo.fullName).git",
            "ssh_url": "git@localhost:\(repo.fullName).git", "clone_url": "\(api)/\(repo.fullName).git",
            "svn_url": "\(api)/\(repo.fullName)", "homepage": NSNull(), "size": 1, "stargazers_count": 0,
            "watchers_count": 0, "language": NSNull(), "has_issues": true, "has_projects": true,
            "has_downloads": true, "has_wiki": true, "has_pages": false, "forks_count": 0, "mirror_url": NSNull(),
            "archived": false, "disabled": false, "open_issues_count": openIssues, "license": NSNull(), "forks": 0,
            "open_issues": openIssues, "watchers": 0, "default_branch": repo.defaultBranch, "is_template": false,
            "topics": [String](), "visibility": repo.isPrivate ? "private" : "public",
            "web_commit_signoff_required": false, "custom_properties": [String: Any](),
        ]
        let templated = [
            "forks": "", "keys": "{/key_id}", "collaborators": "{/collaborator}", "teams": "", "hooks": "",
            "issue_events": "{/number}", "events": "", "assignees": "{/user}", "branches": "{/branch}", "tags": "",
            "blobs": "{/sha}", "git_tags": "{/sha}", "git_refs": "{/sha}", "trees": "{/sha}", "statuses": "{sha}",
            "languages": "", "stargazers": "", "contributors": "", "subscribers": "", "subscription": "",
            "commits": "{/sha}", "git_commits": "{/sha}", "comments": "{/number}", "issue_comment": "{/number}",
            "contents": "{+path}", "compare": "{base}...{head}", "merges": "", "archive": "{archive_format}{/ref}",
            "downloads": "", "issues": "{/number}", "pulls": "{/number}", "milestones": "{/number}",
            "notifications": "{?since,all,participating}", "labels": "{/name}", "releases": "{/id}",
            "deployments": "",
        ]
        for (name, suffix) in templated {
            let segment = name.replacingOccurrences(of: "issue_events", with: "issues/events")
                .replacingOccurrences(of: "git_", with: "git/").replacingOccurrences(
                    of: "issue_comment", with: "issues/comments")
            object["\(name)_url"] = "\(url)/\(segment)\(suffix)"
        }
        return object
    }

    func issue(
        _ issue: EmulatedIssue, repository: EmulatedRepository, author: EmulatedUser, comments: Int,
        reactions list: [(id: Int, content: String, user: String)] = [], app: [String: Any]? = nil,
        labelIDs: (String) -> Int
    ) -> [String: Any] {
        let url = "\(api)/repos/\(repository.fullName)/issues/\(issue.number)"
        var object: [String: Any] = [
            "url": url, "repository_url": "\(api)/repos/\(repository.fullName)", "labels_url": "\(url)/labels{/name}",
            "comments_url": "\(url)/comments", "events_url": "\(url)/events",
            "html_url": "\(api)/\(repository.fullName)/\(issue.isPull ? "pull" : "issues")/\(issue.number)",
            "id": issue.id, "node_id": Self.nodeID("05:Issue", issue.id), "number": issue.number,
            "title": issue.title, "user": user(author),
            "labels": issue.labels.map { label($0, id: labelIDs($0), repository: repository) }, "state": issue.state,
            "locked": false, "assignee": NSNull(), "assignees": [Any](), "milestone": NSNull(), "comments": comments,
            "created_at": Self.timestamp(issue.createdAt), "updated_at": Self.timestamp(issue.updatedAt),
            "closed_at": issue.closedAt.map { Self.timestamp($0) as Any } ?? NSNull(),
            "author_association": "CONTRIBUTOR",
            "active_lock_reason": NSNull(), "body": issue.body ?? NSNull(),
            "reactions": reactions("\(url)/reactions", list), "draft": false,
            "state_reason": issue.closedAt == nil ? NSNull() as Any : "completed",
            "performed_via_github_app": issue.viaApp ? app.map { $0 as Any } ?? NSNull() : NSNull(),
        ]
        if issue.isPull {
            let pullURL = "\(api)/repos/\(repository.fullName)/pulls/\(issue.number)"
            object["pull_request"] = ["url": pullURL, "html_url": object["html_url"]!]
        }
        return object
    }

    func comment(
        _ comment: EmulatedComment, repository: EmulatedRepository, author: EmulatedUser, app: [String: Any]? = nil
    ) -> [String: Any] {
        let url = "\(api)/repos/\(repository.fullName)/issues/comments/\(comment.id)"
        return [
            "url": url,
            "html_url": "\(api)/\(repository.fullName)/issues/\(comment.issueNumber)#issuecomment-\(comment.id)",
            "issue_url": "\(api)/repos/\(repository.fullName)/issues/\(comment.issueNumber)", "id": comment.id,
            "node_id": Self.nodeID("012:IssueComment", comment.id), "user": user(author),
            "created_at": Self.timestamp(comment.createdAt), "updated_at": Self.timestamp(comment.updatedAt),
            "author_association": "CONTRIBUTOR",
            "performed_via_github_app": comment.viaApp ? app.map { $0 as Any } ?? NSNull() : NSNull(),
            "body": comment.body,
            "reactions": reactions("\(url)/reactions", comment.reactions),
        ]
    }
}
