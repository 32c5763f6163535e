"""Per-chain sync: follow the head, survive reorgs, match transfers, count confirmations."""
