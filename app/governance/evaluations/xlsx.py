"""An evaluation as an xlsx workbook with charts: 总览, 分项得分 (bar chart), 历期趋势
(line chart), 排名 (bar chart). The numbers are those of the JSON reads; typed names
are neutralised where a spreadsheet would run them as formulas (OWASP CSV injection)."""

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from app.governance.evaluations.schemas import (
    EvaluationRanking,
    EvaluationRead,
    EvaluationTrend,
)
from app.kit.cells import append_row, safe_cell

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGET_ZH = {"property_company": "物业服务企业", "owners_committee": "业主委员会"}

Cell = str | int | float | None


def _text(value: str) -> str:
    return str(safe_cell(value))


def _num(value: object) -> float | None:
    return None if value is None else float(str(value))


def _rows(sheet: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    append_row(sheet, list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, [_text(v) if isinstance(v, str) else v for v in row])


def _overview(sheet: Worksheet, evaluation: EvaluationRead) -> None:
    scores = evaluation.scores
    for label, value in (
        ("评议对象", evaluation.body_name),
        ("对象类型", TARGET_ZH[evaluation.target_kind.value]),
        ("小区节点", str(evaluation.org_unit_id)),
        ("评议期间", evaluation.period),
        ("开始", evaluation.opens_at.isoformat(timespec="minutes")),
        ("截止", evaluation.closes_at.isoformat(timespec="minutes")),
        ("状态", "已结束" if evaluation.status == "closed" else "进行中"),
    ):
        append_row(sheet, [label, _text(value)])
    append_row(sheet, ["应参评户数", evaluation.eligible_households])
    append_row(sheet, ["参评户数", scores.responses])
    append_row(sheet, ["综合得分", _num(scores.overall)])
    append_row(sheet, ["重新选聘线", evaluation.retender_below])
    append_row(sheet, [])
    append_row(
        sheet,
        ["口径", "每户每题 1–5 分；单项得分 = 平均分 × 20；综合得分 = 单项得分按权重加权平均"],
    )
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 40


def _items(sheet: Worksheet, evaluation: EvaluationRead) -> None:
    items = evaluation.scores.items
    _rows(
        sheet,
        ("题目", "代码", "权重", "作答户数", "得分合计", "平均分(1-5)", "单项得分(0-100)"),
        [
            [i.text, i.code, i.weight, i.answers, i.total, _num(i.mean), _num(i.score)]
            for i in items
        ],
    )
    if items:
        chart = BarChart()
        chart.title = "分项得分"
        chart.y_axis.title = "得分"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.add_data(
            Reference(sheet, min_col=7, min_row=1, max_row=len(items) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(items) + 1))
        sheet.add_chart(chart, "I2")


def _trend(sheet: Worksheet, trend: EvaluationTrend) -> None:
    points = trend.points
    _rows(
        sheet,
        ("期间", "评议对象", "参评户数", "综合得分"),
        [[p.period, p.body_name, p.responses, _num(p.overall)] for p in points],
    )
    if points:
        chart = LineChart()
        chart.title = "综合得分趋势"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.add_data(
            Reference(sheet, min_col=4, min_row=1, max_row=len(points) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(points) + 1))
        sheet.add_chart(chart, "G2")


def _ranking(sheet: Worksheet, ranking: EvaluationRanking) -> None:
    rows = ranking.rows
    append_row(sheet, [_text(f"{ranking.unit_name} {ranking.period} 排名")])
    _rows(
        sheet,
        ("排名", "小区", "评议对象", "参评户数", "应参评户数", "综合得分"),
        [
            [
                r.rank,
                r.compound_name,
                r.body_name,
                r.responses,
                r.eligible_households,
                _num(r.overall),
            ]
            for r in rows
        ],
    )
    if rows:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "小区综合得分排名"
        chart.add_data(
            Reference(sheet, min_col=6, min_row=2, max_row=len(rows) + 2), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=2, min_row=3, max_row=len(rows) + 2))
        sheet.add_chart(chart, "H2")


def render(evaluation: EvaluationRead, trend: EvaluationTrend, ranking: EvaluationRanking) -> bytes:
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "总览"
    _overview(overview, evaluation)
    _items(book.create_sheet("分项得分"), evaluation)
    _trend(book.create_sheet("历期趋势"), trend)
    _ranking(book.create_sheet("排名"), ranking)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
