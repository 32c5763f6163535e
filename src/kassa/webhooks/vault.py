"""Encryption at rest of webhook signing secrets, with the operator key ``KASSA_SECRET_KEY``.

The key is a Fernet key (``Fernet.generate_key()``: 32 url-safe base64 bytes). Several keys may
be given comma-separated: the first encrypts, every one decrypts, so the operator can rotate it.
Outside the devnet Kassa refuses to start without it. On the devnet, when it is unset, a key is
generated once into ``<data_dir>/secret.key`` (mode 0600) and the log says so.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from kassa.config import Settings
from kassa.kit.errors import KassaError

log = logging.getLogger(__name__)

KEY_FILE = "secret.key"


class SecretKeyError(KassaError):
    """``KASSA_SECRET_KEY`` is missing or invalid, or a stored secret does not decrypt with it."""


class SecretBox:
    """Encrypts and decrypts short secrets; decrypted values are cached in memory."""

    def __init__(self, keys: list[str]) -> None:
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode("ascii")) for key in keys])
        except (ValueError, UnicodeEncodeError):
            raise SecretKeyError(
                "KASSA_SECRET_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
        self._plain: dict[str, str] = {}

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        found = self._plain.get(token)
        if found is not None:
            return found
        try:
            plain = self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretKeyError(
                "a stored webhook secret does not decrypt with KASSA_SECRET_KEY (was it changed?)"
            ) from None
        if len(self._plain) > 10_000:
            self._plain.clear()
        self._plain[token] = plain
        return plain


def _devnet_key(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    log.warning(
        "KASSA_SECRET_KEY is not set: generated a devnet key into %s (mode 0600). "
        "Outside the devnet Kassa refuses to start without KASSA_SECRET_KEY.",
        path,
    )
    return key


@lru_cache(maxsize=16)
def _box(secret_key: str | None, network: str, data_dir: Path) -> SecretBox:
    if secret_key:
        return SecretBox([k for k in secret_key.split(",") if k.strip()])
    if network != "devnet":
        raise SecretKeyError(
            "KASSA_SECRET_KEY is required outside the devnet: it encrypts webhook signing "
            "secrets at rest (docs/webhooks.md)"
        )
    return SecretBox([_devnet_key(data_dir)])


def secret_box(settings: Settings) -> SecretBox:
    """The process's box for ``settings``; raises :class:`SecretKeyError` when it cannot exist."""
    return _box(settings.secret_key, settings.network, settings.data_dir.resolve())
