"""A script's view of the API: a client generated from the committed openapi/openapi.json
by openapi-python-client (warnings are failures) drives a whole order against a real
server — sign in, submit, triage, pool, claim, contact, resolve, 回访, the member's
points and the KPI report — with typed results only, no raw HTTP."""

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.openapi import OPENAPI_PATH
from tests.contract.conftest import LiveServer
from tests.support.factory import PASSWORD

CONFIG = OPENAPI_PATH.parent / "openapi-python-client.yaml"
PACKAGE = "redgrid_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("client")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(OPENAPI_PATH),
            "--config",
            str(CONFIG),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def _api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def _models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def test_a_generated_client_takes_an_order_from_submit_to_the_kpi_report(
    generated: ModuleType, live_server: LiveServer
) -> None:
    models = _models()
    auth = _api("auth.auth_token")
    anonymous = generated.Client(base_url=live_server.base_url, raise_on_unexpected_status=True)

    def sign_in(who: str) -> Any:
        token = auth.sync(
            client=anonymous,
            body=models.TokenForm(
                grant_type="password", username=live_server.usernames[who], password=PASSWORD
            ),
        )
        assert isinstance(token, models.TokenResponse), token
        return generated.AuthenticatedClient(
            base_url=live_server.base_url, token=token.access_token, raise_on_unexpected_status=True
        )

    resident, dispatcher, member, admin = (
        sign_in(who) for who in ("resident", "dispatcher", "member", "admin")
    )

    order = _api("orders.orders_create").sync(
        client=resident,
        body=models.OrderCreate.from_dict(
            {
                "category": "repair",
                "title": "楼道灯不亮",
                "description": "坏了一周",
                "channel": "app",
            }
        ),
        idempotency_key="generated-client-submit",
    )
    assert isinstance(order, models.OrderRead), order
    assert order.status == models.OrderStatus.SUBMITTED

    def step(client: Any, name: str, **kwargs: Any) -> Any:
        result = _api(f"orders.orders_{name}").sync(
            order.id, client=client, if_match=f'W/"{order.version}"', **kwargs
        )
        assert isinstance(result, models.OrderRead), (name, result)
        return result

    order = step(dispatcher, "triage", body=models.TriageIn(priority=2))
    order = step(dispatcher, "pool")
    assert order.status == models.OrderStatus.POOLED
    order = step(member, "claim")
    order = step(member, "contact", body=models.ContactIn(note="已电话联系"))
    assert order.first_contact_at is not None
    order = step(member, "resolve", body=models.ResolveIn(result="更换灯泡"))
    assert order.status == models.OrderStatus.RESOLVED
    order = step(
        resident,
        "feedback",
        body=models.FeedbackIn(
            resolved=models.ResolvedAnswer.YES, satisfied=models.SatisfiedAnswer.SATISFIED
        ),
    )
    assert order.status == models.OrderStatus.CLOSED

    points = _api("points.points_me").sync(client=member)
    assert isinstance(points, models.AccountSummary), points
    assert points.balance > 0

    stats = _api("stats.stats_orders").sync(client=admin, unit_id=live_server.world.id("c1"))
    assert isinstance(stats, models.OrderStats), stats
    assert stats.summary.counted >= 1

    report = _api("stats.stats_orders_xlsx").sync(client=admin, unit_id=live_server.world.id("c1"))
    assert isinstance(report, generated.types.File), report
    assert report.payload.read(2) == b"PK"  # a zip: the workbook
