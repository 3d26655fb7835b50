"""Each demo order's story: the steps it went through, with hours between them,
from submission to the status it ends in (today)."""

import random
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from app.demo.orders.plan import DISPATCHER, SYSTEM, Member, Plan, Resident, Step, Town
from app.orders.workflow import OrderStatus

S = OrderStatus
STATUS_MIX: dict[OrderStatus, float] = {
    S.closed: 0.56,
    S.resolved: 0.06,
    S.in_progress: 0.09,
    S.dispatched: 0.04,
    S.pooled: 0.03,
    S.triaged: 0.04,
    S.submitted: 0.05,
    S.rejected: 0.05,
    S.merged: 0.03,
    S.cancelled: 0.05,
}
SPEED = {"emergency": 0.025, "utility": 0.1, "general": 1.0, "complex": 1.2}
"""How fast staff move on each time-limit class (a factor on the hours to each step)."""
CHANNELS = {
    "miniprogram": 45,
    "app": 10,
    "phone": 20,
    "walk_in": 8,
    "patrol": 12,
    "open311": 3,
    "gov_api": 2,
}
TITLES = {
    "repair": ["楼道灯不亮", "厨房水管漏水", "单元门禁损坏", "下水道堵塞", "电梯异响"],
    "elderly_help": ["独居老人需要助餐", "陪同老人就医", "代购常用药品", "老人家中助浴"],
    "mediation": ["楼上噪音扰民", "楼上漏水引发纠纷", "车位占用纠纷", "宠物扰邻"],
    "environment": ["垃圾清运不及时", "楼道堆放杂物", "绿化带杂草丛生", "小区污水外溢"],
    "legal_aid": ["劳动合同纠纷咨询", "遗产继承咨询", "租房押金纠纷"],
    "health": ["上门测量血压", "慢病随访", "康复指导"],
    "micro_wish": ["孩子想要一套绘本", "想学用智能手机", "希望有人陪伴聊天"],
    "other": ["建议增设快递柜", "建议增加休息座椅", "咨询社区活动"],
}
REJECT_REASONS = ["不属于社区服务范围，已告知居民拨打相关热线", "诉求内容不完整，联系不上居民"]
CANCEL_REASONS = ["问题已自行解决", "重复提交，撤销本单"]
RESULTS = ["已上门处理完毕，居民现场确认", "已协调相关单位处理完成", "已完成服务并拍照留存"]
FIRST_ANSWERS: list[tuple[tuple[str, str] | None, float]] = [
    (("yes", "satisfied"), 0.60),
    (("yes", "basically"), 0.20),
    (("partly", "basically"), 0.05),
    (("no", "not"), 0.03),
    (("yes", "not"), 0.02),
    (None, 0.10),  # nobody answers: auto-close
]
SECOND_ANSWERS = [(("yes", "satisfied"), 0.7), (("yes", "basically"), 0.3)]


def targets(rng: random.Random, count: int) -> list[OrderStatus]:
    """Every status at least once, the rest by STATUS_MIX."""
    chosen = list(STATUS_MIX)[:count]
    chosen += rng.choices(
        list(STATUS_MIX), weights=list(STATUS_MIX.values()), k=count - len(chosen)
    )
    return chosen


def hours(rng: random.Random, low: float, high: float, speed: float = 1.0) -> timedelta:
    return timedelta(seconds=round(rng.uniform(low, high) * speed * 3600))


def _member_for(rng: random.Random, town: Town, resident: Resident) -> Member:
    """A member of the resident's grid if any, else of the community, else of the town."""
    near = (
        town.members_near.get(("grid", resident.grid_id or 0))
        or town.members_near.get(("community", resident.community_id or 0))
        or town.members  # load_town refused a town without members
    )
    return rng.choice(near)


def _answer(
    rng: random.Random, table: Sequence[tuple[tuple[str, str] | None, float]]
) -> tuple[str, str] | None:
    return rng.choices([a for a, _ in table], weights=[w for _, w in table])[0]


