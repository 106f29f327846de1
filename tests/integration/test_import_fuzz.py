"""Bounded fuzzing of every importer (issue 15): 1,000 tiny files each, made by mutating a valid file's
bytes (or, for the Saxon JSON, its values) with the hostile pieces that once gave tracebacks and
random bytes. Two properties per importer:

(a) nothing escapes but the importer's own error type (``ImportFileError`` for the school sources,
    the coordinates and the mappings; ``DomainError`` for the directory and the Ferien, whose
    refusals are ``InvalidInput``);
(b) a failed import leaves every table's row count unchanged (an all-or-nothing directory file with
    a rejected row included).

One SQLite database per importer, shared by its cases, keeps the whole module well under a minute.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from importer_files import COUNT, IMPORTERS, MAPPINGS, VALID, prepare, saxon_school

from verbund.domain.errors import DomainError
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.importers import ImportFileError, load_mapping

CASES = 1000
# Files and the database in memory where the machine has a tmpfs: writing a file to disk costs more
# than the import it feeds.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
FUZZ = settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# The pieces that gave tracebacks (issue 15), and some that break files in other ways.
HOSTILE: list[bytes] = [
    b"\x00", b"\\u0000", b"\\ud800", b"\xed\xa0\x80", "²".encode(), "٣".encode(), b"9" * 4400,
    b"1" + b"0" * 20, b"01.01.100000000000000000000", b"1000000000000000000000101", b"[" * 3000, b"{" * 3000,
    b";", b",", b'"', b"\n", b"\r", b"\r\n", b"\xff", b"\xef\xbb\xbf", b"sep=;\n", b"sep=\"\n", b"=", b"\\",
    b"1e400", b"nan", b"-1", b"", b"99991231", b"P99999999999D", b"delimiter = \"\"\n", b"delimiter = \";;\"\n",
    b"delimiter = 5\n", b"a = " + b"[" * 3000, b"END:VEVENT\r\n", b"BEGIN:VEVENT\r\n", b"DTSTART:x\r\n",
]
TEXT_VALUES: list[Any] = ["\x00", "A\x00B", "\ud800", "A\udfffB", "²", "²" * 8, "٣", "9" * 4400, 10**20,
                          "01.01.100000000000000000000", "", " ", None, True, [], {}, [[[]]], 1.5, -1, "=1+1"]


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with one to three insertions, replacements or cuts of hostile or random bytes."""
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        piece = draw(st.one_of(st.sampled_from(HOSTILE), st.binary(max_size=6)))
        start = draw(st.integers(min_value=0, max_value=len(data)))
        end = draw(st.integers(min_value=start, max_value=min(len(data), start + 8)))
        how = draw(st.sampled_from(("insert", "replace", "cut")))
        if how == "insert":
            data[start:start] = piece
        elif how == "replace":
            data[start:end] = piece
        else:
            data[start:end] = b""
    return bytes(data)


@st.composite
def saxon_files(draw: st.DrawFn) -> bytes:
    """The Saxon JSON: a hostile value in one of the fields, or mutated bytes."""
    if draw(st.booleans()):
        return draw(mutated(VALID["sachsen"]))
    school = saxon_school()
    building = school["buildings"][0]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        value = draw(st.sampled_from(TEXT_VALUES))
        key = draw(st.sampled_from(["id", "institution_key", "legal_status_key", "inspectorate_key",
                                    "school_category_key", "buildings", "name", "name1", "community",
                                    "community_key", "school_type_keys", "building_type_key", "type_key_item"]))
        if key == "type_key_item":
            building["school_type_keys"] = [11, value]
        elif key in building or key == "name1":
            building[key] = value
        else:
            school[key] = value
    return json.dumps([school, saxon_school(id=1002)]).encode("ascii")


NO_MAPPING: st.SearchStrategy[None] = st.none()


