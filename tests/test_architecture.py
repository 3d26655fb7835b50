"""Architecture rules of CONVENTIONS.md (STYLE.md principles 1-5), on the real app/.

Each rule is a function in tests/support/architecture.py. It runs on the real tree,
and on tiny planted trees: one violation each, which the rule must report exactly,
and a clean counterpart holding the allowed forms, which it must not.
"""

import ast
import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.architecture import (
    OWN_TRANSACTIONS,
    RULES,
    STRUCTURAL_FILTERS,
    http_exception_only_in_routers,
    import_cycles,
    kit_imports_no_domain,
    layers_point_down,
    no_function_level_imports,
    no_hand_written_scope_filters,
    nothing_below_the_session_commits,
    nothing_imports_the_assembly,
    other_domains_through_public_faces,
    responses_only_in_routers,
)

APP = Path(__file__).resolve().parents[1] / "app"

Rule = Callable[[Path], list[str]]
Files = dict[str, str]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_real_tree(rule: Rule) -> None:
    assert rule(APP) == []


@pytest.fixture
def plant(tmp_path: Path) -> Callable[[Files], Path]:
    """Writes the files under a fresh ``app/``, every directory a package, and returns it."""
    trees = itertools.count()

    def write(files: Files) -> Path:
        root = tmp_path / f"tree{next(trees)}" / "app"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        for directory in [root, *(p for p in root.rglob("*") if p.is_dir())]:
            (directory / "__init__.py").touch()
        return root

    return write


def planted(rule: Rule, name: str, files: Files, *offenders: str) -> object:
    return pytest.param(rule, files, list(offenders), id=f"{rule.__name__}-{name}")


def clean(rule: Rule, files: Files) -> object:
    return pytest.param(rule, files, id=rule.__name__)


# ------------------------------------------------------------------ planted violations

