"""Open311 GeoReport v2 at ``/open311/v2`` (``.json`` and ``.xml``), its own standard
and so outside our OpenAPI document: see README "Open311" and app/orders/open311/service.py.
Errors are the spec's ``[{"code": 400, "description": "…"}]`` (``<errors>`` in XML)."""

import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db.session import DbSession
from app.orders.open311 import service
from app.orders.open311.service import Open311Error

router = APIRouter(prefix="/open311/v2", tags=["open311"], include_in_schema=False)

Format = Literal["json", "xml"]
_MEDIA = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
_MAX_TEXT = 4000


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        _fill(ET.SubElement(top, item), row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _fill(element: ET.Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            for entry in value:
                _fill(ET.SubElement(child, key.rstrip("s")), entry)
        elif isinstance(value, dict):
            _fill(child, value)
        elif value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else str(value)


def _render(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200
) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, rows), status, media_type=_MEDIA["xml"])
    return Response(json.dumps(rows, ensure_ascii=False), status, media_type=_MEDIA["json"])


def _error(fmt: str, error: Open311Error) -> Response:
    rows = [{"code": error.status, "description": error.description}]
    return _render(fmt, "errors", "error", rows, error.status)


async def _answer(
    fmt: str, root: str, item: str, work: Callable[[], Awaitable[list[dict[str, Any]]]]
) -> Response:
    if fmt not in _MEDIA:
        return _error("json", Open311Error(404, f"format {fmt} not supported; json or xml"))
    try:
        return _render(fmt, root, item, await work())
    except Open311Error as error:
        return _error(fmt, error)


def _text(values: Any, name: str, limit: int = _MAX_TEXT) -> str | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise Open311Error(400, f"{name} is not valid text (at most {limit} characters)")
    return value.strip()


def _number(values: Any, name: str, bound: float) -> float | None:
    text = _text(values, name, 32)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not math.isfinite(number) or abs(number) > bound:
        raise Open311Error(400, f"{name} must be within ±{bound}")
    return number


def _integer(values: Any, name: str, default: int | None = None) -> int | None:
    text = _text(values, name, 19)
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 2**63 - 1:
        raise Open311Error(400, f"{name} must be a positive integer")
    return int(text)


def _moment(values: Any, name: str) -> datetime | None:
    text = _text(values, name, 40)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone offset")
    return moment


@router.get("/discovery.{fmt}")
async def discovery(request: Request, fmt: str) -> Response:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"

    async def work() -> list[dict[str, Any]]:
        return [
            {
                "changeset": "2026-11-28T02:00:00+08:00",
                "contact": "redgrid operators",
                "key_service": "POST /api/v1/api-clients (an integration client; "
                "api_key = client_id:client_secret)",
                "endpoints": [
                    {
                        "specification": "http://wiki.open311.org/GeoReport_v2",
                        "url": base,
                        "changeset": "2026-11-28T02:00:00+08:00",
                        "type": "production",
                        "formats": [{"format": "application/json"}, {"format": "text/xml"}],
                    }
                ],
            }
        ]

    if fmt == "xml":
        try:
            rows = await work()
        except Open311Error as error:
            return _error(fmt, error)
        top = ET.Element("discovery")
        _fill(top, rows[0])
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return Response(body, media_type=_MEDIA["xml"])
    if fmt != "json":
        return _error("json", Open311Error(404, f"format {fmt} not supported; json or xml"))
    return Response(json.dumps((await work())[0]), media_type=_MEDIA["json"])


@router.get("/services.{fmt}")
async def services(request: Request, fmt: str, session: DbSession) -> Response:
    async def work() -> list[dict[str, Any]]:
        jurisdiction = _text(request.query_params, "jurisdiction_id", 64)
        if jurisdiction is not None and not await service.town_exists(session, jurisdiction):
            raise Open311Error(404, f"jurisdiction_id {jurisdiction} not found")
        return await service.services(session)

    return await _answer(fmt, "services", "service", work)


