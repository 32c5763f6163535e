"""Keys: receive-side address derivation from account xpubs, and the seed-holding private side."""
