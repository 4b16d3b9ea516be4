# The completion report's body (entrypoint.sh, report): its text comes in as --rawfile and
# --arg values, already redacted; an empty value is left out or null.
{task_id: $task_id, attempt: $attempt, status: $status,
 branch: (if $branch == "" then null else $branch end),
 head_sha: (if $head_sha == "" then null else $head_sha end),
 summary: $summary, log_tail: $log_tail,
 error: (if $error == "" then null else $error end),
 failure_kind: (if $failure_kind == "" then null else $failure_kind end)}
+ (if $rebased_onto == "" then {} else {rebased_onto: $rebased_onto} end)
+ (if $side_branch == "" then {} else {side_branch: $side_branch} end)
+ ($conflicts | rtrimstr("\n") | if . == "" then {} else {conflict_files: split("\n")} end)
