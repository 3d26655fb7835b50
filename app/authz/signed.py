"""Signed requests of integration clients (签名请求, as government gateways sign): the
alternative to a bearer token that ``get_principal`` takes when a request carries
``X-Redgrid-Signature``. The canonical form and algorithms are ``app.kit.signing``'s.

Checked in this order, each refusal a 401 with its own code and nothing changed:
every header present (``signature.missing``) and well-formed (``signature.malformed``);
the app key names an active client holding a signing key (``signature.unknown_client``);
the timestamp within ``signature_window_seconds`` of our clock (``signature.expired``);
the signature right for the exact method, path, query, timestamp, nonce and body
(``signature.bad``); and only then the nonce spent, once across every worker
(``signature.replayed``), so a forged request cannot burn a client's nonces. The caller
is then the same principal a ``client_credentials`` token gives (all its scopes).
"""

import time

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.authz import principals, repository
from app.authz.errors import (
    SignatureBad,
    SignatureExpired,
    SignatureMalformed,
    SignatureMissing,
    SignatureReplayed,
    SignatureUnknownClient,
)
from app.authz.principal import Principal
from app.kit import signing
from app.kit.nonces import NonceStore
from app.kit.types import has_control_characters


def presented(request: Request) -> bool:
    """Whether the request means to be signed (it carries a signature header)."""
    return signing.SIGNATURE_HEADER in request.headers


async def authenticate(request: Request, session: AsyncSession) -> Principal:
    headers = request.headers
    values = {name: headers.get(name) for name in signing.HEADERS}
    absent = [name for name, value in values.items() if not value]
    if absent:
        raise SignatureMissing(
            f"缺少请求头：{', '.join(absent)}", f"Missing headers: {', '.join(absent)}"
        )
    key = values[signing.KEY_HEADER] or ""
    timestamp = values[signing.TIMESTAMP_HEADER] or ""
    nonce = values[signing.NONCE_HEADER] or ""
    signature = values[signing.SIGNATURE_HEADER] or ""
    if len(key) > 64 or has_control_characters(key):
        raise SignatureMalformed(
            f"{signing.KEY_HEADER} 至多 64 个可见字符",
            f"{signing.KEY_HEADER} is at most 64 printable characters",
        )
    if not signing.TIMESTAMP_RE.match(timestamp):
        raise SignatureMalformed(
            f"{signing.TIMESTAMP_HEADER} 应为 Unix 秒数",
            f"{signing.TIMESTAMP_HEADER} is Unix time in seconds",
        )
    if not signing.NONCE_RE.match(nonce):
        raise SignatureMalformed(
            f"{signing.NONCE_HEADER} 应为 16 至 64 位字母、数字、- 或 _",
            f"{signing.NONCE_HEADER} is 16 to 64 letters, digits, - or _",
        )
    if not signing.SIGNATURE_RE.match(signature):
        raise SignatureMalformed(
            f"{signing.SIGNATURE_HEADER} 应为 64 位小写十六进制",
            f"{signing.SIGNATURE_HEADER} is 64 lower-case hex digits",
        )

    found = await repository.get_active_client(session, key)
    client = found[0] if found else None
    if client is None or client.signing_secret is None or client.signing_algorithm is None:
        raise SignatureUnknownClient()

    window: int = request.app.state.settings.signature_window_seconds
    if abs(time.time() - int(timestamp)) > window:
        raise SignatureExpired(
            f"时间戳须在服务器时间前后 {window} 秒内",
            f"The timestamp must be within {window} s of the server's clock",
            server_time=int(time.time()),
        )

    canonical = signing.canonical_request(
        client.signing_algorithm,
        request.method,
        _raw_path(request),
        request.url.query,
        timestamp,
        nonce,
        await _body(request),
    )
    if not signing.verify(client.signing_algorithm, client.signing_secret, canonical, signature):
        raise SignatureBad()

    nonces: NonceStore = request.app.state.nonce_store
    if not await nonces.claim(client.client_id, nonce, 2 * window):
        raise SignatureReplayed()

    principal = await principals.load(session, f"client:{client.client_id}")
    if principal is None:  # deactivated in between
        raise SignatureUnknownClient()
    return principal


def _raw_path(request: Request) -> str:
    """The path as sent (percent-encoded); the canonical form decodes it once."""
    raw: bytes | None = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


async def _body(request: Request) -> bytes:
    """The raw body: as read (and cached) by the handler's JSON parsing, read now, or,
    when form parsing consumed the stream, as ``CaptureSignedBody`` kept it."""
    try:
        return await request.body()
    except RuntimeError:  # "Stream consumed"
        kept = signing.captured_body(request.scope)
        if kept is None:
            raise SignatureBad() from None
        return kept
