"""Fuzzing Kassa's own OpenAPI schema with schemathesis: zero 5xx, every error ``{"error": ...}``.

A ``kassa serve`` child runs on the test database; for every operation of its ``/openapi.json``
schemathesis generates requests that fit the schema and requests that do not (wrong types,
missing fields, out-of-range values), sent with a valid API key of every scope. Each response
must be below 500, an error must be a JSON object with a string ``error`` and no traceback, and
the server must log no unhandled exception. The number of examples is bounded (``EXAMPLES`` per
operation and mode) so that it runs in about a minute; ``KASSA_LONG=1`` fuzzes far longer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.schemas import APIOperation

from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.reliability.conftest import LONG, Spawn
from tests.reliability.procs import free_port

EXAMPLES = int(os.environ.get("KASSA_FUZZ_EXAMPLES", 300 if LONG else 8))
"""Examples per operation and generation mode."""
log = logging.getLogger(__name__)
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')


def response_problem(response: httpx.Response) -> str | None:
    """Why ``response`` breaks the contract, or None."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:300]}"
    if any(marker in response.text for marker in TRACEBACK_MARKERS):
        return f"traceback in a {response.status_code} response"
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except json.JSONDecodeError:
        return f"{response.status_code} error is not JSON: {response.text[:200]!r}"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str) or not body["error"]:
        return f'{response.status_code} error body is not {{"error": "..."}}: {body!r:.200}'
    return None


def httpx_kwargs(given: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    """schemathesis's ``requests``-style keyword arguments, for httpx."""
    kwargs: dict[str, Any] = {
        "method": given["method"],
        "url": given["url"],
        "headers": {**(given.get("headers") or {}), **auth},
        "params": given.get("params"),
    }
    if given.get("cookies"):
        kwargs["headers"]["cookie"] = "; ".join(f"{k}={v}" for k, v in given["cookies"].items())
    if "json" in given:
        kwargs["json"] = given["json"]
    data = given.get("data")
    if isinstance(data, bytes | str):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    if given.get("files"):
        kwargs["files"] = given["files"]
    return kwargs


def fuzz_operation(
    operation: APIOperation, send: Callable[[Case], httpx.Response], found: list[str]
) -> None:
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not LONG,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Case) -> None:
            problem = response_problem(send(case))
            if problem:  # run() is called right below, in the same iteration
                found.append(f"{case.method} {case.formatted_path} ({mode}): {problem}")  # noqa: B023

        run()


def fuzz(base: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    found: list[str] = []
    sent = 0
    with httpx.Client(base_url=base, timeout=30) as http:

        def send(case: Case) -> httpx.Response:
            nonlocal sent
            sent += 1
            return http.request(**httpx_kwargs(case.as_transport_kwargs(base_url=base), headers))

        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path.startswith("/api"):
                fuzz_operation(operation, send, found)
    return sent, found


@pytest.mark.timeout(3600 if LONG else 300)
async def test_fuzzing_the_openapi_schema_finds_no_5xx_and_only_json_errors(
    runtime: Runtime, merchant: MerchantKey, spawn: Spawn
) -> None:
    port = free_port()
    serve = await spawn("serve", "--port", str(port))
    await serve.wait_ready()
    sent, found = await asyncio.to_thread(fuzz, f"http://127.0.0.1:{port}", merchant.headers)
    log.info("fuzzing sent %d requests", sent)
    unhandled = serve.errors()
    await serve.terminate()
    assert sent > 0
    assert found == [], f"{len(found)} of {sent} responses break the contract:\n" + "\n".join(
        sorted(set(found))[:40]
    )
    assert unhandled == [], serve.tail(80)
