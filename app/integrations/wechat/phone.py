"""WeChat's phone-number exchange (手机号快速验证 · ``getuserphonenumber``).

The mini-program's ``<button open-type="getPhoneNumber">`` hands us a one-time
``code``; we trade it, with the app's access token, for the number WeChat has
verified by SMS (``POST /wxa/business/getuserphonenumber``). Like code2Session,
WeChat answers HTTP 200 with ``errcode`` on failure.
"""

import httpx

from app.integrations.wechat.client import WechatInvalidCode, WechatUnavailable, _json_object

# 40029 unknown code, 40163 used code: the caller's fault. 40001/42001: our token.
INVALID_CODE_ERRCODES = frozenset({40029, 40163})
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})


class WechatStaleToken(WechatUnavailable):
    """WeChat refused the access token: refresh it and try once more."""


async def get_phone_number(
    base_url: str, *, access_token: str, code: str, timeout_seconds: float = 5.0
) -> str:
    """The mainland number (``purePhoneNumber``) behind the code; numbers of other
    countries are refused as an invalid code, since our people have mainland mobiles."""
    url = f"{base_url.rstrip('/')}/wxa/business/getuserphonenumber"
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds) as http:
            response = await http.post(
                url, params={"access_token": access_token}, json={"code": code}
            )
    except httpx.HTTPError as exc:
        raise WechatUnavailable(None, type(exc).__name__) from None
    if response.status_code != 200:
        raise WechatUnavailable(None, f"HTTP {response.status_code}")
    body = _json_object(response.text)
    errcode = body.get("errcode") or 0
    if errcode in TOKEN_ERRCODES:
        raise WechatStaleToken(errcode, str(body.get("errmsg", "")))
    if errcode in INVALID_CODE_ERRCODES:
        raise WechatInvalidCode(errcode, str(body.get("errmsg", "")))
    info = body.get("phone_info")
    if errcode or not isinstance(info, dict):
        raise WechatUnavailable(errcode or None, str(body.get("errmsg", "no phone_info")))
    number, country = info.get("purePhoneNumber"), str(info.get("countryCode", ""))
    if not isinstance(number, str) or country != "86" or not _mainland(number):
        raise WechatInvalidCode(None, "not a mainland mobile number")
    return number


def _mainland(number: str) -> bool:
    return len(number) == 11 and number.isdigit() and number.startswith("1")
