public import HilumCore
public import HilumService

/// The OpenAPI 3.1 document of `hilum serve` (`GET /openapi.json`). `routes` is the list the router
/// registers; a test checks the two agree.
public enum OpenAPI {
    /// (method, path) of every route.
    public static let routes: [(String, String)] = [
        ("get", "/healthz"), ("get", "/openapi.json"), ("get", "/v1/version"), ("post", "/v1/version"),
        ("post", "/v1/rpc"), ("post", "/v1/{op}"),
        ("get", "/"), ("get", "/index.html"), ("get", "/app.js"), ("get", "/style.css"),
    ]

    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func json(_ schema: JSONValue) -> JSONValue {
        .object([("application/json", .object([("schema", schema)]))])
    }
    static func obj(_ props: [(String, JSONValue)], required: [String] = []) -> JSONValue {
        var o: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(props))]
        if !required.isEmpty { o.append(("required", .array(required.map { .string($0) }))) }
        return .object(o)
    }
    static let str: JSONValue = .object([("type", .string("string"))])
    static let int: JSONValue = .object([("type", .string("integer"))])
    static let span: JSONValue = .object([("type", .string("array")), ("items", int), ("minItems", .number(2)), ("maxItems", .number(2)),
                                          ("description", .string("Half-open Unicode-scalar offsets [start, end) into the original text"))])

    static func responses(_ result: JSONValue) -> JSONValue {
        .object([
            ("200", .object([("description", .string("the response envelope")), ("content", json(result))])),
            ("400", .object([("description", .string("request.* errors")), ("content", json(ref("ErrorEnvelope")))])),
            ("401", .object([("description", .string("missing or wrong bearer token")), ("content", json(ref("ErrorEnvelope")))])),
            ("404", .object([("description", .string("*.not_found / unknown query terms")), ("content", json(ref("ErrorEnvelope")))])),
            ("413", .object([("description", .string("*.too_large")), ("content", json(ref("ErrorEnvelope")))])),
            ("503", .object([("description", .string("store.not_configured, service.timeout")), ("content", json(ref("ErrorEnvelope")))])),
        ])
    }

    static func page(_ summary: String, _ type: String) -> JSONValue {
        .object([("get", .object([("summary", .string(summary)), ("security", .array([])),
                                  ("responses", .object([("200", .object([("description", .string("the file")),
                                      ("content", .object([(type, .object([("schema", .object([("type", .string("string"))]))]))]))]))]))]))])
    }

    public static func document() -> JSONValue {
        let ops: JSONValue = .array(Service.ops.map { .string($0) })
        let paths: [(String, JSONValue)] = [
            ("/", page("The Workbench page (HTML): read a report as Hilum reads it", "text/html")),
            ("/index.html", page("Same as /", "text/html")),
            ("/app.js", page("The Workbench script", "text/javascript")),
            ("/style.css", page("The Workbench style sheet", "text/css")),
            ("/healthz", .object([("get", .object([("summary", .string("Liveness")), ("responses", .object([("200", .object([("description", .string("ok"))]))]))]))])),
            ("/openapi.json", .object([("get", .object([("summary", .string("This document")), ("responses", .object([("200", .object([("description", .string("OpenAPI 3.1"))]))]))]))])),
            ("/v1/version", .object([
                ("get", .object([("summary", .string("Versions of Hilum and of its ontology")), ("responses", responses(ref("OkEnvelope")))])),
                ("post", .object([("summary", .string("Same as GET")), ("responses", responses(ref("OkEnvelope")))])),
            ])),
            ("/v1/rpc", .object([("post", .object([
                ("summary", .string("One request envelope {id, op, params}; answers the response envelope")),
                ("requestBody", .object([("required", .bool(true)), ("content", json(ref("RequestEnvelope")))])),
                ("responses", responses(ref("OkEnvelope"))),
            ]))])),
            ("/v1/{op}", .object([("post", .object([
                ("summary", .string("The params of one op as the body; answers the response envelope with id null")),
                ("parameters", .array([.object([("name", .string("op")), ("in", .string("path")), ("required", .bool(true)),
                                                ("schema", .object([("type", .string("string")), ("enum", ops)]))])])),
                ("requestBody", .object([("required", .bool(true)), ("content", json(.object([("oneOf", .array([
                    ref("AnalyzeParams"), ref("AssertParams"), ref("LabelParams"), ref("IngestParams"), ref("QueryParams"), ref("LookupParams"),
                ]))])))])),
                ("responses", responses(ref("OkEnvelope"))),
            ]))])),
        ]
        let lang: JSONValue = .object([("type", .string("string")), ("enum", .array(["auto", "en", "es"].map { .string($0) }))])
        let schemas: [(String, JSONValue)] = [
            ("RequestEnvelope", obj([("id", .object([("description", .string("any JSON value, echoed"))])), ("op", .object([("type", .string("string")), ("enum", ops)])),
                                     ("params", .object([("type", .string("object"))]))], required: ["op"])),
            ("OkEnvelope", obj([("id", .object([])), ("ok", .object([("const", .bool(true))])), ("result", .object([("type", .string("object"))]))], required: ["id", "ok", "result"])),
            ("ErrorEnvelope", obj([("id", .object([])), ("ok", .object([("const", .bool(false))])),
                                   ("error", obj([("code", str), ("message", str)], required: ["code", "message"]))], required: ["id", "ok", "error"])),
            ("AnalyzeParams", obj([("text", str), ("lang", lang), ("id", str), ("uncertain_policy", .object([("enum", .array(["keep", "ones", "zeros"].map { .string($0) }))]))], required: ["text"])),
            ("AssertParams", obj([("text", str), ("targets", .object([("type", .string("array")), ("items", str)])), ("lang", lang)], required: ["text", "targets"])),
            ("LabelParams", obj([("reports", .object([("type", .string("array")), ("items", obj([("id", str), ("text", str), ("lang", lang)], required: ["text"]))])),
                                 ("schemes", .object([("type", .string("array")), ("items", str)]))], required: ["reports"])),
            ("IngestParams", obj([("reports", .object([("type", .string("array")), ("items", obj([("id", str), ("text", str), ("patient_id", str), ("study_id", str),
                                                                                               ("study_date", str), ("lang", lang)], required: ["id", "text"]))]))], required: ["reports"])),
            ("QueryParams", obj([("anatomy", str), ("finding", str), ("assertion", str), ("certainty", str), ("temporality", str), ("experiencer", str), ("change", str), ("language", str), ("patient", str),
                                 ("timeline", .object([("type", .string("boolean"))])), ("limit", int), ("offset", int)])),
            ("LookupParams", obj([("query", str)], required: ["query"])),
            ("Span", span),
        ]
        return .object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string("Hilum")), ("version", .string(Service.version)),
                              ("description", .string("Chest X-ray report text (English and Spanish) to structured findings, weak labels and anatomy queries."))])),
            ("paths", .object(paths)),
            ("components", .object([
                ("schemas", .object(schemas)),
                ("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))]))])),
            ])),
        ])
    }
}
