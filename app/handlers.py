"""Exception handlers: every error leaves the API as a problem+json body.

Domain errors (:class:`app.errors.AppError`), HTTP-layer errors (unknown route,
wrong method, body too large), payload validation (422 with each failing field),
a value the database refuses as data (422, the safety net behind the strict input
types) and a database that cannot be reached (503, so clients retry instead of
reporting a bug). Unexpected errors become 500 in ``RequestContextMiddleware``.
"""

import logging
import socket
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from app.errors import AppError, DatabaseUnavailable, InvalidValue
from app.kit.i18n import Lang, negotiate_language
from app.kit.types import CONTROL_CHARACTER_PATTERNS
from app.problems import STATUS_PROBLEMS, problem_response

logger = logging.getLogger("redgrid.errors")

# Chinese wording of pydantic's error types; English keeps pydantic's own message.
_VALIDATION_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "长度过短",
    "string_too_long": "长度超出上限",
    "string_pattern_mismatch": "格式不正确",
    "string_unicode": "应为有效的 Unicode 文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "list_type": "应为列表",
    "too_long": "条目过多",
    "too_short": "条目过少",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "date_type": "应为日期",
    "date_parsing": "日期格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "datetime_type": "应为时间",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "timezone_aware": "时间须带时区偏移",
    "uuid_parsing": "标识格式不正确",
    "url_parsing": "网址格式不正确",
    "url_scheme": "网址协议不允许",
    "json_invalid": "JSON 格式错误",
    "json_type": "应为 JSON",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "value_error": "取值不正确",
    "assertion_error": "取值不正确",
}


def _lang(request: Request) -> Lang:
    return negotiate_language(request.headers.get("accept-language"))


def _field_errors(exc: RequestValidationError, lang: Lang) -> list[dict[str, Any]]:
    fields = []
    for error in exc.errors()[:50]:
        loc = [str(part) for part in error.get("loc", ())]
        kind = error.get("type", "value_error")
        message = error.get("msg", "")
        pattern = (error.get("ctx") or {}).get("pattern")
        if kind == "string_pattern_mismatch" and pattern in CONTROL_CHARACTER_PATTERNS:
            # app.kit.types' text rule, said in words rather than as its pattern.
            kind = "string_control_characters"
            message = CONTROL_CHARACTER_PATTERNS[pattern][0 if lang == "en" else 1]
        elif lang == "zh":
            ctx_reason = (error.get("ctx") or {}).get("reason_zh")
            message = ctx_reason or _VALIDATION_ZH.get(kind, message)
        fields.append(
            {
                "field": ".".join(
                    loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
                ),
                "location": loc[0] if loc else None,
                "type": kind,
                "message": message,
            }
        )
    return fields


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if exc.audit_on_refusal is not None:
        # The request's transaction is already rolled back; this record stands alone.
        async with request.app.state.session_factory() as session, session.begin():
            await exc.audit_on_refusal(session)
    lang = _lang(request)
    return problem_response(
        status=exc.status,
        code=exc.code,
        title=exc.title(lang),
        detail=exc.detail(lang),
        lang=lang,
        instance=request.url.path,
        extra=exc.extra,
        headers=exc.headers,
    )


def _resource_methods(request: Request) -> tuple[str | None, list[str]]:
    """The path template the request's path names first (routes in order, as the router
    matches them) and every method declared on that template: a ``405`` lists them all
    in ``Allow``, where Starlette names only the first route's."""
    first: str | None = None
    methods: set[str] = set()
    for route in routing.iter_route_contexts(request.app.routes):
        if not hasattr(route.original_route, "methods"):
            continue
        match, _ = route.matches({**request.scope, "method": "\0"})
        if match == Match.NONE:
            continue
        if first is None:
            first = route.path_format
        if route.path_format == first:
            methods |= set(route.methods or ())
    return first, sorted(methods)


