"""The services' side of the signer: :class:`RemoteSigner` talks to ``kassa signer serve``."""

from __future__ import annotations

import httpx

from kassa.kit import jsonutil
from kassa.kit.errors import ChainUnavailable
from kassa.signer.protocol import EvmSignRequest, SignedEvmTx, SignerRefused


class SignerUnavailable(ChainUnavailable):
    """The signer process could not be reached (not started, wrong socket, ...)."""


class RemoteSigner:
    def __init__(
        self, url: str, token: str | None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if transport is None and url.startswith("unix:"):
            transport = httpx.AsyncHTTPTransport(uds=url.removeprefix("unix:"))
            url = "http://signer"
        self.url = url.rstrip("/")
        self.headers = {"authorization": f"Bearer {token or ''}"}
        self._http = httpx.AsyncClient(transport=transport, timeout=30.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def info(self) -> dict[str, str]:
        response = await self._request("GET", "/v1/info")
        data: dict[str, str] = jsonutil.loads(response.content)
        return data

    async def sign_evm(self, request: EvmSignRequest) -> SignedEvmTx:
        response = await self._request("POST", "/v1/evm/sign", request.to_json())
        data = jsonutil.loads(response.content)
        return SignedEvmTx(tx_hash=str(data["tx_hash"]), raw=str(data["raw"]))

    async def _request(self, method: str, path: str, body: object | None = None) -> httpx.Response:
        try:
            response = await self._http.request(
                method,
                self.url + path,
                content=None if body is None else jsonutil.dumps(body),
                headers={**self.headers, "content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise SignerUnavailable(f"signer unreachable ({type(exc).__name__})") from None
        if response.status_code in (400, 403):
            raise SignerRefused(str(jsonutil.loads(response.content).get("error")))
        if response.status_code != 200:
            raise SignerUnavailable(f"signer answered HTTP {response.status_code}")
        return response
