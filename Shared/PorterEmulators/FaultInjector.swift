import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Knobs a test (or `POST /_emulator/faults`) turns on an emulator: added latency, answers that
/// replace the real one for matching requests (5xx, 429, secondary rate limits, lost responses), and
/// real answers sent in another shape (`Reshape`, or `POST /_emulator/reshapes`).
public final class FaultInjector: Sendable {
    /// One injected answer.
    public struct Rule: Sendable, Codable, Equatable {
        /// Matches requests whose method is this (any when nil).
        public var method: String?
        /// Matches request paths starting with this (any when nil).
        public var pathPrefix: String?
        /// The status to answer with.
        public var status: Int
        public var headers: [String: String]
        public var body: String
        /// How many matching requests get this answer; nil for every one.
        public var remaining: Int?
        /// The share of matching requests that get it, from 0 to 1.
        public var probability: Double
        /// Handle the request for real, then answer with this rule instead: a response lost on the way back.
        public var afterHandling: Bool

        public init(
            method: String? = nil, pathPrefix: String? = nil, status: Int, headers: [String: String] = [:],
            body: String = #"{"message":"injected fault"}"#, remaining: Int? = nil, probability: Double = 1,
            afterHandling: Bool = false
        ) {
            self.method = method
            self.pathPrefix = pathPrefix
            self.status = status
            self.headers = headers
            self.body = body
            self.remaining = remaining
            self.probability = probability
            self.afterHandling = afterHandling
        }
    }

    struct State {
        var latency: Duration = .zero
        var rules: [Rule] = []
        var reshapes: [Reshape] = []
        var injected = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var latency: Duration {
        get { state.withLock { $0.latency } }
        set { state.withLock { $0.latency = newValue } }
    }

    public func add(_ rule: Rule) { state.withLock { $0.rules.append(rule) } }

    public func add(_ reshape: Reshape) { state.withLock { $0.reshapes.append(reshape) } }

    /// Clears latency, rules and reshapes; the count of injected answers stays.
    public func reset() {
        state.withLock {
            $0.latency = .zero
            $0.rules = []
            $0.reshapes = []
        }
    }

    /// How many answers have been replaced so far.
    public var injectedCount: Int { state.withLock { $0.injected } }

    /// The rule that applies to this request, consuming one of its uses.
    func take(method: String, path: String, afterHandling: Bool) -> Rule? {
        state.withLock { state in
            for index in state.rules.indices {
                let rule = state.rules[index]
                guard rule.afterHandling == afterHandling,
                    rule.method.map({ $0.uppercased() == method }) ?? true,
                    rule.pathPrefix.map({ path.hasPrefix($0) }) ?? true,
                    rule.remaining.map({ $0 > 0 }) ?? true,
                    Double.random(in: 0..<1) < rule.probability
                else { continue }
                if let remaining = rule.remaining { state.rules[index].remaining = remaining - 1 }
                state.injected += 1
                return rule
            }
            return nil
        }
    }

    /// The reshape that applies to this request, consuming one of its uses.
    func takeReshape(method: String, path: String) -> Reshape? {
        state.withLock { state in
            guard let index = state.reshapes.firstIndex(where: { $0.matches(method: method, path: path) }) else {
                return nil
            }
            if let remaining = state.reshapes[index].remaining { state.reshapes[index].remaining = remaining - 1 }
            state.injected += 1
            return state.reshapes[index]
        }
    }
}

/// Applies a `FaultInjector` to every request an emulator receives (except its own control routes).
public struct FaultMiddleware<Context: RequestContext>: RouterMiddleware {
    let faults: FaultInjector

    public init(_ faults: FaultInjector) { self.faults = faults }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard !path.hasPrefix("/_emulator") else { return try await next(request, context) }
        let latency = faults.latency
        if latency > .zero { try await Task.sleep(for: latency) }
        let method = request.method.rawValue
        if let rule = faults.take(method: method, path: path, afterHandling: false) { return Self.response(for: rule) }
        let response = try await next(request, context)
        if let rule = faults.take(method: method, path: path, afterHandling: true) { return Self.response(for: rule) }
        if let reshape = faults.takeReshape(method: method, path: path) { return try await reshape.apply(to: response) }
        return response
    }

    static func response(for rule: FaultInjector.Rule) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in rule.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: .init(code: rule.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: rule.body)))
    }
}

extension FaultInjector {
    /// `POST /_emulator/faults` (a `Rule` as JSON), `POST /_emulator/reshapes` (a `Reshape`) and
    /// `DELETE` on either (clearing both), for emulators run standalone.
    public func addControlRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/_emulator/faults") { request, context -> HTTPResponse.Status in
            let rule = try await request.decode(as: Rule.self, context: context)
            self.add(rule)
            return .noContent
        }
        router.post("/_emulator/reshapes") { request, context -> HTTPResponse.Status in
            let reshape = try await request.decode(as: Reshape.self, context: context)
            self.add(reshape)
            return .noContent
        }
        for path in ["/_emulator/faults", "/_emulator/reshapes"] {
            router.delete(RouterPath(path)) { _, _ -> HTTPResponse.Status in
                self.reset()
                return .noContent
            }
        }
    }
}
