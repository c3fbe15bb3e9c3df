"""``aggregate``: run the variability engine over the calls of a period (default: the last 90 days
of ``started_at``) in a results directory and write ``agents.parquet``, ``coaching.parquet``,
``call_outcomes.parquet`` and ``variability.json``.

Bounded by the period, not the history: the stored calls' ids, versions, run dates and start
times are read to choose the period's calls (four small columns); then only the partitions that
hold those calls are read, only the columns the engine uses (never the word timings, the
trajectories or the texts of every utterance), one file at a time, keeping the rows of those
calls' latest versions. The coaching examples are found with joins on sorted keys over the
period's utterances and behaviours (see ``coaching.py``), and only the chosen moments' texts are
read."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ..config import AggregateOptions
from ..errors import AnalyzerError
from ..results import behaviour_catalog
from ..schema import CALL_OUTCOMES, CALLS, PARTITION, VERSION
from ..store import CallKeys, ResultsStore
from .coaching import CUSTOMER, MomentData, SpeakerCodes, call_codes, coaching_opportunities, is_question
from .estimator import AgentVariability, one_blas_thread
from .outcomes import engine_columns, started_dates

log = logging.getLogger("analyzer")
OUTCOME_COLUMNS = CALL_OUTCOMES.names
#: calls columns the engine does not read (lists: trajectories, spans), left on disk
UNUSED_CALL_COLUMNS = tuple(c for c in CALLS.names if CALLS.type_name(c) in ("list<float64>", "spans"))
#: how a call is placed in time for the period (recorded in variability.json)
DATED_BY = ("started_at: the call's local date as written (daylight-saving offsets are fine); a call without a usable "
            "started_at counts by the date of the run that stored it")


@dataclass(frozen=True)
class AggregateSummary:
    n_calls: int
    n_agents: int
    n_ranked_agents: int
    paths: dict
    period: dict = field(default_factory=dict)

    def line(self) -> str:
        return (f"aggregated {self.n_calls} calls over {self.n_agents} agents ({self.n_ranked_agents} ranked)"
                f"{'; ' + self.period['label'] if self.period.get('label') else ''} -> {self.paths['variability']}")


@dataclass
class Window:
    """The calls of the period: their ids and latest versions (``keys``), the run partitions
    holding them (None: every partition), and what variability.json records (``period``)."""

    keys: CallKeys
    partitions: Optional[set]
    period: dict


def estimator_from(options: AggregateOptions, behaviour_polarity: Optional[dict] = None) -> AgentVariability:
    return AgentVariability(
        kpi=options.kpi, min_calls=options.min_calls, min_surveys=options.min_surveys, confidence=options.confidence,
        n_boot=options.n_boot, case_mix=tuple(options.case_mix), behaviour_polarity=behaviour_polarity,
        period_days=options.period_days, random_state=options.random_state,
        min_within_df=options.min_within_df, case_mix_df_per_term=options.case_mix_df_per_term,
    )


def call_window(store: ResultsStore, window_days: Optional[int] = 90) -> Optional[Window]:
    """The stored calls (latest versions) of the last ``window_days`` calendar days of
    ``started_at`` (the days up to the latest call's date; see ``DATED_BY``), or every stored
    call when ``window_days`` is 0 or None. None when no call is stored. Reads four columns of
    the calls table (ids, versions, run dates, start times)."""
    import pandas as pd
    import pyarrow as pa

    table = store.read("calls", ["call_id", "started_at", VERSION, PARTITION])
    if table is None or table.num_rows == 0:
        return None
    n = table.num_rows
    versions = table.column(VERSION).to_numpy(zero_copy_only=False)
    run_dates = table.column(PARTITION).to_numpy(zero_copy_only=False) if PARTITION in table.column_names else np.full(n, None, dtype=object)
    started = started_dates(table.column("started_at").to_pandas()) if "started_at" in table.column_names else pd.Series(pd.NaT, index=range(n))
    by_run = started.isna().to_numpy()
    dates = started.to_numpy(dtype="datetime64[D]", na_value=np.datetime64("NaT"))
    if by_run.any():
        dates[by_run] = pd.to_datetime(pd.Series(run_dates[by_run]), format="%Y-%m-%d", errors="coerce").to_numpy(dtype="datetime64[D]", na_value=np.datetime64("NaT"))
    undated = np.isnat(dates)
    everything = not window_days
    if undated.all():
        first = last = None
        inside = np.ones(n, dtype=bool)
    else:
        last = dates[~undated].max()
        first = dates[~undated].min() if everything else last - np.timedelta64(int(window_days) - 1, "D")
        inside = undated | (dates >= first)
    keep = np.flatnonzero(inside)
    keys = CallKeys(table.column("call_id").take(pa.array(keep)), versions[keep])  # (a call read twice at one version, from two files, stays twice, as read returns it)
    partitions = None if everything else set(pd.unique(run_dates[keep])) - {None}
    span = f"{first} to {last}" if first is not None else "no dates"
    period = {
        "window_days": None if everything else int(window_days),
        "first_date": None if first is None else str(first),
        "last_date": None if last is None else str(last),
        "label": (f"every stored call (started {span})" if everything else
                  f"calls started {span} (the last {int(window_days)} days of started_at)"),
        "dated_by": DATED_BY,
        "n_calls": int(len(keep)),
        "n_calls_stored": int(n),
        "n_calls_before": int(n - len(keep)),
        "n_calls_dated_by_run": int((by_run & ~undated & inside).sum()),
        "n_calls_undated": int(undated.sum()),
    }
    return Window(keys, partitions, period)


def read_window_calls(store: ResultsStore, window: Window):
    """The period's calls (DataFrame, in the order ``load_results`` gives them), with the columns
    the engine reads and ``version``."""
    import pyarrow as pa

    names = store.columns("calls")
    wanted = set(engine_columns(names)) | {VERSION}
    columns = [c for c in names if c in wanted]
    parts = store.call_row_parts("calls", window.partitions)
    tables = [table for *_, table in store.iter_call_rows("calls", columns, window.keys, parts)]
    return pa.concat_tables(tables).to_pandas() if tables else None


def moments_from_store(est, store: ResultsStore, partitions: Optional[set] = None) -> Optional[MomentData]:
    """What the coaching example search reads, from the stored utterances and behaviours of the
    estimator's calls (their latest versions, in ``partitions``), one file at a time: flags,
    times and sentiment of every utterance, not their texts (read later for the moments shown)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    calls = call_codes(est)
    if calls.versions is None:
        raise ValueError("the estimator's calls carry no version: fit it on calls read from the store")
    keys = CallKeys(calls.id_array, calls.versions)
    speakers = SpeakerCodes()

    def column(table, name, fill=None, type=pa.float64()):
        if name in table.column_names:
            values = table.column(name)
            return values if fill is None else pc.fill_null(values, fill)
        return pa.nulls(table.num_rows, type) if fill is None else pa.array([fill] * table.num_rows, type)

    u_parts = store.call_row_parts("utterances", partitions)
    chunks = []
    for number, _, rows, codes, t in store.iter_call_rows("utterances", ["utterance_index", "speaker", "start_s", "sentiment", "sentiment_label", "text"],
                                                          keys, u_parts):
        text = column(t, "text", type=pa.string())
        speaker = speakers(column(t, "speaker", type=pa.string())).astype(np.int16)
        # questions matter only in what the customer said (the turn an agent's reply answers)
        question = np.zeros(t.num_rows, dtype=bool)
        customer = np.flatnonzero(speaker == CUSTOMER)
        if len(customer):
            question[customer] = is_question(text.take(pa.array(customer)))
        chunks.append([
            codes.astype(np.int32), column(t, "utterance_index", -1, pa.int64()).to_numpy().astype(np.int32), speaker,
            column(t, "start_s").to_numpy(zero_copy_only=False).astype(float), column(t, "sentiment").to_numpy(zero_copy_only=False).astype(float),
            pc.fill_null(pc.equal(column(t, "sentiment_label", type=pa.string()), "negative"), False).to_numpy(zero_copy_only=False).astype(bool),
            question, pc.is_valid(text).to_numpy(zero_copy_only=False).astype(bool), (np.int64(number) << 40) | rows.astype(np.int64),
        ])
        del text, t
    if not chunks:
        if store.read("utterances", ["call_id"]) is None or store.read("utterances", ["call_id"]).num_rows == 0:
            return None  # no utterances stored at all: no examples
        chunks = [[np.zeros(0, dtype=d) for d in (np.int32, np.int32, np.int16, float, float, bool, bool, bool, np.int64)]]
    u_key, u = _in_utterance_order(chunks)
    del chunks
    _release_memory()

    def fetch_text(row_ids):
        row_ids = np.asarray(row_ids, dtype=np.int64)
        numbers = row_ids >> 40
        wanted = {int(k): row_ids[numbers == k] & ((1 << 40) - 1) for k in np.unique(numbers)}
        found = _read_texts(store, u_parts, wanted)
        text = {}
        for k, positions in wanted.items():
            text.update(zip(((k << 40) | positions).tolist(), found[k]))
        return [text[r] for r in row_ids.tolist()]

    names, name_code = [], {}
    b_chunks = []
    for _, _, _, codes, t in store.iter_call_rows("behaviours", ["utterance_index", "behaviour_id", "score", "time_s"], keys,
                                                  store.call_row_parts("behaviours", partitions)):
        ids = column(t, "behaviour_id", type=pa.string())
        distinct = pc.unique(ids)
        found = np.array([-1 if b is None else name_code.setdefault(b, len(name_code)) for b in distinct.to_pylist()] + [-1], dtype=np.int64)
        behaviour = found[pc.fill_null(pc.index_in(ids, value_set=distinct, skip_nulls=True), len(distinct)).to_numpy()]
        b_chunks.append((codes.astype(np.int32), column(t, "utterance_index", type=pa.int32()).to_numpy(zero_copy_only=False).astype(float), behaviour.astype(np.int32),
                         column(t, "score").to_numpy(zero_copy_only=False).astype(float), column(t, "time_s").to_numpy(zero_copy_only=False).astype(float)))
    names = list(name_code)
    if not b_chunks:
        b_chunks = [(np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.int32), np.zeros(0), np.zeros(0))]
    b = [np.concatenate(c) for c in zip(*b_chunks)]
    return MomentData(u_call=u[0], u_index=u[1], u_speaker=u[2], u_start=u[3], u_sentiment=u[4], u_negative=u[5], u_question=u[6],
                      u_has_text=u[7], u_row=u[8], u_key=u_key, fetch_text=fetch_text, b_call=b[0], b_index=b[1], b_behaviour=b[2], b_names=names,
                      b_score=b[3], b_time=b[4], n_utterances_read=max(len(u[0]), 1))


