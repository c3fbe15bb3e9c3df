"""The results store: append-only, partitioned Parquet datasets that nightly batches add to.

Layout::

    results/
      calls/batch_date=2026-11-27/part-20261127T020000-1a2b3c-1.parquet
      utterances/batch_date=2026-11-27/part-20261127T020000-1a2b3c-1.parquet
      behaviours/...  failures/...  batches/...     (the same, one file per table per commit)
      agents.parquet coaching.parquet call_outcomes.parquet variability.json taxonomy.json
                           derived by ``analyzer aggregate``, replaced whole
      analyzer.log         the log of every run
      .staging/            parts of a batch in progress (``<batch_id>-<seq>.<table>.arrow``, Arrow IPC) and,
                           while a commit publishes them, its manifest (``commit-*.json``)
      .lock                the OS-level lock of the writer

**Append-only.** A commit writes new files into each table's dataset, in the partition
(``batch_date=``) of the run that staged them; it never rewrites a file a commit or a run before it
wrote. Its cost follows the night: it reads the night's staged parts and the names of a few files
in the night's partition, never the history.

**Latest wins.** Every row of ``calls``, ``utterances`` and ``behaviours`` carries the ``version``
of the call processing it belongs to (nanoseconds when the part was staged; a larger version is
newer, also within one run). Read, a call is its row with the largest version, and its
utterances and behaviours are the rows of that same version: a call reprocessed tonight
supersedes every row of its earlier versions, also when the new processing has no rows in a
table. Rows whose (call_id, version) has no calls row (a commit killed half-way, before the run
that finishes it) are not read. ``failures`` and ``batches`` are logs: within one batch the latest
part wins (a batch records its failures again when a batch stage fails), across batches every row
stays. :meth:`ResultsStore.compact` rewrites partitions without the rows no read returns.

**Crash safety.** Parts are staged atomically (temporary file, then rename) every ``flush_every``
calls. A commit first writes a manifest naming every staged part, its version and every file it
will write; it then writes those files (temporary file, then rename; the calls file of a part
last), marks the manifest published, deletes the parts and the manifest. A run that dies at any
point leaves either parts (published by the next run) or a manifest (redone by the next run: the
same files with the same content, so nothing is published twice), and a reader in between sees
only complete parts.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import schema
from .errors import AnalyzerError

log = logging.getLogger("analyzer")

CALL_KEYED = schema.CALL_KEYED  # ("calls", "utterances", "behaviours")
APPEND_ONLY = schema.LOGS  # ("failures", "batches")
DATASETS = schema.DATASETS
VERSION = schema.VERSION
_C = schema.CALLS.c
PARTITION = schema.PARTITION
#: schema metadata keys of staged parts and published files
META_VERSION = b"analyzer.version"
META_PARTITION = b"analyzer.batch_date"
META_REPLACES = b"analyzer.replaces"
BACKUP_DIR = "single-file-layout-backup"
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
_BATCH_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class StoreLockedError(AnalyzerError):
    """Another run is writing to the same results directory."""


def fixed_types(name: str) -> Dict[str, pa.DataType]:
    """The declared type of every concrete column of a table (``analyzer/schema.py``)."""
    table = schema.TABLES.get(name)
    return table.fixed_types() if table is not None else {}


def _declared(name: str, column: str) -> Optional[pa.DataType]:
    table = schema.TABLES.get(name)
    type_name = table.type_name(column) if table is not None else None
    return schema.arrow_type(type_name) if type_name else None


def rows_to_table(name: str, rows: List[Mapping]) -> pa.Table:
    """Rows → Arrow table, with the declared types (``analyzer/schema.py``) for the columns that
    must not drift between batches.

    A column whose values have no common Arrow type (a number in one row, text in another) is
    stored as text rather than failing the whole table; a declared column whose values do not
    fit its type falls back the same way (the commit casts them or leaves them blank)."""
    columns: Dict[str, list] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, [])
    for key in columns:
        columns[key] = [row.get(key) for row in rows]
    arrays, names = [], []
    for key, values in columns.items():
        arrays.append(_array(values, _declared(name, key)))
        names.append(key)
    if name in ("utterances", "failures"):
        for key, typ in fixed_types(name).items():
            if key not in columns and key not in (VERSION, PARTITION):
                arrays.append(pa.nulls(len(rows), type=typ))
                names.append(key)
    return pa.Table.from_arrays(arrays, names=names)


def _array(values: list, typ: Optional[pa.DataType] = None) -> pa.Array:
    try:
        return pa.array(values, type=typ)
    except (*_ARROW_ERRORS, OverflowError, TypeError, ValueError):
        if typ is not None:
            try:
                return pa.array(values)  # not the declared type: the commit casts or falls back to text
            except (*_ARROW_ERRORS, OverflowError, TypeError, ValueError):
                pass
        return pa.array([_as_text(v) for v in values], type=pa.string())


def _as_text(value) -> Optional[str]:
    """A value of any type as text for a column whose type varies (None stays null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


@dataclass(frozen=True)
class Part:
    """One file of a dataset: a published part (``partition`` set) or a table of the single-file
    layout of earlier versions (``legacy``)."""

    path: Path
    partition: Optional[str]
    legacy: bool = False


@dataclass(frozen=True)
class Latest:
    """What latest-wins needs from the calls dataset: the versions that have a calls row, and for
    each call stored more than once, its latest version."""

    versions: pa.Array  # int64, every version with at least one calls row
    multi_ids: pa.Array  # string, calls with more than one version
    multi_latest: pa.Array  # int64, their latest version (aligned with multi_ids)
    legacy_dates: Optional[pa.Table] = None  # call_id, batch_date of calls whose latest row is legacy


@dataclass(frozen=True)
class CompactSummary:
    partitions_rewritten: int
    files_before: int
    files_after: int
    rows_dropped: int
    seconds: float

    def line(self) -> str:
        return (f"compacted {self.partitions_rewritten} partition(s): {self.files_before} -> {self.files_after} files, "
                f"{self.rows_dropped} superseded row(s) dropped in {self.seconds:.1f} s")


@dataclass
class ResultsStore:
    """A results directory. Create with ``ResultsStore(path)``; nothing is written until used."""

    root: Path
    _lock: Optional[object] = field(default=None, init=False, repr=False)
    _seq: int = field(default=0, init=False, repr=False)
    _last_version: int = field(default=0, init=False, repr=False)
    _told_legacy: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    # -- paths -------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """The file of a derived table (``agents.parquet``...), or of a table in the single-file
        layout of earlier versions."""
        return self.root / f"{name}.parquet"

    def dataset_dir(self, name: str) -> Path:
        return self.root / name

    @property
    def staging(self) -> Path:
        return self.root / ".staging"

    @property
    def log_path(self) -> Path:
        return self.root / "analyzer.log"

    # -- locking -----------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the store for this process: an OS-level lock on ``.lock`` (fcntl/flock through
        the filelock package), released by the OS when the process ends however it ends, so a
        dead run's lock never needs to be guessed stale from the file's contents."""
        from filelock import FileLock, Timeout

        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / ".lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise StoreLockedError(f"{self.root} is in use by another analyzer run (lock {self.root / '.lock'})") from None
        self._lock = lock

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- listing -----------------------------------------------------------------------------
    def parts(self, name: str, since: Optional[str] = None, until: Optional[str] = None,
              partitions: Optional[Iterable[Optional[str]]] = None) -> List[Part]:
        """The files of a table's dataset (partitions within ``since``..``until``, ISO dates,
        inclusive; only the partitions named in ``partitions`` when given, ``None`` naming the
        single-file layout's table), oldest partition first, and its single-file-layout table if
        there is one. Files replaced by a compacted file (``compact`` killed before it removed
        them) are left out."""
        out: List[Part] = []
        legacy = self.path(name)
        wanted = None if partitions is None else set(partitions)
        if name in DATASETS and legacy.is_file() and (wanted is None or None in wanted):
            out.append(Part(legacy, None, legacy=True))
            if not self._told_legacy:
                self._told_legacy = True
                log.info("%s uses the single-file layout of earlier versions (%s); it is read as is, and the next `analyzer run` "
                         "or `analyzer compact` migrates it to partitioned datasets", self.root, legacy.name)
        folder = self.dataset_dir(name)
        if not folder.is_dir():
            return out
        for pdir in sorted(folder.iterdir()):
            key, sep, value = pdir.name.partition("=")
            if not sep or key != PARTITION or not pdir.is_dir():
                continue
            if (since is not None and value < since) or (until is not None and value > until):
                continue
            if wanted is not None and value not in wanted:
                continue
            files = sorted(f for f in pdir.iterdir() if f.suffix == ".parquet" and not f.name.startswith((".", "_")))
            out.extend(Part(f, value) for f in _without_replaced(files))
        return out

    def has_calls(self) -> bool:
        """Whether any call is stored (or staged)."""
        return bool(self.parts("calls")) or bool(self._staged("calls"))

    # -- reading -----------------------------------------------------------------------------
    def read(self, name: str, columns: Optional[Sequence[str]] = None, since: Optional[str] = None, until: Optional[str] = None,
             filter=None, latest: bool = True, exclude: Sequence[str] = (), partitions: Optional[Iterable[Optional[str]]] = None) -> Optional[pa.Table]:
        """A stored table, or None if it does not exist yet.

        Datasets are read with latest wins (see the module's docstring) unless ``latest=False``
        (every stored row of every version). ``columns`` selects columns (fewer columns, less
        memory: ``utterances.words`` is the bulk of the store); ``since``/``until`` (ISO dates,
        inclusive) select the runs' partitions: calls whose latest version was stored then, with
        their rows; ``partitions`` (``batch_date`` values) selects some partitions only, as
        :meth:`parts`. ``filter`` is a pyarrow expression applied while scanning; ``exclude`` names
        columns not to read (``words``)."""
        if name not in DATASETS:
            path = self.path(name)
            return pq.read_table(path, columns=list(columns) if columns is not None else None) if path.exists() else None
        parts = self.parts(name, since, until, partitions)
        if not parts:
            return None
        keys = {"calls": ("call_id", VERSION), "utterances": ("call_id", VERSION), "behaviours": ("call_id", VERSION),
                "failures": ("batch_id", VERSION), "batches": ("batch_id", VERSION)}[name] if latest else ()
        wanted = None if columns is None else list(dict.fromkeys(list(columns) + list(keys)))
        table = _scan(name, parts, wanted, filter, exclude)
        if latest:
            if name in CALL_KEYED:
                table = self._latest_rows(name, table, since, until)
            else:
                table = _latest_per_batch(table)
        if columns is not None:
            table = table.select([c for c in columns if c in table.column_names])
        return table

    def _latest_rows(self, name: str, table: pa.Table, since: Optional[str], until: Optional[str]) -> pa.Table:
        latest = self.latest()
        if table.num_rows == 0:
            return table
        version = table.column(VERSION)
        keep = None
        if name != "calls":  # rows whose version has no calls row: a commit not finished yet
            keep = pc.fill_null(pc.is_in(version, value_set=latest.versions), False)
        if len(latest.multi_ids):
            idx = pc.index_in(table.column("call_id"), value_set=latest.multi_ids)
            newest = pc.take(latest.multi_latest, idx)
            current = pc.fill_null(pc.or_kleene(pc.is_null(idx), pc.equal(version, newest)), False)
            keep = current if keep is None else pc.and_(keep, current)
        if (since is not None or until is not None) and latest.legacy_dates is not None:
            # rows of the single-file layout carry no partition: the window applies to their call
            dates = latest.legacy_dates
            inside = dates.filter(_window_mask(dates.column(PARTITION), since, until)).column("call_id")
            legacy = pc.equal(version, 0)
            ok = pc.or_(pc.invert(legacy), pc.is_in(table.column("call_id"), value_set=inside))
            keep = ok if keep is None else pc.and_(keep, ok)
        return table if keep is None else table.filter(keep)

    def columns(self, name: str) -> List[str]:
        """The columns of a stored dataset across its files, in the order :meth:`read` gives
        them (the partition column included)."""
        parts = self.parts(name)
        return _target_schema(name, [pq.read_schema(p.path) for p in parts], partition=True).names if parts else []

    def call_row_parts(self, name: str, partitions: Optional[Iterable[str]] = None) -> List[Part]:
        """The files :meth:`iter_call_rows` reads, in its order: those of the partitions named in
        ``partitions`` (all when None) and the single-file layout's (always, last, as :meth:`read`)."""
        wanted = None if partitions is None else set(partitions)
        parts = [p for p in self.parts(name) if p.legacy or wanted is None or p.partition in wanted]
        return [p for p in parts if not p.legacy] + [p for p in parts if p.legacy]

    def iter_call_rows(self, name: str, columns: Sequence[str], keys: "CallKeys",
                       parts: Optional[List[Part]] = None) -> Iterable[Tuple[int, Part, "object", "object", pa.Table]]:
        """The rows of a call-keyed table (``calls``, ``utterances``, ``behaviours``) that belong
        to the calls of ``keys`` at their version (latest wins, restricted to those calls), one
        file at a time, in the order :meth:`read` returns them.

        Reads ``columns`` only (each with the type :meth:`read` gives it: the declared one, else
        the common type across all the table's files), only from ``parts`` (default: every file; see
        :meth:`call_row_parts`). Yields ``(number, part, rows, codes, table)`` per file with rows
        to return: the file's position in ``parts``, the file, the kept rows' positions in the
        file (numpy int64), their calls' positions in ``keys`` (numpy int64), and the kept rows
        (``pyarrow.Table``). Memory follows the largest files (two: the next one is read while the
        caller works on one), not the table."""
        import numpy as np

        parts = self.call_row_parts(name) if parts is None else parts
        if not parts:
            return
        wanted = list(dict.fromkeys(list(columns) + ["call_id", VERSION]))
        # a declared column has its declared type; another one (extra metadata) the type every
        # file of the table gives it together, as read gives it
        declared = all(_declared(name, c) is not None or c in (VERSION, PARTITION) for c in wanted)
        schemas = [pq.read_schema(p.path) for p in (parts if declared else self.parts(name))]
        target = _target_schema(name, schemas, columns=wanted, partition=PARTITION in wanted)
        for number, (part, table) in enumerate(_read_ahead(parts, target)):
            if table.num_rows == 0:
                continue
            version = pc.fill_null(table.column(VERSION), 0).to_numpy()
            codes = keys.codes(table.column("call_id"))
            keep = codes >= 0
            keep[keep] = version[keep] == keys.versions[codes[keep]]
            rows = np.flatnonzero(keep)
            if len(rows) == 0:
                continue
            table = table.select([c for c in columns if c in table.column_names])
            if len(rows) < table.num_rows:
                table = table.take(pa.array(rows))
            yield number, part, rows, codes[rows], table

    def read_column_rows(self, parts: Sequence[Part], name: str, column: str, rows: Mapping[int, "object"]) -> Dict[int, list]:
        """Values of one column at given row positions of given files (``{file number:
        positions}``, numbers into ``parts``), reading only the row groups that hold them."""
        import numpy as np

        declared = _declared(name, column)
        out: Dict[int, list] = {}
        for number, positions in rows.items():
            positions = np.asarray(positions, dtype=np.int64)
            if len(positions) == 0:
                out[number] = []
                continue
            part = parts[number]
            handle = pq.ParquetFile(part.path)
            if column not in handle.schema_arrow.names:
                out[number] = [None] * len(positions)
                continue
            sizes = [handle.metadata.row_group(i).num_rows for i in range(handle.metadata.num_row_groups)]
            starts = np.concatenate([[0], np.cumsum(sizes)])
            groups = sorted(set(np.searchsorted(starts, positions, side="right") - 1))
            values = handle.read_row_groups(groups, columns=[column]).column(column)
            if declared is not None and values.type != declared:
                values = _conform(pa.table({column: values}), pa.schema([(column, declared)])).column(column)
            base = {g: int(sum(sizes[h] for h in groups if h < g)) for g in groups}  # where each group starts in what was read
            group = np.searchsorted(starts, positions, side="right") - 1
            local = positions - starts[group] + np.array([base[g] for g in group], dtype=np.int64)
            out[number] = values.take(pa.array(local)).to_pylist()
        return out

    def latest(self) -> Latest:
        """Latest-wins keys from the calls dataset (two columns of every calls file)."""
        parts = self.parts("calls")
        signature = tuple((p.path, p.path.stat().st_mtime_ns) for p in parts)
        cached = self.__dict__.get("_latest_cache")
        if cached is not None and cached[0] == signature:
            return cached[1]
        table = _scan("calls", parts, ["call_id", VERSION, PARTITION], None) if parts else None
        empty_s, empty_i = pa.array([], pa.string()), pa.array([], pa.int64())
        if table is None or table.num_rows == 0:
            result = Latest(empty_i, empty_s, empty_i)
        else:
            grouped = table.group_by("call_id").aggregate([(VERSION, "max"), (VERSION, "count")])
            multi = grouped.filter(pc.greater(grouped.column(f"{VERSION}_count"), 1))
            legacy = None
            if any(p.legacy for p in parts):
                legacy = table.filter(pc.equal(table.column(VERSION), 0)).select(["call_id", PARTITION])
            result = Latest(_flat(pc.unique(table.column(VERSION))), _flat(multi.column("call_id")), _flat(multi.column(f"{VERSION}_max")), legacy)
        self.__dict__["_latest_cache"] = (signature, result)
        return result

    def done_keys(self, call_ids: Optional[Iterable[str]] = None) -> Set[Tuple[str, str, str]]:
        """(call_id, input_sha256, settings_hash) of the latest version of every stored or staged
        call (of ``call_ids`` only, when given: what a night's skip check needs, read without
        loading the history). Reads these columns only."""
        cols = [_C.call_id, _C.input_sha256, _C.settings_hash]
        ids = None if call_ids is None else pa.array(sorted(set(call_ids)), pa.string())
        expr = None if ids is None else pc.is_in(pc.field("call_id"), value_set=ids)
        keys: Set[Tuple[str, str, str]] = set()
        parts = self.parts("calls")
        if parts:
            table = _scan("calls", parts, cols + [VERSION], expr)
            if table.num_rows:
                newest = table.group_by("call_id").aggregate([(VERSION, "max")])
                table = table.join(newest.rename_columns(["call_id", VERSION]), keys=["call_id", VERSION], join_type="inner")
                keys.update(zip(*(table.column(c).to_pylist() for c in cols)))
        for part in self._staged("calls"):
            table = _read_staged(part)
            available = [c for c in cols if c in table.column_names]
            if len(available) == len(cols) and table.num_rows:
                keys.update(zip(*(table.column(c).to_pylist() for c in cols)))
        return keys

    def stored_call_ids(self, call_ids: Optional[Iterable[str]] = None, prefixes: Iterable[str] = ()) -> Set[str]:
        """Ids of the stored (or staged) calls; with ``call_ids`` and ``prefixes``, only those
        among ``call_ids`` or starting with one of ``prefixes`` (reads the call_id column only)."""
        expr = None
        if call_ids is not None:
            expr = pc.is_in(pc.field("call_id"), value_set=pa.array(sorted(set(call_ids)), pa.string()))
            for prefix in set(prefixes):
                expr = expr | pc.starts_with(pc.field("call_id"), pattern=prefix)
        ids: Set[str] = set()
        parts = self.parts("calls")
        if parts:
            ids.update(_scan("calls", parts, ["call_id"], expr).column("call_id").to_pylist())
        for part in self._staged("calls"):
            table = _read_staged(part).select(["call_id"])
            ids.update(table.filter(expr).column("call_id").to_pylist() if expr is not None else table.column("call_id").to_pylist())
        return ids

    # -- writing -----------------------------------------------------------------------------
    def _next_version(self) -> int:
        version = max(time.time_ns(), self._last_version + 1)
        self._last_version = version
        return version

    def stage(self, batch_id: str, tables: Mapping[str, List[Mapping]], writer: Optional[str] = None) -> None:
        """Write one part per non-empty table to staging (durable before the batch ends). Every
        row of the part gets the part's ``version``. Not thread-safe: one writer per store (the
        lock), except ``writer``s: processes that stage into the lock holder's batch under their
        own name (Ray workers), whose parts the commit publishes as that writer's own file of
        the night's partition (``part-BATCH-WRITER-N.parquet``)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        arrow = {name: rows_to_table(name, list(rows)) for name, rows in tables.items() if rows}  # all or nothing
        if not arrow:
            return
        while True:
            self._seq += 1
            part = f"{_UNSAFE.sub('_', batch_id)}-{_UNSAFE.sub('_', writer) + '-' if writer else ''}{self._seq:06d}"
            if not any((self.staging / f"{part}.{name}{suffix}").exists() for name in arrow for suffix in STAGED):
                break
        version = self._next_version()
        meta = {META_VERSION: str(version).encode(), META_PARTITION: _batch_date(batch_id).encode()}
        written = []
        try:
            # the calls table last: a part killed half-way has no calls file, so its calls are not
            # taken for done, and its other rows (published by the next commit) are never read
            for name, table in sorted(arrow.items(), key=lambda item: item[0] == "calls"):
                if VERSION in table.column_names:
                    table = table.drop_columns([VERSION])
                table = table.append_column(VERSION, pa.array([version] * table.num_rows, pa.int64()))
                path = self.staging / f"{part}.{name}.arrow"
                _atomic_ipc(table.replace_schema_metadata(meta), path)
                written.append(path)
        except BaseException:
            for path in written:  # never leave a part with some of its tables
                path.unlink(missing_ok=True)
            raise

    def commit(self) -> int:
        """Publish every staged part into the datasets; returns the staged files published.
        Idempotent; first finishes a commit a killed run left half-done, and migrates a results
        directory of the single-file layout once."""
        self._recover()
        self.migrate()
        if not self.staging.exists():
            return 0
        for stale in self.staging.glob(".*.tmp"):  # a write a killed run did not finish
            stale.unlink(missing_ok=True)
        schemas = self._readable_parts(sorted(f for suffix in STAGED for f in self.staging.glob(f"*{suffix}")))
        files = list(schemas)
        if not files:
            return 0
        by_part: Dict[str, Dict[str, Path]] = {}
        for f in files:
            prefix, table = f.name[: -len(f.suffix)].rsplit(".", 1)
            by_part.setdefault(prefix, {})[table] = f
        targets: Dict[Tuple[str, str, str], dict] = {}
        taken: Dict[Tuple[str, str], Set[str]] = {}
        assigned: Dict[str, int] = {}
        for prefix in sorted(by_part):
            batch = prefix.rsplit("-", 1)[0] if re.search(r"-\d+$", prefix) else prefix
            for name, f in by_part[prefix].items():
                meta = schemas[f].metadata or {}
                if META_VERSION in meta:
                    version = int(meta[META_VERSION])
                else:  # a part staged by an earlier version of analyzer: one version for the whole part
                    if prefix not in assigned:
                        assigned[prefix] = self._next_version()
                    version = assigned[prefix]
                partition = meta[META_PARTITION].decode() if META_PARTITION in meta else _batch_date(batch)
                key = (name, partition, batch)
                if key not in targets:
                    folder = self.dataset_dir(name) / f"{PARTITION}={partition}"
                    used = taken.setdefault((name, partition), {p.name for p in folder.glob("*.parquet")} if folder.is_dir() else set())
                    n = 1
                    while f"part-{batch}-{n}.parquet" in used:
                        n += 1
                    used.add(f"part-{batch}-{n}.parquet")
                    targets[key] = {"table": name, "path": f"{name}/{PARTITION}={partition}/part-{batch}-{n}.parquet", "sources": []}
                targets[key]["sources"].append({"file": f.name, "version": version})
        order = sorted(targets.values(), key=lambda t: (t["table"] == "calls", t["path"]))  # calls last: a part is read once its calls file is there
        manifest = {"state": "publishing", "targets": order, "files": [f.name for f in files]}
        path = self.staging / f"commit-{sorted(by_part)[0]}.json"
        _atomic_text(path, json.dumps(manifest, indent=1))
        self._apply(path, manifest, schemas)
        return len(files)

    def _recover(self) -> None:
        """Finish commits that a killed run left half-done (their manifests)."""
        if not self.staging.exists():
            return
        for path in sorted(self.staging.glob("commit-*.json")):
            try:
                manifest = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.error("unreadable commit manifest %s moved aside", path)
                (self.staging / "unreadable").mkdir(exist_ok=True)
                os.replace(path, self.staging / "unreadable" / path.name)
                continue
            log.info("finishing a commit left by an interrupted run (%s)", path.name)
            self._apply(path, manifest)

    def _apply(self, path: Path, manifest: dict, schemas: Optional[Mapping[Path, pa.Schema]] = None) -> None:
        if manifest["state"] == "publishing":
            for target in manifest["targets"]:
                self._publish(target, schemas or {})
            manifest["state"] = "published"
            _atomic_text(path, json.dumps(manifest, indent=1))
        # the parts are deleted only once every file is in place: a crash above leaves them and
        # the manifest, and the next commit writes the same files again
        for name in manifest["files"]:
            (self.staging / name).unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def _publish(self, target: dict, known: Mapping[Path, pa.Schema]) -> None:
        """Write one published file from its staged parts (temporary file, then rename), in row
        groups of up to ``ROW_GROUP`` rows."""
        import pyarrow.dataset as ds

        name = target["table"]
        sources = [(self.staging / s["file"], s["version"]) for s in target["sources"]]
        missing = [str(p) for p, _ in sources if not p.exists()]
        if missing:
            raise AnalyzerError(f"cannot finish publishing {target['path']}: staged part(s) {', '.join(missing)} are gone")
        schemas = [known.get(p) or _staged_schema(p) for p, _ in sources]
        out_schema = _target_schema(name, schemas, drop=(PARTITION,))
        dest = self.root / target["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        for stale in dest.parent.glob(f".{dest.name}.*.tmp"):  # a killed attempt's
            stale.unlink(missing_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        try:
            if all(VERSION in s.names for s in schemas) and all(p.suffix == ".arrow" for p, _ in sources):
                try:  # every part at once, cast by pyarrow.dataset (threads, no Python per value), streamed
                    scan = ds.dataset([str(p) for p, _ in sources], schema=out_schema, format="ipc")
                    with pq.ParquetWriter(tmp, out_schema, compression="zstd") as writer:
                        buffer = _RowGroups(writer)
                        for batch in scan.to_batches():
                            buffer.add(pa.Table.from_batches([batch], schema=out_schema))
                        buffer.flush()
                    os.replace(tmp, dest)
                    return
                except _ARROW_ERRORS:
                    tmp.unlink(missing_ok=True)  # values a cast cannot convert: part by part below
            with pq.ParquetWriter(tmp, out_schema, compression="zstd") as writer:
                buffer = _RowGroups(writer)
                for source, version in sources:  # parts staged by an earlier version, or values that need converting
                    table = _read_staged(source)
                    if VERSION not in table.column_names:
                        table = table.append_column(VERSION, pa.array([version] * table.num_rows, pa.int64()))
                    buffer.add(_conform(table, out_schema))
                buffer.flush()
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _readable_parts(self, files: List[Path]) -> Dict[Path, pa.Schema]:
        """The schemas of the staged parts that can be read; a part that cannot (a damaged disk,
        a foreign file) is moved to ``.staging/unreadable/`` with the other tables of its batch
        part, so it can be inspected but never blocks later commits."""
        bad, schemas = set(), {}
        for f in files:
            try:
                schemas[f] = _staged_schema(f)
            except Exception:  # noqa: BLE001 - pyarrow raises several types for damaged files
                bad.add(f.name.split(".")[0])
        if not bad:
            return schemas
        aside = self.staging / "unreadable"
        aside.mkdir(exist_ok=True)
        for f in files:
            if f.name.split(".")[0] in bad:
                os.replace(f, aside / f.name)
        log.error("moved unreadable staged part(s) %s to %s", ", ".join(sorted(bad)), aside)
        return {f: s for f, s in schemas.items() if f.name.split(".")[0] not in bad}

    def write_table(self, name: str, table: pa.Table) -> None:
        """Replace a derived table (aggregates) atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        _atomic_write(table, self.path(name))

    def write_json(self, name: str, data: object) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        _atomic_text(path, json.dumps(data, indent=2, default=str))
        return path

    def staged_calls(self, batch_id: str) -> Dict[str, float]:
        """The calls of batch ``batch_id`` staged and not yet committed, by any writer (the
        driver or its Ray workers): call_id -> duration_s. A staged part's calls file is written
        last, so a call listed here has all of its rows staged. Unreadable files (a write being
        made now) are left out."""
        prefix = f"{_UNSAFE.sub('_', batch_id)}-"
        found: Dict[str, float] = {}
        for path in self._staged("calls"):
            if not path.name.startswith(prefix):
                continue
            try:
                table = _read_staged(path).select([_C.call_id, _C.duration_s])
            except (OSError, pa.ArrowException):
                continue
            found.update(zip(table.column(0).to_pylist(), (float(d or 0.0) for d in table.column(1).to_pylist())))
        return found

    def _staged(self, name: str) -> List[Path]:
        if not self.staging.exists():
            return []
        return sorted(f for suffix in STAGED for f in self.staging.glob(f"*.{name}{suffix}"))

    # -- migration ---------------------------------------------------------------------------
    def migrate(self) -> bool:
        """Rewrite the tables of the single-file layout of earlier versions (``calls.parquet``,
        ``utterances.parquet``...) as partitioned datasets, once; the old files are moved to
        ``single-file-layout-backup/``. Safe to interrupt: a killed migration is redone whole by
        the next writer (the same file names), and a reader in between sees each call once."""
        legacy = [n for n in DATASETS if self.path(n).is_file()]
        if not legacy:
            return False
        backup = self.root / BACKUP_DIR
        source = {n: self.path(n) if self.path(n).is_file() else backup / f"{n}.parquet" for n in DATASETS}
        log.warning("%s: migrating the single-file layout of earlier versions (%s) to partitioned datasets, once; the old files "
                    "are kept in %s (delete them when satisfied)", self.root, ", ".join(f"{n}.parquet" for n in legacy), backup)
        base = self._next_version()
        calls = pq.read_table(source["calls"]) if source["calls"].is_file() else None
        dates = _legacy_call_dates(calls)
        index = {d: i for i, d in enumerate(sorted(set(dates.column(PARTITION).to_pylist())))} if dates is not None else {}
        plan = []
        for name in ("utterances", "behaviours", "failures", "batches", "calls"):  # calls last
            if source[name].is_file():
                plan.append(name)
        for name in plan:
            table = calls if name == "calls" else pq.read_table(source[name])
            table = _legacy_partitions(name, table, dates)
            if VERSION in table.column_names:
                table = table.drop_columns([VERSION])
            partitions = table.column(PARTITION).to_pylist()
            for value in sorted(set(partitions)):
                rows = table.filter(pc.equal(table.column(PARTITION), value))
                version = base + index.get(value, len(index) + 1)
                rows = rows.drop_columns([PARTITION]).append_column(VERSION, pa.array([version] * rows.num_rows, pa.int64()))
                out_schema = _target_schema(name, [rows.schema], drop=(PARTITION,))
                _atomic_write(_conform(rows, out_schema), self.dataset_dir(name) / f"{PARTITION}={value}" / "part-migrated-1.parquet")
        backup.mkdir(exist_ok=True)
        for name in plan:
            if self.path(name).is_file():
                os.replace(self.path(name), backup / f"{name}.parquet")
        return True

    # -- compaction --------------------------------------------------------------------------
    def compact(self) -> CompactSummary:
        """Rewrite every partition holding rows no read returns (earlier versions of calls
        processed again, a batch's superseded log rows) or more than one file, as one file
        without them. Reads before and after are the same. Takes the lock unless this store
        holds it; safe to interrupt (the new file names the files it replaces, which readers
        then skip, and the next compact removes)."""
        started = time.perf_counter()
        own = self._lock is None
        if own:
            self.lock()
        try:
            self.commit()
            self._remove_replaced()
            latest = self.latest()
            before = after = rewritten = dropped = 0
            newest_log = {name: _newest_per_batch(self, name) for name in APPEND_ONLY}
            for name in DATASETS:
                by_partition: Dict[str, List[Part]] = {}
                for part in self.parts(name):
                    by_partition.setdefault(part.partition, []).append(part)
                for partition, parts in by_partition.items():
                    before += len(parts)
                    masks = []
                    for part in parts:
                        keys = pq.read_table(part.path, columns=["call_id" if name in CALL_KEYED else "batch_id", VERSION])
                        masks.append(_keep_mask(name, keys, latest, newest_log.get(name)))
                    n_drop = sum(len(m) - pc.sum(m).as_py() if len(m) else 0 for m in masks)
                    if len(parts) == 1 and n_drop == 0:
                        after += 1
                        continue
                    dropped += n_drop
                    rewritten += 1
                    kept = self._rewrite(name, partition, parts, masks)
                    after += kept
            summary = CompactSummary(rewritten, before, after, dropped, time.perf_counter() - started)
            log.info(summary.line())
            return summary
        finally:
            if own:
                self.unlock()

    def _rewrite(self, name: str, partition: str, parts: List[Part], masks: List[pa.Array]) -> int:
        schemas = [pq.read_schema(p.path) for p in parts]
        out_schema = _target_schema(name, schemas, drop=(PARTITION,))
        total = sum(pc.sum(m).as_py() or 0 for m in masks)
        folder = self.dataset_dir(name) / f"{PARTITION}={partition}"
        replaced = [p.path.name for p in parts]
        if total:
            dest = folder / f"part-compact-{self._next_version()}.parquet"
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            out_schema = out_schema.with_metadata({META_REPLACES: json.dumps(replaced).encode()})
            try:
                with pq.ParquetWriter(tmp, out_schema, compression="zstd") as writer:
                    buffer = _RowGroups(writer)
                    for part, mask in zip(parts, masks):
                        offset = 0
                        for batch in pq.ParquetFile(part.path).iter_batches(batch_size=65536):
                            table = pa.Table.from_batches([batch]).filter(mask.slice(offset, batch.num_rows))
                            offset += batch.num_rows
                            if table.num_rows:
                                buffer.add(_conform(table, out_schema))
                    buffer.flush()
                os.replace(tmp, dest)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        for part in parts:
            part.path.unlink(missing_ok=True)
        return 1 if total else 0

    def _remove_replaced(self) -> None:
        """Delete files that a compacted file replaces (left by a compact that was killed)."""
        for name in DATASETS:
            folder = self.dataset_dir(name)
            if not folder.is_dir():
                continue
            for pdir in folder.iterdir():
                if pdir.is_dir():
                    files = sorted(f for f in pdir.iterdir() if f.suffix == ".parquet" and not f.name.startswith((".", "_")))
                    keep = set(_without_replaced(files))
                    for f in files:
                        if f not in keep:
                            f.unlink(missing_ok=True)
                    for f in pdir.glob(".*.tmp"):
                        f.unlink(missing_ok=True)


# -- reading helpers --------------------------------------------------------------------------------


class CallKeys:
    """Which calls to read, each at one version (:meth:`ResultsStore.iter_call_rows`):
    ``call_ids`` and their ``versions`` (an id given twice: the first one's). ``codes`` maps a
    column of call ids to positions in ``call_ids`` (-1 for other calls).

    Called once per file read, so lookups run in numpy rather than per id in Python: each id
    becomes a row of 64-bit words (:func:`_id_words`) and a hash of them; the calls are sorted by
    hash once, and a file's ids are found by binary search on the hash, once per run of equal ids
    (a file holds a call's rows together), then checked word for word. A dict lookup per distinct
    id of every file cost 3-4 s over the ~3M such ids of a million-call aggregate, this ~1 s (a
    pandas index of the ids took 80 ms a file when they were sorted)."""

    def __init__(self, call_ids, versions):
        import numpy as np

        ids = _id_array(call_ids)
        versions = np.asarray(versions, dtype=np.int64)
        self._width = int(pc.max(pc.binary_length(ids)).as_py() or 0) if ids.null_count < len(ids) else 0
        words = _id_words(ids, self._width)
        hashes = _id_hash(words)
        order = np.argsort(hashes, kind="stable")
        if len(order) > 1 and (hashes[order[1:]] == hashes[order[:-1]]).any():  # an id given twice (or two ids, one hash)
            order = np.lexsort(tuple(words[:, j] for j in range(words.shape[1] - 1, -1, -1)) + (hashes,))  # equal ids together
        words, hashes = words[order], hashes[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (words[1:] != words[:-1]).any(axis=1)  # the first of each id (both sorts are stable: the first given)
        kept = np.sort(order[first])  # positions of the ids kept, in the given order
        position = np.empty(len(order), dtype=np.int64)
        position[kept] = np.arange(len(kept))
        self.versions = versions[kept]
        self._size = len(kept)
        named = first & ids.is_valid().to_numpy(zero_copy_only=False)[order]  # a missing id keeps a position, never matches
        self._words, self._hashes, self._position = words[named], hashes[named], position[order[named]]

    def __len__(self) -> int:
        return self._size

    def codes(self, call_ids) -> "object":
        import numpy as np

        ids = _id_array(call_ids)
        n = len(ids)
        if n == 0 or len(self._hashes) == 0:
            return np.full(n, -1, dtype=np.int64)
        change = pc.fill_null(pc.not_equal(ids.slice(1), ids.slice(0, n - 1)), True).to_numpy(zero_copy_only=False)
        heads = np.flatnonzero(np.append(True, change))  # the first row of each run of one id
        words = _id_words(ids.take(pa.array(heads)), self._width)
        hashes = _id_hash(words)
        by_hash = np.argsort(hashes)
        at = np.empty(len(heads), dtype=np.int64)
        at[by_hash] = np.searchsorted(self._hashes, hashes[by_hash])  # searched in order: fewer cache misses
        code = np.full(len(heads), -1, dtype=np.int64)
        pending = np.arange(len(heads))
        while len(pending):  # the first call of the same hash, then the next (two ids of one hash: rare)
            where = at[pending]
            inside = where < len(self._hashes)
            pending, where = pending[inside], where[inside]
            same = self._hashes[where] == hashes[pending]
            pending, where = pending[same], where[same]
            equal = (self._words[where] == words[pending]).all(axis=1)
            code[pending[equal]] = self._position[where[equal]]
            pending = pending[~equal]
            at[pending] += 1
        return np.repeat(code, np.diff(np.append(heads, n)))


_ID_TYPES = (pa.string(), pa.large_string(), pa.binary(), pa.large_binary())
#: the length :func:`_id_words` gives a missing id: no id has it, so a missing id matches no call
_MISSING_LENGTH = 0xFFFFFFFF


def _id_array(values) -> pa.Array:
    """Call ids as one Arrow text (or binary) array, whatever they came as."""
    import numpy as np

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not isinstance(values, pa.Array):
        values = pa.array(np.asarray(values, dtype=object), pa.string())
    if values.type not in _ID_TYPES:
        values = values.cast(pa.large_string())
    return values


def _id_words(values: pa.Array, width: int) -> "object":
    """Each id as a row of 64-bit words (numpy uint64): its first ``width`` bytes, zero-padded,
    then its length (``_MISSING_LENGTH`` when missing). Two ids of at most ``width`` bytes get the
    same words exactly when they are equal (the length tells "a" from "a\\0"); a longer id
    matches none of them. Made from the Arrow buffers, with no Python object per id."""
    import numpy as np

    n = len(values)
    large = values.type in (pa.large_string(), pa.large_binary())
    _, offsets_buffer, data_buffer = values.buffers()[:3]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if large else np.int32)[values.offset:values.offset + n + 1].astype(np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, dtype=np.uint8)
    length = np.diff(offsets)
    if values.null_count:
        length[~values.is_valid().to_numpy(zero_copy_only=False)] = -1
    out = np.zeros((n, (width + 4 + 7) // 8 * 8), dtype=np.uint8)
    if n and (length == width).all():  # every id of the full width (ids of one format): one block of bytes
        out[:, :width] = data[offsets[0]:offsets[0] + n * width].reshape(n, width)
    else:  # byte by byte: memory for one byte of every id at a time, not for all their bytes
        for j in range(width):
            has = length > j
            out[has, j] = data[offsets[:-1][has] + j]
    out[:, width:width + 4] = np.where(length >= 0, length, _MISSING_LENGTH).astype("<u4").view(np.uint8).reshape(n, 4)
    return out.view(np.uint64)


def _id_hash(words) -> "object":
    """A 64-bit hash of each row of :func:`_id_words` (FNV-style multiply, then an xor-shift so
    every bit mixes): equal ids, equal hashes; two ids of one hash only cost a second comparison."""
    import numpy as np

    h = np.full(len(words), 0xCBF29CE484222325, dtype=np.uint64)
    for j in range(words.shape[1]):
        h ^= words[:, j]
        h *= np.uint64(0x100000001B3)
        h ^= h >> np.uint64(29)
    return h


#: rows per row group of a published or compacted file
ROW_GROUP = 131072


class _RowGroups:
    """Collects small tables and writes them as row groups of up to ``ROW_GROUP`` rows (a night
    staged every 10 calls would otherwise be hundreds of tiny row groups)."""

    def __init__(self, writer):
        self.writer, self.tables, self.rows = writer, [], 0

    def add(self, table: pa.Table) -> None:
        self.tables.append(table)
        self.rows += table.num_rows
        if self.rows >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.tables:
            self.writer.write_table(pa.concat_tables(self.tables), row_group_size=ROW_GROUP)
            self.tables, self.rows = [], 0


def _flat(array) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _without_replaced(files: List[Path]) -> List[Path]:
    replaced: Set[str] = set()
    for f in files:
        if f.name.startswith("part-compact-"):
            try:
                meta = pq.read_schema(f).metadata or {}
            except Exception:  # noqa: BLE001 - an unreadable file is reported by the scan
                continue
            if META_REPLACES in meta:
                replaced.update(json.loads(meta[META_REPLACES]))
    return [f for f in files if f.name not in replaced]


def _scan(name: str, parts: List[Part], columns: Optional[List[str]], expr, exclude: Sequence[str] = ()) -> pa.Table:
    """Read parts into one table with one type per column: the declared type, else a common
    type, else text (a column that was a number one night and text the next). Uses
    pyarrow.dataset (partition pruning, column selection, filter pushdown); falls back to
    reading file by file where a file's values need converting that a cast cannot."""
    import pyarrow.dataset as ds

    schemas = [pq.read_schema(p.path) for p in parts]
    target = _target_schema(name, schemas, columns=columns, drop=exclude, partition=True)
    datasets = [p for p in parts if not p.legacy]
    tables = []
    if datasets:
        base = datasets[0].path.parent.parent
        try:
            dataset = ds.dataset([str(p.path) for p in datasets], schema=target, format="parquet",
                                 partitioning=ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive"),
                                 partition_base_dir=str(base))
            tables.append(dataset.to_table(columns=target.names, filter=expr))
        except _ARROW_ERRORS:
            for part in datasets:
                tables.append(_read_one(part, target, expr))
    for part in parts:
        if part.legacy:
            tables.append(_read_one(part, target, expr))
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    if VERSION in table.column_names and table.column(VERSION).null_count:
        table = table.set_column(table.schema.get_field_index(VERSION), VERSION, pc.fill_null(table.column(VERSION), 0))
    return table


def _read_ahead(parts: Sequence[Part], target: pa.Schema) -> Iterable[Tuple[Part, pa.Table]]:
    """Each part and its table (as :func:`_read_one`), in order, the next part read on a worker
    thread while the caller works on this one: reading and decoding a file (in Arrow, without
    the GIL) overlaps the caller's Python and numpy work on the file before, on another core.
    Holds one file more in memory; the thread ends with the iteration, also when it stops early."""
    from concurrent.futures import ThreadPoolExecutor

    if len(parts) < 2:
        for part in parts:
            yield part, _read_one(part, target, None)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="analyzer-read") as pool:
        pending = pool.submit(_read_one, parts[0], target, None)
        for i, part in enumerate(parts):
            table = pending.result()
            pending = pool.submit(_read_one, parts[i + 1], target, None) if i + 1 < len(parts) else None
            yield part, table
            del table


def _read_one(part: Part, target: pa.Schema, expr) -> pa.Table:
    present = set(pq.read_schema(part.path).names)
    table = pq.read_table(part.path, columns=[c for c in target.names if c in present])
    if part.partition is not None:
        if PARTITION in table.column_names:
            table = table.drop_columns([PARTITION])
        if PARTITION in target.names:
            table = table.append_column(PARTITION, pa.array([part.partition] * table.num_rows, pa.string()))
    table = _conform(table, target)
    return table.filter(expr) if expr is not None else table


def _target_schema(name: str, schemas: Sequence[pa.Schema], columns: Optional[Sequence[str]] = None,
                   drop: Sequence[str] = (), partition: bool = False) -> pa.Schema:
    """One type per column across files: the declared type (``analyzer/schema.py``), else the
    common type of the files, else text."""
    found: Dict[str, List[pa.DataType]] = {}
    for s in schemas:
        for f in s:
            found.setdefault(f.name, []).append(f.type)
    if name in DATASETS:
        found.setdefault(VERSION, [pa.int64()])
        if partition:
            found.setdefault(PARTITION, [pa.string()])
    names = [c for c in (columns if columns is not None else found) if c in found and c not in drop]
    fields = []
    for column in names:
        declared = _declared(name, column)
        if column == PARTITION:
            declared = pa.string()
        if declared is not None:
            fields.append(pa.field(column, declared))
            continue
        types = [t for t in found[column] if not pa.types.is_null(t)]
        if not types:
            fields.append(pa.field(column, pa.null()))
            continue
        try:
            typ = pa.unify_schemas([pa.schema([(column, t)]) for t in types], promote_options="permissive").field(column).type
        except _ARROW_ERRORS:
            typ = pa.string()
        fields.append(pa.field(column, typ))
    return pa.schema(fields)


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """``table`` with exactly ``target``'s columns and types: missing columns are blank; a value
    that cannot be cast is converted to text where the column is text, else left blank."""
    columns = []
    for f in target:
        if f.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, type=f.type))
            continue
        column = table.column(f.name)
        if column.type == f.type:
            columns.append(column)
            continue
        try:
            columns.append(column.cast(f.type))
        except _ARROW_ERRORS:
            text = pa.array([_as_text(v) for v in column.to_pylist()], type=pa.string())
            try:
                columns.append(text.cast(f.type) if f.type != pa.string() else text)
            except _ARROW_ERRORS:
                columns.append(pa.nulls(len(column), type=f.type))  # a declared column: values that cannot be its type are blank
    return pa.Table.from_arrays(columns, schema=target)


