"""The pure earning rules: which version is in force, what an order earns, caps."""

from hypothesis import given
from hypothesis import strategies as st

from app.points.rules import (
    RuleKind,
    RuleVersion,
    allowance,
    bucket_of,
    capped,
    in_force,
    order_award,
)


def version(
    kind: str, points: int, key: str = "", *, own: bool = False, id: int = 1
) -> RuleVersion:
    return RuleVersion(id=id, kind=kind, key=key, points=points, town_specific=own)


DEFAULTS = [
    version("order_category", 10, "repair", id=1),
    version("order_top_rating_bonus", 5, id=2),
    version("cap_daily", 100, id=3),
    version("cap_monthly", 1000, id=4),
]


class TestInForce:
    def test_the_towns_own_version_wins_whatever_the_order(self) -> None:
        own = version("order_category", 12, "repair", own=True, id=9)
        for rows in ([*DEFAULTS, own], [own, *DEFAULTS]):
            assert in_force(rows).points(RuleKind.order_category, "repair") == 12

    def test_missing_rule_is_none(self) -> None:
        assert in_force(DEFAULTS).points(RuleKind.activity_type, "karaoke") is None


class TestOrderAward:
    def test_top_answer_earns_the_bonus(self) -> None:
        award = order_award(in_force(DEFAULTS), "repair", "yes", "satisfied")
        assert (award.base, award.bonus, award.total) == (10, 5, 15)
        assert (award.base_rule_id, award.bonus_rule_id) == (1, 2)

    def test_other_answers_earn_no_bonus(self) -> None:
        rules = in_force(DEFAULTS)
        for resolved, satisfaction in (("yes", "basically"), ("partly", "satisfied"), (None, None)):
            assert order_award(rules, "repair", resolved, satisfaction).total == 10

    def test_unknown_category_earns_only_a_bonus(self) -> None:
        award = order_award(in_force(DEFAULTS), "astrology", "yes", "satisfied")
        assert (award.base, award.bonus) == (0, 5)


class TestCaps:
    def test_allowance_is_the_tighter_cap(self) -> None:
        rules = in_force(DEFAULTS)
        assert allowance(rules, earned_today=90, earned_this_month=0) == 10
        assert allowance(rules, earned_today=0, earned_this_month=995) == 5
        assert allowance(rules, earned_today=150, earned_this_month=0) == 0

    def test_no_caps_means_no_limit(self) -> None:
        rules = in_force(DEFAULTS[:2])
        assert allowance(rules, earned_today=10**6, earned_this_month=10**6) is None
        assert capped(40, None) == 40

    @given(
        points=st.integers(0, 500),
        daily=st.integers(0, 300),
        monthly=st.integers(0, 3000),
        today=st.integers(-100, 400),
        month=st.integers(-100, 4000),
    )
    def test_a_capped_award_never_exceeds_a_cap(
        self, points: int, daily: int, monthly: int, today: int, month: int
    ) -> None:
        rules = in_force([version("cap_daily", daily), version("cap_monthly", monthly, id=2)])
        awarded = capped(points, allowance(rules, earned_today=today, earned_this_month=month))
        assert 0 <= awarded <= points
        assert awarded == 0 or today + awarded <= daily
        assert awarded == 0 or month + awarded <= monthly
        # and it is the most the caps allow
        assert awarded == max(0, min(points, daily - today, monthly - month))


class TestBuckets:
    def test_redemptions_and_their_refunds_count_as_spent(self) -> None:
        assert bucket_of("redemption") == "spent"
        assert bucket_of("reversal", "redemption") == "spent"

    def test_everything_else_counts_as_earned(self) -> None:
        for kind in ("order_award", "activity_award", "manual_award", "manual_deduction"):
            assert bucket_of(kind) == "earned"
            assert bucket_of("reversal", kind) == "earned"
