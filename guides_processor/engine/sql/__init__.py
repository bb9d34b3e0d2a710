"""The engine's SQL, for the database in use: the one place that knows which database it is.

``backend.py`` picks the backend once; its statements are the names below. ``claims.py`` leases
a batch's items, ``writes.py`` writes the manifest, the log and a batch's results, both built on
``common.py`` (names, values, and the hooks where the databases differ, which ``sqlite.py`` and
``postgresql.py`` fill in; ``interface.py`` puts them together). ``keys.py`` is the link pass of a
finishing execution (``verdicts.py`` its writes, file references and Used in), ``vanished.py``
the assets it finds gone from disk, ``unchanged.py`` what an unchanged rerun reads.
"""

from .backend import BACKEND, VENDOR
from .common import columns, marks, q, stamp, table
from .interface import Backend
from .keys import LinkScope, resolve_keys
from .unchanged import fingerprint_rows, live_count, live_rows, none_vanished
from .vanished import mark_gone_meanwhile, mark_vanished
from .verdicts import broken_elsewhere, broken_references_by_reason, index_used_in
from .writes import PreparedResult

lock_queue = BACKEND.lock_queue
commit_without_waiting = BACKEND.commit_without_waiting
plan_without_jit = BACKEND.plan_without_jit
refresh_statistics = BACKEND.refresh_statistics
execution_status_for_claim = BACKEND.execution_status_for_claim
claim_batch = BACKEND.claim_batch
owned_items = BACKEND.owned_items
release = BACKEND.release
beat_slot = BACKEND.beat_slot
add_items = BACKEND.add_items
append_log = BACKEND.append_log
prepare_results = BACKEND.prepare_results
write_results = BACKEND.write_results

__all__ = [
    "BACKEND",
    "VENDOR",
    "Backend",
    "LinkScope",
    "PreparedResult",
    "add_items",
    "append_log",
    "beat_slot",
    "broken_elsewhere",
    "broken_references_by_reason",
    "claim_batch",
    "columns",
    "commit_without_waiting",
    "execution_status_for_claim",
    "fingerprint_rows",
    "index_used_in",
    "live_count",
    "live_rows",
    "lock_queue",
    "mark_gone_meanwhile",
    "mark_vanished",
    "marks",
    "none_vanished",
    "owned_items",
    "plan_without_jit",
    "prepare_results",
    "q",
    "refresh_statistics",
    "release",
    "resolve_keys",
    "stamp",
    "table",
    "write_results",
]
