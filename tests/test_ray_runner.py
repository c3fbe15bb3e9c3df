"""The Ray engine: on a local Ray instance (2 CPUs), the same inputs give the same tables as the
local engine (calls, utterances, behaviours, failures, the aggregates), a rerun is idempotent
whatever engine ran first, and a worker that dies costs only the call that killed it."""

import json
import os
import time
from collections import deque

import numpy as np
import pandas as pd
import pytest

from analyzer import schema
from analyzer.adapters.whisper import Transcription
from analyzer.config import AnalyzerConfig, RayOptions, RunOptions, TextOptions, TranscribeOptions
from analyzer.pipeline import Models
from analyzer.records import Word
from analyzer.results import load_results
from analyzer.runner import run_batch
from tests.conftest import write_wav

ray = pytest.importorskip("ray", reason="the Ray engine's tests need Ray: pip install 'analyzer[ray]' (scripts/setup.sh installs it)")

#: columns that say when and how fast a run went, not what it found
RUN_COLUMNS = {"batch_id", "batch_date", "processed_at", "failed_at", schema.VERSION, "processing_s"} | {
    schema.STAGE_SECONDS.format(stage=s) for s in schema.PIPELINE_STAGES}
KEYS = {"calls": ["call_id"], "utterances": ["call_id", "utterance_index"], "behaviours": ["call_id", "utterance_index", "behaviour_id", "source"],
        "failures": ["file", "stage", "reason"], "agents": ["agent_id"], "call_outcomes": ["call_id"]}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def stereo(seconds, rate=8000):
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * 300 * t) * (t % 2 < 1), 0.3 * np.sin(2 * np.pi * 450 * t) * (t % 2 >= 1)])


LINES = [("agent", "Thank you for calling, this is Sam, how can I help?"), ("customer", "My bill is wrong again and I am really upset."),
         ("agent", "I'm sorry about that, leave it with me and I'll fix it today."), ("customer", "Thank you, that is great."),
         ("agent", "Is there anything else I can help with?"), ("customer", "No, this is terrible, I want to cancel.")]


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """Transcript calls of three agents, one recording, and broken inputs of several kinds."""
    inp = tmp_path_factory.mktemp("night")
    for i in range(9):
        utts = [{"speaker": s, "start": 3.0 * k + (i % 3), "end": 3.0 * k + 2.5 + (i % 3), "text": t}
                for k, (s, t) in enumerate(LINES[: 3 + i % 4])]
        (inp / f"t{i}.json").write_text(json.dumps({"call_id": f"t{i}", "agent_id": f"a{i % 3}", "started_at": f"2026-11-26T1{i}:00:00",
                                                    "utterances": utts}))
    (inp / "broken.json").write_text("{oops")
    (inp / "noagent.json").write_text(json.dumps({"call_id": "t-noagent", "utterances": []}))
    write_wav(inp / "c1.wav", stereo(4), 8000)
    write_wav(inp / "mono.wav", stereo(2)[:1], 8000)
    (inp / "empty.wav").write_bytes(b"")
    meta = inp.parent / f"{inp.name}-meta.csv"
    meta.write_text("call_id,agent_id,csat,queue\nc1,a1,4,billing\nmono,a2,,tech\nempty,a2,,tech\nt0,a0,5,billing\nt1,a1,oops,tech\n"
                    "missing-call,a2,3,tech\n")
    return inp, meta


@pytest.fixture(scope="module")
def config(tiny_whisper_dir, tiny_bundle_dir):
    # fixed threads and streams: the same decoding on both engines (a worker's automatic threads follow its CPUs)
    return AnalyzerConfig(transcribe=TranscribeOptions(model=str(tiny_whisper_dir), cpu_threads=1, streams=1),
                          text=TextOptions(model=str(tiny_bundle_dir), threads=1), run=RunOptions(flush_every=3))


