"""A fake WeChat ``code2Session`` server: a real HTTP server on loopback, in a thread.

It behaves like ``https://api.weixin.qq.com/sns/jscode2session`` as far as we use it:
HTTP 200 with a JSON body served as ``text/plain``; ``errcode`` 40013 for an unknown
appid, 40125 for a wrong secret, 40029 for an unknown code, 40163 for a code used
twice; otherwise ``openid``, ``session_key`` and, when the user is bound to an open
platform account, ``unionid``.
"""

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

    def add_error(self, code: str, errcode: int, errmsg: str) -> None:
        self.codes[code] = {"errcode": errcode, "errmsg": errmsg}

    def reset(self) -> None:
        self.codes.clear()
        self.used.clear()
        self.calls.clear()

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
        app = Starlette(routes=[Route("/sns/jscode2session", self._jscode2session)])
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
