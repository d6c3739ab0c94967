"""Exports of a report: XLSX and CSV (Vietnamese names, numbers as numbers), raw responses."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font

from satisfaction.accounts.access import Scope
from satisfaction.clock import local_bounds, local_day
from satisfaction.db.responses import Answer, Response, ResponseStatus
from satisfaction.db.units import Counter, ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import text
from satisfaction.reporting.reports import Report, ranks
from satisfaction.units.tree import descendants

STATE_VI = {"meets": "Đạt chỉ tiêu", "below": "Dưới chỉ tiêu", "no_data": "Không có dữ liệu",
            "not_enough_data": "Chưa đủ dữ liệu"}
BOM = "\ufeff"


def attachment(report: Report, extension: str, prefix: str = "bao-cao") -> str:
    name = f"{prefix}-{report.index.code}-{report.unit.code}-{report.period.label}"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return f'attachment; filename="{name}.{extension}"'


#: A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value):
    """A text cell that a spreadsheet will show, never run: one that would start a formula
    gets a leading apostrophe (OWASP's advice for CSV). Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


#: CSV dialects: the plain one (comma, decimal point), and the one Excel opens as columns
#: on a computer set to Vietnamese (semicolon, decimal comma).
DIALECTS = {"plain": (",", "."), "vi": (";", ",")}


def _csv_writer(out: io.StringIO, dialect: str = "plain"):
    """``writerow`` for a CSV whose text cells are never formulas."""
    delimiter, decimal = DIALECTS[dialect]
    writer = csv.writer(out, delimiter=delimiter)

    def cell(value):
        if isinstance(value, float) and decimal != ".":
            return repr(value).replace(".", decimal)
        return as_text(value)

    return lambda row: writer.writerow([cell(value) for value in row])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


#: Quarantined responses, dossiers handled, response rate and verified share; an empty
#: cell (never 0) where there is no dossier list.
COVERAGE_HEADER = ("Số phiếu tạm giữ", "Số hồ sơ đã và đang giải quyết", "Tỷ lệ phản hồi (%)",
                   "Tỷ lệ phiếu đã xác minh (%)")
#: The ranking's columns after the unit: as on the report page.
RANKING_HEADER = ("Xếp hạng", "Số phiếu", "Kết quả", "Cận dưới 95 % (xếp hạng)", "Cận trên 95 %",
                  "Chỉ tiêu", "Đánh giá", "Ứng viên khen thưởng")


def _coverage(result) -> tuple:
    figures = result.coverage
    if figures is None:
        return (None, None, None, None)
    return (figures.quarantined, figures.dossiers if figures.rate is not None else None,
            _round(figures.rate), _round(figures.verified_share))


def _levels(report: Report):
    """Rows per level: overall, elements, criteria, units — shared by XLSX and CSV."""
    definition = report.source.definition
    score = report.result.score
    overall = [
        ("Chỉ số", report.index.name("vi")),
        ("Đơn vị", report.unit.name("vi")),
        ("Mã đơn vị", report.unit.code),
        ("Kỳ báo cáo", report.period.label),
        ("Từ ngày", report.period.start.isoformat()),
        ("Đến ngày", report.period.end.isoformat()),
        ("Mẫu phiếu khảo sát", f"{report.source.questionnaire.code}"),
        ("Số phiếu", report.result.responses),
        ("Kết quả", _round(score.value)),
        ("Chỉ tiêu", report.result.target),
        ("Đánh giá", STATE_VI[report.result.state]),
        ("Kỳ trước", _round(report.previous.value)),
        ("Thay đổi so với kỳ trước", _round(report.change)),
        ("Kỳ so sánh", report.compared_with.label if report.compared_with else ""),
        ("Ước tính", "Có" if report.result.estimated or report.previous.estimated else "Không"),
        ("Tỷ lệ hài lòng bình quân gia quyền theo số hồ sơ",
         _round(report.weighted.value) if report.weighted else None),
        ("Đơn vị tiền thân", "; ".join(
            f"{a.unit.code} {a.unit.name('vi')} ({_round(a.share * 100)} %)"
            for a in report.predecessors)),
        *zip(COVERAGE_HEADER, _coverage(report.result), strict=True),
    ]
    labels = {group.code: text(group.label, "vi") for group in definition.elements}
    items = {item.code: text(item.text, "vi") for item in definition.scored_items()}
    elements = [
        (e.code, labels.get(e.code, e.code), sum(i.n for i in e.items), _round(e.value))
        for e in score.elements
    ]
    criteria = [
        (e.code, i.code, items.get(i.code, i.code), i.n, i.no_opinion, _round(i.value),
         _round(i.mean), *(i.distribution.get(v, 0) for v in sorted(i.distribution)))
        for e in score.elements for i in e.items
    ]
    scale_values = sorted(score.elements[0].items[0].distribution) if score.elements else []
    units = []
    for r, rank in zip(report.children, ranks(report.children), strict=True):
        units.append((r.unit.code, r.unit.name("vi"), rank, r.responses,
                       _round(r.value), _round(r.low), _round(r.high), r.target,
                       STATE_VI[r.state], "Có" if r.candidate else "", *_coverage(r)))
    return overall, elements, criteria, units, scale_values


def report_xlsx(report: Report, locale: str = "vi") -> bytes:
    overall, elements, criteria, units, scale_values = _levels(report)
    book = Workbook()
    sheet = book.active
    sheet.title = "Tổng hợp"
    sheet.append(["Mục", "Số liệu"])
    for row in overall:
        sheet.append(list(row))
    _no_formulas(sheet)
    tables = [
        ("Yếu tố", ["Mã yếu tố", "Yếu tố", "Số câu trả lời", "Kết quả"], elements),
        ("Tiêu chí", ["Mã yếu tố", "Mã tiêu chí", "Tiêu chí", "Số câu trả lời",
                      "Không có ý kiến", "Kết quả", "Điểm trung bình",
                      *(f"Số câu trả lời ở mức {v}" for v in scale_values)], criteria),
        ("Đơn vị", ["Mã đơn vị", "Đơn vị", *RANKING_HEADER, *COVERAGE_HEADER], units),
    ]
    for title, header, rows in tables:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(list(row))
        _no_formulas(sheet)
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _no_formulas(sheet) -> None:
    """openpyxl stores a text starting with "=" as a formula; every cell here is data."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def report_csv(report: Report, locale: str = "vi", dialect: str = "plain") -> str:
    """One table with a level column, UTF-8 with a BOM so Excel reads the diacritics; the
    "vi" dialect for Excel on a computer set to Vietnamese (``;`` and decimal commas)."""
    overall, elements, criteria, units, _ = _levels(report)
    out = io.StringIO()
    out.write(BOM)
    write = _csv_writer(out, dialect)
    write(["Cấp", "Mã", "Tên", "Số câu trả lời / số phiếu", "Kết quả",
           "Cận dưới 95 % (xếp hạng)", "Cận trên 95 %", "Đánh giá", *COVERAGE_HEADER])
    write(["Tổng hợp", report.unit.code, report.index.name("vi"), report.result.responses,
           _round(report.result.value), None, None, STATE_VI[report.result.state],
           *_coverage(report.result)])
    for code, label, n, value in elements:
        write(["Yếu tố", code, label, n, value])
    for _element, code, label, n, _no, value, *_rest in criteria:
        write(["Tiêu chí", code, label, n, value])
    for code, label, _rank, n, value, low, high, _target, state, _candidate, *figures in units:
        # None is written as an empty cell: "no data", never 0.
        write(["Đơn vị", code, label, n, value, low, high, state, *figures])
    return out.getvalue()


def responses_csv(report: Report, scope: Scope) -> Iterator[str]:
    """Every accepted response of the report's units and period, one row each, with its
    answers; no comment text and nothing that identifies a person."""
    # Plain values only: the rows are produced after the request's session has committed.
    item_codes = [item.code for item in report.source.definition.items()]
    subtree = sorted(u for u in descendants(report.unit.id) if scope.sees_unit(u))
    start, end = local_bounds(report.period.start, report.period.end)
    version_ids = list(report.source.version_ids)
    questionnaire_code = report.source.questionnaire.code

    def rows() -> Iterator[str]:
        out = io.StringIO()
        write = _csv_writer(out)
        out.write(BOM)
        write(["ma_phieu", "ngay", "don_vi", "quay", "kenh", "doi_tuong",
                         "linh_vuc", "bo_cau_hoi", *item_codes])
        yield out.getvalue()
        last_id = 0
        while True:
            batch = db.session.execute(
                sa.select(Response.id, Response.submitted_at, Unit.code, Counter.code,
                          Response.channel, Response.respondent_kind, ProcedureField.code,
                          Response.questionnaire_version_id)
                .join(Unit, Unit.id == Response.unit_id)
                .outerjoin(Counter, Counter.id == Response.counter_id)
                .outerjoin(ProcedureField, ProcedureField.id == Response.procedure_field_id)
                .where(
                    Response.id > last_id,
                    Response.unit_id.in_(subtree),
                    Response.questionnaire_version_id.in_(version_ids),
                    Response.status == ResponseStatus.ACCEPTED.value,
                    Response.submitted_at.between(start, end),
                )
                .order_by(Response.id)
                .limit(2000)
            ).all()
            if not batch:
                return
            answers: dict[int, dict[str, int | None]] = {}
            for response_id, code, value in db.session.execute(
                sa.select(Answer.response_id, Answer.item_code, Answer.value).where(
                    Answer.response_id.in_([row[0] for row in batch])
                )
            ):
                answers.setdefault(response_id, {})[code] = value
            out = io.StringIO()
            write = _csv_writer(out)
            for rid, at, unit, counter, channel, kind, field, _version in batch:
                given = answers.get(rid, {})
                write([
                    rid, local_day(at).isoformat(), unit, counter or "", channel, kind,
                    field or "", questionnaire_code,
                    *(("0" if given[c] is None else given[c]) if c in given else ""
                      for c in item_codes),
                ])
            yield out.getvalue()
            last_id = batch[-1][0]

    return rows()
