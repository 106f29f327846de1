"""``verbund announce``: a coordinator's free-text message to all partners of a network or to a
partner kind goes through the outbox: one item per contact under an idempotency key (the same
announcement again the same day adds nothing), into the next sending window (not at night), sent
by the sweep in German, merged with the contact's other items of the day into one message."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cli_world import Cli

from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.settings import Settings
from verbund.services.messaging.outbox import sweep

NET = "kv-auental-nord"


def _announcements(cli: Cli) -> list[dict[str, str]]:
    return [m for m in cli.ok("outbox", "--json", "--network", NET)["messages"] if m["kind"] == "announcement"]


def _sweep(at: dt.datetime) -> None:
    app = bootstrap(Settings())
    sweep(app, at)
    app.engine.dispose()


def test_an_announcement_reaches_every_partner_once_in_the_send_window(cli: Cli, tmp_path: Path) -> None:
    cli.ok("stage", "advance", NET, "analysis")  # the stage-opened messages of the same day
    cli.now = dt.datetime(2019, 9, 2, 19, 30, tzinfo=BERLIN)  # after 18:00: quiet hours
    result = cli.ok("announce", NET, "--title", "Fachtag Inklusion", "--text", "Am 12.11. findet der Fachtag statt.",
                    "--by", "ko@example.org", "--json")
    assert result["recipients"] == result["planned"] > 10 and result["kinds"] == []
    assert result["send_after"] == "2019-09-03T08:00:00+02:00"
    again = cli.ok("announce", NET, "--title", "Fachtag Inklusion", "--text", "Am 12.11. findet der Fachtag statt.",
                   "--json")
    assert again["planned"] == 0 and len(_announcements(cli)) == result["planned"]

    boards = cli.ok("announce", NET, "--title", "Schülerbeförderung", "--text", "Neue Fahrpläne ab Oktober.",
                    "--kind", "school_board", "--json")
    assert 0 < boards["recipients"] < result["recipients"]
    assert "--kind: unbekannte Partnerart schulträger" in cli.fails("announce", NET, "--title", "x", "--text", "y",
                                                                     "--kind", "schulträger")
    assert "--text: der Text der Mitteilung fehlt" in cli.fails("announce", NET, "--title", "x", "--text", " ")

    _sweep(dt.datetime(2019, 9, 2, 20, 0, tzinfo=BERLIN))  # still quiet hours: nothing goes out
    assert {m["status"] for m in _announcements(cli)} == {"pending"}
    _sweep(dt.datetime(2019, 9, 3, 8, 0, tzinfo=BERLIN))
    sent = _announcements(cli)
    assert {m["status"] for m in sent} == {"sent"}
    assert len(sent) == result["planned"] + boards["planned"]
    deliveries = {m["delivery"] for m in sent}
    assert len(deliveries) == result["planned"]  # one message per contact and day (the boards' two items merged)

    bodies = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "postfach").rglob("*.json")]
    texts = [b.get("body", "") + b.get("title", "") for b in bodies]
    assert sum("Am 12.11. findet der Fachtag statt." in t for t in texts) == result["planned"]
    assert any("Neue Fahrpläne ab Oktober." in t and "Fachtag" in t for t in texts)
