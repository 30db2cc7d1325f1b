import Foundation
import LossKit
import ArgumentParser

/// The `losskit` command: list, describe and evaluate LossKit's losses.
public struct LossKitCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "losskit",
        abstract: "Loss functions with exact gradients: list, describe and evaluate them on .npy files.",
        subcommands: [List.self, Describe.self, Eval.self])

    public init() {}

    /// Runs the command. Every invalid call exits with status 2 and a single `error:` line on
    /// stderr (argument-parser's own usage errors included); help exits 0.
    public static func main(arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            exit(withError: nil)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)  // --help, --version
            }
            var message = (error as? LossError)?.description
                ?? (error as? UsageError)?.description
                ?? (error as? NPYError)?.description
                ?? fullMessage(for: error)
            message = message.split(separator: "\n").first.map(String.init) ?? "invalid call"
            if message.hasPrefix("Error: ") { message.removeFirst(7) }
            FileHandle.standardError.write(("error: " + message + "\n").data(using: .utf8)!)
            Foundation.exit(2)
        }
    }
}