@router.get("/services/{service_code}.{fmt}")
async def service_definition(service_code: str, fmt: str, session: DbSession) -> Response:
    async def work() -> list[dict[str, Any]]:
        return [await service.service_definition(session, service_code[:32])]

    if fmt == "xml":
        try:
            row = (await work())[0]
        except Open311Error as error:
            return _error(fmt, error)
        top = ET.Element("service_definition")
        _fill(top, row)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return Response(body, media_type=_MEDIA["xml"])
    if fmt != "json":
        return _error("json", Open311Error(404, f"format {fmt} not supported; json or xml"))
    try:
        row = (await work())[0]
    except Open311Error as error:
        return _error(fmt, error)
    return Response(json.dumps(row, ensure_ascii=False), media_type=_MEDIA["json"])


@router.post("/requests.{fmt}")
async def create_request(request: Request, fmt: str, session: DbSession) -> Response:
    async def work() -> list[dict[str, Any]]:
        form = await request.form()
        caller = await service.authenticate(session, _text(form, "api_key", 300))
        service.check_jurisdiction(caller, _text(form, "jurisdiction_id", 64))
        code = _text(form, "service_code", 32)
        if code is None:
            raise Open311Error(400, "service_code is required")
        lat, long = _number(form, "lat", 90), _number(form, "long", 180)
        if (lat is None) != (long is None):
            raise Open311Error(400, "lat and long go together")
        attributes = [
            f"{key[len('attribute[') : -1]}: {value}"
            for key, value in form.multi_items()
            if key.startswith("attribute[") and key.endswith("]") and isinstance(value, str)
        ]
        description = "\n".join(part for part in (_text(form, "description"), *attributes) if part)
        return await service.create_request(
            session,
            caller,
            service.NewRequest(
                service_code=code,
                description=description or None,
                lat=lat,
                long=long,
                address_string=_text(form, "address_string", 200),
                address_id=_integer(form, "address_id"),
                media_url=_text(form, "media_url", 500),
                first_name=_text(form, "first_name", 24),
                last_name=_text(form, "last_name", 24),
                phone=_text(form, "phone", 20),
                token=_text(form, "token", 64) or _text(form, "device_id", 64),
            ),
        )

    return await _answer(fmt, "service_requests", "request", work)


@router.get("/requests.{fmt}")
async def list_requests(request: Request, fmt: str, session: DbSession) -> Response:
    async def work() -> list[dict[str, Any]]:
        query = request.query_params
        caller = await service.authenticate(session, _text(query, "api_key", 300))
        service.check_jurisdiction(caller, _text(query, "jurisdiction_id", 64))
        ids_text = _text(query, "service_request_id", 2000) or ""
        ids = []
        for part in filter(None, ids_text.split(",")):
            if not part.strip().isdigit() or int(part) > 2**63 - 1:
                raise Open311Error(400, "service_request_id must be ids separated by commas")
            ids.append(int(part))
        status = _text(query, "status", 16)
        if status not in (None, "open", "closed"):
            raise Open311Error(400, "status must be open or closed")
        return await service.list_requests(
            session,
            caller,
            ids=ids,
            service_code=_text(query, "service_code", 200),
            start=_moment(query, "start_date"),
            end=_moment(query, "end_date"),
            status=status,
            page=_integer(query, "page", 1) or 1,
            page_size=_integer(query, "page_size"),
        )

    return await _answer(fmt, "service_requests", "request", work)


@router.get("/requests/{request_id}.{fmt}")
async def get_request(request: Request, request_id: str, fmt: str, session: DbSession) -> Response:
    async def work() -> list[dict[str, Any]]:
        caller = await service.authenticate(session, _text(request.query_params, "api_key", 300))
        if not request_id.isdigit() or int(request_id) > 2**63 - 1:
            raise Open311Error(404, f"service_request_id {request_id[:40]} not found")
        return await service.get_request(session, caller, int(request_id))

    return await _answer(fmt, "service_requests", "request", work)


@router.get("/tokens/{token}.{fmt}")
async def by_token(request: Request, token: str, fmt: str, session: DbSession) -> Response:
    async def work() -> list[dict[str, Any]]:
        caller = await service.authenticate(session, _text(request.query_params, "api_key", 300))
        return await service.by_token(session, caller, token[:64])

    return await _answer(fmt, "service_requests", "request", work)
