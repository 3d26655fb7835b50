"""The one check of an error response: an RFC 9457 problem with a stable code."""

from typing import Any

import httpx

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """``response`` is a problem+json body of ``status`` and ``code``; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["type"] == f"urn:redgrid:problem:{code}"
    assert body["title"] and body["detail"]
    if "x-request-id" in response.headers:
        assert body["request_id"] == response.headers["x-request-id"]
    return body


def assert_same_problem(
    response: httpx.Response, other: httpx.Response, status: int, code: str
) -> None:
    """Two problems a client cannot tell apart (out of scope and missing: existence never
    leaks): the same status, code, title, detail and members, but for where and when."""
    first, second = assert_problem(response, status, code), assert_problem(other, status, code)
    per_request = {"instance", "request_id"}
    assert {k: v for k, v in first.items() if k not in per_request} == {
        k: v for k, v in second.items() if k not in per_request
    }
