"""ASGI guards in front of the app: body size, and NUL characters in the URL.

PostgreSQL cannot store a NUL character in text; a NUL that reached a query would be a 500.
Bodies are covered by :func:`kassa.kit.jsonutil.loads`; the URL is covered here.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kassa.kit import jsonutil


class BodyLimitMiddleware:
    """413 for a ``Content-Length`` over ``max_bytes``; for a chunked body, the request is cut
    off and answered 413 as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(send, 400, "Invalid Content-Length header")
                return
            if int(declared) > self.max_bytes:
                await self._refuse(send, 413, self._too_large())
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI lets HTTPException through body parsing; the app renders it.
                    raise HTTPException(413, detail=self._too_large())
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if started or exc.status_code != 413:
                raise
            await self._refuse(send, 413, self._too_large())

    def _too_large(self) -> str:
        return f"Request body too large (limit {self.max_bytes} bytes)"

    @staticmethod
    async def _refuse(send: Send, status: int, message: str) -> None:
        body = jsonutil.dumps({"error": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RejectNulMiddleware:
    """400 for a NUL character in the path or the query string (``%00``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            await BodyLimitMiddleware._refuse(send, 400, "NUL characters are not allowed in URLs")
            return
        await self.app(scope, receive, send)
