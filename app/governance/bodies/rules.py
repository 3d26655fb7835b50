"""Which office sits in which seat, as data. Pure module: no database.

A seat is an org unit (a 党委/党支部 at community or grid level, a 党小组 or 楼栋 at a
building), a partner body of a kind, or a station. Holding seats of several kinds at
once is the cross-appointment of 双向进入、交叉任职 (石龙, seed 000) and 一核三元 (聊城,
seed 004: the 站长 is the branch secretary, the deputies the committee chair and the
property manager).
"""

import enum
from collections.abc import Mapping
from types import MappingProxyType


class BodyKind(enum.StrEnum):
    """Kind of partner body (合作主体)."""

    owners_committee = "owners_committee"
    """业主委员会 · owners' committee of a compound."""
    property_company = "property_company"
    """物业服务企业 · property company serving compounds under contract."""
    social_organisation = "social_organisation"
    """社会组织 · social organisation settled in the compound (社会组织入驻)."""
    unit = "unit"
    """机关、企事业单位党组织 · a unit's party organisation linked to the node (挂钩联系)."""


class Office(enum.StrEnum):
    """An office (职务) held for a term."""

    secretary = "secretary"
    """书记 · secretary of a 党委 or 党支部."""
    deputy_secretary = "deputy_secretary"
    """副书记 · deputy secretary."""
    branch_committee_member = "branch_committee_member"
    """支部委员 · member of the branch (or community) committee."""
    group_leader = "group_leader"
    """党小组长 · leader of a building's party group."""
    building_leader = "building_leader"
    """楼长 · building leader."""
    committee_chair = "committee_chair"
    """业委会主任 · chair of the owners' committee."""
    committee_deputy_chair = "committee_deputy_chair"
    """业委会副主任 · deputy chair of the owners' committee."""
    committee_member = "committee_member"
    """业委会委员 · member of the owners' committee."""
    property_manager = "property_manager"
    """物业经理 · the property company's manager for the compound."""
    organisation_head = "organisation_head"
    """负责人 · head of a social organisation or a unit's party organisation."""
    station_master = "station_master"
    """站长 · master of a station (红旗驿站站长)."""
    deputy_station_master = "deputy_station_master"
    """副站长 · deputy master of a station."""


class SeatKind(enum.StrEnum):
    """Where an office is held."""

    org_unit = "org_unit"
    """组织 · a node of the hierarchy (党委, 党支部, 党小组/楼栋)."""
    body = "body"
    """合作主体 · a partner body."""
    station = "station"
    """驿站/服务站 · a station."""


BRANCH = "branch"
BUILDING = "building"
STATION = "station"

SEATS: Mapping[Office, frozenset[str]] = MappingProxyType(
    {
        Office.secretary: frozenset({BRANCH}),
        Office.deputy_secretary: frozenset({BRANCH}),
        Office.branch_committee_member: frozenset({BRANCH}),
        Office.group_leader: frozenset({BUILDING}),
        Office.building_leader: frozenset({BUILDING}),
        Office.committee_chair: frozenset({BodyKind.owners_committee}),
        Office.committee_deputy_chair: frozenset({BodyKind.owners_committee}),
        Office.committee_member: frozenset({BodyKind.owners_committee}),
        Office.property_manager: frozenset({BodyKind.property_company}),
        Office.organisation_head: frozenset({BodyKind.social_organisation, BodyKind.unit}),
        Office.station_master: frozenset({STATION}),
        Office.deputy_station_master: frozenset({STATION}),
    }
)
"""Office → the seats it may be held in: ``branch`` (a community or grid node),
``building`` (a building node), a body kind, or ``station``."""


PARTY_OFFICES: frozenset[Office] = frozenset(
    {
        Office.secretary,
        Office.deputy_secretary,
        Office.branch_committee_member,
        Office.group_leader,
        Office.station_master,
    }
)
"""Offices only a party member holds (聊城: a station's 站长 is the branch secretary or,
without a branch, a member chosen from the compound)."""


def seat_of_unit(level: str) -> str | None:
    return {"community": BRANCH, "grid": BRANCH, "building": BUILDING}.get(level)


def fits(office: Office, seat: str | None) -> bool:
    return seat is not None and seat in SEATS[office]


def seat_key(kind: SeatKind, seat_id: int) -> str:
    """One string per seat, so "the same office twice in one seat" is a unique index."""
    return f"{kind.value}:{seat_id}"
