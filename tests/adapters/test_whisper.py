"""The faster-whisper adapter on real speech (../shared/data/audio) with the packaged tiny.en.

Thresholds were measured with the default settings (see README, "Transcription quality") and
allow about one word more than measured: JFK 0/22 errors, LibriSpeech 0/36, AMI 2/9 (two proper
names), stereo_diarization 0/17 and 0/5; band-limited to telephone quality, 3/89 pooled.
"""

import subprocess
import shutil

import numpy as np
import pytest

from analyzer.adapters.whisper import ModelNotFoundError, WhisperTranscriber, resolve_model
from analyzer.config import AnalyzerConfig, TranscribeOptions
from analyzer.evaluation.wer import ZERO, wer_counts
from analyzer.ingest.audio import decode_channels
from analyzer.results import load_results
from analyzer.runner import run_batch
from tests.conftest import shared_data

JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LIBRI = ("IF THE READER WILL EXCUSE ME I WILL SAY NOTHING OF MY ANTECEDENTS NOR OF THE CIRCUMSTANCES WHICH LED ME TO "
         "LEAVE MY NATIVE COUNTRY THE NARRATIVE WOULD BE TEDIOUS TO HIM AND PAINFUL TO MYSELF")
AMI = "UM I'M ABIGAIL CLAFLIN YOU CAN CALL ME ABBIE"
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."


def text(transcriber, audio):
    return " ".join(w.text for w in transcriber.transcribe(audio).words)


@pytest.mark.parametrize(
    "relpath, reference, max_wer",
    [("whisper_tests/jfk.flac", JFK, 0.05), ("lhotse_fixtures/2412-153948-0000.flac", LIBRI, 0.06), ("lhotse_fixtures/ES2011a.Headset-0-40s-46s.wav", AMI, 0.34)],
)
def test_real_speech_wer(real_transcriber, relpath, reference, max_wer):
    samples, _ = decode_channels(shared_data("audio", *relpath.split("/")))
    result = real_transcriber.transcribe(samples[0])
    hypothesis = " ".join(w.text for w in result.words)
    assert wer_counts(reference, hypothesis).wer <= max_wer, hypothesis
    assert all(0 <= w.probability <= 1 and w.end_s >= w.start_s for w in result.words)
    assert result.words[-1].end_s <= len(samples[0]) / 16000 + 0.1


def test_stereo_recording_through_the_batch_pipeline(tmp_path, real_transcriber):
    """One speaker per channel: each channel's words land on the right party."""
    src = shared_data("audio", "whisper_tests", "stereo_diarization.wav")
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(src, inp / "stereo.wav")
    (tmp_path / "m.csv").write_text("call_id,agent_id\nstereo,a1\n")
    from analyzer.pipeline import Models

    summary = run_batch(inp, tmp_path / "out", metadata=tmp_path / "m.csv", models=Models(real_transcriber))
    assert summary.exit_code == 0
    utts = load_results(tmp_path / "out").utterances
    agent = " ".join(utts[utts.speaker == "agent"].text)
    customer = " ".join(utts[utts.speaker == "customer"].text)
    assert wer_counts(LEFT, agent).wer <= 0.06
    assert wer_counts(RIGHT, customer).wer <= 0.2


def test_telephone_band_speech_keeps_its_words(tmp_path, real_transcriber):
    """300-3400 Hz at 8 kHz (as a phone line delivers it): the VAD must not drop speech.

    `sox -R` fixes the dither seed: with fresh dither noise each run, these clips move by a word
    or two and the comparison would measure the noise draw, not the VAD.
    """
    if shutil.which("sox") is None:
        pytest.skip("sox not installed")
    clips = [("whisper_tests/jfk.flac", "-", JFK), ("lhotse_fixtures/2412-153948-0000.flac", "-", LIBRI),
             ("whisper_tests/stereo_diarization.wav", "1", LEFT), ("whisper_tests/stereo_diarization.wav", "2", RIGHT)]
    no_vad = WhisperTranscriber(real_transcriber.model, TranscribeOptions(vad=False), real_transcriber.model_id)
    with_vad, without_vad = ZERO, ZERO
    for i, (rel, remix, ref) in enumerate(clips):
        out = tmp_path / f"{i}.wav"
        subprocess.run(["sox", "-R", str(shared_data("audio", *rel.split("/"))), "-b", "16", "-c", "1", str(out), "remix", remix,
                        "sinc", "300-3400", "rate", "8000"], check=True, capture_output=True)
        audio = decode_channels(out)[0][0]
        with_vad = with_vad + wer_counts(ref, text(real_transcriber, audio))
        without_vad = without_vad + wer_counts(ref, text(no_vad, audio))
    assert with_vad.wer <= 0.06
    assert with_vad.wer <= without_vad.wer + 0.02


