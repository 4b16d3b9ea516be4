import Foundation
import PostgresNIO

extension TaskIntake {
    /// What lets a task through to be stored under its key (`$1`).
    enum Gate: Sendable {
        /// The web app: the caller's transaction has found the key unused.
        case key
        /// The gateway: the delivery's row is inserted, as having created the task, and only a delivery
        /// not recorded before goes on. A concurrent copy waits on that row until this one commits.
        case delivery(IncomingDelivery)

        /// The statement this gate stands in front of, built once.
        var statement: String {
            switch self {
            case .key: TaskIntake.keyedStatement
            case .delivery: TaskIntake.deliveryStatement
            }
        }
    }

    static let keyedStatement = statement(accepting: "accepted AS (SELECT $1::text AS key)")
    static let deliveryStatement = statement(
        accepting: """
            accepted AS (
                INSERT INTO webhook_deliveries (delivery_id, event, action, installation_id, outcome, task_id)
                SELECT $1::text, $19::text, $20::text, $21::bigint, 'task_created', id FROM new_task
                ON CONFLICT (delivery_id) DO NOTHING
                RETURNING delivery_id AS key
            )
            """)

    /// One statement, one round trip: past the gate, the task (its agent and model resolved from the
    /// requester's settings as `insert` documents), its first event, its dispatch job and the
    /// dispatchers' wake-up (sent at commit). It answers the new task's id, or no row when the gate
    /// stopped it. The benchmark's ceiling runs this text (`benchmarks/gateway-command.sql`; a test
    /// keeps the two equal).
    private static func statement(accepting gate: String) -> String {
        let coding = Agent.coding.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return """
            WITH new_task AS (SELECT gen_random_uuid() AS id),
            \(gate),
            preferred AS (
                SELECT CASE WHEN default_agent = ANY(ARRAY[\(coding)]) THEN default_agent END AS agent,
                    default_model AS model
                FROM user_settings WHERE user_id = $7::bigint
            ),
            chosen AS (
                SELECT new_task.id, accepted.key,
                    COALESCE($9::text, preferred.agent, '\(Agent.fallback.rawValue)') AS agent,
                    preferred.agent AS preferred_agent, preferred.model AS preferred_model
                FROM accepted CROSS JOIN new_task LEFT JOIN preferred ON true
            ),
            task AS (
                INSERT INTO tasks (
                    id, installation_id, repository_id, repository_full_name, issue_number, is_pull_request,
                    requester_id, requester_login, agent, model, priority, draft, base_branch, instructions,
                    trigger_comment_id, delivery_id, kind, follow_up_of, trigger_comment_kind)
                SELECT id, $2::bigint, $3::bigint, $4::text, $5::integer, $6::boolean, $7::bigint, $8::text,
                    agent, COALESCE($10::text, CASE WHEN agent = preferred_agent THEN preferred_model END),
                    $11::smallint, $12::boolean, $13::text, $14::text, $15::bigint, key, $16::text, $17::uuid,
                    $18::text
                FROM chosen
                RETURNING id
            ),
            event AS (INSERT INTO task_events (task_id, kind, message) SELECT id, 'status', 'queued' FROM task),
            \(PostgresJobQueue.dispatchJobSteps(forTasksIn: "task", priority: "$11::smallint"))
            SELECT id, (SELECT count(*) FROM wakeup) AS woken FROM task
            """
    }

    /// The gate's statement with `order`'s values bound.
    static func query(_ order: TaskOrder, key: String, gate: Gate, followUpOf: UUID?) -> PostgresQuery {
        let context = order.context
        let options = order.options
        var binds = PostgresBindings(capacity: 21)
        binds.append(key)
        binds.append(context.issue.installationID)
        binds.append(context.issue.repositoryID)
        binds.append(context.issue.repositoryFullName)
        binds.append(context.issue.number)
        binds.append(context.issue.isPullRequest)
        binds.append(context.requester.id)
        binds.append(context.requester.login)
        binds.append(options.agent?.rawValue)
        binds.append(options.model)
        binds.append((options.priority ?? .normal).rank)
        binds.append(options.draft ?? true)
        binds.append(options.baseBranch)
        binds.append(PromptBuilder.storable(options.instructions))
        binds.append(context.commentID)
        binds.append((order.followUp == nil ? TaskKind.issue : .followUp).rawValue)
        binds.append(followUpOf)
        binds.append(context.commentKind?.rawValue)
        if case .delivery(let delivery) = gate {
            binds.append(delivery.event)
            binds.append(delivery.action)
            binds.append(delivery.installationID)
        }
        return PostgresQuery(unsafeSQL: gate.statement, binds: binds)
    }
}
