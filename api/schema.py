"""The OpenAPI description of the Bearer token scheme (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation API token (Settings > API tokens), "
            "sent as `Authorization: Bearer spl_...`.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Each invalid field (body or query string) and its messages.",
                },
            },
        }
    },
}
ERROR_RESPONSES = {
    "400": "Invalid input: `fields` names each bad field.",
    "401": "No token, or a revoked or expired one.",
    "403": "The token's (or your) role does not allow this.",
    "404": "No such object in this organisation (another organisation's is the same).",
    "405": "Method not allowed.",
    "409": "The object's current state refuses the change.",
    "429": "Too many requests for this token: wait and retry.",
}


def add_error_responses(result: dict, generator: object, request: object, public: bool) -> dict:
    """Every operation documents the one error body (`api.errors`) for the errors it can give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            for code, description in ERROR_RESPONSES.items():
                if code == "409" and method == "get":
                    continue
                response = operation["responses"].setdefault(code, {"description": description})
                response["content"] = {"application/json": {"schema": reference}}
    return result
