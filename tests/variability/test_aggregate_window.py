"""Aggregation over a window of started_at, bounded by the window (issue 13, item 2).

A store written through ResultsStore.stage/commit, several nights, each night's calls starting the
day before its run, a simulated team rendered as transcripts and tagged by a perfect tagger (as in
test_coaching_moments.py): the aggregate must give exactly what the in-memory engine gives on
the same calls (load_results + AgentVariability + coaching_opportunities on DataFrames), cover
the last N days of started_at (not of the run dates), and never read the partitions outside the
window."""

import json
import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.config import AggregateOptions, AnalyzerConfig
from analyzer.errors import ConfigError
from analyzer.results import behaviour_catalog, load_results
from analyzer.store import ResultsStore
from analyzer.variability.aggregate import aggregate, estimator_from
from analyzer.variability.coaching import _is_question, coaching_opportunities, is_question
from analyzer.variability.simulate import AGENT_LINES, CUSTOMER_LINES, NEGATIVE, POSITIVE, SimulationOptions, render_population, simulate_population

NEGATIVE_LINES = set(CUSTOMER_LINES[0]) | set(CUSTOMER_LINES[1])
PATTERNS = {b: [re.compile(re.sub(r"\\\{\w+\\\}", r"\\w+", re.escape(line))) for line in lines] for b, lines in AGENT_LINES.items()}
FIRST_DAY = date(2026, 10, 20)
DAYS = 8
OPTIONS = dict(n_boot=20, min_calls=8, coaching_per_agent=3, coaching_examples=3)


def _tag(text):
    return next((b for b, patterns in PATTERNS.items() if any(p.search(text) for p in patterns)), "")


def _rows(population, rng):
    """Per call: its calls row, utterances and behaviour rows (pipeline-shaped, a perfect tagger)."""
    out = {}
    for call in render_population(population):
        utterances, behaviours = [], []
        for i, u in enumerate(call["utterances"]):
            negative = u["speaker"] == "customer" and u["text"] in NEGATIVE_LINES
            sentiment = round(float(-0.8 if negative else rng.normal(0.1, 0.2)), 4)
            utterances.append({"call_id": call["call_id"], "utterance_index": i, "speaker": u["speaker"], "start_s": u["start"], "end_s": u["end"],
                               "text": u["text"], "words": [{"start_s": u["start"], "end_s": u["end"], "text": w, "probability": 0.9} for w in u["text"].split()],
                               "sentiment": sentiment, "sentiment_label": "negative" if negative else "neutral"})
            behaviour = _tag(u["text"]) if u["speaker"] == "agent" else ""
            if behaviour:
                behaviours.append({"call_id": call["call_id"], "utterance_index": i, "speaker": "agent", "behaviour_id": behaviour,
                                   "score": round(float(rng.uniform(0.5, 1)), 3), "time_s": u["start"], "source": "classifier"})
        out[call["call_id"]] = (utterances, behaviours)
    return out


def write_store(root, population, started_at, reprocess=()):
    """Stage and commit one night per date of ``started_at`` (the night after the calls), 10 calls
    a part; calls in ``reprocess`` are processed again on the last night (a later version)."""
    rng = np.random.default_rng(0)
    rows = _rows(population, rng)
    calls = population.calls.drop(columns=[c for c in population.calls.columns if c.startswith("true_")]).assign(started_at=started_at)
    calls["customer_sentiment_end"] = (calls.customer_index_end / 50 - 1).round(4)
    calls["customer_sentiment_trajectory"] = [[0.0] * 10] * len(calls)
    store = ResultsStore(root)
    store.lock()
    nights = sorted(set(s[:10] for s in started_at))
    last = date.fromisoformat(nights[-1]) + timedelta(days=1)
    plan = [(date.fromisoformat(d) + timedelta(days=1), calls[calls.started_at.str.slice(0, 10) == d]) for d in nights]
    if len(reprocess):
        again = calls[calls.call_id.isin(reprocess)].assign(csat=5.0)
        plan.append((last, again))
    for k, (night, frame) in enumerate(plan):
        batch = f"{night:%Y%m%d}T020000-{k:06x}"
        records = frame.to_dict(orient="records")
        for start in range(0, len(records), 10):
            part = records[start:start + 10]
            store.stage(batch, {"calls": [{k: v for k, v in r.items() if not (isinstance(v, float) and np.isnan(v))} for r in part],
                                "utterances": [u for r in part for u in rows[r["call_id"]][0]],
                                "behaviours": [b for r in part for b in rows[r["call_id"]][1]]})
        store.commit()
    store.unlock()
    taxonomy = [{"id": b, "name": b, "polarity": "positive" if b in POSITIVE else "negative", "party": "agent", "found_by": "classifier"}
                for b in POSITIVE + NEGATIVE]
    (root / "taxonomy.json").write_text(json.dumps({"source": "test", "behaviours": taxonomy}))
    return store


