import Foundation
import PackagePlugin

/// Gives PorterKit the secret shapes of `deploy/worker/redaction-patterns.txt` at build time, so the
/// services' `Redactor` and the worker's `redact.pl` read one list.
@main
struct RedactionPatterns: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let list = context.package.directoryURL.appending(components: "deploy", "worker", "redaction-patterns.txt")
        let source = context.pluginWorkDirectoryURL.appending(component: "RedactionPatterns.swift")
        return [
            .buildCommand(
                displayName: "Reading the secret shapes of redaction-patterns.txt",
                executable: try context.tool(named: "porter-redaction-patterns").url,
                arguments: [list.path, source.path], inputFiles: [list], outputFiles: [source])
        ]
    }
}