@contextmanager
def fuzz_app() -> Iterator[tuple[App, Callable[[], tuple[int, ...]]]]:
    """The app on a fresh SQLite file, and every table's row count read through a plain sqlite3
    connection of its own (a committed import is visible to it; it costs a tenth of the engine's)."""
    with tempfile.TemporaryDirectory(dir=SCRATCH) as directory:
        app = bootstrap(Settings(database_url=f"sqlite:///{directory}/verbund.db"),
                        clock=ManualClock(dt.datetime(2021, 3, 1, 9, tzinfo=BERLIN)), trigger=RecordingTrigger())
        try:
            prepare(app)
            IMPORTERS["sachsen"](app, Path(directory), VALID["sachsen"], None)  # a school for contacts
            reader = sqlite3.connect(f"{directory}/verbund.db", isolation_level=None)
            try:
                yield app, lambda: tuple(reader.execute(COUNT).fetchone())
            finally:
                reader.close()
        finally:
            app.engine.dispose()


def fuzz(importer: str, files: st.SearchStrategy[bytes], allowed: type[Exception],
         mappings: st.SearchStrategy[bytes | None] = NO_MAPPING) -> None:
    """Run ``importer`` on ``CASES`` generated files; check (a) and (b) for each."""
    seen = 0
    with fuzz_app() as (app, counts), tempfile.TemporaryDirectory(dir=SCRATCH) as directory:
        folder = Path(directory)

        @FUZZ
        @given(files, mappings)
        def case(data: bytes, mapping: bytes | None) -> None:
            nonlocal seen
            seen += 1
            before = counts()
            try:
                report = IMPORTERS[importer](app, folder, data, mapping)
            except allowed:
                assert counts() == before, f"{importer}: a failed import changed row counts"
                return
            if getattr(report, "rejected", None) and hasattr(report, "stored"):  # directory: all or nothing
                assert counts() == before, f"{importer}: a refused file changed row counts"

        case()
    assert seen >= CASES


def maybe_mutated_mapping(importer: str) -> st.SearchStrategy[bytes | None]:
    return st.one_of(st.none(), st.none(), st.none(), mutated(MAPPINGS[importer].encode()))


def test_fuzzed_saxon_files_give_only_import_errors() -> None:
    fuzz("sachsen", saxon_files(), ImportFileError)


def test_fuzzed_nrw_files_give_only_import_errors() -> None:
    fuzz("nrw", mutated(VALID["nrw"]), ImportFileError)


def test_fuzzed_mapped_csv_files_and_mappings_give_only_import_errors() -> None:
    fuzz("mapped", mutated(VALID["mapped"]), ImportFileError, maybe_mutated_mapping("mapped"))


def test_fuzzed_coordinate_files_and_mappings_give_only_import_errors() -> None:
    fuzz("coordinates", mutated(VALID["coordinates"]), ImportFileError, maybe_mutated_mapping("coordinates"))


def test_fuzzed_partner_files_give_only_refusals_and_store_all_or_nothing() -> None:
    fuzz("partners", mutated(VALID["partners"]), DomainError, maybe_mutated_mapping("partners"))


def test_fuzzed_contact_files_give_only_refusals_and_store_all_or_nothing() -> None:
    fuzz("contacts", mutated(VALID["contacts"]), DomainError, maybe_mutated_mapping("contacts"))


def test_fuzzed_ferien_files_give_only_refusals() -> None:
    fuzz("ferien", mutated(VALID["ferien"]), DomainError)


def test_fuzzed_school_mappings_give_only_import_errors() -> None:
    """The mapping alone (TOML): parsed and checked without a database."""
    seen = 0
    with tempfile.TemporaryDirectory(dir=SCRATCH) as directory:
        path = Path(directory) / "zuordnung.toml"

        @FUZZ
        @given(mutated(MAPPINGS["mapped"].encode()))
        def case(data: bytes) -> None:
            nonlocal seen
            seen += 1
            path.write_bytes(data)
            with contextlib.suppress(ImportFileError):
                load_mapping(path)

        case()
    assert seen >= CASES

