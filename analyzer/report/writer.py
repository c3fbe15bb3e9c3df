"""``write_report``: the team report, agent scorecards and call pages from a results directory,
plus CSV exports of the agent table and coaching list for BI tools.

The report is incremental: a call's page is written once per stored version of the call (when
the call is new or processed again), and kept; the team report, the scorecards and the CSV
exports are rewritten each time. What ``calls/`` holds is recorded in ``.analyzer-pages/`` (for
each stored calls file the report has covered, the calls and versions its pages show), so a
report's cost follows the night and the team, not the history (see the README's "Report").
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Tuple, Union

import numpy as np

from ..results import behaviour_catalog, load_results
from ..schema import CALLS, PARTITION, VERSION
from ..store import Part, ResultsStore
from ..variability.coaching import SITUATIONS
from ..variability.spreads import SCALES
from . import charts, svg
from .templates import environment

log = logging.getLogger("analyzer")
TREND_COLUMNS = {"aht": "AHT (s)", "csat": "CSAT (1-5)", "sentiment": "end sentiment (0-100)"}
KPI_NAMES = {"sentiment_end": "End-of-call customer sentiment (0-100)", "csat": "CSAT (1-5)", "satisfied": "% satisfied (CSAT 4-5)", "aht_s": "AHT (seconds)"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
#: calls listed on a scorecard: the agent's most recent (every call keeps its page)
SCORECARD_CALLS = 100
#: calls whose pages are read and written together (bounds the memory a night's pages take)
PAGE_CHUNK = 2000


def page_name(identifier: str) -> str:
    """A safe file name for an agent or call id (ids are untrusted input)."""
    text = str(identifier)
    safe = _SAFE.sub("_", text)[:80]
    if safe != text:
        safe += "-" + hashlib.sha1(text.encode()).hexdigest()[:8]
    return safe + ".html"  # only URL-safe characters: usable as a file name and a link


def _num(value, digits: int = 1, suffix: str = "") -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(value):
        return "n/a"
    return f"{value:,.{digits}f}{suffix}"


def _scaled(value, scale: float):
    """``value * scale``, or None when there is no value (a number withheld or not computed)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value * scale if math.isfinite(value) else None


def _ci(entry: Optional[dict], digits: int = 1, suffix: str = "", pct_points: bool = False) -> str:
    if not entry or entry.get("value") is None:
        return "n/a"
    scale = 100 if pct_points else 1
    text = _num(entry["value"] * scale, digits, suffix)
    if entry.get("low") is not None and entry.get("high") is not None:
        text += f" ({_num(entry['low'] * scale, digits)} to {_num(entry['high'] * scale, digits)})"
    return text


#: what ``write_report`` writes into a report folder; a folder holding anything else is not
#: one it made, and is never replaced or deleted
MARKER = ".analyzer-report"
STATE_DIR = ".analyzer-pages"
REPORT_ENTRIES = {"index.html", "agents", "calls", "agents.csv", "coaching.csv", MARKER, STATE_DIR}
#: rewritten by every report, built in a temporary folder and moved in together (agents/ before
#: index.html, so the new index never links to a scorecard that is not there yet)
TEAM_ENTRIES = ("agents.csv", "coaching.csv", "agents", "index.html")
#: a call page being written (``calls/.tmp-<pid>-<page>``), renamed over the page when complete
_UNFINISHED = re.compile(r"^\.tmp-\d+-.+\.html$")


@dataclass(frozen=True)
class ReportSummary:
    """What one ``write_report`` did (logged; ``scripts/benchmark_report.py`` reads it)."""

    mode: str  # "full": the whole report built anew; "incremental": call pages kept
    pages_written: int
    pages_removed: int
    call_pages_s: float
    scorecards: int
    team_s: float  # reading the team's calls, the index, the scorecards and the CSV exports
    total_s: float

    def line(self) -> str:
        return (f"report ({self.mode}): {self.pages_written} call page(s) written, {self.pages_removed} removed in {self.call_pages_s:.1f} s; "
                f"index and {self.scorecards} scorecard(s) in {self.team_s:.1f} s; {self.total_s:.1f} s in all")


#: the last report's summary in this process (for benchmarks and the CLI)
last_summary: Optional[ReportSummary] = None


def write_report(results_dir: Union[str, Path], out_dir: Optional[Union[str, Path]] = None, max_call_pages: Optional[int] = None,
                 rebuild: bool = False) -> Path:
    """Write ``report/`` (default inside ``results_dir``); returns the path of ``index.html``.

    ``out_dir`` may be new, empty, or a report this function wrote before; any other folder is
    refused with :class:`~analyzer.errors.AnalyzerError`: nothing the tool did not create is ever
    deleted. Over a report it wrote before from the same results, the call pages are kept and only
    the pages of calls stored (or processed again) since are written, each under a temporary name
    then renamed; pages of calls no longer stored are removed. The team report, the scorecards and
    the CSV exports are built in a new temporary folder next to ``out_dir`` and moved in when
    complete, so a failure leaves the previous ones and no half-written page. A new folder (or
    ``rebuild``, or ``max_call_pages``: at most that many call pages, for a quick look) gets the
    whole report built in the temporary folder and swapped in.
    """
    import tempfile

    global last_summary
    started = time.perf_counter()
    root = Path(results_dir)
    out = Path(out_dir) if out_dir is not None else root / "report"
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    store = ResultsStore(root)
    env = environment()
    state = None if rebuild or max_call_pages is not None else PageState.existing(out, root)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        team = Report(store, env)
        if state is None:  # everything anew, in the temporary folder, swapped in whole
            (tmp / "calls").mkdir()
            state = PageState.create(tmp, out, root)
            pages = CallPages(store, env, tmp / "calls", state, team, limit=max_call_pages).update(full=True)
            if max_call_pages is not None:  # not every call has its page: the next report starts anew
                shutil.rmtree(tmp / STATE_DIR)
            n_scorecards = team.write(tmp, state.agents)
            (tmp / MARKER).write_text("written by analyzer write_report; this folder is replaced on the next report\n", encoding="utf-8")
            _swap_in(tmp, out)
            mode = "full"
        else:
            _remove_unfinished_pages(out / "calls")
            pages = CallPages(store, env, out / "calls", state, team).update(full=False)
            n_scorecards = team.write(tmp, state.agents)
            _swap_team(tmp, out)
            tmp.rmdir()
            mode = "incremental"
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # ours: created above
        raise
    total = time.perf_counter() - started
    last_summary = ReportSummary(mode, pages.written, pages.removed, pages.seconds, n_scorecards, total - pages.seconds, total)
    log.info("%s; written to %s", last_summary.line(), out / "index.html")
    return out / "index.html"


def _check_replaceable(out: Path) -> None:
    from ..errors import AnalyzerError

    if not out.exists():
        return
    if not out.is_dir():
        raise AnalyzerError(f"{out}: exists and is not a folder; choose a new or empty folder for the report")
    entries = {p.name for p in out.iterdir()}
    if not entries:
        return
    ours = MARKER in entries or {"index.html", "agents", "calls"} <= entries  # this report, or one from before the marker
    foreign = sorted(entries - REPORT_ENTRIES)
    for folder in ("agents", "calls"):
        if (out / folder).is_dir():
            foreign += [f"{folder}/{p.name}" for p in (out / folder).iterdir() if not (p.is_file() and p.suffix == ".html")]
        elif (out / folder).exists():
            foreign.append(folder)
    if (out / STATE_DIR).exists() and not (out / STATE_DIR).is_dir():
        foreign.append(STATE_DIR)
    if not ours or foreign:
        shown = ", ".join((foreign or sorted(entries))[:3])
        raise AnalyzerError(f"{out}: the folder holds files analyzer did not write ({shown}); the report is only written to a new "
                            "or empty folder, or over a report it wrote before, so nothing was changed")


def _swap_in(tmp: Path, out: Path) -> None:
    """Put the finished report at ``out``: the previous report (checked above to be ours, or an
    empty folder) is moved aside first and removed only once the new one is in place."""
    import tempfile

    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old is not None:
            os.replace(old / out.name, out)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _swap_team(tmp: Path, out: Path) -> None:
    """Move the new team report, scorecards and exports from ``tmp`` into ``out`` (the previous
    ones aside first, removed once all are in place; put back if a move fails)."""
    import tempfile

    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    done: List[Tuple[str, bool]] = []
    try:
        for name in TEAM_ENTRIES:
            if not (tmp / name).exists():
                continue
            had = (out / name).exists()
            if had:
                os.replace(out / name, old / name)
            done.append((name, had))
            os.replace(tmp / name, out / name)
    except BaseException:
        for name, had in reversed(done):
            if (out / name).exists() and not (tmp / name).exists():
                os.replace(out / name, tmp / name)
            if had:
                os.replace(old / name, out / name)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_unfinished_pages(calls_dir: Path) -> None:
    """Call pages a killed report was writing (its temporary names)."""
    if calls_dir.is_dir():
        for path in calls_dir.iterdir():
            if _UNFINISHED.match(path.name):
                path.unlink(missing_ok=True)


def _write_page(folder: Path, name: str, text: str) -> None:
    """Write a call page under a temporary name, then rename it over the page: a reader sees the
    old page or the new one, never a part."""
    tmp = folder / f".tmp-{os.getpid()}-{name}"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- what calls/ holds ----------------------------------------------------------------------------


