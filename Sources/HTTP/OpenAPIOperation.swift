/// The OpenAPI description of one route, declared next to the route itself (see `API/RouteCollection.swift`), so
/// the served document is generated from the routes and a route cannot exist undocumented.
///
/// Schemas are referred to by name (`"Agency"` → `#/components/schemas/Agency`); the shared component schemas
/// live in one table (`API/OpenAPISpec.swift`). Path parameters are taken from the `{name}` segments of the path
/// and need no declaration; query parameters do.
public struct OpenAPIOperation: Sendable {
    /// Unique across the document; a test checks it. Verb first, in the users' words: `createAgency`.
    public var operationID: String
    public var summary: String
    public var tag: String
    public var queryParameters: [QueryParameter]
    /// Request headers the operation reads (e.g. `Idempotency-Key`), documented `in: header`.
    public var headerParameters: [HeaderParameter] = []
    /// Name of the component schema of the JSON request body, if the route takes one.
    public var requestBody: String?
    /// Success responses; the problem responses (400…503) are added to every operation by the generator.
    public var responses: [Response]

    public struct QueryParameter: Sendable {
        public var name: String
        /// "string", "boolean", "integer"; `format` e.g. "uuid".
        public var type: String
        public var format: String?
        public var description: String
        public init(_ name: String, _ type: String, format: String? = nil, _ description: String) {
            self.name = name; self.type = type; self.format = format; self.description = description
        }
    }

    /// A string request header.
    public struct HeaderParameter: Sendable {
        public var name: String
        public var required: Bool
        public var maxLength: Int?
        public var description: String
        public init(_ name: String, required: Bool = false, maxLength: Int? = nil, _ description: String) {
            self.name = name; self.required = required; self.maxLength = maxLength; self.description = description
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var description: String
        /// Name of the component schema of the JSON body, nil for none (204) or non-JSON bodies.
        public var schema: String?
        /// The media type of a body without a component schema (HTML pages, SVG, metrics text), nil for none.
        public var contentType: String?
        /// Other media types the same response may come as (e.g. a report as `text/csv` and `image/svg+xml`).
        public var alsoAs: [String] = []
        public init(_ status: Int, _ description: String, _ schema: String? = nil) {
            self.status = status; self.description = description; self.schema = schema
        }
        /// A response whose body is not described by a schema, only by its media type (e.g. `text/html`).
        public init(_ status: Int, _ description: String, contentType: String) {
            self.status = status; self.description = description; self.contentType = contentType
        }
    }

    public init(_ operationID: String, summary: String, tag: String, query: [QueryParameter] = [], body: String? = nil,
                responses: [Response]) {
        self.operationID = operationID
        self.summary = summary
        self.tag = tag
        self.queryParameters = query
        self.requestBody = body
        self.responses = responses
    }
}
