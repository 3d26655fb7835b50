"""CORS (REDGRID_CORS_ORIGINS): a browser page on a named origin calls the API,
preflights included; any other origin gets no CORS headers, so the browser refuses."""

from collections.abc import Iterator

import httpx
import pytest

from app.main import create_app
from tests.conftest import make_settings
from tests.support.live_server import LiveServer

ALLOWED = "https://h5.redgrid.example"
REFUSED = "https://evil.example"


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[LiveServer]:
    app = create_app(make_settings(cors_origins=[ALLOWED]), database_url=database_url)
    live = LiveServer(app).start()
    yield live
    live.stop()


def _preflight(server: LiveServer, origin: str) -> httpx.Response:
    return httpx.options(
        f"{server.url}/api/v1/orders",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )


class TestPreflight:
    def test_allowed_origin_may_post_with_our_headers(self, server: LiveServer) -> None:
        response = _preflight(server, ALLOWED)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert "POST" in response.headers["access-control-allow-methods"]
        allowed = response.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "idempotency-key"} <= {
            h.strip() for h in allowed.split(",")
        }
        assert "access-control-allow-credentials" not in response.headers

    def test_other_origin_is_refused(self, server: LiveServer) -> None:
        response = _preflight(server, REFUSED)
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers


class TestActualRequest:
    def test_allowed_origin_reads_the_answer_and_exposed_headers(self, server: LiveServer) -> None:
        response = httpx.get(f"{server.url}/api/v1/me", headers={"Origin": ALLOWED})
        assert response.status_code == 401  # the problem body is readable by the page
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert "x-request-id" in response.headers["access-control-expose-headers"].lower()

    def test_other_origin_gets_no_cors_headers(self, server: LiveServer) -> None:
        response = httpx.get(f"{server.url}/api/v1/me", headers={"Origin": REFUSED})
        assert "access-control-allow-origin" not in response.headers


def test_no_origins_configured_means_no_cors(database_url: str) -> None:
    app = create_app(make_settings(), database_url=database_url)
    live = LiveServer(app).start()
    try:
        response = _preflight(live, ALLOWED)
        assert response.status_code == 405
        assert "access-control-allow-origin" not in response.headers
    finally:
        live.stop()
