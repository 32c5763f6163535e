"""Sweeps: funds on deposit addresses move to the hot wallet (EVM chains: native directly,
tokens after a gas top-up), and the operator's report of on-chain holdings against the ledger."""
