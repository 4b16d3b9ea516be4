import Foundation
import HTTPTypes
import Hummingbird

/// `/applications/{client_id}/…`: the App, authenticated with its client id and secret, retires a
/// user's token (sign-out) or the user's whole authorization.
extension GitHubEmulator {
    func addOAuthApplicationRoutes(to router: Router<BasicRequestContext>) {
        router.delete("/applications/:client_id/token") { request, context in
            let token = try await self.applicationRequestToken(request, context)
            guard self.revokeUserToken(token) else { throw GitHubAPIError.notFound }
            return Response(status: .noContent)
        }
        router.delete("/applications/:client_id/grant") { request, context in
            let token = try await self.applicationRequestToken(request, context)
            guard self.revokeAuthorization(of: token) else { throw GitHubAPIError.notFound }
            return Response(status: .noContent)
        }
    }

    /// The `access_token` of a request made with the App's client id and secret as basic auth.
    func applicationRequestToken(_ request: Request, _ context: BasicRequestContext) async throws -> String {
        let expected = Data("\(app.clientID):\(app.clientSecret)".utf8).base64EncodedString()
        guard request.headers[.authorization] == "Basic \(expected)" else { throw GitHubAPIError.badCredentials }
        guard try context.parameters.require("client_id") == app.clientID else { throw GitHubAPIError.notFound }
        guard let token = try await request.jsonObject(context: context)["access_token"] as? String else {
            throw GitHubAPIError.unprocessable("Invalid request.\n\n\"access_token\" wasn't supplied.")
        }
        return token
    }
}
