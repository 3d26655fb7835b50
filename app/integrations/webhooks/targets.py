"""Receiver URLs are requests our server makes on a caller's behalf (OWASP API7:2023,
SSRF): https only, and every address the host resolves to must be public — no
private, loopback, link-local, shared, multicast or reserved address — checked after
DNS resolution, at subscription and again at every delivery. The request then goes to
the address that was checked (the URL's host stays in ``Host`` and TLS SNI), so a DNS
answer that changes between check and connect (rebinding) cannot redirect it.
``webhook_allow_private_urls`` lifts the rules for tests and development.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RESOLVE_TIMEOUT_SECONDS = 5.0


class UnsafeUrl(Exception):
    """The URL may not be called; ``reason`` says why (a stable word)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    parts: SplitResult
    host: str
    """The URL's host in ASCII (IDNA), for ``Host`` and SNI."""
    address: IPAddress

    @property
    def request_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = literal if self.parts.port is None else f"{literal}:{self.parts.port}"
        return urlunsplit((self.parts.scheme, netloc, self.parts.path or "/", self.parts.query, ""))

    @property
    def host_header(self) -> str:
        return self.host if self.parts.port is None else f"{self.host}:{self.parts.port}"


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_syntax(url: str, *, allow_private: bool) -> tuple[SplitResult, str]:
    """The URL's parts and ASCII host, or ``UnsafeUrl`` (scheme, credentials, host, port)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise UnsafeUrl("malformed") from None
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UnsafeUrl("scheme")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("credentials")
    if not parts.hostname:
        raise UnsafeUrl("host")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsafeUrl("host") from None
    return parts, host


async def resolve(url: str, *, allow_private: bool) -> Target:
    """Checks ``url`` and resolves its host; every address must pass, and the first
    is the one to connect to."""
    parts, host = check_syntax(url, allow_private=allow_private)
    addresses = await _addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        raise UnsafeUrl("unresolvable")
    if not allow_private and not all(is_public(address) for address in addresses):
        raise UnsafeUrl("private_address")
    return Target(parts=parts, host=host, address=addresses[0])


async def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        raise UnsafeUrl("unresolvable") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found