VIOLATIONS = [
    # Layers point down, at any depth.
    planted(
        layers_point_down,
        "repository-imports-its-service",
        {"orders/repository.py": "from app.orders import service", "orders/service.py": ""},
        "orders/repository.py:1 imports app.orders.service",
    ),
    planted(
        layers_point_down,
        "step-imports-the-router",
        {"orders/steps/claim.py": "from app.orders.router import router", "orders/router.py": ""},
        "orders/steps/claim.py:1 imports app.orders.router.router",
    ),
    planted(
        layers_point_down,
        "model-imports-a-repository",
        {"orders/models.py": "from app.orders.repository import find", "orders/repository.py": ""},
        "orders/models.py:1 imports app.orders.repository.find",
    ),
    planted(
        layers_point_down,
        "subpackage-repository-imports-its-router",
        {
            "orders/config/repository.py": "from app.orders.config import router",
            "orders/config/router.py": "",
        },
        "orders/config/repository.py:1 imports app.orders.config.router",
    ),
    # Another domain only through its public faces.
    planted(
        other_domains_through_public_faces,
        "subpackage-repository",
        {
            "orders/service.py": "from app.points.shop import repository",
            "points/shop/repository.py": "",
        },
        "orders/service.py:1 imports app.points.shop.repository",
    ),
    planted(
        other_domains_through_public_faces,
        "name-from-a-nested-repository",
        {
            "points/service.py": "from app.orders.config.repository import find_category",
            "orders/config/repository.py": "",
        },
        "points/service.py:1 imports app.orders.config.repository.find_category",
    ),
    planted(
        other_domains_through_public_faces,
        "router",
        {"orders/service.py": "import app.people.router", "people/router.py": ""},
        "orders/service.py:1 imports app.people.router",
    ),
    planted(
        other_domains_through_public_faces,
        "infrastructure-imports-a-repository",
        {"authz/deps.py": "from app.users import repository", "users/repository.py": ""},
        "authz/deps.py:1 imports app.users.repository",
    ),
    # Kit imports no domain.
    planted(
        kit_imports_no_domain,
        "models",
        {"kit/pagination.py": "from app.orders.models import Order", "orders/models.py": ""},
        "kit/pagination.py:1 imports app.orders.models.Order",
    ),
    # Nothing imports the assembly.
    planted(
        nothing_imports_the_assembly,
        "main",
        {"orders/service.py": "from app.main import create_app", "main.py": ""},
        "orders/service.py:1 imports app.main.create_app",
    ),
    planted(
        nothing_imports_the_assembly,
        "worker-as-a-module",
        {"integrations/events.py": "from app import worker", "worker.py": ""},
        "integrations/events.py:1 imports app.worker",
    ),
    # No function-level imports of our own modules.
    planted(
        no_function_level_imports,
        "in-a-service",
        {
            "hierarchy/service.py": """
                async def archive():
                    from app.people import service
                """,
            "people/service.py": "",
        },
        "hierarchy/service.py:2 imports app.people.service inside a function",
    ),
    # No module-level import cycles.
    planted(
        import_cycles,
        "between-two-services",
        {
            "hierarchy/service.py": "from app.people import service",
            "people/service.py": "import app.hierarchy.service",
        },
        "cycle: hierarchy/service.py:1 → people/service.py,"
        " people/service.py:1 → hierarchy/service.py",
    ),
    planted(
        import_cycles,
        "through-a-third-module",
        {
            "main.py": "from app.openapi import render",
            "openapi.py": "from app.docs import mount",
            "docs.py": "from app.main import settings",
        },
        "cycle: docs.py:1 → main.py, main.py:1 → openapi.py, openapi.py:1 → docs.py",
    ),
    # Nothing below the session dependency commits.
    planted(
        nothing_below_the_session_commits,
        "service-commits",
        {
            "orders/service.py": """
                async def submit(session):
                    await session.commit()
                """
        },
        "orders/service.py:2 .commit()",
    ),
    planted(
        nothing_below_the_session_commits,
        "repository-begins",
        {
            "orders/repository.py": """
                async def save(session, order):
                    async with session.begin():
                        session.add(order)
                """
        },
        "orders/repository.py:2 .begin()",
    ),
    planted(
        nothing_below_the_session_commits,
        "step-begins",
        {"orders/steps/claim.py": "async def claim(session):\n    await session.begin()\n"},
        "orders/steps/claim.py:2 .begin()",
    ),
    # HTTPException only in routers and the HTTP layer, by any spelling.
    planted(
        http_exception_only_in_routers,
        "from-fastapi",
        {"orders/service.py": "from fastapi import HTTPException"},
        "orders/service.py:1 uses fastapi.HTTPException",
    ),
    planted(
        http_exception_only_in_routers,
        "from-starlette",
        {"orders/service.py": "from starlette.exceptions import HTTPException as E"},
        "orders/service.py:1 uses starlette.exceptions.HTTPException",
    ),
    planted(
        http_exception_only_in_routers,
        "domain-event-handlers-are-no-http-layer",
        {"points/handlers.py": "from fastapi import HTTPException"},
        "points/handlers.py:1 uses fastapi.HTTPException",
    ),
    planted(
        http_exception_only_in_routers,
        "fastapi-attribute",
        {
            "orders/steps/claim.py": """
                import fastapi

                def claim():
                    raise fastapi.HTTPException(404)
                """
        },
        "orders/steps/claim.py:4 uses fastapi.HTTPException",
    ),
    planted(
        http_exception_only_in_routers,
        "starlette-attribute",
        {
            "orders/repository.py": """
                import starlette.exceptions

                def find():
                    raise starlette.exceptions.HTTPException(404)
                """
        },
        "orders/repository.py:4 uses starlette.exceptions.HTTPException",
    ),
    # HTTP responses only in routers and the HTTP layer.
    planted(
        responses_only_in_routers,
        "fastapi-responses",
        {"points/service.py": "from fastapi.responses import JSONResponse"},
        "points/service.py:1 uses fastapi.responses.JSONResponse",
    ),
    planted(
        responses_only_in_routers,
        "starlette-responses-module",
        {
            "points/service.py": """
                from starlette import responses

                def redeem():
                    return responses.Response(status_code=204)
                """
        },
        "points/service.py:1 uses starlette.responses",
        "points/service.py:4 uses starlette.responses.Response",
    ),
    planted(
        responses_only_in_routers,
        "fastapi-response-attribute",
        {
            "orders/steps/claim.py": """
                import fastapi

                def claim():
                    return fastapi.Response(status_code=204)
                """
        },
        "orders/steps/claim.py:4 uses fastapi.Response",
    ),
    # No hand-written scope filters, by any spelling.
    planted(
        no_hand_written_scope_filters,
        "comparison",
        {"orders/repository.py": "def find(q, t):\n    return q.where(Order.town_id == t)\n"},
        "orders/repository.py:2 compares town_id",
    ),
    planted(
        no_hand_written_scope_filters,
        "in",
        {"orders/repository.py": "def find(q, ids):\n    return q.where(Order.grid_id.in_(ids))\n"},
        "orders/repository.py:2 compares grid_id",
    ),
    planted(
        no_hand_written_scope_filters,
        "filter-by-keyword",
        {"orders/repository.py": "def find(q, t):\n    return q.filter_by(town_id=t)\n"},
        "orders/repository.py:2 filter_by(town_id=…)",
    ),
    planted(
        no_hand_written_scope_filters,
        "filter-by-mapping",
        {
            "orders/repository.py": """
                def find(q, c):
                    return q.filter_by(**{"community_id": c})
                """
        },
        "orders/repository.py:2 filter_by(**{'community_id': …})",
    ),
    planted(
        no_hand_written_scope_filters,
        "sql-text",
        {"orders/repository.py": "def find(q):\n    return q.where(text('town_id = :t'))\n"},
        'orders/repository.py:2 text("town_id = …")',
    ),
    planted(
        no_hand_written_scope_filters,
        "module-level",
        {"orders/repository.py": "VISIBLE = Order.town_id == 1\n"},
        "orders/repository.py:1 compares town_id",
    ),
]


