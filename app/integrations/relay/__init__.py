"""The outbox relay: committed events, in order, to every consumer, exactly once."""
