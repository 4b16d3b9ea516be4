extension Migration {
    static let v1InitialSchema = Migration(
        version: 1, name: "initial schema",
        statements: [
            """
            CREATE TABLE installations (
                id bigint PRIMARY KEY,
                account_id bigint NOT NULL,
                account_login text NOT NULL,
                account_type text NOT NULL,
                repository_selection text NOT NULL DEFAULT 'selected',
                suspended_at timestamptz,
                deleted_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE installation_repositories (
                installation_id bigint NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
                repository_id bigint NOT NULL,
                full_name text NOT NULL,
                private boolean NOT NULL DEFAULT false,
                PRIMARY KEY (installation_id, repository_id)
            )
            """,
            """
            CREATE TABLE webhook_deliveries (
                delivery_id text PRIMARY KEY,
                event text NOT NULL,
                action text,
                installation_id bigint,
                outcome text NOT NULL,
                task_id uuid,
                received_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at)",
            """
            CREATE TABLE users (
                id bigint PRIMARY KEY,
                login text NOT NULL,
                name text,
                avatar_url text,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                last_sign_in_at timestamptz
            )
            """,
            "CREATE UNIQUE INDEX users_login ON users (lower(login))",
            """
            CREATE TABLE sessions (
                id_hash bytea PRIMARY KEY,
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                csrf_token text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL,
                revoked_at timestamptz
            )
            """,
            "CREATE INDEX sessions_user ON sessions (user_id)",
            """
            CREATE TABLE user_settings (
                user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                default_agent text,
                default_model text,
                fly_app text,
                fly_org text,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE user_secrets (
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name text NOT NULL,
                key_id text NOT NULL,
                sealed bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (user_id, name)
            )
            """,
            """
            CREATE TABLE oauth_tokens (
                user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
                key_id text NOT NULL,
                sealed_access_token bytea NOT NULL,
                sealed_refresh_token bytea,
                scopes text NOT NULL DEFAULT '',
                expires_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE task_status_transitions (
                from_status text NOT NULL,
                to_status text NOT NULL,
                PRIMARY KEY (from_status, to_status)
            )
            """,
            """
            INSERT INTO task_status_transitions (from_status, to_status) VALUES
                ('queued', 'dispatching'), ('queued', 'failed'), ('queued', 'cancelled'),
                ('dispatching', 'queued'), ('dispatching', 'running'), ('dispatching', 'failed'),
                ('dispatching', 'timed_out'), ('dispatching', 'cancelled'),
                ('running', 'succeeded'), ('running', 'failed'), ('running', 'timed_out'), ('running', 'cancelled')
            """,
            """
            CREATE TABLE tasks (
                id uuid PRIMARY KEY,
                installation_id bigint NOT NULL,
                repository_id bigint NOT NULL,
                repository_full_name text NOT NULL,
                issue_number integer NOT NULL,
                is_pull_request boolean NOT NULL DEFAULT false,
                requester_id bigint NOT NULL,
                requester_login text NOT NULL,
                agent text NOT NULL,
                model text,
                priority smallint NOT NULL DEFAULT 1,
                draft boolean NOT NULL DEFAULT true,
                base_branch text,
                instructions text NOT NULL DEFAULT '',
                status text NOT NULL DEFAULT 'queued' CHECK (status IN
                    ('queued', 'dispatching', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled')),
                status_reason text,
                trigger_comment_id bigint,
                delivery_id text UNIQUE,
                retry_of uuid REFERENCES tasks (id),
                status_comment_id bigint,
                branch text,
                head_sha text,
                pull_request_number integer,
                pull_request_url text,
                cancel_requested_at timestamptz,
                deadline_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                started_at timestamptz,
                finished_at timestamptz
            )
            """,
            // Invariant 5, held by the database: one active task per issue, whatever the replicas do.
            """
            CREATE UNIQUE INDEX tasks_one_active_per_issue ON tasks (repository_id, issue_number)
                WHERE status IN ('dispatching', 'running')
            """,
            "CREATE INDEX tasks_requester_active ON tasks (requester_id) WHERE status IN ('dispatching', 'running')",
            "CREATE INDEX tasks_issue ON tasks (repository_id, issue_number, created_at DESC)",
            "CREATE INDEX tasks_created_at ON tasks (created_at DESC)",
            // Every status change, from any code path, must follow task_status_transitions.
            """
            CREATE FUNCTION tasks_enforce_transition() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
                    SELECT 1 FROM task_status_transitions WHERE from_status = OLD.status AND to_status = NEW.status
                ) THEN
                    RAISE EXCEPTION 'task % cannot move from % to %', OLD.id, OLD.status, NEW.status
                        USING ERRCODE = 'check_violation';
                END IF;
                IF NEW.status IS DISTINCT FROM OLD.status THEN
                    NEW.updated_at := now();
                    IF NEW.status IN ('succeeded', 'failed', 'timed_out', 'cancelled') THEN
                        NEW.finished_at := coalesce(NEW.finished_at, now());
                    END IF;
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER tasks_enforce_transition BEFORE UPDATE OF status ON tasks
                FOR EACH ROW EXECUTE FUNCTION tasks_enforce_transition()
            """,
            """
            CREATE FUNCTION tasks_insert_as_queued() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.status <> 'queued' THEN
                    RAISE EXCEPTION 'a task starts queued, not %', NEW.status USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER tasks_insert_as_queued BEFORE INSERT ON tasks
                FOR EACH ROW EXECUTE FUNCTION tasks_insert_as_queued()
            """,
            """
            CREATE TABLE task_attempts (
                task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                number integer NOT NULL,
                runtime text NOT NULL,
                machine_name text NOT NULL,
                machine_id text,
                fly_app text,
                token_hash bytea,
                token_expires_at timestamptz,
                state text NOT NULL DEFAULT 'creating',
                outcome text,
                created_at timestamptz NOT NULL DEFAULT now(),
                started_at timestamptz,
                last_heartbeat_at timestamptz,
                finished_at timestamptz,
                PRIMARY KEY (task_id, number),
                UNIQUE (machine_name)
            )
            """,
            """
            CREATE TABLE jobs (
                id bigserial PRIMARY KEY,
                kind text NOT NULL,
                task_id uuid REFERENCES tasks (id) ON DELETE CASCADE,
                payload jsonb NOT NULL DEFAULT '{}',
                priority smallint NOT NULL DEFAULT 1,
                run_after timestamptz NOT NULL DEFAULT now(),
                lease_owner text,
                lease_expires_at timestamptz,
                attempts integer NOT NULL DEFAULT 0,
                last_error text,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX jobs_claimable ON jobs (kind, priority DESC, run_after, id)",
            "CREATE UNIQUE INDEX jobs_one_per_task_kind ON jobs (task_id, kind) WHERE task_id IS NOT NULL",
            """
            CREATE TABLE task_events (
                id bigserial PRIMARY KEY,
                task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                attempt integer,
                kind text NOT NULL,
                message text NOT NULL DEFAULT '',
                data jsonb NOT NULL DEFAULT '{}',
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX task_events_task ON task_events (task_id, id)",
            """
            CREATE FUNCTION task_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'task events are append-only' USING ERRCODE = 'check_violation';
            END
            $$
            """,
            """
            CREATE TRIGGER task_events_append_only BEFORE UPDATE ON task_events
                FOR EACH ROW EXECUTE FUNCTION task_events_append_only()
            """,
            """
            CREATE TABLE github_side_effects (
                id bigserial PRIMARY KEY,
                installation_id bigint NOT NULL,
                task_id uuid REFERENCES tasks (id) ON DELETE CASCADE,
                kind text NOT NULL,
                dedupe_key text NOT NULL UNIQUE,
                payload jsonb NOT NULL,
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'abandoned')),
                attempts integer NOT NULL DEFAULT 0,
                run_after timestamptz NOT NULL DEFAULT now(),
                lease_owner text,
                lease_expires_at timestamptz,
                last_error text,
                result jsonb,
                created_at timestamptz NOT NULL DEFAULT now(),
                completed_at timestamptz
            )
            """,
            "CREATE INDEX github_side_effects_pending ON github_side_effects (run_after, id) WHERE state = 'pending'",
            """
            CREATE TABLE leader_leases (
                name text PRIMARY KEY,
                holder text NOT NULL,
                expires_at timestamptz NOT NULL
            )
            """,
        ])
}
