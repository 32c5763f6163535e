"""Endpoints of this domain (to be built)."""

from __future__ import annotations

from fastapi import APIRouter

from kassa.kit.api import ExactRoute

router = APIRouter(route_class=ExactRoute)
