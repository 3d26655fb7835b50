"""WeChat mini-program login: ``code2Session`` (小程序登录 · auth.code2Session).

The mini-program calls ``wx.login()`` and sends us the short-lived ``code``; we trade
it at WeChat for the user's ``openid`` (one per app) and, when the app is bound to an
open-platform account, the ``unionid`` shared by all of that account's apps.
WeChat answers HTTP 200 with an ``errcode`` member on failure, often as
``text/plain``, so the body is parsed whatever its content type.
"""

import json
from dataclasses import dataclass
from typing import Any

import httpx

# WeChat's errcodes for a code that is unknown, expired or already used: the
# caller's fault, unlike the others (bad app secret, rate limit, system busy).
INVALID_CODE_ERRCODES = frozenset({40029, 40163})


@dataclass(frozen=True)
class WechatSession:
    openid: str
    unionid: str | None
    session_key: str | None


class WechatError(Exception):
    """code2Session did not give an openid."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"wechat code2Session failed: {errcode} {errmsg}")


class WechatInvalidCode(WechatError):
    """The code is unknown, expired or was used before."""


class WechatUnavailable(WechatError):
    """WeChat could not be reached, or refused for a reason that is not the code."""


async def code2session(
    base_url: str, *, app_id: str, secret: str, code: str, timeout_seconds: float = 5.0
) -> WechatSession:
    params = {
        "appid": app_id,
        "secret": secret,
        "js_code": code,
        "grant_type": "authorization_code",
    }
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds) as http:
            response = await http.get(f"{base_url.rstrip('/')}/sns/jscode2session", params=params)
    except httpx.HTTPError as exc:
        raise WechatUnavailable(None, type(exc).__name__) from None
    if response.status_code != 200:
        raise WechatUnavailable(None, f"HTTP {response.status_code}")
    body = _json_object(response.text)
    errcode = body.get("errcode") or 0
    if not isinstance(errcode, int):
        raise WechatUnavailable(None, "malformed errcode")
    if errcode in INVALID_CODE_ERRCODES:
        raise WechatInvalidCode(errcode, str(body.get("errmsg", "")))
    openid = body.get("openid")
    if errcode or not isinstance(openid, str) or not openid:
        raise WechatUnavailable(errcode or None, str(body.get("errmsg", "no openid")))
    unionid = body.get("unionid")
    session_key = body.get("session_key")
    return WechatSession(
        openid=openid,
        unionid=unionid if isinstance(unionid, str) and unionid else None,
        session_key=session_key if isinstance(session_key, str) else None,
    )


def _json_object(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        raise WechatUnavailable(None, "response is not JSON") from None
    if not isinstance(body, dict):
        raise WechatUnavailable(None, "response is not a JSON object")
    return body
