"""Build the Excel add-in (`bhxh_tools.xlam`) from xlwings' own ribbon add-in template, without Excel.

No tool writes a VBA project from text without Excel, so the VBA is the template's, unchanged:
its `RibbonMyAddin.RunMain` runs `import <add-in name>; <add-in name>.main()` through xlwings'
`RunPython`. We swap in our ribbon (`macros/customUI.xml`), optionally activate the template's
config sheet with the Python interpreter to use, and write a zip with fixed timestamps so the
same inputs always give the same bytes. `macros/bhxh_tools.py` goes next to it.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from .datafiles import first_existing
from .errors import WorkbookToolsError
from .outputs import check_target, make_folder, write_output

ADDIN_NAME = "bhxh_tools"
TEMPLATE = "quickstart_addin_ribbon.xlam"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
CONFIG_SHEET_OFF = "_myaddin.conf"
CONFIG_SHEET_ON = "myaddin.conf"


def macros_dir() -> Path:
    """The `macros/` folder: ribbon XML, exported VBA and the Python shim."""
    package = Path(__file__).resolve().parent
    return first_existing(package / "_macros", package.parent / "macros")


def template_path() -> Path:
    """The ribbon add-in template shipped inside the installed xlwings package."""
    import xlwings

    path = Path(xlwings.__file__).parent / TEMPLATE
    if not path.exists():
        raise WorkbookToolsError(f"xlwings {xlwings.__version__} does not ship {TEMPLATE}; install xlwings ≥ 0.30")
    return path


def _activate_config(workbook_xml: bytes, sheet_xml: bytes, interpreter: str) -> tuple[bytes, bytes]:
    """Rename the template's config sheet so xlwings reads it, and set Interpreter_Win (cell B1)."""
    book = workbook_xml.replace(f'name="{CONFIG_SHEET_OFF}"'.encode(), f'name="{CONFIG_SHEET_ON}"'.encode())
    cell = f'<c r="B1" t="inlineStr"><is><t>{escape(interpreter)}</t></is></c>'.encode()
    sheet, count = re.subn(rb'(<row r="1"[^>]*>)(.*?)(</row>)', lambda m: m.group(1) + m.group(2) + cell + m.group(3), sheet_xml, count=1, flags=re.S)
    if count != 1 or book == workbook_xml:
        raise WorkbookToolsError("the xlwings add-in template has changed: its config sheet was not found")
    return book, sheet


def is_our_addin(path: Path) -> bool:
    """An add-in this tool built: an xlam whose ribbon opens the BHXH tab."""
    try:
        with zipfile.ZipFile(path) as archive:
            return b'id="bhxhTab"' in archive.read("customUI/customUI.xml")
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def is_our_shim(path: Path) -> bool:
    """The shim this tool copies next to the add-in."""
    try:
        return "from workbook_tools.addin import main" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def build_addin(out_dir: Path, interpreter: str = "", *, force: bool = False) -> list[Path]:
    """Write `bhxh_tools.xlam` and `bhxh_tools.py` into out_dir; returns their paths."""
    make_folder(out_dir)
    macros = macros_dir()
    ribbon = (macros / "customUI.xml").read_bytes()
    target = out_dir / f"{ADDIN_NAME}.xlam"
    shim = out_dir / f"{ADDIN_NAME}.py"
    check_target(shim, ours=is_our_shim, force=force)
    with zipfile.ZipFile(template_path()) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    if "customUI/customUI.xml" not in parts or "xl/vbaProject.bin" not in parts:
        raise WorkbookToolsError("the xlwings add-in template has no ribbon or no VBA project")
    parts["customUI/customUI.xml"] = ribbon
    if interpreter:
        parts["xl/workbook.xml"], parts["xl/worksheets/sheet1.xml"] = _activate_config(
            parts["xl/workbook.xml"], parts["xl/worksheets/sheet1.xml"], interpreter
        )

    def write(temporary: Path) -> None:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(parts, key=lambda n: (n != "[Content_Types].xml", n)):
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, parts[name])

    write_output(target, write, ours=is_our_addin, force=force)
    write_output(shim, lambda temporary: shutil.copyfile(macros / f"{ADDIN_NAME}.py", temporary), ours=is_our_shim, force=force)
    return [target, shim]


INSTALL_STEPS = """\
Cài đặt add-in BHXH trên máy Windows (một lần):
1. Cài Python 3.11 trở lên và workbook-tools:  py -m pip install workbook-tools  (hoặc pip install -e . từ mã nguồn).
2. Cài add-in xlwings:  xlwings addin install   (cần cho RunPython).
3. Chép {xlam} và {shim} vào cùng một thư mục tin cậy, ví dụ %APPDATA%\\Microsoft\\AddIns.
4. Nếu máy có nhiều Python: tạo lại add-in với  workbook-tools addin build --interpreter "C:\\...\\python.exe"
   (ghi đường dẫn vào sheet cấu hình của add-in), hoặc ghi Interpreter_Win vào %USERPROFILE%\\.myaddin\\myaddin.conf.
5. Excel › File › Options › Trust Center › Trust Center Settings › Trusted Locations: thêm thư mục ở bước 3.
   Tệp tải từ mạng/email: chuột phải › Properties › Unblock, nếu không Excel sẽ chặn macro.
6. Excel › File › Options › Add-ins › Manage: Excel Add-ins › Go… › Browse… › chọn {xlam}.
7. Mở sổ tổng hợp (workbook-tools generate-national …), điền sheet «Cấu hình», bấm tab BHXH › Thực hiện.
Lỗi thường gặp: «Python not found» hoặc «ModuleNotFoundError: workbook_tools» – Interpreter_Win trỏ sai Python
(xem docs/addin.md); sổ trên OneDrive/SharePoint – lưu bản sao vào ổ máy rồi chạy.
"""
