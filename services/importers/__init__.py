"""Importing the Länder's school databases: one adapter per source behind one interface
(``Adapter.parse`` → ``Parsed``), one transactional upsert (``import_file``), assignment of schools
to networks and the coverage check.

The names below load on first use (PEP 562): a command that only needs ``importers.base``'s text
helpers (the Ferien, a stage action) does not load every adapter and PROJ with them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verbund.services.importers.apply import ImportReport, import_file
    from verbund.services.importers.base import Adapter, ImportFileError, Parsed, Problem, SchoolRecord
    from verbund.services.importers.mapped import MappedCsvAdapter, load_mapping
    from verbund.services.importers.nrw import NrwAdapter
    from verbund.services.importers.sachsen import SachsenAdapter

_WHERE = {
    "Adapter": "base", "ImportFileError": "base", "Parsed": "base", "Problem": "base", "SchoolRecord": "base",
    "ImportReport": "apply", "import_file": "apply",
    "MappedCsvAdapter": "mapped", "load_mapping": "mapped",
    "NrwAdapter": "nrw",
    "SachsenAdapter": "sachsen",
}

__all__ = [
    "Adapter",
    "ImportFileError",
    "ImportReport",
    "MappedCsvAdapter",
    "NrwAdapter",
    "Parsed",
    "Problem",
    "SachsenAdapter",
    "SchoolRecord",
    "import_file",
    "load_mapping",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