class _Story:
    """Builds the steps of one order with growing offsets from its receipt."""

    def __init__(self, rng: random.Random, town: Town, plan: Plan) -> None:
        self.rng, self.town, self.plan = rng, town, plan
        self.speed = SPEED.get(plan.time_limit, 1.0)
        self.offset = timedelta(0)
        self.member = _member_for(rng, town, plan.resident)

    def add(self, step: str, after: timedelta, actor: str, **kwargs: Any) -> None:
        self.offset += after
        self.plan.steps.append(Step(step, self.offset, actor, **kwargs))

    def triage(self) -> None:
        flagged = self.rng.random() < 0.03
        priority = {"emergency": 1, "utility": 2}.get(self.plan.time_limit, 3)
        self.add(
            "triage",
            hours(self.rng, 0.1, 4, self.speed),
            DISPATCHER,
            data={"priority": priority, "time_limit": self.plan.time_limit},
            stamps=("triaged_at",),
            values={
                "priority": priority,
                "is_excluded": flagged,
                "time_limit": self.plan.time_limit,
            },
        )

    def dispatch(self) -> None:
        self.add(
            "dispatch",
            hours(self.rng, 0.05, 3, self.speed),
            DISPATCHER,
            data={"kind": "member", "target_id": self.member.person_id},
            stamps=("dispatched_at",),
            values=_assignee("member", self.member.person_id),
        )

    def pool(self) -> None:
        self.add(
            "pool",
            hours(self.rng, 0.05, 3, self.speed),
            DISPATCHER,
            stamps=("dispatched_at",),
            values=_assignee("pool", None),
        )

    def take(self) -> None:
        """Assigned and accepted: 派单 + 接单 (sometimes after a 退单), or 抢单."""
        if self.rng.random() < 0.3:
            self.pool()
            self.add(
                "claim",
                hours(self.rng, 0.05, 4, self.speed),
                self.member.name,
                stamps=("accepted_at",),
                values=_assignee("member", self.member.person_id),
            )
            return
        if self.rng.random() < 0.08:
            self.dispatch()
            self.add(
                "decline",
                hours(self.rng, 0.1, 3, self.speed),
                self.member.name,
                note="时间冲突，无法上门",
                values=_assignee(None, None),
            )
            self.member = _member_for(self.rng, self.town, self.plan.resident)
        self.dispatch()
        self.add(
            "accept",
            hours(self.rng, 0.1, 6, self.speed),
            self.member.name,
            stamps=("accepted_at",),
        )

    def contact(self) -> None:
        late = hours(self.rng, 6, 30) if self.rng.random() < 0.06 else timedelta(0)
        self.add(
            "contact",
            hours(self.rng, 0.05, 6, self.speed) + late,
            self.member.name,
            note="已电话联系居民，约定上门时间",
            stamps=("first_contact_at",),
        )

    def note(self) -> None:
        self.add("note", hours(self.rng, 1, 24, self.speed), self.member.name, note="已到现场查看")

    def resolve(self) -> None:
        # Mostly well within the limit; about one in fourteen runs late (超期).
        limit = self.town.limits[self.plan.time_limit]
        unit = timedelta(hours=1) if limit.resolve_unit == "hours" else timedelta(days=1.2)
        share = self.rng.uniform(0.05, 0.7)
        if self.rng.random() < 0.07:
            share += self.rng.uniform(0.5, 1.2)
        took = timedelta(seconds=round((unit * limit.resolve_amount * share).total_seconds()))
        result = self.rng.choice(RESULTS)
        self.add(
            "resolve",
            took,
            self.member.name,
            note=result,
            data={"photos": []},
            stamps=("resolved_at",),
            values={"result": result},
        )

    def answer(self, answers: tuple[str, str]) -> None:
        resolved, satisfied = answers
        happy = resolved == "yes" and satisfied != "not"
        values: dict[str, Any] = {"feedback_resolved": resolved, "feedback_satisfaction": satisfied}
        stamps: tuple[str, ...] = ("feedback_at",)
        if happy:
            stamps += ("closed_at",)
        else:
            values["rework_count"] = self.plan.columns.get("rework_count", 0) + 1
            self.plan.columns["rework_count"] = values["rework_count"]
        self.add(
            "confirm" if happy else "reopen",
            hours(self.rng, 2, 48),
            self.plan.resident.name,
            data={"resolved": resolved, "satisfied": satisfied},
            stamps=stamps,
            values=values,
        )


