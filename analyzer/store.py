"""The results store: a directory of Parquet tables that nightly batches add to.

Layout::

    results/
      calls.parquet        one row per call (latest processing of each call_id)
      utterances.parquet   one row per utterance
      failures.parquet     one row per failed file/call, every batch
      batches.parquet      one row per batch run
      analyzer.log         the log of every run
      .staging/            parts of a batch in progress (merged at the end, or by the next run
                           if a batch died)

Writes are atomic (write to a temporary file, then rename), merging replaces rows by call_id, so
a re-run never duplicates a call and a crash never loses what was already merged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import AnalyzerError

#: tables keyed by call_id: a newer processing of a call replaces all its stored rows (later
#: stages add more, e.g. behaviours; any staged table not append-only is call-keyed)
CALL_KEYED = ("calls", "utterances", "behaviours")
#: tables that only ever grow
APPEND_ONLY = ("failures", "batches")

WORD_TYPE = pa.list_(
    pa.struct([("start_s", pa.float64()), ("end_s", pa.float64()), ("text", pa.string()), ("probability", pa.float64())])
)
SCHEMAS: Dict[str, Dict[str, pa.DataType]] = {
    "utterances": {
        "call_id": pa.string(),
        "utterance_index": pa.int32(),
        "speaker": pa.string(),
        "start_s": pa.float64(),
        "end_s": pa.float64(),
        "text": pa.string(),
        "words": WORD_TYPE,
        "asr_confidence": pa.float64(),
        "sentiment_negative": pa.float64(),
        "sentiment_neutral": pa.float64(),
        "sentiment_positive": pa.float64(),
        "sentiment": pa.float64(),
        "sentiment_label": pa.string(),
        "sentiment_index": pa.float64(),
    },
    "behaviours": {
        "call_id": pa.string(),
        "utterance_index": pa.int32(),
        "speaker": pa.string(),
        "behaviour_id": pa.string(),
        "score": pa.float64(),
        "time_s": pa.float64(),
        "source": pa.string(),
    },
    "failures": {k: pa.string() for k in ("batch_id", "failed_at", "file", "call_id", "stage", "severity", "reason")},
    "calls": {
        "call_id": pa.string(),
        "agent_id": pa.string(),
        "csat": pa.float64(),
        "handle_seconds": pa.float64(),
        "hold_seconds": pa.float64(),
        "acw_seconds": pa.float64(),
        "transferred": pa.bool_(),
        "queue": pa.string(),
        "started_at": pa.string(),
        "customer_sentiment_trajectory": pa.list_(pa.float64()),
        "agent_sentiment_trajectory": pa.list_(pa.float64()),
    },
}


class StoreLockedError(AnalyzerError):
    """Another run is writing to the same results directory."""


def rows_to_table(name: str, rows: List[Mapping]) -> pa.Table:
    """Rows → Arrow table, with fixed types for the columns that must not drift between batches."""
    fixed = SCHEMAS.get(name, {})
    columns: Dict[str, list] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, [])
    for key in columns:
        columns[key] = [row.get(key) for row in rows]
    arrays, names = [], []
    for key, values in columns.items():
        arrays.append(pa.array(values, type=fixed.get(key)))
        names.append(key)
    for key, typ in fixed.items():
        if key not in columns and name in ("utterances", "failures"):
            arrays.append(pa.nulls(len(rows), type=typ))
            names.append(key)
    return pa.Table.from_arrays(arrays, names=names)


@dataclass
class ResultsStore:
    """A results directory. Create with ``ResultsStore(path)``; nothing is written until used."""

    root: Path
    _lock: Optional[Path] = field(default=None, init=False, repr=False)
    _seq: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    # -- paths -------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.root / f"{name}.parquet"

    @property
    def staging(self) -> Path:
        return self.root / ".staging"

    @property
    def log_path(self) -> Path:
        return self.root / "analyzer.log"

    # -- locking -----------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the store for this process; a lock left by a dead process is taken over."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = self.root / ".lock"
        for _ in range(2):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    pid = int(lock.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and _alive(pid) and pid != os.getpid():
                    raise StoreLockedError(f"{self.root} is in use by another analyzer run (pid {pid})")
                lock.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            self._lock = lock
            return
        raise StoreLockedError(f"could not lock {self.root}")

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.unlink(missing_ok=True)
            self._lock = None

    # -- reading -----------------------------------------------------------------------------
    def read(self, name: str, columns: Optional[List[str]] = None) -> Optional[pa.Table]:
        """A stored table, or None if it does not exist yet."""
        path = self.path(name)
        if not path.exists():
            return None
        return pq.read_table(path, columns=columns)

    def done_keys(self) -> Set[Tuple[str, str, str]]:
        """(call_id, input_sha256, settings_hash) of every stored or staged call."""
        keys: Set[Tuple[str, str, str]] = set()
        cols = ["call_id", "input_sha256", "settings_hash"]
        tables = [self.read("calls", cols)] + [pq.read_table(p, columns=cols) for p in self._parts("calls")]
        for table in tables:
            if table is not None and table.num_rows:
                keys.update(zip(*(table.column(c).to_pylist() for c in cols)))
        return keys

    def stored_call_ids(self) -> Set[str]:
        table = self.read("calls", ["call_id"])
        ids = set(table.column("call_id").to_pylist()) if table is not None else set()
        for part in self._parts("calls"):
            ids.update(pq.read_table(part, columns=["call_id"]).column("call_id").to_pylist())
        return ids

    # -- writing -----------------------------------------------------------------------------
    def stage(self, batch_id: str, tables: Mapping[str, List[Mapping]]) -> None:
        """Write one part per non-empty table to staging (durable before the batch ends)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        part = f"{batch_id}-{self._seq:06d}"
        for name, rows in tables.items():
            if rows:
                _atomic_write(rows_to_table(name, list(rows)), self.staging / f"{part}.{name}.parquet")

    def commit(self) -> int:
        """Merge all staged parts into the main tables. Idempotent; returns parts merged.

        Parts are applied in staging order. A part's calls replace every stored row of those
        calls in every call-keyed table (utterances, behaviours... included, even when the new
        processing produced no rows there); failures and batches are keyed by batch_id.
        """
        if not self.staging.exists():
            return 0
        files = sorted(self.staging.glob("*.parquet"))
        if not files:
            return 0
        names = sorted({f.name.split(".")[-2] for f in files} | set(CALL_KEYED))
        tables = {name: self.read(name) for name in names}
        changed = set()
        for prefix in sorted({f.name.split(".")[0] for f in files}):
            calls_part = self.staging / f"{prefix}.calls.parquet"
            replaced = pq.read_table(calls_part, columns=["call_id"]).column("call_id") if calls_part.exists() else None
            for name in names:
                part = self.staging / f"{prefix}.{name}.parquet"
                new = pq.read_table(part) if part.exists() else None
                current = tables[name]
                if name in APPEND_ONLY:
                    if new is not None and current is not None:
                        current = _without(current, "batch_id", new.column("batch_id"))
                elif replaced is not None and current is not None:
                    current = _without(current, "call_id", replaced)
                    changed.add(name)
                if new is not None:
                    current = new if current is None else _concat([current, new])
                    changed.add(name)
                tables[name] = current
        for name in sorted(changed):
            if tables[name] is not None:
                _atomic_write(tables[name], self.path(name))
        # parts are deleted only after every table is replaced: a crash above leaves them for the
        # next commit, which re-applies them idempotently
        for part in files:
            part.unlink(missing_ok=True)
        return len(files)

    def write_table(self, name: str, table: pa.Table) -> None:
        """Replace a derived table (aggregates) atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        _atomic_write(table, self.path(name))

    def write_json(self, name: str, data: object) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def _parts(self, name: str) -> List[Path]:
        if not self.staging.exists():
            return []
        return sorted(self.staging.glob(f"*.{name}.parquet"))


def _concat(tables: Iterable[pa.Table]) -> pa.Table:
    tables = [t for t in tables if t is not None]
    return pa.concat_tables(tables, promote_options="permissive")


def _without(table: pa.Table, key: str, values) -> pa.Table:
    """Rows of ``table`` whose ``key`` is not among ``values``."""
    if key not in table.column_names:
        return table
    values = pc.unique(values)
    return table.filter(pc.invert(pc.fill_null(pc.is_in(table.column(key), value_set=values), False)))


def _atomic_write(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
