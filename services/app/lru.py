"""A small thread-safe least-recently-used map: the in-process memos of the read side (the dashboard's
rendered pages and read models, the region page's data, the network pages' region-wide coverage fact)."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class LRU(Generic[T]):
    """A thread-safe least-recently-used map with hit and miss counts; keeps the ``size`` entries used last."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_DATABASE_MEMOS: weakref.WeakKeyDictionary[Any, dict[str, LRU[Any]]] = weakref.WeakKeyDictionary()
_DATABASE_MEMOS_LOCK = threading.Lock()


def database_memo(session: Session, name: str, size: int) -> LRU[Any]:
    """The memo ``name`` of ``session``'s database (keyed by its connection pool, which the engine and its
    read-only variants share): ids and counters of two databases, one copied from the other, may be equal
    while their data is not."""
    with _DATABASE_MEMOS_LOCK:
        memos = _DATABASE_MEMOS.setdefault(session.connection().engine.pool, {})
        return memos.setdefault(name, LRU(size))


def kept(memo: LRU[T], keys: Mapping[K, Hashable], compute: Callable[[list[K]], Mapping[K, T]]) -> dict[K, T]:
    """For each of ``keys``' items its value from ``memo`` under the item's key (say: id, data version,
    day), computing only the missing ones at once with ``compute`` and keeping them."""
    found: dict[K, T] = {}
    for item, key in keys.items():
        value = memo.get(key)
        if value is not None:
            found[item] = value
    missing = [item for item in keys if item not in found]
    if missing:
        for item, value in compute(missing).items():
            found[item] = value
            memo.put(keys[item], value)
    return found

