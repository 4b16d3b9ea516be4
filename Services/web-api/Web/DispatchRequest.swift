import Foundation
import PorterKit

/// A run command from the web app, checked: the repository, the issue (an existing one, or one to
/// open), and the options a comment's flags would give. A problem names the field and what it takes.
struct DispatchRequest: Sendable, Equatable {
    enum Issue: Sendable, Equatable {
        case existing(Int)
        case new(title: String, body: String?)
    }

    var repository: String
    var issue: Issue
    var options: RunOptions
    /// Sent twice, one request makes one task (and opens at most one issue).
    var requestID: UUID

    /// Longest instructions or issue body taken: what GitHub takes in a comment.
    static let maximumText = CommandParser.maximumCommentLength
    static let maximumTitle = 256

    /// What the form or the JSON carried, as text; nil for a field not sent.
    struct Fields {
        var repository: String?
        var issueNumber: Int?
        /// The issue field could not be read as a number.
        var issueNumberInvalid = false
        var newIssue = false
        var title: String?
        var body: String?
        var agent: String?
        var model: String?
        var priority: String?
        var draft: Bool?
        var baseBranch: String?
        var instructions: String?
        var requestID: String?
    }

    /// - Parameter agents: the agents the request may name (`Agent.nameable`); any other is refused.
    static func check(_ fields: Fields, agents: [Agent]) throws(WebError) -> DispatchRequest {
        var problems: [String] = []
        let repository = fields.repository?.trimmingCharacters(in: .whitespaces) ?? ""
        if repository.isEmpty {
            problems.append("Choose a repository.")
        } else if !isRepositoryName(repository) {
            problems.append("The repository is written owner/name, such as octo/demo.")
        }
        let instructions = (fields.instructions ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if instructions.count > maximumText {
            problems.append("The instructions are longer than \(maximumText) characters.")
        }
        var issue: Issue?
        if fields.issueNumberInvalid {
            problems.append("The issue number is a whole number from 1 up.")
        } else if fields.newIssue, fields.issueNumber != nil {
            problems.append("Choose an existing issue or a new one, not both.")
        } else if let number = fields.issueNumber {
            if (1...Int(Int32.max)).contains(number) {
                issue = .existing(number)
            } else {
                problems.append("The issue number is a whole number from 1 up.")
            }
        } else if fields.newIssue {
            let title = (fields.title ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let body = (fields.body ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if title.isEmpty {
                problems.append("A new issue needs a title.")
            } else if title.count > maximumTitle || title.contains(where: \.isNewline) {
                problems.append("The new issue's title is one line of at most \(maximumTitle) characters.")
            }
            if body.count > maximumText {
                problems.append("The new issue's text is longer than \(maximumText) characters.")
            }
            issue = .new(title: title, body: body.isEmpty ? nil : body)
        } else {
            problems.append("Choose an issue, or open a new one with a title.")
        }
        var options = RunOptions(instructions: instructions)
        if let name = fields.agent?.trimmingCharacters(in: .whitespaces), !name.isEmpty {
            if let agent = Agent(commandWord: name), agents.contains(agent) {
                options.agent = agent
            } else {
                problems.append(
                    "\(quoted(name)) is not an agent: choose \(agents.map(\.rawValue).joined(separator: ", ")).")
            }
        }
        if let model = fields.model?.trimmingCharacters(in: .whitespaces), !model.isEmpty {
            if RunOptions.isModelID(model) {
                options.model = model
            } else {
                problems.append("The model is one word of letters, digits and punctuation, such as opus.")
            }
        }
        if let name = fields.priority?.trimmingCharacters(in: .whitespaces).lowercased(), !name.isEmpty {
            if let priority = TaskPriority(rawValue: name) {
                options.priority = priority
            } else {
                problems.append("The priority is low, normal or high.")
            }
        }
        options.draft = fields.draft
        if let base = fields.baseBranch?.trimmingCharacters(in: .whitespaces), !base.isEmpty {
            if RunOptions.isBranchName(base) {
                options.baseBranch = base
            } else {
                problems.append("\(quoted(base)) is not a branch name.")
            }
        }
        var requestID = UUID()
        if let text = fields.requestID, !text.isEmpty {
            if let id = UUID(uuidString: text) {
                requestID = id
            } else {
                problems.append("The request id is a UUID.")
            }
        }
        guard problems.isEmpty, let issue else {
            throw .badRequest(problems.joined(separator: " "), code: "invalid_fields")
        }
        return DispatchRequest(repository: repository, issue: issue, options: options, requestID: requestID)
    }

    /// `owner/name` as GitHub spells them: letters, digits, `-` in the owner, also `.` and `_` in the name.
    static func isRepositoryName(_ text: String) -> Bool {
        guard let (owner, name) = IssueReference.ownerAndName(text), owner.count <= 39, name.count <= 100,
            name != ".", name != ".."
        else { return false }
        return owner.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
    }

    /// A value as a message quotes it: short, on one line.
    static func quoted(_ value: String) -> String {
        let line = value.replacingOccurrences(of: "\n", with: " ")
        return "“" + (line.count > 40 ? String(line.prefix(40)) + "…" : line) + "”"
    }
}
