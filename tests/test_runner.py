"""The batch runner: bad input never stops a batch, re-runs skip finished calls, nothing is lost
or duplicated."""

import json

import numpy as np
import pandas as pd
import pytest

from analyzer.adapters.whisper import Transcription
from analyzer.config import AnalyzerConfig, RunOptions
from analyzer.pipeline import Models
from analyzer.records import Word
from analyzer.results import load_results
from analyzer.runner import run_batch
from tests.conftest import tiny_config, write_wav


class FakeTranscriber:
    """Deterministic stand-in: one word per 0.5 s of signal above -40 dBFS; fails on request."""

    model_id = "fake-asr"

    def __init__(self, fail_on_length=None):
        self.fail_on_length = fail_on_length
        self.calls = 0

    def transcribe(self, *channels):
        self.calls += 1
        if self.fail_on_length is not None and len(channels[0]) == self.fail_on_length:
            raise RuntimeError("model exploded")
        out = []
        for audio in channels:
            words = []
            for i in range(0, len(audio) - 8000 + 1, 8000):
                if np.abs(audio[i : i + 8000]).max() > 0.01:
                    words.append(Word(i / 16000, i / 16000 + 0.4, f"w{i // 8000}", 0.9))
            out.append(tuple(words))
        return Transcription(tuple(out), 0.0, 0)


def stereo(seconds, rate=8000, left=True, right=True):
    t = np.arange(int(seconds * rate)) / rate
    sig = 0.3 * np.sin(2 * np.pi * 300 * t)
    return np.stack([sig if left else 0 * t, sig if right else 0 * t])


def transcript(call_id, agent_id="a1", **extra):
    return {"call_id": call_id, **({"agent_id": agent_id} if agent_id else {}), **extra,
            "utterances": [{"speaker": "agent", "start": 0, "end": 2, "text": "Thank you for calling."},
                           {"speaker": "customer", "start": 2.5, "end": 4, "text": "Hi, my bill is wrong."}]}


@pytest.fixture
def bad_batch(tmp_path):
    inp = tmp_path / "in"
    (inp / "sub").mkdir(parents=True)
    write_wav(inp / "good1.wav", stereo(3), 8000)
    write_wav(inp / "sub" / "good2.wav", stereo(2, left=False), 8000)
    write_wav(inp / "mono.wav", stereo(2)[:1], 8000)
    write_wav(inp / "three.wav", np.concatenate([stereo(1), stereo(1)[:1]]), 8000)
    write_wav(inp / "zero.wav", np.zeros((2, 0)), 8000)
    (inp / "empty.wav").write_bytes(b"")
    (inp / "notaudio.mp3").write_text("hello\n" * 100)
    (inp / "broken.json").write_text("{oops")
    (inp / "t1.json").write_text(json.dumps(transcript("t1")))
    (inp / "noagent.json").write_text(json.dumps(transcript("t-noagent", agent_id=None)))
    (inp / "dup.json").write_text(json.dumps(transcript("t1")))  # sorts before t1.json
    (inp / "readme.txt").write_text("ignored")
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "call_id,agent_id,csat,queue\ngood1,a1,5,billing\ngood2,a2,,tech\nmissing-call,a3,4,tech\nt1,a1,oops,billing\n"
        + "".join(f"{name},a9,,tech\n" for name in ("mono", "three", "zero", "empty", "notaudio"))
    )
    return inp, meta


