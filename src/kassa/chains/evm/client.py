"""JSON-RPC over HTTP to one EVM node: the only module here that does network I/O.

* ``call`` / ``batch`` (one HTTP request for several calls, split at :data:`BATCH_MAX`);
* transport failures, HTTP 429/5xx and unparseable answers are retried with exponential backoff
  and then raised as :class:`~kassa.kit.errors.ChainUnavailable` (the worker loops retry later);
* a JSON-RPC ``error`` object is the node's considered answer and is raised as :class:`RpcError`
  without retrying (``nonce too low``, ``execution reverted`` ...).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any

import httpx

from kassa.chains.evm.params import BATCH_MAX
from kassa.kit import jsonutil
from kassa.kit.errors import ChainUnavailable, KassaError

Call = tuple[str, list[Any]]


class RpcError(KassaError):
    """The node answered a call with a JSON-RPC error object."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: {message} (code {code})")
        self.method = method
        self.code = code
        self.reason = message


def _redact(url: str) -> str:
    """Node URLs often carry an API key in the path or query: show only scheme and host."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")


class RpcClient:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.where = _redact(url)
        self.attempts = attempts
        self.backoff = backoff
        self._ids = itertools.count(1)
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, *params: Any) -> Any:
        answer = await self._post(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        )
        if not isinstance(answer, dict):
            raise ChainUnavailable(f"{self.where} answered {method} with a non-object")
        return self._result(method, answer)

    async def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Results in the order of ``calls``; the first JSON-RPC error is raised."""
        results: list[Any] = []
        for start in range(0, len(calls), BATCH_MAX):
            chunk = calls[start : start + BATCH_MAX]
            ids = [next(self._ids) for _ in chunk]
            body = [
                {"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                for i, (m, p) in zip(ids, chunk, strict=True)
            ]
            answer = await self._post(body)
            if not isinstance(answer, list):
                raise ChainUnavailable(f"{self.where} answered a batch with a non-list")
            by_id = {a.get("id"): a for a in answer if isinstance(a, dict)}
            for i, (method, _) in zip(ids, chunk, strict=True):
                if i not in by_id:
                    raise ChainUnavailable(f"{self.where} left {method} out of a batch answer")
                results.append(self._result(method, by_id[i]))
        return results

    def _result(self, method: str, answer: dict[str, Any]) -> Any:
        error = answer.get("error")
        if error is not None:
            code = error.get("code", 0) if isinstance(error, dict) else 0
            message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
            raise RpcError(method, int(code), str(message))
        if "result" not in answer:
            raise ChainUnavailable(f"{self.where} answered {method} without a result")
        return answer["result"]

    async def _post(self, body: object) -> Any:
        payload = jsonutil.dumps(body)
        problem = "no attempt"
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._http.post(
                    self.url, content=payload, headers={"content-type": "application/json"}
                )
            except httpx.HTTPError as exc:
                problem = f"unreachable ({type(exc).__name__})"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            try:
                return jsonutil.loads(response.content)
            except jsonutil.InvalidJSON:
                problem = f"HTTP {response.status_code} with a body that is not JSON"
                if response.status_code >= 400:
                    break
        raise ChainUnavailable(f"EVM node {self.where}: {problem}", retry_after=5.0)
