"""Signed requests (签名请求) between redgrid and government systems (政务平台, 12345):
one canonical form of an HTTP request, signed with HMAC-SHA256 or HMAC-SM3
(GB/T 32905-2016, the national hash some provincial platforms require), both from
``cryptography``.

The canonical form is six lines joined by ``\\n`` (no trailing newline)::

    METHOD            upper case: POST
    PATH              percent-decoded, then encoded again keeping only A-Z a-z 0-9 - _ . ~ /
    QUERY             every pair decoded (``+`` is a space), each name and value encoded as
                      PATH is (``/`` encoded too), ``name=value`` sorted by name then value,
                      joined with ``&``; empty when there is no query
    TIMESTAMP         the X-Redgrid-Timestamp header: Unix seconds
    NONCE             the X-Redgrid-Nonce header
    BODY DIGEST       lower-case hex SHA-256 (hmac-sha256) or SM3 (hmac-sm3) of the raw body
                      bytes (of the empty string when there is none)

and the signature is the lower-case hex HMAC of the canonical form's UTF-8 bytes,
keyed with the UTF-8 bytes of the client's signing secret, in X-Redgrid-Signature.

``CaptureSignedBody`` keeps a copy of the body of a request that carries a signature
as the application reads it, so the verifier sees the exact bytes even when the
handler's form parsing has consumed the stream.
"""

import hmac
import re
import secrets
from collections.abc import Sequence
from typing import Final
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ALGORITHMS",
    "KEY_HEADER",
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CaptureSignedBody",
    "body_digest",
    "canonical_query",
    "canonical_request",
    "captured_body",
    "new_nonce",
    "new_signing_secret",
    "sign",
    "signed_headers",
    "verify",
]

HMAC_SHA256: Final = "hmac-sha256"
HMAC_SM3: Final = "hmac-sm3"
ALGORITHMS: Final = (HMAC_SHA256, HMAC_SM3)

KEY_HEADER: Final = "X-Redgrid-Key"
TIMESTAMP_HEADER: Final = "X-Redgrid-Timestamp"
NONCE_HEADER: Final = "X-Redgrid-Nonce"
SIGNATURE_HEADER: Final = "X-Redgrid-Signature"
HEADERS: Final = (KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)

NONCE_RE: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TIMESTAMP_RE: Final = re.compile(r"^[0-9]{1,12}$")
SIGNATURE_RE: Final = re.compile(r"^[0-9a-f]{64}$")
"""Both SHA-256 and SM3 digests are 32 bytes: 64 hex digits."""

_SCOPE_KEY: Final = "redgrid.signed_body"
_SIGNATURE_HEADER_RAW: Final = SIGNATURE_HEADER.lower().encode("latin-1")


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    if algorithm == HMAC_SHA256:
        return hashes.SHA256()
    if algorithm == HMAC_SM3:
        return hashes.SM3()
    raise ValueError(f"unknown signing algorithm {algorithm!r}")


def new_signing_secret() -> str:
    """32 random bytes as 64 hex digits; the HMAC key is the text's UTF-8 bytes."""
    return secrets.token_hex(32)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def body_digest(algorithm: str, body: bytes) -> str:
    digest = hashes.Hash(_hash(algorithm))
    digest.update(body)
    return digest.finalize().hex()


def _encode(value: str, *, keep_slash: bool) -> str:
    return quote(value, safe="/" if keep_slash else "")


def canonical_path(path: str) -> str:
    return _encode(unquote(path or "/"), keep_slash=True) or "/"


def canonical_query(raw_query: str) -> str:
    pairs = [
        (_encode(name, keep_slash=False), _encode(value, keep_slash=False))
        for name, value in parse_qsl(raw_query, keep_blank_values=True)
    ]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_request(
    algorithm: str, method: str, path: str, raw_query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    return "\n".join(
        (
            method.upper(),
            canonical_path(path),
            canonical_query(raw_query),
            timestamp,
            nonce,
            body_digest(algorithm, body),
        )
    )


def sign(algorithm: str, secret: str, canonical: str) -> str:
    mac = crypto_hmac.HMAC(secret.encode("utf-8"), _hash(algorithm))
    mac.update(canonical.encode("utf-8"))
    return mac.finalize().hex()


def verify(algorithm: str, secret: str, canonical: str, signature: str) -> bool:
    return hmac.compare_digest(sign(algorithm, secret, canonical), signature)


def signed_headers(
    algorithm: str,
    key: str,
    secret: str,
    method: str,
    url: str,
    body: bytes,
    *,
    timestamp: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers of a signed request to ``url`` (what a caller sends, and what
    redgrid sends to a platform's report URL)."""
    parts = urlsplit(url)
    nonce = nonce or new_nonce()
    canonical = canonical_request(
        algorithm, method, parts.path, parts.query, str(timestamp), nonce, body
    )
    return {
        KEY_HEADER: key,
        TIMESTAMP_HEADER: str(timestamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(algorithm, secret, canonical),
    }


class CaptureSignedBody:
    """Plain ASGI: for a request with an ``X-Redgrid-Signature`` header, keeps the body
    chunks the application receives (within the body limit of the outer middleware)
    in the scope; every other request passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(
            name == _SIGNATURE_HEADER_RAW for name, _ in scope["headers"]
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        scope[_SCOPE_KEY] = chunks

        async def tee() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        await self.app(scope, tee, send)


def captured_body(scope: Scope) -> bytes | None:
    """The body ``CaptureSignedBody`` kept so far, or None when it kept nothing."""
    chunks: Sequence[bytes] | None = scope.get(_SCOPE_KEY)
    return None if chunks is None else b"".join(chunks)