@pytest.fixture(scope="module")
def team():
    population = simulate_population(SimulationOptions(n_agents=12, n_calls=720, seed=11))
    day = np.arange(len(population.calls)) % DAYS
    clock = population.calls.started_at.str.slice(11)
    # the contact center is in New York: -04:00 until 1 November, -05:00 after; the last calls of a
    # day are already the next day in UTC
    started = []
    for d, t in zip(day, clock):
        when = FIRST_DAY + timedelta(days=int(d))
        started.append(f"{when}T{t}{'-04:00' if when < date(2026, 11, 1) else '-05:00'}")
    return population, started


@pytest.fixture(scope="module")
def stored(tmp_path_factory, team):
    population, started = team
    root = tmp_path_factory.mktemp("window") / "results"
    reprocess = population.calls.call_id[[0, 1, 2]].tolist()  # first day's calls, processed again on the last night
    write_store(root, population, started, reprocess=reprocess)
    return root, reprocess


def _comparable(headline):
    return {k: v for k, v in headline.items() if k not in ("seconds", "options", "period")}


def _records(table):
    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple, np.ndarray)):
            return [norm(x) for x in v]
        if isinstance(v, (float, np.floating)):
            return "nan" if np.isnan(v) else float(v)
        return v.item() if isinstance(v, np.generic) else v

    return sorted(json.dumps(norm(r), sort_keys=True) for r in table.to_dict(orient="records"))


def test_everything_equals_the_in_memory_engine(stored, tmp_path):
    """--all: the bounded aggregate gives exactly what the engine gives on load_results' tables."""
    root, _ = stored
    options = AggregateOptions(window_days=0, **OPTIONS)
    summary = aggregate(root, options)
    results = load_results(root)
    polarity = {b: v["polarity"] for b, v in behaviour_catalog(root).items()}
    est = estimator_from(options, polarity).fit(results.calls)
    coaching = coaching_opportunities(est, results.behaviours, results.utterances, options.coaching_per_agent, options.coaching_examples)
    headline = json.loads((root / "variability.json").read_text())
    assert summary.n_calls == len(results.calls) == 720
    assert _comparable(headline) == json.loads(json.dumps(_comparable(est.headline_), default=str))
    agents = pd.read_parquet(root / "agents.parquet")
    pd.testing.assert_frame_equal(agents, est.agents_.reset_index(drop=True), check_dtype=False)
    stored_coaching = pd.read_parquet(root / "coaching.parquet")
    assert len(coaching) and sum(len(e) for e in coaching.examples) > 10
    import pyarrow as pa

    assert _records(stored_coaching) == _records(pa.Table.from_pandas(coaching, preserve_index=False).to_pandas())  # as stored
    outcomes = pd.read_parquet(root / "call_outcomes.parquet")
    assert sorted(outcomes.call_id) == sorted(results.calls.call_id)
    # the calls processed again count once, with their latest values
    assert (results.calls.set_index("call_id").loc[stored[1], "csat"] == 5.0).all()
    assert headline["period"]["window_days"] is None and headline["period"]["n_calls"] == 720


def test_window_covers_the_last_days_of_started_at(stored, team):
    root, reprocess = stored
    population, started = team
    summary = aggregate(root, AggregateOptions(window_days=3, **OPTIONS))
    headline = json.loads((root / "variability.json").read_text())
    local_day = pd.Series([s[:10] for s in started], index=population.calls.call_id)
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    inside = local_day[local_day >= str(last - timedelta(days=2))]
    assert summary.n_calls == headline["n_calls"] == len(inside)
    period = headline["period"]
    assert (period["window_days"], period["first_date"], period["last_date"]) == (3, str(last - timedelta(days=2)), str(last))
    assert period["n_calls_stored"] == 720 and period["n_calls_before"] == 720 - len(inside)
    assert headline["options"]["window_days"] == 3
    assert "the last 3 days of started_at" in period["label"] and "the last 3 days" in summary.line()
    outcomes = pd.read_parquet(root / "call_outcomes.parquet")
    assert set(outcomes.call_id) == set(inside.index)
    # the first day's calls processed again on the last night: stored recently, started before the window
    assert not set(reprocess) & set(outcomes.call_id)
    coaching = pd.read_parquet(root / "coaching.parquet")
    shown = {m["call_id"] for e in coaching.examples for m in e} | {m["top"]["call_id"] for e in coaching.examples for m in e if m.get("top")}
    assert shown and shown <= set(inside.index)


