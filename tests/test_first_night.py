"""A team's first nights: small teams, bad top-level transcript fields, schema drift between
nights, daylight-saving offsets, a custom taxonomy, and batch stages that fail (issue 10)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.config import AggregateOptions, AnalyzerConfig, BehaviourOptions, SentimentOptions
from analyzer.pipeline import Models
from analyzer.results import load_results
from analyzer.runner import run_batch

NO_TEXT_MODELS = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False),
                                aggregate=AggregateOptions(n_boot=30))


def transcript(call_id, agent_id="a1", texts=("Thank you for calling.", "Hi, my bill is wrong."), **extra):
    utterances = []
    t = 0.0
    for i, text in enumerate(texts):
        utterances.append({"speaker": "agent" if i % 2 == 0 else "customer", "start": t, "end": t + 2.0, "text": text})
        t += 2.5
    return {"call_id": call_id, **({"agent_id": agent_id} if agent_id else {}), **extra, "utterances": utterances}


def write_calls(folder: Path, calls) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for call in calls:
        (folder / f"{call['call_id']}.json").write_text(json.dumps(call))
    return folder


# -- item 1: any team size gets a report; failed batch stages are visible -------------------------


def test_first_night_of_a_small_team_gets_a_report_and_exit_0(tmp_path):
    calls = [transcript(f"c{i}", agent_id=f"agent-{i % 3}", csat=(i % 5) + 1, handle_seconds=200 + 30 * i) for i in range(7)]
    inp = write_calls(tmp_path / "in", calls)
    out = tmp_path / "results"
    summary = run_batch(inp, out, config=NO_TEXT_MODELS)
    assert summary.exit_code == 0, summary.line()
    assert "failed" not in summary.line().split(";")[-1]
    index = out / "report" / "index.html"
    assert index.exists()
    assert not any(p.name.endswith(".tmp") for p in out.iterdir()), "no half-written report left behind"
    html = index.read_text()
    assert "not ranked yet" in html and "20 calls" in html  # who is not ranked, and why
    for agent in ("agent-0", "agent-1", "agent-2"):
        assert f">{agent}<" in html
    agents = load_results(out).agents
    assert len(agents) == 3 and not agents.ranked.any()
    # per-agent numbers with intervals in the agent table
    assert html.count(" [") >= 3


def test_one_call_batch_gets_a_report(tmp_path):
    inp = write_calls(tmp_path / "in", [transcript("only", csat=4)])
    summary = run_batch(inp, tmp_path / "r", config=NO_TEXT_MODELS)
    assert summary.exit_code == 0, summary.line()
    assert (tmp_path / "r" / "report" / "index.html").exists()


@pytest.mark.parametrize("stage", ["aggregate", "report"])
def test_failed_batch_stage_shows_in_summary_failures_and_exit_code(tmp_path, monkeypatch, stage):
    import analyzer.report.writer
    import analyzer.variability.aggregate

    def boom(*args, **kwargs):
        raise RuntimeError(f"{stage} exploded")

    module = analyzer.variability.aggregate if stage == "aggregate" else analyzer.report.writer
    monkeypatch.setattr(module, stage if stage == "aggregate" else "write_report", boom)
    inp = write_calls(tmp_path / "in", [transcript("c1"), transcript("c2", agent_id="a2")])
    summary = run_batch(inp, tmp_path / "r", config=NO_TEXT_MODELS)
    assert summary.n_ok == 2
    assert summary.exit_code == 1
    assert f"{stage} failed" in summary.line()
    failures = load_results(tmp_path / "r").failures
    row = failures[failures.stage == stage]
    assert len(row) == 1 and f"{stage} exploded" in row.reason.iloc[0] and row.severity.iloc[0] == "error"
    batches = load_results(tmp_path / "r").batches
    assert len(batches) == 1  # the batch row is replaced, not duplicated
    if stage == "report":
        assert not (tmp_path / "r" / "report.tmp").exists()


def test_cli_exit_code_when_the_report_fails(tmp_path, monkeypatch):
    import analyzer.report.writer

    monkeypatch.setattr(analyzer.report.writer, "write_report", lambda *a, **k: 1 / 0)
    inp = write_calls(tmp_path / "in", [transcript("c1")])
    config = tmp_path / "c.toml"
    config.write_text("[sentiment]\nenabled = false\n[behaviours]\nenabled = false\n")
    result = CliRunner().invoke(cli, ["run", str(inp), "--out", str(tmp_path / "r"), "--config", str(config), "-q"])
    assert result.exit_code == 1, result.output
    assert "report failed" in result.output


# -- item 3: top-level transcript fields; schema drift between nights --------------------------


def test_bad_top_level_transcript_fields_are_warnings_not_a_crash(tmp_path):
    calls = [transcript("t1", csat="great"), transcript("t2", csat=9), transcript("t3", csat=4, handle_seconds=-3, transferred="maybe"),
             transcript("t4", csat="5", queue=17, transferred="yes")]
    inp = write_calls(tmp_path / "in", calls)
    summary = run_batch(inp, tmp_path / "r", config=NO_TEXT_MODELS)
    assert summary.n_ok == 4 and summary.n_failed == 0 and summary.exit_code == 0, summary.line()
    results = load_results(tmp_path / "r")
    calls = results.calls.set_index("call_id")
    assert np.isnan(calls.loc["t1", "csat"]) and np.isnan(calls.loc["t2", "csat"])
    assert calls.loc["t3", "csat"] == 4 and np.isnan(calls.loc["t3", "handle_seconds"])
    assert calls.loc["t4", "csat"] == 5 and calls.loc["t4", "queue"] == "17" and bool(calls.loc["t4", "transferred"])
    warnings = results.failures[results.failures.severity == "warning"]
    reasons = dict(zip(warnings.file.map(lambda f: Path(f).name) + ":" + warnings.reason.str.extract(r"field (\w+)")[0], warnings.reason))
    assert "'great' is not a number" in reasons["t1.json:csat"]
    assert "outside the 1-5 survey scale" in reasons["t2.json:csat"]
    assert "negative" in reasons["t3.json:handle_seconds"] and "true/false" in reasons["t3.json:transferred"]
    assert set(warnings.stage) == {"transcript"} and set(warnings.call_id) == {"t1", "t2", "t3"}


def test_extra_field_that_changes_type_between_nights_never_jams(tmp_path):
    out = tmp_path / "r"
    nights = [[transcript("n1", region=5, score=1.5)], [transcript("n2", region="north", score="high")],
              [transcript("n3", region=True)], [transcript("n4")]]
    for i, calls in enumerate(nights):
        summary = run_batch(write_calls(tmp_path / f"night{i}", calls), out, config=NO_TEXT_MODELS)
        assert summary.exit_code == 0, summary.line()
    calls = load_results(out).calls.set_index("call_id")
    assert sorted(calls.index) == ["n1", "n2", "n3", "n4"]
    assert calls.loc["n2", "region"] == "north" and str(calls.loc["n1", "region"]) == "5"


def test_a_staged_part_with_a_drifted_type_does_not_jam_later_runs(tmp_path):
    """The state the issue describes: a night's part of another type left in .staging."""
    import pyarrow.parquet as pq

    out = tmp_path / "r"
    run_batch(write_calls(tmp_path / "n1", [transcript("n1", region=5)]), out, config=NO_TEXT_MODELS)
    staged = pa.table({"call_id": ["x1"], "agent_id": ["a"], "input_sha256": ["s"], "settings_hash": ["h"], "region": ["north"]})
    (out / ".staging").mkdir(exist_ok=True)
    pq.write_table(staged, out / ".staging" / "20990101T000000-aaaaaa-000001.calls.parquet")
    pq.write_table(pa.table({"call_id": ["x2"], "agent_id": ["a"], "input_sha256": ["s"], "settings_hash": ["h"], "region": [1.5]}),
                   out / ".staging" / "20990101T000000-aaaaaa-000002.calls.parquet")
    summary = run_batch(write_calls(tmp_path / "n2", [transcript("n2", region=7)]), out, config=NO_TEXT_MODELS)
    assert summary.n_ok == 1, summary.line()
    calls = load_results(out).calls.set_index("call_id")
    assert {"n1", "n2", "x1", "x2"} <= set(calls.index)
    assert not list((out / ".staging").glob("*.parquet"))


