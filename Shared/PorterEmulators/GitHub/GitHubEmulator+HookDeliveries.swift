import Foundation
import HTTPTypes
import Hummingbird

/// The App's webhook delivery log, as GitHub serves it: `GET /app/hook/deliveries` newest first, paged
/// by an opaque cursor named in the `Link` header, and `POST /app/hook/deliveries/{id}/attempts`,
/// which sends the logged delivery again. Both need the App's JWT.
extension GitHubEmulator {
    struct DropRequest: Decodable {
        var count: Int
    }

    func addHookDeliveryRoutes(to router: Router<BasicRequestContext>) {
        router.get("/app/hook/deliveries") { request, _ in
            try self.verifyAppJWT(request)
            return try self.hookDeliveriesPage(request)
        }
        router.post("/app/hook/deliveries/:id/attempts") { request, context in
            try self.verifyAppJWT(request)
            let id = try context.parameters.require("id", as: Int.self)
            guard let delivery = self.state.withLock({ $0.deliveries.first { $0.id == id } }) else {
                throw GitHubAPIError.notFound
            }
            try await self.redeliver(delivery)
            return GitHubJSONResponse.make([String: Any](), status: .accepted)
        }
        // For an emulator run standalone: lose the next webhooks as an unreachable target would.
        router.post("/_emulator/deliveries/drop") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: DropRequest.self, context: context)
            guard body.count >= 0 else { throw HTTPError(.badRequest, message: "count must be 0 or more") }
            self.dropNextDeliveries(body.count)
            return .noContent
        }
    }

    /// One page of the log. GitHub's cursor names where a page starts (`v1_<delivery id>`); `per_page`
    /// defaults to 30 and is at most 100; `redelivery=true|false` filters.
    func hookDeliveriesPage(_ request: Request) throws(GitHubAPIError) -> Response {
        let query = request.uri.queryParameters
        let perPage = min(100, max(1, query.get("per_page").flatMap { Int($0) } ?? 30))
        var start = Int.max
        if let cursor = query.get("cursor") {
            guard cursor.hasPrefix("v1_"), let id = Int(cursor.dropFirst(3)) else {
                throw GitHubAPIError(status: .badRequest, message: "Invalid cursor")
            }
            start = id
        }
        let redelivery = query.get("redelivery").map { $0 == "true" }
        let listed = state.withLock { $0.deliveries }.sorted { $0.id > $1.id }.filter { delivery in
            delivery.id <= start && redelivery.map { delivery.redelivery == $0 } ?? true
        }
        var response = GitHubJSONResponse.make(listed.prefix(perPage).map(Self.deliveryJSON))
        if listed.count > perPage {
            var next = "\(baseURL)/app/hook/deliveries?per_page=\(perPage)&cursor=v1_\(listed[perPage].id)"
            if let redelivery { next += "&redelivery=\(redelivery)" }
            response.headers[HTTPField.Name("Link")!] = "<\(next)>; rel=\"next\""
        }
        return response
    }

    static func deliveryJSON(_ delivery: EmulatedDelivery) -> [String: Any] {
        [
            "id": delivery.id, "guid": delivery.guid, "delivered_at": GitHubJSON.timestamp(delivery.deliveredAt),
            "redelivery": delivery.redelivery, "duration": delivery.durationSeconds, "status": delivery.status,
            "status_code": delivery.statusCode, "event": delivery.event, "action": delivery.action ?? NSNull(),
            "installation_id": delivery.installationID ?? NSNull(), "repository_id": delivery.repositoryID ?? NSNull(),
            "throttled_at": NSNull(),
        ]
    }
}
