"""The seed at rest: AES-GCM under an scrypt key from the operator's passphrase."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kassa.signer.vault import VaultError, read_seed_file, write_seed_file

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def test_the_seed_file_holds_no_plaintext_and_opens_with_the_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    write_seed_file(path, MNEMONIC, "correct horse battery", n=2**10)
    text = path.read_text()
    assert "legal" not in text
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_seed_file(path, "correct horse battery") == MNEMONIC


def test_a_wrong_passphrase_or_a_tampered_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    write_seed_file(path, MNEMONIC, "correct horse battery", n=2**10)
    with pytest.raises(VaultError, match="wrong passphrase"):
        read_seed_file(path, "incorrect horse battery")
    sealed = json.loads(path.read_text())
    sealed["n"] = 2**11
    path.write_text(json.dumps(sealed))
    with pytest.raises(VaultError):
        read_seed_file(path, "correct horse battery")


def test_an_existing_seed_is_never_overwritten_and_short_passphrases_are_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "seed.json"
    write_seed_file(path, MNEMONIC, "correct horse battery", n=2**10)
    with pytest.raises(VaultError, match="exists"):
        write_seed_file(path, MNEMONIC, "correct horse battery", n=2**10)
    with pytest.raises(VaultError, match="at least 8"):
        write_seed_file(tmp_path / "other.json", MNEMONIC, "short", n=2**10)
    with pytest.raises(VaultError, match="no seed file"):
        read_seed_file(tmp_path / "missing.json", "correct horse battery")
