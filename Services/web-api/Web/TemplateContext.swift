import Foundation

/// A view model as the templates read it: each of its structs turned into a dictionary once, before
/// rendering.
///
/// The template engine finds `{{name}}` in a struct by reflecting on the whole struct, for every
/// name, and a name a row lacks is looked for again in every enclosing view: a history page of 50
/// rows spent most of its time in reflection. A dictionary answers each name by hashing. What the
/// templates see is unchanged: the same names, an optional that is nil absent (so, as before, looked
/// for further out), arrays still sections, and everything else (strings, numbers, dates, enums)
/// passed as it was.
enum TemplateContext {
    static func make(_ value: Any) -> Any {
        convert(value) ?? value
    }

    /// Values the templates print as they are, compared by type: cheaper than a cast for each value.
    private static let plain: Set<ObjectIdentifier> = [
        ObjectIdentifier(String.self), ObjectIdentifier(Int.self), ObjectIdentifier(Int64.self),
        ObjectIdentifier(Bool.self), ObjectIdentifier(Double.self), ObjectIdentifier(Date.self),
        ObjectIdentifier(URL.self), ObjectIdentifier(UUID.self),
    ]

    /// nil for an optional holding nothing. The views are plain structs (none adopts the engine's
    /// protocols), so every struct becomes a dictionary.
    private static func convert(_ value: Any) -> Any? {
        if plain.contains(ObjectIdentifier(type(of: value))) { return value }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return nil }
            return convert(wrapped)
        case .collection:
            return mirror.children.map { convert($0.value) ?? $0.value }
        case .struct, .class:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label, let field = convert(child.value) else { continue }
                fields[label] = field
            }
            return fields
        default:
            return value
        }
    }
}
