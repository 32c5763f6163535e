"""Request and response shapes of withdrawals, batch payouts, fee estimates and addresses."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator

from kassa.kit.validators import HttpUrlText, PositiveDecimal

MAX_RECIPIENTS = 100
MAX_TAG = 2**32 - 1


def no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL: refuse it with a 400 instead of failing on insert."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Tag = Annotated[int, Field(strict=True, ge=0, le=MAX_TAG)]
Address = Annotated[str, Field(max_length=256, description="Destination address")]
Ref = Annotated[str, Field(max_length=200), AfterValidator(no_nul)]
WebhookUrl = Annotated[HttpUrlText, AfterValidator(no_nul)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


AssetSymbol = Annotated[
    str,
    Field(max_length=32, description="Asset with network suffix, e.g. USDT-TRC20"),
    AfterValidator(lambda value: value.strip().upper()),
]


class EstimateFee(_Request):
    """Fee estimate for a withdrawal of ``amount`` (what the destination receives)."""

    asset: AssetSymbol
    amount: PositiveDecimal = Field(description="Exact amount the destination will receive")
    destination_address: Address | None = Field(
        default=None, description="Validated against the asset's chain when given"
    )
    destination_tag: Tag | None = Field(default=None, description="XRP only")


class CreateWithdrawal(_Request):
    """Send ``amount`` of ``asset`` to ``destination_address``; fees are charged on top."""

    asset: AssetSymbol
    amount: PositiveDecimal = Field(description="Exact crypto amount the destination receives")
    destination_address: Address
    destination_tag: Tag | None = Field(
        default=None, description="XRP only (an X-address carries its own tag)"
    )
    webhook_url: WebhookUrl = Field(description="Your endpoint for this withdrawal's events")
    external_ref: Ref | None = None
    label: Ref | None = None
    estimate_only: StrictBool = Field(
        default=False, description="Run every check and return the fees without moving funds"
    )


class Recipient(_Request):
    address: Address
    amount: PositiveDecimal = Field(description="Exact crypto amount this recipient receives")
    destination_tag: Tag | None = Field(default=None, description="XRP only")
    external_ref: Ref | None = None
    label: Ref | None = None


class CreateBatch(_Request):
    """Up to 100 payouts of one asset, checked and held as one total before anything moves."""

    asset: AssetSymbol
    recipients: list[Recipient]
    external_ref: Ref | None = None
    label: Ref | None = None
    webhook_url: WebhookUrl | None = Field(
        default=None, description="Your endpoint for batch and per-payout events"
    )
    estimate_only: StrictBool = False

    @field_validator("recipients")
    @classmethod
    def _count(cls, value: list[Recipient]) -> list[Recipient]:
        if not value:
            raise ValueError("at least one recipient is required")
        if len(value) > MAX_RECIPIENTS:
            raise ValueError(f"at most {MAX_RECIPIENTS} recipients per batch, got {len(value)}")
        return value


class Decision(_Request):
    approve: StrictBool = Field(description="true approves the draft, false rejects it")


class ValidateAddress(_Request):
    """Give ``asset`` (e.g. USDT-TRC20) or ``chain`` (e.g. tron)."""

    address: str = Field(max_length=256)
    asset: str | None = Field(default=None, max_length=32)
    chain: str | None = Field(default=None, max_length=16)
    destination_tag: Tag | None = None


# --- responses (OpenAPI documentation) --------------------------------------------------------


class EstimateResponse(BaseModel):
    asset: str
    amount: Decimal
    platform_fee: str
    estimated_network_fee: str
    total_required: str
    balance_available: str
    sufficient_balance: bool


class WithdrawalView(BaseModel):
    id: str
    status: str
    asset: str
    network: str
    amount_sent: Decimal
    destination_address: str
    destination_tag: int | None
    tx_hash: str | None
    explorer_url: str | None
    platform_fee: str
    platform_fee_usd: str
    estimated_network_fee: str
    network_fee_native: str
    network_fee_refunded: str
    total_deducted: str
    confirmations: int
    confirmations_required: int
    external_ref: str | None
    label: str | None
    batch_id: str | None
    error: str | None
    created_at: str
    updated_at: str
    completed_at: str | None
    message: str


class WithdrawalResponse(BaseModel):
    success: bool
    withdrawal: WithdrawalView


class WithdrawalList(BaseModel):
    withdrawals: list[WithdrawalView]
    total: int
    limit: int
    offset: int


class Breakdown(BaseModel):
    asset: str
    amount: Decimal
    platform_fee: str
    platform_fee_usd: str
    estimated_network_fee: str
    network_fee_native: str
    total_required: str
    balance_available: str
    sufficient_balance: bool


class WithdrawalEstimate(Breakdown):
    success: bool
    estimate_only: bool
    destination_address: str
    destination_tag: int | None
    requires_approval: bool


class BatchItem(BaseModel):
    id: str
    address: str
    amount: Decimal
    status: str
    external_ref: str | None
    tx_hash: str | None


class BatchResponse(BaseModel):
    success: bool | None = None
    batch_id: str
    status: str
    asset: str
    total_recipients: int
    total_amount: Decimal
    total_fees_usd: str
    total_platform_fee: str
    total_network_fee: str
    total_required: str
    completed: int
    failed: int
    in_progress: int
    external_ref: str | None
    label: str | None
    withdrawals: list[BatchItem]
    created_at: str
    updated_at: str


class BatchEstimate(BaseModel):
    success: bool
    estimate_only: bool
    asset: str
    total_recipients: int
    total_amount: Decimal
    total_fees_usd: str
    total_platform_fee: str
    total_network_fee: str
    total_required: str
    balance_available: str
    sufficient_balance: bool
    requires_approval: bool
    recipients: list[Breakdown]


class AddressCheck(BaseModel):
    valid: bool
    address: str
    destination_tag: int | None
    chain: str
    network: str
    message: str | None = None
    reason: str | None = None