def _latest_per_batch(table: pa.Table) -> pa.Table:
    """Log rows of the latest part of each batch (a batch records its failures and its row again
    when a batch stage fails)."""
    if table.num_rows == 0 or "batch_id" not in table.column_names:
        return table
    batch = pc.fill_null(table.column("batch_id"), "")
    grouped = pa.table({"batch_id": batch, VERSION: table.column(VERSION)}).group_by("batch_id").aggregate([(VERSION, "max")])
    if grouped.num_rows == table.num_rows:
        return table
    newest = pc.take(grouped.column(f"{VERSION}_max"), pc.index_in(batch, value_set=grouped.column("batch_id")))
    return table.filter(pc.equal(table.column(VERSION), newest))


def _newest_per_batch(store: ResultsStore, name: str) -> Optional[pa.Table]:
    parts = store.parts(name)
    if not parts:
        return None
    table = _scan(name, parts, ["batch_id", VERSION], None)
    batch = pc.fill_null(table.column("batch_id"), "")
    return pa.table({"batch_id": batch, VERSION: table.column(VERSION)}).group_by("batch_id").aggregate([(VERSION, "max")])


def _keep_mask(name: str, keys: pa.Table, latest: Latest, newest: Optional[pa.Table]) -> pa.Array:
    """Which rows of a file a read returns (what compact keeps)."""
    version = pc.fill_null(keys.column(VERSION), 0)
    if name in CALL_KEYED:
        keep = pc.fill_null(pc.is_in(version, value_set=latest.versions), False)
        if len(latest.multi_ids):
            idx = pc.index_in(keys.column("call_id"), value_set=latest.multi_ids)
            keep = pc.and_(keep, pc.fill_null(pc.or_kleene(pc.is_null(idx), pc.equal(version, pc.take(latest.multi_latest, idx))), False))
        return _flat(keep)
    batch = pc.fill_null(keys.column("batch_id"), "")
    best = pc.take(newest.column(f"{VERSION}_max"), pc.index_in(batch, value_set=newest.column("batch_id")))
    return _flat(pc.fill_null(pc.equal(version, best), False))


