"""Entry points of the Excel add-in: one click runs the same core as the CLI, for the caller book.

Each ribbon button of `bhxh_tools.xlam` (see `macros/ribbon.toml`) runs one function here through
xlwings' `RunPython`: `run_consolidate`, `run_check`, `run_generate`, `run_next_period` (and
`run_daily`). They read the settings of the book's `Cấu hình` sheet. «Tổng hợp» (and the daily
button, with `write_daily_summary`) writes the national workbook with the CLI's own `write_summary` (same sheets, formulas, chart, colours,
held figures) to a file beside the book, then opens it. The add-in built with `--from-template`
calls `main()`, which runs the action chosen on `Cấu hình`. Only a small part of the xlwings API
is used: `Book.caller`, `fullname`, `app.books` (`open`, `close`), `sheets`, `sheets.add`,
`Sheet.name`, `Sheet.clear`, `Sheet.visible`, `range`, `.value`, `.number_format`.
"""

from __future__ import annotations

import re
import tempfile
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .check import ACCEPTED, MISSING, REJECTED, check_folder, load_manifest
from .consolidate import consolidate, regroup_results
from .datafiles import data_dirs
from .errors import OutputError, WorkbookToolsError
from .generate import GenerateOptions, generate, in_structure, select_units
from .held import NATIONAL_KIND, is_ours, load_held, prior_figures
from .names import resolver
from .outputs import check_target, locked, same_or_inside, write_output
from .parallel import alongside
from .plans import load_plan
from .summary import PROBLEMS, SummaryBook, write_summary
from .units import mapping_63_to_34
from .values import parse_date

CONFIG_SHEET = "Cấu hình"
SETTINGS = (
    ("plan", "Mã kế hoạch (ví dụ 2800-2021)"),
    ("returns_dir", "Thư mục chứa báo cáo các tỉnh gửi về"),
    ("manifest", "Tệp manifest.json của đợt gửi sổ (không bắt buộc)"),
    ("structure", "Tổng hợp theo 63 hay 34 đơn vị (để trống: theo kế hoạch)"),
    ("as_of", "Kỳ báo cáo (ngày/tháng/năm, để trống: tự xác định)"),
    ("replace", "Sổ thay số liệu đang giữ dù ngày báo cáo cũ hơn (tên tệp hoặc mã đơn vị, cách nhau bởi dấu ;)"),
    ("out_dir", "Thư mục để tạo sổ cho các đơn vị"),
    ("units", "Chỉ tạo sổ cho các đơn vị (mã hoặc tên, cách nhau bởi dấu ;)"),
    ("next_plan", "Kế hoạch kỳ tiếp theo (cho nút «Kỳ tiếp theo»)"),
    ("out_file", "Tệp sổ tổng hợp toàn quốc (để trống: tong-hop-<kế hoạch>.xlsx cạnh sổ này)"),
    ("discard_hand_edits", "Bỏ các số sửa tay trong sổ tổng hợp toàn quốc (gõ «có» rồi bấm «Tổng hợp»; dùng một lần)"),
    ("daily_returns_dir", "Thư mục chứa báo cáo nhanh hằng ngày các tỉnh gửi về (để trống: như báo cáo định kỳ)"),
    ("day", "Ngày tổng hợp báo cáo nhanh (ngày/tháng/năm, để trống: tự xác định)"),
    ("daily_out_file", "Tệp sổ tổng hợp báo cáo nhanh hằng ngày (để trống: bao-cao-ngay-<kế hoạch>.xlsx cạnh sổ này)"),
    ("action", "Thao tác cho nút «Thực hiện» (chỉ add-in dựng bằng --from-template)"),
    ("status", "Kết quả lần chạy gần nhất"),
)
ACTION_CONSOLIDATE = "Tổng hợp báo cáo"
ACTION_CHECK = "Kiểm tra báo cáo"
ACTION_GENERATE = "Tạo sổ cho các đơn vị"
ACTION_NEXT_PERIOD = "Tạo sổ kỳ tiếp theo"
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
        """A folder setting that must be given, as a path on this PC."""
        text = self.text(key)
        if not text:
            raise WorkbookToolsError(f"Chưa nhập «{label}» trên sheet {CONFIG_SHEET}.")
        return setting_path(text, label)


