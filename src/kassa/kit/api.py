"""HTTP plumbing shared by every router: exact JSON in and out, and ``{"error": ...}`` bodies.

* Request bodies are parsed with :func:`kassa.kit.jsonutil.loads`, so a JSON number reaches
  pydantic as ``Decimal`` (or ``int``) and never as a float.
* Responses are serialised with :func:`kassa.kit.jsonutil.dumps`: ``Decimal`` stays exact.
* Every error, including FastAPI's validation errors and Starlette's 404/405, is rendered as
  ``{"error": "<message>"}`` with a 4xx status; an unexpected exception is a bare 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa.kit import jsonutil
from kassa.kit.errors import HTTPError

log = logging.getLogger(__name__)


class ExactJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsonutil.dumps(content).encode("utf-8")


def error_response(
    status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return ExactJSONResponse(
        {"error": message}, status_code=status_code, headers=dict(headers) if headers else None
    )


class _ExactRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = jsonutil.loads(body)
            except jsonutil.InvalidJSON as exc:
                # FastAPI turns this exact type into a "json_invalid" validation error.
                raise json.JSONDecodeError(exc.args[0], "", 0) from exc
        return self._json


class ExactRoute(APIRoute):
    """An APIRoute whose request bodies are parsed without floats."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_handler(request: Request) -> Response:
            return await handler(_ExactRequest(request.scope, request.receive))

        return exact_handler


def _field_name(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if part.isdigit() else (f".{part}" if name else part)
    return name


def validation_message(exc: RequestValidationError) -> str:
    """Turn pydantic's first error into one sentence a client can act on."""
    errors = exc.errors()
    if not errors:
        return "Invalid request"
    err = errors[0]
    kind = err.get("type", "")
    loc = err.get("loc", ())
    field = _field_name(loc)
    if kind == "json_invalid":
        detail = (err.get("ctx") or {}).get("error")
        return f"Malformed JSON body: {detail}" if detail else "Malformed JSON body"
    if kind == "missing":
        if field == "":
            return "Missing request body"
        return f"Missing required field: {field}"
    if kind == "extra_forbidden":
        return f"Unknown field: {field}"
    if kind in ("model_attributes_type", "dict_type") and field == "":
        return "Request body must be a JSON object"
    message = str(err.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    if not field:
        return message
    return f"Invalid {field}: {message}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPError)
    async def on_http_error(_request: Request, exc: HTTPError) -> Response:
        headers = getattr(exc, "headers", None)
        return error_response(exc.status_code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, validation_message(exc))

    @app.exception_handler(jsonutil.InvalidJSON)
    async def on_invalid_json(_request: Request, exc: jsonutil.InvalidJSON) -> Response:
        return error_response(400, f"Malformed JSON body: {exc}")

    @app.exception_handler(StarletteHTTPException)
    async def on_starlette_error(_request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Not found", 405: "Method not allowed"}
        message = messages.get(exc.status_code) or (
            exc.detail if isinstance(exc.detail, str) else ""
        )
        return error_response(exc.status_code, message or "Request failed", exc.headers)

    @app.exception_handler(Exception)
    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "Internal server error")
