-- The gateway's transaction for a command, as pgbench runs it for benchmarks/gateway: the statement
-- of TaskIntake (its delivery gate) between BEGIN and COMMIT, with each bind parameter in the same
-- place as a pgbench variable (strings from the script's -D, numbers below) or NULL, where the
-- benchmark's command leaves the value out. TaskIntakeStatementTests keeps this text equal to what
-- the gateway sends.
\set delivery random(1, 9000000000000000000)
\set installation 48213007
\set repository 702461977
\set issue 42
\set requester 583231
\set priority 1
\set comment 2201880377
BEGIN;
WITH new_task AS (SELECT gen_random_uuid() AS id),
accepted AS (
    INSERT INTO webhook_deliveries (delivery_id, event, action, installation_id, outcome, task_id)
    SELECT :delivery::text, :event::text, :action::text, :installation::bigint, 'task_created', id FROM new_task
    ON CONFLICT (delivery_id) DO NOTHING
    RETURNING delivery_id AS key
),
preferred AS (
    SELECT CASE WHEN default_agent = ANY(ARRAY['claude', 'codex', 'opencode', 'amp', 'gemini']) THEN default_agent END AS agent,
        default_model AS model
    FROM user_settings WHERE user_id = :requester::bigint
),
chosen AS (
    SELECT new_task.id, accepted.key,
        COALESCE(:agent::text, preferred.agent, 'opencode') AS agent,
        preferred.agent AS preferred_agent, preferred.model AS preferred_model
    FROM accepted CROSS JOIN new_task LEFT JOIN preferred ON true
),
task AS (
    INSERT INTO tasks (
        id, installation_id, repository_id, repository_full_name, issue_number, is_pull_request,
        requester_id, requester_login, agent, model, priority, draft, base_branch, instructions,
        trigger_comment_id, delivery_id, kind, follow_up_of, trigger_comment_kind)
    SELECT id, :installation::bigint, :repository::bigint, :repository_name::text, :issue::integer, :is_pull_request::boolean, :requester::bigint, :login::text,
        agent, COALESCE(NULL::text, CASE WHEN agent = preferred_agent THEN preferred_model END),
        :priority::smallint, :draft::boolean, NULL::text, :instructions::text, :comment::bigint, key, :kind::text, NULL::uuid,
        :comment_kind::text
    FROM chosen
    RETURNING id
),
event AS (INSERT INTO task_events (task_id, kind, message) SELECT id, 'status', 'queued' FROM task),
job AS (
    INSERT INTO jobs (kind, task_id, priority)
    SELECT 'dispatch', id, :priority::smallint FROM task
    ON CONFLICT (task_id, kind) WHERE task_id IS NOT NULL DO NOTHING
    RETURNING id
),
wakeup AS (SELECT pg_notify('porter_jobs', 'dispatch') FROM job)
SELECT id, (SELECT count(*) FROM wakeup) AS woken FROM task;
COMMIT;
