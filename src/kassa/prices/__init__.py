"""Prices: a PriceSource port (CoinGecko, static file), a cache, and the /api/prices endpoints."""