def test_bad_inputs_are_recorded_and_batch_goes_on(tmp_path, bad_batch):
    inp, meta = bad_batch
    out = tmp_path / "results"
    events = []
    summary = run_batch(inp, out, metadata=meta, models=Models(FakeTranscriber()), progress=events.append)
    results = load_results(out)
    assert sorted(results.calls.call_id) == ["good1", "good2", "t1"]
    failures = results.failures
    by_file = {name.split("/")[-1]: reason for name, reason in zip(failures.file, failures.reason)}
    assert "mono recording" in by_file["mono.wav"]
    assert "3 audio channels" in by_file["three.wav"]
    assert "zero-length" in by_file["zero.wav"] or "not a readable" in by_file["zero.wav"]
    assert "empty file" in by_file["empty.wav"]
    assert "not a readable audio file" in by_file["notaudio.mp3"]
    assert "not valid JSON" in by_file["broken.json"]
    assert "no agent_id" in by_file["noagent.json"]
    assert "duplicate call_id 't1'" in by_file["t1.json"]
    assert any("'missing-call' has no recording" in r for r in failures.reason)
    assert any("column csat: 'oops' is not a number" in r for r in failures.reason)
    assert summary.n_ok == 3 and summary.exit_code == 1
    assert summary.n_failed == (failures.severity == "error").sum() == 9
    assert set(failures.stage) <= {"decode", "transcript", "metadata", "discover"}
    # metadata joined, extra columns kept, dup.json (sorted first) holds call t1
    calls = results.calls.set_index("call_id")
    assert calls.loc["good1", "csat"] == 5 and calls.loc["good1", "queue"] == "billing"
    assert pd.isna(calls.loc["good2", "csat"]) and calls.loc["good2", "agent_id"] == "a2"
    assert calls.loc["good2", "agent_talk_s"] == 0 and calls.loc["good2", "customer_talk_s"] > 0
    assert events[0].event == "start" and events[-1].event == "end" and events[-1].done == events[-1].total


def test_rerun_skips_done_calls_and_duplicates_nothing(tmp_path, bad_batch):
    inp, meta = bad_batch
    out = tmp_path / "results"
    fake = FakeTranscriber()
    run_batch(inp, out, metadata=meta, models=Models(fake))
    first = load_results(out)
    n_asr = fake.calls
    summary = run_batch(inp, out, metadata=meta, models=Models(fake))
    again = load_results(out)
    assert fake.calls == n_asr, "already-done calls must not be transcribed again"
    assert summary.n_ok == 0 and summary.n_skipped == 3
    assert len(again.calls) == len(first.calls) and len(again.utterances) == len(first.utterances)
    assert again.calls.call_id.is_unique
    assert len(again.batches) == 2
    # a changed setting re-processes and replaces, still without duplicates
    config = AnalyzerConfig().replace("utterances", max_gap_s=0.1)
    summary = run_batch(inp, out, metadata=meta, models=Models(fake), config=config)
    assert summary.n_ok == 3
    third = load_results(out)
    assert third.calls.call_id.is_unique and len(third.calls) == 3
    assert len(third.utterances) >= len(first.utterances)
    assert third.utterances.groupby("call_id").utterance_index.apply(lambda s: s.is_unique).all()


