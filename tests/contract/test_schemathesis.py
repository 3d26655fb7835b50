"""A contract fuzzer over every operation of the committed document, against the real
server, as an administrator and as a resident: no 5xx, and every answer's status,
headers, content type and body as the document says (schemathesis' checks; the
positive-data heuristic is left out: an opaque cursor or an id of no row is
schema-valid yet rightly refused). Examples are bounded so the run fits CI."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import stateful

from app.authz.tokens import issue_access_token
from app.db.session import libpq_url
from app.openapi import OPENAPI_PATH
from tests.contract.conftest import LiveServer

MAX_EXAMPLES = 3
STATEFUL_EXAMPLES = 15
STATEFUL_STEPS = 10
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
# Signing out everywhere ends the caller's own tokens mid-run (every later call a 401);
# tests/auth covers it.
schema = schemathesis.openapi.from_path(str(OPENAPI_PATH), config=CONFIG).exclude(
    operation_id="auth-logout-all"
)


class Caller:
    """A signed-in account of the seeded world that the fuzzer cannot take away from the
    run: as a superuser it may well deactivate an account, revoke a grant or unlink a
    person among the small ids it tries, this one included. Before each call the
    account is put back as it was seeded and gets a token of its current version."""

    def __init__(self, server: LiveServer, name: str) -> None:
        self.server = server
        self.user_id = server.world.users[name].id
        self.connection = psycopg.connect(libpq_url(server.database_url), autocommit=True)
        self.person_id = self.connection.execute(
            "SELECT person_id FROM user_account WHERE id = %s", (self.user_id,)
        ).fetchone()[0]  # type: ignore[index]
        self.grants = self.connection.execute(
            "SELECT role, org_unit_id FROM role_grant WHERE user_id = %s", (self.user_id,)
        ).fetchall()

    def headers(self) -> dict[str, str]:
        row = self.connection.execute(
            "UPDATE user_account SET is_active = true, person_id = %s WHERE id = %s"
            " RETURNING token_version",
            (self.person_id, self.user_id),
        ).fetchone()
        assert row is not None
        for role, unit_id in self.grants:
            self.connection.execute(
                "INSERT INTO role_grant (user_id, role, org_unit_id) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (self.user_id, role, unit_id),
            )
        token, _ = issue_access_token(self.server.settings, f"user:{self.user_id}", version=row[0])
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=["superuser", "resident"])
def caller(request: pytest.FixtureRequest, live_server: LiveServer) -> Iterator[Caller]:
    signed_in = Caller(live_server, request.param)
    try:
        yield signed_in
    finally:
        signed_in.connection.close()


def _signed_in(case: schemathesis.Case) -> bool:
    return bool(case.operation.definition.raw.get("security"))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_keeps_its_contract(
    case: schemathesis.Case, live_server: LiveServer, caller: Caller
) -> None:
    response = case.call_and_validate(
        base_url=live_server.base_url,
        headers=caller.headers(),
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
    if _signed_in(case):
        # The caller is signed in: a 401 would mean the run checked nothing past sign-in.
        assert response.status_code != 401, response.text


ORDERS = schemathesis.openapi.from_path(
    str(OPENAPI_PATH),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
).include(path_regex=r"^/api/v1/orders")

# Who takes each step of an order's life (三单): the resident files and answers 回访,
# the dispatcher triages and pools, the member claims and works it; reads by the
# dispatcher, 部门报到 by the department's staff. Anything else by the superuser.
_STEP_ROLES = {
    "resident": ("feedback", "second", "cancel"),
    "dispatcher": ("triage", "reject", "merge", "dispatch", "pool", "staff-feedback"),
    "member": ("claim", "accept", "decline", "contact", "note", "resolve", "whistle"),
    "department": ("arrive",),
}
_ORDER_PATH = re.compile(r"^/api/v1/orders(?:/\{order_id\})?(?:/(?P<step>[a-z-]+))?$")


def _role_of(case: schemathesis.Case) -> str:
    match = _ORDER_PATH.match(case.operation.path)
    if match is None:
        return "superuser"
    step = match["step"] or ""
    if case.method == "POST" and case.operation.path == "/api/v1/orders":
        return "resident"
    if case.method == "GET":
        return "dispatcher"
    for role, steps in _STEP_ROLES.items():
        if step and step in steps:
            return role
    return "superuser"


_SUBMIT = "POST /api/v1/orders"


def test_an_orders_life_keeps_the_contract_step_after_step(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stateful phase over the order operations: the document's links (a submitted
    order's id and ``ETag`` to every operation on it, and from every step that answers
    the order onwards) let the fuzzer walk orders through their life, each step taken
    by the role that takes it; every answer on the way is checked. The walk must get
    past submitting: some linked step on an order is taken."""
    callers = {name: Caller(live_server, name) for name in ("superuser", *_STEP_ROLES)}
    answered: list[tuple[str, str, int]] = []
    violations: list[str] = []

    # Every walk starts by filing an order. The steps link onwards (the next step takes
    # the fresh ETag), so schemathesis would start walks from them too, with ids of no
    # order; and it takes the submit for a poor start, its body naming units and people
    # that no operation of this subset creates.
    monkeypatch.setattr(
        stateful, "is_likely_root_transition", lambda operation, *_: operation.label == _SUBMIT
    )
    machine = ORDERS.as_state_machine()
    monkeypatch.undo()

    class OrderLife(machine):  # type: ignore[misc,valid-type]
        def before_call(self, case: schemathesis.Case) -> None:
            # Categories are data (a random one is a 422, and the fuzz over every
            # operation tries those): every walk starts from a real order.
            # A fresh key each call: one the generator repeats would replay an earlier
            # answer, and a walk would not go the same way twice (the keys themselves
            # are fuzzed over every operation above).
            if case.headers is not None and "idempotency-key" in case.headers:
                case.headers["idempotency-key"] = uuid.uuid4().hex
            if case.operation.label == _SUBMIT:
                case.body = {
                    "category": "repair",
                    "title": "楼道灯不亮",
                    "description": "坏了一周",
                    "channel": "app",
                }

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            answered.append((case.operation.label, _role_of(case), response.status_code))
            print(
                "CALL",
                case.operation.label,
                _role_of(case),
                response.status_code,
                dict(case.headers or {}).get("if-match"),
                response.text[:150],
            )

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            headers = callers[_role_of(case)].headers()
            return {"base_url": live_server.base_url, "headers": headers}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            # Collected rather than raised: the server's state moves on, so hypothesis
            # could not replay a failing walk to shrink it (it reports a flaky strategy
            # instead of the failure).
            try:
                case.validate_response(
                    response,
                    excluded_checks=[schemathesis.checks.positive_data_acceptance],
                    transport_kwargs=kwargs,
                )
            except AssertionError as failure:
                violations.append(f"{case.operation.label} as {_role_of(case)}: {failure}")

    try:
        OrderLife.run(
            # Only generation, as schemathesis runs its own stateful phase: the server's
            # state moves on, so a walk is neither replayed nor shrunk.
            settings=settings(
                max_examples=STATEFUL_EXAMPLES,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                phases=[Phase.generate],
                database=None,
            )
        )
    finally:
        for signed_in in callers.values():
            signed_in.connection.close()
    steps_taken = {
        label.rsplit("/", 1)[-1]
        for label, _, status in answered
        if label.startswith("POST /api/v1/orders/{order_id}/") and status < 300
    }
    assert not violations, "\n\n".join(violations)
    assert steps_taken, sorted(set(answered))
