"""Every error is RFC 9457 problem+json with a stable code, Chinese by default."""

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import Field
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.config import Settings
from app.db.session import DbSession
from app.errors import Conflict, NotFound
from app.kit.schemas import StrictModel
from app.main import create_app
from app.orders.models import CalendarOverride
from tests.conftest import make_settings
from tests.support.problems import assert_problem


class Sample(StrictModel):
    name: str = Field(max_length=10)
    count: int = Field(ge=0)


@pytest.fixture(scope="module")
async def error_app(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(max_body_bytes=2048), database_url=database_url)

    @app.post("/_test/echo")
    async def echo(body: Sample) -> Sample:
        return body

    @app.get("/_test/conflict")
    async def conflict() -> None:
        raise Conflict("订单已关闭", "The order is closed", current_status="closed")

    @app.get("/_test/not-found")
    async def not_found() -> None:
        raise NotFound("居民只能在本人住址点单", "Only at home", unit_id=42)

    @app.get("/_test/too-many-clients")
    async def too_many_clients() -> None:
        # What asyncpg raises, unwrapped, when the server refuses a new connection.
        raise asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already")

    @app.get("/_test/unique-violation")
    async def unique_violation() -> None:
        raise asyncpg.exceptions.UniqueViolationError("duplicate key value")

    # Values the input types would refuse, sent past them after a write: the driver's
    # refusal (SQLSTATE class 22) must be a 422 and the write must not stay.
    @app.post("/_test/data-error/{case}")
    async def data_error(case: str, session: DbSession) -> None:
        session.add(CalendarOverride(day=PROBE_DAY, is_workday=True, note="half-written"))
        await session.flush()
        statement, value = DATA_ERRORS[case]
        await session.execute(text(statement), {"v": value})

    @app.get("/_test/boom")
    async def boom() -> None:
        raise RuntimeError("SELECT secret FROM internals -- must never leak")

    yield app
    await app.state.engine.dispose()


