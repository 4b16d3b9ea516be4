import Foundation

/// The part of GraphQL's syntax the emulator reads: the first operation of a document, with its
/// variable definitions (their defaults), fields, aliases, arguments and selection sets. Fragments
/// and directives are refused as unsupported rather than misread.
struct GraphQLDocument {
    indirect enum Value {
        case string(String)
        case number(String)
        case bool(Bool)
        case null
        case enumValue(String)
        case variable(String)
        case list([Value])
        case object([String: Value])
    }

    struct Field {
        var alias: String?
        var name: String
        var arguments: [String: Value]
        var selections: [Field]
        var line: Int
        var column: Int

        /// The key the field's answer goes under.
        var key: String { alias ?? name }
    }

    struct SyntaxError: Error {
        var message: String
        var line: Int
        var column: Int
    }

    /// `query`, `mutation` or `subscription`.
    var operation: String
    var variableDefaults: [String: Value]
    var selections: [Field]

    static func parse(_ text: String) throws(SyntaxError) -> GraphQLDocument {
        var parser = Parser(tokens: try tokenize(text))
        return try parser.document()
    }

    struct Token {
        enum Kind {
            case punctuator, name, number, string, end
        }

        var kind: Kind
        var text: String
        var line: Int
        var column: Int
    }

    static func tokenize(_ text: String) throws(SyntaxError) -> [Token] {
        let characters = Array(text)
        var tokens: [Token] = []
        var (index, line, lineStart) = (0, 1, 0)
        func isNameStart(_ character: Character) -> Bool { character == "_" || character.isASCII && character.isLetter }
        func isNameCharacter(_ character: Character) -> Bool {
            isNameStart(character) || character.isASCII && character.isNumber
        }
        while index < characters.count {
            let character = characters[index]
            let column = index - lineStart + 1
            if character == "\n" {
                (index, line, lineStart) = (index + 1, line + 1, index + 1)
            } else if character.isWhitespace || character == "," || character == "\u{FEFF}" {
                index += 1
            } else if character == "#" {
                while index < characters.count && characters[index] != "\n" { index += 1 }
            } else if "{}()[]:$!=@|&".contains(character) {
                tokens.append(Token(kind: .punctuator, text: String(character), line: line, column: column))
                index += 1
            } else if character == "." {
                guard characters[index...].starts(with: [".", ".", "."]) else {
                    throw SyntaxError(message: "Unexpected character \".\"", line: line, column: column)
                }
                tokens.append(Token(kind: .punctuator, text: "...", line: line, column: column))
                index += 3
            } else if isNameStart(character) {
                let start = index
                while index < characters.count && isNameCharacter(characters[index]) { index += 1 }
                tokens.append(Token(kind: .name, text: String(characters[start..<index]), line: line, column: column))
            } else if character == "-" || character.isASCII && character.isNumber {
                let start = index
                index += 1
                while index < characters.count
                    && (characters[index].isASCII && characters[index].isNumber
                        || ".eE+-".contains(characters[index]))
                {
                    index += 1
                }
                tokens.append(Token(kind: .number, text: String(characters[start..<index]), line: line, column: column))
            } else if character == "\"" {
                let (value, next) = try string(characters, from: index, line: line, column: column)
                tokens.append(Token(kind: .string, text: value, line: line, column: column))
                for skipped in characters[index..<next] where skipped == "\n" { line += 1 }
                if let newline = characters[index..<next].lastIndex(of: "\n") { lineStart = newline + 1 }
                index = next
            } else {
                throw SyntaxError(message: "Unexpected character \"\(character)\"", line: line, column: column)
            }
        }
        tokens.append(Token(kind: .end, text: "", line: line, column: index - lineStart + 1))
        return tokens
    }

