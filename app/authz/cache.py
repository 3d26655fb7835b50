"""The caller, remembered for a moment (a per-process cache of ``Principal``).

Resolving a caller reads the account and aggregates its grants: two queries on every
request. ``PrincipalCache`` keeps what they said for ``principal_cache_seconds``
(default 30 s), keyed by the token's subject (and, for an integration client, the
token's scopes), beside the account's ``token_version`` at load time.

Invalidation, in this process, at once: any ORM flush or ORM ``INSERT``/``UPDATE``/
``DELETE`` statement touching the tables a principal is made of (``user_account``,
``role_grant``, ``role``, ``role_permission``, ``org_unit``, ``api_client``) moves a
process-wide *generation*; an entry of an older generation is never served. The
generation moves again when that transaction commits, so an entry loaded from the
state before the commit is dropped too.

In other processes (other uvicorn workers, job workers), a change shows when the
entry expires: revocation — a grant removed, an account deactivated, a sign-out
everywhere or a password change (``token_version``) — takes effect everywhere within
``principal_cache_seconds``. A token whose version is *behind* the one cached is
refused at once (versions only grow); one *ahead* of it reloads.

Raw SQL (``text()``) bypasses the watch: nothing in the app changes these tables so.
"""

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.authz.principal import Principal

WATCHED_TABLES = frozenset(
    {"user_account", "role_grant", "role", "role_permission", "org_unit", "api_client"}
)
_CHANGED = "authz_cache_changed"

_generation = 0


def generation() -> int:
    """The process-wide generation: an entry stored under an older one is stale."""
    return _generation


def invalidate() -> None:
    """Forget every cached principal of this process."""
    global _generation
    _generation += 1


@dataclass(frozen=True, slots=True)
class Entry:
    principal: Principal
    token_version: int | None
    generation: int
    expires_at: float


class PrincipalCache:
    """Principals by key for ``ttl`` seconds (0: no caching), at most ``max_entries``
    (the oldest go first). ``clock`` is injectable for tests."""

    def __init__(
        self,
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[Hashable, Entry] = {}

    def get(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != _generation or entry.expires_at <= self.clock():
            self._entries.pop(key, None)
            return None
        return entry

    def put(
        self,
        key: Hashable,
        principal: Principal,
        token_version: int | None,
        loaded_in: int,
    ) -> None:
        """Remember ``principal`` loaded while the generation was ``loaded_in``."""
        if self.ttl <= 0 or loaded_in != _generation:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = Entry(principal, token_version, loaded_in, self.clock() + self.ttl)

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


def _touches_watched(objects: Any) -> bool:
    return any(getattr(o, "__tablename__", None) in WATCHED_TABLES for o in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if (
        _touches_watched(session.new)
        or _touches_watched(session.dirty)
        or _touches_watched(session.deleted)
    ):
        session.info[_CHANGED] = True
        invalidate()


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[_CHANGED] = True
        invalidate()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        invalidate()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if session.info.pop(_CHANGED, False):
        invalidate()
