"""The seed at rest: a BIP39 mnemonic encrypted with AES-256-GCM under a key derived from the
operator's passphrase with scrypt. The file is JSON; its parameters travel with it::

    {"kassa_signer": 1, "kdf": "scrypt", "n": 131072, "r": 8, "p": 1,
     "salt": "<b64>", "nonce": "<b64>", "ciphertext": "<b64>"}

Only the signer process imports this module.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = 1
AAD = b"kassa-signer-seed-v1"
DEFAULT_N = 2**17  # 128 MiB, about half a second: paid once when the signer starts


class VaultError(Exception):
    """The file is missing, malformed, or the passphrase is wrong."""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def seal(mnemonic: str, passphrase: str, *, n: int = DEFAULT_N) -> dict[str, object]:
    if len(passphrase) < 8:
        raise VaultError("the passphrase must be at least 8 characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    cipher = AESGCM(_key(passphrase, salt, n, 8, 1)).encrypt(nonce, mnemonic.encode(), AAD)
    b64 = base64.b64encode
    return {
        "kassa_signer": FORMAT,
        "kdf": "scrypt",
        "n": n,
        "r": 8,
        "p": 1,
        "salt": b64(salt).decode(),
        "nonce": b64(nonce).decode(),
        "ciphertext": b64(cipher).decode(),
    }


def open_sealed(sealed: dict[str, object], passphrase: str) -> str:
    try:
        if sealed.get("kassa_signer") != FORMAT or sealed.get("kdf") != "scrypt":
            raise VaultError("not a Kassa signer seed file (or an unknown version)")
        n, r, p = (int(str(sealed[k])) for k in ("n", "r", "p"))
        salt, nonce, cipher = (
            base64.b64decode(str(sealed[k])) for k in ("salt", "nonce", "ciphertext")
        )
    except (KeyError, ValueError) as exc:
        raise VaultError(f"malformed seed file: {exc}") from None
    try:
        plain = AESGCM(_key(passphrase, salt, n, r, p)).decrypt(nonce, cipher, AAD)
    except InvalidTag:
        raise VaultError("wrong passphrase (or the seed file was modified)") from None
    return plain.decode()


def write_seed_file(path: Path, mnemonic: str, passphrase: str, *, n: int = DEFAULT_N) -> None:
    """Create ``path`` (mode 0600); refuses to overwrite an existing seed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(seal(mnemonic, passphrase, n=n), indent=2).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise VaultError(f"{path} exists: refusing to overwrite a seed") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def read_seed_file(path: Path, passphrase: str) -> str:
    try:
        sealed = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise VaultError(f"no seed file at {path} (run `kassa signer init`)") from None
    except ValueError:
        raise VaultError(f"{path} is not a Kassa signer seed file") from None
    if not isinstance(sealed, dict):
        raise VaultError(f"{path} is not a Kassa signer seed file")
    return open_sealed(sealed, passphrase)
