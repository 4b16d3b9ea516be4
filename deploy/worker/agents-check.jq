# The agent table's check (entrypoint.sh, at start): one line per malformed entry of agents.json,
# nothing when the table is sound.
if type != "object" then "it is not a JSON object" else
to_entries[] | .key as $k | .value |
if type != "object" then "\($k): not an object"
elif ((.command | type) != "array") or (.command | length) == 0
    or ([.command[] | type == "string"] | all | not) then "\($k): command must be a non-empty array of strings"
elif (.model_flag != null) and ((.model_flag | type) != "string") then "\($k): model_flag must be a string or null"
elif (.prompt != "stdin") and (.prompt != "file") then "\($k): prompt must be \"stdin\" or \"file\""
elif (.prompt == "file") and ([.command[] | contains("{prompt_file}")] | any | not) then "\($k): prompt \"file\" needs {prompt_file} in the command"
elif ((.keys | type) != "array") or ([.keys[] | type == "string"] | all | not) then "\($k): keys must be an array of names"
elif (.requires_env != null) and (((.requires_env | type) != "string")
    or (.requires_env | test("^[A-Za-z_][A-Za-z0-9_]*$") | not)) then "\($k): requires_env must be a variable name"
elif (.env != null) and (((.env | type) != "object") or ([.env[] | type == "string"] | all | not)) then "\($k): env must map names to strings"
else empty end end