def _read_texts(store: ResultsStore, parts: list, wanted: dict) -> dict:
    """:meth:`ResultsStore.read_column_rows` of the utterances' texts (``wanted``: file number ->
    row positions), the files split between two threads: reading and decoding the row groups that
    hold the rows (in Arrow, without the GIL) is most of it, ~1 s over the files of a million
    calls, and the two halves run on two cores."""
    from concurrent.futures import ThreadPoolExecutor

    numbers = sorted(wanted)
    halves = [{k: wanted[k] for k in numbers[i::2]} for i in range(2)]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="analyzer-text") as pool:
        found = {}
        for part in pool.map(lambda half: store.read_column_rows(parts, "utterances", "text", half), halves):
            found.update(part)
    return found


def _in_utterance_order(chunks: list) -> tuple:
    """``(key, columns)``: the utterance columns read file by file (``chunks``: per file, a list
    of arrays, the call numbers and utterance indexes first) as whole columns in (call,
    utterance_index) order, and that order's key (what ``_Moments`` sorts by: a stable sort, so
    the rows of one key stay in read order). Each file's piece is written straight to its place
    and then dropped from ``chunks``, one column at a time: no concatenated copy to sort
    afterwards, and the example search (``_Moments``) finds them in order, with nothing to sort
    or copy."""
    keys = [c[0].astype(np.int64) * (1 << 32) + (c[1].astype(np.int64) + (1 << 31)) for c in chunks]
    key = np.concatenate(keys)
    n = len(key)
    place = None  # where each row read goes (None: it is in order already)
    if n > 1 and not bool((key[1:] >= key[:-1]).all()):
        place = _call_block_places(keys, [c[0] for c in chunks])
        if place is None:  # rows of a call apart or out of order: sort the rows
            order = np.argsort(key, kind="stable")
            place = np.empty(n, dtype=np.int64)
            place[order] = np.arange(n)
            del order
        in_order = np.empty_like(key)
        in_order[place] = key
        key = in_order
    del keys
    bounds = np.cumsum([0] + [len(c[0]) for c in chunks])
    columns = []
    for j in range(len(chunks[0])):
        column = np.empty(n, dtype=chunks[0][j].dtype)
        for i, c in enumerate(chunks):
            column[slice(bounds[i], bounds[i + 1]) if place is None else place[bounds[i]:bounds[i + 1]]] = c[j]
            c[j] = None
        columns.append(column)
    return key, columns


