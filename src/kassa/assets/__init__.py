"""The asset registry: chains and assets Kassa knows, loaded from ``assets.toml``."""
