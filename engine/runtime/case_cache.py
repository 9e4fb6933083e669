"""Recently saved cases, kept in memory between commands.

A command on a case normally starts with a SELECT of the case row and a SpiffWorkflow
deserialisation. When this process saved the case last, it still holds both: the row's values
and the live workflow object. Entries are safe to reuse because

- an entry is used at most once: :meth:`CaseCache.take` removes it, and the command puts the
  workflow back only after its transaction committed, so no two commands ever share a
  workflow object and a rolled-back command never leaves a half-mutated one behind;
- every write to a case row raises its revision, and every save runs an UPDATE guarded by the
  revision it started from: an entry that another process (or a direct write) made stale makes
  that UPDATE miss, and the command re-runs on freshly loaded state.

No I/O here: the cache is a bounded, thread-safe LRU map case id -> (row values, workflow).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any


@dataclass
class CachedCase:
    row: SimpleNamespace   # the case row's values as committed (without the serialised state)
    wf: Any                # the workflow in exactly the state that was committed


class CaseCache:
    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[str, CachedCase] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, case_id: str) -> CachedCase | None:
        """Remove and return the entry for ``case_id``: the caller owns it now."""
        with self._lock:
            entry = self._items.pop(case_id, None)
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
            return entry

    def put(self, case_id: str, row: SimpleNamespace, wf: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[case_id] = CachedCase(row, wf)
            self._items.move_to_end(case_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def discard(self, case_id: str) -> None:
        with self._lock:
            self._items.pop(case_id, None)

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["CaseCache", "CachedCase"]
