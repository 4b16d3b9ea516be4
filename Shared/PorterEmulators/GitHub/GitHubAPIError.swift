import Foundation
import HTTPTypes
import Hummingbird

/// An error answer in GitHub's shape: `{"message": …, "documentation_url": …, "status": "…"}`.
struct GitHubAPIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]
    /// Where GitHub points for more; branch protection refusals point at its article.
    var documentationURL = "https://docs.github.com/rest"

    static let badCredentials = GitHubAPIError(status: .unauthorized, message: "Bad credentials")
    static let notFound = GitHubAPIError(status: .notFound, message: "Not Found")
    static let notAccessible = GitHubAPIError(status: .forbidden, message: "Resource not accessible by integration")

    static func unprocessable(_ message: String) -> GitHubAPIError {
        GitHubAPIError(status: .unprocessableContent, message: message)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = GitHubJSONResponse.make(
            [
                "message": message, "documentation_url": documentationURL,
                "status": String(status.code),
            ], status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}

enum GitHubJSONResponse {
    static func make(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// One page of a list, as GitHub pages it: `per_page` (default 30, at most 100) and `page` (from
    /// 1), with a `Link` header naming the pages around it when there are more.
    static func page(_ items: [Any], request: Request, baseURL: String) -> Response {
        let (slice, link) = pageSlice(items, request: request, baseURL: baseURL)
        var response = make(slice)
        if let link { response.headers[HTTPField.Name("Link")!] = link }
        return response
    }

    /// The page of `items` a request asks for, and the `Link` header GitHub would send with it: the
    /// previous, next, last and first pages, each keeping the request's other query parameters.
    static func pageSlice(_ items: [Any], request: Request, baseURL: String) -> (items: [Any], link: String?) {
        let query = request.uri.queryParameters
        let perPage = min(100, max(1, query.get("per_page").flatMap { Int($0) } ?? 30))
        let page = max(1, query.get("page").flatMap { Int($0) } ?? 1)
        let last = max(1, (items.count + perPage - 1) / perPage)
        let slice = Array(items.dropFirst((page - 1) * perPage).prefix(perPage))
        guard last > 1 else { return (slice, nil) }
        let kept = (request.uri.query ?? "").split(separator: "&").map(String.init).filter {
            !$0.hasPrefix("per_page=") && !$0.hasPrefix("page=")
        }
        let url = { (number: Int) in
            let query = kept + ["per_page=\(perPage)", "page=\(number)"]
            return "<\(baseURL)\(request.uri.path)?\(query.joined(separator: "&"))>"
        }
        var links: [String] = []
        if page > 1 { links.append("\(url(min(page - 1, last))); rel=\"prev\"") }
        if page < last { links += ["\(url(page + 1)); rel=\"next\"", "\(url(last)); rel=\"last\""] }
        if page > 1 { links.append("\(url(1)); rel=\"first\"") }
        return (slice, links.isEmpty ? nil : links.joined(separator: ", "))
    }
}

extension Request {
    /// The JSON object in the body, or an empty one.
    func jsonObject(context: some RequestContext) async throws -> [String: Any] {
        let buffer = try await body.collect(upTo: 10 << 20)
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw GitHubAPIError(status: .badRequest, message: "Problems parsing JSON")
        }
        return object
    }
}
