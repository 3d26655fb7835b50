"""The architecture rules of CONVENTIONS.md, as functions over a source tree.

Each rule takes the directory that stands for ``app/`` and returns its offenders as
``"path:line what"`` strings (paths relative to that directory), so
tests/test_architecture.py runs every rule on the real tree and on small planted
trees holding one violation each. Everything is read from the AST: nothing is imported.
"""

import ast
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.db.base import ANCESTOR_COLUMNS

# ------------------------------------------------------------------ the source model

# A domain's file roles, highest first: a module imports only its own rank or lower.
LAYER_RANK = {
    "router": 3,
    "tasks": 3,
    "handlers": 3,
    "service": 2,
    "events": 2,
    "workflow": 1,
    "rules": 1,
    "repository": 1,
    "models": 0,
}
# Every role a module may have; a module named otherwise is a service-level helper.
ROLES = {*LAYER_RANK, "schemas", "errors", "permissions"}
# Top-level packages that are no domain: shared infrastructure under every domain.
INFRASTRUCTURE = {"db", "kit", "authz", "integrations"}
# The assembly: the top of the import graph, which nothing else imports.
ASSEMBLY = {"main.py", "api.py", "cli.py", "worker.py"}


@dataclass(frozen=True)
class Import:
    line: int
    name: str
    """The dotted name imported, as written (``app.orders.repository.find``)."""
    target: str | None
    """The module of our own it loads, relative to the root; None for a library."""
    lazy: bool
    """Inside a function body: runs at call time, not at import time."""


@dataclass(frozen=True)
class Module:
    rel: str
    """Path relative to the root, ``orders/steps/claim.py``."""
    tree: ast.Module
    imports: tuple[Import, ...]

    @property
    def role(self) -> str:
        return role_of(self.rel)

    @property
    def top(self) -> str:
        """The top-level package (``orders``), or ``""`` for a top-level module."""
        return self.rel.split("/")[0] if "/" in self.rel else ""


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


def resolve(root: Path, name: str) -> str | None:
    """The module (path relative to root) an imported dotted ``app.…`` name lives in:
    the longest prefix of the name that is a module or a package."""
    parts = name.split(".")
    if parts[0] != "app":
        return None
    for end in range(len(parts), 1, -1):
        base = root.joinpath(*parts[1:end])
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py").relative_to(root).as_posix()
        if (base / "__init__.py").is_file():
            return (base / "__init__.py").relative_to(root).as_posix()
    return None


@dataclass(frozen=True)
class Source:
    root: Path
    modules: tuple[Module, ...]

    @property
    def domains(self) -> set[str]:
        """Top-level packages with a domain's file roles: all but the infrastructure."""
        return {m.top for m in self.modules if m.top} - INFRASTRUCTURE


@functools.cache
def load(root: Path) -> Source:
    modules = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        modules.append(Module(rel, tree, tuple(_imports(root, rel, tree))))
    return Source(root, tuple(modules))


def _imports(root: Path, rel: str, tree: ast.Module) -> Iterator[Import]:
    package = ["app", *rel.split("/")[:-1]]
    for node, lazy in _statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(node.lineno, alias.name, resolve(root, alias.name), lazy)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # `from app.orders import repository` loads the module orders/repository.py;
            # `from app.orders.service import submit` loads orders/service.py.
            for alias in node.names:
                name = f"{module}.{alias.name}"
                yield Import(node.lineno, name, resolve(root, name), lazy)


