"""WeChat's server API for subscribe messages (订阅消息): the access token
(``GET /cgi-bin/token``) and ``subscribeMessage.send``
(``POST /cgi-bin/message/subscribe/send``). Plain HTTP calls, no database.

WeChat answers HTTP 200 with ``errcode`` and ``errmsg``; what each code means for us
is ``classify``: the documented codes, sorted by what to do next.
"""

import enum
import json
from dataclasses import dataclass
from typing import Any

import httpx

from app.integrations.wechat.client import WechatUnavailable


class Verdict(enum.StrEnum):
    sent = "sent"
    refused = "refused"
    """43101: the user has not subscribed, or refused this template: never retried."""
    token = "token"
    """40001 / 40014 / 42001: the access token is invalid or expired: refresh, resend."""
    later = "later"
    """-1 (system busy), 45009 / 45011 (quota, rate limit), or no answer: try again later."""
    failed = "failed"
    """40003 (openid), 40037 (template id), 47003 (template data) …: our mistake, final."""


TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
LATER_ERRCODES = frozenset({-1, 45009, 45011, 45047})
REFUSED_ERRCODES = frozenset({43101})


def classify(errcode: int | None) -> Verdict:
    if errcode == 0:
        return Verdict.sent
    if errcode in REFUSED_ERRCODES:
        return Verdict.refused
    if errcode in TOKEN_ERRCODES:
        return Verdict.token
    if errcode is None or errcode in LATER_ERRCODES:
        return Verdict.later
    return Verdict.failed


@dataclass(frozen=True)
class Token:
    value: str
    expires_in: int
    """Seconds, as WeChat says (7200)."""


async def fetch_token(base_url: str, *, app_id: str, secret: str, timeout_seconds: float) -> Token:
    """A fresh access token (``grant_type=client_credential``)."""
    params = {"grant_type": "client_credential", "appid": app_id, "secret": secret}
    body = await _call(
        "GET", f"{base_url.rstrip('/')}/cgi-bin/token", timeout_seconds, params=params
    )
    token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int):
        errcode = body.get("errcode")
        raise WechatUnavailable(
            errcode if isinstance(errcode, int) else None, str(body.get("errmsg", "no token"))
        )
    return Token(token, expires_in)


@dataclass(frozen=True)
class Answer:
    errcode: int | None
    """None when WeChat could not be reached or answered nonsense."""
    errmsg: str

    @property
    def verdict(self) -> Verdict:
        return classify(self.errcode)


async def send(
    base_url: str, token: str, message: dict[str, Any], *, timeout_seconds: float
) -> Answer:
    url = f"{base_url.rstrip('/')}/cgi-bin/message/subscribe/send"
    try:
        body = await _call(
            "POST", url, timeout_seconds, params={"access_token": token}, json_body=message
        )
    except WechatUnavailable as exc:
        return Answer(None, exc.errmsg[:200])
    errcode = body.get("errcode", 0)
    return Answer(errcode if isinstance(errcode, int) else None, str(body.get("errmsg", ""))[:200])


async def _call(
    method: str,
    url: str,
    timeout_seconds: float,
    *,
    params: dict[str, str],
    json_body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds) as http:
            response = await http.request(method, url, params=params, json=json_body)
    except httpx.HTTPError as exc:
        raise WechatUnavailable(None, type(exc).__name__) from None
    if response.status_code != 200:
        raise WechatUnavailable(None, f"HTTP {response.status_code}")
    try:
        body = json.loads(response.text)
    except ValueError:
        raise WechatUnavailable(None, "response is not JSON") from None
    if not isinstance(body, dict):
        raise WechatUnavailable(None, "response is not a JSON object")
    return body
