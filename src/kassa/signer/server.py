"""``kassa signer serve``: the signer as a tiny HTTP service on a unix socket or a loopback port.

``POST /v1/evm/sign`` with ``Authorization: Bearer <KASSA_SIGNER_TOKEN>`` and an
:class:`~kassa.signer.protocol.EvmSignRequest` as JSON answers ``{"tx_hash", "raw"}``, 403 with
``{"error"}`` when the policy refuses, 401 without the token. ``GET /v1/info`` tells the hot
wallet address and the account xpub (public data).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kassa.signer.local import LocalSigner
from kassa.signer.protocol import EvmSignRequest, SignerRefused

log = logging.getLogger(__name__)


def create_signer_app(signer: LocalSigner, token: str) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def authorised(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    @app.get("/v1/info")
    async def info(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        return JSONResponse(
            {"evm_xpub": signer.keys.xpub, "evm_hot_wallet": signer.keys.hot_address}
        )

    @app.post("/v1/evm/sign")
    async def sign(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        try:
            body: Any = await request.json()
            sign_request = EvmSignRequest.from_json(body)
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"malformed request: {exc}"}, status_code=400)
        try:
            signed = await signer.sign_evm(sign_request)
        except SignerRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        return JSONResponse({"tx_hash": signed.tx_hash, "raw": signed.raw})

    return app


def server_config(app: FastAPI, url: str) -> uvicorn.Config:
    """``unix:/path`` or ``http://127.0.0.1:PORT`` (loopback only: the token is not a TLS)."""
    if url.startswith("unix:"):
        return uvicorn.Config(app, uds=url.removeprefix("unix:"), log_level="warning")
    host_port = url.removeprefix("http://").rstrip("/")
    host, _, port = host_port.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "[::1]"):
        raise ValueError("the signer listens on a unix socket or a loopback address only")
    return uvicorn.Config(app, host=host.strip("[]"), port=int(port), log_level="warning")
