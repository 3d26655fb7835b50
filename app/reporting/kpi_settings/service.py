"""Use cases of the towns' KPI settings (考核口径), versioned like the points rules.

The settings in force for a town on a day are its latest version effective by then,
else the district default (``kpi_setting``). A change adds a version (never an edit),
so every report over a past period keeps the basis it was computed with. Reading
needs ``orders.stats`` or ``orders.config`` over the town, adding a version
``orders.config`` over the town (a community's staff do not set their town's rules);
a town outside the caller's scope is not found (404).
"""

from datetime import date, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.authz.permissions import ORDERS_CONFIG, ORDERS_STATS
from app.authz.principal import Principal
from app.authz.scope import Place, Scope
from app.errors import OrgUnitNotFound
from app.kit.calendar import BUSINESS_TZ
from app.kit.etag import check_version
from app.kit.pagination import BY_ID, paginate
from app.reporting.errors import (
    EffectiveDateOutOfRange,
    KpiSettingsInvalid,
    KpiSettingsVersionNotFound,
)
from app.reporting.kpi_settings import repository
from app.reporting.kpi_settings.models import KpiSettingsVersion
from app.reporting.kpi_settings.schemas import (
    KpiSettingsInForce,
    KpiSettingsVersionCreate,
    KpiSettingsVersionPage,
    KpiSettingsVersionRead,
)
from app.reporting.schemas import KpiSettings, SettingsBasis

MAX_DAYS_AHEAD = 366


def today() -> date:
    return datetime.now(BUSINESS_TZ).date()


def _town(town_id: int) -> Scope:
    return Scope.of([("town", town_id)])


def _readable(principal: Principal) -> Scope:
    """Where the caller reads settings: its ``orders.stats`` and ``orders.config`` subtrees."""
    scopes = (principal.scope(ORDERS_STATS), principal.scope(ORDERS_CONFIG))
    if any(s.unrestricted for s in scopes):
        return Scope.everything()
    return Scope.of(node for s in scopes for node in s.nodes)


async def _check_town(session: AsyncSession, scope: Scope, town_id: int) -> None:
    row = await repository.find_town(session, scope, town_id)
    if row is None or row.level != "town":
        raise OrgUnitNotFound()


async def in_force(
    session: AsyncSession, town_id: int, at: date
) -> tuple[KpiSettings, SettingsBasis]:
    """The settings a report of the town over a period ending ``at`` uses (no
    visibility check: the caller has already found the unit the report is about)."""
    version = await repository.in_force(session, _town(town_id), at)
    if version is not None:
        basis = SettingsBasis(
            source="town",
            town_id=town_id,
            at=at,
            version_id=version.id,
            version=version.version,
            effective_from=version.effective_from,
        )
        return _parse(version.settings), basis
    basis = SettingsBasis(
        source="district_default",
        town_id=town_id,
        at=at,
        version_id=None,
        version=None,
        effective_from=None,
    )
    return _parse(await repository.district_default(session)), basis


def _parse(values: dict[str, object]) -> KpiSettings:
    try:
        return KpiSettings.model_validate(values)
    except ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise KpiSettingsInvalid(f"配置项有误：{fields}", f"faulty keys: {fields}") from None


async def settings_in_force(
    session: AsyncSession, principal: Principal, town_id: int, at: date | None
) -> KpiSettingsInForce:
    await _check_town(session, _readable(principal), town_id)
    settings, basis = await in_force(session, town_id, at or today())
    latest = await repository.latest_number(session, _town(town_id))
    return KpiSettingsInForce(basis=basis, settings=settings, latest_version=latest)


def _read(version: KpiSettingsVersion) -> KpiSettingsVersionRead:
    return KpiSettingsVersionRead(
        id=version.id,
        town_id=version.town_id,
        version=version.version,
        effective_from=version.effective_from,
        settings=_parse(version.settings),
        note=version.note,
        created_by_user_id=version.created_by,
        created_at=version.created_at,
    )


async def create_version(
    session: AsyncSession,
    principal: Principal,
    data: KpiSettingsVersionCreate,
    *,
    if_match: str | None,
) -> KpiSettingsVersionRead:
    """A new complete version, numbered after the town's latest; ``If-Match`` (the
    latest number, as ``GET /stats/kpi-settings`` tags it) guards against two staff
    both changing the same version."""
    await _check_town(session, principal.scope(ORDERS_CONFIG), data.town_id)
    first_day = today()
    effective = data.effective_from or first_day
    if not first_day <= effective <= first_day + timedelta(days=MAX_DAYS_AHEAD):
        raise EffectiveDateOutOfRange(
            f"生效日期 {effective} 须在 {first_day} 至其后 {MAX_DAYS_AHEAD} 天之内",
            f"effective_from {effective} must be between {first_day} and "
            f"{MAX_DAYS_AHEAD} days after it",
        )
    await repository.lock_town(session, data.town_id)
    latest = await repository.latest_number(session, _town(data.town_id))
    if if_match is not None:
        check_version(if_match, latest)
    version = await repository.add(
        session,
        KpiSettingsVersion(
            town_id=data.town_id,
            version=latest + 1,
            effective_from=effective,
            settings=data.settings.model_dump(mode="json"),
            note=data.note,
            created_by=principal.user_id,
        ),
    )
    await audit_service.record(
        session,
        principal,
        "stats.kpi_settings_version",
        summary=f"KPI settings v{version.version} of town #{data.town_id} "
        f"effective from {effective}",
        target_type="kpi_settings_version",
        target_id=version.id,
        place=Place.town(data.town_id),
    )
    return _read(version)


async def get_version(
    session: AsyncSession, principal: Principal, version_id: int
) -> KpiSettingsVersionRead:
    version = await repository.get(session, _readable(principal), version_id)
    if version is None:
        raise KpiSettingsVersionNotFound()
    return _read(version)


async def list_versions(
    session: AsyncSession,
    principal: Principal,
    *,
    town_id: int | None,
    limit: int,
    cursor: str | None,
) -> KpiSettingsVersionPage:
    """Newest first; with ``town_id``, that town's (404 when it is not in scope)."""
    scope = _readable(principal)
    if town_id is not None:
        await _check_town(session, scope, town_id)
    town = None if town_id is None else _town(town_id)

    async def fetch(after: int | None, n: int) -> list[KpiSettingsVersion]:
        return list(await repository.page(session, scope, town, after=after, limit=n))

    rows, next_cursor = await paginate(BY_ID, cursor, limit, fetch, lambda v: v.id)
    return KpiSettingsVersionPage(items=[_read(v) for v in rows], next_cursor=next_cursor)
