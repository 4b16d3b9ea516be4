import Foundation
import HTTPTypes
import Hummingbird

extension GitHubEmulator {
    func addGitRoutes(to router: Router<BasicRequestContext>) {
        router.get("/:owner/:repo/info/refs") { request, context in
            let push = request.uri.queryParameters.get("service") == "git-receive-pack"
            return try await self.serveGit(request, context, action: "info/refs", push: push)
        }
        router.post("/:owner/:repo/git-upload-pack") { request, context in
            try await self.serveGit(request, context, action: "git-upload-pack", push: false)
        }
        router.post("/:owner/:repo/git-receive-pack") { request, context in
            try await self.serveGit(request, context, action: "git-receive-pack", push: true)
        }
    }

    /// Git over smart HTTP as GitHub serves it: Basic auth with an installation token as the password
    /// (`x-access-token:<token>`), then `git http-backend` run as a CGI program.
    func serveGit(
        _ request: Request, _ context: BasicRequestContext, action: String, push: Bool
    ) async throws
        -> Response
    {
        let owner = try context.parameters.require("owner")
        var name = try context.parameters.require("repo")
        if name.hasSuffix(".git") { name.removeLast(4) }
        guard let password = Self.basicPassword(request) else { return Self.gitChallenge() }
        let grant: TokenGrant
        do { grant = try self.grant(for: password).grant } catch { return Self.gitChallenge() }
        let repository: EmulatedRepository? = state.withLock { state in
            guard let repository = state.repository(owner: owner, name: name),
                let installation = state.installations[grant.installationID],
                state.installationCovers(installation, repository), grant.repositoryIDs?.contains(repository.id) ?? true
            else { return nil }
            return repository
        }
        guard let repository else { return Self.gitText(.notFound, "Repository not found.\n") }
        guard Self.allows(grant.permissions["contents"], push ? "write" : "read") else {
            return Self.gitText(.forbidden, "Permission to \(repository.fullName).git denied to \(botLogin).\n")
        }
        let body = try await request.body.collect(upTo: 512 << 20)
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_PROJECT_ROOT"] = git.root.path
        environment["GIT_HTTP_EXPORT_ALL"] = "1"
        environment["PATH_INFO"] = "/\(repository.owner.lowercased())/\(repository.name.lowercased()).git/\(action)"
        environment["REQUEST_METHOD"] = request.method.rawValue
        environment["QUERY_STRING"] = request.uri.query ?? ""
        environment["CONTENT_TYPE"] = request.headers[.contentType] ?? ""
        environment["CONTENT_LENGTH"] = String(body.readableBytes)
        environment["REMOTE_USER"] = "x-access-token"
        environment["REMOTE_ADDR"] = "127.0.0.1"
        // http-backend inflates gzip request bodies itself when told the encoding.
        environment["HTTP_CONTENT_ENCODING"] = request.headers[.contentEncoding] ?? ""
        if let version = request.headers[HTTPField.Name("Git-Protocol")!] { environment["GIT_PROTOCOL"] = version }
        let output = try await ProcessRunner.run(
            ["git", "http-backend"], environment: environment, input: Data(buffer: body))
        return Self.cgiResponse(output.stdout)
    }

    /// Splits CGI output into a status, headers and body.
    static func cgiResponse(_ output: Data) -> Response {
        let bytes = [UInt8](output)
        var split = bytes.count
        var bodyStart = bytes.count
        for index in bytes.indices {
            if bytes[index...].starts(with: [13, 10, 13, 10]) {
                (split, bodyStart) = (index, index + 4)
                break
            }
            if bytes[index...].starts(with: [10, 10]) {
                (split, bodyStart) = (index, index + 2)
                break
            }
        }
        var status = HTTPResponse.Status.ok
        var headers = HTTPFields()
        for line in String(decoding: bytes[..<split], as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "status" {
                status = .init(code: Int(value.prefix(3)) ?? 500)
            } else if let field = HTTPField.Name(name) {
                headers.append(HTTPField(name: field, value: value))
            }
        }
        let body = ByteBuffer(bytes: bytes[min(bodyStart, bytes.count)...])
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    static func basicPassword(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return String(decoded[decoded.index(after: colon)...])
    }

    static func gitChallenge() -> Response {
        var response = gitText(.unauthorized, "Invalid username or token.\n")
        response.headers[.wwwAuthenticate] = "Basic realm=\"GitHub\""
        return response
    }

    static func gitText(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