def test_silence_and_tones_produce_no_words(real_transcriber):
    """Hallucination guards: VAD + no-speech filtering on silence and hold-music-like tones."""
    rng = np.random.default_rng(0)
    silence = (rng.standard_normal(16000 * 20) * 1e-4).astype(np.float32)
    assert real_transcriber.transcribe(silence).words == ()
    t = np.arange(16000 * 20) / 16000
    melody = 0.1 * np.sin(2 * np.pi * np.where((t % 2) < 1, 440, 523) * t).astype(np.float32)
    assert len(real_transcriber.transcribe(melody).words) <= 2


def test_model_resolution_errors(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model(TranscribeOptions(model=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="no model.bin"):
        resolve_model(TranscribeOptions(model=str(tmp_path / "empty")))
    assert resolve_model(TranscribeOptions(model="small.en")) == ("small.en", "small.en")


def test_deterministic(real_transcriber):
    samples, _ = decode_channels(shared_data("audio", "whisper_tests", "jfk.flac"))
    assert real_transcriber.transcribe(samples[0]) == real_transcriber.transcribe(samples[0])


def test_channels_packed_in_one_pass_map_back_to_their_channel(real_transcriber):
    samples, _ = decode_channels(shared_data("audio", "whisper_tests", "jfk.flac"))
    jfk = samples[0]
    quiet = np.zeros(16000 * 5, dtype=np.float32)
    alone = real_transcriber.transcribe(jfk).words
    first, second = real_transcriber.transcribe(quiet, jfk).channels
    assert first == ()
    assert len(second) == len(alone)
    assert wer_counts(" ".join(w.text for w in alone), " ".join(w.text for w in second)).wer == 0
    assert all(abs(a.start_s - b.start_s) < 0.25 for a, b in zip(alone, second))  # mapped back to channel time
    libri = decode_channels(shared_data("audio", "lhotse_fixtures", "2412-153948-0000.flac"))[0][0]
    both = real_transcriber.transcribe(libri, jfk).channels
    assert wer_counts(LIBRI, " ".join(w.text for w in both[0])).wer <= 0.06
    assert wer_counts(JFK, " ".join(w.text for w in both[1])).wer <= 0.05
    assert max(w.end_s for w in both[1]) <= len(jfk) / 16000 + 0.1


def _channel(*clips, gap_s=1.5):
    """Clips laid one after another, gap_s of silence before each."""
    gap = np.zeros(int(gap_s * 16000), dtype=np.float32)
    return np.concatenate([part for clip in clips for part in (gap, clip)] + [gap])


def test_calls_decoded_together_keep_their_words(real_transcriber):
    """The batch API: several calls' speech shares windows (their last windows are merged) and
    each call's words are the same as when it is decoded alone, within decoding noise, on the
    right call, channel and time."""
    jfk = decode_channels(shared_data("audio", "whisper_tests", "jfk.flac"))[0][0]
    libri = decode_channels(shared_data("audio", "lhotse_fixtures", "2412-153948-0000.flac"))[0][0]
    left, right = decode_channels(shared_data("audio", "whisper_tests", "stereo_diarization.wav"))[0]
    calls = [
        ((_channel(jfk, libri), " ".join([JFK, LIBRI])), (_channel(left, right), " ".join([LEFT, RIGHT]))),
        ((_channel(libri, jfk, left), " ".join([LIBRI, JFK, LEFT])), (_channel(right, jfk), " ".join([RIGHT, JFK]))),
        ((_channel(left, right), " ".join([LEFT, RIGHT])), (_channel(libri), LIBRI)),
    ]
    items = [tuple(audio for audio, _ in call) for call in calls]
    alone = [real_transcriber.transcribe(*item) for item in items]
    together = real_transcriber.transcribe_many(items)
    assert len(together) == 3
    for call, one, many in zip(calls, alone, together):
        for (_, reference), by_itself, with_others in zip(call, one.channels, many.channels):
            said_alone, said_together = (" ".join(w.text for w in words) for words in (by_itself, with_others))
            assert wer_counts(said_alone, said_together).wer <= 0.05, (said_alone, said_together)
            assert wer_counts(reference, said_together).wer <= 0.1, said_together  # on the right call and channel
            if len(by_itself) == len(with_others):  # mapped back to channel time (a region's first word may move a little)
                shifts = sorted(abs(a.start_s - b.start_s) for a, b in zip(by_itself, with_others))
                assert shifts[-1] < 0.5 and shifts[len(shifts) // 2] < 0.05
    assert real_transcriber.transcribe(*items[2]) == real_transcriber.transcribe_many([items[2]])[0]
    assert real_transcriber.transcribe_many([]) == []
