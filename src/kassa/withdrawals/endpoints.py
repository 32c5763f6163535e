"""``/api/estimate-fee``, ``/api/withdrawals``, ``/api/batch-payouts`` and
``/api/addresses/validate``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from kassa.assets.registry import registry
from kassa.chains.addresses import validate_address
from kassa.deps import RuntimeDep, SessionDep
from kassa.idempotency.dependency import IdempotencyDep
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.errors import BadRequest, InvalidAddress, NotFound
from kassa.kit.pagination import PageDep20
from kassa.merchants.auth import ApproveAuth, PayoutsAuth, ReadAuth
from kassa.models.withdrawal import WithdrawalStatus
from kassa.withdrawals import batches, schemas, service, views
from kassa.withdrawals.fees import quote_fees
from kassa.withdrawals.repository import WithdrawalFilter, WithdrawalRepository

router = APIRouter(tags=["withdrawals"], route_class=ExactRoute)

WithdrawalId = Annotated[str, Path(description="Withdrawal id (UUID)")]
BatchId = Annotated[str, Path(description="Batch id (UUID)")]


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} not found") from None


@router.post("/estimate-fee", responses={200: {"model": schemas.EstimateResponse}})
async def estimate_fee(
    body: schemas.EstimateFee, auth: ReadAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """The platform fee and network fee of a withdrawal of `amount`, and whether the balance
    covers it. With `destination_address`, the address is validated for the asset's chain first
    (400 if invalid). Bare `USDT` / `USDC` are ambiguous: use the network-suffixed symbol."""
    asset, adapter = service.payout_target(runtime, body.asset)
    if body.destination_address is not None:
        validate_address(
            asset.chain, runtime.settings.network, body.destination_address, body.destination_tag
        )
    amount = service.parse_amount(asset, body.amount)
    fees = await quote_fees(runtime.prices, adapter, asset, runtime.settings.withdrawal_fee_usd)
    available = await service.available_balance(session, auth.merchant.id, asset)
    return ExactJSONResponse(views.estimate_body(asset, body.amount, fees, amount, available))


@router.post("/addresses/validate", responses={200: {"model": schemas.AddressCheck}})
async def validate(
    body: schemas.ValidateAddress, _auth: ReadAuth, runtime: RuntimeDep
) -> ExactJSONResponse:
    """Check an address's format and checksum for a chain (give `asset` or `chain`): bech32 /
    bech32m and base58check (BTC, LTC), EIP-55 (EVM chains), TRON base58check, Solana 32-byte
    base58, XRP classic addresses with `destination_tag` and X-addresses. Answers `valid: false`
    with the precise `reason` instead of an error. The same check guards every payout."""
    if (body.asset is None) == (body.chain is None):
        raise BadRequest("Give exactly one of asset (e.g. USDT-TRC20) or chain (e.g. tron)")
    if body.asset is not None:
        chain = registry().get(body.asset.strip().upper()).chain
    else:
        assert body.chain is not None
        found = registry().chains.get(body.chain.strip().lower())
        if found is None:
            chains = ", ".join(registry().chains)
            raise BadRequest(f'Unknown chain: "{body.chain}". Chains: {chains}')
        chain = found
    network = runtime.settings.network
    answer = {"chain": chain.id, "network": network}
    try:
        valid = validate_address(chain, network, body.address, body.destination_tag)
    except InvalidAddress as exc:
        return ExactJSONResponse(
            {
                "valid": False,
                "address": body.address,
                "destination_tag": body.destination_tag,
                **answer,
                "message": exc.message,
                "reason": exc.reason,
            }
        )
    return ExactJSONResponse(
        {
            "valid": True,
            "address": valid.address,
            "destination_tag": valid.destination_tag,
            **answer,
        }
    )


@router.post(
    "/withdrawals",
    responses={
        200: {"model": schemas.WithdrawalResponse | schemas.WithdrawalEstimate},
        409: {"description": "Idempotency-Key reused or in flight"},
        428: {"description": "Idempotency-Key required by the operator"},
    },
)
async def create_withdrawal(
    body: schemas.CreateWithdrawal,
    auth: PayoutsAuth,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Send `amount` of `asset` to `destination_address`. The destination receives exactly
    `amount`; the platform fee and the network fee are charged on top, in the same asset, and the
    total is held from the available balance at once (400 with the exact breakdown if it does not
    cover it). The withdrawal is `pending` (a worker broadcasts it), or `draft` when the amount is
    above this API key's withdrawal limit. `estimate_only` runs every check and moves nothing."""
    if body.estimate_only:
        prepared = await service.prepare(session, runtime, auth, body)
        return ExactJSONResponse(await service.estimate(session, auth, prepared))

    async def work() -> Response:
        prepared = await service.prepare(session, runtime, auth, body)
        withdrawal = await service.create(session, runtime, auth, body, prepared)
        return ExactJSONResponse({"success": True, "withdrawal": views.withdrawal_body(withdrawal)})

    return await idempotency.run(session, auth.merchant.id, work, payout=True)


