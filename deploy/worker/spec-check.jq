# The task spec's check (entrypoint.sh, once it is fetched): one line per problem, nothing when
# the spec is sound.
def text($path): (try getpath($path) catch null) as $v | ($v | type) == "string" and ($v | length) > 0;
(( ["agent"], ["prompt"], ["clone_url"], ["base_branch"], ["branch"], ["git_token"],
   ["commit", "message"], ["commit", "author_name"], ["commit", "author_email"] ) as $path
 | select(text($path) | not) | "\($path | join(".")) is missing"),
(select(.model != null and (.model | type) != "string") | "model must be a string or null"),
((try .commit.co_author catch null) | select(. != null and type != "string") | "commit.co_author must be a string or null"),
(select(.env != null and (.env | type) != "object") | "env must be an object"),
(select(.mode != null and .mode != "issue" and .mode != "follow_up") | "mode must be \"issue\" or \"follow_up\""),
(select(.mode == "follow_up") | select(text(["follow_up", "side_branch"]) | not) | "follow_up.side_branch is missing"),
(select(.mode == "follow_up") | (try .follow_up.head_sha catch null) | select(. != null and type != "string")
 | "follow_up.head_sha must be a string or null")
