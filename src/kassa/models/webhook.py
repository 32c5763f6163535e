"""Models of the webhook domain."""

from __future__ import annotations
