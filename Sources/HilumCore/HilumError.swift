/// The one error type of Hilum: a stable dotted code, a message and an optional location
/// (`file:line`, a row number, a byte offset). Codes are part of the contract: never rename one.
public struct HilumError: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var location: String?

    public init(_ code: String, _ message: String, location: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(code): \(message)" }
        return "\(code): \(message)"
    }
}
