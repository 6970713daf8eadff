"""The reader's short paths (a clean number, a shared string, a row of keys decoded in one pass, rows
kept across returns) give exactly what the general decoder gives, cell by cell; and a commune's return,
filled as a commune fills it, reads back the very figures typed."""

from __future__ import annotations

import datetime
import io
import random
import re
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from workbook_tools import datafiles, deflate
from workbook_tools.cells import Package, SheetCells, _row_tags, _string_items, ref_to_rc
from workbook_tools.cli import main
from workbook_tools.forms import shipped_forms
from workbook_tools.indicators import indicator
from workbook_tools.keys import index_keys
from workbook_tools.plans import load_plan
from workbook_tools.read import open_sheets, read_return
from workbook_tools.spec import cell_ref

from .libreoffice import convert
from .workbooks import fill

ODD = [1, 2.5, 0, -7, 1e308, 0.1 + 0.2, 12345678901234567, True, False, "text", "  spaced  ", "a & b < c > d \"q\"",
       "Bảo hiểm y tế", "1.234", "1,234", " 12 ", "=1/0", '="a"', "=SUM(1,2)", "#DIV/0!", "#N/A", datetime.date(2021, 11, 10),
       datetime.datetime(2021, 11, 10, 13, 30), datetime.time(13, 30), "dòng 1\ndòng 2", "", None, 4.65, 1e9 + 1]
FORMATS = ["General", "dd/mm/yyyy", "#,##0", "hh:mm", "[h]:mm", "0.00%", "@", "#,##0.000"]
_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"')


