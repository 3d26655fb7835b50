"""Errors as classes, rendered in one place as RFC 9457 problem details.

Each error has a stable dotted ``code`` that clients key on, an HTTP status and a
message in Chinese (default) and English (``Accept-Language: en``). Nothing below
the routers raises ``HTTPException``; domains raise subclasses of :class:`AppError`.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Literal

Lang = Literal["zh", "en"]


class AppError(Exception):
    """Base of every error the API reports on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "request.invalid"
    message_zh: ClassVar[str] = "请求无效"
    message_en: ClassVar[str] = "The request is invalid"

    def __init__(
        self,
        detail_zh: str | None = None,
        detail_en: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail_zh = detail_zh
        self.detail_en = detail_en
        self.headers = dict(headers or {})
        # Extra members of the problem object (RFC 9457 §3.2), e.g. the current version.
        self.extra = extra
        # Written in a transaction of its own after the request's is rolled back: the
        # audit record of a refusal that must be seen (a probe for personal data).
        self.audit_on_refusal: Callable[[Any], Awaitable[None]] | None = None
        super().__init__(self.code)

    def title(self, lang: Lang) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def detail(self, lang: Lang) -> str:
        if lang == "en":
            return self.detail_en or self.detail_zh or self.message_en
        return self.detail_zh or self.message_zh


class NotFound(AppError):
    """Missing, or outside the caller's scope: one answer for both, as if it did not
    exist. A 404 therefore says only what its class says — a detail or extra member
    given where it is raised could tell the two cases apart, so both are dropped."""

    status = 404
    code = "resource.not_found"
    message_zh = "资源不存在"
    message_en = "The resource does not exist"

    def __init__(
        self, *_details: str | None, headers: Mapping[str, str] | None = None, **_extra: Any
    ) -> None:
        super().__init__(headers=headers)


class OrgUnitNotFound(NotFound):
    """An org unit named in a request, missing or outside the caller's scope."""

    message_zh = "组织不存在"
    message_en = "The org unit does not exist"


class PersonNotFound(NotFound):
    """A person named in a request, missing or outside the caller's scope."""

    message_zh = "人员不存在"
    message_en = "The person does not exist"


class Unauthenticated(AppError):
    status = 401
    code = "auth.unauthenticated"
    message_zh = "未登录或登录已失效"
    message_en = "Authentication is required"


class Forbidden(AppError):
    status = 403
    code = "auth.forbidden"
    message_zh = "无权执行此操作"
    message_en = "You are not allowed to do this"


class Conflict(AppError):
    status = 409
    code = "resource.conflict"
    message_zh = "与当前状态冲突"
    message_en = "The request conflicts with the current state"


class PreconditionFailed(AppError):
    status = 412
    code = "resource.version_mismatch"
    message_zh = "数据已被他人修改，请刷新后重试"
    message_en = "The resource has changed; reload it and try again"


class PreconditionRequired(AppError):
    status = 428
    code = "resource.version_required"
    message_zh = "更新须携带 If-Match 版本号"
    message_en = "This update requires an If-Match header"


class BusinessRuleViolation(AppError):
    """A well-formed request that a domain rule refuses (not payload validation)."""

    status = 422
    code = "request.rule_violation"
    message_zh = "请求不符合业务规则"
    message_en = "The request breaks a business rule"


class InvalidValue(AppError):
    """A value the database refused as data (SQLSTATE class 22: out of range, NUL in
    text, an impossible date) that validation let through; the request changed nothing."""

    status = 422
    code = "request.invalid_value"
    message_zh = "请求中的数值超出范围或格式无效"
    message_en = "A value in the request is out of range or malformed"


class DatabaseUnavailable(AppError):
    status = 503
    code = "service.database_unavailable"
    message_zh = "数据库暂时不可用，请稍后重试"
    message_en = "The database is temporarily unavailable; try again shortly"
