"""RFC 9457 problem details: the one place error bodies are built.

Every error response of the API is ``application/problem+json`` with the standard
members (type, title, status, detail, instance) and our extensions: ``code`` (stable,
dotted, for machines), ``request_id`` (to quote to support) and, for payload
validation, ``errors`` (one entry per failing field).
"""

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from app.kit.i18n import Lang
from app.observability import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Problems raised by the HTTP layer itself rather than by a domain: (code, zh, en).
STATUS_PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: ("request.bad_request", "请求格式错误", "The request is malformed"),
    401: ("auth.unauthenticated", "未登录或登录已失效", "Authentication is required"),
    403: ("auth.forbidden", "无权执行此操作", "You are not allowed to do this"),
    404: ("resource.not_found", "资源不存在", "The resource does not exist"),
    405: ("request.method_not_allowed", "不支持该请求方法", "The method is not allowed here"),
    406: ("request.not_acceptable", "无法提供所要求的格式", "The requested format is unavailable"),
    413: ("request.too_large", "请求体过大", "The request body is too large"),
    415: ("request.unsupported_media_type", "不支持的内容类型", "Unsupported content type"),
    422: ("request.validation_failed", "请求参数校验失败", "The request failed validation"),
    429: ("request.rate_limited", "请求过于频繁，请稍后再试", "Too many requests; slow down"),
    500: (
        "internal.error",
        "服务器内部错误，请凭请求编号联系管理员",
        "Internal error; quote the request id to support",
    ),
    503: (
        "service.unavailable",
        "服务暂时不可用，请稍后重试",
        "The service is temporarily unavailable",
    ),
}


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:redgrid:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    if extra:
        body.update(extra)
    return body


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    lang: Lang,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = problem_body(
        status=status, code=code, title=title, detail=detail, instance=instance, extra=extra
    )
    # X-Request-ID is added by RequestContextMiddleware to every response.
    all_headers = {"Content-Language": "en" if lang == "en" else "zh-CN"}
    all_headers.update(headers or {})
    return Response(
        content=json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=all_headers,
    )