def tables(out):
    results = load_results(out)
    got = {}
    for name, keys in KEYS.items():
        frame = getattr(results, name)
        frame = frame.drop(columns=[c for c in frame.columns if c in RUN_COLUMNS])
        frame = frame.sort_values(keys).reset_index(drop=True)
        got[name] = frame[sorted(frame.columns)]
    return got


def assert_same_tables(a, b):
    for name in KEYS:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)


def test_ray_engine_gives_the_local_engines_tables(tmp_path, local_ray, night, config):
    inp, meta = night
    local = run_batch(inp, tmp_path / "local", metadata=meta, config=config, report=False)
    on_ray = run_batch(inp, tmp_path / "ray", metadata=meta, config=config, report=False, engine=RayOptions(workers=2))
    assert (on_ray.n_ok, on_ray.n_skipped, on_ray.n_failed, on_ray.exit_code) == (local.n_ok, local.n_skipped, local.n_failed, local.exit_code)
    assert local.n_ok == 10 and local.exit_code == 1
    assert on_ray.audio_s == pytest.approx(local.audio_s)
    a, b = tables(tmp_path / "local"), tables(tmp_path / "ray")
    assert len(b["calls"]) == 10 and len(b["utterances"]) > 30 and len(b["behaviours"]) and len(b["agents"]) == 3
    assert {"decode", "transcript", "metadata", "discover"} >= set(b["failures"].stage)
    assert_same_tables(a, b)
    assert "Ray engine: 2 worker(s)" in (tmp_path / "ray" / "analyzer.log").read_text()
    # the workers staged their rows themselves: the night's partition holds a file per worker
    written = {p.name for p in (tmp_path / "ray" / "utterances").rglob("*.parquet")}
    assert written and all(p.startswith("part-") and "-ray" in p for p in written), written
    assert not list((tmp_path / "ray").glob(".ray-probe-*"))
    # ... or sent them back (a worker that does not see the results directory): the same tables
    back = run_batch(inp, tmp_path / "back", metadata=meta, config=config, report=False, engine=RayOptions(workers=1, worker_writes=False))
    assert (back.n_ok, back.n_failed) == (local.n_ok, local.n_failed)
    assert_same_tables(b, tables(tmp_path / "back"))
    assert not any("-ray" in p.name for p in (tmp_path / "back" / "utterances").rglob("*.parquet"))
    assert "0 stage their rows in the store themselves, 1 send them here (worker_writes=False)" in (tmp_path / "back" / "analyzer.log").read_text()
    assert json.loads((tmp_path / "ray" / "taxonomy.json").read_text()) == json.loads((tmp_path / "local" / "taxonomy.json").read_text())
    # ... or with the text models in a text actor of their own (the worker loads Whisper only): the same tables
    pooled = run_batch(inp, tmp_path / "pooled", metadata=meta, config=config, report=False, engine=RayOptions(workers=1, text_workers=1))
    assert (pooled.n_ok, pooled.n_failed) == (local.n_ok, local.n_failed)
    assert_same_tables(b, tables(tmp_path / "pooled"))
    assert "1 worker(s) of 1 CPU(s) and 1 text actor(s) of 1 CPU(s)" in (tmp_path / "pooled" / "analyzer.log").read_text()

    # a rerun skips every call, whichever engine processed it, and stores nothing twice
    again = run_batch(inp, tmp_path / "ray", metadata=meta, config=config, report=False, engine="ray")
    assert again.n_ok == 0 and again.n_skipped == 10
    crossed = run_batch(inp, tmp_path / "local", metadata=meta, config=config, report=False, engine=RayOptions(workers=1))
    assert crossed.n_ok == 0 and crossed.n_skipped == 10
    for out in ("local", "ray"):
        results = load_results(tmp_path / out)
        assert results.calls.call_id.is_unique and len(results.batches) == 2
        now = tables(tmp_path / out)
        for name in ("calls", "utterances", "behaviours", "agents"):
            pd.testing.assert_frame_equal(now[name], b[name], check_dtype=False, obj=name)