def _window_mask(dates, since: Optional[str], until: Optional[str]):
    mask = pc.is_valid(dates)
    if since is not None:
        mask = pc.and_(mask, pc.greater_equal(dates, since))
    if until is not None:
        mask = pc.and_(mask, pc.less_equal(dates, until))
    return pc.fill_null(mask, False)


# -- single-file layout -------------------------------------------------------------------------


def _legacy_call_dates(calls: Optional[pa.Table]) -> Optional[pa.Table]:
    """call_id -> partition of the calls of a single-file-layout store."""
    if calls is None:
        return None
    dates = calls.column(PARTITION) if PARTITION in calls.column_names else pa.nulls(calls.num_rows, pa.string())
    dates = pc.fill_null(pc.cast(dates, pa.string()), "1970-01-01")
    return pa.table({"call_id": calls.column("call_id"), PARTITION: dates})


def _legacy_partitions(name: str, table: pa.Table, dates: Optional[pa.Table]) -> pa.Table:
    """A single-file-layout table with a partition column: the call's (call-keyed tables; rows of
    calls no longer stored are dropped), the batch's date (logs)."""
    if PARTITION in table.column_names and name != "calls":
        table = table.drop_columns([PARTITION])
    if name == "calls":
        return table.drop_columns([PARTITION]).append_column(PARTITION, dates.column(PARTITION)) if PARTITION in table.column_names \
            else table.append_column(PARTITION, dates.column(PARTITION))
    if name in CALL_KEYED:
        if dates is None:
            return table.append_column(PARTITION, pa.nulls(table.num_rows, pa.string())).filter(pa.array([False] * table.num_rows))
        idx = pc.index_in(table.column("call_id"), value_set=dates.column("call_id"))
        table = table.append_column(PARTITION, pc.take(dates.column(PARTITION), idx))
        return table.filter(pc.is_valid(idx))
    batch = table.column("batch_id").to_pylist() if "batch_id" in table.column_names else [None] * table.num_rows
    return table.append_column(PARTITION, pa.array([_batch_date(b or "") for b in batch], pa.string()))


