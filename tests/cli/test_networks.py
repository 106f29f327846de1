"""``verbund network create|rename|close|list|show`` and ``verbund school find|move``: the slug
stays, every change is in the network's history, a school's move keeps its earlier assignment."""

from __future__ import annotations

from pathlib import Path

from cli_world import Cli

REGION = "sn-muldenland"


def test_a_network_is_created_renamed_and_closed_with_its_slug_fixed(cli: Cli) -> None:
    created = cli.ok("network", "create", "kv-auental-mitte", "--name", "Kooperationsverbund Auental-Mitte",
                     "--region", REGION, "--by", "po@example.org", "--json")
    assert (created["slug"], created["template"], created["schools"]) == ("kv-auental-mitte", "sachsen-inklusion", 0)
    assert created["current_stage"] == "analysis" and created["closed_at"] is None
    again = cli.ok("network", "create", "kv-auental-mitte", "--name", "Kooperationsverbund Auental-Mitte",
                   "--region", REGION, "--json")
    assert again["history"] == created["history"]  # the same call again changes nothing
    taken = cli.fails("network", "create", "kv-auental-mitte", "--name", "Anders", "--region", REGION)
    assert "gibt es bereits" in taken and "verbund network rename" in taken
    assert "Slug 'KV Mitte'" in cli.fails("network", "create", "KV Mitte", "--name", "X", "--region", REGION)
    assert "Region 'sn-nirgendwo' nicht gefunden" in cli.fails("network", "create", "kv-x", "--name", "X",
                                                               "--region", "sn-nirgendwo")
    assert "ist für NW" in cli.fails("network", "create", "kv-x", "--name", "X", "--region", REGION,
                                     "--template", "nrw-bildungsnetzwerk")

    renamed = cli.ok("network", "rename", "kv-auental-mitte", "--name", "KV Auental Mitte", "--at", "2019-09-03T09:00",
                     "--json")
    assert (renamed["slug"], renamed["name"]) == ("kv-auental-mitte", "KV Auental Mitte")
    closed = cli.ok("network", "close", "kv-auental-mitte", "--reason", "mit Nord zusammengelegt",
                    "--at", "2019-09-04T09:00", "--json")
    assert closed["closed_reason"] == "mit Nord zusammengelegt" and closed["closed_at"]
    assert [e["action"] for e in closed["history"]] == ["created", "renamed", "closed"]
    assert "geschlossen" in cli.fails("network", "close", "kv-auental-mitte", "--reason", "nochmal")
    listed = {n["slug"]: n for n in cli.ok("network", "list", "--region", REGION, "--json")["networks"]}
    assert len(listed) == 5 and listed["kv-auental-mitte"]["closed_at"]
    assert listed["kv-auental-nord"]["schools"] > 0 and listed["kv-auental-nord"]["partners"] > 0


def test_a_school_is_found_and_moved_with_a_reason_and_its_history_kept(cli: Cli) -> None:
    found = cli.ok("school", "find", "Oberschule Lindenau", "--json")["schools"]
    assert len(found) == 1 and found[0]["network"] == "kv-auental-nord" and found[0]["since"]
    school = found[0]["school"]
    assert cli.ok("school", "find", school, "--json")["schools"][0]["name"] == "Oberschule Lindenau"
    by_place = cli.ok("school", "find", "Lindenau", "--json")["schools"]
    assert len(by_place) > 1 and all(s["community"] == "Lindenau" for s in by_place)
    needs = [s for s in cli.ok("school", "find", "Förderschule", "--json")["schools"] if s["special_needs"]]
    assert needs and all(s["network"] for s in needs)
    assert "Keine Schule gefunden" in cli.ok("school", "find", "Atlantis")
    assert "mindestens zwei Zeichen" in cli.fails("school", "find", "x")

    assert "--reason" in cli.fails("school", "move", school, "kv-auental-sued", "--reason", " ", "--by", "po@x.org")
    moved = cli.ok("school", "move", school, "kv-auental-sued", "--reason", "Schulweg", "--by", "po@example.org",
                   "--json")
    assert (moved["network"], moved["ended"], moved["changed"]) == ("kv-auental-sued", 1, True)
    now = cli.ok("school", "find", school, "--json")["schools"][0]
    assert now["network"] == "kv-auental-sued" and now["basis"] == "manuell: Schulweg"
    north = cli.ok("network", "show", "kv-auental-nord", "--json")
    assert school not in [s["school"] for s in north["assigned_schools"]]
    assert any(e["action"] == "ended" and "umgeordnet nach kv-auental-sued" in e["reason"] for e in north["history"])
    refused = cli.fails("network", "close", "kv-auental-nord", "--reason", "leer?")
    assert "Schulen zugeordnet, erst umordnen" in refused


def test_no_door_assigns_a_school_or_adds_a_partner_to_a_closed_network(cli: Cli, tmp_path: Path) -> None:
    cli.ok("network", "create", "kv-auental-mitte", "--name", "KV Auental Mitte", "--region", REGION)
    cli.ok("network", "close", "kv-auental-mitte", "--reason", "mit Nord zusammengelegt", "--at", "2019-09-04T09:00")
    school = cli.ok("school", "find", "Oberschule Lindenau", "--json")["schools"][0]["school"]
    closed = "Verbund 'kv-auental-mitte' (KV Auental Mitte) ist seit 04.09.2019 geschlossen (mit Nord zusammengelegt)"
    before = cli.ok("coverage", "--json")["regions"]
    history = cli.ok("network", "show", "kv-auental-mitte", "--json")["history"]

    assert closed in cli.fails("assign", "school", school, "kv-auental-mitte", "--by", "po@example.org")
    assert closed in cli.fails("school", "move", school, "kv-auental-mitte", "--reason", "Schulweg",
                               "--by", "po@example.org")
    mapping = tmp_path / "zuordnung.csv"
    mapping.write_text(f"school;network\n{school};kv-auental-mitte\n", encoding="utf-8")
    refused = cli.fails("assign", "mapping", str(mapping))
    assert "Zeile 2" in refused and closed in refused and "nichts wurde gespeichert" in refused
    rules = tmp_path / "regeln.toml"
    rules.write_text(f'[[networks]]\nslug = "kv-auental-mitte"\nname = "KV Auental Mitte"\nregion = "{REGION}"\n'
                     f'schools = ["{school}"]\n', encoding="utf-8")
    refused = cli.fails("assign", "rules", str(rules))
    assert closed in refused and "nichts wurde gespeichert" in refused
    assert closed in cli.fails("partner", "add", "--name", "Jugendamt Auental", "--kind", "youth_welfare",
                               "--region", REGION, "--network", "kv-auental-mitte")

    assert all(s["network"] != "kv-auental-mitte" for s in cli.ok("assign", "suggest", "--json")["suggestions"])
    assert cli.ok("school", "find", school, "--json")["schools"][0]["network"] == "kv-auental-nord"
    assert cli.ok("coverage", "--json")["regions"] == before
    after = cli.ok("network", "show", "kv-auental-mitte", "--json")
    assert after["history"] == history and (after["schools"], after["partners"]) == (0, 0)
