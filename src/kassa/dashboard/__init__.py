"""The merchant dashboard (/dashboard)."""
