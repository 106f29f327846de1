"""The read side's in-process LRU (``services.app.lru``): the dashboard's page cache, the region page's
data and the network pages' coverage memo all keep their entries in it."""

from __future__ import annotations

from verbund.services.app.lru import LRU


def test_the_least_recently_used_entry_goes_first_and_hits_and_misses_are_counted() -> None:
    memo: LRU[str] = LRU(2)
    memo.put("a", "A")
    memo.put("b", "B")
    assert memo.get("a") == "A"  # "b" is now the least recently used
    memo.put("c", "C")
    assert memo.get("b") is None
    assert (memo.get("a"), memo.get("c")) == ("A", "C")
    assert (memo.hits, memo.misses) == (3, 1)


def test_putting_a_key_again_replaces_its_value_and_refreshes_it() -> None:
    memo: LRU[int] = LRU(2)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("a", 3)
    memo.put("c", 4)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (3, None, 4)


def test_the_dashboard_still_exports_it() -> None:
    from verbund.dashboard import page_cache

    assert page_cache.LRU is LRU


def test_kept_computes_only_the_missing_items_at_once_and_keeps_them() -> None:
    from verbund.services.app.lru import kept

    memo: LRU[str] = LRU(10)
    asked: list[list[str]] = []

    def compute(items: list[str]) -> dict[str, str]:
        asked.append(items)
        return {item: item.upper() for item in items}

    assert kept(memo, {"a": ("a", 1), "b": ("b", 1)}, compute) == {"a": "A", "b": "B"}
    assert kept(memo, {"a": ("a", 1), "b": ("b", 2), "c": ("c", 1)}, compute) == {"a": "A", "b": "B", "c": "C"}
    assert asked == [["a", "b"], ["b", "c"]]  # b's key changed (a new data version): computed again
