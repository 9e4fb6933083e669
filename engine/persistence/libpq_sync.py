"""A libpq pipeline's Sync sent without holding the GIL.

PQpipelineSync also sends what libpq holds of the pipeline: a write on the socket that wakes
the PostgreSQL backend. psycopg's C wrapper calls it holding the GIL (unlike its send_query_*
calls), and on a machine whose CPUs the backends share with the clients, the kernel often
switches to the woken backend right there: the thread is descheduled with the GIL in hand and
every other thread of the process waits for it (py-spy --gil put 17 % of the web
process's samples of bench/topology_breakdown.py on that one call). Through ctypes, which
releases the GIL for the call, the other threads run meanwhile.

Only with psycopg's "binary" wheel, whose libpq is a file of its own (``psycopg_binary.libs``):
loading that file again gives the library already loaded (the same code and state), and its
version must be psycopg's. Otherwise (the "c" or "python" implementation, another version)
:func:`pipeline_sync` is psycopg's own call; the pure-Python one goes through ctypes already.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from typing import Any, Callable

_lock = threading.Lock()
_resolved: list[Callable[[Any], int] | None] = []   # [] until looked up


def _bundled_sync() -> Callable[[Any], int] | None:
    from psycopg import pq

    if pq.__impl__ != "binary":
        return None
    import psycopg_binary

    files = sorted((Path(psycopg_binary.__file__).parent.parent / "psycopg_binary.libs").glob("libpq*.so*"))
    if len(files) != 1:
        return None
    lib = ctypes.CDLL(str(files[0]))
    if lib.PQlibVersion() != pq.version():
        return None
    sync = lib.PQpipelineSync
    sync.argtypes, sync.restype = [ctypes.c_void_p], ctypes.c_int
    return sync


def _sync_call() -> Callable[[Any], int] | None:
    if not _resolved:
        with _lock:
            if not _resolved:
                try:
                    _resolved.append(_bundled_sync())
                except (ImportError, OSError, AttributeError):
                    _resolved.append(None)
    return _resolved[0]


def pipeline_sync(pgconn: Any) -> None:
    """``pgconn.pipeline_sync()``, without the GIL where possible (see above)."""
    sync = _sync_call()
    if sync is None:
        pgconn.pipeline_sync()
        return
    rv = sync(pgconn.pgconn_ptr)
    if rv != 1:
        from psycopg import OperationalError

        raise OperationalError("connection not in pipeline mode" if rv == 0 else "failed to sync pipeline")


__all__ = ["pipeline_sync"]
