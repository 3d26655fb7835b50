"""The inbox hears the relay: importing this module registers the consumer (the
worker imports it)."""

from app.integrations import events
from app.notifications import service

events.consume(events.Consumer(name=service.CONSUMER, handle=service.fan_out))
