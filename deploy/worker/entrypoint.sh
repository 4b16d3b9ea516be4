#!/usr/bin/env bash
# The Porter worker: fetch the task spec, clone, run the coding agent as an unprivileged user,
# commit, push from a clean repository, report. README.md beside this file is the contract.
#
# Secrets (the task token, git_token, the provider keys) never appear in a command line: curl
# reads its Authorization header from a file, git gets its header through GIT_CONFIG_* variables
# of root's own processes, and the redactor reads the values from a file. Root never runs git in
# the agent's repository once the agent has had it.
#
# Beside it: redact.pl and redaction-patterns.txt (the redactor and its secret shapes, shared with
# PorterKit's Redactor), the jq programs agents-check.jq, spec-check.jq and report.jq, agents.json.

set -euo pipefail
shopt -s nullglob dotglob
umask 077
cd /

PROG=porter-worker
SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=${PATH:-$SAFE_PATH}
# The folder of this file, through any symbolic link to it: its companions sit there.
SCRIPT_DIR=$(cd "$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")" && pwd -P)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# Environment: name every problem at once, exit 2.

problems=()
for name in PORTER_TASK_ID PORTER_ATTEMPT PORTER_CALLBACK_URL PORTER_TASK_TOKEN PORTER_DEADLINE; do
    [[ -n ${!name:-} ]] || problems+=("$name is not set")
done
if [[ -n ${PORTER_TASK_ID:-} && ! $PORTER_TASK_ID =~ ^[A-Za-z0-9._-]{1,200}$ ]]; then
    problems+=("PORTER_TASK_ID must be letters, digits, '.', '_' or '-'")
fi
if [[ -n ${PORTER_ATTEMPT:-} && ! $PORTER_ATTEMPT =~ ^[1-9][0-9]{0,8}$ ]]; then
    problems+=("PORTER_ATTEMPT must be a positive integer")
fi
if [[ -n ${PORTER_CALLBACK_URL:-} && ! $PORTER_CALLBACK_URL =~ ^https?://[^[:space:]]+$ ]]; then
    problems+=("PORTER_CALLBACK_URL must be an http(s) URL")
fi
if [[ -n ${PORTER_TASK_TOKEN:-} && ! $PORTER_TASK_TOKEN =~ ^[[:graph:]]{1,4096}$ ]]; then
    problems+=("PORTER_TASK_TOKEN must be printable, without spaces")
fi
DEADLINE_EPOCH=
if [[ -n ${PORTER_DEADLINE:-} ]]; then
    if [[ $PORTER_DEADLINE =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})$ ]] &&
        DEADLINE_EPOCH=$(date -d "$PORTER_DEADLINE" +%s 2>/dev/null); then
        :
    else
        problems+=("PORTER_DEADLINE must be an ISO 8601 time such as 2026-11-28T17:00:00Z")
    fi
fi

HEARTBEAT_INTERVAL=${PORTER_HEARTBEAT_INTERVAL:-15}
PUSH_RESERVE=${PORTER_PUSH_RESERVE:-120}
REPORT_PATIENCE=${PORTER_REPORT_PATIENCE:-900}
SPEC_PATIENCE=${PORTER_SPEC_PATIENCE:-300}
[[ $HEARTBEAT_INTERVAL =~ ^[1-9][0-9]{0,5}$ ]] || problems+=("PORTER_HEARTBEAT_INTERVAL must be a positive number of seconds")
[[ $PUSH_RESERVE =~ ^[0-9]{1,6}$ ]] || problems+=("PORTER_PUSH_RESERVE must be a number of seconds")
[[ $REPORT_PATIENCE =~ ^[0-9]{1,6}$ ]] || problems+=("PORTER_REPORT_PATIENCE must be a number of seconds")
[[ $SPEC_PATIENCE =~ ^[0-9]{1,6}$ ]] || problems+=("PORTER_SPEC_PATIENCE must be a number of seconds")

# PORTER_AGENT_ISOLATION: `user` (the default, and the image's) runs the agent as PORTER_AGENT_USER,
# which needs root. `none`, for one developer's machine without root (deploy/worker/local-worker
# --unisolated), runs the agent as the worker's own user: it can then read the task's tokens and
# push by itself, so it is never for shared or production use.
ISOLATION=${PORTER_AGENT_ISOLATION:-user}
case $ISOLATION in
    user) AGENT_USER=${PORTER_AGENT_USER:-agent} ;;
    none) AGENT_USER=$(id -un) ;;
    *)
        problems+=("PORTER_AGENT_ISOLATION must be user or none")
        AGENT_USER=${PORTER_AGENT_USER:-agent}
        ;;
esac
AGENT_UID='' AGENT_GID=''
if AGENT_UID=$(id -u -- "$AGENT_USER" 2>/dev/null) && AGENT_GID=$(id -g -- "$AGENT_USER" 2>/dev/null); then
    if [[ $ISOLATION == none && $AGENT_UID == 0 ]]; then
        problems+=("PORTER_AGENT_ISOLATION=none is for a worker that is not root; as root, leave it unset")
    elif [[ $AGENT_UID == 0 || $AGENT_GID == 0 ]]; then
        problems+=("PORTER_AGENT_USER must not be root or in root's group")
    fi
else
    problems+=("PORTER_AGENT_USER: there is no user '$AGENT_USER'")
fi

