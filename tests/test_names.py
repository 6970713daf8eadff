"""The one resolver turns every spelling found in the seeds, and the usual variants, into codes."""

from __future__ import annotations

import csv
import unicodedata

import pytest

from workbook_tools.errors import AmbiguousUnitError, UnknownUnitError
from workbook_tools.names import NameResolver, fold, resolver
from workbook_tools.units import Structure, Unit, structure

DESIGN_SPELLINGS = {
    "Hồ Chí Minh": "79", "TP Hồ Chí Minh": "79", "Kom Tum": "62", "Kon Tum": "62",
    "Son La": "14", "Sơn La": "14", "Hung Yên": "33", "Hưng Yên": "33",
    "T. Thiên - Huế": "46", "Thừa Thiên- Huế": "46", "Thừa Thiên Huế": "46",
    "Bà Rịa-V. Tàu": "77", "Bà Rịa - V. Tàu": "77", "Bà Rịa- Vũng Tàu": "77",
    "Hoà Bình": "17", "Hòa Bình": "17", "Đăk Lăk": "66", "Đắk Lắk": "66",
}


def test_every_published_name_in_every_plan_resolves_to_its_row_unit(data_dir):
    checked = 0
    for path in sorted((data_dir / "plans").glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["unit"].startswith("VN"):
                    continue
                assert resolver("63").resolve(row["published_name"]) == row["unit"], row
                checked += 1
    assert checked > 3000


@pytest.mark.parametrize("name,code", sorted(DESIGN_SPELLINGS.items()))
def test_design_spellings_resolve(name, code):
    assert resolver("63").resolve(name) == code


@pytest.mark.parametrize("name,code", sorted(DESIGN_SPELLINGS.items()))
def test_decomposed_unicode_resolves_like_composed(name, code):
    assert resolver("63").resolve(unicodedata.normalize("NFD", name)) == code


@pytest.mark.parametrize(
    "name,code",
    [
        ("  thanh   hoá ", "38"), ("THANH HÓA", "38"), ("Thanh Hoa", "38"), ("Tỉnh Thanh Hóa", "38"),
        ("BHXH tỉnh Hà Nam", "35"), ("Thành phố Hồ Chí Minh", "79"), ("TP. Đà Nẵng", "48"),
        ("Tp.Hồ Chí Minh", "79"), ("HCM", "79"), ("Ha Noi", "01"), ("Hanoi", "01"), ("Dak Nong", "67"),
        ("Khánh Hoà", "56"), ("Quảng Nam", "49"), ("Quảng Ninh", "22"),
    ],
)
def test_case_spacing_prefixes_and_missing_diacritics(name, code):
    assert resolver("63").resolve(name) == code


def test_every_canonical_name_folds_to_a_distinct_key():
    for key in ("63", "34"):
        folded = [fold(u.name) for u in structure(key).units]
        assert len(set(folded)) == len(folded)


def test_unknown_name_is_refused_with_the_name_and_the_place():
    with pytest.raises(UnknownUnitError) as info:
        resolver("63").resolve("Hà Tây", where="file.xlsx row 12")
    assert "Hà Tây" in str(info.value) and "file.xlsx row 12" in str(info.value)


def test_a_partial_name_is_not_guessed():
    with pytest.raises(UnknownUnitError):
        resolver("63").resolve("Quảng")


def test_ambiguous_name_lists_every_candidate():
    units = [
        Unit("001", "Bình An", "xã", "binh-an", "", "d"),
        Unit("002", "Bắc An", "xã", "bac-an", "", "d"),
    ]
    with pytest.raises(AmbiguousUnitError) as info:
        NameResolver(Structure("d", "test", None, None, "", tuple(units))).resolve("B. An")
    assert info.value.candidates == ("001", "002")
    assert "Bình An" in str(info.value) and "Bắc An" in str(info.value)


def test_former_province_in_34_structure_says_where_it_went():
    with pytest.raises(UnknownUnitError) as info:
        resolver("34").resolve("Yên Bái")
    assert "Lào Cai (15)" in str(info.value)


def test_34_structure_uses_official_new_names():
    assert resolver("34").resolve("Huế") == "46"
    assert structure("34").unit("46").name == "Huế"
    assert resolver("34").resolve("Gia Lai") == "52"
    assert resolver("63").resolve("Gia Lai") == "64"


def test_code_typed_on_the_command_line_is_accepted():
    assert resolver("63").resolve_code_or_name("1") == "01"
    assert resolver("63").resolve_code_or_name("79") == "79"


def test_a_user_structure_edited_between_two_reads_is_resolved_with_its_new_names(tmp_path, monkeypatch):
    """User structures are read once while unchanged (one read per folder, not per return), and again once edited."""
    from workbook_tools import datafiles
    from workbook_tools.names import units_named_in

    monkeypatch.setenv(datafiles.DATA_DIR_ENV, str(tmp_path))
    (tmp_path / "units").mkdir()
    units = tmp_path / "units" / "hn-xa.csv"

    def write(names: list[str]) -> None:
        with units.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "name", "kind", "slug", "region"])
            for k, name in enumerate(names, start=1):
                writer.writerow([f"{k:04d}", name, "xã", fold(name).replace(" ", "-"), ""])

    write(["Sóc Sơn", "Đông Anh"])
    assert resolver("hn-xa").resolve("Sóc Sơn") == "0001"
    assert resolver("hn-xa") is resolver("hn-xa")
    assert units_named_in("0002-dong-anh bao cao thang 10", "hn-xa") == {"0002"}
    write(["Sóc Sơn", "Mê Linh", "Đông Anh"])
    assert resolver("hn-xa").resolve("Mê Linh") == "0002"
    assert resolver("hn-xa").resolve("Đông Anh") == "0003"
    assert units_named_in("Đông Anh", "hn-xa") == {"0003"}
