"""The one exception tree of Kassa.

Every error Kassa raises on purpose derives from :class:`KassaError`.

* :class:`HTTPError` subclasses carry the HTTP status they map to; the API renders them as
  ``{"error": message}`` with that status. Their message is written for the client.
* :class:`RetriableError` subclasses are raised by ports (chains, price feeds, webhook targets)
  when an operation may succeed later; ``retry_after`` is the suggested delay in seconds.

Anything else that escapes a request handler is a bug: it is logged and answered with a generic
500 that never contains a traceback.
"""

from __future__ import annotations


class KassaError(Exception):
    """Root of every error Kassa raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HTTPError(KassaError):
    """An error the API answers with ``status_code`` and ``{"error": message}``."""

    status_code: int = 400


class BadRequest(HTTPError):
    """400: missing or invalid parameters."""

    status_code = 400


class Unauthorized(HTTPError):
    """401: missing or invalid API key."""

    status_code = 401


class Forbidden(HTTPError):
    """403: the merchant is disabled or the key lacks the scope."""

    status_code = 403


class NotFound(HTTPError):
    """404: the object does not exist or belongs to another merchant."""

    status_code = 404


class Conflict(HTTPError):
    """409: the request conflicts with the current state."""

    status_code = 409


class PayloadTooLarge(HTTPError):
    """413: the request body exceeds the configured limit."""

    status_code = 413


class ServiceUnavailable(HTTPError):
    """503: a price feed, chain node or other dependency is temporarily down."""

    status_code = 503


class RetriableError(KassaError):
    """A port failed in a way that may succeed later; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChainUnavailable(RetriableError):
    """The chain node could not be reached or answered garbage."""


class PriceUnavailable(RetriableError):
    """The price feed could not be reached or answered garbage."""


class BroadcastRejected(KassaError):
    """The node refused a transaction for good (invalid, insufficient funds for fee, ...)."""


class InvalidAddress(BadRequest):
    """An address failed format or checksum validation for its chain.

    ``message`` is the client-facing text; ``reason`` is the precise cause, for logs and tests.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason
