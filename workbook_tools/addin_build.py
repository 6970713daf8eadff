"""Build the Excel add-in (`bhxh_tools.xlam`) without Excel, from the VBA and ribbon kept as text in `macros/`.

The ribbon is declared once in `macros/ribbon.toml` (one line per button); `macros/customUI.xml`
and the ribbon's VBA module `macros/BHXHRibbon.bas` are generated from it (run this module to
regenerate them; a test fails when they are stale). The VBA project (`vbaProject.bin`, project
`BHXHTools`) is built from the modules in `macros/` by `vba_project.py`: xlwings' own `RunPython`
module and its Dictionary class as xlwings ships them (only `PROJECT_NAME` set to ours), plus
our ribbon callbacks, each running `import workbook_tools.addin as a; a.run_…()`. The rest of
the package (workbook, config sheet, styles) is taken from xlwings' ribbon add-in template, with
the config sheet activated and the Python interpreter written into it. The zip has fixed
timestamps, so the same inputs always give the same bytes.

`from_template=True` builds the previous add-in instead: the template's VBA byte for byte, one
button running the action chosen on `Cấu hình` through the `bhxh_tools.py` shim.
"""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .datafiles import first_existing
from .errors import WorkbookToolsError
from .vba_project import Module, build_vba_project, module_from_text
from .outputs import check_target, make_folder, write_output

ADDIN_NAME = "bhxh_tools"
PROJECT_NAME = "BHXHTools"
RIBBON_MODULE = "BHXHRibbon"
ENTRY_MODULE = "workbook_tools.addin"
VBA_FILES = ("ThisWorkbook.cls", "Sheet2.cls", "xlwings.bas", "Dictionary.cls", f"{RIBBON_MODULE}.bas")
TEMPLATE = "quickstart_addin_ribbon.xlam"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
TEMPLATE_CONFIG_OFF = "_myaddin.conf"
TEMPLATE_CONFIG_ON = "myaddin.conf"
CUSTOM_UI_NS = "http://schemas.microsoft.com/office/2006/01/customui"


@dataclass(frozen=True)
class Button:
    """One ribbon button: its id, the label staff read, the Python entry point, an Office icon, a tip."""

    id: str
    label: str
    entry: str
    image: str
    tip: str

    @property
    def callback(self) -> str:
        """The VBA procedure the button calls (e.g. OnNextPeriod)."""
        return "On" + "".join(part.capitalize() for part in self.id.split("_"))

    @property
    def command(self) -> str:
        """The Python statement RunPython executes: independent of the .xlam's file name."""
        return f"import {ENTRY_MODULE} as a; a.{self.entry}()"


@dataclass(frozen=True)
class Ribbon:
    """The BHXH tab as declared in `macros/ribbon.toml`."""

    tab: str
    group: str
    buttons: tuple[Button, ...]


def macros_dir() -> Path:
    """The `macros/` folder: ribbon table, VBA modules and the template build's files."""
    package = Path(__file__).resolve().parent
    return first_existing(package / "_macros", package.parent / "macros")


def load_ribbon(macros: Path | None = None) -> Ribbon:
    """The ribbon table (one line per button)."""
    table = tomllib.loads(((macros or macros_dir()) / "ribbon.toml").read_text(encoding="utf-8"))
    buttons = tuple(Button(**row) for row in table["buttons"])
    for button in buttons:
        if not re.fullmatch(r"[a-z][a-z_]*", button.id) or not button.entry.isidentifier():
            raise WorkbookToolsError(f"ribbon.toml: bad id or entry in {button}")
    return Ribbon(table["tab"], table["group"], buttons)


def ribbon_xml(ribbon: Ribbon) -> str:
    """customUI.xml: the tab, its group and one large button per action."""
    rows = [
        f'<customUI xmlns="{CUSTOM_UI_NS}">',
        "  <ribbon>", "    <tabs>",
        f'      <tab id="bhxhTab" label={quoteattr(ribbon.tab)}>',
        f'        <group id="bhxhReports" label={quoteattr(ribbon.group)}>',
    ]
    for b in ribbon.buttons:
        rows.append(f'          <button id="bhxh_{b.id}" label={quoteattr(b.label)} size="large" imageMso={quoteattr(b.image)}'
                    f' onAction="{RIBBON_MODULE}.{b.callback}" screentip={quoteattr(b.label)} supertip={quoteattr(b.tip)} />')
    rows += ["        </group>", "      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(rows)


def ribbon_module(ribbon: Ribbon) -> str:
    """BHXHRibbon.bas: one callback per button, each calling its own Python entry point through RunPython."""
    rows = [f'Attribute VB_Name = "{RIBBON_MODULE}"', "Option Explicit",
            "' Generated from macros/ribbon.toml by `python -m workbook_tools.addin_build`: one callback per button.",
            "' RunPython is xlwings' (module xlwings of this project); the Python module name never depends on the file name."]
    for b in ribbon.buttons:
        rows += ["", f"Sub {b.callback}(control As IRibbonControl)", f'    RunPython "{b.command}"', "End Sub"]
    return "\n".join(rows) + "\n"


def write_generated(macros: Path | None = None) -> list[Path]:
    """Regenerate customUI.xml and BHXHRibbon.bas in macros/ from ribbon.toml."""
    folder = macros or macros_dir()
    ribbon = load_ribbon(folder)
    written = []
    for name, text in (("customUI.xml", ribbon_xml(ribbon)), (f"{RIBBON_MODULE}.bas", ribbon_module(ribbon))):
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
        written.append(folder / name)
    return written


def vba_xlwings_version(macros: Path | None = None) -> str:
    """The xlwings version whose RunPython module macros/ holds (its DLL is named after it)."""
    text = ((macros or macros_dir()) / "xlwings.bas").read_text(encoding="ascii")
    found = re.search(r"^'Version: (\S+)$", text, re.M)
    if not found:
        raise WorkbookToolsError("macros/xlwings.bas has no 'Version: line")
    return found.group(1)


def check_xlwings_version(macros: Path | None = None) -> None:
    """The add-in's VBA loads xlwings64-<version>.dll: the installed xlwings must be that version."""
    import xlwings

    wanted = vba_xlwings_version(macros)
    if xlwings.__version__ != wanted:
        raise WorkbookToolsError(
            f"the add-in's VBA is xlwings {wanted}'s but xlwings {xlwings.__version__} is installed; "
            f"Excel would not find xlwings64-{wanted}.dll. Install that version: py -m pip install xlwings=={wanted}"
        )


def vba_modules(macros: Path | None = None) -> list[Module]:
    """The add-in's VBA modules, read from the text in macros/."""
    folder = macros or macros_dir()
    return [module_from_text((folder / name).read_text(encoding="ascii"), name.endswith(".cls")) for name in VBA_FILES]


def build_vba(macros: Path | None = None) -> bytes:
    """The add-in's vbaProject.bin, built from macros/ (no Excel)."""
    return build_vba_project(PROJECT_NAME, vba_modules(macros))


def template_path() -> Path:
    """The ribbon add-in template shipped inside the installed xlwings package."""
    import xlwings

    path = Path(xlwings.__file__).parent / TEMPLATE
    if not path.exists():
        raise WorkbookToolsError(f"xlwings {xlwings.__version__} does not ship {TEMPLATE}; install xlwings ≥ 0.30")
    return path


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


def _template_parts() -> dict[str, bytes]:
    """Every part of xlwings' ribbon add-in template."""
    with zipfile.ZipFile(template_path()) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    if "customUI/customUI.xml" not in parts or "xl/vbaProject.bin" not in parts:
        raise WorkbookToolsError("the xlwings add-in template has no ribbon or no VBA project")
    return parts


def _activate_config(workbook_xml: bytes, sheet_xml: bytes, interpreter: str, sheet_name: str) -> tuple[bytes, bytes]:
    """Rename the template's config sheet so xlwings reads it, and set Interpreter_Win (cell B1)."""
    book = workbook_xml.replace(f'name="{TEMPLATE_CONFIG_OFF}"'.encode(), f'name="{sheet_name}"'.encode())
    cell = f'<c r="B1" t="inlineStr"><is><t>{escape(interpreter)}</t></is></c>'.encode()
    sheet, count = re.subn(rb'(<row r="1"[^>]*>)(.*?)(</row>)', lambda m: m.group(1) + m.group(2) + cell + m.group(3), sheet_xml, count=1, flags=re.S)
    if count != 1 or book == workbook_xml:
        raise WorkbookToolsError("the xlwings add-in template has changed: its config sheet was not found")
    return book, sheet.replace(b'spans="1:1"', b'spans="1:2"', 1)


def write_package(parts: dict[str, bytes], target: Path, *, force: bool = False) -> None:
    """Write an OOXML zip with fixed timestamps and order (reproducible), atomically, never over someone else's file."""
    def write(temporary: Path) -> None:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(parts, key=lambda n: (n != "[Content_Types].xml", n)):
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, parts[name])

    write_output(target, write, ours=is_our_addin, force=force)