def _call_block_places(keys: list, calls: list):
    """Where each utterance row goes in (call, utterance_index) order, moving whole calls: when
    every file's rows are in that order already and each call's rows are in one file (as the
    pipeline writes them), the order is the calls' blocks sorted by call, a sort of a million
    blocks rather than of fourteen million rows. None when that does not hold."""
    starts, block_calls, offset = [], [], 0
    for key, call in zip(keys, calls):
        if len(key) > 1 and not bool((key[1:] >= key[:-1]).all()):
            return None
        head = np.flatnonzero(np.append(True, call[1:] != call[:-1]))
        starts.append(head + offset)
        block_calls.append(call[head])
        offset += len(key)
    start, block_call = np.concatenate(starts), np.concatenate(block_calls)
    length = np.diff(np.append(start, offset))
    order = np.argsort(block_call, kind="stable")
    if len(order) > 1 and bool((block_call[order[1:]] == block_call[order[:-1]]).any()):  # a call in two blocks
        return None
    moved = np.empty_like(start)
    moved[order] = np.cumsum(length[order]) - length[order]  # where each block starts, in order
    return np.repeat(moved - start, length) + np.arange(offset)


def _release_memory() -> None:
    """Hand freed memory back to the system (glibc's heap and pyarrow's pool keep what Python and
    pyarrow free, so the peak would be the sum of the steps, not their largest)."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    try:
        pa.default_memory_pool().release_unused()
    except AttributeError:  # pragma: no cover - older pyarrow
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def aggregate(results_dir: Union[str, Path], options: Optional[AggregateOptions] = None) -> AggregateSummary:
    """Recompute the variability outputs from the stored calls of the period
    (``options.window_days``; no re-transcription)."""
    with one_blas_thread(), no_huge_pages():
        return _aggregate(results_dir, options)


def no_huge_pages():
    """A context in which numpy does not ask the kernel for transparent huge pages for its large
    arrays (it madvises every array of 4 MB or more by default). Where the kernel then compacts
    memory to find each huge page when it is first touched (THP defrag "madvise", a common
    default), the aggregation's many fresh arrays of tens to hundreds of MB cost seconds in the
    kernel: 1M calls on 2 cores shared with another job, system time 13.7 s -> 5.8 s, wall 49 s ->
    44 s. The arrays are read in passes and joins where huge pages gained nothing measurable.
    numpy's setting is restored on leaving (a no-op on a numpy without it)."""
    import contextlib

    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # pragma: no cover - numpy < 2
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            return contextlib.nullcontext()

    @contextlib.contextmanager
    def scope():
        previous = _set_madvise_hugepage(False)
        try:
            yield
        finally:
            _set_madvise_hugepage(previous)

    return scope()


