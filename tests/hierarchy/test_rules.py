"""Pure rules and the import plan, without a database."""

import io

import pytest

from app.hierarchy import importexport
from app.hierarchy.importexport import ExistingParent, FileFormat
from app.hierarchy.importexport.formats import HeaderProblem, header_positions
from app.hierarchy.rules import ancestor_ids, columns_above, fits_under, normalize_contact_phone


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0769-22123456", "0769-22123456"),
        ("010 6512 3456", "010 6512 3456"),
        ("12345", "12345"),
        ("400-810-8888", "400-810-8888"),
    ],
)
def test_contact_phones_accepted(raw: str, stored: str) -> None:
    assert normalize_contact_phone(raw) == stored


@pytest.mark.parametrize("raw", ["12", "abc", "1381234567", "00000000000000", "138123456789"])
def test_contact_phones_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_contact_phone(raw)


def test_levels_fit_one_step_down_only() -> None:
    assert fits_under("grid", "community")
    assert not fits_under("building", "community")
    assert not fits_under("community", "grid")
    assert not fits_under("town", "town")


def test_ancestor_columns() -> None:
    parent = (1, 2, 3, None, None)
    assert ancestor_ids("building", 9, parent) == {
        "town_id": 1,
        "community_id": 2,
        "grid_id": 3,
        "building_id": 9,
        "household_id": None,
    }
    assert columns_above("building", parent) == {"town_id": 1, "community_id": 2, "grid_id": 3}


def test_headers_in_either_language_in_any_order() -> None:
    positions = header_positions(["名称", "code", "层级", "上级编码"])
    assert positions[:4] == [1, 0, 2, 3]
    with pytest.raises(HeaderProblem) as problem:
        header_positions(["code", "编码", "name", "level"])
    assert problem.value.problem_code == "duplicate_column"


def _plan(text: str) -> importexport.ImportPlan:
    return importexport.parse(io.BytesIO(text.encode()), FileFormat.csv)


def test_plan_computes_ancestors_for_rows_in_any_order() -> None:
    plan = _plan(
        "code,name,level,parent_code\nH,户,household,B\nB,楼,building,G\nG,网格,grid,C-EXISTING\n"
    )
    existing = {"C-EXISTING": ExistingParent(7, "community", False, (1, 7, None, None, None))}
    plan.resolve(set(), existing, may_create_towns=False)
    assert plan.problem_count == 0
    plan.assign([101, 102, 103], existing)
    records = {r[1]: r for r in plan.records()}
    plan.close()
    # (id, code, name, level, parent_id, grid_kind, address, contact, phone, town … household)
    assert records["H"][0] == 101 and records["H"][4] == 102
    assert records["H"][9:] == (1, 7, 103, 102, 101)
    assert records["G"][4:6] == (7, "compound")
    assert records["G"][9:] == (1, 7, 103, None, None)


def test_plan_reports_without_stopping_at_the_first_problem() -> None:
    plan = _plan("code,name,level,parent_code\nA,,town,\nB,网格,grid,\nA,x,town,\n")
    plan.resolve(set(), {}, may_create_towns=True)
    problems = [(p["row"], p["column"], p["problem_code"]) for p in plan.problems("en")]
    plan.close()
    assert problems == [
        (2, "name", "required"),
        (3, "parent_code", "required"),
        (4, "code", "duplicate_code"),
    ]
