"""Entry points of the Excel add-in: one click runs the same core as the CLI, inside the caller book.

The ribbon button of the add-in (built by `workbook-tools addin build` from xlwings' own add-in
template) runs `import bhxh_tools; bhxh_tools.main()`, which calls `main()` here. The action is
the one chosen on the `Cấu hình` sheet. Only a small part of the xlwings API is used, the part
its remote engine supports too: `Book.caller`, `sheets`, `sheets.add`, `Sheet.name`,
`Sheet.clear`, `Sheet.visible`, `range`, `.value`, `.number_format`.
"""

from __future__ import annotations

import re
import tempfile
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .check import ACCEPTED, MISSING, REJECTED, check_folder, load_manifest
from .consolidate import consolidate, regroup_results
from .datafiles import data_dirs
from .errors import HeldStateError, OutputError, WorkbookToolsError
from .generate import GenerateOptions, generate, in_structure, select_units
from .held import DATA_SHEET, NATIONAL_KIND, held_from_rows, is_ours
from .names import resolver
from .outputs import same_or_inside, write_output
from .plans import load_plan
from .render import PlainFormulas
from .summary import PROBLEMS, SHEETS, SummaryBook, write_summary
from .units import mapping_63_to_34
from .values import parse_date

CONFIG_SHEET = "Cấu hình"
SETTINGS = (
    ("plan", "Mã kế hoạch (ví dụ 2800-2021)"),
    ("returns_dir", "Thư mục chứa báo cáo các tỉnh gửi về"),
    ("manifest", "Tệp manifest.json của đợt gửi sổ (không bắt buộc)"),
    ("structure", "Tổng hợp theo 63 hay 34 đơn vị (để trống: theo kế hoạch)"),
    ("as_of", "Kỳ báo cáo (ngày/tháng/năm, để trống: tự xác định)"),
    ("out_dir", "Thư mục để tạo sổ cho các đơn vị"),
    ("units", "Chỉ tạo sổ cho các đơn vị (mã hoặc tên, cách nhau bởi dấu ;)"),
    ("next_plan", "Kế hoạch kỳ tiếp theo (cho thao tác «Tạo sổ kỳ tiếp theo»)"),
    ("action", "Thao tác khi bấm nút BHXH › Thực hiện"),
    ("status", "Kết quả lần chạy gần nhất"),
)
ACTION_CONSOLIDATE = "Tổng hợp báo cáo"
ACTION_CHECK = "Kiểm tra báo cáo"
ACTION_GENERATE = "Tạo sổ cho các đơn vị"
ACTION_NEXT_PERIOD = "Tạo sổ kỳ tiếp theo"
OWN_SHEETS = (*SHEETS, "_meta", DATA_SHEET)
_LOOKS_NUMERIC = re.compile(r"^(?=.*\d)[\d\s.,:/+-]+$")


@dataclass(frozen=True)
class Settings:
    """What the user set on `Cấu hình`, keyed by the keys in column A."""

    values: dict[str, Any]

    def text(self, key: str) -> str:
        """A setting as text ('' when empty)."""
        value = self.values.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()

    def folder(self, key: str, label: str) -> Path:
        """A folder setting that must exist."""
        text = self.text(key)
        if not text:
            raise WorkbookToolsError(f"Chưa nhập «{label}» trên sheet {CONFIG_SHEET}.")
        return Path(text)


def read_settings(book: Any) -> Settings:
    """Key → value of the `Cấu hình` sheet (key in column A, value in column C)."""
    names = [sheet.name for sheet in book.sheets]
    if CONFIG_SHEET not in names:
        raise WorkbookToolsError(f"Sổ này không có sheet «{CONFIG_SHEET}»; tạo sổ tổng hợp bằng `workbook-tools generate-national`.")
    rows = book.sheets[CONFIG_SHEET].range("A1:C40").value or []
    return Settings({str(r[0]).strip(): r[2] for r in rows if r and r[0]})


