"""Standard Webhooks signatures, the receiver helper, and secrets encrypted at rest."""

from __future__ import annotations

import stat
import time
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from standardwebhooks import Webhook

from kassa.config import Settings
from kassa.models.webhook import SigningSecret
from kassa.runtime import Runtime
from kassa.webhooks import InvalidSignature, signing, verify
from kassa.webhooks.tasks import require_secret_key
from kassa.webhooks.vault import SecretBox, SecretKeyError, secret_box
from tests.conftest import MerchantKey
from tests.webhooks.conftest import signing_secret

BODY = b'{"event":"payment.confirmed","amount_received":0.00118694}'


def signed(secret: str, message_id: str = "msg_1", at: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    return signing.headers([signing.secret_key(secret)], message_id, stamp, BODY)


def test_signatures_match_the_reference_library() -> None:
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    headers = signed(secret)
    assert Webhook(secret).verify(BODY, headers) == {
        "event": "payment.confirmed",
        "amount_received": 0.00118694,
    }
    reference = Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC), BODY.decode()
    )
    assert headers["webhook-signature"] == reference


def test_verify_returns_exact_amounts() -> None:
    secret = signing.generate_secret()
    payload = verify(BODY, signed(secret), secret)
    assert str(payload["amount_received"]) == "0.00118694"


def test_verify_refuses_tampering_other_secrets_and_replays() -> None:
    secret = signing.generate_secret()
    with pytest.raises(InvalidSignature):
        verify(BODY.replace(b"0.00118694", b"1"), signed(secret), secret)
    with pytest.raises(InvalidSignature):
        verify(BODY, signed(secret), signing.generate_secret())
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(BODY, signed(secret, at=int(time.time()) - 3600), secret)
    with pytest.raises(InvalidSignature, match="missing"):
        verify(BODY, {}, secret)


def test_two_signatures_during_rotation_each_verify() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    keys = [signing.secret_key(new), signing.secret_key(old)]
    headers = signing.headers(keys, "msg_2", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)
        verify(BODY, headers, secret)


def test_secret_box_round_trip_and_operator_key_rotation() -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = SecretBox([first]).encrypt("whsec_abc")
    assert "whsec_abc" not in token
    assert SecretBox([second, first]).decrypt(token) == "whsec_abc"
    with pytest.raises(SecretKeyError):
        SecretBox([second]).decrypt(token)
    with pytest.raises(SecretKeyError, match="Fernet key"):
        SecretBox(["not a key"])


def test_devnet_generates_a_private_key_file(settings: Settings) -> None:
    box = secret_box(settings)
    key_file = settings.data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = secret_box(settings.model_copy(update={"data_dir": settings.data_dir}))
    assert again.decrypt(box.encrypt("x")) == "x"


def test_outside_the_devnet_the_key_is_required(settings: Settings) -> None:
    mainnet = settings.model_copy(update={"network": "mainnet"})
    with pytest.raises(SystemExit, match="KASSA_SECRET_KEY is required outside the devnet"):
        require_secret_key(mainnet)
    with pytest.raises(SystemExit, match="must be a Fernet key"):
        require_secret_key(mainnet.model_copy(update={"secret_key": "short"}))
    require_secret_key(mainnet.model_copy(update={"secret_key": Fernet.generate_key().decode()}))


async def test_secrets_are_stored_encrypted(
    runtime: Runtime, merchant: MerchantKey, box: SecretBox
) -> None:
    secret = await signing_secret(runtime, box, merchant.merchant_id)
    async with runtime.db.session() as session:
        stored = await session.scalar(
            select(SigningSecret.secret).where(
                SigningSecret.merchant_id == uuid.UUID(merchant.merchant_id)
            )
        )
    assert stored is not None
    assert secret not in stored
    assert secret.removeprefix("whsec_") not in stored
    assert box.decrypt(stored) == secret