def local_path(text: str, label: str) -> Path:
    """A path Python can open: OneDrive/SharePoint addresses (https://…) are not; Explorer's «Copy as path» quotes are dropped."""
    text = text.strip().strip('"').strip()
    if "://" in text:
        raise WorkbookToolsError(f"«{label}» là địa chỉ OneDrive/SharePoint ({text}); hãy lưu vào ổ máy (ví dụ C:\\BHXH) và nhập đường dẫn đó.")
    return Path(text)


def setting_path(text: str, label: str) -> Path:
    """A path typed on `Cấu hình`: it must be a full one, since Excel's working folder is anyone's guess (a bare 5 is no folder)."""
    path = local_path(text, label)
    if not path.is_absolute():
        raise WorkbookToolsError(f"«{label}» là «{text}», không phải một đường dẫn đầy đủ; hãy nhập đường dẫn bắt đầu bằng ổ đĩa "
                                 f"(ví dụ C:\\BHXH\\bao-cao) trên sheet {CONFIG_SHEET}.")
    return path


def date_setting(settings: Settings, key: str, label: str) -> date | None:
    """A date set on `Cấu hình` (None when empty); a value that is not a date stops the run instead of being ignored."""
    if not settings.text(key):
        return None
    found = parse_date(settings.values.get(key))
    if found is None:
        raise WorkbookToolsError(f"«{label}» trên sheet {CONFIG_SHEET} là «{settings.text(key)}», không phải một ngày; "
                                 "hãy nhập dạng ngày/tháng/năm (ví dụ 15/12/2021) hoặc để trống.")
    return found


def read_settings(book: Any) -> Settings:
    """Key → value of the `Cấu hình` sheet (key in column A, value in column C)."""
    names = [sheet.name for sheet in book.sheets]
    if CONFIG_SHEET not in names:
        raise WorkbookToolsError(f"Sổ này không có sheet «{CONFIG_SHEET}»; tạo sổ tổng hợp bằng `workbook-tools generate-national`.")
    rows = book.sheets[CONFIG_SHEET].range("A1:C40").value or []
    return Settings({str(r[0]).strip(): r[2] for r in rows if r and r[0]})


def write_setting(book: Any, key: str, value: Any) -> None:
    """Write one setting's value (column C) on `Cấu hình`, found by its key in column A."""
    sheet = book.sheets[CONFIG_SHEET]
    rows = sheet.range("A1:A40").value or []
    for number, row in enumerate(rows, start=1):
        if (row[0] if isinstance(row, list) else row) == key:
            sheet.range(f"C{number}").value = value
            return


def write_status(book: Any, message: str) -> None:
    """Tell the user what happened, in the status row of `Cấu hình`."""
    write_setting(book, "status", f"{datetime.now():%d/%m/%Y %H:%M}: {message}")


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


def national_path(book: Any, settings: Settings, plan_id: str) -> Path:
    """Where «Tổng hợp» writes the national workbook: the setting, or tong-hop-<plan>.xlsx beside the book."""
    return _output_path(book, settings, "out_file", "Tệp sổ tổng hợp toàn quốc", f"tong-hop-{plan_id}.xlsx")


def _output_path(book: Any, settings: Settings, key: str, label: str, default: str) -> Path:
    """A workbook the add-in writes: the path set on `Cấu hình`, or `default` beside the book; never the book itself."""
    own = str(getattr(book, "fullname", "") or "")
    if settings.text(key):
        path = setting_path(settings.text(key), label)
    else:
        path = local_path(own, "Sổ đang mở").with_name(default)
    if own and "://" not in own and path.resolve() == Path(own).resolve():
        raise WorkbookToolsError(f"«{label}» không được là chính sổ này.")
    return path


def _refuse_if_open(book: Any, path: Path, button: str) -> None:
    """Stop while Excel has the output open: closing it for the user could throw away what was typed and not saved."""
    for other in list(book.app.books):
        if Path(str(other.fullname)).resolve() == path.resolve():
            raise WorkbookToolsError(
                f"Sổ {path.name} đang mở trong Excel: hãy đóng sổ đó (lưu lại nếu đã sửa gì) rồi bấm «{button}» lần nữa; "
                "công cụ không tự đóng sổ để không làm mất phần chưa lưu."
            )


def _yes(settings: Settings, key: str) -> bool:
    """A yes typed on `Cấu hình` (có / x / yes / 1)."""
    return settings.text(key).strip().casefold() in ("có", "co", "x", "yes", "y", "1", "true")


