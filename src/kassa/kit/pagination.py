"""``limit`` / ``offset`` query parameters with precise 400s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def page_params(default_limit: int) -> object:
    def dependency(
        limit: Annotated[
            int, Query(ge=1, le=MAX_LIMIT, description="Results per page (max 200)")
        ] = default_limit,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="Pagination offset")] = 0,
    ) -> Page:
        return Page(limit=limit, offset=offset)

    return dependency


PageDep = Annotated[Page, Depends(page_params(50))]
PageDep20 = Annotated[Page, Depends(page_params(20))]
