"""Optimistic concurrency with ETag / If-Match (RFC 9110 §13.1.1).

Versioned resources expose ``ETag: W/"<version>"``; updates must send it back in
``If-Match``. A stale version answers 412, a missing one 428.
"""

from app.errors import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    return f'W/"{version}"'


def parse_if_match(header: str | None) -> int:
    """The version named by ``If-Match``; raises 428 when absent, 412 when unparseable."""
    if header is None or not header.strip():
        raise PreconditionRequired()
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionFailed()
    return int(value)


def check_version(header: str | None, current: int) -> None:
    if parse_if_match(header) != current:
        raise PreconditionFailed(current_etag=etag_for(current))
