import ArgumentParser
import Foundation

struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Label a corpus (not yet available).")
    func run() throws { throw ExitCode(2) }
}
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate predicted labels against gold (not yet available).")
    func run() throws { throw ExitCode(2) }
}
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Corpus nutrition label (not yet available).")
    func run() throws { throw ExitCode(2) }
}
