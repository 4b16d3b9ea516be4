/// What a Fly token was found able to do.
public enum FlyTokenSetup: Sendable, Equatable {
    /// An org token: lists and creates apps in the org, and runs Machines in any of its apps.
    case organization(String)
    /// An app-scoped (deploy) token: runs Machines in this one app only.
    case app(String)
}

/// Why a Fly token cannot be used, in words an operator can act on. Never contains the token.
public struct FlyTokenProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case unauthorized, forbidden, appNotFound, missingTarget, unreachable }

    public var kind: Kind
    public var message: String
    public var description: String { message }
}

extension FlyClient {
    /// Finds which setup the token supports: with `org`, whether it is an org token there; with `app`,
    /// whether it can operate that app. 401 → the token is invalid; 403 → no permission; 404 → no app.
    public func validate(app: String?, org: String?) async -> Result<FlyTokenSetup, FlyTokenProblem> {
        if let org {
            do {
                _ = try await apps(org: org)
                return .success(.organization(org))
            } catch let error as APIError where error.statusCode == 403 && app != nil {
                // Not an org token; it may still be a deploy token for the app.
            } catch {
                return .failure(problem(error, app: app, org: org))
            }
        }
        guard let app else {
            return .failure(FlyTokenProblem(kind: .missingTarget, message: "Set a Fly app or organization to check."))
        }
        do {
            _ = try await self.app(app)
            return .success(.app(app))
        } catch {
            return .failure(problem(error, app: app, org: org))
        }
    }

    /// What `error` from a call about `app` or `org` means for the person who gave the token.
    public func problem(_ error: any Error, app: String?, org: String?) -> FlyTokenProblem {
        let target = app.map { "app \($0)" } ?? org.map { "organization \($0)" } ?? "Fly"
        switch (error as? APIError)?.statusCode {
        case 401:
            return FlyTokenProblem(
                kind: .unauthorized,
                message:
                    "Fly rejected the token: it is invalid, expired or revoked. Create a new one with `fly tokens create`."
            )
        case 403:
            return FlyTokenProblem(
                kind: .forbidden,
                message: "The token has no permission for \(target). Use an org token, or a deploy token of this app.")
        case 404:
            return FlyTokenProblem(
                kind: .appNotFound,
                message: "Fly has no \(target). Create it, or give an org token so Porter can create it.")
        default:
            let reason = (error as? APIError).map(\.description) ?? "unexpected error"
            return FlyTokenProblem(kind: .unreachable, message: "Could not check the token with Fly: \(reason)")
        }
    }
}
