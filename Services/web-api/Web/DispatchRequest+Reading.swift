import Foundation
import Hummingbird
import PorterKit

extension DispatchRequest {
    /// The fields of `POST /dispatch`, as the form names them.
    static func fields(form: Form) -> Fields {
        var fields = Fields()
        fields.repository = form["repository"]
        switch form["issue"]?.trimmingCharacters(in: .whitespaces) ?? "" {
        case "": break
        case "new": fields.newIssue = true
        case let text:
            fields.issueNumber = Int(text.hasPrefix("#") ? String(text.dropFirst()) : text)
            fields.issueNumberInvalid = fields.issueNumber == nil
        }
        fields.title = form["title"]
        fields.body = form["body"]
        fields.agent = form["agent"]
        fields.model = form["model"]
        fields.priority = form["priority"]
        fields.draft = form["pr"].map { $0 != "ready" }
        fields.baseBranch = form["base"]
        fields.instructions = form["instructions"]
        fields.requestID = form["requestId"]
        return fields
    }

    /// The fields of `POST /api/tasks`. The original product's names are taken too: `repoOwner` and
    /// `repoName`, `prompt`; and, with neither `issueNumber` nor `newIssue`, an issue is opened from
    /// the instructions, as it did.
    static func fields(json object: [String: JSONValue]) throws(WebError) -> Fields {
        let known: Set = [
            "repository", "repoOwner", "repoName", "issueNumber", "newIssue", "agent", "model", "priority", "draft",
            "baseBranch", "instructions", "prompt", "requestId",
        ]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badRequest("\(unknown) is not a field of this request.", code: "unknown_field")
        }
        var fields = Fields()
        let owner = try string(object, "repoOwner")
        let name = try string(object, "repoName")
        fields.repository = try string(object, "repository")
        if owner != nil || name != nil {
            guard fields.repository == nil else {
                throw .badRequest("Give repository, or repoOwner and repoName, not both.", code: "invalid_fields")
            }
            fields.repository = "\(owner ?? "")/\(name ?? "")"
        }
        switch object["issueNumber"] {
        case nil, .null: break
        case .int(let number): fields.issueNumber = number
        default: throw .badRequest("issueNumber must be a whole number.", code: "invalid_fields")
        }
        switch object["newIssue"] {
        case nil, .null: break
        case .object(let issue):
            if let unknown = issue.keys.sorted().first(where: { $0 != "title" && $0 != "body" }) {
                throw .badRequest("newIssue.\(unknown) is not a field of a new issue.", code: "unknown_field")
            }
            fields.newIssue = true
            fields.title = try string(issue, "title", path: "newIssue.")
            fields.body = try string(issue, "body", path: "newIssue.")
        default: throw .badRequest("newIssue must be an object with a title and a body.", code: "invalid_fields")
        }
        let instructions = try string(object, "instructions")
        let prompt = try string(object, "prompt")
        guard instructions == nil || prompt == nil else {
            throw .badRequest("Give instructions or prompt, not both.", code: "invalid_fields")
        }
        fields.instructions = instructions ?? prompt
        if fields.issueNumber == nil, !fields.newIssue,
            let text = fields.instructions?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
        {
            fields.newIssue = true
            fields.title = Self.title(from: text)
            fields.body = text
        }
        fields.agent = try string(object, "agent")
        fields.model = try string(object, "model")
        fields.priority = try string(object, "priority")
        switch object["draft"] {
        case nil, .null: break
        case .bool(let draft): fields.draft = draft
        default: throw .badRequest("draft must be true or false.", code: "invalid_fields")
        }
        fields.baseBranch = try string(object, "baseBranch")
        fields.requestID = try string(object, "requestId")
        return fields
    }

    /// An issue title from instructions: their first line, shortened at a word to at most 80 characters.
    static func title(from text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
        guard line.count > 80 else { return line }
        let cut = line.prefix(79)
        let word = cut.lastIndex(of: " ").map { cut[..<$0] } ?? cut
        return word.trimmingCharacters(in: .whitespaces) + "…"
    }

    static func string(_ object: [String: JSONValue], _ name: String, path: String = "") throws(WebError) -> String? {
        switch object[name] {
        case nil, .null: return nil
        case .string(let text): return text
        default: throw .badRequest("\(path)\(name) must be a string.", code: "invalid_fields")
        }
    }
}