@pytest.fixture
async def http(error_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=error_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


class TestUnknownRoute:
    async def test_chinese_by_default(self, http: httpx.AsyncClient) -> None:
        body = assert_problem(await http.get("/api/v1/nowhere"), 404, "resource.not_found")
        assert body["title"] == "资源不存在"
        assert body["instance"] == "/api/v1/nowhere"

    async def test_english_on_request(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/nowhere", headers={"Accept-Language": "en-US,en;q=0.9"})
        body = assert_problem(response, 404, "resource.not_found")
        assert body["title"] == "The resource does not exist"
        assert response.headers["content-language"] == "en"

    async def test_chinese_preferred_over_english(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/nowhere", headers={"Accept-Language": "zh-CN,en;q=0.8"})
        assert assert_problem(response, 404, "resource.not_found")["title"] == "资源不存在"


class TestWrongMethod:
    async def test_405_with_allow(self, http: httpx.AsyncClient) -> None:
        response = await http.delete("/healthz")
        assert_problem(response, 405, "request.method_not_allowed")
        assert response.headers["allow"] == "GET"


class TestBodyLimit:
    async def test_declared_length_over_limit(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/_test/echo", content=b"{" + b" " * 4096 + b"}")
        assert_problem(response, 413, "request.too_large")

    async def test_streamed_body_over_limit(self, http: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(8):
                yield b" " * 512

        response = await http.post(
            "/_test/echo", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert_problem(response, 413, "request.too_large")

    async def test_body_under_limit_passes(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/_test/echo", json={"name": "张三", "count": 1})
        assert response.status_code == 200
        assert response.json() == {"name": "张三", "count": 1}


class TestValidation:
    async def test_each_failing_field_is_listed(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/_test/echo", json={"name": "x" * 11, "count": -1})
        body = assert_problem(response, 422, "request.validation_failed")
        fields = {e["field"]: e for e in body["errors"]}  # type: ignore[union-attr]
        assert set(fields) == {"name", "count"}
        assert fields["name"]["message"] == "长度超出上限"
        assert fields["count"]["type"] == "greater_than_equal"

    async def test_unknown_field_refused(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/_test/echo", json={"name": "a", "count": 1, "admin": True})
        body = assert_problem(response, 422, "request.validation_failed")
        assert body["errors"] == [  # type: ignore[comparison-overlap]
            {
                "field": "admin",
                "location": "body",
                "type": "extra_forbidden",
                "message": "不允许的字段",
            }
        ]

    async def test_missing_field_in_english(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/_test/echo", json={"name": "a"}, headers={"Accept-Language": "en"}
        )
        body = assert_problem(response, 422, "request.validation_failed")
        assert body["errors"][0]["field"] == "count"  # type: ignore[index]
        assert body["errors"][0]["message"] == "Field required"  # type: ignore[index]

    async def test_invalid_json(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/_test/echo", content=b'{"name": ', headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 422, "request.invalid_json")


class TestDomainError:
    async def test_app_error_carries_extension_members(self, http: httpx.AsyncClient) -> None:
        body = assert_problem(await http.get("/_test/conflict"), 409, "resource.conflict")
        assert body["detail"] == "订单已关闭"
        assert body["current_status"] == "closed"

    async def test_app_error_detail_in_english(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/_test/conflict", headers={"Accept-Language": "en"})
        assert assert_problem(response, 409, "resource.conflict")["detail"] == "The order is closed"


class TestNotFound:
    async def test_says_only_what_its_class_says(self, http: httpx.AsyncClient) -> None:
        """Out of scope and missing must read alike: no detail or member from the raise."""
        body = assert_problem(await http.get("/_test/not-found"), 404, "resource.not_found")
        assert body["detail"] == body["title"] == "资源不存在"
        assert "unit_id" not in body


class TestUnexpectedError:
    async def test_500_has_request_id_and_no_internals(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/_test/boom", headers={"X-Request-ID": "trace-42"})
        body = assert_problem(response, 500, "internal.error")
        assert body["request_id"] == "trace-42"
        assert "SELECT" not in response.text and "Traceback" not in response.text


class TestDatabaseRefusals:
    async def test_too_many_connections_is_503(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/_test/too-many-clients")
        assert_problem(response, 503, "service.database_unavailable")
        assert response.headers["retry-after"] == "5"

    async def test_a_refused_statement_is_not_an_outage(self, http: httpx.AsyncClient) -> None:
        body = assert_problem(await http.get("/_test/unique-violation"), 500, "internal.error")
        assert "duplicate" not in str(body)


PROBE_DAY = date(2099, 1, 2)
DATA_ERRORS: dict[str, tuple[str, Any]] = {
    # asyncpg refuses to encode it (its DataError, SQLSTATE 22000).
    "bigint_overflow": ("SELECT CAST(:v AS bigint)", 2**63),
    "int_overflow": ("SELECT CAST(:v AS integer)", 2**40),
    # PostgreSQL refuses it: 22021, invalid byte sequence (NUL in text).
    "nul_in_text": ("SELECT CAST(:v AS text)", "a\x00b"),
    # 22008, date field value out of range.
    "date_overflow": ("SELECT make_date(:v, 13, 1)", 2026),
}


class TestDataErrors:
    """The safety net behind the strict input types (SQLSTATE class 22)."""

    @pytest.fixture
    async def rolled_back(
        self, error_app: FastAPI, connection: AsyncConnection
    ) -> AsyncIterator[AsyncSession]:
        """Requests of the error app inside the test's rolled-back transaction."""

        def factory() -> AsyncSession:
            return AsyncSession(bind=connection, join_transaction_mode="create_savepoint")

        original = error_app.state.session_factory
        error_app.state.session_factory = factory
        try:
            async with factory() as session:
                yield session
        finally:
            error_app.state.session_factory = original

    @pytest.mark.parametrize("case", sorted(DATA_ERRORS))
    async def test_refused_value_is_422_and_nothing_is_written(
        self, http: httpx.AsyncClient, rolled_back: AsyncSession, case: str
    ) -> None:
        response = await http.post(f"/_test/data-error/{case}")
        body = assert_problem(response, 422, "request.invalid_value")
        assert body["title"] == "请求中的数值超出范围或格式无效"
        found = await rolled_back.scalar(
            select(CalendarOverride.day).where(CalendarOverride.day == PROBE_DAY)
        )
        assert found is None

    async def test_in_english(self, http: httpx.AsyncClient, rolled_back: AsyncSession) -> None:
        response = await http.post(
            "/_test/data-error/nul_in_text", headers={"Accept-Language": "en"}
        )
        body = assert_problem(response, 422, "request.invalid_value")
        assert body["title"] == "A value in the request is out of range or malformed"
        assert "\\x00" not in response.text and "SELECT" not in response.text


class TestRequestId:
    async def test_honours_incoming_id(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"

    async def test_replaces_unsafe_id(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
        assert response.headers["x-request-id"] != "bad id\twith spaces"
        assert len(response.headers["x-request-id"]) == 32


class TestSettings:
    def test_default_secrets_refused_outside_development(self) -> None:
        with pytest.raises(ValueError, match="REDGRID_SECRET_KEY"):
            Settings(env="production", pii_key="p" * 40)

    def test_short_secret_refused_outside_development(self) -> None:
        with pytest.raises(ValueError, match="REDGRID_PII_KEY"):
            Settings(env="production", secret_key="s" * 40, pii_key="short")

    def test_development_accepts_defaults(self) -> None:
        assert Settings(env="development").secret_key
