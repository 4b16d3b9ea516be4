import PostgresNIO

/// SQLSTATE codes Porter reacts to.
public enum SQLState: String, Sendable {
    case uniqueViolation = "23505"
    case checkViolation = "23514"
    case serializationFailure = "40001"
    case deadlockDetected = "40P01"
}

extension Error {
    /// The SQLSTATE of a Postgres error, looking through the transaction wrapper postgres-nio adds.
    public var sqlState: String? {
        if let transactionError = self as? PostgresTransactionError {
            return (transactionError.closureError ?? transactionError.commitError ?? transactionError.beginError)?
                .sqlState
        }
        return (self as? PSQLError)?.serverInfo?[.sqlState]
    }

    public func hasSQLState(_ state: SQLState) -> Bool { sqlState == state.rawValue }
}
