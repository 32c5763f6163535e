"""Merchant A can never read or move merchant B's objects: 404, not 403, for B's ids.

Generic over the OpenAPI schema, so every endpoint added later is covered: merchant A gets some
objects (a paid and confirmed payment, so also events and ledger entries); every id A can see
through its list endpoints is then tried by merchant B on every operation that takes an id in
its path. B gets 404 (or a 400 about the body it did not send) and never A's data, and B's own
lists never show A's ids. Nothing changes in the database.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from kassa.runtime import Runtime
from tests.conftest import Devnet, MerchantKey, make_merchant
from tests.payments.helpers import create
from tests.reliability.test_bad_input import snapshot

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def ids_in(value: Any) -> set[str]:
    """Every UUID-looking string in a JSON document."""
    if isinstance(value, dict):
        return set().union(*(ids_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(ids_in(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) and UUID.match(value) else set()


async def test_merchant_b_never_sees_or_touches_merchant_a_objects(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    other = await make_merchant(runtime, "Other Store")
    payment = await create(client, merchant.headers, asset="XRP", amount_crypto="12")
    await devnet.pay("XRP", payment["address"], "12", payment["destination_tag"])
    await devnet.mine_and_sync("xrp")

    schema = (await client.get("/openapi.json")).json()
    lists, by_id = [], []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            if not path.startswith("/api") or path.startswith("/api/devnet"):
                continue
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            if params and all(name.endswith("_id") for name in params):
                by_id.append((method.upper(), path, params, "requestBody" in op))
            elif method == "get" and not params:
                lists.append(path)

    theirs: set[str] = {payment["id"]}
    for path in lists:
        response = await client.get(path, headers=merchant.headers)
        if response.status_code == 200:
            theirs |= ids_in(response.json())
    theirs -= {merchant.merchant_id, str(uuid.UUID(int=0))}
    assert len(theirs) > 1, "merchant A should see its payment and its events"

    before = await snapshot(runtime.db)
    leaks = []
    for path in lists:
        response = await client.get(path, headers=other.headers)
        if response.status_code == 200 and ids_in(response.json()) & theirs:
            leaks.append(f"GET {path} shows A's ids to B")
    for method, path, params, has_body in by_id:
        for object_id in theirs:
            concrete = path
            for name in params:
                concrete = concrete.replace("{" + name + "}", object_id)
            response = await client.request(
                method, concrete, headers=other.headers, **({"json": {}} if has_body else {})
            )
            allowed = {404, 400} if has_body else {404}
            if response.status_code not in allowed or ids_in(response.json()) & theirs:
                leaks.append(f"{method} {path} with A's {object_id}: {response.status_code}")
    assert leaks == [], "\n".join(sorted(set(leaks))[:40])
    assert await snapshot(runtime.db) == before
