"""Chain adapters: one protocol, one folder per chain family."""
