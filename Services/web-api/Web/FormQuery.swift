import Hummingbird

extension Request {
    /// The query string decoded as a browser's GET form writes it (`+` is a space, as in a form body),
    /// so a filter typed into a page's form and one sent by a script read the same.
    var formQuery: Parameters {
        Parameters(Form(uri.query ?? "").fields.map { (Substring($0.key), Substring($0.value)) })
    }
}
