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

    table = store.read("calls", ["call_id", "started_at", VERSION, PARTITION])
    if table is None or table.num_rows == 0:
        return None
    n = table.num_rows
    ids = table.column("call_id").to_numpy(zero_copy_only=False)
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
    keys = CallKeys(ids[keep], versions[keep])  # (a call read twice at one version, from two files, stays twice, as read returns it)
    partitions = None if everything else {d for d in run_dates[keep] if d is not None}
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
    keys = CallKeys(calls.ids, calls.versions)
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
        chunks.append((
            codes.astype(np.int32), column(t, "utterance_index", -1, pa.int64()).to_numpy().astype(np.int32), speaker,
            column(t, "start_s").to_numpy(zero_copy_only=False).astype(float), column(t, "sentiment").to_numpy(zero_copy_only=False).astype(float),
            pc.fill_null(pc.equal(column(t, "sentiment_label", type=pa.string()), "negative"), False).to_numpy(zero_copy_only=False).astype(bool),
            question, pc.is_valid(text).to_numpy(zero_copy_only=False).astype(bool), (np.int64(number) << 40) | rows.astype(np.int64),
        ))
        del text, t
    if not chunks:
        if store.read("utterances", ["call_id"]) is None or store.read("utterances", ["call_id"]).num_rows == 0:
            return None  # no utterances stored at all: no examples
        chunks = [tuple(np.zeros(0, dtype=d) for d in (np.int32, np.int32, np.int16, float, float, bool, bool, bool, np.int64))]
    u = [np.concatenate(c) for c in zip(*chunks)]
    del chunks
    _release_memory()

    def fetch_text(row_ids):
        row_ids = np.asarray(row_ids, dtype=np.int64)
        numbers = row_ids >> 40
        wanted = {int(k): row_ids[numbers == k] & ((1 << 40) - 1) for k in np.unique(numbers)}
        found = store.read_column_rows(u_parts, "utterances", "text", wanted)
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
                      u_has_text=u[7], u_row=u[8], fetch_text=fetch_text, b_call=b[0], b_index=b[1], b_behaviour=b[2], b_names=names,
                      b_score=b[3], b_time=b[4], n_utterances_read=max(len(u[0]), 1))


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
    with one_blas_thread():
        return _aggregate(results_dir, options)


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
