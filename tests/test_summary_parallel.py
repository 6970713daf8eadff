"""The national workbook's figure sheets (`Tổng hợp`, `Theo tháng`, `_shown`) are written by a forked child while the
parent writes the others, then adopted into the one book: the book must be byte for byte the one a single process
writes (Windows, or a child that fails); their text is inline rather than shared, and every reader must still see the
same cells as in a book of shared text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import signal
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import workbook_tools.summary as summary
from workbook_tools import bulk_xlsx, deflate
from workbook_tools.bulk_xlsx import LightZipBook, RowSheet
from workbook_tools.check import check_folder
from workbook_tools.consolidate import Consolidation, consolidate
from workbook_tools.hand_edits import SHOWN_SHEET, hand_edits
from workbook_tools.plans import load_plan

from .libreoffice import convert
from .processes import alive, children
from .shares import returned_shares

STAMP = dt.datetime(2021, 11, 15, 9, 30)
SHARES = {"01": 0.61, "79": 1.07, "48": 0.35}


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Consolidation:
    """Three provinces report, 60 are missing; one unit's name carries what inline text must escape (&, <, a leading
    space, a control character, an _xHHHH_ look-alike)."""
    returns = returned_shares(tmp_path_factory.mktemp("parallel"), SHARES)
    found = consolidate(check_folder(returns, load_plan("2800-2021"), as_of=dt.date(2021, 10, 31)), as_of=dt.date(2021, 10, 31))
    found.units[0] = dataclasses.replace(found.units[0], name=" Hà Nội & <Thủ đô>\x01 _x0041_ 5%")
    return found


@pytest.fixture()
def scratch(tmp_path, monkeypatch) -> Path:
    """The temporary folder the writer and its child use, to see that nothing is left in it."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr("tempfile.tempdir", None)
    return folder


def _adoptions(monkeypatch) -> list[bool]:
    """Whether the parent took the child's sheets, each time a book is written."""
    seen: list[bool] = []
    adopt = LightZipBook.adopt

    def spy(*args: Any) -> bool:
        seen.append(adopt(*args))
        return seen[-1]

    monkeypatch.setattr(LightZipBook, "adopt", spy)
    return seen


def _written(result: Consolidation, path: Path) -> Path:
    summary.write_summary(result, path, generated_at=STAMP)
    return path


