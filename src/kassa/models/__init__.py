"""SQLAlchemy models: every table Kassa has. Import from here so metadata is complete."""

from kassa.models import evm, idempotency, invoice, webhook, withdrawal  # noqa: F401 - register tables
from kassa.models.base import Base
from kassa.models.chain import ChainBlock, ChainCursor, WorkerLease
from kassa.models.devnet import DevnetBlock, DevnetTx, DevnetWallet
from kassa.models.event import Event
from kassa.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from kassa.models.merchant import ApiKey, Merchant
from kassa.models.payment import AddressCounter, AddressPool, DepositAddress, Payment, Receipt

__all__ = [
    "AddressCounter",
    "AddressPool",
    "ApiKey",
    "Base",
    "ChainBlock",
    "ChainCursor",
    "DepositAddress",
    "DevnetBlock",
    "DevnetTx",
    "DevnetWallet",
    "Event",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Merchant",
    "Payment",
    "Receipt",
    "WorkerLease",
]
