"""Models of the invoice domain."""

from __future__ import annotations