def _method_not_allowed(request: Request, methods: list[str]) -> Response:
    lang = _lang(request)
    code, zh, en = STATUS_PROBLEMS[405]
    return problem_response(
        status=405,
        code=code,
        title=en if lang == "en" else zh,
        detail=en if lang == "en" else zh,
        lang=lang,
        instance=request.url.path,
        headers={"Allow": ", ".join(methods)},
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        _, methods = _resource_methods(request)
        if methods:
            return _method_not_allowed(request, methods)
    lang = _lang(request)
    code, zh, en = STATUS_PROBLEMS.get(
        exc.status_code,
        (f"http.{exc.status_code}", "请求无法处理", "The request cannot be handled"),
    )
    return problem_response(
        status=exc.status_code,
        code=code,
        title=en if lang == "en" else zh,
        detail=en if lang == "en" else zh,
        lang=lang,
        instance=request.url.path,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
        # ``PATCH /org-units/export`` reached ``PATCH /org-units/{unit_id}`` only because
        # no PATCH is declared on the literal path the request names: that is a 405.
        first, methods = _resource_methods(request)
        if first is not None and request.method not in methods and _literal_over(request, first):
            return _method_not_allowed(request, methods)
    lang = _lang(request)
    fields = _field_errors(exc, lang)
    invalid_json = any(f["type"] in ("json_invalid", "json_type") for f in fields)
    code = "request.invalid_json" if invalid_json else "request.validation_failed"
    title_zh, title_en = (
        ("请求体不是有效的 JSON", "The body is not valid JSON")
        if invalid_json
        else (
            STATUS_PROBLEMS[422][1],
            STATUS_PROBLEMS[422][2],
        )
    )
    summary = "; ".join(f"{f['field'] or f['location']}: {f['message']}" for f in fields[:5])
    return problem_response(
        status=422,
        code=code,
        title=title_en if lang == "en" else title_zh,
        detail=summary,
        lang=lang,
        instance=request.url.path,
        extra={"errors": fields},
    )


async def refuse_shadowed_method(request: Request) -> None:
    """An app-wide dependency, solved before a route's own: ``PATCH /org-units/export``
    reaches ``PATCH /org-units/{unit_id}`` only because no PATCH is declared on the
    literal path it names, and is a 405 with that path's methods in ``Allow`` — before
    the route's sign-in (401), guard (403) or validation (422) could answer instead.
    Costs a set lookup: only the few literal paths a parameter template also matches
    look further."""
    if request.scope["path"] in _shadowed(request.app):
        _, methods = _resource_methods(request)
        if methods and request.method not in methods:
            raise HTTPException(405, headers={"Allow": ", ".join(methods)})


def _shadowed(app: FastAPI) -> frozenset[str]:
    """The literal paths of routes that a parameter template matches too."""
    cached: frozenset[str] | None = getattr(app.state, "shadowed_paths", None)
    if cached is None:
        routes = [
            (route.path_format or "", route.path_regex)
            for route in routing.iter_route_contexts(app.routes)
            if hasattr(route.original_route, "methods")
        ]
        literals = {template for template, _ in routes if "{" not in template}
        cached = frozenset(
            path
            for template, regex in routes
            if "{" in template
            for path in literals
            if regex.match(path)
        )
        app.state.shadowed_paths = cached
    return cached


def _literal_over(request: Request, template: str) -> bool:
    """True when ``template`` names the path with fewer parameters than the route that
    took the request (a literal segment where that route has a parameter)."""
    taken = request.scope.get("path_params") or {}
    return template.count("{") < len(taken)


async def _database_error(request: Request, exc: Exception) -> Response:
    if _is_data_error(exc):
        # The session dependency has rolled the request's transaction back on the way
        # out, so nothing of the request is written. Logged: the input types should
        # have refused the value first.
        logger.warning("database refused a value: %s", _sqlstate(exc))
        return await _app_error(request, InvalidValue())
    unreachable = (
        isinstance(exc, sa_exc.TimeoutError)
        or (isinstance(exc, sa_exc.DBAPIError) and _is_connectivity_error(exc))
        # asyncpg raises these bare when it cannot connect at all, or is refused.
        or isinstance(exc, ConnectionError | TimeoutError | socket.gaierror)
        or (isinstance(exc, asyncpg.PostgresError) and _transient_state(exc.sqlstate))
    )
    if not unreachable:
        raise exc
    logger.warning("database unavailable: %s", type(exc).__name__)
    return await _app_error(request, DatabaseUnavailable(headers={"Retry-After": "5"}))


def _sqlstate(exc: Exception) -> str:
    original = getattr(exc, "orig", None) if isinstance(exc, sa_exc.DBAPIError) else exc
    return str(getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or "")


def _is_data_error(exc: Exception) -> bool:
    """SQLSTATE class 22, data exception: numeric value out of range (22003), NUL or an
    invalid byte in text (22021), datetime field overflow (22008) … and asyncpg's own
    refusal to encode an argument (an int past 64 bits), which it files under 22000."""
    if not isinstance(exc, sa_exc.DBAPIError | asyncpg.PostgresError):
        return False
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return False
    return _sqlstate(exc).startswith("22")


def _is_connectivity_error(exc: sa_exc.DBAPIError) -> bool:
    """True when the database could not be reached, rather than refusing a statement."""
    if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
        return True
    original = getattr(exc, "orig", None)
    if isinstance(original, OSError | ConnectionError | TimeoutError):
        return True
    return _transient_state(
        getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    )


def _transient_state(sqlstate: object) -> bool:
    # Class 08: connection exception; class 53: insufficient resources (too many
    # connections, out of memory); 57P01-57P03: admin shutdown, crash, cannot connect now.
    code = str(sqlstate or "")
    return code.startswith(("08", "53")) or code in ("57P01", "57P02", "57P03")


def register_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(sa_exc.TimeoutError, _database_error)
    app.add_exception_handler(OSError, _database_error)
    app.add_exception_handler(asyncpg.PostgresError, _database_error)
