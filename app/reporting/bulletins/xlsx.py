"""A 通报 as an xlsx workbook, the way district offices publish them: sheets 总览,
社区排名 and 网格排名 (each with a bar chart of its 三率), 超期工单 and 附议最多.

Rates are fractions shown in percent; names and titles typed by users are neutralised
if a spreadsheet would run them as a formula (OWASP "CSV injection").
"""

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from app.kit.cells import append_row
from app.reporting.bulletins.schemas import BulletinOrder, BulletinRead, RankedUnit
from app.reporting.xlsx import LEVEL_ZH, STATUS_ZH, basis_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_ZH = {"weekly": "周通报", "monthly": "月通报"}
RANKING_HEADERS = (
    "排名",
    "名称",
    "编码",
    "所属社区",
    "满意率",
    "解决率",
    "响应率",
    "工单总数",
    "计入数",
    "超期数",
    "升级(吹哨)数",
)
_RATE_COLUMNS = (5, 6, 7)
ORDER_HEADERS = (
    "工单编号",
    "标题",
    "类别",
    "状态",
    "社区",
    "网格",
    "受理时间",
    "办结时限",
    "办结时间",
    "升级级别",
    "附议数",
)

Cell = str | int | float | None


def _bold_header(sheet: Worksheet, headers: Sequence[str]) -> None:
    append_row(sheet, list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _time(value: object) -> str | None:
    return None if value is None else str(value)


def _ranking(sheet: Worksheet, rows: Sequence[RankedUnit], title: str) -> None:
    """The ranking table, and a clustered bar chart of its three rates per node."""
    _bold_header(sheet, RANKING_HEADERS)
    for r in rows:
        append_row(
            sheet,
            [
                r.rank,
                r.unit.name,
                r.unit.code,
                r.community.name if r.community else None,
                r.satisfaction_rate.rate,
                r.resolution_rate.rate,
                r.response_rate.rate,
                r.total,
                r.counted,
                r.overdue,
                r.escalated,
            ],
        )
        for column in _RATE_COLUMNS:
            sheet.cell(row=sheet.max_row, column=column).number_format = "0.00%"
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["B"].width = 18
    last = sheet.max_row
    if last < 2:
        return
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = title
    chart.y_axis.title = "比率"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.add_data(
        Reference(
            sheet, min_col=_RATE_COLUMNS[0], max_col=_RATE_COLUMNS[-1], min_row=1, max_row=last
        ),
        titles_from_data=True,
    )
    # Names are text: categories by string reference (openpyxl's set_categories makes a
    # numeric one), and both axes kept visible (Excel hides an axis without delete=0).
    names = Reference(sheet, min_col=2, min_row=2, max_row=last)
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(names)))
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = max(16.0, min(60.0, 2.0 * (last - 1)))
    chart.height = 9
    sheet.add_chart(chart, "M2")


def _orders(sheet: Worksheet, rows: Sequence[BulletinOrder], seconds_in_period: bool) -> None:
    headers = (*ORDER_HEADERS, "本期附议数") if seconds_in_period else ORDER_HEADERS
    _bold_header(sheet, headers)
    for o in rows:
        cells: list[Cell] = [
            o.number,
            o.title,
            o.category,
            STATUS_ZH.get(o.status, o.status),
            o.community if o.community else None,
            o.grid if o.grid else None,
            _time(o.received_at),
            _time(o.resolve_due_at),
            _time(o.resolved_at),
            o.escalation_level,
            o.seconds_count,
        ]
        if seconds_in_period:
            cells.append(o.seconds_in_period)
        append_row(sheet, cells)
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["B"].width = 30


def _overview(sheet: Worksheet, bulletin: BulletinRead) -> None:
    c = bulletin.content
    s = c.summary
    for label, value in (
        ("通报", KIND_ZH.get(c.kind.value, c.kind.value)),
        ("组织", c.town.name),
        ("层级", LEVEL_ZH.get(c.town.level, c.town.level)),
        ("统计期间", f"{c.period.from_date} 至 {c.period.to_date}（北京时间，按受理时间）"),
        ("统计时点", c.as_of.isoformat(timespec="seconds")),
        ("考核口径", basis_text(c.definitions.settings_basis)),
        ("工单总数", s.total),
        ("计入数", s.counted),
        ("响应率", s.response_rate.rate),
        ("解决率", s.resolution_rate.rate),
        ("满意率", s.satisfaction_rate.rate),
        ("超期数", s.overdue),
        ("升级(吹哨)数", s.escalated),
    ):
        append_row(sheet, [label, value])
        if label.endswith("率"):
            sheet.cell(row=sheet.max_row, column=2).number_format = "0.00%"
    append_row(sheet, [])
    append_row(sheet, ["口径", "说明"])
    for formula in c.definitions.formulas:
        append_row(sheet, [formula.name_zh, formula.formula_zh])
    append_row(sheet, ["排名", c.definitions.ranking_zh])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 40


def render(bulletin: BulletinRead) -> bytes:
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "总览"
    _overview(overview, bulletin)
    content = bulletin.content
    _ranking(book.create_sheet("社区排名"), content.communities, "社区三率排名")
    _ranking(book.create_sheet("网格排名"), content.grids, "网格三率排名")
    _orders(book.create_sheet("超期工单"), content.overdue, seconds_in_period=False)
    _orders(book.create_sheet("附议最多"), content.most_seconded, seconds_in_period=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filename(bulletin: BulletinRead) -> str:
    return f"bulletin-{bulletin.town_id}-{bulletin.kind.value}-{bulletin.period_start:%Y%m%d}.xlsx"