def build_addin(out_dir: Path, interpreter: str, *, from_template: bool = False, force: bool = False) -> list[Path]:
    """Write `bhxh_tools.xlam` (and, for the template build, the `bhxh_tools.py` shim) into out_dir."""
    make_folder(out_dir)
    macros = macros_dir()
    parts = _template_parts()
    target = out_dir / f"{ADDIN_NAME}.xlam"
    shim = out_dir / f"{ADDIN_NAME}.py"
    if from_template:
        check_target(shim, ours=is_our_shim, force=force)
    if from_template:
        parts["customUI/customUI.xml"] = (macros / "template" / "customUI.xml").read_bytes()
        sheet_name = TEMPLATE_CONFIG_ON
    else:
        check_xlwings_version(macros)
        parts["customUI/customUI.xml"] = (macros / "customUI.xml").read_bytes()
        parts["xl/vbaProject.bin"] = build_vba(macros)
        sheet_name = f"{ADDIN_NAME}.conf"
    if interpreter:
        parts["xl/workbook.xml"], parts["xl/worksheets/sheet1.xml"] = _activate_config(
            parts["xl/workbook.xml"], parts["xl/worksheets/sheet1.xml"], interpreter, sheet_name
        )
    write_package(parts, target, force=force)
    if not from_template:
        return [target]  # the own build imports workbook_tools.addin directly: no shim
    write_output(shim, lambda temporary: shutil.copyfile(macros / "template" / f"{ADDIN_NAME}.py", temporary), ours=is_our_shim, force=force)
    return [target, shim]


def default_interpreter() -> str:
    """The Python running this tool: the one that has workbook-tools installed."""
    return sys.executable


PIP_INSTALL = "py -m pip install <đường dẫn tới tệp .whl hoặc thư mục mã nguồn workbook-tools>"

INSTALL_STEPS = """\
Cài đặt add-in BHXH trên máy Windows (một lần; không cần cài add-in xlwings riêng):
1. Cài Python 3.11 trở lên từ python.org (đánh dấu «Add python.exe to PATH»). Tắt bí danh của Microsoft Store:
   Settings › Apps › Advanced app settings › App execution aliases › tắt python.exe và python3.exe.
2. Cài workbook-tools:  {pip}
   Rồi xem Python nằm ở đâu:  py -c "import sys; print(sys.executable)"
3. Trên chính máy đó, tạo add-in ghi đường dẫn Python vào cấu hình của add-in:
   workbook-tools addin build --out <thư mục>   (mặc định ghi Python đang chạy lệnh; dùng --interpreter để chỉ định khác)
4. Chép {xlam} vào một thư mục trên ổ máy (không phải OneDrive), ví dụ %APPDATA%\\Microsoft\\AddIns.
   Tệp tải về từ mạng hoặc email: chuột phải › Properties › đánh dấu Unblock › OK, nếu không Excel chặn macro.
5. Excel › File › Options › Trust Center › Trust Center Settings › Trusted Locations › Add new location: thư mục ở bước 4.
6. Excel › File › Options › Add-ins › Manage: Excel Add-ins › Go… › Browse… › chọn {xlam} › OK. Tab BHXH xuất hiện.
7. Tạo sổ tổng hợp:  workbook-tools generate-national --plan <mã kế hoạch> --out tong-hop.xlsx --returns-dir <thư mục báo cáo>
   Mở sổ, điền sheet «Cấu hình», bấm tab BHXH › Tổng hợp (hoặc Kiểm tra, Tạo sổ, Kỳ tiếp theo, Báo cáo ngày).
Lỗi thường gặp (xem docs/addin.md):
- «Could not find Interpreter!» hoặc cửa sổ Microsoft Store mở ra: làm lại bước 1 (tắt bí danh) và bước 3.
- «ModuleNotFoundError: No module named 'workbook_tools'»: Python ghi ở bước 3 chưa cài workbook-tools; làm lại bước 2 bằng đúng Python đó.
- Macro bị chặn («Microsoft has blocked macros»): bước 4 (Unblock) và bước 5.
- «File not found: xlwings64-….dll»: Python đó cài xlwings khác phiên bản của add-in; cài lại bằng  py -m pip install xlwings==<phiên bản mà addin build báo>.
- Sổ hoặc thư mục trên OneDrive/SharePoint: lưu bản sao vào ổ máy (C:\\...) rồi chạy.
"""


if __name__ == "__main__":
    for path in write_generated():
        print(f"wrote {path}")