def test_unexpected_model_error_fails_one_call_only(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    write_wav(inp / "a.wav", stereo(2), 8000)
    write_wav(inp / "b.wav", stereo(3), 8000)  # 3 s at 16 kHz = 48000 samples
    (tmp_path / "m.csv").write_text("call_id,agent_id\na,x\nb,y\n")
    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", models=Models(FakeTranscriber(fail_on_length=48000)))
    results = load_results(tmp_path / "out")
    assert list(results.calls.call_id) == ["a"]
    (row,) = results.failures.itertuples()
    assert row.stage == "transcribe" and "model exploded" in row.reason and row.call_id == "b"
    assert summary.exit_code == 1


def test_interrupted_batch_keeps_finished_calls(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(4):
        (inp / f"t{i}.json").write_text(json.dumps(transcript(f"t{i}")))
    out = tmp_path / "out"
    config = AnalyzerConfig(run=RunOptions(flush_every=1))

    def stop_after_two(event):
        if event.event == "done" and event.done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(inp, out, config=config, progress=stop_after_two)
    summary = run_batch(inp, out, config=config)
    assert summary.n_skipped == 2 and summary.n_ok == 2
    assert sorted(load_results(out).calls.call_id) == ["t0", "t1", "t2", "t3"]


def test_nothing_to_run_exit_code(tmp_path):
    summary = run_batch(tmp_path / "does-not-exist", tmp_path / "out")
    assert summary.exit_code == 3 and summary.failures[0].reason == "path does not exist"


def test_tiny_whisper_end_to_end(tmp_path, tiny_whisper_dir):
    """Real faster-whisper code path with a tiny random model: plumbing, not quality."""
    inp = tmp_path / "in"
    inp.mkdir()
    write_wav(inp / "c1.wav", stereo(4), 8000)
    (tmp_path / "m.csv").write_text("call_id,agent_id\nc1,a1\n")
    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", config=tiny_config(tiny_whisper_dir))
    assert summary.exit_code == 0
    calls = load_results(tmp_path / "out").calls
    assert calls.loc[0, "asr_model"].startswith("ct2:") and calls.loc[0, "duration_s"] == pytest.approx(4.0, abs=0.01)
    assert (tmp_path / "out" / "analyzer.log").read_text().count("done c1") == 1


def test_text_stages_write_behaviours_dynamics_and_time_use(tmp_path, tiny_text_models):
    config, models = tiny_text_models
    assert models.text.behaviour_ids and models.text.customer is not models.text.agent  # one bundle, several heads
    inp = tmp_path / "in"
    inp.mkdir()
    utts = [{"speaker": "agent", "start": 0, "end": 3, "text": "Thank you for calling, this is Sam."},
            {"speaker": "customer", "start": 2.5, "end": 8, "text": "Hi, my bill is wrong and I am really upset about it."},
            {"speaker": "agent", "start": 20, "end": 24, "text": "I'm sorry, leave it with me and I'll fix it."}]
    (inp / "t1.json").write_text(json.dumps({"call_id": "t1", "agent_id": "a1", "utterances": utts}))
    (tmp_path / "m.csv").write_text("call_id,acw_seconds,handle_seconds\nt1,30,60\n")
    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", config=config, models=models)
    assert summary.exit_code == 0
    results = load_results(tmp_path / "out")
    call = results.calls.iloc[0]
    assert call.dead_air_s == pytest.approx(12.0) and call.beh_dead_air_n == 1 and bool(call.beh_dead_air)
    assert call.customer_interruptions == 1 and call.overtalk_s == pytest.approx(0.5)
    assert call.time_handle_source == "handle_seconds" and call.time_handle_s == 60
    parts = [call[f"time_{p}"] for p in ("productive_s", "distress_s", "dead_air_s", "hold_s", "acw_s", "other_s")]
    assert sum(parts) == pytest.approx(60)
    assert {f"beh_{b}_n" for b in ("greeting", "ownership", "interruption")} <= set(results.calls.columns)
    assert set(results.behaviours.columns) >= {"call_id", "utterance_index", "behaviour_id", "score", "source"}
    assert (results.behaviours.behaviour_id == "dead_air").sum() == 1
    assert results.utterances.sentiment_label.notna().all()


def test_results_are_readable_with_duckdb(tmp_path, bad_batch):
    duckdb = pytest.importorskip("duckdb")
    inp, meta = bad_batch
    run_batch(inp, tmp_path / "out", metadata=meta, models=Models(FakeTranscriber()))
    calls = tmp_path / "out" / "calls" / "*" / "*.parquet"  # the README's one-liners
    utterances = tmp_path / "out" / "utterances" / "*" / "*.parquet"
    rows = duckdb.sql(f"SELECT c.agent_id, count(DISTINCT c.call_id) AS calls, count(*) AS utterances FROM '{calls}' c "
                      f"JOIN '{utterances}' u USING (call_id, version) GROUP BY c.agent_id ORDER BY c.agent_id").fetchall()
    assert rows and sum(r[1] for r in rows) == 3
    import analyzer

    con = analyzer.connect_duckdb(tmp_path / "out")
    assert con.sql("SELECT count(*) FROM calls").fetchall()[0][0] == 3
    assert con.sql("SELECT count(*) FROM utterances").fetchall()[0][0] == sum(r[2] for r in rows)


def test_a_night_with_nothing_new_loads_no_model(tmp_path, monkeypatch):
    """A rerun whose calls are all stored skips model loading (seconds of the fixed cost)."""
    import analyzer.runner as runner
    from analyzer.config import BehaviourOptions, SentimentOptions

    config = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False))
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(2):
        (inp / f"c{i}.json").write_text(json.dumps({"call_id": f"c{i}", "agent_id": "a1", "utterances": [
            {"speaker": "agent", "start": 0, "end": 1, "text": "Hello."}, {"speaker": "customer", "start": 1.5, "end": 3, "text": "Hi."}]}))
    assert run_batch(inp, tmp_path / "r", config=config, report=False).n_ok == 2

    def fail(*args, **kwargs):
        raise AssertionError("models loaded for a night with nothing to process")

    monkeypatch.setattr(runner, "load_models", fail)
    summary = run_batch(inp, tmp_path / "r", config=config, report=False)
    assert summary.n_skipped == 2 and summary.n_ok == 0 and summary.exit_code == 0