@router.get("/withdrawals", responses={200: {"model": schemas.WithdrawalList}})
async def list_withdrawals(
    auth: ReadAuth,
    session: SessionDep,
    page: PageDep20,
    status: Annotated[
        str | None,
        Query(description="draft, pending, broadcasting, completed, failed, rejected"),
    ] = None,
    asset: Annotated[str | None, Query(description="Asset symbol, e.g. BTC")] = None,
    external_ref: Annotated[str | None, Query(max_length=200)] = None,
    batch_id: Annotated[str | None, Query(description="Only the payouts of this batch")] = None,
) -> ExactJSONResponse:
    """The merchant's withdrawals, newest first."""
    if status is not None and status not in {s.value for s in WithdrawalStatus}:
        valid = ", ".join(s.value for s in WithdrawalStatus)
        raise BadRequest(f"Invalid status: {status}. Valid: {valid}")
    if external_ref is not None and "\x00" in external_ref:
        raise BadRequest("Invalid external_ref: must not contain NUL characters")
    try:
        batch = uuid.UUID(batch_id) if batch_id is not None else None
    except ValueError:
        raise BadRequest("Invalid batch_id: must be a UUID") from None
    where = WithdrawalFilter(
        status=status,
        asset=registry().get(asset.strip().upper()).symbol if asset else None,
        external_ref=external_ref,
        batch_id=batch,
    )
    rows, total = await WithdrawalRepository(session).list_for_merchant(
        auth.merchant.id, where, page.limit, page.offset
    )
    return ExactJSONResponse(
        {
            "withdrawals": [views.withdrawal_body(w) for w in rows],
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
        }
    )


@router.get("/withdrawals/{withdrawal_id}", responses={200: {"model": schemas.WithdrawalView}})
async def get_withdrawal(
    withdrawal_id: WithdrawalId, auth: ReadAuth, session: SessionDep
) -> ExactJSONResponse:
    """A withdrawal's status, tx_hash, confirmations and fee breakdown."""
    withdrawal = await service.get(session, auth, _uuid(withdrawal_id, "Withdrawal"))
    return ExactJSONResponse(views.withdrawal_body(withdrawal))


@router.put(
    "/withdrawals/{withdrawal_id}",
    responses={200: {"model": schemas.WithdrawalView}, 409: {"description": "Not a draft"}},
)
async def decide_withdrawal(
    withdrawal_id: WithdrawalId, body: schemas.Decision, auth: ApproveAuth, session: SessionDep
) -> ExactJSONResponse:
    """Approve (`{"approve": true}` → `pending`, then broadcast) or reject (`false` → `rejected`,
    held funds restored) a draft. Needs a key with the `approve` scope and no withdrawal limit."""
    withdrawal = await service.decide(
        session, auth, _uuid(withdrawal_id, "Withdrawal"), body.approve
    )
    response = ExactJSONResponse(views.withdrawal_body(withdrawal))
    await session.commit()
    return response


@router.post(
    "/batch-payouts",
    responses={
        200: {"model": schemas.BatchResponse | schemas.BatchEstimate},
        409: {"description": "Idempotency-Key reused or in flight"},
        428: {"description": "Idempotency-Key required by the operator"},
    },
)
async def create_batch(
    body: schemas.CreateBatch,
    auth: PayoutsAuth,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Up to 100 payouts of one asset in one call. Every recipient is checked and the total
    (amounts + a platform fee and a network fee per recipient) is held at once; if the balance
    does not cover it the whole batch is rejected with the breakdown and nothing moves. Each
    recipient becomes its own withdrawal. `estimate_only` runs every check and moves nothing."""
    if body.estimate_only:
        return ExactJSONResponse(await batches.submit(session, runtime, auth, body))

    async def work() -> Response:
        return ExactJSONResponse(await batches.submit(session, runtime, auth, body))

    return await idempotency.run(session, auth.merchant.id, work, payout=True)


@router.get("/batch-payouts/{batch_id}", responses={200: {"model": schemas.BatchResponse}})
async def get_batch(batch_id: BatchId, auth: ReadAuth, session: SessionDep) -> ExactJSONResponse:
    """The batch's status (processing, partial, completed, failed; draft while awaiting
    approval) and a summary of each of its withdrawals."""
    batch, withdrawals = await batches.get(session, auth, _uuid(batch_id, "Batch"))
    return ExactJSONResponse(views.batch_body(batch, withdrawals))


@router.put(
    "/batch-payouts/{batch_id}",
    responses={200: {"model": schemas.BatchResponse}, 409: {"description": "No drafts"}},
)
async def decide_batch(
    batch_id: BatchId, body: schemas.Decision, auth: ApproveAuth, session: SessionDep
) -> ExactJSONResponse:
    """Approve or reject every draft of a batch (a key with the `approve` scope)."""
    batch, withdrawals = await batches.decide(session, auth, _uuid(batch_id, "Batch"), body.approve)
    response = ExactJSONResponse(views.batch_body(batch, withdrawals))
    await session.commit()
    return response
