import Foundation
import NIOHTTP1

/// The App's webhook delivery log. GitHub never redelivers a failed webhook by itself; these two calls
/// are how a missed one is found and asked for again. Both are made with the App's JWT.
extension GitHubClient {
    /// One page of the App's recent webhook deliveries, newest first. `cursor` comes from the previous
    /// page; GitHub allows at most 100 deliveries a page.
    public func listHookDeliveries(cursor: String? = nil, perPage: Int = 100) async throws -> GitHubHookDeliveryPage {
        var query = [URLQueryItem(name: "per_page", value: String(min(100, max(1, perPage))))]
        if let cursor { query.append(URLQueryItem(name: "cursor", value: cursor)) }
        var components = URLComponents()
        components.queryItems = query
        let request = APIRequest(
            .GET, "/app/hook/deliveries?" + (components.percentEncodedQuery ?? ""), operation: "list_hook_deliveries")
        let response = try await send(request, as: .app)
        return GitHubHookDeliveryPage(
            deliveries: try response.decode([GitHubHookDelivery].self, api: "github", operation: request.operation),
            nextCursor: Self.nextCursor(response.headers))
    }

    /// Asks GitHub to send a logged delivery again: same payload, same GUID. GitHub answers 202 and
    /// delivers later. Never retried blindly: each try is another delivery.
    public func redeliverHookDelivery(id: Int) async throws {
        let request = APIRequest(
            .POST, Self.path("app", "hook", "deliveries", String(id), "attempts"), operation: "redeliver_hook_delivery",
            idempotent: false)
        _ = try await send(request, as: .app)
    }

    /// The `cursor` of the `rel="next"` link, for lists GitHub pages by cursor rather than page number.
    static func nextCursor(_ headers: HTTPHeaders) -> String? {
        for header in headers[canonicalForm: "link"] {
            for link in header.split(separator: ",") where link.contains(#"rel="next""#) {
                guard let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close,
                    let components = URLComponents(string: String(link[link.index(after: open)..<close]))
                else { continue }
                return components.queryItems?.first { $0.name == "cursor" }?.value
            }
        }
        return nil
    }
}