def test_a_call_the_store_cannot_write_fails_alone_not_the_batch(tmp_path, monkeypatch):
    """Staging ran outside the per-call guard: one call's rows that cannot be written stopped
    the batch with a traceback. Now that call becomes a failure row and the others are kept."""
    from analyzer.store import ResultsStore

    real = ResultsStore.stage

    def stage(self, batch_id, tables):
        if any(row.get("call_id") == "bad" for row in tables.get("calls", [])):
            raise OSError(28, "No space left on device")
        return real(self, batch_id, tables)

    monkeypatch.setattr(ResultsStore, "stage", stage)
    inp = write_calls(tmp_path / "in", [transcript("good1"), transcript("bad"), transcript("good2")])
    summary = run_batch(inp, tmp_path / "r", config=NO_TEXT_MODELS)
    results = load_results(tmp_path / "r")
    assert sorted(results.calls.call_id) == ["good1", "good2"]
    (row,) = results.failures[results.failures.call_id == "bad"].itertuples()
    assert row.stage == "store" and row.severity == "error" and "No space left" in row.reason
    assert summary.exit_code == 1 and summary.n_ok == 2 and summary.n_failed == 1


def test_values_of_any_type_in_one_batch_are_stored(tmp_path, monkeypatch):
    import analyzer.runner

    real = analyzer.runner.call_row

    def row_with_odd_values(result, *args):
        row = real(result, *args)
        row["odd"] = {"good1": 1, "mixed": "text", "good2": [1, "a"]}.get(result.info.call_id)
        return row

    monkeypatch.setattr(analyzer.runner, "call_row", row_with_odd_values)
    inp = write_calls(tmp_path / "in", [transcript("good1"), transcript("mixed"), transcript("good2")])
    summary = run_batch(inp, tmp_path / "r", config=NO_TEXT_MODELS)
    assert summary.exit_code == 0, summary.line()
    assert sorted(load_results(tmp_path / "r").calls.call_id) == ["good1", "good2", "mixed"]


