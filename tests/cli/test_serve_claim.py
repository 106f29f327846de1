"""One `verbund serve` per database: the claim (cli/local_prefect.py) is exclusive while it is held,
and the refusal names the running dashboard (the subprocess test is in tests/e2e/test_local_prefect.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from verbund.cli.local_prefect import AlreadyServing, claim_database


def test_a_held_claim_refuses_a_second_one_until_it_is_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'verbund.db'}"
    first = claim_database(url)
    with pytest.raises(AlreadyServing) as refused:
        claim_database(url)
    assert f"PID {os.getpid()}, startet gerade" in str(refused.value)  # no discovery file yet
    (tmp_path / "verbund.prefect.json").write_text(json.dumps(
        {"url": "http://127.0.0.1:4201/api", "ui": "http://127.0.0.1:4201", "dashboard": "http://127.0.0.1:8080",
         "pid": os.getpid(), "server_pid": 1}))
    with pytest.raises(AlreadyServing) as named:
        claim_database(url)
    assert str(named.value).startswith("Für diese Datenbank läuft bereits ein Dashboard: http://127.0.0.1:8080 "
                                       f"(PID {os.getpid()}), Prefect-Oberfläche http://127.0.0.1:4201.")
    first.release()
    claim_database(url).release()
    claim_database(f"sqlite:///{tmp_path / 'other.db'}").release()  # another database is another claim
