"""The 接诉即办 report as an xlsx workbook: sheets 总览, 按类别, 按下级, Chinese headers.

The numbers are those of the JSON report (rates as fractions shown in percent
format). Names typed by users are neutralised if a spreadsheet would run them as a
formula (OWASP "CSV injection").
"""

import io
import json
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from app.kit.cells import append_row, safe_cell
from app.orders.workflow import OrderStatus
from app.reporting.schemas import KpiFigures, OrderStats, Rate, SettingsBasis

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_ZH = {
    "submitted": "待受理",
    "triaged": "待派单",
    "dispatched": "待接单",
    "pooled": "抢单中",
    "in_progress": "处置中",
    "resolved": "待回访",
    "closed": "已办结",
    "rejected": "已驳回",
    "merged": "已合并",
    "cancelled": "已撤销",
}
LEVEL_ZH = {
    "town": "镇(街道)",
    "community": "社区",
    "grid": "网格",
    "building": "楼栋",
    "household": "党员中心户",
}
FIGURE_HEADERS = (
    "工单总数",
    "剔除数",
    "计入数",
    "响应率",
    "按时响应数",
    "应响应数",
    "解决率",
    "解决得分",
    "解决回访数",
    "满意率",
    "满意得分",
    "满意回访数",
    "平均接单时长(小时)",
    "已接单数",
    "平均办结时长(小时)",
    "已办结数",
    "超期数",
    "升级(吹哨)数",
    *(STATUS_ZH[s.value] for s in OrderStatus),
)
_PERCENT_COLUMNS = (3, 6, 9)
"""Offsets of the rates inside FIGURE_HEADERS."""

Cell = str | int | float | None


def _text(value: str) -> str:
    return str(safe_cell(value))


def _rate(rate: Rate) -> list[Cell]:
    return [rate.rate, rate.numerator, rate.denominator]


def figure_cells(f: KpiFigures) -> list[Cell]:
    return [
        f.total,
        f.excluded,
        f.counted,
        *_rate(f.response_rate),
        *_rate(f.resolution_rate),
        *_rate(f.satisfaction_rate),
        f.mean_hours_to_accept,
        f.accepted,
        f.mean_hours_to_resolve,
        f.resolved,
        f.overdue,
        f.escalated,
        *(getattr(f.by_status, s.value) for s in OrderStatus),
    ]


def _table(
    sheet: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Cell]], first: int
) -> None:
    """Headers in bold, rates in percent; ``first`` = columns before the figures."""
    append_row(sheet, list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, [_text(v) if isinstance(v, str) else v for v in row])
        for offset in _PERCENT_COLUMNS:
            sheet.cell(row=sheet.max_row, column=first + offset + 1).number_format = "0.00%"
    sheet.freeze_panes = sheet.cell(row=2, column=first + 1)


def _overview(sheet: Worksheet, stats: OrderStats) -> None:
    unit, period = stats.unit, stats.period
    for label, value in (
        ("组织", unit.name),
        ("组织编码", unit.code),
        ("层级", LEVEL_ZH.get(unit.level, unit.level)),
        ("统计期间", f"{period.from_date} 至 {period.to_date}（北京时间，按受理时间）"),
        ("统计时点", stats.as_of.isoformat(timespec="seconds")),
    ):
        append_row(sheet, [label, _text(value)])
    append_row(sheet, [])
    rows: list[list[Cell]] = [["全部", *figure_cells(stats.summary)]]
    if stats.at_unit is not None:
        rows.append(["本级直属", *figure_cells(stats.at_unit)])
    _table(sheet, ("范围", *FIGURE_HEADERS), rows, 1)
    sheet.freeze_panes = None
    append_row(sheet, [])
    append_row(sheet, ["口径", "说明"])
    for formula in stats.definitions.formulas:
        append_row(sheet, [formula.name_zh, formula.formula_zh])
    append_row(sheet, ["排名", stats.definitions.ranking_zh])
    append_row(sheet, [])
    append_row(sheet, ["考核口径", basis_text(stats.definitions.settings_basis)])
    append_row(sheet, ["配置项", "取值"])
    for key, value in stats.definitions.settings.model_dump(mode="json").items():
        append_row(sheet, [key, json.dumps(value, ensure_ascii=False)])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 20


def basis_text(basis: SettingsBasis | None) -> str:
    """Which KPI settings applied, as the overview sheets say it."""
    if basis is None or basis.source == "district_default":
        return "区级默认口径 (kpi_setting)"
    return f"本镇口径 第{basis.version}版（{basis.effective_from} 起施行）"


def render(stats: OrderStats) -> bytes:
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "总览"
    _overview(overview, stats)
    categories = book.create_sheet("按类别")
    _table(
        categories,
        ("类别", "类别代码", *FIGURE_HEADERS),
        ([c.name_zh, c.category, *figure_cells(c.figures)] for c in stats.by_category),
        2,
    )
    children = book.create_sheet("按下级")
    _table(
        children,
        ("排名", "名称", "编码", "层级", *FIGURE_HEADERS),
        (
            [c.rank, c.unit.name, c.unit.code, LEVEL_ZH.get(c.unit.level, c.unit.level), *f]
            for c in stats.by_child
            for f in (figure_cells(c.figures),)
        ),
        4,
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