# -- item 5: daylight-saving offsets --------------------------------------------------------------


def test_daylight_saving_offsets_do_not_stop_the_aggregate(tmp_path):
    calls = [transcript(f"d{i}", agent_id=f"a{i % 4}", csat=(i % 5) + 1, handle_seconds=100 + 10 * i,
                        started_at=f"2026-03-{7 + i % 4:02d}T{9 + i % 3:02d}:15:00{'-05:00' if i % 2 else '-04:00'}") for i in range(16)]
    calls.append(transcript("dz", agent_id="a0", started_at="2026-03-08T10:00:00Z"))
    calls.append(transcript("dn", agent_id="a1", started_at="2026-03-08T10:00:00"))  # no offset at all
    out = tmp_path / "r"
    summary = run_batch(write_calls(tmp_path / "in", calls), out, config=NO_TEXT_MODELS)
    assert summary.exit_code == 0, summary.line()
    assert "Mixed" not in (out / "analyzer.log").read_text()
    headline = json.loads((out / "variability.json").read_text())
    assert headline["n_calls"] == 18 and headline["period_days"] is not None


# -- item 7: the taxonomy that tagged the calls; agent_id disagreement ---------------------------


class _Behaviour:
    def __init__(self, id, name, polarity, party="agent"):
        self.id, self.name, self.polarity, self.party = id, name, polarity, party