class CrashingTranscriber:
    """One word per second of signal; kills its whole process (as a crash in native code would)
    on a call of ``crash_on`` samples at 16 kHz."""

    model_id = "fake-asr"

    def __init__(self, crash_on):
        self.crash_on = crash_on

    def transcribe(self, *channels):
        if len(channels[0]) == self.crash_on:
            os._exit(1)
        return Transcription(tuple(tuple(Word(float(i), i + 0.5, f"w{i}", 0.9) for i in range(int(len(c) / 16000)) if np.abs(c).max() > 0.01)
                                   for c in channels), 0.0, 0)


def test_a_worker_that_dies_costs_only_its_call(tmp_path, local_ray):
    inp = tmp_path / "in"
    inp.mkdir()
    for i, seconds in enumerate((2, 3, 4, 5)):
        write_wav(inp / f"c{i}.wav", stereo(seconds), 8000)
    (tmp_path / "m.csv").write_text("call_id,agent_id\n" + "".join(f"c{i},a{i % 2}\n" for i in range(4)))
    config = AnalyzerConfig().replace("sentiment", enabled=False).replace("behaviours", enabled=False)
    models = Models(CrashingTranscriber(crash_on=4 * 16000))  # c2
    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", config=config, models=models, aggregate=False, report=False,
                        engine=RayOptions(workers=1))
    results = load_results(tmp_path / "out")
    assert sorted(results.calls.call_id) == ["c0", "c1", "c3"]  # its group's other calls were tried again, alone
    (row,) = results.failures.itertuples()
    assert row.call_id == "c2" and row.stage == "transcribe" and "the Ray worker processing this call died" in row.reason
    assert summary.n_ok == 3 and summary.n_failed == 1 and summary.exit_code == 1
    # the next run tries the failed call again (and only it)
    models = Models(CrashingTranscriber(crash_on=-1))
    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", config=config, models=models, aggregate=False, report=False,
                        engine=RayOptions(workers=1))
    assert (summary.n_ok, summary.n_skipped, summary.exit_code) == (1, 3, 0)
    assert sorted(load_results(tmp_path / "out").calls.call_id) == ["c0", "c1", "c2", "c3"]


def test_models_that_cannot_be_sent_are_refused(tmp_path, local_ray):
    import threading

    from analyzer.errors import ModelNotFoundError

    (tmp_path / "t.json").write_text(json.dumps({"call_id": "t", "agent_id": "a", "utterances": [{"speaker": "agent", "start": 0, "end": 2, "text": "Hello."}]}))

    class Unsendable:
        model_id = "x"
        lock = threading.Lock()

    with pytest.raises(ModelNotFoundError, match="cannot be sent"):
        run_batch(tmp_path / "t.json", tmp_path / "out", models=Models(text=Unsendable()), engine="ray", aggregate=False, report=False)


def test_a_model_that_does_not_load_on_the_workers_stops_the_batch_with_its_reason(tmp_path, local_ray):
    from analyzer.errors import ModelNotFoundError

    (tmp_path / "t.json").write_text(json.dumps({"call_id": "t", "agent_id": "a", "utterances": [{"speaker": "agent", "start": 0, "end": 2, "text": "Hello."}]}))
    config = AnalyzerConfig(text=TextOptions(model=str(tmp_path / "no-such-bundle")))
    with pytest.raises(ModelNotFoundError) as local:
        run_batch(tmp_path / "t.json", tmp_path / "local", config=config, aggregate=False, report=False)
    for options in (RayOptions(workers=1), RayOptions(workers=1, text_workers=1)):  # in the workers, or in a text actor
        with pytest.raises(ModelNotFoundError) as on_ray:
            run_batch(tmp_path / "t.json", tmp_path / "ray", config=config, engine=options, aggregate=False, report=False)
        assert str(on_ray.value) == str(local.value) and "Traceback" not in str(on_ray.value)
    for _ in range(50):  # no worker of the failed batch is left holding CPUs (released asynchronously)
        if ray.available_resources().get("CPU") == 2:
            break
        time.sleep(0.1)
    assert ray.available_resources().get("CPU") == 2


