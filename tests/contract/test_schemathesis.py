"""A contract fuzzer over every operation of the committed document, against the real
server, as an administrator and as a resident: no 5xx, and every answer's status,
headers, content type and body as the document says (schemathesis' checks; the
positive-data heuristic is left out: an opaque cursor or an id of no row is
schema-valid yet rightly refused). Examples are bounded so the run fits CI."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app.authz.tokens import issue_access_token
from app.openapi import OPENAPI_PATH
from tests.contract.conftest import LiveServer

MAX_EXAMPLES = 3
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_path(str(OPENAPI_PATH), config=CONFIG)


@pytest.fixture(scope="module", params=["superuser", "resident"])
def caller(request: pytest.FixtureRequest, live_server: LiveServer) -> dict[str, str]:
    user = live_server.world.users[request.param]
    token, _ = issue_access_token(live_server.settings, f"user:{user.id}")
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_keeps_its_contract(
    case: schemathesis.Case, live_server: LiveServer, caller: dict[str, str]
) -> None:
    case.call_and_validate(
        base_url=live_server.base_url,
        headers=caller,
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
