"""Make the generated OpenAPI document tell the truth about errors.

FastAPI documents a 422 validation error; Kassa answers 400 with ``{"error": "..."}``. Every
operation gets the error responses it can really produce, with the one error schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "What went wrong"}},
    "required": ["error"],
}

ERRORS = {
    "400": "Bad request: missing or invalid parameters",
    "401": "Missing or invalid API key",
    "403": "Merchant disabled, or the key lacks the scope",
    "404": "Not found (or another merchant's object)",
    "413": "Request body too large",
    "503": "A price feed or chain is temporarily unavailable",
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                secured = bool(operation.get("security"))
                for code, description in ERRORS.items():
                    if code in ("401", "403") and not secured:
                        continue
                    responses.setdefault(code, _error(description))
        schema["components"].get("schemas", {}).pop("HTTPValidationError", None)
        schema["components"].get("schemas", {}).pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