@pytest.fixture(scope="module")
def odd_books(tmp_path_factory) -> list[Path]:
    """A sheet of every kind of cell, in every number format, as openpyxl writes it and as LibreOffice saves it;
    a copy with a shared formula filled over two cells and empty cells typed as an error and styled, and one
    whose XML carries a namespace prefix."""
    folder = tmp_path_factory.mktemp("odd")
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Odd"
    for r, value in enumerate(ODD, 2):
        for c, fmt in enumerate(FORMATS, 2):
            cell = ws.cell(r, c, value)
            cell.number_format = fmt
            if value in ("#DIV/0!", "#N/A"):
                cell.data_type = "e"
    ws.cell(1, 1).value = CellRichText("Báo ", TextBlock(InlineFont(b=True), "cáo"), " tháng")
    path = folder / "odd.xlsx"
    book.save(path)
    saved = convert([path], folder / "lo")
    shared = folder / "shared.xlsx"
    _rezip(path, shared, lambda name, data: data.replace(b'<c r="B3"', b'<c r="B3" t="n"><f t="shared" ref="B3:C3" si="0">B2*2</f>'
                                                         b'<v>4</v></c><c r="ZX3" t="e"/><c r="ZW3" s="1"/><c r="ZZ3"', 1).replace(
        b'<c r="C3"', b'<c r="C3" t="n"><f t="shared" si="0"/><v>8</v></c><c r="ZY3"', 1) if name.endswith("sheet1.xml") else data)
    prefixed = folder / "prefixed.xlsx"
    _rezip(path, prefixed, lambda name, data: re.sub(rb"<(/?)(worksheet|sheetData|row|c|v|f|is|t)\b", rb"<\1x:\2",
                                                     data.replace(b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', 1))
           if name.endswith("sheet1.xml") else data)
    return [path, *saved, shared, prefixed]


def _rezip(source: Path, target: Path, edit) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, edit(info.filename, old.read(info.filename)))


def _general(cells: SheetCells, r: int, c: int) -> tuple[object, object]:
    """A cell decoded the general way only: found by its tag, read by `_decode` (no short path, no cache)."""
    piece = cells.rows.get(r, b"")
    tag = f'<c r="{cell_ref(r, c)}"'.encode()
    start = piece.find(tag)
    if start < 0:
        return "", None
    start += len(tag)
    end = piece.find(b">", start)
    attrs, body = (piece[start:end - 1], b"") if piece[end - 1] == 47 else (piece[start:end], piece[end + 1:piece.find(b"</c>", end)])
    value, fact = cells._decode(attrs, body)
    if fact is not None and fact[0] == "shared":
        fact = "formula", cells._shared_formula(fact[1], r, c)
    return value, fact


def _written_cells(cells: SheetCells) -> list[tuple[int, int]]:
    return sorted({ref_to_rc(m.group(1).decode()) for r, piece in cells.rows.items() for m in _CELL.finditer(piece)
                   if ref_to_rc(m.group(1).decode())[0] == r})


def _sheet(archive: zipfile.ZipFile, name: str = "Odd") -> SheetCells:
    package = Package(archive, b"")
    cells = package.sheet(package.sheet_parts()[name])
    return cells.general() or cells


def test_short_paths_read_every_kind_of_cell_as_the_general_decoder_does(odd_books):
    kinds = set()
    for path in odd_books:
        with zipfile.ZipFile(path) as archive:
            written = _written_cells(_sheet(archive))
            assert len(written) >= len(ODD) * len(FORMATS) - 2 * len(FORMATS), path.name
            one_by_one = _sheet(archive)
            found = {where: one_by_one.value_and_fact(*where) for where in written}
            general = _sheet(archive)
            expected = {where: _general(general, *where) for where in written}
            assert found == expected, path.name
            by_rows = _sheet(archive)
            in_rows = {(r, c): value for r in by_rows.rows for c, value in by_rows.row(r)}
            assert in_rows == {where: value for where, (value, _) in expected.items() if value != ""}, path.name
            together = _sheet(archive)
            columns = list(range(max(c for _, c in written) + 2))  # absent cells too
            fetched = {(r, c): cell for r in together.rows for c, cell in zip(columns, together.row_values(r, columns))}
            assert fetched == {(r, c): expected.get((r, c), ("", None)) for r in together.rows for c in columns}, path.name
            assert {type(v) for v, _ in found.values()} >= {str, float, bool, datetime.date, datetime.datetime, datetime.time}
            kinds |= {fact[0] for _, fact in found.values() if fact}
    assert kinds == {"error", "formula"}


def test_a_shared_formula_read_on_any_path_names_its_own_cells(odd_books):
    with zipfile.ZipFile(odd_books[-2]) as archive:
        cells = _sheet(archive)
        cells.row(2)  # the row pass first, then the cell itself
        assert cells.fact(2, 1) == ("formula", "=B2*2")
        assert cells.fact(2, 2) == ("formula", "=C2*2")
        assert cells.value(2, 2) == 8.0


def test_text_rows_kept_across_returns_do_not_leak_from_one_package_into_another(tmp_path):
    """Two books whose key rows differ only in their text: each reads its own row (the kept rows are per XML)."""
    paths = []
    for word in ("một", "hai"):
        book = openpyxl.Workbook()
        book.active.title = "Odd"
        book.active.append(["#keys mau01", word, "label"])
        paths.append(tmp_path / f"{word}.xlsx")
        book.save(paths[-1])
    rows = []
    for path in paths * 2:
        with zipfile.ZipFile(path) as archive:
            rows.append(_sheet(archive).row(0))
    assert rows[0] == rows[2] == [(0, "#keys mau01"), (1, "một"), (2, "label")]
    assert rows[1] == rows[3] == [(0, "#keys mau01"), (1, "hai"), (2, "label")]


def test_shared_strings_split_plainly_give_the_items_the_expression_gives():
    random.seed(13)
    atoms = [b"<si><t>a</t></si>", b'<si><r><t xml:space="preserve">b </t></r><rPh sb="0"><t>x</t></rPh></si>', b"<si>",
             b"</si>", b"<t>c</t>", b"<si/>", b"<si />", b"\n", b"<x:si><x:t>d</x:t></x:si>"]
    plain = 0
    for _ in range(20_000):
        text = b"<sst>" + b"".join(random.choices(atoms, weights=[30, 6, 1, 1, 1, 1, 1, 1, 1], k=random.randint(0, 8))) + b"</sst>"
        bodies, run_on = _string_items(text)
        got = [body[:body.find(b"</si>")] if run_on else body for body in bodies]
        expected = [m.group(1) or b"" for m in re.finditer(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si\s*/>", text, re.S)]
        assert got == expected, text
        plain += run_on
    assert plain > 5_000  # the plain split is what most parts take


# --- a commune's return, filled as a commune fills it ---------------------------------------------


@pytest.fixture(scope="module")
def commune(tmp_path_factory) -> tuple[Path, str, Path]:
    """Hà Nội's 1813-2025 targets split over three communes, their workbooks generated: (data dir, plan, blanks)."""
    root = tmp_path_factory.mktemp("commune")
    shares = root / "shares.csv"
    shares.write_text("Mã,Tên đơn vị,Tỷ lệ\n0001,Xã Một,1\n0002,Xã Hai,2.5\n0003,Xã Ba,0.7\n", encoding="utf-8")
    data_dir = root / "data"
    runner = CliRunner()
    for args in (["targets", "split", "1813-2025", "--unit", "Hà Nội", "--by", str(shares), "--plan-id", "hn-xa3"],
                 ["generate", "--plan", "hn-xa3", "--out", str(root / "blank")]):
        result = runner.invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return data_dir, "hn-xa3", root / "blank"


def test_a_filled_commune_return_reads_back_the_figures_typed(commune, tmp_path):
    data_dir, plan_id, blank = commune
    datafiles.use_data_dirs((data_dir,))
    data = load_plan(plan_id, [data_dir])
    forms = shipped_forms()
    rng = random.Random(13)
    months = [m for m in data.plan.months if m <= "2025-10"]
    typed: dict[tuple[str, str, str], object] = {("mau01", "round_date", "uom"): datetime.date(2025, 10, 31)}
    actuals, tasks = {}, {}
    for code in data.plan.indicators:
        for month in months:
            target = data.value("0002", code, month) or 100
            value = round(target * rng.uniform(0.6, 1.05), 1) if indicator(code).is_money else int(target * rng.uniform(0.6, 1.05))
            typed[("mau01", code, f"actual:{month}")] = actuals[(code, month)] = value
    for row in forms.form("mau02").listed_rows:
        if row.key and not row.formula and not row.same_as and row.type in ("count", "money"):
            for month in months:
                value = rng.randint(0, 40) * 1000 if row.type == "count" else round(rng.uniform(0, 500), 2)
                typed[("mau02", row.key, f"value:{month}")] = tasks[(row.key, month)] = value
    source = next(blank.glob("0002-*.xlsx"))
    filled = fill(source, typed, tmp_path / source.name)
    saved = convert([filled], tmp_path / "lo")[0]  # shared strings, as an office suite saves it
    for path in (filled, saved):
        ret = read_return(path, data, forms)
        assert [p for p in ret.problems if p.is_error] == [], (path, ret.problems)
        assert ret.unit == "0002" and ret.round_date == datetime.date(2025, 10, 31)
        assert ret.actuals == actuals, path
        assert ret.tasks == tasks, path


def _declaring(content: bytes, name: str, size: int) -> bytes:
    """The package with one part's uncompressed size, as its central directory entry states it, changed (what a
    careless zip tool or a hand edit leaves)."""
    at = content.rfind(b"PK\x01\x02", 0, content.rfind(name.encode()))
    return content[:at + 24] + size.to_bytes(4, "little") + content[at + 28:]


@pytest.mark.parametrize("declared", [0, 1, 999, 1000, 1001, 50_000])
def test_a_part_is_inflated_whole_whatever_size_its_header_declares(declared, monkeypatch):
    """The size a part's header declares is not trusted: a part that holds more (or less) than it declares
    reads whole, and one that inflates past the limit is refused."""
    from workbook_tools import cells

    text = bytes(random.Random(declared).choices(b"<c r=\"A1\"><v>0123456789</v></c>", k=1000))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/part.xml", text)
    content = _declaring(buffer.getvalue(), "xl/part.xml", declared)
    package = Package(zipfile.ZipFile(io.BytesIO(content)), content)
    assert package.archive.getinfo("xl/part.xml").file_size == declared
    assert package.read("xl/part.xml") == text
    monkeypatch.setattr(cells, "MAX_PART", 999)
    with pytest.raises(cells.PartTooLarge):
        package.read("xl/part.xml")


def _package_with_a_date_style() -> Package:
    """A package of styles only: style 1 shows dates, style 0 plain numbers (enough for cells read from bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/styles.xml", '<styleSheet><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>')
    return Package(zipfile.ZipFile(buffer), b"")


def test_a_row_of_inputs_read_in_one_pass_gives_each_cell_as_found_one_by_one():
    """Rows of inputs as generated and filled (read in one pass), and rows of every odd make (a cell written
    twice or before its left neighbour, a tag inside another cell, '>' or no end tag, a date style, an empty
    <v>, spaces before '/>'): the inputs read together are the cells each found on its own."""
    rng = random.Random(21)
    alike = [b'<c r="%s1" s="%y" t="n"><v>%d</v></c>', b'<c r="%s1" s="%y" t="n" />', b'<c r="%s1" s="%y" t="n"/>',
             b'<c r="%s1" s="%y" t="n"><v>%d.5</v></c>', b'<c r="%s1" s="%y" t="n"><v> %d </v></c>']
    odd = [b'<c r="%s1" s="1"><v>%d</v></c>', b'<c r="%s1" s="0" t="n"><v></v></c>', b'<c r="%s1" t="s"><v>%d</v></c>',
           b'<c r="%s1" s="0" t="n"><f>SUM(A1)</f><v>%d</v></c>', b'<c r="%s1" x=">"><v>%d</v></c>', b'<c r="%s1"><v>%d</v>',
           b'<c r="%s1" s="0" t="n"   />', b'<c r="E1" s="0" t="n"><v>%d</v></c><c r="%s1" s="0" t="n" />',
           b'<c r="%s1" s="0" t="n" x="&lt;c r=&quot;F1"><v>%d</v></c>', b'<c r="%s1" s="0" t="e"><v>#N/A</v></c>']
    together_path = 0
    for _ in range(4_000):
        letters, style = "EFGHIJ", b"1" if rng.random() < 0.1 else b"0"  # style 1 shows dates
        cells = []
        for letter in letters:
            atom = rng.choice(odd) if rng.random() < 0.04 else rng.choice(alike)
            cells.append(atom.replace(b"%s", letter.encode()).replace(b"%y", style).replace(b"%d", str(rng.randint(0, 99_999)).encode()))
        if rng.random() < 0.1:
            rng.shuffle(cells)
        if rng.random() < 0.1:  # a cell written twice, with another figure, before or after the first
            again = b'<c r="%s1" s="0" t="n"><v>%d</v></c>' % (rng.choice(letters).encode(), rng.randint(0, 9))
            cells.insert(rng.randrange(len(cells) + 1), again)
        piece = b'r="1"><c r="A1" t="inlineStr"><is><t>key</t></is></c>' + b"".join(cells) + b"</row>"
        cols = list(range(4, 4 + rng.randint(1, 6))) if rng.random() < 0.8 else rng.sample(range(3, 11), 4)
        if rng.random() < 0.05:
            cols.insert(1, cols[0])  # a column asked for twice
        together = SheetCells(_package_with_a_date_style(), b"<sheetData><row " + piece + b"</sheetData>")
        one_by_one = SheetCells(together.package, together.xml)
        assert together.row_values(0, cols) == [one_by_one.value_and_fact(0, c) for c in cols], piece
        together_path += together._alike_row(piece, _row_tags(0, cols)) is not None
    assert together_path > 1_500  # rows as generated take the one pass


def _styles_package(date_style: bool, extra: dict[str, bytes] | None = None) -> tuple[Package, bytes]:
    """A package of styles (style 1 a date or a plain number) and any other parts, with its bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/styles.xml", '<styleSheet><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="%d"/></cellXfs>'
                                          "</styleSheet>" % (14 if date_style else 0))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    content = buffer.getvalue()
    return Package(zipfile.ZipFile(io.BytesIO(content)), content), content


def test_a_part_met_in_an_earlier_return_is_taken_again_only_for_the_same_bytes_and_checksum():
    """Styles alike in every return are inflated once; a copy whose checksum does not match is still corrupt,
    and other styles are read as they are."""
    first, content = _styles_package(True)
    assert first.date_style(1) == "date"
    at = content.rfind(b"PK\x01\x02")
    bad = content[:at + 16] + bytes(4) + content[at + 20:]  # the central directory's CRC-32 of the part zeroed
    with pytest.raises(zipfile.BadZipFile):
        Package(zipfile.ZipFile(io.BytesIO(bad)), bad).read("xl/styles.xml")
    assert _styles_package(False)[0].date_style(1) == ""
    assert _styles_package(True)[0].date_style(1) == "date"


def test_text_of_a_key_cell_kept_across_returns_is_only_text_written_as_text():
    """A key or label cell is taken from an earlier return's decoding only when it holds written text: a cell
    typed both as a number and as text, in a date style, reads as each package's styles show it."""
    row = b'<sheetData><row r="1"><c r="A1" t="n" t="inlineStr" s="1"><v>45000</v></c></row></sheetData>'
    found = []
    for date_style in (True, False, True):
        package, _ = _styles_package(date_style)
        cells = SheetCells(package, row)
        found.append(cells.column(0))
        assert found[-1] == [(0, _general(SheetCells(package, row), 0, 0)[0])]
    assert [type(cell[0][1]) for cell in found] == [datetime.date, float, datetime.date]


def test_inputs_between_other_cells_read_in_one_pass_give_each_cell_as_found_one_by_one():
    """Inputs between targets and formulas (as Mẫu 01 lays them out), the layout changing from row to row (a
    cell left out, a cell written twice, an input's tag written in another cell, a cell without its end tag):
    the inputs read together are the cells each found on its own."""
    rng = random.Random(34)
    inputs = "FILO"
    others = [b'<c r="%s1" s="2"><f>IF(%s1&lt;&gt;"",1,"")</f><v /></c>', b'<c r="%s1" s="3" t="n"><v>%d</v></c>',
              b'<c r="%s1" s="3" t="n" />', b'<c r="%s1" t="inlineStr"><is><t>a &amp; b</t></is></c>']
    odd = [b'<c r="%s1"><v>1</v>', b'<c r="F1" s="0" t="n"><v>%d</v></c>', b'<c r="%s1" x="&lt;c r=&quot;I1"/>',
           b'<c r="%s1" s="0" t="n"><v>%d</v></c><c r="L1" s="0" t="n"><v>7</v></c>', b'<c r="%s1"></c>']
    cols = [ref_to_rc(f"{letter}1")[1] for letter in inputs]
    together_path = 0
    for _ in range(3_000):
        cells = []
        for letter in "EFGHIJKLMNOP":
            if letter in inputs:
                atom = rng.choice([b'<c r="%s1" s="0" t="n"><v>%d</v></c>', b'<c r="%s1" s="0" t="n" />',
                                   b'<c r="%s1" s="0" t="n"><v>%d.25</v></c>'])
            elif rng.random() < 0.03:
                atom = rng.choice(odd)
            elif letter == "M" and rng.random() < 0.3:
                continue  # a layout without this cell
            else:
                atom = others[ord(letter) % len(others)]
            cells.append(atom.replace(b"%s", letter.encode()).replace(b"%d", str(rng.randint(0, 9_999)).encode()))
        piece = b'r="1"><c r="A1" t="inlineStr"><is><t>key</t></is></c>' + b"".join(cells) + b"</row>"
        together = SheetCells(_package_with_a_date_style(), b"<sheetData><row " + piece + b"</sheetData>")
        one_by_one = SheetCells(together.package, together.xml)
        assert together.row_values(0, cols) == [one_by_one.value_and_fact(0, c) for c in cols], piece
        together_path += together._alike_row(piece, _row_tags(0, cols)) is not None
    assert together_path > 1_500  # rows as generated take the one pass, whichever of their two layouts


# --- the short paths of reading a whole return: the same figures and problems as the general way ---------------


def _general_way(monkeypatch) -> None:
    """Every short path of reading a return turned off: rows of whole numbers, sheets skipped by their key mark,
    parts inflated in one buffer."""
    from workbook_tools import cells, read

    monkeypatch.setattr(read._Reader, "whole_figures", lambda *args: None)
    monkeypatch.setattr(read, "_other_forms_only", lambda *args: False)
    monkeypatch.setattr(cells, "_QUICK_RAW", -1)


def _as_read(ret) -> tuple[object, ...]:
    """What a return says and everything reported on it, in order."""
    problems = [(p.code, p.severity, p.sheet, p.cell, p.indicator, p.period, p.message) for p in ret.problems]
    return ret.unit, ret.round_date, ret.actuals, ret.tasks, problems


def _clerks_edits(path: Path, out: Path, edit) -> Path:
    """The workbook with one sheet changed by hand in openpyxl (`edit(sheets)`: form key → (sheet, key index))."""
    from .workbooks import openpyxl_indexes

    book = openpyxl.load_workbook(path)
    edit(openpyxl_indexes(book))
    book.save(out)
    return out


def _typed_over(sheets, form: str, row_key: str, col_key: str, value) -> None:
    ws, index = sheets[form]
    r, c = index.cell(row_key, col_key)
    ws.cell(r + 1, c + 1, value)


def _insert_row_above(sheets, form: str, row_key: str) -> None:
    ws, index = sheets[form]
    ws.insert_rows(index.rows[row_key] + 1)


def _key_retyped(sheets, form: str, row_key: str, new_key: str) -> None:
    ws, index = sheets[form]
    ws.cell(index.rows[row_key] + 1, index.key_col + 1, new_key)


def _guide_marked_as(sheets, form: str) -> None:
    """The guide sheet's key mark typed over with another form's (or its own, spaced or rich)."""
    ws = next(ws for ws in sheets["mau01"][0].parent.worksheets if ws.title == "Hướng dẫn")
    ws.cell(1, 1, form)


def _labels_swapped(sheets, form: str, first: str, second: str) -> None:
    ws, index = sheets[form]
    c = index.cols["label"]
    a, b = ws.cell(index.rows[first] + 1, c + 1), ws.cell(index.rows[second] + 1, c + 1)
    a.value, b.value = b.value, a.value


def _commune_plan(commune) -> tuple[object, ...]:
    """The commune plan in use, its forms, the months up to October, Mẫu 02's count rows and the blank workbooks."""
    data_dir, plan_id, blank = commune
    datafiles.use_data_dirs((data_dir,))
    data = load_plan(plan_id, [data_dir])
    forms = shipped_forms()
    months = [m for m in data.plan.months if m <= "2025-10"]
    counts = [row.key for row in forms.form("mau02").listed_rows if row.key and not row.formula and not row.same_as and row.type == "count"]
    return data, forms, months, counts, blank


def test_a_commune_return_edited_by_hand_reads_the_same_on_the_short_paths_as_the_general_way(commune, tmp_path, monkeypatch):
    """Figures typed every way a clerk types them (a thousands typo, text, a fraction in a count, a figure past the
    ceiling, a negative, a formula, spaces), a row inserted, a key typed over, labels swapped, the guide sheet's
    mark typed over: the short paths give the very figures and problems, in the same order, as the general way,
    and rows of whole numbers do take the short path."""
    from workbook_tools import read

    data, forms, months, counts, blank = _commune_plan(commune)
    money = [row.key for row in forms.form("mau02").listed_rows if row.key and not row.formula and not row.same_as and row.type == "money"]
    code = data.plan.indicators[0]
    typed: dict[tuple[str, str, str], object] = {("mau01", "round_date", "uom"): datetime.date(2025, 10, 31)}
    rng = random.Random(55)
    for month in months:
        for key in data.plan.indicators:
            typed[("mau01", key, f"actual:{month}")] = int((data.value("0002", key, month) or 100) * rng.uniform(0.7, 1.0))
        for key in counts:
            typed[("mau02", key, f"value:{month}")] = rng.randint(0, 40) * 1000
        for key in money:
            typed[("mau02", key, f"value:{month}")] = rng.randint(100, 500) if key != money[4] else rng.randint(5_000, 30_000)
    whole = dict(typed)  # every figure a plain whole number, none 250x smaller than another of its row
    slipped = {**whole, ("mau02", money[4], f"value:{months[3]}"): whole[("mau02", money[4], f"value:{months[3]}")] // 1000}
    odd = ["4.65", 4.65, "1.234", " 12 ", 12.5, 10**12, -5, "=1+1", "mười", "#N/A", 0, 7]
    for (key, month), value in zip([(counts[0], m) for m in months] + [(money[0], m) for m in months], odd):
        typed[("mau02", key, f"value:{month}")] = value
    for key, value in ((counts[6], 12.5), (counts[7], 10**12), (money[1], 16.25), (money[2], 10**12), (money[3], 1e9 + 1)):
        typed[("mau02", key, f"value:{months[2]}")] = value  # alone in a row of whole numbers
    typed[("mau01", data.plan.indicators[1], f"actual:{months[2]}")] = 10**12
    typed[("mau01", code, f"actual:{months[3]}")] = 4.65
    typed[("mau01", code, f"actual:{months[4]}")] = "1.234"
    source = fill(next(blank.glob("0002-*.xlsx")), typed, tmp_path / "filled.xlsx")
    late = {**whole, ("mau02", counts[5], f"value:{data.plan.months[-1]}"): 3000}  # a figure for a month after the report
    big = {("mau01", code, f"actual:{month}"): 2_000 + 100 * i for i, month in enumerate(months)}
    slipped01 = {**whole, **big, ("mau01", code, f"actual:{months[3]}"): 2}
    late01 = {**whole, ("mau01", code, f"actual:{data.plan.months[-1]}"): 5}
    expected = {"whole": [], "slipped": ["thousands_typo"], "late": ["figures_after_date"]}
    for name, figures in (("whole", whole), ("slipped", slipped), ("late", late), ("slipped01", slipped01), ("late01", late01)):
        book = fill(next(blank.glob("0002-*.xlsx")), figures, tmp_path / f"{name}.xlsx")
        short = _as_read(read_return(book, data, forms))
        with monkeypatch.context() as patched:
            _general_way(patched)
            assert short == _as_read(read_return(book, data, forms)), name
        if name in expected:
            assert [p[0] for p in short[4] if p[0] != "missing_value"] == expected[name], short[4]
        else:
            assert ("thousands_typo" if name == "slipped01" else "figures_after_date", "Mẫu 01") in {(p[0], p[2]) for p in short[4]}
    edits = {
        "as typed": lambda sheets: None,
        "row inserted in Mẫu 02": lambda sheets: _insert_row_above(sheets, "mau02", counts[1]),
        "row inserted in Mẫu 01": lambda sheets: _insert_row_above(sheets, "mau01", code),
        "key typed over": lambda sheets: _key_retyped(sheets, "mau02", counts[2], "khac"),
        "key typed twice": lambda sheets: _key_retyped(sheets, "mau02", counts[2], counts[3]),
        "labels swapped": lambda sheets: _labels_swapped(sheets, "mau02", counts[1], counts[2]),
        "a figure typed as text over a whole row": lambda sheets: _typed_over(sheets, "mau02", counts[4], f"value:{months[0]}", "5"),
        "a note and a formula in the notes row": lambda sheets: (
            _typed_over(sheets, "mau02", "ghi_chu", f"value:{months[1]}", "Đã đôn đốc"),
            _typed_over(sheets, "mau02", "ghi_chu", f"value:{months[2]}", "=1+1")),
        "targets typed over": lambda sheets: (
            _typed_over(sheets, "chi_tieu", code, "target:total", 1),
            _typed_over(sheets, "mau01", data.plan.indicators[2], "target:total", str(data.value("0002", data.plan.indicators[2]))),
            _typed_over(sheets, "mau01", data.plan.indicators[3], "target:total", True)),
        "guide marked as Mẫu 02": lambda sheets: _guide_marked_as(sheets, "#keys mau02"),
        "guide marked spaced": lambda sheets: _guide_marked_as(sheets, "#keys  mau02 "),
        "guide marked as an unknown form": lambda sheets: _guide_marked_as(sheets, "#keys ghi_chu"),
    }
    short_taken = 0
    real = read._Reader.whole_figures

    def counted(*args):
        nonlocal short_taken
        found = real(*args)
        short_taken += found is not None
        return found

    for name, edit in edits.items():
        path = _clerks_edits(source, tmp_path / f"{len(name)}-{name[:5]}.xlsx", edit)
        for book in (path, convert([path], tmp_path / f"lo-{len(name)}")[0]) if name == "as typed" else (path,):
            with monkeypatch.context() as patched:
                patched.setattr(read._Reader, "whole_figures", counted)
                short = _as_read(read_return(book, data, forms))
            with monkeypatch.context() as patched:
                _general_way(patched)
                general = _as_read(read_return(book, data, forms))
            assert short == general, name
            assert short[4], name  # every variant has something to report
            if name == "targets typed over":  # the one typed as text is the same figure
                assert [(p[2], p[4]) for p in short[4] if p[0] == "target_edited"] == [
                    ("Chỉ tiêu", code), ("Mẫu 01", data.plan.indicators[3])], short[4]
            if name.startswith("a note"):
                assert short[3][("ghi_chu", months[1])] == "Đã đôn đốc"
                assert ("formula_in_input", "ghi_chu", months[2]) in {(p[0], p[4], p[5]) for p in short[4]}
    assert short_taken > 50


def test_a_part_altered_in_the_file_is_refused_by_the_one_buffer_inflating_as_zipfile_refuses_it():
    """Bytes of a deflated part changed here and there (a bad copy, a cut download): where zipfile refuses the part
    (a bad checksum, a broken stream), reading it in one buffer refuses it too; where zipfile reads it, the same bytes."""
    from workbook_tools import cells

    text = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>k%d</t></is></c><c r="B%d"><v>%d</v></c></row>' % (i, i, i, i, i * 7)
                    for i in range(1, 400))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", text)
    content = buffer.getvalue()
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename)
    assert info.compress_size <= cells._QUICK_RAW
    rng = random.Random(8)
    refused = 0
    for _ in range(300):
        at = rng.randrange(start, start + info.compress_size)
        bad = content[:at] + bytes([content[at] ^ (1 << rng.randrange(8))]) + content[at + 1:]
        try:
            expected = zipfile.ZipFile(io.BytesIO(bad)).read("xl/worksheets/sheet1.xml")
        except (zipfile.BadZipFile, zlib.error, EOFError):
            expected = None
        try:
            found = Package(zipfile.ZipFile(io.BytesIO(bad)), bad).read("xl/worksheets/sheet1.xml")
        except (zipfile.BadZipFile, zlib.error, deflate.error):
            found = None
        assert found == expected, at
        refused += found is None
    assert refused > 250


def test_a_returned_file_is_read_whole_whatever_size_the_file_system_gave_first(tmp_path, monkeypatch):
    """A file read into a buffer of the size the file system stated: one that grew since is still read to its end
    (and a file past the limit stops one byte past it, as before)."""
    import os

    from workbook_tools import intake

    path = tmp_path / "book.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    real = os.fstat
    for stated in (0, 1, 5_000, 10_240, 99_999):
        monkeypatch.setattr(intake.os, "fstat", lambda fd, stated=stated: os.stat_result((0,) * 6 + (stated,) + (0,) * 3))
        with path.open("rb") as handle:
            assert intake._read_capped(handle)[0] == path.read_bytes(), stated
    monkeypatch.setattr(intake.os, "fstat", real)
    with path.open("rb") as handle:
        assert intake._read_capped(handle)[1] == path.stat().st_mtime
    monkeypatch.setattr(intake, "MAX_FILE", 1_000)
    with path.open("rb") as handle:
        assert intake._read_capped(handle)[0] == path.read_bytes()[:1_001]
    assert intake.open_workbook(path)[0].kind == intake.TOO_LARGE


def test_column_keys_kept_from_an_earlier_return_are_those_of_the_very_same_key_row():
    """A key row written as text alike in every return gives its column keys once; each return still has its own row
    keys, a key typed twice in the row is reported in every return, and a key row written otherwise (a key typed
    over, a shared string) is read in full."""
    from workbook_tools import read
    from workbook_tools.keys import index_keys

    def key_row(*keys: str) -> bytes:
        cells = b"".join(b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (col_letter.encode(), key.encode())
                         for col_letter, key in zip("ABCDEF", keys))
        return b'<row r="1">' + cells + b"</row>"

    def rows(*keys: str) -> bytes:
        return b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (r, r, key.encode())
                        for r, key in enumerate(keys, 2))

    package, _ = _styles_package(False)
    books = [key_row("#keys mau01", "label", "actual:2021-01", "actual:2021-02") + rows("bhyt", "thu"),
             key_row("#keys mau01", "label", "actual:2021-01", "actual:2021-02") + rows("thu", "bhyt", "thu"),
             key_row("#keys mau01", "label", "actual:2021-01", "actual:2021-01") + rows("bhyt"),
             key_row("#keys mau01", "label", "actual:2021-01", "actual:2021-01") + rows("bhyt", "bhxh"),
             key_row("#keys mau01", "nhãn", "actual:2021-02", "actual:2021-01") + rows("bhyt"),
             b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>' + rows("bhyt")]
    for xml in books * 2:
        cells = SheetCells(package, b"<sheetData>" + xml + b"</sheetData>")
        index = read._key_index("mau01", 0, 0, cells)
        again = SheetCells(package, cells.xml)
        expected = index_keys("mau01", 0, 0, again.row(0), again.column(0))
        assert (index.rows, index.cols, index.repeated_rows, index.repeated_cols) == (
            expected.rows, expected.cols, expected.repeated_rows, expected.repeated_cols), xml
    assert read._key_index("mau01", 0, 0, SheetCells(package, b"<sheetData>" + books[2] + b"</sheetData>")).repeated_cols == {
        "actual:2021-01": [3]}


def _cell_rewritten(xml: bytes, ref: str, cell: bytes) -> bytes:
    """A sheet's XML with the cell at `ref` written as `cell` (its reference put in for R)."""
    found = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    assert found is not None, ref
    return xml[:found.start()] + cell.replace(b'"R"', b'"' + ref.encode() + b'"') + xml[found.end():]


def _zip_edited(source: Path, target: Path, edits: dict[tuple[str, str], bytes]) -> Path:
    """The return with cells rewritten in its sheet XML (form key, reference) → cell, as another program or a hand
    edit of the package leaves them; the sheets are found by their key marks."""
    with zipfile.ZipFile(source) as archive:
        package = Package(archive, b"")
        parts = {}
        for part in package.sheet_parts().values():
            found = re.search(rb"#keys (\w+)<", archive.read(part))
            if found:
                parts[found.group(1).decode()] = part

    def edit(name: str, data: bytes) -> bytes:
        for (form, ref), cell in edits.items():
            if parts[form] == name:
                data = _cell_rewritten(data, ref, cell)
        return data

    _rezip(source, target, edit)
    return target


@pytest.fixture(scope="module")
def whole(commune, tmp_path_factory) -> tuple[object, ...]:
    """A commune's return filled with whole figures up to October: (plan, forms, months, count rows, file, key indexes)."""
    data, forms, months, counts, blank = _commune_plan(commune)
    typed: dict[tuple[str, str, str], object] = {("mau01", "round_date", "uom"): datetime.date(2025, 10, 31)}
    for month in months:
        for key in data.plan.indicators:
            typed[("mau01", key, f"actual:{month}")] = 100 + months.index(month)
        for key in counts:
            typed[("mau02", key, f"value:{month}")] = 3000 + months.index(month)
    source = fill(next(blank.glob("0002-*.xlsx")), typed, tmp_path_factory.mktemp("whole") / "filled.xlsx")
    with zipfile.ZipFile(source) as archive:
        keyed, _ = open_sheets(Package(archive, b""))
    return data, forms, months, counts, source, {form: sheet.index for form, sheet in keyed.items()}


def test_a_number_cell_holding_no_number_is_reported_on_its_cell_not_the_whole_file(whole, tmp_path, monkeypatch):
    """A number cell (t="n") whose value is a word, a character reference or a fullwidth digit (a hand edit of the
    XML, another program's writer): that one cell is reported (the word as no number, the fullwidth digit as a number
    typed as text; LibreOffice shows `&#53;` as 5, and so do we), the other figures are used, the short paths and the
    general way agree, and no reading fails with a traceback (`read_failed`); the guide sheet's mark written so is
    passed over either way."""
    data, forms, months, counts, source, index = whole
    code = data.plan.indicators[1]
    word = cell_ref(*index["mau02"].cell(counts[0], f"value:{months[1]}"))
    entity = cell_ref(*index["mau02"].cell(counts[1], f"value:{months[2]}"))
    wide = cell_ref(*index["mau01"].cell(code, f"actual:{months[3]}"))
    book = _zip_edited(source, tmp_path / "edited.xlsx", {
        ("mau02", word): b'<c r="R" s="42" t="n"><v>abc</v></c>',
        ("mau02", entity): b'<c r="R" s="42" t="n"><v>&#51;&#48;&#48;&#50;</v></c>',
        ("mau01", wide): '<c r="R" t="n"><v>５</v></c>'.encode(),
        ("huong_dan", "A1"): b'<c r="R" t="n"><v>#keys huong_dan</v></c>'})
    short = _as_read(read_return(book, data, forms))
    with monkeypatch.context() as patched:
        _general_way(patched)
        assert short == _as_read(read_return(book, data, forms))
    _, _, actuals, tasks, problems = short
    assert [(p[0], p[3]) for p in problems if p[0] != "missing_value"] == [("text_number", wide), ("not_a_number", word)], problems
    assert (counts[0], months[1]) not in tasks and tasks[(counts[1], months[2])] == 3002 and actuals[(code, months[3])] == 5
    assert tasks[(counts[0], months[0])] == 3000 and actuals[(code, months[4])] == 104


def _cell_by_cell_way(monkeypatch) -> None:
    """The general way (`_general_way`), and every cell decoded on its own too: no row split in one pass, no number
    taken before `_decode`, no key row or text row kept from another return, every part inflated by zipfile."""
    from workbook_tools import cells, read

    _general_way(monkeypatch)
    monkeypatch.setattr(SheetCells, "_alike_row", lambda *args: None)
    monkeypatch.setattr(SheetCells, "_plain_number", lambda *args: None)
    monkeypatch.setattr(SheetCells, "_written", lambda self, r: list(self._row_pass(r, self.rows[r]).items()) if r in self.rows else [])
    monkeypatch.setattr(read, "_key_index", lambda form, r, c, sheet: index_keys(form, r, c, sheet.row(r), sheet.column(c)))
    monkeypatch.setattr(cells.Package, "_inflate", lambda *args: None)


_WRITTEN = {  # a number cell as other programs and hand edits write it (A: the cell's own attributes; D: a date style)
    "exponent": b'<c r="R"A><v>1e3</v></c>', "plus": b'<c r="R"A><v>+5</v></c>', "negative zero": b'<c r="R"A><v>-0</v></c>',
    "leading zeros": b'<c r="R"A><v>007</v></c>', "point zero": b'<c r="R"A><v>5.0</v></c>', "space before": b'<c r="R"A><v> 5</v></c>',
    "space after": b'<c r="R"A><v>5 </v></c>', "past the ceiling": b'<c r="R"A><v>999999999999</v></c>',
    "19 digits": b'<c r="R"A><v>1234567890123456789</v></c>', "zeros then 5": b'<c r="R"A><v>0000000000000000000005</v></c>',
    "NaN": b'<c r="R"A><v>NaN</v></c>', "inf": b'<c r="R"A><v>inf</v></c>', "-inf": b'<c r="R"A><v>-inf</v></c>',
    "empty v": b'<c r="R"A><v></v></c>', "self-closing v": b'<c r="R"A><v/></c>', "empty cell": b'<c r="R"A></c>',
    "closed with spaces": b'<c r="R"A   />', "no type": b'<c r="R"><v>5</v></c>', "t=str": b'<c r="R" t="str"><v>5</v></c>',
    "t=s": b'<c r="R" t="s"><v>0</v></c>', "t=s out of range": b'<c r="R" t="s"><v>99999</v></c>',
    "inline": b'<c r="R" t="inlineStr"><is><t>5</t></is></c>', "rich inline": b'<c r="R" t="inlineStr"><is><r><t>1</t></r><r><t>5</t></r></is></c>',
    "t=e": b'<c r="R" t="e"><v>#N/A</v></c>', "t=e empty": b'<c r="R" t="e"/>', "t=b": b'<c r="R" t="b"><v>1</v></c>',
    "t=d": b'<c r="R" t="d"><v>2025-01-05</v></c>', "date style": b'<c r="R" s="D"><v>45000</v></c>',
    "s before r": b'<c s="0" r="R" t="n"><v>5</v></c>', "t first": b'<c t="n" r="R"><v>5</v></c>',
    "cm vm ph": b'<c r="R"A cm="1" vm="1" ph="1"><v>5</v></c>', "newline in tag": b'<c r="R"\n s="D" t="n"><v>45000</v></c>',
    "formula with value": b'<c r="R"A><f>2+3</f><v>5</v></c>', "formula alone": b'<c r="R"A><f>2+3</f></c>',
    "shared formula": b'<c r="R"A><f t="shared" ref="R:R" si="9">2+3</f><v>5</v></c>', "shared child": b'<c r="R"A><f t="shared" si="9"/><v>5</v></c>',
    "line breaks in cell": b'<c r="R"A>\r\n<v>5</v>\r\n</c>', "word": b'<c r="R"A><v>abc</v></c>', "entity": b'<c r="R"A><v>&#53;</v></c>',
}


def _rows_rewritten(xml: bytes, n: int, how: str) -> bytes:
    """Row n of a sheet rewritten as another program or a hand edit leaves it."""
    found = re.search(rb'<row r="%d"[^>]*>.*?</row>' % n, xml, re.S)
    assert found is not None, n
    row = found.group(0)
    cells = re.findall(rb'<c r="[^"]+"[^>]*?(?:/>|>.*?</c>)', row, re.S)
    inputs = [c for c in cells if re.search(rb' t="n"(?: /|)>(?:<v>\d+</v></c>)?$', c)]
    first, last, third = inputs[0], inputs[-1], inputs[2]
    twice = re.sub(rb"<v>\d+</v>|\s*/>$", lambda m: b"<v>77</v>" if m.group(0)[:1] == b"<" else b"><v>77</v></c>", first, count=1)
    elsewhere = re.sub(rb'r="([A-Z]+)\d+"', lambda m: b'r="%s%d"' % (m.group(1), n + 1), third, count=1)
    head = re.match(rb"<row [^>]*>", row).group(0)  # type: ignore[union-attr]
    edited = {
        "inputs swapped": lambda: row.replace(first, b"\0").replace(last, first).replace(b"\0", last),
        "a cell written twice, first": lambda: row.replace(first, twice + first),
        "a cell written twice, after": lambda: row.replace(last, last + twice),
        "a cell naming the next row": lambda: row.replace(third, elsewhere),
        "the row split in two": lambda: row.replace(third, b"</row>" + head + third),
        "line breaks between cells": lambda: row.replace(b"</c><c", b"</c>\r\n  <c").replace(b"/><c", b"/>\r\n\t<c"),
        "exponents": lambda: re.sub(rb"<v>(\d+)</v>", rb"<v>\1e0</v>", row),
        "point zeros": lambda: re.sub(rb"<v>(\d+)</v>", rb"<v>\1.0</v>", row),
        "empty values": lambda: re.sub(rb'<c (r="[^"]+"[^>]*?) ?/>', rb"<c \1><v></v></c>", row),
        "attributes reordered": lambda: re.sub(rb'<c r="([^"]+)" s="(\d+)" t="n"', rb'<c r="\1" t="n" s="\2"', row),
        "no type": lambda: row.replace(b' t="n"', b""),
        "cm added": lambda: re.sub(rb'( t="n")', rb'\1 cm="1"', row, count=3),
        "moved to the end": lambda: b"",
    }[how]()
    assert edited != row, how
    xml = xml[:found.start()] + edited + xml[found.end():]
    return xml.replace(b"</sheetData>", row + b"</sheetData>") if how == "moved to the end" else xml


_SHEETS = {
    "prefixed tags": lambda x: re.sub(rb"<(/?)(worksheet|sheetData|row|c|v|f|is|t)\b", rb"<\1x:\2", x.replace(
        b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', 1)),
    "rows without r": lambda x: re.sub(rb'<row r="\d+"', b"<row", x),
    "rows reversed": lambda x: re.sub(rb"(?<=<sheetData>).*(?=</sheetData>)", lambda m: b"".join(reversed(
        re.findall(rb"<row .*?</row>", m.group(0), re.S))), x, flags=re.S),
    "line breaks everywhere": lambda x: x.replace(b"><", b">\r\n<"),
}


def _key_row_rewritten(xml: bytes, how: str) -> bytes:
    """A sheet's key row (row 1) rewritten as another program or a hand edit leaves it; its seventh cell is the one
    changed where one is."""
    found = re.search(rb'<row r="1"[^>]*>.*?</row>', xml, re.S)
    assert found is not None
    row = found.group(0)
    cells = re.findall(rb'<c r="[^"]+"[^>]*?(?:/>|>.*?</c>)', row, re.S)
    head, cell = re.match(rb"<row [^>]*>", row).group(0), cells[6]  # type: ignore[union-attr]
    other = re.sub(rb"<t>[^<]*</t>", b"<t>khac</t>", cell)
    edited = {
        "split in two": lambda: row.replace(cell, b"</row>" + head + cell),
        "cells reversed": lambda: head + b"".join(reversed(cells)) + b"</row>",
        "line breaks": lambda: row.replace(b"</c><c", b"</c>\r\n<c"),
        "a key written twice, first": lambda: row.replace(cell, other + cell),
        "a key written twice, after": lambda: row.replace(cell, cell + other),
        "a key naming row 2": lambda: row.replace(cell, re.sub(rb'r="([A-Z]+)1"', rb'r="\g<1>2"', cell)),
        "a key as a formula's text": lambda: row.replace(cell, re.sub(rb't="inlineStr"><is><t>([^<]*)</t></is>', rb't="str"><v>\1</v>', cell)),
        "a key spaced": lambda: row.replace(cell, re.sub(rb"<t>([^<]*)</t>", rb'<t xml:space="preserve"> \1 </t>', cell)),
        "a key in runs": lambda: row.replace(cell, re.sub(rb"<is><t>([^<]*)</t></is>", rb"<is><r><t>\1</t></r></is>", cell)),
        "attributes reordered": lambda: re.sub(rb'<c r="([^"]+)" s="(\d+)" t="inlineStr"', rb'<c t="inlineStr" s="\2" r="\1"', row),
    }[how]()
    assert edited != row, how
    return xml[:found.start()] + edited + xml[found.end():]


_KEY_ROWS = ("split in two", "cells reversed", "line breaks", "a key written twice, first", "a key written twice, after",
             "a key naming row 2", "a key as a formula's text", "a key spaced", "a key in runs", "attributes reordered")
_MARKS = {  # the guide's and the round report's key mark (A1) written otherwise, naming a form read or not
    "text mau01": b'<c r="R" t="str"><v>#keys mau01</v></c>', "number cell": b'<c r="R" t="n"><v>#keys huong_dan</v></c>',
    "number cell mau02": b'<c r="R" t="n"><v>#keys mau02</v></c>', "error cell mau02": b'<c r="R" t="e"><v>#keys mau02</v></c>',
    "runs mau02": b'<c r="R" t="inlineStr"><is><r><t>#keys </t></r><r><t>mau02</t></r></is></c>',
    "no space mau02": b'<c r="R" t="inlineStr"><is><t>#keysmau02</t></is></c>', "tab mau02": b'<c r="R" t="inlineStr"><is><t>#keys\tmau02</t></is></c>',
    "space after mau02": b'<c r="R" t="inlineStr"><is><t xml:space="preserve">#keys mau02 </t></is></c>',
    "reference mau02": b'<c r="R" t="inlineStr"><is><t>#keys mau&#48;2</t></is></c>',
    "formula mau02": b'<c r="R" t="str"><f>"#keys mau02"</f><v>#keys mau02</v></c>',
    "and mau02 beside": b'<c r="R" t="inlineStr"><is><t>#keys huong_dan</t></is></c><c r="B1" t="inlineStr"><is><t>#keys mau02</t></is></c>',
    "moved to A2 mau02": b'<c r="R"/></row><row r="2"><c r="A2" t="inlineStr"><is><t>#keys mau02</t></is></c>',
    "chi_tieu": b'<c r="R" t="inlineStr"><is><t>#keys chi_tieu</t></is></c>', "upper case": b'<c r="R" t="inlineStr"><is><t>#keys MAU02</t></is></c>',
    "s before r mau02": b'<c t="inlineStr" r="R"><is><t>#keys mau02</t></is></c>',
}


def _edited_sheets(source: Path, target: Path, edit) -> Path:
    """The return with `edit(form, xml)` applied to each keyed sheet's XML."""
    with zipfile.ZipFile(source) as archive:
        forms = {part: re.search(rb"#keys (\w+)<", archive.read(part)) for part in Package(archive, b"").sheet_parts().values()}
    _rezip(source, target, lambda name, data: edit(forms[name].group(1).decode(), data) if forms.get(name) else data)
    return target


@pytest.mark.parametrize("case", [*(f"{kind}: {name}" for kind in ("cell", "key cell") for name in _WRITTEN), *(f"row: {name}" for name in (
    "inputs swapped", "a cell written twice, first", "a cell written twice, after", "a cell naming the next row", "the row split in two",
    "line breaks between cells", "exponents", "point zeros", "empty values", "attributes reordered", "no type", "cm added",
    "moved to the end")), *(f"sheet: {name}" for name in _SHEETS), *(f"mark: {name}" for name in _MARKS),
    *(f"key row: {name}" for name in _KEY_ROWS)])
def test_a_return_written_by_another_program_reads_the_same_on_the_short_paths_as_cell_by_cell(whole, tmp_path, monkeypatch, case):
    """Cells, rows and whole sheets of a return written the ways other programs and hand edits of the package write them
    (in Mẫu 01, Mẫu 02, the targets, the key row and column and `_meta`; the key marks of the sheets not read): the
    short paths give the very figures and problems, in order, that the general way and a reading cell by cell give."""
    data, forms, months, counts, source, index = whole
    kind, name = case.split(": ", 1)
    with zipfile.ZipFile(source) as archive:
        package = Package(archive, b"")
        date_style = next(str(s).encode() for s in range(1, 200) if package.date_style(s))
    if kind in ("cell", "key cell"):
        places = [("mau01", index["mau01"].cell(data.plan.indicators[1], f"actual:{months[1]}")),
                  ("mau02", index["mau02"].cell(counts[0], f"value:{months[2]}")),
                  ("chi_tieu", index["chi_tieu"].cell(data.plan.indicators[0], "target:total"))] if kind == "cell" else [
                  ("mau02", (index["mau02"].rows[counts[3]], index["mau02"].key_col)), ("mau01", (index["mau01"].key_row, 7)),
                  ("_meta", (index["_meta"].rows["unit_code"], index["_meta"].key_col + 1))]
        written = _WRITTEN[name].replace(b"s=\"D\"", b's="' + date_style + b'"')

        def edit(form: str, xml: bytes) -> bytes:
            for _, (r, c) in [place for place in places if place[0] == form]:
                ref = cell_ref(r, c).encode()
                own = re.search(rb'<c r="' + ref + rb'"([^>]*?)\s*/?>', xml)
                attrs = own.group(1) if own else b""
                xml = _cell_rewritten(xml, ref.decode(), written.replace(b'"R"A', b'"R"' + attrs).replace(b"R:R", ref + b":" + ref))
            return xml
    elif kind == "row":
        rows = {"mau01": index["mau01"].rows[data.plan.indicators[2]] + 1, "mau02": index["mau02"].rows[counts[1]] + 1}
        edit = (lambda form, xml: _rows_rewritten(xml, rows[form], name) if form in rows else xml)  # noqa: E731
    elif kind == "key row":
        edit = (lambda form, xml: _key_row_rewritten(xml, name) if form in ("mau01", "mau02", "chi_tieu") else xml)  # noqa: E731
    elif kind == "mark":
        edit = (lambda form, xml: _cell_rewritten(xml, "A1", _MARKS[name]) if form in ("huong_dan", "bao_cao_ky") else xml)  # noqa: E731
    else:
        edit = (lambda form, xml: _SHEETS[name](xml) if form in ("mau01", "mau02", "chi_tieu", "_meta") else xml)  # noqa: E731
    book = _edited_sheets(source, tmp_path / "edited.xlsx", edit)
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(book) as after:
        assert sum(before.read(n) != after.read(n) for n in before.namelist()) >= {"sheet": 4, "row": 2, "mark": 2}.get(kind, 3)
    short = _as_read(read_return(book, data, forms))
    for way in (_general_way, _cell_by_cell_way):
        with monkeypatch.context() as patched:
            way(patched)
            assert short == _as_read(read_return(book, data, forms)), (case, way.__name__)
    assert not {"read_failed", "corrupt"} & {p[0] for p in short[4]}


_FRESH = """
import sys
from pathlib import Path
from workbook_tools import datafiles
from workbook_tools.forms import shipped_forms
from workbook_tools.plans import load_plan
from workbook_tools.read import read_return
from tests.test_read_paths import _as_read
datafiles.use_data_dirs((Path(sys.argv[1]),))
print(repr(_as_read(read_return(Path(sys.argv[3]), load_plan(sys.argv[2]), shipped_forms()))))
"""


def test_returns_of_two_plans_read_in_one_process_in_either_order_read_as_each_alone(whole, commune, tmp_path):
    """A province's return (plan 2800-2021) and a commune's (1813-2025), each with whole figures, a fraction and a
    note, read one after the other in one process, in either order and again: each reads as it does alone in a fresh
    process (what the reader keeps from one return to the next, ceilings, input columns, key rows, layouts of rows,
    is never another plan's or form's)."""
    import subprocess
    import sys

    from workbook_tools import read

    from .workbooks import generated

    data_dir = commune[0]
    data, forms, months, counts, source, _ = whole
    money = next(row.key for row in forms.form("mau02").listed_rows if row.key and not row.formula and row.type == "money")
    commune_book = fill(source, {("mau02", money, f"value:{months[3]}"): 12.5, ("mau02", "ghi_chu", f"value:{months[1]}"): "Đã đôn đốc"},
                        tmp_path / "0002-xa-hai.xlsx")
    province = load_plan("2800-2021")
    p_months = [m for m in province.plan.months if m <= "2021-11"]
    typed: dict[tuple[str, str, str], object] = {("mau01", "round_date", "uom"): datetime.date(2021, 11, 30)}
    for i, month in enumerate(p_months):
        for code in province.plan.indicators:
            typed[("mau01", code, f"actual:{month}")] = int((province.value("01", code, month) or 1000) * 0.8) + i
        for key in counts:
            typed[("mau02", key, f"value:{month}")] = 200 + i
    typed[("mau02", money, f"value:{p_months[0]}")] = 7.5
    ceilings = {}
    for plan_id, plan in (("p", province), ("c", data)):
        read._CEILINGS.clear()  # each plan's own, whatever is kept
        ceilings[plan_id] = {code: read._Reader(read.Return(tmp_path), plan, forms).ceiling(code) for code in province.plan.indicators}
    code = next(code for code in province.plan.indicators if ceilings["c"][code] < ceilings["p"][code])
    typed[("mau01", code, f"actual:{p_months[1]}")] = int(ceilings["c"][code]) + 1  # past the commune plan's ceiling only
    typed[("mau02", "ghi_chu", f"value:{p_months[1]}")] = "Ghi chú"
    province_book = fill(generated(tmp_path / "blank", ("01",))["01"], typed, tmp_path / "01-ha-noi.xlsx")
    datafiles.use_data_dirs((data_dir,))  # (the command line run by `generated` set its own)
    books = {province_book: (province, "2800-2021"), commune_book: (data, commune[1])}
    alone = {}
    for book, (_, plan_id) in books.items():
        run = subprocess.run([sys.executable, "-c", _FRESH, str(data_dir), plan_id, str(book)], capture_output=True, text=True,
                             cwd=Path(__file__).parent.parent, check=True)
        alone[book] = run.stdout.strip()
    for order in ([province_book, commune_book] * 2, [commune_book, province_book] * 2):
        for book in order:
            assert repr(_as_read(read_return(book, books[book][0], forms))) == alone[book], book.name
    assert "12.5" in alone[commune_book] and "'Ghi chú'" in alone[province_book] and "7.5" in alone[province_book]
    assert "implausible_value" not in alone[province_book]


def test_figures_mixing_whole_numbers_fractions_and_notes_come_back_from_the_read_cache_as_read(whole, commune, tmp_path, monkeypatch):
    """A return whose Mẫu 02 holds whole figures, a fraction and a note (kept compact by `check` as it arrives, then
    cached): the second run's result, from the cache, holds every figure and problem as a fresh reading gives it,
    each value of the same type (an int stays an int, 12.5 a float, the note its text)."""
    from workbook_tools import read_cache

    data, forms, months, counts, source, _ = whole
    datafiles.use_data_dirs((commune[0],))  # the plan's structure found, so the cache can name what it depends on
    money = next(row.key for row in forms.form("mau02").listed_rows if row.key and not row.formula and row.type == "money")
    folder = tmp_path / "returns"
    folder.mkdir()
    fill(source, {("mau02", money, f"value:{months[3]}"): 12.5, ("mau02", "ghi_chu", f"value:{months[1]}"): "Đã đôn đốc"},
         folder / "0002-xa-hai.xlsx")
    monkeypatch.setenv(read_cache.CACHE_ENV, str(tmp_path / "cache"))
    fresh = read_return(folder / "0002-xa-hai.xlsx", data, forms)

    def typed(ret) -> tuple[object, ...]:
        return _as_read(ret), [(k, type(v), v) for k, v in ret.actuals.items()], [(k, type(v), v) for k, v in ret.tasks.items()]

    given: list[int] = []
    real = read_cache.run_jobs
    monkeypatch.setattr(read_cache, "run_jobs", lambda func, jobs, *args, **kwargs: given.append(len(jobs)) or real(func, jobs, *args, **kwargs))
    runs = []
    for _ in range(2):
        known: dict = {}
        runs.append(read_cache.read_files(read_return, [folder / "0002-xa-hai.xlsx"], data, forms, folder=folder,
                                          progress=lambda ret, known=known: ret.compact(known))[0])
    assert typed(runs[0]) == typed(runs[1]) == typed(fresh)
    assert {type(v) for v in runs[1].tasks.values()} == {int, float, str} and runs[1].tasks[(money, months[3])] == 12.5
    assert given == [1, 0]  # the second run's result came from the cache


@pytest.mark.parametrize("flip", ["name", "patched", "strong encryption"])
def test_a_part_whose_local_header_disagrees_with_the_directory_is_refused_as_zipfile_refuses_it(whole, tmp_path, monkeypatch, flip):
    """A part whose local header names another file than the central directory does, or flags compressed patched data
    or strong encryption (a broken or crafted zip writer): the part read straight from the file's bytes is refused as
    zipfile refuses it, so the return is corrupt both ways (never read by one and refused by the other)."""
    data, forms, _, _, source, _ = whole
    content = source.read_bytes()
    with zipfile.ZipFile(source) as archive:
        part = next(info for info in archive.infolist() if b"#keys mau02" in archive.read(info))
    at = part.header_offset
    if flip == "name":
        content = content[:at + 30] + part.filename.replace("sheet", "sheeT").encode() + content[at + 30 + len(part.filename):]
    else:
        flags = int.from_bytes(content[at + 6:at + 8], "little") | (1 << 5 if flip == "patched" else 1 << 6)
        content = content[:at + 6] + flags.to_bytes(2, "little") + content[at + 8:]
        central = content.rfind(b"PK\x01\x02", 0, content.rfind(part.filename.encode()))
        content = content[:central + 8] + flags.to_bytes(2, "little") + content[central + 10:]
    book = tmp_path / "book.xlsx"
    book.write_bytes(content)
    short = _as_read(read_return(book, data, forms))
    with monkeypatch.context() as patched:
        _cell_by_cell_way(patched)
        assert short == _as_read(read_return(book, data, forms))
    assert [p[0] for p in short[4]] == ["corrupt"]


def test_a_figure_of_thousands_of_digits_is_reported_on_its_cell_on_the_short_path_as_on_the_general_way(whole, tmp_path, monkeypatch):
    """A run of 5,000 digits typed (or pasted) in an input among whole figures, past what Python turns into an int from
    text: the row read in one pass gives way to the general reading, which reports that one cell as no finite number
    (as the general way always did), rather than the whole file failing to read."""
    data, forms, months, counts, source, index = whole
    where = cell_ref(*index["mau02"].cell(counts[0], f"value:{months[1]}"))
    typed = re.compile(rb'(<c r="%b"[^>]*><v>)[0-9]+(</v>)' % where.encode())
    book = _edited_sheets(source, tmp_path / "edited.xlsx", lambda form, xml: typed.sub(rb"\g<1>" + b"1" * 5000 + rb"\2", xml)
                          if form == "mau02" else xml)
    assert read_return(source, data, forms).tasks[(counts[0], months[1])] == 3001  # (as typed: among whole figures, one pass)
    short = _as_read(read_return(book, data, forms))
    with monkeypatch.context() as patched:
        _general_way(patched)
        assert short == _as_read(read_return(book, data, forms))
    assert [(p[0], p[3]) for p in short[4]] == [("not_finite", where)]
    assert (counts[0], months[1]) not in short[3] and short[3][(counts[0], months[0])] == 3000
    index_too_long = _zip_edited(source, tmp_path / "index.xlsx", {("mau02", where): b'<c r="R" t="s"><v>' + b"1" * 5000 + b"</v></c>"})
    short = _as_read(read_return(index_too_long, data, forms))  # a shared string's index of 5,000 digits: no string, as ever
    with monkeypatch.context() as patched:
        _general_way(patched)
        assert short == _as_read(read_return(index_too_long, data, forms))
    assert (counts[0], months[1]) not in short[3] and "read_failed" not in {p[0] for p in short[4]}


@pytest.mark.parametrize("named", ["the next row", "a row not written", "the next row, beside the row's own",
                                   "the next row, in a sheet read with implied positions"])
def test_a_figure_written_inside_another_row_than_its_reference_names_refuses_the_file_naming_the_cell(whole, tmp_path, monkeypatch, named):
    """An input of Mẫu 02 whose `<c r=…>` names another row than the `<row r=…>` it is written in (a hand edit of the
    package, a broken writer): Excel refuses such a file (and repairs it by dropping or moving cells), LibreOffice shows
    the figure where its reference says, so which row the clerk meant cannot be told; or such a cell written among
    the inputs, beside the row's own cell of that column; or in a sheet read with implied positions (another of its
    cells written with `s` before `r`). The figure is never dropped unseen: the file is refused with a problem naming the sheet and the cell as written, the same on the short paths,
    the general way and cell by cell (before, the cell read as empty and Mẫu 02 reported nothing)."""
    data, forms, months, counts, source, index = whole
    r, c = index["mau02"].cell(counts[0], f"value:{months[1]}")
    stray = cell_ref(5000 if named == "a row not written" else r + 1, c)
    own = b'<c r="R" s="42" t="n"><v>3001</v></c>' if named.endswith("own") else b""
    edits = {("mau02", cell_ref(r, c)): own + b'<c r="%b" s="42" t="n"><v>3001</v></c>' % stray.encode()}
    if named.endswith("positions"):
        edits[("mau02", cell_ref(*index["mau02"].cell(counts[3], f"value:{months[0]}")))] = b'<c s="42" t="n" r="R"><v>3000</v></c>'
    book = _zip_edited(source, tmp_path / "edited.xlsx", edits)
    with zipfile.ZipFile(book) as archive:
        assert re.search(rb'<row r="%d"[^>]*>(?:(?!</row>).)*<c r="%b"' % (r + 1, stray.encode()), archive.read(
            Package(archive, b"").sheet_parts()["Mẫu 02"]), re.S)
    ret = read_return(book, data, forms)
    short = _as_read(ret)
    for way in (_general_way, _cell_by_cell_way):
        with monkeypatch.context() as patched:
            way(patched)
            assert short == _as_read(read_return(book, data, forms)), way.__name__
    assert [(p[0], p[2], p[3]) for p in short[4]] == [("cell_misplaced", "Mẫu 02", stray)]
    assert short[4][0][6].startswith(f"Tệp bị hỏng: ô {stray} được ghi bên trong dòng {r + 1} của sheet") and ret.rejected
    assert ((counts[0], months[1]) in short[3]) == bool(own) and short[3][(counts[0], months[0])] == 3000  # read, the file not used


_NO_XSD_NUMBER = ["3_001", "3_0_0_1", "infinity", "-Infinity", "inf", "nan", "+nan", "3&#95;001", " 30_01 "]
_XSD_NUMBERS = {"+3001": 3001, " 3001\t": 3001, "3001.": 3001, "3.001E3": 3001, "30010e-1": 3001}


def test_a_number_written_as_float_takes_it_but_no_spreadsheet_writes_it_is_reported_on_its_cell(whole, tmp_path, monkeypatch):
    """A number cell whose text Python's float() reads but is no XML Schema double (what the OOXML number of a cell is,
    and what every spreadsheet writes): underscores between digits, `infinity`, `inf`, `nan` in any case or sign, even
    spelt by a character reference (`&#95;` for `_`): that cell is reported as no number, with the text as written, like
    a word in a number cell (LibreOffice shows `3_001` as 3, `infinity` as 0: no figure to trust), the other figures
    are used; before, `3_001` read as 3001. Numbers written as schema doubles another way (a sign, spaces, a trailing
    point, an exponent) are their figures. The short paths, the general way and cell by cell agree."""
    data, forms, months, counts, source, index = whole
    bad = {cell_ref(*index["mau02"].cell(key, f"value:{months[1]}")): text for key, text in zip(counts, _NO_XSD_NUMBER)}
    code = data.plan.indicators[1]
    bad[cell_ref(*index["mau01"].cell(code, f"actual:{months[2]}"))] = "1_02"
    good = {cell_ref(*index["mau02"].cell(key, f"value:{months[2]}")): text for key, text in zip(counts, _XSD_NUMBERS)}
    edits = {(("mau01" if ref == cell_ref(*index["mau01"].cell(code, f"actual:{months[2]}")) else "mau02"), ref):
             b'<c r="R" s="42" t="n"><v>' + text.encode() + b"</v></c>" for ref, text in {**bad, **good}.items()}
    book = _zip_edited(source, tmp_path / "edited.xlsx", edits)
    short = _as_read(read_return(book, data, forms))
    for way in (_general_way, _cell_by_cell_way):
        with monkeypatch.context() as patched:
            way(patched)
            assert short == _as_read(read_return(book, data, forms)), way.__name__
    _, _, actuals, tasks, problems = short
    shown = {ref: re.sub("&#95;", "_", text).strip() for ref, text in bad.items()}
    assert sorted((p[0], p[3], p[6]) for p in problems if p[0] != "missing_value") == sorted(
        ("not_a_number", ref, f"Giá trị «{text}» không phải là số; chưa được tính. Nhập số (ví dụ 1234).") for ref, text in shown.items())
    assert all((key, months[1]) not in tasks for key in counts[:len(_NO_XSD_NUMBER)]) and (code, months[2]) not in actuals
    assert [tasks[(key, months[2])] for key in counts[:len(_XSD_NUMBERS)]] == list(_XSD_NUMBERS.values())
    assert tasks[(counts[0], months[0])] == 3000 and actuals[(code, months[1])] == 101


_SPACED = {  # a cell's attributes written as XML allows and no writer of ours does → the same cell as usually written
    b'<c r="R"\ts="D" t="n"><v>45000</v></c>': b'<c r="R" s="D" t="n"><v>45000</v></c>',
    b"<c r=\"R\" s='D' t='n'><v>45000</v></c>": b'<c r="R" s="D" t="n"><v>45000</v></c>',
    b'<c r="R"\r\n s = "D" ><v>45000</v></c>': b'<c r="R" s="D"><v>45000</v></c>',
    b'<c r="R"\tt="b"><v>1</v></c>': b'<c r="R" t="b"><v>1</v></c>',
    b"<c r=\"R\" t='str'><v>3001</v></c>": b'<c r="R" t="str"><v>3001</v></c>',
    b'<c r="R" t="&#98;" s="D"><v>0</v></c>': b'<c r="R" t="b" s="D"><v>0</v></c>',
}
_SPACED_FIRST = (b"<c s='D' t=\"n\" r='R'><v>45000</v></c>", b'<c r="R" s="D" t="n"><v>45000</v></c>')  # (the sheet read the general way)


def test_a_cells_type_and_date_style_are_read_however_its_attributes_are_spaced_and_quoted(whole, tmp_path, monkeypatch):
    """A date-styled figure or a typed cell (a boolean, a formula's text) whose attributes are written with a tab, a
    newline, spaces around `=`, single quotes, a character reference, or before its reference, and rows whose tag is
    written `<row\tr=` or `<row\r\n r='…'`: each reads as the same cell or row written as usual (a date in an input: no number; a boolean: no number; a formula's text `3001`: a number typed
    as text), on the short paths, the general way and cell by cell; before, the date and the boolean were taken as
    the figures 45000 and 1, a cell whose reference was single-quoted was read at the column after the previous
    cell, and a row whose tag held a tab or a newline was read as part of the row above (its keys missing)."""
    data, forms, months, counts, source, index = whole
    with zipfile.ZipFile(source) as archive:
        style = next(str(s).encode() for s in range(1, 200) if Package(archive, b"").date_style(s))
    code = data.plan.indicators[1]
    places = [("mau02", cell_ref(*index["mau02"].cell(key, f"value:{months[1]}"))) for key in counts[:len(_SPACED)]]
    places.append(("mau01", cell_ref(*index["mau01"].cell(code, f"actual:{months[3]}"))))
    odd, usual = zip(*_SPACED.items(), _SPACED_FIRST)
    books = []
    for name, cells in (("odd", odd), ("usual", usual)):
        edits = {place: cell.replace(b"D", style) for place, cell in zip(places, cells)}
        books.append(_zip_edited(source, tmp_path / f"{name}.xlsx", edits))
    rows = {"mau02": (index["mau02"].rows[counts[7]] + 1, b'<row\tr="%d"'), "chi_tieu": (index["chi_tieu"].rows[code] + 1, b"<row\r\n r='%d'")}
    books[0] = _edited_sheets(books[0], tmp_path / "odd-rows.xlsx", lambda form, xml: xml.replace(
        b'<row r="%d"' % rows[form][0], rows[form][1] % rows[form][0], 1) if form in rows else xml)
    short = _as_read(read_return(books[1], data, forms))
    assert short == _as_read(read_return(books[0], data, forms))
    for way in (_general_way, _cell_by_cell_way):
        with monkeypatch.context() as patched:
            way(patched)
            assert short == _as_read(read_return(books[0], data, forms)), way.__name__
    found = [(p[0], p[2], p[3]) for p in short[4] if p[0] != "missing_value"]
    assert sorted(found) == sorted([("not_a_number", "Mẫu 02", ref) for _, ref in places[:4]] + [("text_number", "Mẫu 02", places[4][1])]
                                   + [("not_a_number", "Mẫu 02", places[5][1]), ("not_a_number", "Mẫu 01", places[6][1])]), found
    assert {p[6] for p in short[4] if p[3] == places[0][1]} == {"Giá trị «2023-03-15» không phải là số; chưa được tính. Nhập số (ví dụ 1234)."}
    assert short[3][(counts[4], months[1])] == 3001 and (counts[0], months[1]) not in short[3] and (code, months[3]) not in short[2]


def test_a_text_holding_a_reference_xml_does_not_allow_is_reported_on_its_cell_and_the_rest_of_the_file_read(whole, tmp_path, monkeypatch):
    """Character references no XML allows (`&#99999999;` past Unicode, `&#xZZ;`, `&#xD800;` a surrogate, `&#0;`, `&#X41;`,
    the undeclared `&bogus;`, a lone `&`) and a byte that is no UTF-8 in inline strings and, in the return as LibreOffice
    saves it, in shared strings (a hand edit of the package, a broken writer). Such XML is not well formed: Excel refuses the file and
    offers to repair it, LibreOffice stops reading the sheet at the reference and shows every later cell empty, without
    a word. Decision: the reference is local to one text, so that cell is reported (a figure: no number, the reference
    shown as written; a note or the reporter's name: `malformed_text`, kept as written, never a character no file can
    hold) and the rest of the file is read as typed, the same on the short paths, the general way and cell by cell;
    before, `&#99999999;` and the byte made the whole file fail to read and `&#xD800;` put a lone surrogate in the
    reporter's name."""
    data, forms, months, counts, source, index = whole
    typed = fill(source, {("mau02", "ghi_chu", f"value:{months[1]}"): "Đã đôn đốc", ("mau01", "reporter", "uom"): "Nguyễn Văn A"},
                 tmp_path / "typed.xlsx")
    figure, word, byte = (cell_ref(*index["mau02"].cell(key, f"value:{months[1]}")) for key in (counts[0], counts[1], counts[3]))
    inline = _zip_edited(typed, tmp_path / "inline.xlsx", {
        ("mau02", figure): b'<c r="R" t="inlineStr"><is><t>3&#99999999;001</t></is></c>',
        ("mau02", word): b'<c r="R" t="n"><v>&#xZZ;</v></c>', ("mau02", byte): b'<c r="R" t="str"><v>3\xff001</v></c>'})
    inline = _rezip_replacing(inline, tmp_path / "inline-text.xlsx", {"Đã đôn đốc": "Đã đôn đốc &bogus; A&B", "Nguyễn Văn A": "Nguyễn &#xD800; Văn A"})
    saved = convert([typed], tmp_path / "lo")[0]
    with zipfile.ZipFile(saved) as archive:
        count = len(_string_items(archive.read("xl/sharedStrings.xml"))[0])
    shared = _rezip_replacing(saved, tmp_path / "shared-text.xlsx", {"Đã đôn đốc": "Đã đôn đốc &#0;", "Nguyễn Văn A": "Nguyễn &#X41; Văn A",
                                                                   "</sst>": "<si><t>3&#99999999;001</t></si></sst>"})
    with zipfile.ZipFile(shared) as archive:
        part = Package(archive, b"").sheet_parts()["Mẫu 02"]
    _rezip(shared, tmp_path / "shared.xlsx", lambda name, data: _cell_rewritten(data, figure, b'<c r="R" t="s"><v>%d</v></c>' % count)
           if name == part else data)
    shared = tmp_path / "shared.xlsx"
    notes = {inline: "Đã đôn đốc &bogus; A&B", shared: "Đã đôn đốc &#0;"}
    reporters = {inline: "Nguyễn &#xD800; Văn A", shared: "Nguyễn &#X41; Văn A"}
    for book in (inline, shared):
        ret = read_return(book, data, forms)
        short = _as_read(ret)
        for way in (_general_way, _cell_by_cell_way):
            with monkeypatch.context() as patched:
                way(patched)
                assert short == _as_read(read_return(book, data, forms)), (book.name, way.__name__)
        problems = [(p[0], p[2], p[6]) for p in short[4] if p[0] != "missing_value"]
        note_cell = cell_ref(*index["mau02"].cell("ghi_chu", f"value:{months[1]}"))
        expected = [("not_a_number", figure, "3&#99999999;001")] + (
            [("not_a_number", word, "&#xZZ;"), ("not_a_number", byte, "3\ufffd001")] if book == inline else [])
        assert [(p[0], p[3]) for p in short[4] if p[0] not in ("missing_value", "malformed_text")] == [(c, r) for c, r, _ in expected], problems
        assert all(f"«{text}»" in p[6] for (_, _, text), p in zip(expected, [p for p in short[4] if p[0] == "not_a_number"]))
        malformed = [p for p in short[4] if p[0] == "malformed_text"]
        assert [(p[2], p[3]) for p in malformed] == [("Mẫu 01", cell_ref(*index["mau01"].cell("reporter", "uom"))), ("Mẫu 02", note_cell)], problems
        assert malformed[1][6].startswith(f"Ô chứa «{notes[book]}», trong đó có mã ký tự sai") and ret.reporter == reporters[book]
        assert short[3][("ghi_chu", months[1])] == notes[book] and not ret.rejected
        assert (counts[0], months[1]) not in short[3] and short[3][(counts[0], months[0])] == 3000 and short[3][(counts[2], months[1])] == 3001
        assert not any(0xD800 <= ord(ch) <= 0xDFFF or ord(ch) < 9 for text in (ret.reporter, *map(str, short[3].values())) for ch in text)


def _rezip_replacing(source: Path, target: Path, texts: dict[str, str]) -> Path:
    """The package with texts replaced in its XML parts, as written (references and all)."""
    def edit(name: str, data: bytes) -> bytes:
        for old, new in texts.items():
            data = data.replace(old.encode(), new.encode())
        return data

    _rezip(source, target, edit)
    return target
