"""Events (the outbox) and their signed, retried, logged delivery to webhook targets.

Receivers written in Python can check a request with :func:`verify`::

    from kassa.webhooks import verify
    payload = verify(request_body, request_headers, "whsec_...")
"""

from kassa.webhooks.signing import InvalidSignature, verify

__all__ = ["InvalidSignature", "verify"]
