"""Transcribing several calls at once (issue 13, item 5): the pipeline's batch API and how the
runner schedules it. Fake transcribers (plumbing); tests/adapters/test_whisper.py checks that the
real one gives each call the same words alone or with others."""

from __future__ import annotations

import numpy as np

from analyzer.adapters.whisper import Transcription
from analyzer.config import AnalyzerConfig, BehaviourOptions, RunOptions, SentimentOptions
from analyzer.pipeline import Models, process_call, transcribe_call, transcribe_calls
from analyzer.records import CallInfo, StereoAudio, Word
from analyzer.results import load_results
from analyzer.runner import run_batch
from tests.conftest import write_wav
from tests.test_runner import FakeTranscriber, stereo, transcript

NO_TEXT = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False))


class BatchTranscriber(FakeTranscriber):
    """FakeTranscriber with the batch API; records the groups it decodes. A call whose agent
    channel has ``poison_length`` samples breaks any group it is in (and itself alone)."""

    def __init__(self, poison_length=None):
        super().__init__()
        self.poison_length = poison_length
        self.groups = []

    def transcribe_many(self, calls):
        items = [tuple(c) for c in calls]
        self.groups.append([len(channels[0]) for channels in items])
        if self.poison_length is not None and any(len(channels[0]) == self.poison_length for channels in items):
            raise RuntimeError("model exploded")
        return [self.transcribe(*channels) for channels in items]


def audio(seconds: float) -> StereoAudio:
    samples = stereo(seconds, rate=16000).astype(np.float32)
    return StereoAudio(samples[0], samples[1], 16000, 16000)


def test_transcribe_calls_is_transcribe_call_for_each():
    calls = [audio(2), audio(3.5), audio(1)]
    batch = BatchTranscriber()
    together = transcribe_calls(calls, batch, NO_TEXT)
    assert batch.groups == [[32000, 56000, 16000]]  # one batch
    assert together == [transcribe_call(a, FakeTranscriber(), NO_TEXT) for a in calls]
    # a transcriber with only transcribe(*channels) recognises them one by one
    plain = FakeTranscriber()
    assert transcribe_calls(calls, plain, NO_TEXT) == together and plain.calls == 3


def test_process_call_uses_the_transcript_it_is_given():
    call = audio(3)
    said = transcribe_call(call, FakeTranscriber(), NO_TEXT)
    counting = FakeTranscriber()
    info = CallInfo("c1", "a1", "c1.wav", "audio", "")
    given = process_call(info, call, Models(counting), NO_TEXT, transcript=said)
    assert counting.calls == 0 and "transcribe" not in given.stage_seconds
    alone = process_call(info, call, Models(counting), NO_TEXT)
    assert counting.calls == 1
    assert given.transcript == alone.transcript and given.dynamics == alone.dynamics


def test_runner_transcribes_audio_calls_in_groups(tmp_path):
    """Groups of at most flush_every calls, recordings and transcript files mixed in one run,
    every call stored once with its stage times."""
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(7):
        write_wav(inp / f"c{i}.wav", stereo(1 + i * 0.5), 8000)
    for name in ("t1", "t2"):
        (inp / f"{name}.json").write_text(__import__("json").dumps(transcript(name)))
    (tmp_path / "m.csv").write_text("call_id,agent_id\n" + "".join(f"c{i},a{i % 2}\n" for i in range(7)))
    fake = BatchTranscriber()
    config = AnalyzerConfig(run=RunOptions(flush_every=3), sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False))
    events = []
    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", config=config, models=Models(fake), progress=events.append,
                        aggregate=False, report=False)
    assert summary.exit_code == 0 and summary.n_ok == 9
    assert sum(len(g) for g in fake.groups) == 7 and max(len(g) for g in fake.groups) <= 3 and len(fake.groups) >= 3
    assert fake.calls == 7  # each call recognised once
    calls = load_results(tmp_path / "out").calls.set_index("call_id")
    assert sorted(calls.index) == [f"c{i}" for i in range(7)] + ["t1", "t2"]
    audio_calls = calls.loc[[f"c{i}" for i in range(7)]]
    assert audio_calls.transcribe_s.notna().all() and (audio_calls.decode_s > 0).all()
    assert (audio_calls.customer_words > 0).all()
    assert [e.event for e in events].count("done") == 9 and events[-1].done == events[-1].total == 9


def test_a_call_that_breaks_its_group_fails_alone(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for i, seconds in enumerate((2, 3, 4, 5)):
        write_wav(inp / f"c{i}.wav", stereo(seconds), 8000)
    (tmp_path / "m.csv").write_text("call_id,agent_id\n" + "".join(f"c{i},a1\n" for i in range(4)))
    fake = BatchTranscriber(poison_length=3 * 16000)  # c1
    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", config=NO_TEXT, models=Models(fake), aggregate=False, report=False)
    results = load_results(tmp_path / "out")
    assert sorted(results.calls.call_id) == ["c0", "c2", "c3"]
    (row,) = results.failures.itertuples()
    assert row.call_id == "c1" and row.stage == "transcribe" and "model exploded" in row.reason
    assert summary.n_ok == 3 and summary.exit_code == 1
    assert fake.groups[0] == [32000, 48000, 64000, 80000]  # tried together first, then one by one
