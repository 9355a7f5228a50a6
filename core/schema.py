"""The error responses every operation can give, declared once for the whole OpenAPI schema.

drf-spectacular documents only the success response a view returns. The errors come from
one place (`core.exceptions.exception_handler`, always `{detail, code, errors?}`), so this
postprocessing hook adds them to each operation by what the operation has:

- 400 when it takes a body or query parameters (validation, a business rule said no);
- 401 when it accepts a JWT (missing, expired or revoked token) or takes credentials (`auth/`),
  403 on every API operation;
- 404 when it has path parameters (unknown or invisible object), pages (`page` past the end)
  or a `format` parameter (a format no renderer offers);
- 409 on every write (the object's state forbids it), 415 when it takes a body;
- 422 when it takes an `Idempotency-Key` (the key was used for a different request);
- 429 when its view is throttled (see `DEFAULT_THROTTLE_RATES`).

A response an operation already declares (e.g. 402 on donations) is left as it is. Times
(`format: time`) become a pattern, see TIME_PATTERN.
"""

from typing import Any

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Every error. `errors` (validation only) maps a field name to its messages; "
        "some domain errors add context, e.g. the current `status` on a conflict."
    ),
    "properties": {
        "detail": {"type": "string", "description": "A human message, in the request's language."},
        "code": {"type": "string", "description": "A stable machine code, e.g. `invalid`."},
        "errors": {
            "type": "object",
            "additionalProperties": {},
            "description": "Field name to its messages (`non_field_errors` for the whole input).",
        },
    },
    "required": ["detail", "code"],
}
DESCRIPTIONS = {
    "400": "Invalid input, or a business rule refused it.",
    "401": "No valid access token (missing, expired, revoked or malformed).",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object among those the caller can see, or a page past the end.",
    "409": "The object's current state does not allow this.",
    "415": "The body's content type is not accepted.",
    "422": "This Idempotency-Key was already used for a different request.",
    "429": "Too many requests; retry after the `Retry-After` header's seconds.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _throttled_operations(generator) -> set[tuple[str, str]]:
    """(path, method) of every operation whose view instance has throttles."""
    throttled = set()
    for path, _regex, method, view in generator.endpoints or []:
        try:
            instance = generator.create_view(view, method)
            if instance.get_throttles():
                throttled.add((path, method.lower()))
        except Exception:  # noqa: S112 - a view that cannot be built has no throttle to declare
            continue
    return throttled


# DRF writes times as `HH:MM[:SS[.ffffff]]`, with no offset; OpenAPI's `format: time` is
# RFC 3339's full-time, which needs one, so validators would refuse every time we send.
TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


def _local_times(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = TIME_PATTERN
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def declare_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: see the module docstring."""
    _local_times(result)
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    throttled = _throttled_operations(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parameters = operation.get("parameters", [])
            query = any(p.get("in") == "query" for p in parameters)
            path_params = any(p.get("in") == "path" for p in parameters)
            # `page` past the end, or `format` naming no renderer (DRF's content negotiation).
            paged = any(
                p.get("in") == "query" and p.get("name") in ("page", "format") for p in parameters
            )
            body = "requestBody" in operation
            jwt = any("jwtAuth" in requirement for requirement in operation.get("security", []))
            codes = set()
            if body or query:
                codes.add("400")
            if jwt or "/auth/" in path:
                codes.add("401")
            if path.startswith("/api/"):
                codes.add("403")
            if path_params or paged:
                codes.add("404")
            if method in WRITE_METHODS:
                codes.add("409")
            if body:
                codes.add("415")
            if any(
                p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
                for p in parameters
            ):
                codes.add("422")
            if (path, method) in throttled:
                codes.add("429")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(
                    code,
                    {
                        "content": {"application/json": {"schema": ref}},
                        "description": DESCRIPTIONS[code],
                    },
                )
    return result
