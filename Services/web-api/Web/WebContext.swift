import Hummingbird
import PorterKit

/// A request to the web app, with the person its session cookie names, if any.
struct WebContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var user: SignedInUser?
    /// The cookie value of the session `user` came from: sign-out and sign-in revoke it.
    var sessionID: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The signed-in user; throws `unauthorized` for a request without one.
    func requireUser() throws(WebError) -> SignedInUser {
        guard let user else { throw .unauthorized }
        return user
    }
}
