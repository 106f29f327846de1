"""Importing the Länder's school databases: one adapter per source behind one interface
(``Adapter.parse`` → ``Parsed``), one transactional upsert (``import_file``), assignment of schools
to networks and the coverage check.
"""

from verbund.services.importers.apply import ImportReport, import_file
from verbund.services.importers.base import Adapter, ImportFileError, Parsed, Problem, SchoolRecord
from verbund.services.importers.mapped import MappedCsvAdapter, load_mapping
from verbund.services.importers.nrw import NrwAdapter
from verbund.services.importers.sachsen import SachsenAdapter

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
