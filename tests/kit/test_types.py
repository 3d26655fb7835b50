"""The strict input types, validated as FastAPI validates them: bodies in pydantic's
python mode on parsed JSON, path and query parameters from text."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from app.kit.types import (
    LINE_PATTERN,
    MAX_ID,
    TEXT_PATTERN,
    Bool,
    BoolParam,
    Date,
    DateTime,
    Id,
    IdParam,
    Int,
    Line,
    Number,
    Text,
    has_control_characters,
)


def valid(kind: Any, value: Any) -> Any:
    return TypeAdapter(kind).validate_python(value)


def refused(kind: Any, value: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    return str(caught.value.errors()[0]["type"])


class TestId:
    @pytest.mark.parametrize("value", [1, 42, MAX_ID])
    def test_integers_in_range(self, value: int) -> None:
        assert valid(Id, value) == value

    @pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, 2**64])
    def test_out_of_range(self, value: int) -> None:
        assert refused(Id, value) in ("greater_than_equal", "less_than_equal")

    @pytest.mark.parametrize("value", [True, False, 1.0, 1.5, "1", None, [1]])
    def test_never_a_boolean_float_or_string(self, value: object) -> None:
        assert refused(Id, value) == "int_type"


class TestIdParam:
    @pytest.mark.parametrize(("text", "value"), [("1", 1), ("42", 42), (str(MAX_ID), MAX_ID)])
    def test_decimal_digits(self, text: str, value: int) -> None:
        assert valid(IdParam, text) == value

    @pytest.mark.parametrize("text", ["0", "-1", str(MAX_ID + 1), "99999999999999999999"])
    def test_out_of_range(self, text: str) -> None:
        assert refused(IdParam, text) in ("greater_than_equal", "less_than_equal")

    @pytest.mark.parametrize(
        "text",
        ["1.0", "1e3", "1_000", " 1", "+1", "0x10", "１２", "true", "", "1\x00", "9" * 30],
    )
    def test_anything_but_plain_digits(self, text: str) -> None:
        assert refused(IdParam, text) == "int_parsing"

    def test_a_boolean_is_no_integer(self) -> None:
        assert refused(IdParam, True) == "int_parsing"


class TestInt:
    @pytest.mark.parametrize("value", [True, 2.0, "3"])
    def test_strict(self, value: object) -> None:
        assert refused(Int, value) == "int_type"


class TestBool:
    def test_only_true_and_false_in_bodies(self) -> None:
        assert valid(Bool, True) is True
        for value in (0, 1, "true", "false", None):
            assert refused(Bool, value) == "bool_type"

    def test_only_the_words_in_queries(self) -> None:
        assert valid(BoolParam, "true") is True
        assert valid(BoolParam, "false") is False
        for value in ("1", "0", "yes", "on", "TRUE", "True", "t", ""):
            assert refused(BoolParam, value) == "bool_parsing"


class TestNumber:
    def test_finite_and_not_a_boolean(self) -> None:
        assert valid(Number, 1) == 1.0
        assert valid(Number, 0.5) == 0.5
        assert refused(Number, True) == "float_type"
        assert refused(Number, "1") == "float_type"
        assert refused(Number, float("inf")) == "finite_number"
        assert refused(Number, float("nan")) == "finite_number"


class TestDate:
    def test_iso_dates(self) -> None:
        assert valid(Date, "2026-11-21") == date(2026, 11, 21)
        assert valid(Date, date(2026, 11, 21)) == date(2026, 11, 21)

    @pytest.mark.parametrize(
        "value",
        [0, 0.5, "0", "1700000000", "20261121", "2026-11-21T00:00:00", "2026-1-2", True, None],
    )
    def test_never_a_number_or_a_datetime(self, value: object) -> None:
        assert refused(Date, value) == "date_type"

    @pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"])
    def test_years_outside_1900_2999(self, value: str) -> None:
        # Date arithmetic on 9999-12-31 (a period's end, a deadline) would overflow.
        assert refused(Date, value) == "date_type"

    def test_impossible_days(self) -> None:
        assert refused(Date, "2026-02-30") == "date_from_datetime_parsing"


class TestDateTime:
    def test_rfc3339_with_offset(self) -> None:
        parsed = valid(DateTime, "2026-11-21T09:00:00+08:00")
        assert parsed == datetime(2026, 11, 21, 1, tzinfo=UTC)
        assert valid(DateTime, "2026-11-21T01:00:00Z") == parsed

    @pytest.mark.parametrize(
        "value", [0, 0.5, "0", "1700000000", "2026-11-21", "9999-12-31T23:59:59-14:00", True]
    )
    def test_never_a_number_nor_a_bare_date(self, value: object) -> None:
        assert refused(DateTime, value) == "datetime_type"

    def test_an_offset_is_required(self) -> None:
        assert refused(DateTime, "2026-11-21T09:00:00") == "timezone_aware"


class TestText:
    @pytest.mark.parametrize(
        "value", ["a\x00b", "\x01", "a\tb", "a\nb", "a\x1b[31m", "\x7f", "\x85"]
    )
    def test_a_line_has_no_control_character(self, value: str) -> None:
        with pytest.raises(ValidationError) as caught:
            valid(Line, value)
        error = caught.value.errors()[0]
        assert error["type"] == "string_pattern_mismatch"
        assert error["ctx"]["pattern"] == LINE_PATTERN

    def test_free_text_keeps_tabs_and_line_breaks(self) -> None:
        assert valid(Text, "第一行\r\n\t第二行") == "第一行\r\n\t第二行"
        for value in ("a\x00b", "a\x0bb", "a\x1bb"):
            with pytest.raises(ValidationError) as caught:
                valid(Text, value)
            assert caught.value.errors()[0]["ctx"]["pattern"] == TEXT_PATTERN

    def test_lone_surrogates_are_refused(self) -> None:
        assert refused(Line, "\ud800") == "string_unicode"

    def test_ordinary_text(self) -> None:
        assert valid(Line, "红星社区 · 1号楼 (A-3)") == "红星社区 · 1号楼 (A-3)"

    def test_strict(self) -> None:
        assert refused(Line, 1) == "string_type"

    def test_the_same_rule_for_text_outside_parameters(self) -> None:
        assert has_control_characters("cli\x00ent")
        assert has_control_characters("\ud800")
        assert not has_control_characters("cli_3f9a1c0d")
