/// The OpenAPI 3 document served at `/api/v1/openapi.json`. A test checks that it lists every route of the router.
enum OpenAPIDocument {
    static let json: String = OpenAPISpec.render()
}