    /// A quoted or block string starting at `start`, and the index after it.
    static func string(
        _ characters: [Character], from start: Int, line: Int, column: Int
    ) throws(SyntaxError) -> (String, Int) {
        if characters[start...].starts(with: ["\"", "\"", "\""]) {
            var index = start + 3
            while index < characters.count {
                if characters[index...].starts(with: ["\"", "\"", "\""]) {
                    let raw = String(characters[(start + 3)..<index])
                    return (raw.trimmingCharacters(in: .whitespacesAndNewlines), index + 3)
                }
                index += 1
            }
            throw SyntaxError(message: "Unterminated string", line: line, column: column)
        }
        var value = ""
        var index = start + 1
        while index < characters.count && characters[index] != "\"" && characters[index] != "\n" {
            if characters[index] == "\\", index + 1 < characters.count {
                let escaped = characters[index + 1]
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "b": value.append("\u{8}")
                case "f": value.append("\u{C}")
                case "u":
                    let digits = String(characters[min(index + 2, characters.count)..<min(index + 6, characters.count)])
                    guard let scalar = UInt32(digits, radix: 16).flatMap(Unicode.Scalar.init) else {
                        throw SyntaxError(message: "Bad unicode escape", line: line, column: column)
                    }
                    value.unicodeScalars.append(scalar)
                    index += 4
                default: value.append(escaped)
                }
                index += 2
            } else {
                value.append(characters[index])
                index += 1
            }
        }
        guard index < characters.count, characters[index] == "\"" else {
            throw SyntaxError(message: "Unterminated string", line: line, column: column)
        }
        return (value, index + 1)
    }

    struct Parser {
        var tokens: [Token]
        var position = 0

        var current: Token { tokens[position] }

        mutating func document() throws(SyntaxError) -> GraphQLDocument {
            var operation = "query"
            var defaults: [String: Value] = [:]
            if current.kind == .name {
                guard ["query", "mutation", "subscription"].contains(current.text) else {
                    throw unsupported("\(current.text) definitions are not supported by the emulator")
                }
                operation = current.text
                position += 1
                if current.kind == .name { position += 1 }
                if accept("(") { defaults = try variableDefinitions() }
            }
            if current.text == "@" { throw unsupported("directives are not supported by the emulator") }
            let selections = try selectionSet()
            return GraphQLDocument(operation: operation, variableDefaults: defaults, selections: selections)
        }

        mutating func variableDefinitions() throws(SyntaxError) -> [String: Value] {
            var defaults: [String: Value] = [:]
            while !accept(")") {
                try expect("$")
                let name = try expectName()
                try expect(":")
                try type()
                if accept("=") { defaults[name] = try value() }
            }
            return defaults
        }

        mutating func type() throws(SyntaxError) {
            if accept("[") {
                try type()
                try expect("]")
            } else {
                _ = try expectName()
            }
            _ = accept("!")
        }

        mutating func selectionSet() throws(SyntaxError) -> [Field] {
            try expect("{")
            var fields: [Field] = []
            while !accept("}") {
                if current.text == "..." { throw unsupported("fragments are not supported by the emulator") }
                let (line, column) = (current.line, current.column)
                var name = try expectName()
                var alias: String?
                if accept(":") {
                    alias = name
                    name = try expectName()
                }
                var arguments: [String: Value] = [:]
                if accept("(") {
                    while !accept(")") {
                        let argument = try expectName()
                        try expect(":")
                        arguments[argument] = try value()
                    }
                }
                if current.text == "@" { throw unsupported("directives are not supported by the emulator") }
                let selections = current.text == "{" && current.kind == .punctuator ? try selectionSet() : []
                fields.append(
                    Field(
                        alias: alias, name: name, arguments: arguments, selections: selections, line: line,
                        column: column))
            }
            return fields
        }

        mutating func value() throws(SyntaxError) -> Value {
            let token = current
            guard token.kind != .end else { throw unexpected(token) }
            position += 1
            switch (token.kind, token.text) {
            case (.punctuator, "$"): return .variable(try expectName())
            case (.string, _): return .string(token.text)
            case (.number, _): return .number(token.text)
            case (.name, "true"): return .bool(true)
            case (.name, "false"): return .bool(false)
            case (.name, "null"): return .null
            case (.name, _): return .enumValue(token.text)
            case (.punctuator, "["):
                var items: [Value] = []
                while !accept("]") { items.append(try value()) }
                return .list(items)
            case (.punctuator, "{"):
                var fields: [String: Value] = [:]
                while !accept("}") {
                    let name = try expectName()
                    try expect(":")
                    fields[name] = try value()
                }
                return .object(fields)
            default: throw unexpected(token)
            }
        }

        mutating func accept(_ punctuator: String) -> Bool {
            guard current.kind == .punctuator, current.text == punctuator else { return false }
            position += 1
            return true
        }

        mutating func expect(_ punctuator: String) throws(SyntaxError) {
            guard accept(punctuator) else { throw unexpected(current) }
        }

        mutating func expectName() throws(SyntaxError) -> String {
            guard current.kind == .name else { throw unexpected(current) }
            position += 1
            return tokens[position - 1].text
        }

        func unexpected(_ token: Token) -> SyntaxError {
            let shown = token.kind == .end ? "end of file" : "\"\(token.text)\""
            return SyntaxError(
                message: "Parse error on \(shown) at [\(token.line), \(token.column)]", line: token.line,
                column: token.column)
        }

        func unsupported(_ message: String) -> SyntaxError {
            SyntaxError(message: message, line: current.line, column: current.column)
        }
    }
}