def _assignee(kind: str | None, person_id: int | None) -> dict[str, Any]:
    return {
        "assignee_kind": kind,
        "assignee_person_id": person_id,
        "assignee_team_id": None,
        "assignee_department_id": None,
    }


def story_of(rng: random.Random, town: Town, target: OrderStatus) -> Plan:
    category = rng.choices(list(TITLES), weights=[30, 12, 10, 18, 5, 8, 7, 10])[0]
    limit = town.categories.get(category, "general")
    if category == "repair" and rng.random() < 0.08 and "emergency" in town.limits:
        limit = "emergency"
    plan = Plan(target, rng.choice(town.residents), category, limit, steps=[])
    story = _Story(rng, town, plan)
    story.add("submit", timedelta(0), plan.resident.name)
    _STORIES[target](story)
    return plan


def _story_rejected(s: _Story) -> None:
    reason = s.rng.choice(REJECT_REASONS)
    s.add("reject", hours(s.rng, 0.1, 6), DISPATCHER, note=reason, values={"reject_reason": reason})


def _story_merged(s: _Story) -> None:
    if s.rng.random() < 0.4:
        s.triage()
    s.add("merge", hours(s.rng, 0.1, 4), DISPATCHER)


def _story_cancelled(s: _Story) -> None:
    if s.rng.random() < 0.6:
        s.triage()
        if s.rng.random() < 0.5:
            (s.dispatch if s.rng.random() < 0.6 else s.pool)()
    s.add("cancel", hours(s.rng, 0.2, 12), s.plan.resident.name, note=s.rng.choice(CANCEL_REASONS))


def _story_triaged(s: _Story) -> None:
    s.triage()
    if s.rng.random() < 0.2:
        s.dispatch()
        s.add(
            "decline",
            hours(s.rng, 0.1, 3),
            s.member.name,
            note="不在本网格，请重新派单",
            values=_assignee(None, None),
        )


def _story_in_progress(s: _Story) -> None:
    s.triage()
    s.take()
    if s.rng.random() < 0.25:  # reworked: an unhappy 回访 sent it back (返工)
        s.contact()
        s.resolve()
        s.answer(s.rng.choice([("partly", "basically"), ("no", "not"), ("yes", "not")]))
    elif s.rng.random() < 0.7:
        s.contact()
    if s.rng.random() < 0.3:
        s.note()


def _story_resolved(s: _Story) -> None:
    s.triage()
    s.take()
    s.contact()
    s.resolve()


def _story_closed(s: _Story) -> None:
    _story_resolved(s)
    answers = _answer(s.rng, FIRST_ANSWERS)
    if answers is None:
        s.add(
            "auto_close",
            timedelta(hours=s.town.auto_close_hours) + hours(s.rng, 0, 0.5),
            SYSTEM,
            data={"after_hours": s.town.auto_close_hours},
            stamps=("closed_at",),
        )
        return
    s.answer(answers)
    if s.plan.steps[-1].step == "reopen":
        s.note()
        s.resolve()
        s.answer(_answer(s.rng, SECOND_ANSWERS) or ("yes", "satisfied"))


def _story_submitted(s: _Story) -> None:
    """Nothing yet: waiting for triage."""


def _story_dispatched(s: _Story) -> None:
    s.triage()
    s.dispatch()


def _story_pooled(s: _Story) -> None:
    s.triage()
    s.pool()


_STORIES: dict[OrderStatus, Callable[[_Story], None]] = {
    S.submitted: _story_submitted,
    S.rejected: _story_rejected,
    S.merged: _story_merged,
    S.cancelled: _story_cancelled,
    S.triaged: _story_triaged,
    S.dispatched: _story_dispatched,
    S.pooled: _story_pooled,
    S.in_progress: _story_in_progress,
    S.resolved: _story_resolved,
    S.closed: _story_closed,
}