def _as_of(settings: Settings) -> date | None:
    """The reporting round set on `Cấu hình` (None: worked out from the returns)."""
    return date_setting(settings, "as_of", "Kỳ báo cáo")


def _plan(settings: Settings) -> Any:
    """The plan set on `Cấu hình`: an empty cell is said as such, not as an unknown plan «»."""
    if not settings.text("plan"):
        raise WorkbookToolsError(f"Chưa nhập «Mã kế hoạch» trên sheet {CONFIG_SHEET} (ví dụ 2800-2021; xem `workbook-tools targets list`).")
    return load_plan(settings.text("plan"), data_dirs())


def _report(settings: Settings, data: Any = None, progress: Any = None) -> Any:
    """Read the returns folder set on `Cấu hình`, as `workbook-tools check` does (with --as-of and --replace)."""
    data = data or _plan(settings)
    manifest = load_manifest(setting_path(settings.text("manifest"), "Tệp manifest.json")) if settings.text("manifest") else None
    replace = [part.strip() for part in settings.text("replace").split(";") if part.strip()]
    return check_folder(settings.folder("returns_dir", "Thư mục chứa báo cáo"), data, manifest=manifest,
                        replace=replace, as_of=_as_of(settings), progress=progress)


def consolidate_action(book: Any, settings: Settings) -> str:
    """Write the national workbook as `workbook-tools consolidate --out` does (same function), then open it."""
    data = _plan(settings)
    out = national_path(book, settings, data.plan.id)
    baseline = load_plan(data.plan.previous_plan, data_dirs()) if data.plan.is_stock and data.plan.previous_plan else None
    key = settings.text("structure")
    check_target(out, ours=is_ours, keep_out=[settings.folder("returns_dir", "Thư mục chứa báo cáo")])
    _refuse_if_open(book, out, "Tổng hợp")
    discard = _yes(settings, "discard_hand_edits")
    hint = f"gõ «có» vào dòng «discard_hand_edits» trên sheet {CONFIG_SHEET} rồi bấm «Tổng hợp» lại"
    with locked(out):
        with alongside(prior_figures, out, data.plan.id, key or data.plan.structure, keep_hand_edits=discard, discard=hint) as prior:
            report = _report(settings, data, progress=lambda _ret: prior.check())  # the national workbook is read meanwhile
            held = prior.result()
        result = consolidate(report, held=held, as_of=_as_of(settings), baseline=baseline)
        del report, held  # summed into result (which keeps the sources it uses): free the rest before the summary is written
        if key and key != data.plan.structure:
            result = regroup_results(result, mapping_63_to_34(), in_structure(data, key))
        write_summary(result, out, discard_hand_edits=discard, hand_edits_checked=True)
    if discard:
        write_setting(book, "discard_hand_edits", "")  # once: later hand edits are caught again
    book.app.books.open(str(out))
    return (f"Đã tổng hợp {data.plan.id} vào {out}: {result.count(ACCEPTED)} đơn vị được chấp nhận, "
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
    data = _plan(settings)
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
    old = _plan(settings)
    new = load_plan(settings.text("next_plan"), data_dirs())
    national = national_path(book, settings, old.plan.id)
    if not national.exists():
        raise WorkbookToolsError(f"Chưa có sổ tổng hợp {national}: bấm «Tổng hợp» trước.")
    rollover = roll_over_from(old, load_held(national), new)
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
    ws.write(1, 1, "Điền cột C, rồi bấm một nút trên tab BHXH: Tổng hợp, Kiểm tra, Tạo sổ, Kỳ tiếp theo (add-in bhxh_tools.xlam).", s["note"])
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
    for key, value in (("kind", NATIONAL_KIND), ("plan_id", plan_id)):
        doc.book.set_custom_property(f"wt_{key}", value)
    doc.book.close()


def run_action(book: Any, action: Callable[[Any, Settings], str]) -> str:
    """Run one action for the book; every failure becomes a Vietnamese status line on `Cấu hình`."""
    try:
        message = action(book, read_settings(book))
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


def _chosen_action(book: Any, settings: Settings) -> str:
    """The template build's single button: the action chosen on `Cấu hình`."""
    action = ACTIONS.get(settings.text("action") or ACTION_CONSOLIDATE)
    if action is None:
        raise WorkbookToolsError(f"Thao tác «{settings.text('action')}» không có; chọn một trong: {', '.join(ACTIONS)}.")
    return action(book, settings)


def run(book: Any) -> str:
    """Run the action chosen on `Cấu hình` (the add-in built with --from-template)."""
    return run_action(book, _chosen_action)


def _caller(book: Any) -> Any:
    """The book whose ribbon button was clicked (or the one given, for tests and scripts)."""
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def main() -> None:
    """What the template build's button runs (through the `bhxh_tools` shim next to the add-in)."""
    run(_caller(None))


def run_consolidate(book: Any = None) -> str:
    """Ribbon «Tổng hợp»: the national workbook, as `workbook-tools consolidate` writes it, opened in Excel."""
    return run_action(_caller(book), consolidate_action)


def run_check(book: Any = None) -> str:
    """Ribbon «Kiểm tra»: every problem of the returns, into this book's `Lỗi dữ liệu` sheet."""
    return run_action(_caller(book), check_action)


def run_generate(book: Any = None) -> str:
    """Ribbon «Tạo sổ»: the units' workbooks, into the folder set on `Cấu hình`."""
    return run_action(_caller(book), generate_action)


def run_next_period(book: Any = None) -> str:
    """Ribbon «Kỳ tiếp theo»: the next period's workbooks, carrying the national workbook's figures."""
    return run_action(_caller(book), next_period_action)


def daily_path(book: Any, settings: Settings, plan_id: str) -> Path:
    """Where the daily button writes the national daily workbook: the setting, or bao-cao-ngay-<plan>.xlsx beside the book."""
    return _output_path(book, settings, "daily_out_file", "Tệp sổ tổng hợp báo cáo nhanh hằng ngày", f"bao-cao-ngay-{plan_id}.xlsx")


def daily_action(book: Any, settings: Settings) -> str:
    """Add one day of quick reports to the national daily workbook, as `workbook-tools daily consolidate --out` does, then open it."""
    from .daily import LATE, ON_TIME, REPORTED, TIMELINESS_RULE, consolidate_daily, plan_of_returns, read_daily_folder
    from .daily_book import is_daily_national, load_held_book, other_held, write_daily_summary

    key = "daily_returns_dir" if settings.text("daily_returns_dir") else "returns_dir"
    folder = settings.folder(key, "Thư mục chứa báo cáo nhanh hằng ngày")
    day = date_setting(settings, "day", "Ngày tổng hợp báo cáo nhanh")
    found_plan, structure_key = plan_of_returns(folder)
    plan_id = settings.text("plan") or found_plan or ""
    out = daily_path(book, settings, plan_id)
    check_target(out, ours=is_daily_national, keep_out=[folder])
    _refuse_if_open(book, out, "Báo cáo ngày")
    with locked(out):
        held, campaign, held_plan, held_structure = load_held_book(out)
        chosen = settings.text("plan") or held_plan or found_plan or ""
        data = in_structure(load_plan(chosen, data_dirs()), structure_key or (held_structure if chosen == held_plan else None))
        refused = other_held(out, held_plan, held_structure, data)
        if refused:
            raise WorkbookToolsError(f"{refused}: hãy nhập một tệp khác vào «Tệp sổ tổng hợp báo cáo nhanh hằng ngày» trên sheet {CONFIG_SHEET}.")
        returns = read_daily_folder(folder, data)
        result = consolidate_daily(data, returns, held=held, held_campaign=campaign, day=day)
        write_daily_summary(result, out, keep_out=[folder])
    book.app.books.open(str(out))
    summary = result.as_dict()["summary"]
    return (f"Đã tổng hợp báo cáo nhanh ngày {result.day:%d/%m/%Y} vào {out}: {summary[REPORTED]}/{len(result.units)} đơn vị báo cáo "
            f"({summary[ON_TIME]} đúng hạn, {summary[LATE]} trễ hạn), {summary['missing']} chưa báo cáo, {summary['rejected']} bị từ chối; "
            f"{len(result.days)} ngày trong sổ. Đúng hạn/trễ hạn: {TIMELINESS_RULE}.")


ACTION_DAILY = "Tổng hợp báo cáo nhanh hằng ngày"
ACTIONS[ACTION_DAILY] = daily_action


def run_daily(book: Any = None) -> str:
    """The ribbon's daily button: one more day in the national daily workbook beside the book (as the CLI writes it), opened."""
    return run_action(_caller(book), daily_action)
