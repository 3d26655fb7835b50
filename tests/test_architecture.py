"""Architecture rules of CONVENTIONS.md, checked on the source (STYLE.md principles 1-5)."""

import ast
from collections.abc import Iterator
from pathlib import Path

from app.db.base import ANCESTOR_COLUMNS

APP = Path(__file__).resolve().parents[1] / "app"
# Packages with the fixed file roles router → service → repository → models.
LAYER_RANK = {
    "router": 3,
    "tasks": 3,
    "service": 2,
    "workflow": 1,
    "rules": 1,
    "repository": 1,
    "models": 0,
}
# Every role a module may have; a module named otherwise is a service-level helper.
ROLES = {*LAYER_RANK, "schemas", "errors", "permissions", "handlers", "events"}
CROSS_DOMAIN_ALLOWED = {
    "package",
    "service",
    "schemas",
    "errors",
    "models",
    "workflow",
    "rules",
    "permissions",
}
COMMIT_ALLOWED = {"db/session.py", "worker.py"}
HTTP_LAYER = {"handlers.py", "middleware.py"}
INFRASTRUCTURE = {"db", "kit", "authz", "integrations"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(APP).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def _imports(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"


def _domain_packages() -> set[str]:
    return {
        p.name
        for p in APP.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in INFRASTRUCTURE | {"static"}
    }


def role_of(rel: str) -> str:
    """A module's role, at any depth: its name (``router.py``), a ``_<role>`` suffix
    (``read_service.py``), ``package`` for ``__init__.py``, else ``service``: a
    helper module of a domain (``deadlines.py``, ``steps/claim.py``) ranks as a service."""
    stem = rel.removesuffix(".py").split("/")[-1]
    if stem == "__init__":
        return "package"
    if stem in ROLES:
        return stem
    suffix = stem.rsplit("_", 1)[-1]
    return suffix if suffix in ROLES else "service"


def resolve(name: str) -> str | None:
    """The app module (path relative to app/) an imported dotted name lives in."""
    parts = name.split(".")
    if parts[0] != "app":
        return None
    for end in range(len(parts), 1, -1):
        base = APP.joinpath(*parts[1:end])
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py").relative_to(APP).as_posix()
        if (base / "__init__.py").is_file():
            return (base / "__init__.py").relative_to(APP).as_posix()
    return None


def _app_imports(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(imported name, module it resolves to) for every import of our own code."""
    for name in _imports(tree):
        target = resolve(name)
        if target is not None:
            yield name, target


def test_kit_imports_no_domain() -> None:
    offenders = [
        f"{rel} imports {name}"
        for rel, tree in _modules()
        if rel.startswith("kit/")
        for name in _imports(tree)
        if name.startswith("app.") and not name.startswith(("app.kit", "app.errors"))
    ]
    assert offenders == []


def test_domains_use_only_public_faces_of_other_domains() -> None:
    domains = _domain_packages()
    offenders = []
    for rel, tree in _modules():
        own = rel.split("/")[0]
        if own not in domains:
            continue
        for name, target in _app_imports(tree):
            foreign = target.split("/")[0] in domains - {own}
            if foreign and role_of(target) not in CROSS_DOMAIN_ALLOWED:
                offenders.append(f"{rel} imports {name}")
    assert offenders == [], "call another domain's service, never its repository or router"


def test_layers_point_downwards() -> None:
    domains = _domain_packages()
    offenders = []
    for rel, tree in _modules():
        own = rel.split("/")[0]
        own_rank = LAYER_RANK.get(role_of(rel))
        if own not in domains or own_rank is None:
            continue
        for name, target in _app_imports(tree):
            same_domain = target.split("/")[0] == own and target != rel
            if same_domain and LAYER_RANK.get(role_of(target), -1) > own_rank:
                offenders.append(f"{rel} imports {name}")
    assert offenders == []


def test_nothing_below_the_session_dependency_commits() -> None:
    offenders = [
        f"{rel}:{node.lineno}"
        for rel, tree in _modules()
        if rel not in COMMIT_ALLOWED
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]
    assert offenders == [], "services flush; only the session dependency and the worker commit"


def test_http_exception_only_in_routers() -> None:
    offenders = [
        f"{rel} uses HTTPException"
        for rel, tree in _modules()
        if not rel.endswith("router.py") and rel not in HTTP_LAYER
        for name in _imports(tree)
        if name.endswith(".HTTPException")
    ]
    assert offenders == [], "raise an app.errors.AppError subclass instead"


def test_domains_never_import_the_app_assembly() -> None:
    domains = _domain_packages()
    offenders = [
        f"{rel} imports {name}"
        for rel, tree in _modules()
        if rel.split("/")[0] in domains
        for name in _imports(tree)
        if name in ("app.main", "app.api", "app.cli")
    ]
    assert offenders == []


SCOPE_COLUMNS = set(ANCESTOR_COLUMNS)
# Structural rewrites (moving a subtree) legitimately match on an ancestor column;
# they are not visibility filters. Each entry is (module, function).
STRUCTURAL_FILTERS: set[tuple[str, str]] = {
    # Over every scoped table of the registry: a move's rewrite, archive's live count.
    ("db/scoped.py", "rewrite_ancestors"),
    ("db/scoped.py", "count_live_under"),
    ("hierarchy/repository.py", "subtree_counts"),
    ("hierarchy/repository.py", "count_live_children"),
    # Natural keys, not visibility: a person's account in a town, a town's system
    # accounts, and the rules in force for a town (its own, else the default).
    ("points/repository.py", "member_account"),
    ("points/repository.py", "system_account_ids"),
    ("points/repository.py", "rules_in_force"),
    ("points/repository.py", "close_current_rule"),
    # The demo seed places its own data; it acts as the system, not as a caller.
    ("demo/town.py", "_departments_and_team"),
    ("demo/town.py", "_points"),
}


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node


def test_no_hand_written_scope_filters() -> None:
    """Visibility filters come only from app.authz.scope (STYLE.md principle 4)."""
    offenders = []
    for rel, tree in _modules():
        if rel.startswith("authz/"):
            continue
        for name, function in _functions(tree):
            if (rel, name) in STRUCTURAL_FILTERS:
                continue
            for node in ast.walk(function):
                compared = []
                if isinstance(node, ast.Compare):
                    compared = [node.left, *node.comparators]
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("in_", "is_", "is_not", "not_in")
                ):
                    compared = [node.func.value]
                for side in compared:
                    if isinstance(side, ast.Attribute) and side.attr in SCOPE_COLUMNS:
                        offenders.append(f"{rel}:{node.lineno} in {name}()")
    assert offenders == [], "filter visibility through principal.scope(...).clause(Model)"