def _statements(tree: ast.AST, lazy: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node, with whether it sits inside a function body (runs only when called)."""
    for child in ast.iter_child_nodes(tree):
        yield child, lazy
        yield from _statements(
            child, lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        )


def _placed(
    tree: ast.AST, where: tuple[str, ...] = ()
) -> Iterator[tuple[ast.AST, tuple[str, ...]]]:
    """Every node, with the names it is defined under, outermost first: the enclosing
    functions and classes, or the names a module-level assignment binds."""
    for child in ast.iter_child_nodes(tree):
        yield child, where
        inner = where
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            inner = (*where, child.name)
        elif isinstance(child, ast.Assign | ast.AnnAssign) and not where:
            targets = child.targets if isinstance(child, ast.Assign) else [child.target]
            inner = tuple(t.id for t in targets if isinstance(t, ast.Name))
        yield from _placed(child, inner)


def _dotted(node: ast.AST) -> list[str] | None:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else [*base, node.attr]
    return None


def used_names(module: Module) -> Iterator[tuple[int, str]]:
    """(line, fully qualified name) for every imported name and every use of one,
    whatever the spelling: ``from fastapi import HTTPException``, ``import fastapi``
    then ``fastapi.HTTPException``, ``from starlette import exceptions as e`` then
    ``e.HTTPException`` all give ``….HTTPException``."""
    bound: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    bound[head] = head
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                yield node.lineno, f"{node.module}.{alias.name}"
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
            parts = _dotted(node)
            if parts and parts[0] in bound:
                yield node.lineno, ".".join([bound[parts[0]], *parts[1:]])


def _report(rel: str, line: int, what: str) -> str:
    return f"{rel}:{line} {what}"


# ------------------------------------------------------------------ import direction


def layers_point_down(root: Path) -> list[str]:
    """Within a domain, at any depth, a module imports only its own rank or lower:
    router/tasks/handlers → service and its helpers → repository/workflow/rules → models."""
    source = load(root)
    offenders = []
    for module in source.modules:
        own_rank = LAYER_RANK.get(module.role)
        if module.top not in source.domains or own_rank is None:
            continue
        for imp in module.imports:
            if imp.target is None or imp.target == module.rel:
                continue
            same_domain = imp.target.split("/")[0] == module.top
            if same_domain and LAYER_RANK.get(role_of(imp.target), -1) > own_rank:
                offenders.append(_report(module.rel, imp.line, f"imports {imp.name}"))
    return offenders


# What another domain may import of a domain, at any depth; never repository, router, tasks.
PUBLIC_FACES = {
    "package",
    "service",
    "schemas",
    "errors",
    "models",
    "workflow",
    "rules",
    "permissions",
}


def other_domains_through_public_faces(root: Path) -> list[str]:
    """Code outside a domain (other domains, infrastructure) uses it only through its
    public faces; the assembly (main, api, cli, worker) alone wires routers and tasks."""
    source = load(root)
    offenders = []
    for module in source.modules:
        if module.rel in ASSEMBLY:
            continue
        for imp in module.imports:
            if imp.target is None or "/" not in imp.target:
                continue
            foreign = imp.target.split("/")[0]
            if foreign in source.domains - {module.top} and role_of(imp.target) not in PUBLIC_FACES:
                offenders.append(_report(module.rel, imp.line, f"imports {imp.name}"))
    return offenders


def kit_imports_no_domain(root: Path) -> list[str]:
    """``kit/`` is generic: it imports nothing of ours but itself and ``app.errors``."""
    return [
        _report(module.rel, imp.line, f"imports {imp.name}")
        for module in load(root).modules
        if module.top == "kit"
        for imp in module.imports
        if imp.target is not None
        and not imp.target.startswith("kit/")
        and imp.target != "errors.py"
    ]


def nothing_imports_the_assembly(root: Path) -> list[str]:
    """Nothing below the assembly imports it (``app.main``, ``app.api``, ``app.cli``,
    ``app.worker``); the assembly modules import each other top-down only."""
    return [
        _report(module.rel, imp.line, f"imports {imp.name}")
        for module in load(root).modules
        if module.rel not in ASSEMBLY
        for imp in module.imports
        if imp.target in ASSEMBLY
    ]


# The command line imports lazily so that ``redgrid --help`` starts fast; it is the top
# of the graph, so nothing it imports can import it back.
LAZY_IMPORTS_ALLOWED = {"cli.py"}


def no_function_level_imports(root: Path) -> list[str]:
    """Our own modules are imported at the top of a module, never inside a function,
    where an import cycle hides until the function runs."""
    return [
        _report(module.rel, imp.line, f"imports {imp.name} inside a function")
        for module in load(root).modules
        if module.rel not in LAZY_IMPORTS_ALLOWED
        for imp in module.imports
        if imp.lazy and imp.target is not None
    ]


def import_cycles(root: Path) -> list[str]:
    """Module-level imports among our modules form no cycle (strongly connected
    components of the import graph, Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], int] = {}
    for module in load(root).modules:
        edges = graph.setdefault(module.rel, set())
        for imp in module.imports:
            if imp.target is not None and not imp.lazy and imp.target != module.rel:
                edges.add(imp.target)
                lines.setdefault((module.rel, imp.target), imp.line)
    offenders = []
    for component in _strongly_connected(graph):
        if len(component) > 1:
            members = sorted(component)
            steps = [
                f"{a}:{lines[a, b]} → {b}"
                for a in members
                for b in sorted(graph[a])
                if b in component
            ]
            offenders.append("cycle: " + ", ".join(steps))
    return offenders


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


