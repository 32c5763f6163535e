"""The signer signs withdrawals and sweeps as the services describe them, and nothing else."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from eth_account import Account

from kassa.chains.evm.transformers import transfer_calldata
from kassa.signer.local import LocalSigner
from kassa.signer.protocol import EvmSignRequest, EvmTxFields, Purpose, SignerRefused

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"
TOKEN = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
STRANGER = "0x1111111111111111111111111111111111111111"


@pytest.fixture(scope="module")
def signer() -> LocalSigner:
    return LocalSigner(MNEMONIC, {"eth": frozenset({TOKEN.lower()})}, {"eth": frozenset({1})})


def request(signer: LocalSigner, purpose: Purpose, **changes: object) -> EvmSignRequest:
    sender = signer.keys.hot_address if purpose != Purpose.SWEEP else signer.keys.deposit_address(3)
    tx = EvmTxFields(
        nonce=0,
        to=STRANGER,
        value=10**16,
        data="0x",
        gas=21_000,
        max_fee_per_gas=3 * 10**9,
        priority_fee=10**9,
    )
    base = EvmSignRequest(
        "eth", 1, purpose, uuid.uuid4(), sender, 3 if purpose != Purpose.WITHDRAWAL else None, tx
    )
    tx_changes = {k: v for k, v in changes.items() if k in EvmTxFields.__dataclass_fields__}
    req_changes = {k: v for k, v in changes.items() if k not in tx_changes}
    return replace(base, tx=replace(tx, **tx_changes), **req_changes)  # type: ignore[arg-type]


async def test_a_withdrawal_is_signed_by_the_hot_wallet(signer: LocalSigner) -> None:
    signed = await signer.sign_evm(request(signer, Purpose.WITHDRAWAL))
    assert Account.recover_transaction(signed.raw) == signer.keys.hot_address
    token = request(
        signer,
        Purpose.WITHDRAWAL,
        to=TOKEN,
        value=0,
        data=transfer_calldata(STRANGER, 5),
        priority_fee=None,
    )
    legacy = await signer.sign_evm(token)
    assert Account.recover_transaction(legacy.raw) == signer.keys.hot_address


async def test_a_sweep_pays_only_the_hot_wallet(signer: LocalSigner) -> None:
    hot = signer.keys.hot_address
    signed = await signer.sign_evm(request(signer, Purpose.SWEEP, to=hot))
    assert Account.recover_transaction(signed.raw) == signer.keys.deposit_address(3)
    await signer.sign_evm(
        request(signer, Purpose.SWEEP, to=TOKEN, value=0, data=transfer_calldata(hot, 7))
    )
    with pytest.raises(SignerRefused, match="only pay the hot wallet"):
        await signer.sign_evm(request(signer, Purpose.SWEEP, to=STRANGER))
    with pytest.raises(SignerRefused, match="only pay the hot wallet"):
        await signer.sign_evm(
            request(signer, Purpose.SWEEP, to=TOKEN, value=0, data=transfer_calldata(STRANGER, 7))
        )


@pytest.mark.parametrize(
    ("purpose", "changes", "reason"),
    [
        (Purpose.WITHDRAWAL, {"data": "0x095ea7b3" + "00" * 64}, "only native transfers"),
        (
            Purpose.WITHDRAWAL,
            {"to": STRANGER, "value": 0, "data": transfer_calldata(STRANGER, 1)},
            "not a token contract",
        ),
        (Purpose.WITHDRAWAL, {"chain_id": 56}, "chain id"),
        (Purpose.WITHDRAWAL, {"sender": STRANGER}, "not the address"),
        (Purpose.TOPUP, {"to": STRANGER}, "deposit address it names"),
        (Purpose.TOPUP, {"value": 10**18}, "exceed the gas"),
        (Purpose.SWEEP, {"deposit_index": 4}, "not the address"),
    ],
)
async def test_anything_else_is_refused(
    signer: LocalSigner, purpose: Purpose, changes: dict[str, object], reason: str
) -> None:
    if purpose == Purpose.TOPUP and "to" not in changes:
        changes = {"to": signer.keys.deposit_address(3), **changes}
    with pytest.raises(SignerRefused, match=reason):
        await signer.sign_evm(request(signer, purpose, **changes))
