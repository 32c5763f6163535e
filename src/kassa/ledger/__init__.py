"""The double-entry ledger: append-only journal, running balances checkable against entries."""