# ------------------------------------------------------------------ transactions

# Who opens and commits transactions: the request's session dependency, jobs (task
# modules: each unit of work in its own ``session.begin()``), and the command line.
TRANSACTION_OWNERS = {"db/session.py", "cli.py"}
# Functions that open a transaction of their own on an engine of their own; each entry
# is (module, function).
OWN_TRANSACTIONS = {
    # `redgrid verify-ledger`: one read-only REPEATABLE READ snapshot; it writes nothing.
    ("points/verify.py", "run"),
    # Rate-limit counters: a hit counts even when the request it belongs to fails.
    ("kit/ratelimit.py", "_run"),
    ("kit/ratelimit.py", "reset"),
    ("kit/ratelimit.py", "clear"),
    # A signed request's nonce stays spent even when the request fails afterwards.
    ("kit/nonces.py", "claim"),
    # The audit record of a refusal, written after the request's rollback.
    ("handlers.py", "_app_error"),
}


def nothing_below_the_session_commits(root: Path) -> list[str]:
    """``.commit()`` and ``.begin()`` only in the transaction owners; services,
    repositories and helpers ``flush()``. ``begin_nested()`` is a savepoint inside the
    caller's transaction, not a commit, and stays allowed."""
    offenders = []
    for module in load(root).modules:
        if module.rel in TRANSACTION_OWNERS or module.role == "tasks":
            continue
        for node, where in _placed(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("commit", "begin")
                and not any((module.rel, name) in OWN_TRANSACTIONS for name in where)
            ):
                offenders.append(_report(module.rel, node.lineno, f".{node.func.attr}()"))
    return offenders


# ------------------------------------------------------------------ HTTP

# The HTTP layer besides the routers: where responses and HTTP errors are made.
HTTP_LAYER = {
    "handlers.py",
    "middleware.py",
    "docs.py",
    "problems.py",
    "kit/http.py",
    # The retry mechanism is a route class and a dependency: it replays and stores
    # whole responses, and only routers use it.
    "integrations/idempotency.py",
    # The caller's dependency: an integration client's rate limit sets RateLimit-*
    # headers on the answer.
    "authz/deps.py",
}


def _speaks_http(module: Module) -> bool:
    return module.role == "router" or module.rel in HTTP_LAYER


def http_exception_only_in_routers(root: Path) -> list[str]:
    """``HTTPException`` (fastapi's or starlette's, by any spelling) only in routers and
    the HTTP layer; everything else raises an ``AppError`` subclass."""
    return _uses(root, _is_http_exception)


def _is_http_exception(name: str) -> bool:
    return name.split(".")[0] in ("fastapi", "starlette") and name.endswith(".HTTPException")


def _is_response(name: str) -> bool:
    parts = name.split(".")
    return parts[0] in ("fastapi", "starlette") and (
        "responses" in parts[1:] or parts[-1].endswith("Response")
    )


def responses_only_in_routers(root: Path) -> list[str]:
    """HTTP responses (``fastapi.responses``, ``starlette.responses``, ``fastapi.Response``,
    by any spelling) only in routers and the HTTP layer: services return domain objects."""
    return _uses(root, _is_response)


def _uses(root: Path, forbidden: Callable[[str], bool]) -> list[str]:
    offenders: dict[tuple[str, int], str] = {}
    for module in load(root).modules:
        if _speaks_http(module):
            continue
        for line, name in used_names(module):
            if forbidden(name):
                key = (module.rel, line)
                offenders[key] = max(offenders.get(key, ""), name, key=len)
    return [_report(rel, line, f"uses {name}") for (rel, line), name in sorted(offenders.items())]


