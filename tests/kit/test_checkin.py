"""Rotating check-in codes: valid in their step and the leeway after it, once."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.kit.checkin import CheckinCodes, Verdict

SECRET = "test-secret-" + "s" * 32
NOW = datetime(2026, 11, 22, 9, 0, 7, tzinfo=UTC)


@pytest.fixture
def codes() -> CheckinCodes:
    return CheckinCodes(SECRET, step_seconds=30, leeway=1)


def test_a_fresh_code_is_valid(codes: CheckinCodes) -> None:
    issued = codes.issue("activity:42", "check_in", NOW)
    assert codes.verify(issued.token, "activity:42", "check_in", NOW) is Verdict.valid
    assert issued.expires_at == datetime(2026, 11, 22, 9, 0, 30, tzinfo=UTC)
    assert issued.refresh_after_seconds == 23


def test_valid_through_the_leeway_then_stale(codes: CheckinCodes) -> None:
    token = codes.issue("activity:42", "check_in", NOW).token
    within = NOW + timedelta(seconds=52)  # the next step: the leeway
    assert codes.verify(token, "activity:42", "check_in", within) is Verdict.valid
    later = NOW + timedelta(seconds=53)  # two steps on
    assert codes.verify(token, "activity:42", "check_in", later) is Verdict.stale


def test_yesterdays_photo_is_stale(codes: CheckinCodes) -> None:
    token = codes.issue("activity:42", "check_in", NOW - timedelta(days=1)).token
    assert codes.verify(token, "activity:42", "check_in", NOW) is Verdict.stale


def test_a_code_from_the_future_is_stale(codes: CheckinCodes) -> None:
    token = codes.issue("activity:42", "check_in", NOW + timedelta(minutes=5)).token
    assert codes.verify(token, "activity:42", "check_in", NOW) is Verdict.stale


def test_another_subject_or_action_is_invalid(codes: CheckinCodes) -> None:
    token = codes.issue("activity:42", "check_in", NOW).token
    assert codes.verify(token, "activity:43", "check_in", NOW) is Verdict.invalid
    assert codes.verify(token, "activity:42", "check_out", NOW) is Verdict.invalid


def test_another_secret_or_purpose_is_invalid(codes: CheckinCodes) -> None:
    other_secret = CheckinCodes("other-secret-" + "o" * 32, step_seconds=30)
    other_purpose = CheckinCodes(SECRET, purpose="duty-shift", step_seconds=30)
    for signer in (other_secret, other_purpose):
        token = signer.issue("activity:42", "check_in", NOW).token
        assert codes.verify(token, "activity:42", "check_in", NOW) is Verdict.invalid


def test_a_tampered_step_or_use_is_invalid(codes: CheckinCodes) -> None:
    step, use, mac = codes.issue("activity:42", "check_in", NOW).token.split(".")
    for forged in (f"{int(step) - 1}.{use}.{mac}", f"{step}.{int(use) + 1}.{mac}"):
        assert codes.verify(forged, "activity:42", "check_in", NOW, use=0) is Verdict.invalid


def test_a_code_checks_in_once(codes: CheckinCodes) -> None:
    first = codes.issue("activity:42", "check_in", NOW, use=0).token
    assert codes.verify(first, "activity:42", "check_in", NOW, use=0) is Verdict.valid
    # The caller moved its counter on: the same code again is used, the next one valid.
    assert codes.verify(first, "activity:42", "check_in", NOW, use=1) is Verdict.used
    second = codes.issue("activity:42", "check_in", NOW, use=1).token
    assert second != first
    assert codes.verify(second, "activity:42", "check_in", NOW, use=1) is Verdict.valid
    # A code of a use not reached yet cannot come from the phone.
    assert codes.verify(second, "activity:42", "check_in", NOW, use=0) is Verdict.invalid


@given(st.text(max_size=80))
def test_garbage_is_never_valid(token: str) -> None:
    codes = CheckinCodes(SECRET, step_seconds=30)
    assert codes.verify(token, "activity:42", "check_in", NOW) is not Verdict.valid


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError):
        CheckinCodes(SECRET, step_seconds=1)
    with pytest.raises(ValueError):
        CheckinCodes(SECRET, leeway=-1)
