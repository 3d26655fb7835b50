"""The outermost ASGI middleware: request id, body limit, access log, metrics, 500s.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so it streams, and so that a
client that disconnects mid-request cancels the handler cleanly instead of
leaving a half-used database connection behind.
"""

import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.i18n import negotiate_language
from app.observability import HTTP_LATENCY, HTTP_REQUESTS, set_client_ip, set_request_id
from app.problems import STATUS_PROBLEMS, problem_response

logger = logging.getLogger("redgrid.http")
FILES_PATH = "/api/v1/files"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(HTTPException):
    """Raised while streaming a body past the limit; FastAPI re-raises HTTPExceptions."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        max_file_bytes: int = 10 * 1024 * 1024,
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.max_body_bytes = max_body_bytes
        # Bulk imports (paths ending in /import) take files far larger than JSON bodies.
        self.max_upload_bytes = max_upload_bytes
        # Photo and voice uploads (POST /api/v1/files, multipart).
        self.max_file_bytes = max_file_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        set_request_id(request_id)
        set_client_ip((scope.get("client") or (None,))[0])
        lang = negotiate_language(headers.get("accept-language"))
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                    *self._security_headers(scope, message.get("headers", [])),
                ]
            await send(message)

        received = 0
        path = scope.get("path", "")
        limit = (
            self.max_upload_bytes
            if path.endswith("/import")
            else self.max_file_bytes
            if path == FILES_PATH
            else self.max_body_bytes
        )

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        try:
            declared = headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge()
            await self.app(scope, receive_wrapper, send_wrapper)
        except BodyTooLarge:
            if not response_started:
                await self._problem(scope, send_wrapper, 413, lang)
        except Exception:
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            if not response_started:
                await self._problem(scope, send_wrapper, 500, lang)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(elapsed)
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope.get("path"),
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": (scope.get("client") or ("-",))[0],
                },
            )
            set_request_id(None)

    def _security_headers(
        self, scope: Scope, sent: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """nosniff on everything; HSTS where served over HTTPS; and ``no-store`` on
        every API answer that sets no caching of its own: they are per caller and many
        carry personal data (people, exports, /me), so neither a browser nor a proxy
        may keep them (PIPL; 等保 2.0 剩余信息保护). One rule here, so a new route
        cannot forget it."""
        extra = [(b"x-content-type-options", b"nosniff")]
        if self.hsts or scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        names = {name.lower() for name, _ in sent}
        if scope.get("path", "").startswith("/api/") and b"cache-control" not in names:
            extra.append((b"cache-control", b"no-store"))
        return extra

    async def _problem(self, scope: Scope, send: Send, status: int, lang: str) -> None:
        code, zh, en = STATUS_PROBLEMS[status]
        response = problem_response(
            status=status,
            code=code,
            title=en if lang == "en" else zh,
            detail=en if lang == "en" else zh,
            lang="en" if lang == "en" else "zh",
            instance=scope.get("path"),
        )

        async def empty_receive() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, empty_receive, send)