def test_window_reads_only_its_partitions(stored, tmp_path):
    """Partitions that hold no call of the window are never opened: damage them, the windowed
    aggregate still runs, the one over everything cannot."""
    import shutil

    root, _ = stored
    copy = tmp_path / "results"
    shutil.copytree(root, copy)
    for name in ("utterances", "behaviours"):
        for part in sorted((copy / name).glob("batch_date=*"))[:3]:  # the first three nights
            for f in part.glob("*.parquet"):
                f.write_bytes(b"not parquet")
    summary = aggregate(copy, AggregateOptions(window_days=3, **OPTIONS))
    assert summary.n_calls > 0
    with pytest.raises(Exception):
        aggregate(copy, AggregateOptions(window_days=0, **OPTIONS))


def test_local_dates_across_daylight_saving(tmp_path):
    """A call at 23:30 local time on 1 November (-05:00) is already 2 November in UTC: it counts
    on 1 November, its local date."""
    population = simulate_population(SimulationOptions(n_agents=4, n_calls=60, seed=2))
    started = ["2026-10-31T23:30:00-04:00"] * 20 + ["2026-11-01T23:30:00-05:00"] * 20 + ["2026-11-02T09:00:00-05:00"] * 20
    write_store(tmp_path / "r", population, started)
    summary = aggregate(tmp_path / "r", AggregateOptions(window_days=2, n_boot=0, min_calls=5))
    assert summary.n_calls == 40 and summary.period["first_date"] == "2026-11-01"


def test_calls_without_started_at_count_by_their_run_date(tmp_path):
    population = simulate_population(SimulationOptions(n_agents=4, n_calls=60, seed=3))
    started = ["2026-11-01T10:00:00"] * 30 + ["2026-11-05T10:00:00"] * 30
    store = write_store(tmp_path / "r", population, started)
    # the second night's calls lose their start time: they count by their run's date (6 November)
    table = store.read("calls")
    assert table is not None
    for f in (tmp_path / "r" / "calls").glob("batch_date=2026-11-06/*.parquet"):
        import pyarrow.parquet as pq

        t = pq.read_table(f)
        t = t.set_column(t.schema.get_field_index("started_at"), "started_at", __import__("pyarrow").nulls(t.num_rows, __import__("pyarrow").string()))
        pq.write_table(t, f)
    summary = aggregate(tmp_path / "r", AggregateOptions(window_days=1, n_boot=0, min_calls=5))
    assert summary.n_calls == 30 and summary.period["last_date"] == "2026-11-06" and summary.period["n_calls_dated_by_run"] == 30


def test_aggregate_command_window_flags(stored, tmp_path):
    import shutil

    root, _ = stored
    copy = tmp_path / "results"
    shutil.copytree(root, copy)
    runner = CliRunner()
    result = runner.invoke(cli, ["aggregate", str(copy), "--window-days", "2", "--n-boot", "0", "--min-calls", "5"])
    assert result.exit_code == 0, result.output
    assert json.loads((copy / "variability.json").read_text())["period"]["window_days"] == 2
    result = runner.invoke(cli, ["aggregate", str(copy), "--all", "--n-boot", "0", "--min-calls", "5"])
    assert result.exit_code == 0, result.output
    headline = json.loads((copy / "variability.json").read_text())
    assert headline["period"]["window_days"] is None and headline["n_calls"] == 720 and "every stored call" in result.output
    result = runner.invoke(cli, ["aggregate", str(copy), "--all", "--window-days", "3"])
    assert result.exit_code == 2


def test_window_days_option():
    assert AggregateOptions().window_days == 90
    assert AnalyzerConfig.from_dict({"aggregate": {"window_days": 0}}).aggregate.window_days == 0
    for bad in (-1, 2.5, "90", True):
        with pytest.raises(ConfigError):
            AggregateOptions(window_days=bad)


def test_vectorised_question_test_agrees_with_the_python_one():
    rng = np.random.default_rng(0)
    words = ["who", "What", "WHEN", "is", "Isn't", "do", "does", "shall", "\u0130s", "\u0131s", "\u017fhall", "whoever", "who_", "who1", "whoé"]
    tails = ["", "?", " ?", "? ", " it", "é", "-", "\u00a0?", "?\u2028", "\u200b", "_x", "1", " \u3000"]
    heads = ["", " ", "\t", "\u00a0", "\x1c", "\u200b", "\ufeff", "\u2003"]
    texts = [None, "", "?", "   ", "nan"] + [rng.choice(heads) + rng.choice(words) + rng.choice(tails) for _ in range(3000)]
    assert is_question(texts).tolist() == [t is not None and _is_question(t) for t in texts]
