"""Sign-in errors. The OAuth ones carry RFC 6749 §5.2's ``error`` member too, so
off-the-shelf OAuth clients understand them (``extra`` of the problem body)."""

from typing import Any

from app.errors import AppError, BusinessRuleViolation, Forbidden, NotFound


class OAuthError(AppError):
    status = 400
    oauth_error = "invalid_request"

    def __init__(self, detail_zh: str | None = None, detail_en: str | None = None, **kw: Any):
        kw.setdefault("error", self.oauth_error)
        super().__init__(detail_zh, detail_en, **kw)


class InvalidRequest(OAuthError):
    code = "auth.invalid_request"
    oauth_error = "invalid_request"
    message_zh = "令牌请求缺少必要参数"
    message_en = "The token request is missing a required parameter"


class InvalidGrant(OAuthError):
    code = "auth.invalid_grant"
    oauth_error = "invalid_grant"
    message_zh = "用户名或密码错误，或刷新令牌无效"
    message_en = "Wrong username or password, or an invalid refresh token"


class InvalidClient(OAuthError):
    status = 401
    code = "auth.invalid_client"
    oauth_error = "invalid_client"
    message_zh = "客户端认证失败"
    message_en = "Client authentication failed"


class InvalidScope(OAuthError):
    code = "auth.invalid_scope"
    oauth_error = "invalid_scope"
    message_zh = "申请的权限范围无效或超出客户端所持有的范围"
    message_en = "The requested scope is invalid or exceeds what the client holds"


class UnsupportedGrantType(OAuthError):
    code = "auth.unsupported_grant_type"
    oauth_error = "unsupported_grant_type"
    message_zh = "不支持的授权类型，可用：password、refresh_token、client_credentials"
    message_en = "Unsupported grant_type; use password, refresh_token or client_credentials"


class TooManyAttempts(AppError):
    """等保 2.0 (登录失败处理): too many failed sign-ins for this account from this
    source, for this account, or from this source, within the window. Throttling,
    not a lock: it ends with the window, and answers alike for unknown usernames."""

    status = 429
    code = "auth.too_many_attempts"
    message_zh = "登录失败次数过多，请稍后再试"
    message_en = "Too many failed sign-ins; try again later"


class AccountDisabled(Forbidden):
    code = "auth.account_disabled"
    message_zh = "账号已停用"
    message_en = "The account is disabled"


class WechatUnknownApp(BusinessRuleViolation):
    code = "auth.wechat_unknown_app"
    message_zh = "未配置该小程序 appid"
    message_en = "This mini-program app_id is not configured"


class WechatInvalidCode(AppError):
    status = 401
    code = "auth.wechat_invalid_code"
    message_zh = "微信登录凭证 code 无效或已使用，请重新登录"
    message_en = "The WeChat login code is invalid or was already used"


class WechatUnavailable(AppError):
    status = 502
    code = "auth.wechat_unavailable"
    message_zh = "微信服务暂时不可用，请稍后重试"
    message_en = "WeChat is unavailable at the moment; try again shortly"


class ApiClientNotFound(NotFound):
    code = "api_client.not_found"
    message_zh = "接口客户端不存在"
    message_en = "The API client does not exist"


class ClientScopeEscalation(Forbidden):
    code = "api_client.scope_escalation"
    message_zh = "不能授予客户端您在该节点上并不具备的权限"
    message_en = "You cannot give a client permissions you do not hold over its node"


class UnsafeReportUrl(BusinessRuleViolation):
    """OWASP API7 (SSRF): the report URL may not be called from our servers."""

    code = "api_client.unsafe_report_url"
    message_zh = "回传地址须为 https，且不能指向内网、回环或链路本地地址"
    message_en = (
        "The report URL must be https and must not resolve to a private, loopback "
        "or link-local address"
    )


class WechatTaken(AppError):
    status = 409
    code = "auth.wechat_taken"
    message_zh = "该微信已绑定其他账号"
    message_en = "This WeChat identity is linked to another account"


class LastSignInMethod(BusinessRuleViolation):
    code = "auth.last_sign_in_method"
    message_zh = "账号未设置密码，解绑微信后将无法登录"
    message_en = "The account has no password; unlinking WeChat would lock it out"


class NotAnAccount(Forbidden):
    code = "auth.not_an_account"
    message_zh = "接入应用没有可绑定的账号"
    message_en = "Integration clients have no account to link"


class WechatLinkCodeInvalid(BusinessRuleViolation):
    code = "auth.wechat_link_code_invalid"
    message_zh = "微信登录凭证 code 无效或已使用"
    message_en = "The WeChat login code is invalid or was already used"