def test_a_worker_writes_only_where_it_sees_the_drivers_probe(tmp_path):
    from analyzer.ray_runner import _Probe

    (tmp_path / ".ray-probe-0123").write_text("left by a killed run")
    probe = _Probe(tmp_path)
    assert [p.name for p in tmp_path.glob(".ray-probe-*")] == [probe.path.name] and probe.seen()
    elsewhere = _Probe.__new__(_Probe)  # what a node that mounts another directory at this path finds
    elsewhere.token, elsewhere.path = "another", probe.path
    assert not elsewhere.seen()
    probe.remove()
    assert not probe.seen() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("bad", [{"workers": -1}, {"worker_cpus": 0}, {"worker_gpus": -1}, {"text_workers": -1}, {"text_cpus": 0}, {"text_gpus": -0.5}])
def test_ray_options_are_checked(bad):
    from analyzer.errors import ConfigError

    with pytest.raises(ConfigError, match="ray"):
        RayOptions(**bad)


def test_calls_a_dead_worker_had_staged_are_kept_not_retried_or_failed(tmp_path):
    """A worker stages its group's rows before returning them, so it can die in between: those
    calls are done (their rows are in staging), not tried again and not recorded as failed; the
    group's other calls are tried again, alone."""
    from analyzer.ingest.discover import find_inputs
    from analyzer.ingest.metadata import Metadata
    from analyzer.ray_runner import _Pool
    from analyzer.redaction import Redactor
    from analyzer.runner import Collector, _load_source, plan_batch, process_group, stage_rows
    from analyzer.store import ResultsStore

    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(3):
        utts = [{"speaker": s, "start": 3.0 * k, "end": 3.0 * k + 2.5, "text": t} for k, (s, t) in enumerate(LINES[:3])]
        (inp / f"t{i}.json").write_text(json.dumps({"call_id": f"t{i}", "agent_id": "a", "duration": 10.0 + i, "utterances": utts}))
    config = AnalyzerConfig().replace("sentiment", enabled=False).replace("behaviours", enabled=False)
    planned, failures = plan_batch(find_inputs([inp])[0], Metadata("none", {}))
    assert not failures and len(planned) == 3
    store = ResultsStore(tmp_path / "out")
    batch_id = "20261202T120000-abcdef"
    outcomes = process_group([(c, _load_source(c, config)) for c in planned[:2]], Models(), config, {"transcript": "s"}, Redactor(), batch_id, "2026-12-02")
    assert [o.failure for o in outcomes] == [None, None]
    assert stage_rows(store, batch_id, [(o.call, o.rows) for o in outcomes], writer="raydead") == {}
    stage_rows(store, "20261201T120000-000000", [(outcomes[0].call, outcomes[0].rows)])  # another batch's part: not this one's
    assert set(store.staged_calls(batch_id)) == {"t0", "t1"}

    class DeadActor:  # what ray.get raises for the group of a worker that died before returning it
        def wait(self, refs, num_returns):
            return refs[:num_returns], refs[num_returns:]

        def get(self, ref):
            raise RuntimeError("ActorDiedError: the actor died unexpectedly")

    pool = _Pool.__new__(_Pool)
    pool.ray, pool.in_flight, pool.retry, pool.generation, pool.busy = DeadActor(), {}, deque(), [1], [0]
    group = [(c, None) for c in planned]
    pool.in_flight["ref"] = (0, 0, group, False)  # an old generation: the slot was replaced already
    collector = Collector(store, batch_id, config, [], None, 3, 0)
    pool._wait(collector)
    assert [item[0][0].info.call_id for item in pool.retry] == ["t2"]  # only the call it had not staged
    assert collector.n_ok == 2 and collector.failures == [] and collector.staged == []
    assert collector.audio_s == 0.0  # transcripts: no audio counted

    pool.in_flight["ref"] = (0, 0, pool.retry.popleft(), True)  # t2 alone kills its worker too: t2 fails, alone
    pool._wait(collector)
    assert [f.call_id for f in collector.failures] == ["t2"] and collector.n_ok == 2
