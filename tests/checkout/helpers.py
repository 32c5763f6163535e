from __future__ import annotations

import re
from typing import Any

import httpx

from kassa.kit import jsonutil


async def choose(client: httpx.AsyncClient, checkout_id: str, asset: str) -> httpx.Response:
    response = await client.post(f"/pay/{checkout_id}/asset", data={"asset": asset})
    assert response.status_code == 303, response.text
    return response


async def live(client: httpx.AsyncClient, checkout_id: str, lang: str = "en") -> dict[str, Any]:
    response = await client.get(f"/pay/{checkout_id}/status", params={"lang": lang})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = jsonutil.loads(response.content)
    return data


def text(html: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
