"""After ``verbund demo`` every network's partners have their messages: at least five kinds each,
delivered into the local mailboxes, nothing failed or left pending. (On a copy of the session's demo,
which runs the demo's own code; `verbund outbox` in-process.)"""

from __future__ import annotations

import collections
import json
from pathlib import Path

from support_cli import invoke


def test_the_demo_sends_every_network_at_least_five_kinds_of_message(demo_database: str) -> None:
    listing = invoke("outbox", "--json", VERBUND_DATABASE_URL=demo_database)
    assert listing.exit_code == 0, listing.output
    messages = json.loads(listing.stdout)["messages"]
    assert {row["status"] for row in messages} == {"sent"}
    kinds: dict[str, set[str]] = collections.defaultdict(set)
    for row in messages:
        kinds[row["network"]].add(row["kind"])
    assert len(kinds) == 4
    assert all(len(found) >= 5 for found in kinds.values()), kinds
    per_key = collections.Counter(row["key"] for row in messages)
    assert max(per_key.values()) == 1
    mailbox = Path(demo_database.removeprefix("sqlite:///")).parent / "postfach"  # beside the SQLite file
    delivered = [path for path in mailbox.glob("*/*.json")]
    deliveries = {row["delivery"] for row in messages}
    assert len(delivered) == len(deliveries)  # one file per message (a digest carries several items)
    keys = {key for path in delivered for key in json.loads(path.read_text(encoding="utf-8"))["keys"]}
    assert keys == set(per_key)