def write_status(book: Any, message: str) -> None:
    """Tell the user what happened, in the status row of `Cấu hình`."""
    sheet = book.sheets[CONFIG_SHEET]
    rows = sheet.range("A1:A40").value or []
    for number, row in enumerate(rows, start=1):
        key = row[0] if isinstance(row, list) else row
        if key == "status":
            sheet.range(f"C{number}").value = f"{datetime.now():%d/%m/%Y %H:%M}: {message}"
            return


def _cell_for_excel(value: Any) -> Any:
    """Keep codes and keys such as '01' or '2021-09' as text, which Excel would turn into numbers or dates."""
    if isinstance(value, str) and _LOOKS_NUMERIC.match(value):
        return "'" + value
    return value


def copy_sheets(source: Path, book: Any, names: tuple[str, ...]) -> None:
    """Put sheets of a workbook written by the core into the caller book, values, formulas and formats.

    Sheets of the same name are cleared and rewritten (a second click replaces, never duplicates);
    any other sheet of the book is left alone.
    """
    import openpyxl

    written = openpyxl.load_workbook(source)
    for name in names:
        if name not in written.sheetnames:
            continue
        origin = written[name]
        existing = [sheet.name for sheet in book.sheets]
        if name in existing:
            target = book.sheets[name]
            target.clear()
        else:
            target = book.sheets.add(name=name, after=book.sheets[existing[-1]])
        grid = [[_cell_for_excel(cell.value) for cell in row] for row in origin.iter_rows()]
        if grid and grid[0]:
            target.range((1, 1), (len(grid), len(grid[0]))).value = grid
        for row, first, last, number_format in format_runs(origin):
            target.range((row, first), (row, last)).number_format = number_format
        if origin.sheet_state != "visible":
            target.visible = False


def format_runs(sheet: Any) -> list[tuple[int, int, int, str]]:
    """(row, first column, last column, format) runs of equal number formats, so Excel gets one call a run."""
    runs: list[tuple[int, int, int, str]] = []
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None or cell.number_format in ("General", "@"):
                continue
            if runs and runs[-1][0] == cell.row and runs[-1][2] == cell.column - 1 and runs[-1][3] == cell.number_format:
                runs[-1] = (cell.row, runs[-1][1], cell.column, cell.number_format)
            else:
                runs.append((cell.row, cell.column, cell.column, cell.number_format))
    return runs


def held_in_book(book: Any, plan_id: str | None = None, structure: str | None = None) -> dict:
    """The figures the last click kept in this book's `_data` sheet, only for the same plan and structure."""
    if DATA_SHEET not in [sheet.name for sheet in book.sheets]:
        return {}
    meta = book.sheets["_meta"].range("A1:B20").value if "_meta" in [sheet.name for sheet in book.sheets] else []
    identity = {str(r[0]): str(r[1] or "") for r in meta or [] if r and r[0] in ("plan_id", "structure")}
    held_plan, held_structure = identity.get("plan_id", ""), identity.get("structure", "")
    if plan_id and held_plan and (held_plan, held_structure or structure) != (plan_id, structure):
        raise HeldStateError(
            f"Sổ này đang giữ số của kế hoạch {held_plan} (cơ cấu {held_structure or '?'} đơn vị), không phải của kế hoạch "
            f"{plan_id} (cơ cấu {structure} đơn vị); số liệu của hai kế hoạch không được trộn: hãy tổng hợp kế hoạch {plan_id} "
            f"trong một sổ khác (workbook-tools generate-national --plan {plan_id})."
        )
    count = next((int(r[1]) for r in meta or [] if r and r[0] == "data_rows" and r[1]), 0)
    if not count:
        return {}
    rows = book.sheets[DATA_SHEET].range(f"A1:G{count}").value or []
    cleaned = [[str(c).lstrip("'") if isinstance(c, str) else c for c in row] for row in rows if row and any(v is not None for v in row)]
    return held_from_rows(cleaned)


