"""The 双考评 and service-hours arithmetic, without a database: facts in, figures out.

A member's service counts toward their unit and their communities (seed 002: 双报到,
双考评): an activity attended (checked in, not voided), an order closed as its
assignee, a 微心愿 fulfilled as one of its participants. Hours are the attendances'
service minutes; points what the activities and wishes paid.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from app.participation.reports.schemas import Formula, HoursFigures, Service
from app.reporting.schemas import Rate


@dataclass(frozen=True)
class Attendance:
    person_id: int
    activity_id: int
    community_id: int | None
    minutes: int
    points: int


@dataclass(frozen=True)
class ClosedOrder:
    order_id: int
    person_id: int
    community_id: int | None


@dataclass(frozen=True)
class WishShare:
    wish_id: int
    person_id: int
    community_id: int | None
    points: int


@dataclass(frozen=True)
class Facts:
    attendances: tuple[Attendance, ...]
    orders: tuple[ClosedOrder, ...]
    wishes: tuple[WishShare, ...]

    def of(self, people: set[int], community: int | None = None) -> "Facts":
        """Those of ``people`` (in ``community`` when given)."""

        def keep(person_id: int, where: int | None) -> bool:
            return person_id in people and (community is None or where == community)

        return Facts(
            tuple(a for a in self.attendances if keep(a.person_id, a.community_id)),
            tuple(o for o in self.orders if keep(o.person_id, o.community_id)),
            tuple(w for w in self.wishes if keep(w.person_id, w.community_id)),
        )

    def people(self) -> set[int]:
        return (
            {a.person_id for a in self.attendances}
            | {o.person_id for o in self.orders}
            | {w.person_id for w in self.wishes}
        )


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def rate(numerator: int, denominator: int) -> Rate:
    value = round(numerator / denominator, 4) if denominator else None
    return Rate(rate=value, numerator=numerator, denominator=denominator)


def service(facts: Facts) -> Service:
    minutes = sum(a.minutes for a in facts.attendances)
    orders = len({o.order_id for o in facts.orders})
    wishes = len({w.wish_id for w in facts.wishes})
    return Service(
        attendances=len(facts.attendances),
        minutes=minutes,
        hours=hours(minutes),
        points=sum(a.points for a in facts.attendances) + sum(w.points for w in facts.wishes),
        orders_closed=orders,
        wishes_fulfilled=wishes,
        matters_solved=orders + wishes,
    )


def hours_figures(attendances: Iterable[Attendance]) -> HoursFigures:
    rows = list(attendances)
    minutes = sum(a.minutes for a in rows)
    return HoursFigures(
        attendances=len(rows),
        people=len({a.person_id for a in rows}),
        minutes=minutes,
        hours=hours(minutes),
        points=sum(a.points for a in rows),
    )


FORMULAS = [
    Formula(
        name_zh="单位报到率",
        formula_zh="期末居住地报到与单位联系社区报到均有效的在职党员 ÷ 单位在职党员",
        formula_en="roster members with a live home and a live linked registration at the "
        "period's end ÷ roster",
    ),
    Formula(
        name_zh="单位活跃率",
        formula_zh="期间内至少服务一次的在职党员 ÷ 单位在职党员",
        formula_en="roster members who served at least once in the period ÷ roster",
    ),
    Formula(
        name_zh="社区报到率",
        formula_zh="期末已向本社区报到（已确认）的应报到党员 ÷ 应报到党员"
        "（居住在本社区的在职党员 + 与本社区结对单位的在职党员）",
        formula_en="expected members with a live confirmed registration there ÷ expected "
        "(in-service members living there + rosters of units paired there)",
    ),
    Formula(
        name_zh="社区活跃率",
        formula_zh="期间内在本社区服务至少一次的报到党员 ÷ 报到党员",
        formula_en="registered members who served in the community in the period ÷ registered",
    ),
    Formula(
        name_zh="服务时长",
        formula_zh="签到至签退的分钟数，不超过活动时长；未签退不计；作废不计",
        formula_en="minutes from check-in to check-out, at most the activity's length; none "
        "without check-out; voided attendances count nothing",
    ),
    Formula(
        name_zh="解决事项",
        formula_zh="期间内以其为承办人办结的工单 + 其参与完成的微心愿",
        formula_en="orders closed in the period with them as assignee + 微心愿 fulfilled "
        "with them taking part",
    ),
]
