"""Events (the outbox) and, later, their signed delivery to webhook endpoints."""
