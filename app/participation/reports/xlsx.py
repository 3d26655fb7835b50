"""The participation reports as xlsx workbooks with Chinese headers: the same figures as
the JSON. Names typed by users are neutralised if a spreadsheet would run them as a
formula (OWASP "CSV injection")."""

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from app.kit.cells import append_row, safe_cell
from app.participation.reports.schemas import (
    DualEvaluation,
    HoursFigures,
    Service,
    ServiceHours,
    VolunteerRecord,
)
from app.reporting.schemas import Rate, UnitRef

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_ZH = {"person": "人员", "team": "志愿服务队", "node": "下级组织"}

Cell = str | int | float | None


def _text(value: str) -> str:
    return str(safe_cell(value))


def _table(sheet: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    append_row(sheet, list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, [_text(v) if isinstance(v, str) else v for v in row])


def _heading(sheet: Worksheet, title: str, unit: UnitRef, period: str) -> None:
    for label, value in (
        ("报表", title),
        ("组织", unit.name),
        ("编码", unit.code),
        ("期间", period),
    ):
        append_row(sheet, [label, _text(value)])
    append_row(sheet, [])


def _rate(rate: Rate) -> list[Cell]:
    return [rate.rate, rate.numerator, rate.denominator]


def _service(service: Service) -> list[Cell]:
    return [
        service.attendances,
        service.hours,
        service.points,
        service.orders_closed,
        service.wishes_fulfilled,
        service.matters_solved,
    ]


_SERVICE_HEADERS = ("参加活动人次", "服务时长(小时)", "积分", "办结工单", "完成微心愿", "解决事项")
_RATE_HEADERS = ("率", "分子", "分母")


def _hours(figures: HoursFigures) -> list[Cell]:
    return [figures.attendances, figures.people, figures.hours, figures.minutes, figures.points]


_HOURS_HEADERS = ("参加人次", "人数", "服务时长(小时)", "服务时长(分钟)", "积分")


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_evaluation(report: DualEvaluation) -> bytes:
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "总览"
    period = f"{report.period.from_date} 至 {report.period.to_date}（北京时间）"
    _heading(overview, "双考评", report.unit, period)
    _table(overview, ("口径", "计算方法"), ([f.name_zh, f.formula_zh] for f in report.formulas))
    units = book.create_sheet("单位考评")
    _table(
        units,
        (
            "单位",
            "类型",
            "在职党员",
            "居住地报到",
            "联系社区报到",
            "双报到",
            *(f"报到{h}" for h in _RATE_HEADERS),
            "活跃人数",
            *(f"活跃{h}" for h in _RATE_HEADERS),
            *_SERVICE_HEADERS,
        ),
        (
            [
                u.unit.name,
                u.unit.kind,
                u.roster,
                u.home_registered,
                u.linked_registered,
                u.dual_registered,
                *_rate(u.registration_rate),
                u.active,
                *_rate(u.active_rate),
                *_service(u.service),
            ]
            for u in report.units
        ),
    )
    communities = book.create_sheet("社区考评")
    _table(
        communities,
        (
            "社区",
            "编码",
            "应报到",
            "已报到",
            "应报到中已报到",
            *(f"报到{h}" for h in _RATE_HEADERS),
            "活跃人数",
            *(f"活跃{h}" for h in _RATE_HEADERS),
            *_SERVICE_HEADERS,
        ),
        (
            [
                c.community.name,
                c.community.code,
                c.expected,
                c.registered,
                c.registered_expected,
                *_rate(c.registration_rate),
                c.active,
                *_rate(c.active_rate),
                *_service(c.service),
            ]
            for c in report.communities
        ),
    )
    return _save(book)


def render_hours(report: ServiceHours) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "服务时长"
    period = f"{report.period.from_date} 至 {report.period.to_date}（北京时间，按活动开始时间）"
    _heading(sheet, f"服务时长（按{GROUP_ZH[report.group_by.value]}）", report.unit, period)
    rows = [[r.key, r.name, *_hours(r.figures)] for r in report.rows]
    rows.append([None, "合计", *_hours(report.total)])
    _table(sheet, ("编号", "名称", *_HOURS_HEADERS), rows)
    return _save(book)


def render_record(record: VolunteerRecord) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "服务记录"
    append_row(sheet, ["姓名", _text(record.name)])
    append_row(sheet, ["期间", f"{record.period.from_date} 至 {record.period.to_date}"])
    append_row(sheet, ["服务时长(小时)", record.hours])
    append_row(sheet, ["积分", record.points])
    append_row(sheet, [])
    _table(
        sheet,
        ("类型", "编号", "名称", "时间", "服务时长(分钟)", "积分", "已作废"),
        (
            [
                "活动" if e.kind == "activity" else "微心愿",
                e.id,
                e.title,
                e.on.isoformat(timespec="minutes"),
                e.minutes,
                e.points,
                "是" if e.voided else "",
            ]
            for e in record.entries
        ),
    )
    return _save(book)
