"""Files as offices have them (issue 16): the same mapped CSV in UTF-8, UTF-8 with BOM and cp1252
imports identically; an undecidable file is refused with its line and a hint; NRW stays UTF-8."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from verbund.domain.models import Organisation
from verbund.services.app.bootstrap import App
from verbund.services.importers import ImportFileError, MappedCsvAdapter, import_file, load_mapping
from verbund.services.importers.encoding import decode_bytes

MAPPING = """
source = "he-schulen"
state = "HE"
[columns]
id = "Schulnummer"
name = "Name"
region = "Schulamt"
community = "Ort"
special_needs = "Förderschwerpunkte"
[regions."Groß-Gerau"]
slug = "he-gross-gerau"
name = "Staatliches Schulamt Groß-Gerau und Main-Taunus"
"""
CONTENT = ("Schulnummer;Name;Schulamt;Ort;Förderschwerpunkte\r\n"
           "4711;Grundschule „Am Mühlbach“ – Außenstelle;Groß-Gerau;Rüsselsheim;Hören, Sehen\r\n"
           "4712;Förderschule Süd;Groß-Gerau;Mörfelden-Walldorf;Lernen\r\n")


def _schools(app: App) -> list[tuple[Any, ...]]:
    with app.uow() as uow:
        rows = uow.session.exec(select(Organisation).order_by(col(Organisation.source_id))).all()
        return [(o.source_id, o.name, o.community, tuple(o.special_needs)) for o in rows]


@pytest.mark.parametrize("encoded", [
    CONTENT.encode("utf-8"), b"\xef\xbb\xbf" + CONTENT.encode("utf-8"), CONTENT.encode("cp1252")],
    ids=["utf-8", "utf-8-bom", "cp1252"])
def test_the_same_content_imports_identically_in_every_encoding(app: App, tmp_path: Path, encoded: bytes) -> None:
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "schulen.csv").write_bytes(encoded)

    report = import_file(app, MappedCsvAdapter(load_mapping(tmp_path / "m.toml")), tmp_path / "schulen.csv")

    assert (report.created, report.rejected, report.notes) == (2, [], [])
    assert _schools(app) == [
        ("4711", "Grundschule „Am Mühlbach“ – Außenstelle", "Rüsselsheim", ("Hören", "Sehen")),
        ("4712", "Förderschule Süd", "Mörfelden-Walldorf", ("Lernen",))]


def test_a_mapping_saved_in_cp1252_is_read_too(app: App, tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_bytes(MAPPING.encode("cp1252"))
    assert load_mapping(tmp_path / "m.toml").columns["special_needs"] == "Förderschwerpunkte"


def test_a_file_mixing_utf8_and_cp1252_is_refused_with_the_line_and_a_hint(app: App, tmp_path: Path) -> None:
    (tmp_path / "m.toml").write_text(MAPPING, encoding="utf-8")
    lines = CONTENT.split("\r\n")
    mixed = (lines[0] + "\r\n" + lines[1] + "\r\n").encode("utf-8") + (lines[2] + "\r\n").encode("cp1252")
    (tmp_path / "schulen.csv").write_bytes(mixed)

    with pytest.raises(ImportFileError) as refused:
        import_file(app, MappedCsvAdapter(load_mapping(tmp_path / "m.toml")), tmp_path / "schulen.csv")

    message = str(refused.value)
    assert "Zeile 3" in message and "UTF-8" in message and "speichern" in message
    assert "Nichts wurde gespeichert" in message and _schools(app) == []


def test_a_byte_cp1252_does_not_define_is_undecidable(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"Zeile 2.*Kodierung nicht erkennbar.*0x81.*UTF-8"):
        decode_bytes(b"a;b\n\x81x;\xe4\n", tmp_path / "x.csv")


def test_a_declared_encoding_wins(tmp_path: Path) -> None:
    assert decode_bytes("Süd".encode("cp1252"), "x.csv", "cp1252") == ("Süd", "cp1252")
    with pytest.raises(ImportFileError, match="kein gültiges UTF-8"):
        decode_bytes("Süd".encode("cp1252"), "x.csv", "utf-8")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="cp1252", exclude_categories=("Cs",)), max_size=60))
def test_any_text_cp1252_can_hold_reads_back_from_utf8_and_from_cp1252(text: str) -> None:
    if not any("\x80" <= c <= "\x9f" for c in text):  # C1 controls are no text (read as cp1252)
        assert decode_bytes(text.encode("utf-8"), "x.csv")[0] == text
    encoded = text.encode("cp1252")
    try:
        decoded = decode_bytes(encoded, "x.csv")[0]
    except ImportFileError as refused:  # UTF-8 sequences beside invalid bytes: named, with the hint
        assert "Zeile" in str(refused) and "UTF-8" in str(refused)
        return
    try:
        encoded.decode("utf-8")
    except UnicodeDecodeError:
        assert decoded == text  # not valid UTF-8: read as cp1252, exactly
    # bytes valid in both (e.g. "Ä§" = C4 A7 = "ħ") are truly ambiguous: UTF-8 wins unless C1 controls


def test_partner_files_saved_by_excel_in_cp1252_read_like_utf8(tmp_path: Path) -> None:
    from verbund.services.importers.directory import PARTNER_FIELDS, load_directory_mapping, read_rows

    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    text = (examples / "partner.csv").read_text(encoding="utf-8")
    (tmp_path / "m.toml").write_bytes((examples / "partner-zuordnung.toml").read_text(encoding="utf-8")
                                      .encode("cp1252"))
    mapping = load_directory_mapping(tmp_path / "m.toml", PARTNER_FIELDS, ("name", "kind"))
    tables = []
    for name, encoded in (("utf8.csv", text.encode("utf-8")), ("excel.csv", text.encode("cp1252"))):
        (tmp_path / name).write_bytes(encoded)
        tables.append(read_rows(tmp_path / name, mapping).rows)
    assert tables[0] == tables[1] and any("Schülerbeförderung" in str(row) for row in tables[0])


def test_valid_utf8_with_a_c1_control_that_cp1252_cannot_read_stays_utf8(tmp_path: Path) -> None:
    """Found by the property test: U+0081 is valid UTF-8, and cp1252 has no 0x81, so it is not cp1252."""
    from verbund.services.importers.encoding import decode_bytes

    raw = "Name;Ort\nSchule\u0081;Zwickau\n".encode()
    assert decode_bytes(raw, tmp_path / "s.csv") == ("Name;Ort\nSchule\u0081;Zwickau\n", "utf-8")
