"""An argument whose bytes are not UTF-8 (a Latin-1 terminal) reaches Python as lone surrogates, which
no database stores: the command refuses it with one German line naming the argument, before anything
is read or written (issue 15: it ended in a UnicodeEncodeError traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENTRY = "from verbund.cli.main import main; main()"


def test_an_argument_that_is_not_utf8_is_refused_with_one_german_line(tmp_path: Path) -> None:
    database = tmp_path / "verbund.db"
    env = {**os.environ, "VERBUND_DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", ENTRY, "partner", "add", "--name", b"Jugend\xffamt", "--kind", "youth_welfare",
         "--land", "SN"],
        env=env, capture_output=True, timeout=300, check=False)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, stderr
    assert "Argument 4 ('Jugend\\xffamt') enthält Bytes, die kein gültiges UTF-8 sind" in stderr
    assert "Traceback" not in stderr
    assert not database.exists()  # refused before the database was opened
