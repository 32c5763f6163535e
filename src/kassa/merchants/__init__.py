"""Merchants, their API keys and scopes, and the authentication dependency."""