@pytest.mark.parametrize(("rule", "files", "offenders"), VIOLATIONS)
def test_rule_reports_a_planted_violation(
    rule: Rule, files: Files, offenders: list[str], plant: Callable[[Files], Path]
) -> None:
    assert rule(plant(files)) == offenders


# ------------------------------------------------------------------ clean counterparts

CLEAN = [
    clean(
        layers_point_down,
        {
            "orders/router.py": "from app.orders import schemas, service",
            "orders/tasks.py": "from app.orders.steps import claim",
            "orders/steps/claim.py": "from app.orders import deadlines, repository, workflow",
            "orders/service.py": "from app.orders.steps.claim import claim",
            "orders/deadlines.py": "from app.orders.models import Order",
            "orders/config/repository.py": "from app.orders.config.models import Category",
            "orders/config/models.py": "from app.orders.models import Order",
            "orders/repository.py": "from app.orders import models",
            "orders/workflow.py": "",
            "orders/schemas.py": "from app.orders.workflow import OrderStatus",
            "orders/models.py": "",
        },
    ),
    clean(
        other_domains_through_public_faces,
        {
            "orders/service.py": """
                from app.people import service as people_service
                from app.points.shop import schemas, service
                from app.points.ledger import post
                import app.hierarchy
                from app.users.models import UserAccount
                """,
            "people/service.py": "",
            "points/shop/schemas.py": "",
            "points/shop/service.py": "",
            "points/ledger.py": "",
            "users/models.py": "",
            "api.py": "from app.orders.router import router",
            "worker.py": "from app.orders import tasks",
            "orders/router.py": "",
            "orders/tasks.py": "",
        },
    ),
    clean(
        kit_imports_no_domain,
        {
            "kit/http.py": "from app.errors import AppError\nfrom app.kit.etag import etag_for",
            "kit/etag.py": "",
            "errors.py": "",
        },
    ),
    clean(
        nothing_imports_the_assembly,
        {
            "cli.py": "from app.main import create_app\nfrom app.worker import open_queue",
            "main.py": "from app.api import router",
            "api.py": "",
            "worker.py": "",
        },
    ),
    clean(
        no_function_level_imports,
        {
            "cli.py": "def cmd_serve():\n    from app.main import create_app\n",
            "main.py": "",
            "demo/town.py": "def seed():\n    import json\n",
        },
    ),
    clean(
        import_cycles,
        {
            "main.py": "from app.openapi import render",
            "openapi.py": "from app.docs import mount",
            "docs.py": "",
            "hierarchy/service.py": "def archive():\n    from app.people import service\n",
            "people/service.py": "from app.hierarchy import models",
            "hierarchy/models.py": "",
        },
    ),
    clean(
        nothing_below_the_session_commits,
        {
            "db/session.py": "async def get_session(session):\n    await session.commit()\n",
            "orders/tasks.py": """
                async def run_deadlines(sessions):
                    async with sessions() as session, session.begin():
                        pass
                """,
            "cli.py": "async def run(session):\n    async with session.begin():\n        pass\n",
            "users/repository.py": """
                async def insert_account(session, account):
                    async with session.begin_nested():
                        session.add(account)
                        await session.flush()
                """,
            "points/verify.py": "async def run(connection):\n    await connection.begin()\n",
        },
    ),
    clean(
        http_exception_only_in_routers,
        {
            "orders/router.py": "from fastapi import HTTPException",
            "orders/config/router.py": "import fastapi\nE = fastapi.HTTPException",
            "middleware.py": "from starlette.exceptions import HTTPException",
            "handlers.py": "import starlette.exceptions\nE = starlette.exceptions.HTTPException",
            "orders/errors.py": "from app.errors import NotFound",
        },
    ),
    clean(
        responses_only_in_routers,
        {
            "points/router.py": "from fastapi.responses import JSONResponse",
            "problems.py": "from starlette.responses import Response",
            "kit/http.py": "from fastapi import Header, Response",
            "auth/service.py": "from app.auth.schemas import TokenResponse",
            "auth/schemas.py": "",
        },
    ),
    clean(
        no_hand_written_scope_filters,
        {
            "authz/scope.py": "def clause(model, ids):\n    return model.town_id.in_(ids)\n",
            "db/scoped.py": """
                def rewrite_ancestors(q, t):
                    def inner():
                        return q.filter_by(town_id=t)
                    return q.where(Person.town_id == t)
                """,
            "orders/repository.py": """
                def find(q, order_id):
                    return q.where(Order.id == order_id).where(text('id = :id'))
                """,
        },
    ),
]


@pytest.mark.parametrize(("rule", "files"), CLEAN)
def test_rule_accepts_the_allowed_forms(
    rule: Rule, files: Files, plant: Callable[[Files], Path]
) -> None:
    assert rule(plant(files)) == []


def test_every_rule_has_a_planted_violation_and_a_clean_tree() -> None:
    def covered(params: list[object]) -> set[object]:
        return {param.values[0] for param in params}  # type: ignore[attr-defined]

    assert covered(VIOLATIONS) == covered(CLEAN) == set(RULES)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        pytest.param(*entry, id=":".join(entry))
        for entry in sorted(STRUCTURAL_FILTERS | OWN_TRANSACTIONS)
    ],
)
def test_allow_lists_name_what_exists(module: str, name: str) -> None:
    """An allow-list entry keyed by a path that moved would silently allow nothing."""
    tree = ast.parse((APP / module).read_text(encoding="utf-8"))
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    } | {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert name in defined
