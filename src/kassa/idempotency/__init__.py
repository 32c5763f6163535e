"""Idempotency keys for requests that move money (payments, withdrawals, batch payouts).

A client sends ``Idempotency-Key: <1-255 visible ASCII characters>``. Keys are scoped per
merchant and kept for at least ``KASSA_IDEMPOTENCY_TTL_HOURS`` (24 h by default):

* the same key with the same method, path and JSON body replays the first response (status and
  body, plus ``Idempotent-Replayed: true``) without doing anything again;
* the same key with a different request is refused with 409;
* while the first request is still being processed, a retry gets 409;
* only a 2xx response is stored: an error means nothing was done, and the key is released so the
  same request can be sent again;
* with ``KASSA_REQUIRE_IDEMPOTENCY_KEY=true`` a payout without a key is refused with 428.

The key is claimed (committed as "in flight") before the effect runs; the effect and the stored
response are then committed in one transaction, so a crash can never leave an effect without its
response or a response without its effect.
"""