# Both directories become file:// and upload-pack arguments: keep their names plain.
WORKDIR=$(realpath -m -- "${PORTER_WORKDIR:-/workspace}")
STATE=$(realpath -m -- "${PORTER_STATE_DIR:-/run/porter}")
for pair in "PORTER_WORKDIR=$WORKDIR" "PORTER_STATE_DIR=$STATE"; do
    [[ ${pair#*=} =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ ]] ||
        problems+=("${pair%%=*} must be an absolute path of letters, digits, '.', '_', '-' and '/', not /")
done
if [[ $WORKDIR == "$STATE" || $STATE == "$WORKDIR"/* || $WORKDIR == "$STATE"/* ]]; then
    problems+=("PORTER_WORKDIR and PORTER_STATE_DIR must not contain each other")
fi

AGENTS_FILE=${PORTER_AGENTS_FILE:-$SCRIPT_DIR/agents.json}
for file in redact.pl redaction-patterns.txt agents-check.jq spec-check.jq report.jq; do
    [[ -r $SCRIPT_DIR/$file ]] || problems+=("$file is missing beside the entrypoint ($SCRIPT_DIR)")
done
if [[ ! -r $AGENTS_FILE ]]; then
    problems+=("PORTER_AGENTS_FILE: cannot read $AGENTS_FILE")
elif ! agents_problems=$(jq -r -f "$SCRIPT_DIR/agents-check.jq" "$AGENTS_FILE" 2>&1); then
    problems+=("PORTER_AGENTS_FILE: $AGENTS_FILE is not valid JSON")
elif [[ -n $agents_problems ]]; then
    while IFS= read -r line; do problems+=("PORTER_AGENTS_FILE: $line"); done <<<"$agents_problems"
fi

for tool in curl jq git git-upload-pack perl setpriv timeout base64 mkfifo realpath; do
    command -v "$tool" >/dev/null 2>&1 || problems+=("the tool '$tool' is not installed")
done
# Nothing is redacted with a shape that does not compile: refuse to start instead.
if command -v perl >/dev/null 2>&1 && [[ -r $SCRIPT_DIR/redact.pl ]] &&
    ! redact_problem=$(perl "$SCRIPT_DIR/redact.pl" --check 2>&1); then
    problems+=("${redact_problem:-redact.pl does not run}")
fi
[[ $ISOLATION == none || $(id -u) == 0 ]] ||
    problems+=("the worker must run as root: it keeps the push token from the agent, which it runs as '$AGENT_USER' (PORTER_AGENT_ISOLATION=none runs the agent as this user instead, without that protection)")

if ((${#problems[@]} > 0)); then
    log "cannot start:"
    for problem in "${problems[@]}"; do printf '  - %s\n' "$problem" >&2; done
    exit 2
fi

SETPRIV=$(command -v setpriv)
TIMEOUT=$(command -v timeout)
ENV_BIN=$(command -v env)

TASK_ID=$PORTER_TASK_ID
ATTEMPT=$PORTER_ATTEMPT
BASE_URL=${PORTER_CALLBACK_URL%/}
ATTEMPT_URL="$BASE_URL/callbacks/tasks/$TASK_ID/attempts/$ATTEMPT"
AGENT_HOME=$WORKDIR/home
# Programs shipped beside this file that the agent runs (demo-agent), copied where its user can read them.
TOOLS=$WORKDIR/tools
REPO=$WORKDIR/repo
PROMPT_FILE=$WORKDIR/prompt.md
MARKER=.porter-worker.pid

# Git as root: no system or global configuration, no prompts, no hooks, only these transports.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 GIT_ALLOW_PROTOCOL=https:http:file

# ---------------------------------------------------------------------------------------------
# The state and work directories: refuse one another live worker uses, or one that is not ours.

# claim DIR: exit 2 unless DIR is new, empty, or a directory an earlier worker left.
claim() {
    local dir=$1 other entries
    [[ -e $dir ]] || return 0
    [[ -d $dir && ! -L $dir ]] || { log "cannot start: $dir is not a directory"; exit 2; }
    if [[ -f $dir/$MARKER ]]; then
        other=$(<"$dir/$MARKER")
        if [[ $other =~ ^[0-9]+$ && $other != "$$" ]] && kill -0 "$other" 2>/dev/null &&
            [[ $(tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null) == *entrypoint* ]]; then
            log "cannot start: worker $other is using $dir (give each worker its own PORTER_WORKDIR and PORTER_STATE_DIR)"
            exit 2
        fi
        return 0
    fi
    entries=("$dir"/*)
    if ((${#entries[@]} > 0)); then
        log "cannot start: $dir is not empty and is no worker's directory"
        exit 2
    fi
}
claim "$STATE"
claim "$WORKDIR"

OWN_DIRS=0
# Directories above them that do not exist yet are made searchable (the agent needs $WORKDIR).
(umask 022 && mkdir -p -- "$STATE" "$WORKDIR")
[[ $ISOLATION == none ]] || chown 0:0 -- "$STATE" "$WORKDIR"
chmod 0700 -- "$STATE"
chmod 0755 -- "$WORKDIR"
rm -rf -- "${STATE:?}"/* "$AGENT_HOME" "$REPO" "$PROMPT_FILE" "$TOOLS" "${WORKDIR:?}/$MARKER"
echo "$$" >"$STATE/$MARKER"
echo "$$" >"${WORKDIR:?}/$MARKER"
chmod 0644 -- "${WORKDIR:?}/$MARKER"
OWN_DIRS=1

AUTH_HEADER=$STATE/auth.header
SECRETS=$STATE/secrets
SPEC=$STATE/spec.json
AGENT_ENV=$STATE/agent.env
AGENT_OUT=$STATE/agent.out
AGENT_LOG=$STATE/agent.log
PUSH_REPO=$STATE/push.git
CANCELLED=$STATE/cancelled

# The token goes to a file (for curl) and the redactor's list, then leaves the environment.
printf 'Authorization: Bearer %s\n' "$PORTER_TASK_TOKEN" >"$AUTH_HEADER"
printf '%s\0' "$PORTER_TASK_TOKEN" >"$SECRETS"
export -n PORTER_TASK_TOKEN
unset PORTER_TASK_TOKEN

if [[ $ISOLATION == none ]]; then
    # The same user: only a clean environment and no new privileges.
    PRIV=(--no-new-privs)
    log "PORTER_AGENT_ISOLATION=none: the agent runs as $AGENT_USER, this worker's own user, and can read the task's tokens"
else
    PRIV=(--reuid="$AGENT_UID" --regid="$AGENT_GID" --clear-groups --no-new-privs)
    if "$SETPRIV" "${PRIV[@]}" --inh-caps=-all -- "$ENV_BIN" -i true 2>/dev/null; then PRIV+=(--inh-caps=-all); fi
fi

# ---------------------------------------------------------------------------------------------
# Redaction: redact.pl beside this file, with the shapes of redaction-patterns.txt (one list,
# which PorterKit's Redactor shares). It reads the secret values from $SECRETS.
# redact: stdin to stdout.
redact() { perl "$SCRIPT_DIR/redact.pl" "$SECRETS" - 0 all 0 0; }
# tail_chars FILE N / tail_lines FILE N CAP: the redacted end of a file.
tail_chars() { perl "$SCRIPT_DIR/redact.pl" "$SECRETS" "$1" 65536 chars "$2" 0; }
tail_lines() { perl "$SCRIPT_DIR/redact.pl" "$SECRETS" "$1" 65536 lines "$2" "$3"; }
# say TEXT...: a log line with the text redacted (for anything that came from git or the agent).
say() { printf '%s\n' "$*" | redact | while IFS= read -r line; do log "$line"; done; }
# last_lines FILE: the redacted last non-empty lines of an error output, on one line.
last_lines() {
    local line kept=()
    while IFS= read -r line; do
        [[ -z ${line// /} ]] || kept+=("$line")
    done < <(tail_lines "$1" 20 300)
    local from=$((${#kept[@]} > 4 ? ${#kept[@]} - 4 : 0))
    printf '%s' "${kept[*]:from}"
}

# ---------------------------------------------------------------------------------------------
# HTTP to callback-receiver. http METHOD URL BODY OUT MAXTIME prints the status ("000": no answer).

http() {
    local method=$1 url=$2 body=$3 out=$4 max=$5 args=()
    [[ -z $body ]] || args+=(-H 'Content-Type: application/json' --data-binary "@$body")
    curl -sS --proto '=http,https' -X "$method" -o "$out" -w '%{http_code}' \
        --connect-timeout 10 --max-time "$max" -H "@$AUTH_HEADER" "${args[@]}" "$url" 2>"$out.err" || true
}

# event PHASE MESSAGE [LINES_FILE]: a progress event; failures are ignored.
event() {
    local body=$STATE/event.$BASHPID.json
    if jq -n --arg phase "$1" --rawfile message <(printf '%s' "$2" | redact) --rawfile lines "${3:-/dev/null}" \
        '{phase: $phase, message: $message,
          lines: ($lines | rtrimstr("\n") | if . == "" then [] else split("\n") end)}' >"$body" 2>/dev/null; then
        http POST "$ATTEMPT_URL/events" "$body" "$body.out" 5 >/dev/null
    fi
}

# ---------------------------------------------------------------------------------------------
# Processes: the agent, the tee that splits its output, the heartbeat/progress monitor.

AGENT_PID='' TEE_PID='' MONITOR_PID='' PHASE=starting

# sweep_agent: SIGKILL every process of the agent user, so nothing the agent started (in the
# background, or detached with setsid) outlives its run. Skipped when the user is shared by other
# workers on this machine (PORTER_AGENT_SHARED=1, local mode), where it would kill their agents too.
sweep_agent() {
    # Never without isolation: the agent's user is then the one running everything else too.
    [[ $ISOLATION == user && ${PORTER_AGENT_SHARED:-} != 1 && -n ${PRIV[*]:-} ]] || return 0
    local i
    for ((i = 0; i < 3; i++)); do
        "$SETPRIV" "${PRIV[@]}" -- /bin/bash -c 'kill -KILL -1' 2>/dev/null || true
        sleep 0.1
    done
}

stop_agent() {
    [[ -n $AGENT_PID ]] || return 0
    local pid=$AGENT_PID i
    kill -TERM -- "-$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    AGENT_PID=
}

stop_monitor() {
    [[ -n $MONITOR_PID ]] || return 0
    local i
    kill "$MONITOR_PID" 2>/dev/null || true
    for ((i = 0; i < 10; i++)); do
        kill -0 "$MONITOR_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$MONITOR_PID" 2>/dev/null || true
    wait "$MONITOR_PID" 2>/dev/null || true
    MONITOR_PID=
}

cleanup() {
    local rc=$?
    trap - EXIT TERM INT
    stop_monitor
    stop_agent
    sweep_agent
    if [[ -n $TEE_PID ]]; then kill "$TEE_PID" 2>/dev/null || true; fi
    if ((OWN_DIRS)); then
        rm -rf -- "${STATE:?}"/* "$AGENT_HOME" "$REPO" "$PROMPT_FILE" "$TOOLS" "${WORKDIR:?}/$MARKER" 2>/dev/null || true
    fi
    exit "$rc"
}

on_signal() {
    log "stopped by a signal; stopping the agent without pushing"
    stop_agent
    exit 5
}

on_cancel() {
    [[ $PHASE != reporting ]] || return 0
    log "callback-receiver says the task is over (stopped, or its time is up); stopping without pushing"
    stop_agent
    # Reported, so that the task ends now: callback-receiver turns it into the task's real end
    # (cancelled on a stop) and leaves a task that already ended as it is.
    STATUS=failed ERROR="the worker was told to stop" HEAD_SHA='' REPORT_BRANCH=''
    report
}

trap cleanup EXIT
trap on_signal TERM INT

# stop_agent_until MAIN: for the monitor once the task is cancelled; stops the agent, now or when it
# starts (the main process may have passed its last check), TERM first and KILL after 10 s, until the
# main process reports and ends this monitor. agent.running holds the agent's pid while it runs.
stop_agent_until() {
    local main=$1 agent since=''
    while kill -0 "$main" 2>/dev/null; do
        agent=''
        [[ ! -s $STATE/agent.running ]] || read -r agent <"$STATE/agent.running" || true
        if [[ $agent =~ ^[0-9]+$ ]] && kill -0 "$agent" 2>/dev/null; then
            since=${since:-$SECONDS}
            if ((SECONDS - since < 10)); then
                kill -TERM -- "-$agent" 2>/dev/null || kill -TERM "$agent" 2>/dev/null || true
            else
                kill -KILL -- "-$agent" 2>/dev/null || kill -KILL "$agent" 2>/dev/null || true
            fi
        fi
        sleep 1
    done
}

# The monitor: a heartbeat every HEARTBEAT_INTERVAL seconds; while the agent runs, the last lines
# of its log whenever they changed, at most every 5 seconds. {"continue": false} marks the task
# cancelled, which the main process reads between its steps, and stops the agent from here.
#
# No signal tells the main process: bash 5.2 drops a trap that fires while it expands a command
# substitution ("trap: line 2: unexpected EOF while looking for matching `)'"), and the parse error
# also abandons the command it was running; the main process then lost the stop and its spec loop.
monitor() {
    set +e
    trap 'exit 0' TERM
    trap - EXIT INT
    local main=$1 last_beat=-100000 last_event=0 last_size=-1 size code
    printf '{}' >"$STATE/heartbeat.json"
    while :; do
        if ((SECONDS - last_beat >= HEARTBEAT_INTERVAL)); then
            last_beat=$SECONDS
            code=$(http POST "$ATTEMPT_URL/heartbeat" "$STATE/heartbeat.json" "$STATE/heartbeat.out" 10)
            if [[ $code == 2?? ]] && jq -e '.continue == false' "$STATE/heartbeat.out" >/dev/null 2>&1; then
                : >"$CANCELLED"
                stop_agent_until "$main"
                exit 0
            fi
        fi
        if [[ -e $STATE/agent.running ]] && ((SECONDS - last_event >= 5)); then
            size=$(stat -c %s "$AGENT_LOG" 2>/dev/null || echo 0)
            if [[ $size != "$last_size" ]]; then
                last_size=$size
                last_event=$SECONDS
                tail_lines "$AGENT_LOG" 20 500 >"$STATE/progress.lines" 2>/dev/null || true
                event agent "the agent is working" "$STATE/progress.lines"
            fi
        fi
        sleep 1
    done
}

# ---------------------------------------------------------------------------------------------
# The report. Sets by the steps below; report() sends it and exits.

STATUS='' ERROR='' HEAD_SHA='' REPORT_BRANCH='' FAILURE_KIND=''
# A follow-up's: the commit its work was rebased onto, the side branch that took its work, and the
# files whose changes conflicted with commits pushed meanwhile.
REBASED_ONTO='' SIDE_PUSHED='' CONFLICTS=()

report() {
    PHASE=reporting
    stop_monitor
    # The clean push repository has done its work; on a full disk its space lets the report be written.
    [[ -z ${PUSH_REPO:-} ]] || rm -rf -- "$PUSH_REPO" 2>/dev/null || true
    local summary=$STATE/summary.txt logtail=$STATE/log_tail.txt errfile=$STATE/error.txt body=$STATE/report.json
    : >"$summary"
    : >"$logtail"
    [[ ! -f $AGENT_OUT ]] || tail_chars "$AGENT_OUT" 4000 >"$summary"
    [[ ! -f $AGENT_LOG ]] || tail_lines "$AGENT_LOG" 100 1000 >"$logtail"
    printf '%s' "$ERROR" | redact >"$errfile"
    # One path a line, at most 50: a name holding a line break is cut there.
    local conflicts=$STATE/conflicts.txt path
    for path in "${CONFLICTS[@]:0:50}"; do printf '%s\n' "${path//$'\n'/ }"; done | redact >"$conflicts"
    jq -n --arg task_id "$TASK_ID" --argjson attempt "$ATTEMPT" --arg status "$STATUS" \
        --arg branch "$REPORT_BRANCH" --arg head_sha "$HEAD_SHA" --arg failure_kind "$FAILURE_KIND" \
        --rawfile summary "$summary" --rawfile log_tail "$logtail" --rawfile error "$errfile" \
        --arg rebased_onto "$REBASED_ONTO" --arg side_branch "$SIDE_PUSHED" --rawfile conflicts "$conflicts" \
        -f "$SCRIPT_DIR/report.jq" >"$body"
    if [[ -n $ERROR ]]; then say "outcome: $STATUS: $ERROR"; else log "outcome: $STATUS${HEAD_SHA:+ ($HEAD_SHA on $REPORT_BRANCH)}"; fi
    event reporting "reporting the outcome: $STATUS"
    local start=$SECONDS delay=1 code
    while :; do
        code=$(http POST "$BASE_URL/callbacks/complete" "$body" "$STATE/report.out" 30)
        case $code in
            2??) log "the outcome was reported"; exit 0 ;;
            000 | 408 | 429 | 5??) ;;
            *)
                say "callback-receiver refused the report: HTTP $code: $(head -c 500 "$STATE/report.out" 2>/dev/null)"
                exit 4
                ;;
        esac
        if ((SECONDS - start + delay > REPORT_PATIENCE)); then
            log "the outcome could not be reported within ${REPORT_PATIENCE}s (last: ${code/#000/no answer})"
            exit 4
        fi
        log "the report was not taken (${code/#000/no answer}); retrying in ${delay}s"
        sleep "$delay"
        delay=$((delay * 2 > 30 ? 30 : delay * 2))
    done
}

# fail MESSAGE: report a failed task.
fail() {
    STATUS=failed
    ERROR=$1
    report
}

# fail_git MESSAGE FILE: report a failed git step; one that failed on the way (the network, the git
# host answering 5xx, a timeout) is the infrastructure's, not the agent's, and gets a new attempt.
fail_git() {
    if grep -qiE "could not resolve|connection (refused|reset|timed out)|timed out|unable to access|early eof|rpc failed|the remote end hung up|empty reply|returned error: 5[0-9][0-9]|HTTP 5[0-9][0-9]" "$2" 2>/dev/null ||
        [[ ${GIT_STATUS:-0} == 124 || ${GIT_STATUS:-0} == 137 ]]; then
        FAILURE_KIND=infrastructure
    fi
    fail "$(step_error "$1" "$2")"
}

# step_error WHAT FILE: WHAT plus the first lines of the error output in FILE.
step_error() {
    local detail
    detail=$(last_lines "$2")
    printf '%s%s' "$1" "${detail:+: $detail}"
}

# ---------------------------------------------------------------------------------------------
# The spec.

log "task $TASK_ID attempt $ATTEMPT: fetching the spec"
PHASE=spec
start=$SECONDS delay=1
while :; do
    code=$(http GET "$ATTEMPT_URL/spec" "" "$SPEC" 30)
    case $code in
        2??) break ;;
        000 | 408 | 429 | 5??) ;;
        *)
            say "callback-receiver refused the spec: HTTP $code: $(head -c 300 "$SPEC" 2>/dev/null)"
            exit 3
            ;;
    esac
    if ((SECONDS - start + delay > SPEC_PATIENCE)); then
        say "callback-receiver could not be reached for the spec (last: ${code/#000/no answer}: $(head -c 300 "$SPEC.err" 2>/dev/null))"
        # Say so once, if callback-receiver takes reports again (it may be GitHub that failed it):
        # otherwise the task would run on, with no worker, until its deadline.
        if jq -n --arg task_id "$TASK_ID" --argjson attempt "$ATTEMPT" \
            --arg error "the worker could not fetch its task spec (last answer: ${code/#000/none})" \
            '{task_id: $task_id, attempt: $attempt, status: "failed", error: $error, failure_kind: "infrastructure"}' \
            >"$STATE/report.json"; then
            http POST "$BASE_URL/callbacks/complete" "$STATE/report.json" "$STATE/report.out" 15 >/dev/null
        fi
        exit 3
    fi
    log "the spec could not be fetched (${code/#000/no answer}); retrying in ${delay}s"
    sleep "$delay"
    delay=$((delay * 2 > 10 ? 10 : delay * 2))
done
chmod 0600 -- "$SPEC"

monitor "$$" &
MONITOR_PID=$!

if ! jq -e 'type == "object"' "$SPEC" >/dev/null 2>&1 ||
    ! spec_problems=$(jq -r -f "$SCRIPT_DIR/spec-check.jq" "$SPEC" 2>/dev/null); then
    fail "the spec is not a JSON object"
fi
if [[ -n $spec_problems ]]; then
    fail "the spec is malformed: ${spec_problems//$'\n'/; }"
fi

spec() { jq -r "$1" "$SPEC"; }
AGENT=$(spec .agent)
MODEL=$(spec '.model // ""')
REPOSITORY=$(spec '.repository // .clone_url')
CLONE_URL=$(spec .clone_url)
BASE_BRANCH=$(spec .base_branch)
BRANCH=$(spec .branch)
GIT_TOKEN=$(spec .git_token)
CO_AUTHOR=$(spec '.commit.co_author // ""')
AUTHOR_NAME=$(spec .commit.author_name)
AUTHOR_EMAIL=$(spec .commit.author_email)
# A follow-up adds to a pull request's branch; its side branch takes what cannot go there.
MODE=$(spec '.mode // "issue"')
SIDE_BRANCH='' FOLLOW_HEAD=''
if [[ $MODE == follow_up ]]; then
    SIDE_BRANCH=$(spec .follow_up.side_branch)
    FOLLOW_HEAD=$(spec '.follow_up.head_sha // ""')
fi
# A UUID may come in either case.
[[ $(spec '.task_id // "" | tostring | ascii_downcase') == "${TASK_ID,,}" && $(spec '.attempt // ""') == "$ATTEMPT" ]] ||
    log "warning: the spec names another task attempt than PORTER_TASK_ID/PORTER_ATTEMPT; reporting for the latter"

# Every secret value joins the redactor's list: git_token, its Basic form, the provider keys.
GIT_AUTH="Authorization: Basic $(printf 'x-access-token:%s' "$GIT_TOKEN" | base64 -w0)"
{
    printf '%s\0' "$GIT_TOKEN"
    printf '%s\0' "${GIT_AUTH#Authorization: Basic }"
    jq -j '(.env // {}) | to_entries[] | "\(.value | tostring)\u0000"' "$SPEC"
} >>"$SECRETS"

spec_bad=()
[[ $CLONE_URL =~ ^(https?|file)://[^[:space:]]+$ ]] || spec_bad+=("clone_url must be an http(s) URL")
for ref in "$BASE_BRANCH" "$BRANCH"; do
    if [[ $ref == -* ]] || ! git check-ref-format --branch "$ref" >/dev/null 2>&1; then
        spec_bad+=("'$ref' is not a valid branch name")
    fi
done
[[ -z $MODEL || $MODEL =~ ^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$ ]] || spec_bad+=("model is not a model name")
if [[ $MODE == follow_up ]]; then
    if [[ $SIDE_BRANCH == -* ]] || ! git check-ref-format --branch "$SIDE_BRANCH" >/dev/null 2>&1; then
        spec_bad+=("follow_up.side_branch '$SIDE_BRANCH' is not a valid branch name")
    elif [[ $SIDE_BRANCH == "$BRANCH" || $SIDE_BRANCH == "$BASE_BRANCH" ]]; then
        spec_bad+=("follow_up.side_branch must differ from branch and base_branch")
    fi
    [[ $BRANCH != "$BASE_BRANCH" ]] || spec_bad+=("a follow-up's branch must differ from its base_branch")
    [[ -z $FOLLOW_HEAD || $FOLLOW_HEAD =~ ^[0-9a-f]{7,64}$ ]] || spec_bad+=("follow_up.head_sha is not a commit id")
fi
if ((${#spec_bad[@]} > 0)); then
    fail "the spec is malformed: $(IFS=';'; echo "${spec_bad[*]}")"
fi

# The agent: its table entry, whether it is enabled, its keys.
if ! jq -e --arg a "$AGENT" 'has($a)' "$AGENTS_FILE" >/dev/null; then
    fail "unknown agent '$AGENT' (known: $(jq -r 'keys | join(", ")' "$AGENTS_FILE"))"
fi
agent_field() { jq -r --arg a "$AGENT" ".[\$a].$1" "$AGENTS_FILE"; }
REQUIRES_ENV=$(agent_field 'requires_env // ""')
if [[ -n $REQUIRES_ENV && ${!REQUIRES_ENV:-} != 1 ]]; then
    fail "the $AGENT agent is disabled"
fi
PROMPT_MODE=$(agent_field prompt)
MODEL_FLAG=$(agent_field 'model_flag // ""')
missing_keys=$(jq -r --arg a "$AGENT" --slurpfile spec "$SPEC" '
    .[$a].keys as $keys | ($spec[0].env // {}) as $env
    | if ($keys | length) == 0 or any($keys[]; ($env[.] // "" | tostring) != "") then empty
      else $keys | join(" or ") end' "$AGENTS_FILE")
if [[ -n $missing_keys ]]; then
    fail "the $AGENT agent needs $missing_keys in the task's environment, and it has none"
fi

# The agent's environment, NUL-separated name/value pairs, root-only: the table's fixed settings,
# then the spec's keys.
{
    jq -j --arg a "$AGENT" '(.[$a].env // {}) | to_entries[] | "\(.key)\u0000\(.value)\u0000"' "$AGENTS_FILE"
    jq -j '(.env // {}) | to_entries[] | "\(.key)\u0000\(.value | tostring)\u0000"' "$SPEC"
} >"$AGENT_ENV"

# The command: model arguments go before a "-" or "{prompt_file}" argument, else at the end;
# "{worker_dir}" is where a program shipped with the worker (demo-agent) is run from: a copy in
# $TOOLS, root's and readable by all, since the folder of this file may be closed to the agent's user
# (a local worker run from a checkout under a private home).
mapfile -d '' -t template < <(jq -j --arg a "$AGENT" '.[$a].command[] | "\(.)\u0000"' "$AGENTS_FILE")
for arg in "${template[@]}"; do
    [[ $arg =~ \{worker_dir\}/([A-Za-z0-9._-]+) ]] || continue
    program=${BASH_REMATCH[1]}
    if ! (umask 022 && mkdir -p -- "$TOOLS" && cp -- "$SCRIPT_DIR/$program" "$TOOLS/$program" &&
        chmod 0755 -- "$TOOLS/$program") 2>"$STATE/tools.err"; then
        fail "$(step_error "the agent's program $program could not be set up" "$STATE/tools.err")"
    fi
done
model_args=()
if [[ -n $MODEL ]]; then
    if [[ -n $MODEL_FLAG ]]; then model_args=("$MODEL_FLAG" "$MODEL"); else log "the $AGENT agent takes no model; ignoring '$MODEL'"; fi
fi
COMMAND=()
placed=0
for arg in "${template[@]}"; do
    if ((!placed)) && [[ $arg == - || $arg == *"{prompt_file}"* ]]; then
        COMMAND+=("${model_args[@]}")
        placed=1
    fi
    arg=${arg//\{prompt_file\}/$PROMPT_FILE}
    COMMAND+=("${arg//\{worker_dir\}/$TOOLS}")
done
((placed)) || COMMAND+=("${model_args[@]}")

# ---------------------------------------------------------------------------------------------
# The clone: made by root with the token in its environment only, then handed to the agent.

# git_auth ARGS...: root's git with the token's header in its environment, nowhere else; a
# transfer slower than 1 KB/s for a minute is given up.
GIT_AUTH_PREFIX=()
git_auth() {
    (
        export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="$GIT_AUTH"
        exec "${GIT_AUTH_PREFIX[@]}" git -c core.hooksPath=/dev/null -c http.lowSpeedLimit=1000 \
            -c http.lowSpeedTime=60 "$@"
    )
}

# git_auth_limited ARGS...: the same, given up after STEP_LIMIT seconds.
git_auth_limited() {
    local -a GIT_AUTH_PREFIX=("$TIMEOUT" --kill-after=5 "$STEP_LIMIT")
    git_auth "$@"
}

[[ ! -e $CANCELLED ]] || on_cancel
PHASE=cloning
if ! remote_heads=$(git_auth ls-remote --heads "$CLONE_URL" "refs/heads/$BRANCH" 2>"$STATE/git.err"); then
    fail_git "the repository could not be reached" "$STATE/git.err"
fi
if [[ $MODE == follow_up ]]; then
    # ls-remote matches the end of a ref's name: only this exact branch counts.
    [[ $'\n'$remote_heads$'\n' == *$'\t'"refs/heads/$BRANCH"$'\n'* ]] ||
        fail "the pull request's branch $BRANCH no longer exists"
    say "cloning $REPOSITORY: adding to the pull request's branch $BRANCH"
    event cloning "cloning $REPOSITORY: adding to the pull request's branch $BRANCH"
    clone_branch=$BRANCH
elif [[ -n $remote_heads ]]; then
    say "cloning $REPOSITORY: continuing the existing branch $BRANCH"
    event cloning "cloning $REPOSITORY: continuing the existing branch $BRANCH"
    clone_branch=$BRANCH
else
    say "cloning $REPOSITORY at $BASE_BRANCH"
    event cloning "cloning $REPOSITORY at $BASE_BRANCH"
    clone_branch=$BASE_BRANCH
fi
if ! (umask 022 && git_auth clone -q --depth 1 --branch "$clone_branch" "$CLONE_URL" "$REPO") 2>"$STATE/git.err"; then
    fail_git "cloning $clone_branch failed" "$STATE/git.err"
fi
if [[ $clone_branch != "$BRANCH" ]] &&
    ! git -C "$REPO" -c core.hooksPath=/dev/null checkout -q -b "$BRANCH" 2>"$STATE/git.err"; then
    fail "$(step_error "creating the branch $BRANCH failed" "$STATE/git.err")"
fi
BASE_SHA=$(git -C "$REPO" rev-parse HEAD)
BASE_TREE=$(git -C "$REPO" rev-parse 'HEAD^{tree}')
if [[ -n $FOLLOW_HEAD && $BASE_SHA != "$FOLLOW_HEAD"* ]]; then
    say "$BRANCH moved since the prompt was written: it was at ${FOLLOW_HEAD:0:12}, the agent starts from ${BASE_SHA:0:12}"
fi
# From here on root runs no git inside $REPO.

mkdir -m 0700 -- "$AGENT_HOME"
git config -f "$AGENT_HOME/.gitconfig" user.name "$AUTHOR_NAME"
git config -f "$AGENT_HOME/.gitconfig" user.email "$AUTHOR_EMAIL"
jq -j .prompt "$SPEC" >"$PROMPT_FILE"
chown -R -- "$AGENT_UID:$AGENT_GID" "$AGENT_HOME" "$REPO" "$PROMPT_FILE"

# limited ARGS...: a command that may take STEP_LIMIT seconds (the agent's repository could be
# made to hang git); says so on stderr when it took longer.
STEP_LIMIT=$((PUSH_RESERVE > 60 ? PUSH_RESERVE : 60))
limited() {
    local rc=0
    "$TIMEOUT" --kill-after=5 "$STEP_LIMIT" "$@" || rc=$?
    if ((rc == 124 || rc == 137)); then echo "timed out after ${STEP_LIMIT}s" >&2; fi
    return "$rc"
}

# as_agent ARGS...: run as the agent user with a minimal, secret-free environment, limited.
as_agent() {
    limited "$SETPRIV" "${PRIV[@]}" -- "$ENV_BIN" -i HOME="$AGENT_HOME" PATH="$SAFE_PATH" LANG=C.UTF-8 \
        GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 \
        GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.fsmonitor GIT_CONFIG_VALUE_0=false "$@"
}
if ! as_agent test -w "$REPO" -a -r "$PROMPT_FILE" -a -w "$AGENT_HOME"; then
    fail "the agent user '$AGENT_USER' cannot reach $WORKDIR (every directory above it must be searchable by that user)"
fi

# ---------------------------------------------------------------------------------------------
# The agent.

[[ ! -e $CANCELLED ]] || on_cancel
PHASE=agent
now=$(date +%s)
budget=$((DEADLINE_EPOCH - now - PUSH_RESERVE))
((budget >= 1)) || budget=1
stdin_file=/dev/null
[[ $PROMPT_MODE != stdin ]] || stdin_file=$PROMPT_FILE

say "running the $AGENT agent as $AGENT_USER for at most ${budget}s"
event agent "running the $AGENT agent"
: >"$AGENT_OUT"
: >"$AGENT_LOG"
mkfifo -m 0600 -- "$STATE/agent.fifo"
# Standard output goes to agent.out and, with standard error, to agent.log.
tee -- "$AGENT_OUT" <"$STATE/agent.fifo" >>"$AGENT_LOG" 2>/dev/null &
TEE_PID=$!
agent_start=$SECONDS
(
    # Built from scratch: nothing of the worker's environment reaches the agent.
    for name in $(compgen -e); do unset "$name" 2>/dev/null || true; done
    export HOME="$AGENT_HOME" PATH="$SAFE_PATH" LANG=C.UTF-8
    while IFS= read -r -d '' name && IFS= read -r -d '' value; do
        if [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then export "$name=$value"; fi
    done <"$AGENT_ENV"
    cd "$REPO"
    # timeout puts itself and the agent in a process group of their own: this pid names it.
    exec "$TIMEOUT" --signal=TERM --kill-after=10 "$budget" \
        "$SETPRIV" "${PRIV[@]}" -- "${COMMAND[@]}" <"$stdin_file" >"$STATE/agent.fifo" 2>>"$AGENT_LOG"
) &
AGENT_PID=$!
printf '%s\n' "$AGENT_PID" >"$STATE/agent.running"
agent_rc=0
wait "$AGENT_PID" || agent_rc=$?
AGENT_PID=
sweep_agent
rm -f -- "$STATE/agent.running"
agent_seconds=$((SECONDS - agent_start))
# Let the tee drain; a process the agent left behind may hold the pipe open, so not for long.
for ((i = 0; i < 50; i++)); do
    kill -0 "$TEE_PID" 2>/dev/null || break
    sleep 0.2
done
kill "$TEE_PID" 2>/dev/null || true
wait "$TEE_PID" 2>/dev/null || true
TEE_PID=
[[ ! -e $CANCELLED ]] || on_cancel

log "the agent exited with code $agent_rc after ${agent_seconds}s; the end of its output:"
tail_lines "$AGENT_LOG" 20 300 | while IFS= read -r line; do log "| $line"; done

# Only the worker's own timeout counts: an agent exiting 124 by itself has failed.
if (((agent_rc == 124 || agent_rc == 137) && agent_seconds >= budget)); then
    STATUS=timed_out
elif ((agent_rc == 0)); then
    STATUS=succeeded
else
    STATUS=failed
    case $agent_rc in
        126) ERROR="the agent exited with code 126 (its command could not run)" ;;
        127) ERROR="the agent exited with code 127 (its command was not found)" ;;
        *) ERROR="the agent exited with code $agent_rc" ;;
    esac
    ((agent_rc <= 128 || agent_rc > 192)) || ERROR+=" (killed by signal $((agent_rc - 128)))"
    report
fi

# ---------------------------------------------------------------------------------------------
# Commit as the agent user, hooks off.

PHASE=committing
event committing "committing the agent's work"
printf '%s\n' "$(spec .commit.message)" >"$STATE/commit.msg"
[[ -z $CO_AUTHOR ]] || printf '\nCo-authored-by: %s\n' "$CO_AUTHOR" >>"$STATE/commit.msg"
# A stopped agent may have left git's lock behind.
[[ $STATUS != timed_out ]] || as_agent rm -f -- "$REPO/.git/index.lock" || true
if ! as_agent git -C "$REPO" -c core.hooksPath=/dev/null add -A 2>"$STATE/git.err"; then
    fail "$(step_error "committing the agent's work failed (git add)" "$STATE/git.err")"
fi
staged=0
as_agent git -C "$REPO" diff --cached --quiet 2>"$STATE/git.err" || staged=$?
if ((staged == 1)); then
    if ! as_agent git -C "$REPO" -c core.hooksPath=/dev/null -c commit.gpgSign=false \
        -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL" \
        commit --no-verify -q -F - <"$STATE/commit.msg" 2>"$STATE/git.err"; then
        fail "$(step_error "committing the agent's work failed" "$STATE/git.err")"
    fi
elif ((staged != 0)); then
    fail "$(step_error "committing the agent's work failed (git diff)" "$STATE/git.err")"
fi

# ---------------------------------------------------------------------------------------------
# The clean push repository: it fetches the agent's HEAD through an upload-pack run as the agent.

if ! git init -q --bare --template= "$PUSH_REPO" 2>"$STATE/git.err"; then
    fail "$(step_error "preparing the push failed" "$STATE/git.err")"
fi
printf -v upload_pack '%q ' "$SETPRIV" "${PRIV[@]}" -- "$ENV_BIN" -i HOME="$AGENT_HOME" PATH="$SAFE_PATH" \
    LANG=C.UTF-8 GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git-upload-pack
if ! limited git -C "$PUSH_REPO" -c core.hooksPath=/dev/null fetch -q --no-tags --update-shallow \
    --upload-pack="$upload_pack" "file://$REPO" "+HEAD:refs/heads/work" 2>"$STATE/git.err"; then
    fail "$(step_error "reading the agent's commits failed" "$STATE/git.err")"
fi
WORK_SHA=$(git -C "$PUSH_REPO" rev-parse --verify -q 'refs/heads/work^{commit}' || true)
WORK_TREE=$(git -C "$PUSH_REPO" rev-parse --verify -q 'refs/heads/work^{tree}' || true)
[[ -n $WORK_SHA && -n $WORK_TREE ]] || fail "the agent's repository has no commit to push"

if [[ $WORK_SHA == "$BASE_SHA" || $WORK_TREE == "$BASE_TREE" ]]; then
    log "the agent changed nothing"
    [[ $STATUS != succeeded ]] || STATUS=no_changes
    report
fi

# ---------------------------------------------------------------------------------------------
# The push: from the clean repository, never forced.

# push_ref REF BRANCH: pushes the clean repository's branch REF to BRANCH on the git host, as a
# fast-forward only: no --force, no "+" refspec. Its error output goes to git.err.
push_ref() {
    say "git push refs/heads/$1:refs/heads/$2"
    git_auth_limited -C "$PUSH_REPO" push -q --no-verify "$CLONE_URL" "refs/heads/$1:refs/heads/$2" 2>"$STATE/git.err"
}

# ---------------------------------------------------------------------------------------------
# A follow-up's push: onto the pull request's branch, on top of whatever is there. When someone
# pushed meanwhile, the agent's commits are rebased onto theirs and pushed again; when they
# conflict, when the agent ran out of time, or when it rewrote the branch's history, its work goes
# to the side branch instead and the pull request's branch stays as it is.

FOLLOW_UP_ROUNDS=3

# remote_has BRANCH: whether the git host has BRANCH; a host that cannot be asked fails the task.
remote_has() {
    local heads
    heads=$(git_auth_limited ls-remote --heads "$CLONE_URL" "refs/heads/$1" 2>"$STATE/git.err") || {
        GIT_STATUS=$?
        fail_git "the repository could not be reached" "$STATE/git.err"
    }
    [[ $'\n'$heads$'\n' == *$'\t'"refs/heads/$1"$'\n'* ]]
}

# to_side WHY: pushes the agent's unrebased work to the side branch, or to <side>-<attempt> when the
# side branch exists already (an earlier attempt's), and sets SIDE_PUSHED; WHY begins the failure
# should that push fail too.
to_side() {
    local target=$SIDE_BRANCH
    if remote_has "$SIDE_BRANCH"; then target=$SIDE_BRANCH-$ATTEMPT; fi
    event pushing "pushing ${WORK_SHA:0:12} to the side branch $target"
    push_ref work "$target" || {
        GIT_STATUS=$?
        fail_git "$1; pushing the agent's work to $target failed" "$STATE/git.err"
    }
    SIDE_PUSHED=$target
    REPORT_BRANCH=$target
    HEAD_SHA=$WORK_SHA
}

# rebase_onto COMMIT: replays the agent's commits (BASE_SHA..work) onto COMMIT as refs/heads/rebased.
# It runs as root, in a scratch worktree of the clean repository under the state directory, so
# nothing the agent configured applies and no git runs in the agent's repository; hooks and
# fsmonitor are off, and a symbolic link the agent committed is written as a plain file. The author
# is kept and the committer is the bot. Returns 1 on a conflict, with the files in CONFLICTS.
rebase_onto() {
    local scratch=$STATE/rebase tip path
    local -a plain=(git -c core.hooksPath=/dev/null -c core.symlinks=false -c core.fsmonitor=false -c gc.auto=0
        -c commit.gpgSign=false -c user.name="$AUTHOR_NAME" -c user.email="$AUTHOR_EMAIL")
    rm -rf -- "$scratch"
    "${plain[@]}" -C "$PUSH_REPO" worktree prune || true
    if ! limited "${plain[@]}" -C "$PUSH_REPO" worktree add -q --detach "$scratch" refs/heads/work \
        >"$STATE/rebase.err" 2>&1; then
        fail "$(step_error "preparing to rebase the agent's work failed" "$STATE/rebase.err")"
    fi
    if limited "${plain[@]}" -C "$scratch" rebase -q --onto "$1" "$BASE_SHA" >"$STATE/rebase.err" 2>&1; then
        if ! tip=$("${plain[@]}" -C "$scratch" rev-parse --verify -q 'HEAD^{commit}') ||
            ! "${plain[@]}" -C "$PUSH_REPO" update-ref refs/heads/rebased "$tip"; then
            fail "rebasing the agent's work onto the new commits of $BRANCH failed: no commit came of it"
        fi
        rm -rf -- "$scratch"
        "${plain[@]}" -C "$PUSH_REPO" worktree prune || true
        return 0
    fi
    CONFLICTS=()
    while IFS= read -r -d '' path; do
        CONFLICTS+=("$path")
    done < <("${plain[@]}" -C "$scratch" diff --name-only -z --diff-filter=U 2>/dev/null)
    ((${#CONFLICTS[@]} > 0)) ||
        fail "$(step_error "rebasing the agent's work onto the new commits of $BRANCH failed" "$STATE/rebase.err")"
    limited "${plain[@]}" -C "$scratch" rebase --abort >/dev/null 2>&1 || true
    rm -rf -- "$scratch"
    "${plain[@]}" -C "$PUSH_REPO" worktree prune || true
    return 1
}

# follow_up_push: pushes the agent's work to the pull request's branch, rebasing it onto commits
# pushed meanwhile (FOLLOW_UP_ROUNDS times at most), and reports.
follow_up_push() {
    local ref=work round new listed
    # The push and what leads to it run to their end: a stop now would report a pushed branch as unpushed.
    trap '' TERM
    if [[ $STATUS == timed_out ]]; then
        # Partial work is never pushed onto a pull request under review.
        say "the agent ran out of time: its partial work goes to the side branch, not to $BRANCH"
        to_side "the agent ran out of time"
        report
    fi
    if ! git -C "$PUSH_REPO" merge-base --is-ancestor "$BASE_SHA" "$WORK_SHA" 2>/dev/null; then
        to_side "the agent rewrote the branch's history"
        STATUS=failed
        ERROR="the agent rewrote the branch's history, so nothing was pushed to $BRANCH; its work is on $SIDE_PUSHED"
        report
    fi
    for ((round = 1; round <= FOLLOW_UP_ROUNDS; round++)); do
        say "pushing $(git -C "$PUSH_REPO" rev-parse --short=12 "refs/heads/$ref") to $BRANCH"
        event pushing "pushing to $BRANCH"
        GIT_STATUS=0
        push_ref "$ref" "$BRANCH" || GIT_STATUS=$?
        if ((GIT_STATUS == 0)); then
            HEAD_SHA=$(git -C "$PUSH_REPO" rev-parse "refs/heads/$ref")
            REPORT_BRANCH=$BRANCH
            report
        fi
        # Only a branch that moved is rebased onto; any other refusal (a protected branch) fails.
        grep -qE '\[rejected\].*\((fetch first|non-fast-forward)\)' "$STATE/git.err" ||
            fail_git "pushing to $BRANCH failed" "$STATE/git.err"
        ((round < FOLLOW_UP_ROUNDS)) || break
        if ! git_auth_limited -C "$PUSH_REPO" fetch -q --no-tags "$CLONE_URL" "refs/heads/$BRANCH" 2>"$STATE/git.err"; then
            GIT_STATUS=$?
            fail_git "fetching the new commits of $BRANCH failed" "$STATE/git.err"
        fi
        new=$(git -C "$PUSH_REPO" rev-parse --verify -q 'FETCH_HEAD^{commit}') ||
            fail "fetching the new commits of $BRANCH failed: the git host sent no commit"
        say "$BRANCH moved to ${new:0:12} while the agent worked; rebasing its commits onto it"
        event rebasing "$BRANCH moved to ${new:0:12}: rebasing the agent's work onto it"
        if ! rebase_onto "$new"; then
            listed=$(printf '%s, ' "${CONFLICTS[@]:0:20}")
            listed=${listed%, }
            ((${#CONFLICTS[@]} <= 20)) || listed+=" and $((${#CONFLICTS[@]} - 20)) more"
            REBASED_ONTO=''
            to_side "the branch moved while the agent worked and its changes conflict"
            STATUS=failed
            ERROR="the branch moved while the agent worked and its changes conflict in: $listed"
            report
        fi
        if [[ $(git -C "$PUSH_REPO" rev-parse refs/heads/rebased) == "$new" ]]; then
            log "the agent's changes are on $BRANCH already"
            [[ $STATUS != succeeded ]] || STATUS=no_changes
            REBASED_ONTO='' HEAD_SHA='' REPORT_BRANCH=''
            report
        fi
        REBASED_ONTO=$new
        ref=rebased
    done
    REBASED_ONTO=''
    to_side "$BRANCH kept moving"
    STATUS=failed
    ERROR="$BRANCH kept moving while Porter pushed, so nothing was pushed to it; the agent's work is on $SIDE_PUSHED"
    report
}

[[ ! -e $CANCELLED ]] || on_cancel
PHASE=pushing
[[ $MODE != follow_up ]] || follow_up_push
say "pushing ${WORK_SHA:0:12} to $BRANCH"
event pushing "pushing ${WORK_SHA:0:12} to $BRANCH"
# From here the push runs to its end: a stop or SIGTERM now would report a pushed branch as unpushed.
trap '' TERM
push_ref work "$BRANCH" || {
    GIT_STATUS=$?
    fail_git "pushing to $BRANCH failed" "$STATE/git.err"
}
HEAD_SHA=$WORK_SHA
REPORT_BRANCH=$BRANCH
report