def _report(settings: Settings) -> Any:
    """Read the returns folder set on `Cấu hình`, as `workbook-tools check` does."""
    data = load_plan(settings.text("plan"), data_dirs())
    manifest = load_manifest(Path(settings.text("manifest"))) if settings.text("manifest") else None
    return check_folder(settings.folder("returns_dir", "Thư mục chứa báo cáo"), data, manifest=manifest)


def consolidate_action(book: Any, settings: Settings) -> str:
    """Consolidate the returns into this book's own summary sheets."""
    report = _report(settings)
    data = report.data
    baseline = load_plan(data.plan.previous_plan) if data.plan.is_stock and data.plan.previous_plan else None
    as_of = parse_date(settings.values.get("as_of")) if settings.text("as_of") else None
    key = settings.text("structure")
    held = held_in_book(book, data.plan.id, key or data.plan.structure)
    result = consolidate(report, held=held, as_of=as_of, baseline=baseline)
    if key and key != data.plan.structure:
        result = regroup_results(result, mapping_63_to_34(), in_structure(data, key))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tong-hop.xlsx"
        write_summary(result, path)
        copy_sheets(path, book, OWN_SHEETS)
    return (f"Đã tổng hợp {data.plan.id}: {result.count(ACCEPTED)} đơn vị được chấp nhận, "
            f"{result.count(REJECTED)} bị từ chối, {result.count(MISSING)} chưa nộp; "
            f"{sum(p.is_error for p in result.problems)} lỗi, {sum(not p.is_error for p in result.problems)} cảnh báo.")


def check_action(book: Any, settings: Settings) -> str:
    """Only the problems, into `Lỗi dữ liệu`."""
    report = _report(settings)
    result = consolidate(report, held={})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kiem-tra.xlsx"
        write_summary(result, path)
        copy_sheets(path, book, (PROBLEMS,))
    problems = report.problems
    return f"Đã kiểm tra {len(report.returns)} tệp: {sum(p.is_error for p in problems)} lỗi, {sum(not p.is_error for p in problems)} cảnh báo (xem sheet {PROBLEMS})."


def _outside_returns(out: Path, settings: Settings) -> None:
    """The add-in regenerates over its own workbooks, so never let that folder be the returns folder."""
    returns = settings.text("returns_dir")
    if returns and (same_or_inside(out, Path(returns)) or same_or_inside(Path(returns), out)):
        raise OutputError(f"«Thư mục để tạo sổ» {out} trùng với thư mục báo cáo gửi về {returns}: "
                          "sổ mới sẽ ghi đè báo cáo đã nộp; hãy chọn một thư mục khác.")


def generate_action(book: Any, settings: Settings) -> str:
    """Generate the units' workbooks into the folder set on `Cấu hình`."""
    data = load_plan(settings.text("plan"), data_dirs())
    key = settings.text("structure") or None
    data = in_structure(data, key)
    names = resolver(data.plan.structure)
    wanted = [t.strip() for t in settings.text("units").split(";") if t.strip()]
    units = select_units(data, [names.resolve_code_or_name(t) for t in wanted] or None)
    out = settings.folder("out_dir", "Thư mục để tạo sổ")
    _outside_returns(out, settings)
    files = generate(data, out, units, GenerateOptions(force=True))
    return f"Đã tạo {len(files)} sổ cho kế hoạch {data.plan.id} trong {out}."


