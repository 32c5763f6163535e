"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from kassa.config import Settings
from kassa.kit.api import ExactJSONResponse, ExactRoute, install_error_handlers
from kassa.kit.guards import BodyLimitMiddleware, RejectNulMiddleware
from kassa.kit.openapi import install_openapi
from kassa.runtime import Runtime

log = logging.getLogger(__name__)

DESCRIPTION = """Kassa is a self-hosted cryptocurrency payment gateway.

Authenticate with `Authorization: Bearer ks_...`. Every error is `{"error": "..."}`.
Amounts are exact decimals: send them as JSON numbers or strings; they are never rounded through
binary floating point.
"""


def api_router() -> APIRouter:
    from kassa.chains.devnet.endpoints import router as devnet_router
    from kassa.invoices.endpoints import router as invoices_router
    from kassa.ledger.endpoints import router as ledger_router
    from kassa.payments.endpoints import router as payments_router
    from kassa.prices.endpoints import router as prices_router
    from kassa.webhooks.endpoints import router as webhooks_router
    from kassa.withdrawals.endpoints import router as withdrawals_router

    router = APIRouter(prefix="/api", route_class=ExactRoute)
    for domain in (
        prices_router,
        payments_router,
        ledger_router,
        webhooks_router,
        withdrawals_router,
        invoices_router,
        devnet_router,
    ):
        router.include_router(domain)
    return router


def pages_router() -> APIRouter:
    from kassa.checkout.pages import router as checkout_router
    from kassa.dashboard.pages import router as dashboard_router

    router = APIRouter(include_in_schema=False)
    router.include_router(checkout_router)
    router.include_router(dashboard_router)
    return router


def create_app(
    settings: Settings,
    runtime: Runtime | None = None,
    *,
    background: Callable[[Runtime], Awaitable[Callable[[], Awaitable[None]]]] | None = None,
) -> FastAPI:
    """Build the app. With ``runtime`` given (tests), the caller owns its lifecycle.

    ``background`` starts workers inside the API process (``kassa serve``) and returns their stop
    function.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        rt = runtime or await Runtime.start(settings)
        app.state.runtime = rt
        stop = await background(rt) if background else None
        try:
            yield
        finally:
            if stop:
                await stop()
            if owned:
                await rt.close()

    app = FastAPI(
        title="Kassa",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=ExactJSONResponse,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )
    if runtime is not None:
        app.state.runtime = runtime
    install_error_handlers(app)
    install_openapi(app)

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RejectNulMiddleware)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "network": settings.network}

    app.include_router(api_router())
    app.include_router(pages_router())
    from kassa.checkout.web import static_files

    app.mount("/static/checkout", static_files("kassa.checkout"), name="checkout-static")
    app.mount("/static/dashboard", static_files("kassa.dashboard"), name="dashboard-static")
    return app
