"""Payment intents: creation, deposit targets, the receipt lifecycle and its events."""