# ------------------------------------------------------------------ scope filters

# The one place that turns a caller's grants into a filter on the ancestor columns.
SCOPE_MODULE = "authz/scope.py"
SCOPE_COLUMNS = set(ANCESTOR_COLUMNS)
# Structural rewrites (moving a subtree) legitimately match on an ancestor column;
# they are not visibility filters. Each entry is (module, function or module-level name).
STRUCTURAL_FILTERS: set[tuple[str, str]] = {
    # Over every scoped table of the registry: a move's rewrite, archive's live count.
    ("db/scoped.py", "rewrite_ancestors"),
    ("db/scoped.py", "count_live_under"),
    ("db/scoped.py", "count_open_under"),
    ("hierarchy/repository.py", "subtree_counts"),
    ("hierarchy/repository.py", "count_live_children"),
    # Natural keys, not visibility: a person's account in a town, a town's system
    # accounts, and the rules in force for a town (its own, else the default).
    ("points/repository.py", "member_account"),
    ("points/repository.py", "system_account_ids"),
    ("points/repository.py", "_in_force"),  # rules in force: the town's own or the default
    ("points/repository.py", "rule_rows_in_force"),  # orders the town's own first
    ("points/repository.py", "close_current_rule"),
    ("points/repository.py", "_RULE_COLUMNS"),  # selects whether a rule is a town's own
    # The demo seed places its own data; it acts as the system, not as a caller.
    ("demo/town.py", "_departments_and_team"),
    ("demo/town.py", "_points"),
}
_SQL_SCOPE_FILTER = re.compile(
    r"\b(" + "|".join(sorted(SCOPE_COLUMNS)) + r")\s*(=|<>|!=|\bin\b|\bis\b)", re.IGNORECASE
)


def no_hand_written_scope_filters(root: Path) -> list[str]:
    """Visibility filters come only from ``authz/scope.py``: no comparison on an ancestor
    column (``Person.town_id == …``, ``.in_(…)``), no ``filter_by(town_id=…)`` or
    ``filter_by(**{"town_id": …})``, no ``text("town_id = …")``, outside the listed
    structural functions."""
    offenders = []
    for module in load(root).modules:
        if module.rel == SCOPE_MODULE:
            continue
        for node, where in _placed(module.tree):
            if not isinstance(node, ast.expr):
                continue
            what = _scope_filter(node)
            if what and not any((module.rel, name) in STRUCTURAL_FILTERS for name in where):
                offenders.append(_report(module.rel, node.lineno, what))
    return offenders


def _scope_filter(node: ast.expr) -> str | None:
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        columns = [
            s.attr for s in sides if isinstance(s, ast.Attribute) and s.attr in SCOPE_COLUMNS
        ]
        return f"compares {columns[0]}" if columns else None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    method = (_dotted(func) or [""])[-1]
    if method in ("in_", "not_in", "is_", "is_not") and isinstance(func, ast.Attribute):
        column = func.value
        if isinstance(column, ast.Attribute) and column.attr in SCOPE_COLUMNS:
            return f"compares {column.attr}"
    if method == "filter_by":
        for keyword in node.keywords:
            if keyword.arg in SCOPE_COLUMNS:
                return f"filter_by({keyword.arg}=…)"
            if keyword.arg is None and isinstance(keyword.value, ast.Dict):
                for key in keyword.value.keys:
                    if isinstance(key, ast.Constant) and key.value in SCOPE_COLUMNS:
                        return f"filter_by(**{{{key.value!r}: …}})"
    if method == "text":
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                match = _SQL_SCOPE_FILTER.search(arg.value)
                if match:
                    return f'text("{match.group(0)} …")'
    return None


RULES = (
    layers_point_down,
    other_domains_through_public_faces,
    kit_imports_no_domain,
    nothing_imports_the_assembly,
    no_function_level_imports,
    import_cycles,
    nothing_below_the_session_commits,
    http_exception_only_in_routers,
    responses_only_in_routers,
    no_hand_written_scope_filters,
)
