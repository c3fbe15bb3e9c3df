"""Integration: the real packaged tiny.en transcribes generated stereo telephone calls.

The generator (scripts/generate_demo_calls.py) writes stereo 8 kHz calls with two TTS voices,
telephone band-pass, pauses, a hold with music, overtalk, and the script with exact timings.
"""

import json

import pandas as pd
import pytest

from analyzer.evaluation.wer import ZERO, wer_counts
from analyzer.pipeline import Models
from analyzer.results import load_results
from analyzer.runner import run_batch


@pytest.fixture(scope="module")
def demo_results(demo_dir, real_transcriber, real_text_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_results")
    models = Models(transcriber=real_transcriber, text=real_text_models.text)
    summary = run_batch(demo_dir / "audio", out, metadata=demo_dir / "metadata.csv", models=models)
    truths = {p.stem: json.loads(p.read_text()) for p in (demo_dir / "truth").glob("*.json")}
    return summary, load_results(out, words=True), truths  # the word timings are checked below


def test_all_calls_processed_with_metadata(demo_results, demo_dir):
    summary, results, truths = demo_results
    assert summary.exit_code == 0 and summary.n_ok == len(truths) == 12
    meta = pd.read_csv(demo_dir / "metadata.csv")
    merged = results.calls.merge(meta, on="call_id", suffixes=("", "_meta"))
    assert (merged.agent_id == merged.agent_id_meta).all()
    assert (merged.handle_seconds == merged.handle_seconds_meta).all()
    assert (results.calls.duration_s > 40).all()


def test_wer_against_the_script(demo_results):
    _, results, truths = demo_results
    total = ZERO
    for call_id, truth in truths.items():
        utts = results.utterances[results.utterances.call_id == call_id]
        for speaker in ("agent", "customer"):
            ref = " ".join(u["text"] for u in truth["utterances"] if u["speaker"] == speaker)
            hyp = " ".join(utts[utts.speaker == speaker].text)
            total = total + wer_counts(ref, hyp)
    assert total.wer <= 0.35, f"pooled WER {total.wer:.3f}"


def test_words_attributed_to_the_right_speaker(demo_results):
    _, results, truths = demo_results
    right = wrong = 0
    for call_id, truth in truths.items():
        spans = [(u["speaker"], u["start"] - 0.5, u["end"] + 0.5) for u in truth["utterances"]]
        for utt in results.utterances[results.utterances.call_id == call_id].itertuples():
            for word in utt.words:
                mid = (word["start_s"] + word["end_s"]) / 2
                speakers = {s for s, a, b in spans if a <= mid <= b}
                if utt.speaker in speakers:
                    right += 1
                else:
                    wrong += 1  # wrong party, or no speech there at all (a hallucination)
    assert right / (right + wrong) >= 0.95, (right, wrong)


def test_utterances_interleaved_and_timed(demo_results):
    _, results, truths = demo_results
    for call_id, utts in results.utterances.groupby("call_id"):
        utts = utts.sort_values("utterance_index")
        assert utts.start_s.is_monotonic_increasing
        assert (utts.end_s >= utts.start_s).all()
        assert set(utts.speaker) == {"agent", "customer"}
        assert utts.end_s.max() <= truths[call_id]["duration"] + 0.5


def test_customer_sentiment_follows_the_script(demo_results):
    """Calls scripted to end well end with happier customers than calls scripted to end badly."""
    _, results, truths = demo_results
    calls = results.calls.set_index("call_id")
    assert calls.text_model.notna().all()
    assert all(len(t) == 10 for t in calls.customer_sentiment_trajectory)
    ends = {label: [calls.loc[c, "customer_sentiment_end"] for c, t in truths.items() if t["customer_end_sentiment"] == label]
            for label in ("positive", "negative")}
    assert ends["positive"] and ends["negative"]
    assert min(ends["positive"]) > max(ends["negative"]) - 0.2
    assert sum(ends["positive"]) / len(ends["positive"]) > sum(ends["negative"]) / len(ends["negative"]) + 0.2
    utts = results.utterances
    assert utts.sentiment_label.isin(["negative", "neutral", "positive"]).all()
    assert ((utts.sentiment_index >= 0) & (utts.sentiment_index <= 100)).all()


# the generator's behaviour names -> the taxonomy's
SCRIPTED = {"greeting": "greeting", "empathy": "empathy", "apology": "apology", "ownership": "ownership",
            "set_expectations": "setting_expectations", "check_resolution": "checking_resolution", "closing": "closing"}


def test_scripted_agent_behaviours_are_found(demo_results):
    """Behaviours the generator scripted into a call are tagged in it (through real ASR errors),
    and no call is accused of what its agent did not say.

    A scripted dismissive line counts as found when the call has a blaming or dismissive tag; at
    least half of those calls must have one, not every one: Whisper's int8 output differs a
    little between CPUs, and on one (an AMD EPYC) a dismissive line of another seed's calls came
    out as "Music services not my department call the museum", unpunctuated, which the negative
    heads do not tag (README, "Transcripts without punctuation"). The accusation check is per
    call."""
    _, results, truths = demo_results
    calls = results.calls.set_index("call_id")
    found = missed = 0
    for call_id, truth in truths.items():
        for scripted, behaviour in SCRIPTED.items():
            if scripted in truth["agent_behaviours"]:
                if calls.loc[call_id, f"beh_{behaviour}_n"] > 0:
                    found += 1
                else:
                    missed += 1
    assert found / (found + missed) >= 0.75, (found, missed)
    accused = {call_id: calls.loc[call_id, "beh_blaming_n"] + calls.loc[call_id, "beh_dismissive_n"] > 0 for call_id in truths}
    dismissive = [call_id for call_id, truth in truths.items() if "dismissive" in truth["agent_behaviours"]]
    assert dismissive and sum(accused[c] for c in dismissive) >= len(dismissive) / 2, {c: accused[c] for c in dismissive}
    assert not any(accused[c] for c in truths if c not in dismissive), [c for c in truths if c not in dismissive and accused[c]]


def test_holds_and_overtalk_from_audio(demo_results):
    _, results, truths = demo_results
    calls = results.calls.set_index("call_id")
    for call_id, truth in truths.items():
        if truth["holds"]:
            assert calls.loc[call_id, "n_holds"] >= 1, call_id
            (hold,) = truth["holds"][:1]
            assert calls.loc[call_id, "hold_s"] >= 0.6 * (hold["end"] - hold["start"])
        assert calls.loc[call_id, "overtalk_s"] > 0
