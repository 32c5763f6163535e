"""``kassa merchant create --json`` prints the merchant's webhook signing secret."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

from kassa.config import Settings
from kassa.runtime import Runtime
from kassa.webhooks.repository import WebhookRepository
from kassa.webhooks.vault import SecretBox
from tests.webhooks.test_at_least_once import worker_env


async def test_merchant_create_prints_the_webhook_secret(
    runtime: Runtime, settings: Settings, box: SecretBox
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kassa",
        "merchant",
        "create",
        "--name",
        "Hooked Shop",
        "--json",
        env=worker_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    created = json.loads(out)
    assert created["webhook_secret"].startswith("whsec_")

    async with runtime.db.session() as session:
        row = await WebhookRepository(session).signing_secret(uuid.UUID(created["merchant_id"]))
    assert row is not None
    assert box.decrypt(row.secret) == created["webhook_secret"]