def next_period_action(book: Any, settings: Settings) -> str:
    """The next period's workbooks, carrying the figures this book holds (as `workbook-tools next-period`)."""
    from .next_period import CONTINUES, roll_over_from

    if not settings.text("next_plan"):
        raise WorkbookToolsError(f"Chưa nhập «Kế hoạch kỳ tiếp theo» trên sheet {CONFIG_SHEET}.")
    old = load_plan(settings.text("plan"), data_dirs())
    new = load_plan(settings.text("next_plan"), data_dirs())
    rollover = roll_over_from(old, held_in_book(book), new)
    names = resolver(new.plan.structure)
    wanted = [t.strip() for t in settings.text("units").split(";") if t.strip()]
    units = select_units(new, [names.resolve_code_or_name(t) for t in wanted] or None)
    out = settings.folder("out_dir", "Thư mục để tạo sổ")
    _outside_returns(out, settings)
    files = generate(new, out, units, GenerateOptions(force=True), baseline=rollover.baseline, histories=rollover.histories)
    how = "lũy kế các kỳ trước" if rollover.relation == CONTINUES else "số liệu năm trước"
    notes = "".join(f" Lưu ý: {n}" for n in rollover.notices)
    return f"Đã tạo {len(files)} sổ kỳ tiếp theo ({new.plan.id}) trong {out}, kèm {how} của {len(rollover.histories)} đơn vị.{notes}"


ACTIONS: dict[str, Callable[[Any, Settings], str]] = {
    ACTION_CONSOLIDATE: consolidate_action,
    ACTION_CHECK: check_action,
    ACTION_GENERATE: generate_action,
    ACTION_NEXT_PERIOD: next_period_action,
}


def write_national_workbook(plan_id: str, path: Path, settings: Mapping[str, str], *, force: bool = False) -> None:
    """The workbook the add-in works in, written through `outputs` (replaces only our own file)."""
    write_output(path, lambda temporary: _national_book(plan_id, temporary, settings), ours=is_ours, force=force)


def _national_book(plan_id: str, temporary: Path, settings: Mapping[str, str]) -> None:
    """`Cấu hình` (plan, folders, action) and empty summary sheets."""
    doc = SummaryBook(temporary)
    s = doc.styles
    ws = doc.book.add_worksheet(CONFIG_SHEET)
    ws.merge_range(0, 1, 0, 2, "CẤU HÌNH SỔ TỔNG HỢP", s["title"])
    ws.write(1, 1, "Điền cột C, rồi bấm tab BHXH › Thực hiện (add-in bhxh_tools.xlam).", s["note"])
    for number, (key, label) in enumerate(SETTINGS, start=2):
        ws.write(number, 0, key, s["key"])
        ws.write(number, 1, label, s["info_label"])
        ws.write(number, 2, settings.get(key, ""), s["input.text"])
        if key == "action":
            ws.data_validation(number, 2, number, 2, {
                "validate": "list", "source": list(ACTIONS), "error_title": "Thao tác",
                "error_message": "Chọn một thao tác trong danh sách.",
            })
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 58)
    ws.set_column(2, 2, 60)
    for name in SHEETS:
        sheet = doc.book.add_worksheet(name, worksheet_class=PlainFormulas)
        sheet.write(0, 0, f"Chưa có số liệu: bấm BHXH › Thực hiện với thao tác «Tổng hợp báo cáo» (kế hoạch {plan_id}).", s["note"])
    for key, value in (("kind", NATIONAL_KIND), ("plan_id", plan_id)):
        doc.book.set_custom_property(f"wt_{key}", value)
    doc.book.close()


def run(book: Any) -> str:
    """Run the action chosen on `Cấu hình`; every failure becomes a Vietnamese status line."""
    try:
        settings = read_settings(book)
        action = ACTIONS.get(settings.text("action") or ACTION_CONSOLIDATE)
        if action is None:
            message = f"Thao tác «{settings.text('action')}» không có; chọn một trong: {', '.join(ACTIONS)}."
        else:
            message = action(book, settings)
    except WorkbookToolsError as exc:
        message = f"Không thực hiện được: {exc}"
    except Exception as exc:  # noqa: BLE001 - the user must see a message, never a traceback in a cell
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        message = f"Lỗi không mong đợi ({detail}). Hãy gửi tệp này và thông báo cho bộ phận CNTT."
    try:
        write_status(book, message)
    except Exception:  # noqa: BLE001 - no Cấu hình sheet: the message is still returned
        pass
    return message


def main() -> None:
    """What the ribbon button runs (through the `bhxh_tools` shim next to the add-in)."""
    import xlwings as xw

    run(xw.Book.caller())