def _one_process(result: Consolidation, path: Path, monkeypatch) -> Path:
    """The book as written where there is no fork (Windows)."""
    with monkeypatch.context() as patch:
        patch.delattr(os, "fork")
        return _written(result, path)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_figure_sheets_made_in_a_child_give_the_book_one_process_writes(result, tmp_path, scratch, monkeypatch):
    adoptions = _adoptions(monkeypatch)
    before = children(os.getpid())
    both = _parts(_written(result, tmp_path / "two.xlsx"))
    assert adoptions == [True], "the child's sheets were not used"
    one = _parts(_one_process(result, tmp_path / "one.xlsx", monkeypatch))
    assert adoptions == [True]  # no child, nothing to adopt
    assert list(both) == list(one)
    assert [name for name in both if both[name] != one[name]] == []
    sheets = [n for n in both if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 10 and all(b't="s"' not in both[n] for n in sheets[1:3] + sheets[-1:])  # Tổng hợp, Theo tháng, _shown
    assert b'<t xml:space="preserve"> H\xc3\xa0 N\xe1\xbb\x99i &amp; &lt;Th\xe1\xbb\xa7 \xc4\x91\xc3\xb4&gt;_x0001_ _x005F_x0041_ 5%</t>' in both[sheets[1]]
    assert list(scratch.iterdir()) == [] and alive(children(os.getpid()) - before) == set()


def _raises(doc: Any, result: Consolidation, file: Path) -> None:
    raise RuntimeError("the child fails midway")


def _dies(doc: Any, result: Consolidation, file: Path) -> None:
    file.write_bytes(b"<worksheet")
    os.kill(os.getpid(), signal.SIGKILL)


def _half_file(doc: Any, result: Consolidation, file: Path) -> None:
    file.write_bytes(b"<worksheet")  # exits 0 with no index of its sheets


@pytest.mark.parametrize("child", [_raises, _dies, _half_file], ids=["raises", "is killed", "leaves half a file"])
def test_a_figure_child_that_fails_leaves_the_parent_to_write_the_same_book(result, tmp_path, scratch, monkeypatch, child):
    one = _parts(_one_process(result, tmp_path / "one.xlsx", monkeypatch))
    adoptions = _adoptions(monkeypatch)
    monkeypatch.setattr(summary, "render_figures", child)
    before = children(os.getpid())
    both = _parts(_written(result, tmp_path / "two.xlsx"))
    assert adoptions == ([False] if child is _half_file else [])
    assert both == one
    assert list(scratch.iterdir()) == [] and alive(children(os.getpid()) - before) == set()


def test_a_style_the_child_meets_unnumbered_makes_the_parent_write_its_sheets(result, tmp_path, scratch, monkeypatch):
    monkeypatch.setattr(summary, "FIGURE_STYLES", tuple(s for s in summary.FIGURE_STYLES if s != "section"))
    one = _parts(_one_process(result, tmp_path / "one.xlsx", monkeypatch))
    adoptions = _adoptions(monkeypatch)
    both = _parts(_written(result, tmp_path / "two.xlsx"))
    assert adoptions == [] and both == one  # its numbers would clash with the parent's: the child gave up
    assert list(scratch.iterdir()) == []


def _escaped(value: Any) -> Any:
    """Text holding _xHHHH_ escapes (a control character, or a literal `_x` before four hex digits) set aside: openpyxl
    decodes some of them in shared text and none in inline text; calamine (below), Excel and LibreOffice decode them all."""
    return "(escaped)" if isinstance(value, str) and re.search("_x[0-9A-F]{4}_", value) else value


def _look(cell: Any, read: Any = lambda value: value) -> tuple:
    """What a reader sees of one cell: value (formula text included), number format, font, fill, border, alignment."""
    return (read(cell.value), cell.number_format, repr(cell.font), repr(cell.fill), repr(cell.border), repr(cell.alignment), cell.protection.locked)


def _calamine(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    finally:
        book.close()


def test_inline_text_reads_as_shared_text_did_in_openpyxl_calamine_libreoffice_and_our_reader(result, tmp_path, monkeypatch):
    inline = _written(result, tmp_path / "inline.xlsx")
    with monkeypatch.context() as patch:
        patch.setattr(summary, "InlineRowSheet", RowSheet)  # every text shared, as before; one process (no inline, no child)
        patch.delattr(os, "fork")
        shared = _written(result, tmp_path / "shared.xlsx")
    assert b"inlineStr" in _parts(inline)["xl/worksheets/sheet3.xml"] and b"inlineStr" not in _parts(shared)["xl/worksheets/sheet3.xml"]
    a, b = openpyxl.load_workbook(inline), openpyxl.load_workbook(shared)
    assert a.sheetnames == b.sheetnames and [ws.sheet_state for ws in a] == [ws.sheet_state for ws in b]
    for ws in a:
        for row, other in zip(ws.iter_rows(), b[ws.title].iter_rows(), strict=True):
            assert [_look(c, _escaped) for c in row] == [_look(c, _escaped) for c in other], (ws.title, row[0].row)
    assert _calamine(inline) == _calamine(shared)
    assert _calamine(inline)[summary.TOTALS][5][2] == " Hà Nội & <Thủ đô>\x01 _x0041_ 5%"
    recalculated = convert([inline, shared], tmp_path / "recalc", force=True)
    seen = [_calamine(path) for path in recalculated]
    assert seen[0] == seen[1]
    months = seen[0][summary.MONTHS]
    assert sum(isinstance(v, float) and 0 < v < 5 for row in months[5:] for v in row[6::3]) > 20  # completion computed
    assert hand_edits(inline) == [] and len(_calamine(inline)[SHOWN_SHEET]) > 63 * 2


def _deflated(path: Path) -> dict[str, tuple[bytes, bytes]]:
    """Each part's bytes as stored in the zip (deflated), with its text."""
    parts = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
        for info in archive.infolist():
            raw.seek(info.header_offset + 26)
            name_length, extra_length = int.from_bytes(raw.read(2), "little"), int.from_bytes(raw.read(2), "little")
            raw.seek(info.header_offset + 30 + name_length + extra_length)
            parts[info.filename] = (raw.read(info.compress_size), archive.read(info))
    return parts


def test_sheets_packed_before_the_book_closes_hold_what_the_zip_held_deflated_at_its_level(result, tmp_path, monkeypatch):
    packed = _deflated(_written(result, tmp_path / "packed.xlsx"))
    with monkeypatch.context() as patch:
        patch.setattr(LightZipBook, "pack", lambda self, sheets: None)
        patch.setattr(LightZipBook, "adopt", lambda self, file, names: False)
        plain = _deflated(_written(result, tmp_path / "plain.xlsx"))
    same_text = [name for name in packed if packed[name][1] == plain[name][1]]
    assert {"xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml", "xl/worksheets/sheet10.xml"} <= set(same_text)
    for name in same_text:  # the zip's own level (1), by the fast deflate where packed (`workbook_tools.deflate`)
        assert packed[name][0] in (plain[name][0], _at_zip_level(packed[name][1])), name


def _at_zip_level(text: bytes) -> bytes:
    """Text deflated by `workbook_tools.deflate` at the level the book's zip deflates its own parts."""
    compressor = deflate.compressobj(bulk_xlsx.LEVEL, deflate.DEFLATED, -15)
    return compressor.compress(text) + compressor.flush()