"""The devnet: Kassa's built-in test network for every asset, with its state in the database."""
