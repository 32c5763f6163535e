"""Models of the withdrawal domain."""

from __future__ import annotations
