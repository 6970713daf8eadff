"""Reference data: the two structures, their validity dates and the 63 → 34 mapping."""

from __future__ import annotations

from datetime import date

from workbook_tools.units import central_unit, mapping_63_to_34, structure, structure_as_of


def test_structures_have_63_and_34_units_with_two_digit_codes():
    assert len(structure("63").units) == 63
    assert len(structure("34").units) == 34
    for key in ("63", "34"):
        assert all(len(u.code) == 2 and u.code.isdigit() for u in structure(key).units)
        assert all(u.slug and u.region and u.name for u in structure(key).units)


def test_structure_in_force_changes_on_1_july_2025():
    assert structure_as_of(date(2025, 6, 30)).key == "63"
    assert structure_as_of(date(2025, 7, 1)).key == "34"
    assert structure_as_of(date(2021, 9, 6)).key == "63"


def test_every_old_province_goes_into_exactly_one_new_unit():
    mapping = mapping_63_to_34()
    assert len(mapping) == 63 and len(set(mapping.values())) == 34
    assert mapping["15"] == "15" and mapping["46"] == "46" and mapping["74"] == "79"


def test_well_known_codes():
    assert structure("63").unit("01").name == "Hà Nội"
    assert structure("63").unit("79").name == "TP Hồ Chí Minh"
    assert structure("63").unit("79").file_stem == "79-ho-chi-minh"
    assert structure("63").unit("01").file_stem == "01-ha-noi"


def test_central_unit_is_known_and_outside_every_structure():
    code = central_unit().code
    assert code not in structure("63").codes() and code not in structure("34").codes()
