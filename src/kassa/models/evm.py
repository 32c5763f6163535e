"""Models of the evm domain."""

from __future__ import annotations