# -- writing helpers --------------------------------------------------------------------------------


def _batch_date(batch_id: str) -> str:
    """The UTC date of a batch from its id (``20261127T020000-1a2b3c``), else today's."""
    match = _BATCH_DATE.match(batch_id)
    if match:
        return "-".join(match.groups())
    return datetime.now(timezone.utc).date().isoformat()


def _atomic_write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _atomic_ipc(table: pa.Table, path: Path) -> None:
    import pyarrow.ipc as ipc

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: staged parts: Arrow IPC files (cheap to write every few calls and to read back at the commit);
#: ``.parquet`` parts left by earlier versions of analyzer are published the same way
STAGED = (".arrow", ".parquet")


def _staged_schema(path: Path) -> pa.Schema:
    if path.suffix == ".arrow":
        import pyarrow.ipc as ipc

        with pa.OSFile(str(path), "rb") as source:
            return ipc.open_file(source).schema
    return pq.read_schema(path)


def _read_staged(path: Path) -> pa.Table:
    if path.suffix == ".arrow":
        import pyarrow.ipc as ipc

        with pa.OSFile(str(path), "rb") as source:
            return ipc.open_file(source).read_all()
    return pq.read_table(path)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def compact(results_dir: Union[str, Path]) -> CompactSummary:
    """``analyzer compact``: rewrite a results directory's partitions without superseded rows
    (see :meth:`ResultsStore.compact`)."""
    root = Path(results_dir)
    if not root.is_dir():
        raise AnalyzerError(f"{root}: no such results directory")
    return ResultsStore(root).compact()
