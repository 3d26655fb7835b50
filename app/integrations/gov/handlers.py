"""Step reports hear the relay: importing this module registers the consumer (the
worker imports it)."""

from app.integrations import events
from app.integrations.gov import outbound

events.consume(events.Consumer(name=outbound.CONSUMER, handle=outbound.fan_out))
