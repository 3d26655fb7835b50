"""A fake WeChat server: a real HTTP server on loopback, in a thread.

It behaves like ``https://api.weixin.qq.com`` as far as we use it, answering HTTP 200
with a JSON body (served as ``text/plain``, as WeChat does):

- ``/sns/jscode2session``: ``errcode`` 40013 for an unknown appid, 40125 for a wrong
  secret, 40029 for an unknown code, 40163 for a code used twice; otherwise
  ``openid``, ``session_key`` and, when the user is bound to an open platform
  account, ``unionid``;
- ``/cgi-bin/token``: a new ``access_token`` (7200 s) for a known appid and secret;
- ``/cgi-bin/message/subscribe/send``: 40001 for an unknown token, 42001 for an
  expired one, 47003 for a malformed body, then any error scripted for the openid
  (``fail_next``); otherwise the message is kept in ``sent``;
- ``/wxa/business/getuserphonenumber``: 40001 / 42001 for an unknown or expired token,
  40029 for an unknown phone code, 40163 for one used twice; otherwise ``phone_info``
  with the number registered by ``add_phone_code``.
"""

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class FakeWechat:
    apps: dict[str, str]
    """appid → secret the fake accepts."""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    calls: list[dict[str, str]] = field(default_factory=list)
    token_calls: list[dict[str, str]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    """Live access token → its appid."""
    expired: set[str] = field(default_factory=set)
    scripted: dict[str, list[int]] = field(default_factory=dict)
    """openid → errcodes its next sends answer, in turn."""
    sent: list[dict[str, Any]] = field(default_factory=list)
    send_attempts: list[dict[str, Any]] = field(default_factory=list)
    phone_codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """getPhoneNumber code → (number, country code)."""
    phone_calls: list[dict[str, Any]] = field(default_factory=list)
    token_delay: float = 0.0
    """Seconds ``/cgi-bin/token`` takes to answer (to make refreshes overlap)."""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_code(self, code: str, *, openid: str, unionid: str | None = None) -> None:
        body: dict[str, Any] = {"openid": openid, "session_key": f"sk-{code}"}
        if unionid:
            body["unionid"] = unionid
        self.codes[code] = body

    def add_phone_code(self, code: str, number: str, country: str = "86") -> None:
        self.phone_codes[code] = (number, country)

    def add_error(self, code: str, errcode: int, errmsg: str) -> None:
        self.codes[code] = {"errcode": errcode, "errmsg": errmsg}

    def reset(self) -> None:
        self.codes.clear()
        self.used.clear()
        self.calls.clear()
        self.token_calls.clear()
        self.tokens.clear()
        self.expired.clear()
        self.scripted.clear()
        self.sent.clear()
        self.send_attempts.clear()
        self.phone_codes.clear()
        self.phone_calls.clear()

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001 (access_token expired)."""
        self.expired |= set(self.tokens)

    def fail_next(self, openid: str, *errcodes: int) -> None:
        self.scripted.setdefault(openid, []).extend(errcodes)

    async def _token(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.token_calls.append(params)
        await asyncio.sleep(self.token_delay)
        appid = params.get("appid", "")
        if params.get("grant_type") != "client_credential":
            return _json({"errcode": 40002, "errmsg": "invalid grant_type"})
        if appid not in self.apps or params.get("secret") != self.apps[appid]:
            return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"token-{appid}-{len(self.token_calls)}"
        self.tokens[token] = appid
        return _json({"access_token": token, "expires_in": 7200})

    async def _send(self, request: Request) -> Response:
        token = request.query_params.get("access_token", "")
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        self.send_attempts.append({"token": token, "body": body})
        if token not in self.tokens:
            return _json({"errcode": 40001, "errmsg": "invalid credential"})
        if token in self.expired:
            return _json({"errcode": 42001, "errmsg": "access_token expired"})
        if not _well_formed(body):
            return _json({"errcode": 47003, "errmsg": "argument invalid! data.thing2.value"})
        queued = self.scripted.get(body["touser"])
        if queued:
            errcode = queued.pop(0)
            return _json({"errcode": errcode, "errmsg": f"scripted {errcode}"})
        self.sent.append(body)
        return _json({"errcode": 0, "errmsg": "ok", "msgid": len(self.sent)})

    async def _phone(self, request: Request) -> Response:
        token = request.query_params.get("access_token", "")
        try:
            code = json.loads(await request.body()).get("code", "")
        except (ValueError, AttributeError):
            code = ""
        self.phone_calls.append({"token": token, "code": code})
        if token not in self.tokens:
            return _json({"errcode": 40001, "errmsg": "invalid credential"})
        if token in self.expired:
            return _json({"errcode": 42001, "errmsg": "access_token expired"})
        if code in self.used:
            return _json({"errcode": 40163, "errmsg": "code been used"})
        if code not in self.phone_codes:
            return _json({"errcode": 40029, "errmsg": "invalid code"})
        self.used.add(code)
        number, country = self.phone_codes[code]
        return _json(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": number if country == "86" else f"+{country}{number}",
                    "purePhoneNumber": number,
                    "countryCode": country,
                    "watermark": {"timestamp": int(time.time()), "appid": self.tokens[token]},
                },
            }
        )

    async def _jscode2session(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.calls.append(params)
        return Response(json.dumps(self._answer(params)), media_type="text/plain")

    def _answer(self, params: dict[str, str]) -> dict[str, Any]:
        appid, code = params.get("appid", ""), params.get("js_code", "")
        if appid not in self.apps:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if params.get("secret") != self.apps[appid]:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if params.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if code in self.used:
            return {"errcode": 40163, "errmsg": "code been used"}
        if code not in self.codes:
            return {"errcode": 40029, "errmsg": "invalid code"}
        self.used.add(code)
        return self.codes[code]

    def start(self) -> "FakeWechat":
        app = Starlette(
            routes=[
                Route("/sns/jscode2session", self._jscode2session),
                Route("/cgi-bin/token", self._token),
                Route("/cgi-bin/message/subscribe/send", self._send, methods=["POST"]),
                Route("/wxa/business/getuserphonenumber", self._phone, methods=["POST"]),
            ]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake WeChat server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), media_type="text/plain")


# WeChat's limits for the value of a template key, by its kind (thing20 etc.).
_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "number": 32, "time": 30}


def _well_formed(body: Any) -> bool:
    """What subscribeMessage.send insists on: touser, template_id, and data whose every
    key maps to {"value": text} within the limit of the key's kind."""
    if not isinstance(body, dict) or not body.get("touser") or not body.get("template_id"):
        return False
    data = body.get("data")
    if not isinstance(data, dict) or not data:
        return False
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        limit = _LIMITS.get(key.rstrip("0123456789"), 20)
        if not isinstance(value, str) or not value or len(value) > limit:
            return False
    return True