class PageState:
    """What a report's ``calls/`` holds, in ``<report>/.analyzer-pages/``: for each stored calls
    file the report has covered, one small Parquet file with the (call_id, version, agent_id) of
    its rows (``<partition>__<file name>.parquet``), and ``state.json`` (which results directory,
    the page format, the agents that have call pages). A calls file not covered yet holds new or
    reprocessed calls; a covered file no longer stored (deleted, or compacted into another) says
    which pages to check."""

    #: bumped when call pages change in a way that needs every page rewritten (links, anchors)
    FORMAT = 1

    def __init__(self, folder: Path, relative_root: str):
        self.folder = folder
        self.relative_root = relative_root
        self.agents: Set[str] = set()

    @staticmethod
    def _relative(out: Path, root: Path) -> str:
        return os.path.relpath(Path(root).resolve(), Path(out).resolve())

    @classmethod
    def existing(cls, out: Path, root: Path) -> Optional["PageState"]:
        """The state of the report at ``out`` if it was written from ``root`` in this format."""
        try:
            data = json.loads((out / STATE_DIR / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (out / "calls").is_dir() or not isinstance(data, dict):
            return None
        if data.get("format") != cls.FORMAT or data.get("results") != cls._relative(out, root):
            return None
        state = cls(out / STATE_DIR, data["results"])
        state.agents = {str(a) for a in data.get("agents", [])}
        return state

    @classmethod
    def create(cls, folder: Path, out: Path, root: Path) -> "PageState":
        """An empty state in ``folder`` (a temporary folder to become ``out``)."""
        (folder / STATE_DIR).mkdir()
        return cls(folder / STATE_DIR, cls._relative(out, root))

    @staticmethod
    def key(part: Part) -> str:
        return f"{part.partition or '-'}/{part.path.name}"

    def _file(self, key: str) -> Path:
        return self.folder / key.replace("/", "__", 1)  # the calls file's own name: *.parquet

    def keys(self) -> Set[str]:
        return {path.name.replace("__", "/", 1) for path in self.folder.glob("*__*.parquet") if not path.name.startswith(".")}

    def read(self, key: str):
        import pyarrow.parquet as pq

        return pq.read_table(self._file(key))

    def write(self, key: str, table) -> None:
        import pyarrow.parquet as pq

        path = self._file(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)

    def remove(self, key: str) -> None:
        self._file(key).unlink(missing_ok=True)

    def save(self) -> None:
        path = self.folder / "state.json"
        tmp = path.with_name(f".state.json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"format": self.FORMAT, "results": self.relative_root, "agents": sorted(self.agents)}), encoding="utf-8")
        os.replace(tmp, path)


@dataclass(frozen=True)
class PagesSummary:
    written: int
    removed: int
    seconds: float


#: the columns a call page shows
_UTTERANCE_COLUMNS = ["call_id", "utterance_index", "speaker", "start_s", "end_s", "text", "sentiment_label", "sentiment_index", "words", VERSION]
_BEHAVIOUR_COLUMNS = ["call_id", "utterance_index", "behaviour_id", "time_s", VERSION]


class CallPages:
    """Keeps ``calls/`` in step with the store: one page per stored call, showing its latest
    version. Only calls files the report has not covered are read (their calls are new or
    processed again); pages are read and written in chunks of :data:`PAGE_CHUNK` calls of one
    partition, each chunk's rows found by the versions' row-group statistics."""

    def __init__(self, store: ResultsStore, env, folder: Path, state: PageState, team: "Report", limit: Optional[int] = None):
        self.store, self.env, self.folder, self.state, self.team, self.limit = store, env, folder, state, team, limit
        self.written = self.removed = 0

    def update(self, full: bool) -> PagesSummary:
        import pyarrow as pa
        import pyarrow.compute as pc

        started = time.perf_counter()
        parts = {PageState.key(p): p for p in self.store.parts("calls")}
        covered = set() if full else self.state.keys()
        new = [k for k in parts if k not in covered]
        gone = {k for k in covered if k not in parts}
        adopted: Dict[str, object] = {}
        for key in list(new):  # a compacted file holding only rows of covered files: no page changes
            replaces = _replaces(parts[key].path)
            partition = key.split("/", 1)[0]
            if replaces and all(f"{partition}/{name}" in covered for name in replaces):
                adopted[key] = _file_rows(parts[key])
                gone -= {f"{partition}/{name}" for name in replaces}
                new.remove(key)
        rows = {key: _file_rows(parts[key]) for key in new}
        latest = self.store.latest()
        needed: List[Tuple[str, int, Optional[str]]] = []  # (call_id, version, partition)
        for key, table in rows.items():
            if not table.num_rows:
                continue
            ids, versions = table.column("call_id"), table.column(VERSION)
            keep = pc.fill_null(pc.greater_equal(versions, pc.fill_null(pc.take(latest.multi_latest, pc.index_in(ids, value_set=latest.multi_ids)),
                                                                         pa.scalar(0, pa.int64()))), True) if len(latest.multi_ids) else None
            current = table.filter(keep) if keep is not None else table
            partition = parts[key].partition
            needed.extend((c, v, partition) for c, v in zip(current.column("call_id").to_pylist(), current.column(VERSION).to_pylist()))
        deleted: List[str] = []
        if gone:  # files no longer stored: pages of calls no longer stored go; older versions come back
            before = pa.concat_tables([self.state.read(k) for k in sorted(gone)]) if gone else None
            ids = pc.unique(before.column("call_id"))
            now = self.store.read("calls", ["call_id", VERSION, PARTITION], filter=pc.is_in(pc.field("call_id"), value_set=ids))
            stored = {} if now is None else dict(zip(now.column("call_id").to_pylist(), zip(now.column(VERSION).to_pylist(), now.column(PARTITION).to_pylist())))
            shown = {}
            for c, v in zip(before.column("call_id").to_pylist(), before.column(VERSION).to_pylist()):
                shown[c] = max(shown.get(c, v), v)
            for c, v in shown.items():
                if c not in stored:
                    deleted.append(c)
                elif stored[c][0] < v:
                    needed.append((c, stored[c][0], stored[c][1]))
        needed_ids = {c for c, _, _ in needed}
        for c in self.team.example_call_ids():  # pages the scorecards quote must exist
            if c not in needed_ids and not (self.folder / page_name(c)).exists():
                found = self.team.locate(c)
                if found is not None:
                    needed.append((c, found[0], found[1]))
                    needed_ids.add(c)
        by_partition: Dict[Optional[str], List[Tuple[int, str]]] = {}
        for c, v, partition in dict(((c, (c, v, p)) for c, v, p in needed)).values():
            by_partition.setdefault(partition, []).append((v, c))
        new_by_partition: Dict[Optional[str], List[str]] = {}
        for key in new:
            new_by_partition.setdefault(parts[key].partition, []).append(key)
        for partition in sorted(by_partition, key=lambda p: (p is None, p or "")):
            calls = sorted(by_partition[partition])
            for lo in range(0, len(calls), PAGE_CHUNK):
                if self.limit is not None and self.written >= self.limit:
                    break
                chunk = calls[lo: lo + PAGE_CHUNK]
                if self.limit is not None:
                    chunk = chunk[: self.limit - self.written]
                self._write_chunk(partition, chunk)
            for key in new_by_partition.pop(partition, []):  # its pages are written: covered
                self._cover(key, rows[key])
        for partition, keys in new_by_partition.items():  # files with no call to show (all superseded)
            for key in keys:
                self._cover(key, rows[key])
        for key, table in adopted.items():
            self._cover(key, table)
        for c in deleted:
            path = self.folder / page_name(c)
            if path.exists():
                path.unlink()
                self.removed += 1
        for key in gone:
            self.state.remove(key)
        self.state.save()
        return PagesSummary(self.written, self.removed, time.perf_counter() - started)

    def _cover(self, key: str, table) -> None:
        self.state.agents.update(a for a in table.column("agent_id").to_pylist() if a is not None)
        self.state.write(key, table)

    def _write_chunk(self, partition: Optional[str], chunk: List[Tuple[int, str]]) -> None:
        """Read the rows of some calls of one partition (their versions bound the row groups
        read) and write their pages."""
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pa.array([c for _, c in chunk], pa.string())
        expr = pc.is_in(pc.field("call_id"), value_set=ids)
        if partition is not None:
            expr = expr & (pc.field(VERSION) >= chunk[0][0]) & (pc.field(VERSION) <= chunk[-1][0])
        read = dict(partitions=[partition], filter=expr)
        calls = self.store.read("calls", **read)  # latest wins: a version stored meanwhile is shown (and written again next time)
        if calls is None or not calls.num_rows:
            return
        utterances = self.store.read("utterances", [c for c in _UTTERANCE_COLUMNS if c != VERSION], **read)
        behaviours = self.store.read("behaviours", [c for c in _BEHAVIOUR_COLUMNS if c != VERSION], **read)
        for page in _page_data(calls, utterances, behaviours, self.team):
            self._write(page)

    def _write(self, page: dict) -> None:
        c = page["call"]
        text = self.env.get_template("call").render(title=f"Call {c['call_id']}", subtitle=f"call {c['call_id']}", root="../", **page)
        _write_page(self.folder, page_name(c["call_id"]), text)
        if c.get("agent_id") is not None:
            self.state.agents.add(str(c["agent_id"]))
        self.written += 1


def _replaces(path: Path) -> List[str]:
    """The files a compacted file replaces (named in its metadata), else []."""
    import pyarrow.parquet as pq

    from ..store import META_REPLACES

    if not path.name.startswith("part-compact-"):
        return []
    try:
        meta = pq.read_schema(path).metadata or {}
        return list(json.loads(meta[META_REPLACES])) if META_REPLACES in meta else []
    except Exception:  # noqa: BLE001 - unreadable: treated as new calls
        return []


def _file_rows(part: Part):
    """(call_id, version, agent_id) of the rows of one stored calls file."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    names = set(pq.read_schema(part.path).names)
    table = pq.read_table(part.path, columns=[c for c in ("call_id", VERSION, "agent_id") if c in names])
    n = table.num_rows
    version = pc.fill_null(table.column(VERSION).cast(pa.int64()), 0) if VERSION in names else pa.array([0] * n, pa.int64())
    agent = table.column("agent_id").cast(pa.string()) if "agent_id" in names else pa.nulls(n, pa.string())
    return pa.table({"call_id": table.column("call_id").cast(pa.string()), VERSION: version, "agent_id": agent})


def _spans(value) -> Optional[List[tuple]]:
    """Stored ``[{start_s, end_s}]`` spans as tuples; None when the call has none stored."""
    if value is None or isinstance(value, float):
        return None
    return [(float(x["start_s"]), float(x["end_s"])) for x in value]


def _gaps(speech, duration):
    spans = sorted((s, e) for _, s, e in speech)
    gaps, cursor = [], 0.0
    for s, e in spans:
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    if duration > cursor:
        gaps.append((cursor, duration))
    return gaps


def _grouped(table, key: str = "call_id", order: Optional[str] = None) -> Dict[str, Dict[str, list]]:
    """A table's rows by call, as column lists (no per-row Python objects beyond the values)."""
    if table is None or not table.num_rows:
        return {}
    sort = [(key, "ascending")] + ([(order, "ascending")] if order else [])
    table = table.sort_by(sort)
    keys = table.column(key).to_pylist()
    columns = {name: table.column(name) for name in table.column_names if name != "words"}
    values = {name: col.to_pylist() for name, col in columns.items()}
    if "words" in table.column_names:
        values["words"] = _word_spans(table.column("words"))
    out: Dict[str, Dict[str, list]] = {}
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            out[keys[start]] = {name: v[start:i] for name, v in values.items()}
            start = i
    return out


def _word_spans(words) -> List[Optional[np.ndarray]]:
    """Each utterance's word (start, end) times as an (n, 2) array (None without words), read
    from Arrow without a Python object per word."""
    import pyarrow as pa
    import pyarrow.compute as pc

    words = words.combine_chunks() if isinstance(words, pa.ChunkedArray) else words
    if not len(words) or pa.types.is_null(words.type):
        return [None] * len(words)
    lengths = pc.fill_null(pc.list_value_length(words), 0).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(words)
    if not len(flat):
        return [None] * len(words)
    starts = pc.struct_field(flat, "start_s").to_numpy(zero_copy_only=False).astype(float)
    ends = pc.struct_field(flat, "end_s").to_numpy(zero_copy_only=False).astype(float)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [np.column_stack([starts[a:b], ends[a:b]]) if b > a else None for a, b in zip(bounds[:-1], bounds[1:])]


def _speech_spans(speakers: List[str], starts: List[float], ends: List[float], words: List[Optional[np.ndarray]], party: str) -> List[tuple]:
    """Where a party is actually speaking (word spans when known), as ``dynamics.speech_spans``."""
    from ..dynamics import union

    spans: List[tuple] = []
    for speaker, start, end, w in zip(speakers, starts, ends, words):
        if speaker != party:
            continue
        if w is not None and len(w):
            spans.extend(zip(w[:, 0].tolist(), np.maximum(w[:, 1], w[:, 0] + 0.05).tolist()))
        else:
            spans.append((start, end))
    return union(spans)


def _aht(c: dict) -> Optional[float]:
    """A call's handle time as the aggregate defines it (``variability/outcomes.py``): the ACD's
    handle_seconds, else recording + hold + after-call work from the metadata, else the recording."""
    def value(name):
        v = _scaled(c.get(name), 1)
        return v

    handle, duration = value("handle_seconds"), value("duration_s")
    if handle is not None:
        return handle
    hold_meta, acw = value("hold_seconds"), value("acw_seconds")
    if (hold_meta is not None or acw is not None) and duration is not None:
        hold_timeline = value("hold_s") or 0.0
        return duration - hold_timeline + (hold_meta if hold_meta is not None else hold_timeline) + (acw or 0.0)
    return duration


def _page_data(calls, utterances, behaviours, team: "Report"):
    """The template context of each call's page."""
    from ..dynamics import intersect

    catalog = team.catalog  # the taxonomy that tagged these calls (taxonomy.json)
    by_call = _grouped(utterances, order="utterance_index")
    tags_by_call = _grouped(behaviours)
    outcomes_aht = team.aht_of(calls.column("call_id").to_pylist())
    for c in calls.to_pylist():
        u = by_call.get(c["call_id"])
        b = tags_by_call.get(c["call_id"])
        tags: Dict[int, list] = {}
        if b is not None:
            for index, behaviour in zip(b["utterance_index"], b["behaviour_id"]):
                if index is not None:
                    info = catalog.get(behaviour, {})
                    tags.setdefault(int(index), []).append({"name": info.get("name") or str(behaviour).replace("_", " "),
                                                            "polarity": info.get("polarity", "positive")})
        rows, speech, points = [], [], []
        overtalk = []
        if u is not None:
            for index, speaker, start, end, text, label, sentiment in zip(u["utterance_index"], u["speaker"], u["start_s"], u["end_s"], u["text"],
                                                                          u.get("sentiment_label", [None] * len(u["text"])),
                                                                          u.get("sentiment_index", [None] * len(u["text"]))):
                rows.append({"index": int(index), "speaker": speaker, "clock": svg.clock(start), "text": text,
                             "label": label if isinstance(label, str) else None, "behaviours": tags.get(int(index), [])})
                speech.append((speaker, float(start), float(end)))
                if speaker == "customer" and sentiment is not None and math.isfinite(sentiment):
                    points.append(((start + end) / 2, float(sentiment)))
            words = u.get("words") or [None] * len(rows)
            overtalk = intersect(_speech_spans(u["speaker"], u["start_s"], u["end_s"], words, "agent"),
                                 _speech_spans(u["speaker"], u["start_s"], u["end_s"], words, "customer"))
        duration = float(c.get("duration_s") or 0) or (max(e for _, _, e in speech) if speech else 1.0)
        holds, dead = _spans(c.get("hold_spans")), _spans(c.get("dead_air_spans"))
        if holds is None or dead is None:  # calls stored before the spans were: rebuilt from the transcript
            dead = []
            if b is not None:
                starts = sorted(s for _, s, _ in speech)
                for behaviour, at in zip(b["behaviour_id"], b["time_s"]):
                    if behaviour == "dead_air" and at is not None:
                        end = next((s for s in starts if s > at), at + 5)
                        dead.append((float(at), float(end)))
            holds = [g for g in _gaps(speech, duration) if g[1] - g[0] >= 30]
        trajectory = c.get("customer_sentiment_trajectory")
        trajectory = list(trajectory) if trajectory is not None and len(trajectory) else None
        aht = outcomes_aht.get(c["call_id"])
        aht = aht if aht is not None and math.isfinite(aht) else _aht(c)
        cards = [{"label": "duration", "value": _num(c.get("duration_s"), 0, " s")}, {"label": "AHT", "value": _num(aht, 0, " s")},
                 {"label": "CSAT (survey)", "value": _num(c.get("csat"), 0)}, {"label": "customer sentiment start → end",
                 "value": f"{_num(c.get('customer_index_start'), 0)} → {_num(c.get('customer_index_end'), 0)}"},
                 {"label": "hold / dead air / overtalk", "value": f"{_num(c.get('hold_s'), 0)} / {_num(c.get('dead_air_s'), 0)} / {_num(c.get('overtalk_s'), 1)} s"}]
        facts = " · ".join(x for x in (str(c.get("started_at") or ""), str(c.get("queue") or ""), f"source {c.get('source_kind') or ''}") if x)
        yield {"call": c, "agent_file": page_name(c["agent_id"]), "facts": facts, "cards": cards, "utterances": rows,
               "timeline": svg.timeline(duration, speech, holds, dead, overtalk), "sentiment": svg.sentiment_curve(duration, points, trajectory)}


# -- the team report, scorecards and exports -------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The period the agent comparison covers, as the aggregate states it in variability.json."""

    label: str
    since: Optional[str] = None  # ISO date
    until: Optional[str] = None


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _window(headline: dict) -> Optional[Window]:
    """Read defensively: ``window`` or ``period`` may be a text, a number of days, or a mapping
    with since/start/from, until/end/to, days and label keys."""
    value = headline.get("window", headline.get("period")) if isinstance(headline, dict) else None
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Window(f"the last {value:g} days") if math.isfinite(value) and value > 0 else None
    if isinstance(value, str):
        dates = _DATE.findall(value)
        return Window(value, dates[0] if dates else None, dates[1] if len(dates) > 1 else None)
    if not isinstance(value, dict):
        return None

    def pick(*keys):
        for key in keys:
            if value.get(key) not in (None, ""):
                return value[key]
        return None

    since, until = pick("since", "start", "from", "first", "begin"), pick("until", "end", "to", "last")
    days, label = pick("days", "n_days", "length_days"), pick("label", "text", "description")
    since_date = _DATE.search(str(since)).group(0) if since is not None and _DATE.search(str(since)) else None
    until_date = _DATE.search(str(until)).group(0) if until is not None and _DATE.search(str(until)) else None
    if label is None:
        parts = []
        if since is not None or until is not None:
            parts.append(f"{since_date or since or 'the first call'} to {until_date or until or 'the last call'}")
        if isinstance(days, (int, float)) and not isinstance(days, bool):
            parts.append(f"the last {days:g} days" if not parts else f"({days:g} days)")
        if not parts:
            scalars = [f"{k} {v}" for k, v in value.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
            if not scalars:
                return None
            parts.append(", ".join(scalars))
        label = " ".join(parts)
    return Window(str(label), since_date, until_date)


def _day_before(date: str) -> str:
    from datetime import date as Date, timedelta

    return (Date.fromisoformat(date) - timedelta(days=1)).isoformat()


class Report:
    """The team report, the scorecards and the CSV exports: what every report rewrites. Reads
    the aggregates and a few columns of the calls the agent comparison covers (all stored calls,
    or the aggregate's window), and computes every agent's chart data at once."""

    def __init__(self, store: ResultsStore, env):
        import pandas as pd

        self.store, self.env = store, env
        self.r = load_results(store.root)
        self.headline = self.r.variability()
        self.window = _window(self.headline)
        self.agents = self.r.agents
        outcomes = self.r.call_outcomes
        self.outcomes = outcomes if len(outcomes) and "call_id" in outcomes else pd.DataFrame({"call_id": pd.Series([], dtype=object)})
        self.coaching = self.r.coaching
        self._read_calls()
        self._located: Dict[str, Tuple[int, Optional[str]]] = {}

    # -- reading ----------------------------------------------------------------------------
    def _call_columns(self) -> Set[str]:
        import pyarrow.parquet as pq

        names: Set[str] = set()
        for part in self.store.parts("calls"):
            names.update(pq.read_schema(part.path).names)
        return names

    def _read_calls(self) -> None:
        """``self.calls``: one row per call of the comparison, the columns the team report and the
        scorecards use (``aht_s`` and ``quartile`` from the aggregate's call outcomes); each
        call's sentiment trajectory as a row of ``self.trajectory`` (``self.calls._traj``, -1 if
        none)."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        C = CALLS.c  # stored column names (analyzer/schema.py)
        names = self._call_columns()
        self.behaviour_ids = sorted(c[4:] for c in names if c.startswith("beh_") and not c.endswith("_n"))
        traj = C.customer_sentiment_trajectory
        base = [C.call_id, C.agent_id, C.batch_id, PARTITION, VERSION, C.started_at, C.queue, C.duration_s, C.csat, C.customer_index_start,
                C.customer_index_end, C.handle_seconds, C.hold_seconds, C.acw_seconds, C.hold_s, traj]
        wanted = [c for c in base if c in names or c in (PARTITION, VERSION)] + [f"beh_{b}" for b in self.behaviour_ids]
        since = _day_before(self.window.since) if self.window is not None and self.window.since else None
        table = self.store.read("calls", wanted, since=since) if names else None
        self.trajectory = np.zeros((0, 0))
        if table is None:
            self.calls = pd.DataFrame({c: pd.Series([], dtype=object) for c in (C.call_id, C.agent_id)})
            self.calls["_traj"] = pd.Series([], dtype=int)
            self.calls["aht_s"] = pd.Series([], dtype=float)
            return
        n = table.num_rows
        traj_index = np.full(n, -1)
        if traj in table.column_names:
            column = table.column(traj).combine_chunks() if n else pa.array([], pa.list_(pa.float64()))
            lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False) if n else np.zeros(0, int)
            if (lengths > 0).any():
                length = int(np.bincount(lengths[lengths > 0]).argmax())  # one trajectory length (a setting)
                rows = np.flatnonzero(lengths == length)
                values = pc.list_flatten(column.take(pa.array(rows))).to_numpy(zero_copy_only=False).astype(float)
                self.trajectory = values.reshape(len(rows), length)
                traj_index[rows] = np.arange(len(rows))
            table = table.drop_columns([traj])
        for b in self.behaviour_ids:
            i = table.schema.get_field_index(f"beh_{b}")
            table = table.set_column(i, f"beh_{b}", pc.cast(table.column(i), pa.float64()))
        calls = table.to_pandas()
        calls["_traj"] = traj_index
        extra = [c for c in ("quartile", "aht_s", "csat_predicted") if c in self.outcomes.columns]
        if extra and len(calls):
            calls = calls.merge(self.outcomes[["call_id"] + extra].drop_duplicates("call_id"), on="call_id", how="left")
        if self.window is not None and len(self.outcomes):  # the calls the windowed comparison covers
            calls = calls[calls.call_id.isin(self.outcomes.call_id)].reset_index(drop=True)
        rule = _aht_column(calls)
        calls["aht_s"] = pd.to_numeric(calls["aht_s"], errors="coerce").fillna(rule) if "aht_s" in calls else rule
        self.calls = calls

    def aht_of(self, call_ids: List[str]) -> Dict[str, float]:
        """The aggregate's handle time of some calls (the call pages' AHT card)."""
        if "aht_s" not in self.outcomes.columns or not len(self.outcomes):
            return {}
        if not hasattr(self, "_aht_series"):
            self._aht_series = self.outcomes.drop_duplicates("call_id").set_index("call_id")["aht_s"]
        found = self._aht_series.reindex(call_ids)
        return {c: float(v) for c, v in zip(call_ids, found.to_numpy(dtype=float)) if np.isfinite(v)}

    @property
    def catalog(self) -> Dict[str, dict]:
        if not hasattr(self, "_catalog"):
            self._catalog = behaviour_catalog(self.store.root)
        return self._catalog

    def _behaviour_name(self, behaviour_id: str) -> str:
        return str(self.catalog.get(behaviour_id, {}).get("name") or behaviour_id.replace("_", " "))

    def example_call_ids(self) -> Set[str]:
        """The calls the scorecards quote as coaching examples (their pages must exist)."""
        if not hasattr(self, "_examples"):
            ids: Set[str] = set()
            coaching = self.coaching
            if coaching is not None and len(coaching):
                for column in ("examples", "top_example"):
                    if column not in coaching:
                        continue
                    for value in coaching[column]:
                        moments = [value] if isinstance(value, dict) else (list(value) if value is not None and not isinstance(value, float) else [])
                        for m in moments:
                            if isinstance(m, dict) and m.get("call_id") is not None:
                                ids.add(str(m["call_id"]))
                                if isinstance(m.get("top"), dict) and m["top"].get("call_id") is not None:
                                    ids.add(str(m["top"]["call_id"]))
            self._examples = ids
        return self._examples

    def locate(self, call_id: str) -> Optional[Tuple[int, Optional[str]]]:
        """(version, partition) of a stored call's latest version, or None if it is not stored."""
        self._locate(self.example_call_ids() | {call_id})
        return self._located.get(call_id)

    def _locate(self, call_ids: Set[str]) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        missing = [c for c in call_ids if c not in self._located]
        if not missing:
            return
        known = self.calls[self.calls.call_id.isin(missing)] if len(self.calls) and VERSION in self.calls else self.calls.iloc[:0]
        for c, v, p in zip(known.call_id, known[VERSION] if len(known) else [], known[PARTITION] if len(known) else []):
            self._located[c] = (int(v), p if isinstance(p, str) else None)
        rest = [c for c in missing if c not in self._located]
        if rest:  # quoted calls outside the calls read above: one scan of the call ids
            found = self.store.read("calls", ["call_id", VERSION, PARTITION], filter=pc.is_in(pc.field("call_id"), value_set=pa.array(rest, pa.string())))
            if found is not None:
                for c, v, p in zip(found.column("call_id").to_pylist(), found.column(VERSION).to_pylist(), found.column(PARTITION).to_pylist()):
                    self._located[c] = (int(v or 0), p)
        for c in missing:
            self._located.setdefault(c, None)

    # -- writing ----------------------------------------------------------------------------
    def write(self, out: Path, page_agents: Iterable[str] = ()) -> int:
        """Write index.html, agents/ (a scorecard per agent, and one for every agent with call
        pages, so their links hold) and the CSV exports into ``out``; returns the scorecards."""
        (out / "agents").mkdir(exist_ok=True)
        self._prepare()
        rows = self._agent_rows()
        self._render("index", out / "index.html", **self._index_context(rows))
        known = {r["agent_id"] for r in rows}
        extra = sorted(set(page_agents) - known)
        for row in rows + [self._empty_row(a) for a in extra]:
            self._agent_page(out, row)
        self._exports(out)
        return len(rows) + len(extra)

    def _render(self, template: str, path: Path, **context) -> None:
        path.write_text(self.env.get_template(template).render(**context), encoding="utf-8")

    def _prepare(self) -> None:
        """Every agent's chart data at once (one pass over the calls per quantity)."""
        import pandas as pd

        calls = self.calls
        codes, uniques = pd.factorize(calls["agent_id"]) if len(calls) else (np.zeros(0, int), pd.Index([]))
        self.agent_code = {a: i for i, a in enumerate(uniques)}
        n_agents = len(uniques)
        self.agent_n = np.bincount(codes, minlength=n_agents) if n_agents else np.zeros(0, int)
        quartile = pd.to_numeric(calls["quartile"], errors="coerce").fillna(0).to_numpy() if "quartile" in calls else np.zeros(len(calls))
        self.ranked_calls = bool((quartile > 0).any())
        # sentiment trajectories: each agent's mean curve, and the team's and quartiles' (index 0-100)
        traj = calls["_traj"].to_numpy() if len(calls) else np.zeros(0, int)
        has = traj >= 0
        length = self.trajectory.shape[1] if self.trajectory.size else 0
        self.agent_curve_n = np.bincount(codes[has], minlength=n_agents) if n_agents else np.zeros(0, int)
        self.agent_curve = np.zeros((n_agents, length))
        for j in range(length):
            self.agent_curve[:, j] = np.bincount(codes[has], weights=self.trajectory[traj[has], j], minlength=n_agents)

        def curve(mask, name):
            rows = traj[mask & has]
            if not len(rows):
                return {}
            return {f"{name} (n = {len(rows)} calls)": list(50 * (self.trajectory[rows].mean(axis=0) + 1))}

        everyone = np.ones(len(calls), bool)
        self.team_curves = {}
        if self.ranked_calls:
            self.team_curves.update(curve(quartile == 1, "top quartile"))
        self.team_curves.update(curve(quartile > 0 if self.ranked_calls else everyone, "team"))
        self.bottom_curve = curve(quartile == 4, "bottom quartile") if self.ranked_calls else {}
        # behaviour rates: each agent's, the top and bottom quartile's (the team's while nobody is ranked)
        labels = self.behaviour_ids
        flags = calls[[f"beh_{b}" for b in labels]].to_numpy(dtype=float) if labels and len(calls) else np.zeros((len(calls), len(labels)))
        seen = np.isfinite(flags)
        self.agent_rates = np.full((n_agents, len(labels)), np.nan)
        for j in range(len(labels)):
            total = np.bincount(codes[seen[:, j]], weights=flags[seen[:, j], j], minlength=n_agents)
            count = np.bincount(codes[seen[:, j]], minlength=n_agents)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.agent_rates[:, j] = np.where(count > 0, total / np.maximum(count, 1), np.nan)

        def rates(mask):
            with np.errstate(invalid="ignore"):
                return [float(np.nanmean(flags[mask, j])) if seen[mask, j].any() else np.nan for j in range(len(labels))]

        self.top_mask, self.bottom_mask = quartile == 1, quartile == 4
        self.versus = "top quartile" if self.top_mask.any() else "team"  # nobody ranked yet: against the team
        self.versus_mask = self.top_mask if self.top_mask.any() else everyone
        self.versus_rates = rates(self.versus_mask) if labels else []
        self.top_rates = rates(self.top_mask) if labels and self.top_mask.any() else []
        self.bottom_rates = rates(self.bottom_mask) if labels and self.bottom_mask.any() else []
        # the charts' shared parts, drawn once
        self.trajectory_chart = svg.TrajectoryChart(self.team_curves)
        self.versus_bars = svg.PairedBars(labels, self.versus_rates, f"{self.versus} (n = {int(self.versus_mask.sum())} calls)",
                                          svg.SERIES_COLORS["top quartile" if self.versus == "top quartile" else "team"])
        self.agent_trends = _trends_by_agent(calls)
        self.recent_calls = _recent_calls(calls)
        coaching = self.coaching
        self.coaching_of = {}
        if coaching is not None and len(coaching) and "agent_id" in coaching:
            for agent, group in coaching.sort_values("rank").groupby("agent_id", sort=False):
                self.coaching_of[agent] = group.to_dict(orient="records")
        self.n_ranked = int(self.agents.ranked.sum()) if len(self.agents) and "ranked" in self.agents else 0

    # -- index ------------------------------------------------------------------------------
    def _summary(self) -> dict:
        h = self.headline
        batches = self.r.batches
        period = None
        C = CALLS.c  # stored column names (analyzer/schema.py)
        if C.started_at in self.calls and self.calls[C.started_at].notna().any():
            starts = self.calls[C.started_at].dropna().astype(str).str[:10]
            period = f"calls from {starts.min()} to {starts.max()}"
        stale = None
        if self.window is None and h and h.get("n_calls") is not None and h["n_calls"] != len(self.calls):
            stale = (f"The agent comparison below covers {h['n_calls']} calls, but {len(self.calls)} are stored: the last aggregation "
                     "did not finish (see the failures table and analyzer.log, then run `analyzer aggregate`).")
        elif self.window is not None and self._stored_after_aggregation():
            stale = ("Calls were stored after the last aggregation, and the agent comparison below does not include them yet: the last "
                     "aggregation did not run or did not finish (see the failures table and analyzer.log, then run `analyzer aggregate`).")
        not_ranked = None
        if h and not h.get("n_ranked_agents"):
            not_ranked = (f"Agents are not ranked yet: {h.get('not_ranked_reason') or 'too few calls per agent'}. Every agent is "
                          "listed below with the numbers so far and their intervals, which are wide while an agent has few calls.")
        return {
            "n_calls": len(self.calls), "n_agents": self.calls[C.agent_id].nunique() if len(self.calls) else 0,
            "n_ranked": h.get("n_ranked_agents", 0), "min_calls": h.get("min_calls", "?"),
            "n_batches": int(batches["batch_id"].nunique()) if len(batches) else 0, "period": period,
            "window": self.window.label if self.window is not None else None,
            "confidence": f"{100 * h.get('confidence', 0.95):.0f}%", "stale": stale, "not_ranked": not_ranked,
        }

    def _stored_after_aggregation(self) -> bool:
        source = Path(self.store.root) / "variability.json"
        if not source.exists():
            return False
        aggregated = source.stat().st_mtime_ns
        return any(p.path.stat().st_mtime_ns > aggregated for p in self.store.parts("calls"))

    def _index_context(self, rows: List[dict]) -> dict:
        h = self.headline
        context = {"title": "Agent variability report", "subtitle": "team report", "root": "", "summary": self._summary(),
                   "headline": bool(h), "agents": rows, "team_rows": self._team_rows(),
                   "no_headline_reason": "the calls have not been aggregated yet (run `analyzer aggregate`; see the failures table "
                   "if the batch's aggregate stage failed)."}
        if h:
            context.update(self._headline_context())
        return context

    def _icc_text(self, kpi: str) -> str:
        entry = self.headline.get("icc", {}).get(kpi) or {}
        if entry.get("icc") is None:
            return "withheld" if entry.get("withheld") else "n/a"
        text = _num(100 * entry["icc"], 1, "%")
        if entry.get("icc_low") is not None and entry.get("icc_high") is not None:
            text += f" ({_num(100 * entry['icc_low'], 0)} to {_num(100 * entry['icc_high'], 0)}%)"
        return text

    def _team_rows(self) -> List[dict]:
        """The team's outcomes so far, with intervals and counts: what any team size can be told."""
        from ..variability.distributions import normal_ppf, student_ppf

        calls = self.calls
        rows = []
        C = CALLS.c  # stored column names (analyzer/schema.py)
        aht = "aht_s" if "aht_s" in calls else C.duration_s
        for kpi, column, digits, scale in (("aht_s", aht, 0, 1), ("csat", C.csat, 2, 1), ("satisfied", C.csat, 0, 100),
                                           ("sentiment_end", C.customer_index_end, 1, 1)):
            if column not in calls:
                continue
            import pandas as pd

            values = pd.to_numeric(calls[column], errors="coerce").to_numpy(dtype=float)
            if kpi == "csat":
                values = np.where((values >= 1) & (values <= 5), values, np.nan)
            if kpi == "satisfied":
                values = np.where((values >= 1) & (values <= 5), (values >= 4).astype(float), np.nan)
            values = values[np.isfinite(values)]
            n = len(values)
            if n == 0:
                continue
            mean = float(values.mean())
            if kpi == "satisfied":
                z = normal_ppf(0.975)
                centre = (mean + z * z / (2 * n)) / (1 + z * z / n)
                half = z * math.sqrt(mean * (1 - mean) / n + z * z / (4 * n * n)) / (1 + z * z / n)
                low, high = max(0.0, centre - half), min(1.0, centre + half)
            elif n >= 2 and values.std() > 0:
                half = student_ppf(0.975, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
                lo, hi = {"aht_s": (0, math.inf), "csat": (1, 5), "sentiment_end": (0, 100)}[kpi]
                low, high = max(lo, mean - half), min(hi, mean + half)
            else:
                low = high = None
            interval = f"{_num(low * scale, digits)} to {_num(high * scale, digits)}" if low is not None else "n/a (fewer than 2 values)"
            rows.append({"name": KPI_NAMES[kpi], "mean": _num(mean * scale, digits, "%" if kpi == "satisfied" else ""), "interval": interval,
                         "n": n, "unit": "surveys" if kpi in ("csat", "satisfied") else "calls", "icc": self._icc_text(kpi) if self.headline else "n/a",
                         "withheld": (self.headline.get("icc", {}).get(kpi) or {}).get("withheld")})
        return rows

    def _headline_context(self) -> dict:
        h = self.headline
        spreads, icc, opp = h.get("quartile_spreads", {}), h.get("icc", {}), h.get("opportunity", {})
        rows, sentences = [], []
        for kpi in ("sentiment_end", "csat", "satisfied", "aht_s"):
            if kpi not in spreads:
                continue
            obs, cor, naive = spreads[kpi]["observed"], spreads[kpi]["noise_corrected"], spreads[kpi]["naive_self_ranked"]
            pp = kpi == "satisfied"
            digits = 2 if kpi == "csat" else (0 if kpi == "aht_s" else 1)
            unit = "%" if pp else ""
            if obs.get("top", {}).get("value") is None:
                continue  # no quartiles yet (nobody ranked): the team table below says what is known
            rows.append({
                "name": KPI_NAMES[kpi],
                "team": _num(_scaled(obs["team"]["value"], 100 if pp else 1), digits, unit),
                "top": _num(_scaled(obs["top"]["value"], 100 if pp else 1), digits, unit),
                "bottom": _num(_scaled(obs["bottom"]["value"], 100 if pp else 1), digits, unit),
                "top_vs_average": _ci(obs.get("top_vs_average_pct"), 1, "%"),
                "top_vs_bottom": _ci(obs.get("top_vs_bottom_pct"), 1, "%"),
                "corrected": _ci(cor.get("top_vs_bottom_pct"), 1, "%"),
                "naive": _num(naive.get("top_vs_bottom_pct"), 1, "%"),
                "icc": self._icc_text(kpi),
            })
        ranked = bool(rows)
        if ranked and "sentiment_end" in spreads:
            s = spreads["sentiment_end"]["observed"]
            sentences.append(
                f"Customers of top-quartile agents end their calls at {_num(s['top']['value'])} on the 0-100 sentiment index, "
                f"{_ci(s['top_vs_average_pct'], 1, '%')} relative to the team average of {_num(s['team']['value'])}."
            )
        if ranked and "aht_s" in spreads:
            a = spreads["aht_s"]["observed"]
            sentences.append(f"Their calls take {_num(a['top']['value'], 0)} s on average against {_num(a['team']['value'], 0)} s for the team: "
                             f"{_ci(a['top_vs_average_pct'], 1, '%')}.")
        if ranked and "csat" in spreads:
            c = spreads["csat"]["observed"]
            sentences.append(f"Their CSAT averages {_num(c['top']['value'], 2)} against {_num(c['team']['value'], 2)} ({_ci(c['top_vs_average_pct'], 1, '%')}).")
        for kpi in ("aht_s", "sentiment_end", "csat", "satisfied"):
            entry = icc.get(kpi)
            if not entry:
                continue
            name = KPI_NAMES[kpi].split(" (")[0].lower()
            if entry.get("icc") is None:
                sentences.append(f"How much agents differ in {name} is not estimated yet: {entry.get('withheld') or 'too little data'}.")
                continue
            share = 100 * entry["icc"]
            verdict = "mostly noise: agents barely differ" if share < 3 else ("real but modest" if share < 15 else "substantial")
            if entry.get("icc_low") is not None and entry.get("icc_high") is not None and entry["icc_high"] - entry["icc_low"] > 0.3:
                verdict = "too uncertain to say yet"
            sentences.append(f"{self._icc_text(kpi)} of the call-to-call variation in {name} is between agents ({verdict}; "
                             f"{entry.get('n_calls')} {'surveys' if kpi in ('csat', 'satisfied') else 'calls'} over {entry.get('n_agents')} agents).")
        opportunity = []
        if "aht_saved_s" in opp:
            text = (f"Bringing the bottom quartile to the team average would change the team's handle time by "
                    f"{_ci(opp.get('aht_team_change_pct'), 1, '%')} (the bottom quartile's own by {_ci(opp.get('aht_bottom_change_pct'), 1, '%')})")
            if "agent_hours_per_month" in opp:
                text += f", about {_ci(opp.get('agent_hours_per_month'), 0)} agent-hours a month at the observed volume"
            opportunity.append(text + ".")
        if "csat_bottom_gain" in opp:
            opportunity.append(f"Their CSAT would rise by {_ci(opp.get('csat_bottom_gain'), 2)} points ({_ci(opp.get('csat_bottom_change_pct'), 1, '%')}), "
                               f"the team's by {_ci(opp.get('csat_team_gain'), 2)}.")
        if "sentiment_end_bottom_gain" in opp:
            opportunity.append(f"Their customers would end calls {_ci(opp.get('sentiment_end_bottom_gain'), 1)} sentiment-index points higher.")
        opportunity.append("These use the noise-corrected agent estimates: raw bottom-quartile numbers overstate the gap, because part of "
                           "any bottom quartile is bad luck.")
        effects = h.get("behaviour_effects", {})
        behaviour_sentences, behaviour_rows = [], []
        sentiment_effects = effects.get("sentiment_end", {})
        head = sentiment_effects.get("positive_behaviour")
        if head:
            behaviour_sentences.append(
                f"Positive agent behaviour moves the customer sentiment index by {_num(head['effect'])} points "
                f"({_num(head['low'])} to {_num(head['high'])}): the difference between one agent's calls showing none and showing all "
                f"of the {len(head['behaviours'])} positive behaviours, case mix held fixed."
                + (f" Compared across agents instead, it looks like {_num(head['naive_effect'])} points: part of that is the agents who "
                   "use these behaviours being better in other ways." if head.get("naive_effect") is not None else "")
            )
        csat_by = {r["behaviour"]: r for r in effects.get("csat", {}).get("behaviours", [])}
        for r in sorted(sentiment_effects.get("behaviours", []), key=lambda r: -r["effect"]):
            c = csat_by.get(r["behaviour"])
            behaviour_rows.append({"name": self._behaviour_name(r["behaviour"]), "polarity": r["polarity"], "sort": r["effect"],
                                   "sentiment": f"{r['effect']:+.1f} ({r['low']:+.1f} to {r['high']:+.1f})",
                                   "csat": f"{c['effect']:+.2f} ({c['low']:+.2f} to {c['high']:+.2f})" if c else "n/a", "n_with": r["n_with"]})
        sv = h.get("sentiment_vs_csat") or {}
        csat_sentences = []
        if sv:
            interval = (f"{sv['pearson_low']:.2f} to {sv['pearson_high']:.2f}; " if sv.get("pearson_low") is not None and sv.get("pearson_high") is not None
                        else "no interval yet: too few agents; ")
            csat_sentences.append(f"On {sv['n_surveyed_calls']} surveyed calls, the end-of-call sentiment index correlates with the survey score at "
                                  f"r = {sv['pearson']:.2f} ({interval}Spearman {sv['spearman']:.2f}).")
        pred = h.get("csat_prediction") or {}
        if pred.get("cv_rmse") is not None:
            csat_sentences.append(f"A model of CSAT from call features predicts unsurveyed calls with a cross-validated error of "
                                  f"{pred['cv_rmse']:.2f} points (RMSE; always guessing the mean: {pred['baseline_rmse']:.2f}).")
        tu = h.get("time_use_by_quartile") or {}
        time_sentences = []
        if "team" in tu:
            t = tu["team"]

            def of_recorded(group: dict, part: str) -> float:
                covered = sum(group.get(p, 0.0) for p in ("productive", "distress", "dead_air", "hold", "acw"))
                return 100 * group.get(part, 0.0) / covered if covered > 0 else 0.0

            n = f" ({t['n_calls']} calls, {t.get('handle_hours', 0):.1f} hours of handle time)" if t.get("n_calls") is not None else ""
            time_sentences.append(f"Of the recorded call time and after-call work{n}, {of_recorded(t, 'productive'):.0f}% is productive conversation, "
                                  f"{of_recorded(t, 'distress'):.0f}% handling a distressed customer, {of_recorded(t, 'dead_air'):.0f}% dead air, "
                                  f"{of_recorded(t, 'hold'):.0f}% hold and {of_recorded(t, 'acw'):.0f}% after-call work.")
            outside = t.get("other", 0.0)
            if outside >= 0.5:
                warning = (" That is a large share: check that the recordings are complete and what the ACD counts in handle time."
                           if outside >= 10 else "")
                time_sentences.append(f"A further {outside:.0f}% of the ACD's handle time is not in the recordings (the ACD counts more time "
                                      f"than the recordings and after-call work cover).{warning}")
            if "q1_top" in tu and "q4_bottom" in tu:
                time_sentences.append(f"Top quartile: {of_recorded(tu['q1_top'], 'productive'):.0f}% productive; bottom quartile: "
                                      f"{of_recorded(tu['q4_bottom'], 'productive'):.0f}%.")
        cards = []
        if "sentiment_end" in spreads:
            cards.append({"label": "Top quartile vs average: customer sentiment", "value": _num(spreads["sentiment_end"]["observed"]["top_vs_average_pct"]["value"], 1, "%"), "detail": "end-of-call sentiment index"})
        if "aht_s" in spreads:
            cards.append({"label": "Top quartile vs average: AHT", "value": _num(spreads["aht_s"]["observed"]["top_vs_average_pct"]["value"], 1, "%"), "detail": "handle time"})
        if "aht_team_change_pct" in opp:
            cards.append({"label": "Bottom quartile to average: team AHT", "value": _num(opp["aht_team_change_pct"]["value"], 1, "%"), "detail": "noise-corrected"})
        if "csat_bottom_change_pct" in opp:
            cards.append({"label": "Bottom quartile to average: their CSAT", "value": _num(opp["csat_bottom_change_pct"]["value"], 1, "%"), "detail": "noise-corrected"})
        if head:
            cards.append({"label": "Positive behaviour moves sentiment by", "value": _num(head["effect"], 0, " points"), "detail": "0-100 index"})
        cards = [c for c in cards if c["value"] != "n/a"]
        if not ranked:
            opportunity = ["Needs ranked agents: what lifting the bottom quartile is worth is estimated once agents are ranked into quartiles."]
        return {"spread_rows": rows, "spread_sentences": sentences, "opportunity_sentences": opportunity, "behaviour_sentences": behaviour_sentences,
                "behaviour_rows": behaviour_rows, "csat_sentences": csat_sentences, "calibration": sv.get("calibration"), "time_sentences": time_sentences,
                "cards": cards, "charts": [c for c in self._team_charts() if c]}

    def _team_charts(self) -> List[Optional[str]]:
        h, agents = self.headline, self.agents
        icc = h.get("icc", {})
        out = []
        if len(agents):
            for kpi, lower in (("aht_s", True), ("csat", False), ("sentiment_end", False)):
                entry = icc.get(kpi) or {}
                if f"{kpi}_adjusted" in agents and entry.get("icc") is not None and entry.get("within_agent_sd"):  # withheld: no honest limits
                    count = "calls" if kpi != "csat" else "surveys"
                    series, mean, sd = charts.funnel_series(agents, kpi, entry)  # adjusted means, the SD the limits assume
                    out.append(charts.funnel(series.rename(columns={"n": count}), "value", count, mean, sd,
                                             KPI_NAMES[kpi].split(" (")[0] + " (case-mix adjusted)", "s" if kpi == "aht_s" else "", lower,
                                             scale=SCALES.get(kpi)))
            csat_col = "csat" if "csat_shrunk" in agents and agents["csat_n"].sum() >= 30 and agents["csat_shrunk"].notna().any() else "sentiment_end"
            out.append(charts.aht_csat_scatter(agents, icc.get("aht_s", {}).get("team_mean", np.nan), icc.get(csat_col, {}).get("team_mean"), csat_col))
        out.append(svg.TrajectoryChart(self.team_curves).svg("Customer sentiment through the call, by agent quartile", self.bottom_curve))
        if self.top_rates and self.bottom_rates:
            n_top, n_bottom = int(self.top_mask.sum()), int(self.bottom_mask.sum())
            out.append(svg.paired_bars(self.behaviour_ids, self.top_rates, self.bottom_rates,
                                       (f"top quartile (n = {n_top} calls)", f"bottom quartile (n = {n_bottom} calls)"),
                                       "Behaviour rates: top vs bottom quartile"))
        out.append(charts.time_use_bars(h.get("time_use_by_quartile") or {}))
        out.append(svg.trend(_trend(self.calls), TREND_COLUMNS, "Trend across batches"))
        return out

    # -- agents -----------------------------------------------------------------------------
    def _agent_rows(self) -> List[dict]:
        """The index's agent table: the aggregate's agents, and agents whose calls came after the
        last aggregation."""
        rows = []
        if len(self.agents):
            for a in self.agents.to_dict(orient="records"):
                q = int(a.get("quartile") or 0)
                rows.append({
                    "agent_id": a["agent_id"], "file": page_name(a["agent_id"]), "quartile": q if q else "not ranked", "qclass": f"q{q}" if q in (1, 4) else "",
                    "qsort": q if q else 9, "rank": a["rank"] if a.get("rank") else "-", "rsort": a["rank"] if a.get("rank") else 10**9, "n_calls": a["n_calls"],
                    "aht": self._est(a, "aht_s", 0), "aht_sort": self._sort_value(a, "aht_s"), "csat": self._est(a, "csat", 2),
                    "csat_sort": self._sort_value(a, "csat"), "surveys": int(a.get("csat_n", 0) or 0), "satisfied": self._est(a, "satisfied", 0, pct=True),
                    "sentiment": self._est(a, "sentiment_end", 1), "sent_sort": self._sort_value(a, "sentiment_end"), "raw": a,
                })
        known = {r["agent_id"] for r in rows}
        for agent_id, code in self.agent_code.items():
            if agent_id not in known:
                rows.append({**self._empty_row(agent_id), "n_calls": int(self.agent_n[code])})
        return rows

    @staticmethod
    def _empty_row(agent_id: str) -> dict:
        return {"agent_id": agent_id, "file": page_name(agent_id), "quartile": "-", "qclass": "", "qsort": 9, "rank": "-", "rsort": 10**9,
                "n_calls": 0, "aht": "n/a", "aht_sort": 0, "csat": "n/a", "csat_sort": 0, "surveys": 0, "satisfied": "n/a",
                "sentiment": "n/a", "sent_sort": 0, "raw": None}

    @staticmethod
    def _sort_value(a: dict, kpi: str) -> float:
        for column in (f"{kpi}_shrunk", f"{kpi}_raw"):
            value = _scaled(a.get(column), 1)
            if value is not None:
                return value
        return -1e18

    @staticmethod
    def _est(a: dict, kpi: str, digits: int, pct: bool = False) -> str:
        """The agent's estimate with its interval: shrunk and case-mix adjusted where the team's
        data allow, else the agent's raw average with its interval, marked "raw"."""
        if not a.get(f"{kpi}_n"):
            return "n/a"
        scale = 100 if pct else 1
        for prefix, mark in (("", ""), ("raw_", " raw")):
            value = _scaled(a.get(f"{kpi}_shrunk" if not prefix else f"{kpi}_raw"), scale)
            if value is not None:
                low, high = _scaled(a.get(f"{kpi}_{prefix}low"), scale), _scaled(a.get(f"{kpi}_{prefix}high"), scale)
                interval = f" [{_num(low, digits)}, {_num(high, digits)}]" if low is not None and high is not None else " [n/a]"
                return f"{_num(value, digits)}{interval}{mark}"
        return "n/a"

    def _agent_page(self, out: Path, row: dict) -> None:
        agent_id = row["agent_id"]
        a = row["raw"] or {}
        h = self.headline
        spreads = h.get("quartile_spreads", {})
        kpis, notes = [], []
        for kpi in ("sentiment_end", "csat", "satisfied", "aht_s"):
            if not a or f"{kpi}_raw" not in a:
                continue
            pct = kpi == "satisfied"
            scale, digits = (100, 0) if pct else (1, 2 if kpi == "csat" else (0 if kpi == "aht_s" else 1))
            obs = spreads.get(kpi, {}).get("observed", {})
            raw_low, raw_high = _scaled(a.get(f"{kpi}_raw_low"), scale), _scaled(a.get(f"{kpi}_raw_high"), scale)
            shrunk = _scaled(a.get(f"{kpi}_shrunk"), scale)
            withheld = a.get(f"{kpi}_withheld")
            if isinstance(withheld, str) and withheld:
                notes.append(f"{KPI_NAMES[kpi]}: {withheld}.")
            kpis.append({
                "name": KPI_NAMES[kpi], "raw": _num(_scaled(a.get(f"{kpi}_raw"), scale), digits),
                "raw_interval": f"{_num(raw_low, digits)} to {_num(raw_high, digits)}" if raw_low is not None and raw_high is not None else "n/a",
                "shrunk": _num(shrunk, digits) if shrunk is not None else ("withheld" if withheld else "n/a"),
                "interval": f"{_num(_scaled(a.get(f'{kpi}_low'), scale), digits)} to {_num(_scaled(a.get(f'{kpi}_high'), scale), digits)}" if shrunk is not None else "",
                "team": _num(_scaled(obs.get("team", {}).get("value") if obs.get("team", {}).get("value") is not None
                                     else (h.get("icc", {}).get(kpi) or {}).get("team_mean"), scale), digits),
                "top": _num(_scaled(obs.get("top", {}).get("value"), scale), digits), "n": int(a.get(f"{kpi}_n", 0) or 0),
            })
        q = int(a.get("quartile") or 0) if a else 0
        code = self.agent_code.get(agent_id)
        n_calls = int(self.agent_n[code]) if code is not None else 0
        if code is None:
            position = (f"{agent_id} has no calls among the {len(self.calls)} calls the agent comparison covers"
                        + (f" ({self.window.label})" if self.window is not None else "") + "; the agent's earlier calls keep their pages.")
        elif q:
            position = f"{agent_id} is in the {svg.QUARTILE_NAMES[q]} (rank {a['rank']} of {self.n_ranked} ranked agents) on {h.get('ranking_kpi', 'the composite')}, from {a['n_calls']} calls."
        else:
            position = f"{agent_id} is not ranked: {row['n_calls']} calls (at least {h.get('min_calls', '?')} are needed)"
            if not h.get("n_ranked_agents") and h.get("not_ranked_reason"):
                position += f"; no agent is ranked yet ({h['not_ranked_reason']})"
            position += (". The adjusted estimates below are shrunk toward the team in proportion to how few calls there are; "
                         "where the team's data are too few for that, only the agent's own averages are shown, with their intervals.")
        chart_list = []
        if code is not None:
            curve = {}
            if self.agent_curve_n[code]:
                curve = {f"this agent (n = {int(self.agent_curve_n[code])} calls)": list(50 * (self.agent_curve[code] / self.agent_curve_n[code] + 1))}
            chart_list.append(self.trajectory_chart.svg(f"Customer sentiment through {agent_id}'s calls", curve))
            if self.behaviour_ids:
                chart_list.append(self.versus_bars.svg(self.agent_rates[code], f"this agent (n = {n_calls} calls)", svg.SERIES_COLORS["this agent"],
                                                       f"Behaviour rates vs the {self.versus}"))
            chart_list.append(svg.trend(self.agent_trends.get(agent_id), TREND_COLUMNS, f"{agent_id} across batches"))
        recent = self.recent_calls.get(agent_id, [])
        calls_note = None
        if n_calls > len(recent):
            calls_note = (f"The {len(recent)} most recent of the agent's {n_calls} calls; every call has its page "
                          "(the coaching moments above link to theirs).")
        self._render("agent", out / "agents" / page_name(agent_id),
                     title=f"Scorecard {agent_id}", subtitle=f"agent {agent_id}", root="../", agent={"agent_id": agent_id}, position=position,
                     kpis=kpis, kpi_notes=notes, coaching=self._coaching_for(agent_id), charts=[c for c in chart_list if c], calls=recent,
                     calls_note=calls_note)

    def _coaching_for(self, agent_id: str) -> List[dict]:
        out = []
        for c in self.coaching_of.get(agent_id, []):
            name = self._behaviour_name(c["behaviour"])
            if c["polarity"] == "positive":
                sentence = (f"Shows {name[:1].lower() + name[1:]} in {100 * c['agent_rate']:.0f}% of calls (estimated {100 * c['agent_rate_shrunk']:.0f}% allowing for "
                            f"sample size) against {100 * c['top_quartile_rate']:.0f}% for the top quartile. An agent's calls with it end "
                            f"{c['effect']:+.1f} points higher on the sentiment index than the same agent's calls without it "
                            f"({c['effect_low']:+.1f} to {c['effect_high']:+.1f}).")
            else:
                sentence = (f"{name.capitalize()} in {100 * c['agent_rate']:.0f}% of calls (estimated {100 * c['agent_rate_shrunk']:.0f}%) against "
                            f"{100 * c['top_quartile_rate']:.0f}% for the top quartile. An agent's calls with it end {c['effect']:+.1f} points on the "
                            f"sentiment index against the same agent's calls without it ({c['effect_low']:+.1f} to {c['effect_high']:+.1f}).")
            if not c.get("effect_is_clear"):
                sentence += " The effect is not clearly different from zero yet."
            examples = []
            for m in (c.get("examples") if c.get("examples") is not None else []):
                moment = self._moment(m)
                if m.get("top"):  # a missed opportunity, beside a top-quartile agent's reply to the same kind of moment
                    moment["top"] = {**self._moment(m["top"]), "agent_id": m["top"].get("agent_id", "")}
                examples.append(moment)
            missed = any(m.get("missed") for m in (c.get("examples") if c.get("examples") is not None else []))
            top = c.get("top_example")
            out.append({"name": name, "polarity": c["polarity"], "sentence": sentence, "examples": examples, "missed": missed,
                        "situation": SITUATIONS.get(c.get("situation"), "") if isinstance(c.get("situation"), str) else "",
                        "top_example": None if missed or not top else self._moment(top)})
        return out

    def _moment(self, m: dict) -> dict:
        index = 0
        found = self._utterance_starts.get(str(m["call_id"]))
        if found is not None and len(found[0]):
            index = int(found[0][int(np.argmin(np.abs(found[1] - float(m["time_s"]))))])
        return {"call_id": m["call_id"], "file": page_name(m["call_id"]), "index": index, "clock": svg.clock(float(m["time_s"])),
                "text": m.get("text", ""), "context": m.get("context", "")}

    @property
    def _utterance_starts(self) -> Dict[str, tuple]:
        """(utterance indexes, start times) of the calls quoted as coaching examples, so each
        moment links to its utterance: read from those calls' partitions only."""
        if not hasattr(self, "_starts"):
            import pyarrow as pa
            import pyarrow.compute as pc

            ids = sorted(self.example_call_ids())
            self._starts = {}
            if ids:
                self._locate(set(ids))
                partitions = {self._located[c][1] for c in ids if self._located.get(c) is not None}
                table = self.store.read("utterances", ["call_id", "utterance_index", "start_s"], partitions=partitions,
                                        filter=pc.is_in(pc.field("call_id"), value_set=pa.array(ids, pa.string()))) if partitions else None
                for call_id, rows in _grouped(table, order="utterance_index").items():
                    self._starts[call_id] = (np.asarray(rows["utterance_index"]), np.asarray(rows["start_s"], dtype=float))
        return self._starts

    # -- exports ----------------------------------------------------------------------------
    def _exports(self, out: Path) -> None:
        if len(self.agents):
            self.agents.to_csv(out / "agents.csv", index=False)
        else:
            self.calls.groupby("agent_id").size().rename("n_calls").reset_index().to_csv(out / "agents.csv", index=False)
        coaching = self.coaching
        if coaching is not None and len(coaching):
            flat = coaching.copy()
            flat["examples"] = [" | ".join(f"{m['call_id']}@{svg.clock(m['time_s'])}: {m['text']}" for m in (ex if ex is not None else [])) for ex in flat["examples"]]
            flat["top_example"] = [f"{t['agent_id']} {t['call_id']}@{svg.clock(t['time_s'])}: {t['text']}" if t else "" for t in flat["top_example"]]
            flat.to_csv(out / "coaching.csv", index=False)
        else:
            (out / "coaching.csv").write_text("agent_id,behaviour,priority\n")


def _aht_column(calls) -> "object":
    """Each call's handle time as the aggregate defines it (``variability/outcomes.py``), for
    calls the last aggregation did not cover."""
    import pandas as pd

    def column(name):
        return pd.to_numeric(calls[name], errors="coerce").to_numpy(dtype=float) if name in calls else np.full(len(calls), np.nan)

    handle, duration = column("handle_seconds"), column("duration_s")
    hold_meta, acw, hold_timeline = column("hold_seconds"), column("acw_seconds"), np.nan_to_num(column("hold_s"))
    plus = duration - hold_timeline + np.where(np.isnan(hold_meta), hold_timeline, hold_meta) + np.nan_to_num(acw)
    has_meta = ~np.isnan(hold_meta) | ~np.isnan(acw)
    return pd.Series(np.where(~np.isnan(handle), handle, np.where(has_meta, plus, duration)), index=calls.index)


def _trend_inputs(calls):
    import pandas as pd

    csat = pd.to_numeric(calls["csat"], errors="coerce") if "csat" in calls else pd.Series(np.nan, index=calls.index)
    return pd.DataFrame({"agent_id": calls["agent_id"], "batch_id": calls["batch_id"], "date": calls[PARTITION] if PARTITION in calls else calls["batch_id"],
                         "aht": pd.to_numeric(calls["aht_s"], errors="coerce"), "csat": csat.where((csat >= 1) & (csat <= 5)),
                         "sentiment": pd.to_numeric(calls["customer_index_end"], errors="coerce") if "customer_index_end" in calls else np.nan})


def _trend_stats(frame, keys: List[str]):
    """Per group of ``keys`` (the last one the batch): calls, and the mean of each KPI with its
    95% interval and its own n, so a 6-call night is not read like a 1,500-call one."""
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(date=("date", "first"), n_calls=("batch_id", "size"))
    for column, (lo, hi) in (("aht", (0.0, np.inf)), ("csat", (1.0, 5.0)), ("sentiment", (0.0, 100.0))):
        stats = grouped[column].agg(["mean", "std", "count"])
        half = 1.96 * stats["std"].to_numpy() / np.sqrt(stats["count"].clip(lower=1).to_numpy())
        out[column] = stats["mean"].to_numpy()
        out[f"{column}_n"] = stats["count"].fillna(0).astype(int).to_numpy()
        out[f"{column}_low"] = np.clip(out[column] - half, lo, hi)
        out[f"{column}_high"] = np.clip(out[column] + half, lo, hi)
    out = out.reset_index()
    out["label"] = out["date"].astype(str) + " " + out["batch_id"].astype(str).str[-6:] + "\n" + out["n_calls"].astype(str) + " calls"
    return out


def _trend(calls):
    """The team's KPIs per batch (None with fewer than two batches)."""
    if "batch_id" not in calls or calls["batch_id"].nunique() < 2:
        return None
    return _trend_stats(_trend_inputs(calls), ["batch_id"])


def _trends_by_agent(calls) -> Dict[str, object]:
    """Each agent's KPIs per batch (agents with calls in two batches or more), in one pass."""
    if not len(calls) or "batch_id" not in calls or calls["batch_id"].nunique() < 2:
        return {}
    stats = _trend_stats(_trend_inputs(calls), ["agent_id", "batch_id"])
    out = {}
    for agent, group in stats.groupby("agent_id", sort=False):
        if len(group) >= 2:
            out[agent] = group.reset_index(drop=True)
    return out


def _recent_calls(calls) -> Dict[str, List[dict]]:
    """Each agent's :data:`SCORECARD_CALLS` most recent calls, as the scorecard lists them."""
    if not len(calls):
        return {}
    order = calls.assign(_start=calls["started_at"].fillna("").astype(str) if "started_at" in calls else "")
    order = order.sort_values(["agent_id", "_start", "call_id"], ascending=[True, False, False])
    recent = order.groupby("agent_id", sort=False).head(SCORECARD_CALLS)
    out: Dict[str, List[dict]] = {}
    columns = {c: recent[c].tolist() if c in recent else [None] * len(recent)
               for c in ("agent_id", "call_id", "started_at", "queue", "duration_s", "aht_s", "csat", "customer_index_start", "customer_index_end")}
    for i, agent in enumerate(columns["agent_id"]):
        out.setdefault(agent, []).append({
            "call_id": columns["call_id"][i], "file": page_name(columns["call_id"][i]), "started_at": _text(columns["started_at"][i]),
            "queue": _text(columns["queue"][i]), "duration": _num(columns["duration_s"][i], 0, " s"),
            "aht": _num(columns["aht_s"][i] if columns["aht_s"][i] is not None else columns["duration_s"][i], 0), "csat": _num(columns["csat"][i], 0),
            "sentiment": f"{_num(columns['customer_index_start'][i], 0)} → {_num(columns['customer_index_end'][i], 0)}"})
    return out


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
