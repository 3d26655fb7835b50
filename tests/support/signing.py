"""Signing requests as an integrator would, written from the README's definition with
the standard library (and ``cryptography`` only for SM3), not with ``app.kit.signing``:
a slip in the server's canonical form then shows up as a refused signature."""

import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac


def digest(algorithm: str, data: bytes) -> str:
    if algorithm == "hmac-sha256":
        return hashlib.sha256(data).hexdigest()
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def mac(algorithm: str, key: str, message: str) -> str:
    if algorithm == "hmac-sha256":
        return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
    h = crypto_hmac.HMAC(key.encode(), hashes.SM3())
    h.update(message.encode())
    return h.finalize().hex()


def canonical(
    algorithm: str, method: str, url: str, timestamp: str, nonce: str, body: bytes
) -> str:
    parts = urlsplit(url)
    path = quote(unquote(parts.path or "/"), safe="/")
    pairs = sorted(
        (quote(k, safe=""), quote(v, safe=""))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    query = "&".join(f"{k}={v}" for k, v in pairs)
    return "\n".join([method.upper(), path, query, timestamp, nonce, digest(algorithm, body)])


def signed(
    algorithm: str,
    key: str,
    secret: str,
    method: str,
    url: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four signature headers for a request to ``url`` (path and query)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        "X-Redgrid-Key": key,
        "X-Redgrid-Timestamp": stamp,
        "X-Redgrid-Nonce": nonce,
        "X-Redgrid-Signature": mac(
            algorithm, secret, canonical(algorithm, method, url, stamp, nonce, body)
        ),
    }


def verifies(
    algorithm: str, secret: str, method: str, url: str, headers: dict[str, str], body: bytes
) -> bool:
    """Whether ``headers`` (lower-case names, as a receiver sees them) sign the request."""
    expected = mac(
        algorithm,
        secret,
        canonical(
            algorithm,
            method,
            url,
            headers["x-redgrid-timestamp"],
            headers["x-redgrid-nonce"],
            body,
        ),
    )
    return hmac.compare_digest(expected, headers.get("x-redgrid-signature", ""))
