public import HilumCore

/// One problem found while loading or checking the ontology, printed as `file:line: message`.
public struct OntologyProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
    public init(file: String, line: Int, message: String) { self.file = file; self.line = line; self.message = message }
}

extension HilumError {
    static func ontology(_ problems: [OntologyProblem]) -> HilumError {
        let head = problems.prefix(50).map(\.description).joined(separator: "\n")
        let more = problems.count > 50 ? "\n… and \(problems.count - 50) more" : ""
        return HilumError("ontology.invalid", "\(problems.count) problem(s) in the ontology:\n" + head + more)
    }
}
