"""Withdrawals, batch payouts, fee estimation, approvals and idempotency."""
