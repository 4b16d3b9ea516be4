extension FlyClient {
    /// Creates the Machine unless one with the same name (when given) and metadata already exists,
    /// and returns whichever exists. A create that failed transiently, or whose answer was lost, may
    /// have taken effect, so it is sent again only after a lookup finds nothing; a 409 (name taken)
    /// also ends in that lookup. This is what keeps one task attempt to one Machine.
    public func createMachineIfAbsent(app: String, _ request: CreateMachineRequest) async throws -> Machine {
        if let existing = try await existingMachine(app: app, like: request) { return existing }
        var attempt = 1
        while true {
            do {
                return try await createMachine(app: app, request)
            } catch let error as APIError where error.statusCode == 409 {
                if let existing = try await existingMachine(app: app, like: request) { return existing }
                throw error
            } catch let error as APIError where error.isTransient && attempt < api.retry.maxAttempts {
                let serverAsked: Duration? =
                    if case .status(_, _, _, _, let retryAfter) = error { retryAfter } else { nil }
                logger.info(
                    "fly create_machine failed, looking up before trying again",
                    metadata: ["app": "\(app)", "attempt": "\(attempt)", "error": "\(error)"])
                try await Task.sleep(for: api.retry.delay(afterAttempt: attempt, serverAsked: serverAsked))
                if let existing = try await existingMachine(app: app, like: request) { return existing }
                attempt += 1
            }
        }
    }

    /// A Machine matching the request's metadata and, when it has one, its name. A named Machine
    /// counts even when it is already destroyed: an auto-destroying Machine that ran and exited
    /// between a lost answer and this lookup was the one, and creating again would run it twice.
    func existingMachine(app: String, like request: CreateMachineRequest) async throws -> Machine? {
        if let name = request.name {
            return try await machines(app: app, metadata: request.config.metadata ?? [:], includeDeleted: true)
                .first { $0.name == name }
        }
        return try await machines(app: app, metadata: request.config.metadata ?? [:]).first { !$0.state.isGone }
    }
}