class _Taxonomy:
    def __init__(self, behaviours):
        self.behaviours = tuple(behaviours)
        self.source = "team-taxonomy.yaml"
        self.sha256 = "0123456789abcdef"

    @property
    def ids(self):
        return tuple(b.id for b in self.behaviours)


class KeywordTextModels:
    """Text models with a team's own taxonomy holding a negative behaviour the shipped default
    does not have (keyword rules stand in for the heads)."""

    model_id = "text:team:test"

    def __init__(self):
        self.taxonomy = _Taxonomy([_Behaviour("brushing_off", "Brushing the customer off", "negative"),
                                   _Behaviour("warm_close", "Warm close", "positive")])

    @property
    def behaviour_ids(self):
        return list(self.taxonomy.ids)

    def behaviours_present(self, texts, speakers, embeddings=None):
        probs = np.array([[float("whatever" in t.lower()), float("lovely day" in t.lower())] for t in texts]).reshape(len(texts), 2)
        present = probs >= 0.5
        for i, speaker in enumerate(speakers):
            present[i] &= speaker == "agent"
        return probs, present

    def score(self, texts, speakers, sentiment=True, behaviours=True):
        from analyzer.textmodels.bundle import TextScores

        assert not sentiment  # the test runs with sentiment off
        probs, present = self.behaviours_present(texts, speakers)
        return TextScores(None, probs, present)


def test_custom_taxonomy_polarity_reaches_aggregation_and_report(tmp_path):
    rng = np.random.default_rng(3)
    calls = []
    for i in range(60):
        brush = rng.random() < 0.4
        texts = ("Whatever, that's just how it is." if brush else "Let me sort that out for you.", "Okay.",
                 "Have a lovely day!" if rng.random() < 0.5 else "Bye.")
        calls.append(transcript(f"k{i:02d}", agent_id=f"a{i % 6}", texts=texts, csat=2 if brush else 5))
    config = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), aggregate=AggregateOptions(n_boot=30, min_calls=5))
    out = tmp_path / "r"
    summary = run_batch(write_calls(tmp_path / "in", calls), out, config=config, models=Models(text=KeywordTextModels()))
    assert summary.exit_code == 0, summary.line()
    recorded = json.loads((out / "taxonomy.json").read_text())
    by_id = {b["id"]: b for b in recorded["behaviours"]}
    assert by_id["brushing_off"]["polarity"] == "negative" and by_id["brushing_off"]["name"] == "Brushing the customer off"
    assert by_id["dead_air"]["polarity"] == "negative"
    effects = json.loads((out / "variability.json").read_text())["behaviour_effects"]["csat"]["behaviours"]
    assert {r["behaviour"]: r["polarity"] for r in effects}["brushing_off"] == "negative"
    coaching = load_results(out).coaching
    if len(coaching):
        assert set(coaching[coaching.behaviour == "brushing_off"].polarity) <= {"negative"}
    page = next(p for p in (out / "report" / "calls").glob("k*.html") if "Whatever" in p.read_text())
    assert 'class="badge negative">Brushing the customer off<' in page.read_text()


def test_agent_id_disagreement_between_transcript_and_metadata_is_a_warning(tmp_path):
    inp = write_calls(tmp_path / "in", [transcript("c1", agent_id="from-transcript")])
    (tmp_path / "m.csv").write_text("call_id,agent_id\nc1,from-metadata\n")
    run_batch(inp, tmp_path / "r", metadata=tmp_path / "m.csv", config=NO_TEXT_MODELS)
    results = load_results(tmp_path / "r")
    assert results.calls.agent_id.tolist() == ["from-metadata"]
    (row,) = results.failures.itertuples()
    assert row.severity == "warning" and row.call_id == "c1"
    assert "from-transcript" in row.reason and "from-metadata" in row.reason