def _aggregate(results_dir: Union[str, Path], options: Optional[AggregateOptions] = None) -> AggregateSummary:
    import pyarrow as pa

    options = options or AggregateOptions()
    store = ResultsStore(Path(results_dir))
    window = call_window(store, options.window_days)
    calls = read_window_calls(store, window) if window is not None else None
    if calls is None or calls.empty:
        raise AnalyzerError(f"{results_dir}: no calls stored yet; run `analyzer run` first")
    polarity = {bid: b["polarity"] for bid, b in behaviour_catalog(results_dir).items()}  # the taxonomy that tagged the calls
    try:
        est = estimator_from(options, polarity).fit(calls)
    except ValueError as exc:
        raise AnalyzerError(f"{results_dir}: cannot aggregate ({exc})") from None
    del calls
    # what is written of the calls, then only what the example search needs of them
    outcomes = pa.Table.from_pandas(est.calls_[[c for c in OUTCOME_COLUMNS if c in est.calls_.columns]], preserve_index=False)
    n_calls, n_agents = est.n_calls_, est.n_agents_
    est.calls_ = est.calls_[[c for c in ("call_id", "agent_id", "quartile", VERSION) if c in est.calls_.columns]]
    _release_memory()
    moments = moments_from_store(est, store, window.partitions)
    coaching = coaching_opportunities(est, per_agent=options.coaching_per_agent, examples=options.coaching_examples, moments=moments)
    del moments
    store.write_table("agents", pa.Table.from_pandas(est.agents_, preserve_index=False))
    store.write_table("coaching", pa.Table.from_pandas(coaching, preserve_index=False))
    store.write_table("call_outcomes", outcomes)
    headline = {**est.headline_, "period": window.period, "options": asdict(options)}
    path = store.write_json("variability.json", headline)
    summary = AggregateSummary(n_calls, n_agents, int(est.agents_.ranked.sum()), {
        "agents": str(store.path("agents")), "coaching": str(store.path("coaching")),
        "call_outcomes": str(store.path("call_outcomes")), "variability": str(path)}, window.period)
    log.info(summary.line())
    return summary
