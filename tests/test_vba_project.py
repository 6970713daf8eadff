"""The add-in's VBA project, built from macros/ without Office, read back by tools we did not write."""

from __future__ import annotations

import random
import re
import zipfile
from html import unescape

import olefile
import pytest
import xlsxwriter
from oletools.olevba import VBA_Parser, decompress_stream

from workbook_tools.addin_build import PROJECT_NAME, VBA_FILES, build_vba, macros_dir, vba_modules
from workbook_tools.vba_project import compress, encrypt

from .libreoffice import convert


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("vba") / "vbaProject.bin"
    path.write_bytes(build_vba())
    return path


def _kept_source(name: str) -> str:
    """A module's text as kept in macros/, with the CRLF line ends the VBA editor stores."""
    return (macros_dir() / name).read_text(encoding="ascii").replace("\n", "\r\n")


def test_olevba_lists_every_module_with_its_exact_source(project):
    parser = VBA_Parser(str(project))
    try:
        found = {stream.split("/")[-1]: code for _f, stream, _n, code in parser.extract_macros()}
    finally:
        parser.close()
    assert set(found) == {name.rsplit(".", 1)[0] for name in VBA_FILES}
    for name in VBA_FILES:
        code = found[name.rsplit(".", 1)[0]]
        assert isinstance(code, str) and code == _kept_source(name), name


def test_the_project_is_source_only_under_our_own_name(project):
    ole = olefile.OleFileIO(str(project))
    try:
        text = ole.openstream("PROJECT").read().decode("cp1252")
        assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")  # version 0xFFFF: compile from source
        streams = {"/".join(e) for e in ole.listdir()}
        dir_text = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    finally:
        ole.close()
    assert f'Name="{PROJECT_NAME}"' in text and "myaddin" not in text.lower()
    assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT", "VBA/BHXHRibbon", "VBA/xlwings"} <= streams
    assert PROJECT_NAME.encode() in dir_text and b"RibbonMyAddin" not in dir_text


def test_the_build_is_byte_for_byte_reproducible(project):
    assert build_vba() == project.read_bytes()


def test_libreoffice_opens_an_xlsm_carrying_the_project_and_shows_the_same_modules(project, tmp_path):
    book = xlsxwriter.Workbook(tmp_path / "carrier.xlsm")
    book.set_vba_name("ThisWorkbook")
    sheet = book.add_worksheet()
    sheet.set_vba_name("Sheet2")
    sheet.write(0, 0, "carrier")
    book.add_vba_project(str(project))
    book.close()
    ods = convert([tmp_path / "carrier.xlsm"], tmp_path / "ods", to="ods", force=False)[0]
    with zipfile.ZipFile(ods) as archive:
        library = archive.read(f"Basic/{PROJECT_NAME}/script-lb.xml").decode()
        shown = {m.name: archive.read(f"Basic/{PROJECT_NAME}/{m.name}.xml").decode() for m in vba_modules()}
    assert sorted(re.findall(r'library:name="([^"]+)"', library)[1:]) == sorted(shown)
    kinds = {"Module": "normal", "Class": "class", "Document": "document"}
    for module in vba_modules():
        xml = shown[module.name]
        assert f'script:moduleType="{kinds[module.kind]}"' in xml
        body = unescape(re.search(r"<script:module[^>]*>(.*)</script:module>", xml, re.S).group(1))
        lines = [line for line in body.split("\n") if not re.match(r"(Rem Attribute VBA_ModuleType=|Option VBASupport 1$|Option ClassModule$)", line)]
        ours = [line for line in module.source.split("\r\n") if not re.match(r"Attribute (\w+\.)?VB_", line)]  # LO hides attributes
        assert "\n".join(lines).rstrip() == "\n".join(ours).rstrip(), module.name


@pytest.mark.parametrize("size", [0, 1, 3, 4095, 4096, 4097, 12_000])
def test_compressed_text_decompresses_to_itself_with_oletools(size):
    rng = random.Random(size)
    data = bytes(rng.choice(b"Sub End If Then\r\n  RunPython ") for _ in range(size))
    assert bytes(decompress_stream(bytearray(compress(data)))) == data


def _decrypt(hex_text: str) -> tuple[int, bytes]:
    """MS-OVBA 2.4.3.3 decryption, written from the spec: (project key, data)."""
    raw = bytes.fromhex(hex_text)
    seed, key = raw[0], raw[2] ^ raw[0]
    plain1, enc1, enc2, out = key, raw[2], raw[1], bytearray()
    for byte in raw[3:]:
        plain = byte ^ ((enc2 + plain1) & 0xFF)
        out.append(plain)
        enc2, enc1, plain1 = enc1, byte, plain
    ignored = (seed & 6) // 2
    length = int.from_bytes(out[ignored:ignored + 4], "little")
    return key, bytes(out[ignored + 4:ignored + 4 + length])


def test_protection_fields_decrypt_like_those_office_wrote_in_the_xlwings_template(project):
    template_id = "{318BEE36-5BE1-492A-826D-473DB19B0F30}"
    office = {"CMG": "5D5F8AADDAA8DEA8DEA8DEA8DE", "DPB": "5D5F8AADDAADDBADDBAD", "GC": "5D5F8AADDAADDBADDB52"}
    expected = {"CMG": bytes(4), "DPB": bytes(1), "GC": b"\xff"}
    for field, value in office.items():
        assert _decrypt(value) == (sum(template_id.encode()) & 0xFF, expected[field])
    ole = olefile.OleFileIO(str(project))
    text = ole.openstream("PROJECT").read().decode("cp1252")
    ole.close()
    ours_id = re.search(r'ID="([^"]+)"', text).group(1)
    for field, data in expected.items():
        value = re.search(rf'^{field}="([0-9A-F]+)"', text, re.M).group(1)
        assert _decrypt(value) == (sum(ours_id.encode()) & 0xFF, data)
        assert value == encrypt(data, ours_id, int(value[:2], 16))
