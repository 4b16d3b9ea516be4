import Foundation
import Hummingbird

/// `GET /api/openapi.json`: the API's description, read once at startup from the resources.
struct OpenAPIController {
    let document: ByteBuffer

    init(directory: String) throws {
        let url = URL(fileURLWithPath: directory).appendingPathComponent("openapi.json")
        let data = try Data(contentsOf: url)
        // A document that does not parse is a build mistake: refuse to start rather than serve it.
        _ = try JSONSerialization.jsonObject(with: data)
        document = ByteBuffer(bytes: data)
    }

    func add(to router: Router<WebContext>) {
        router.get("/api/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: document))
        }
    }
}
