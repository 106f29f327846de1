"""After ``verbund demo`` every network's partners have their messages: at least five kinds each,
delivered into the local mailboxes, nothing failed or left pending."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support_cli import clean_env

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))


def test_the_demo_sends_every_network_at_least_five_kinds_of_message(tmp_path: Path) -> None:
    env = clean_env()
    env.update(VERBUND_DATABASE_URL=f"sqlite:///{tmp_path / 'verbund.db'}", PREFECT_HOME=str(tmp_path / "ph"),
               COLUMNS="200")
    demo = subprocess.run([VERBUND, "demo"], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    listing = subprocess.run([VERBUND, "outbox", "--json"], env=env, capture_output=True, text=True, timeout=120,
                             check=False)
    assert listing.returncode == 0, listing.stderr
    messages = json.loads(listing.stdout)["messages"]
    assert {row["status"] for row in messages} == {"sent"}
    kinds: dict[str, set[str]] = collections.defaultdict(set)
    for row in messages:
        kinds[row["network"]].add(row["kind"])
    assert len(kinds) == 4
    assert all(len(found) >= 5 for found in kinds.values()), kinds
    per_key = collections.Counter(row["key"] for row in messages)
    assert max(per_key.values()) == 1
    mailbox = tmp_path / "postfach"  # beside the SQLite file: the embedded default
    delivered = [path for path in mailbox.glob("*/*.json")]
    deliveries = {row["delivery"] for row in messages}
    assert len(delivered) == len(deliveries)  # one file per message (a digest carries several items)
    keys = {key for path in delivered for key in json.loads(path.read_text(encoding="utf-8"))["keys"]}
    assert keys == set(per_key)
