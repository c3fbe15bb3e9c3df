#!/usr/bin/env python
"""Does the VAD lose speech on telephone audio? Measure WER with and without VAD.

Real speech with reference transcripts from ../shared/data/audio (JFK, LibriSpeech, AMI, both
channels of stereo_diarization) is band-limited to 300-3400 Hz and resampled to 8 kHz with sox,
as a telephone line would deliver it (`sox -R`: a fixed dither seed, so every run measures the
same audio), then decoded back to 16 kHz exactly as the pipeline does.
Each VAD setting is compared with the no-VAD run of the same model in the same process.

A second check uses the real 8 kHz role-played calls (no references exist): words the no-VAD
run recognised with confidence (probability >= 0.5) that have no word of the VAD run within 1 s
are counted as speech the VAD lost. The share of audio the VAD keeps is what it saves.

    python scripts/measure_vad_telephone.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.adapters.whisper import WhisperTranscriber  # noqa: E402
from analyzer.config import TranscribeOptions  # noqa: E402
from analyzer.evaluation.wer import ZERO, normalizer, wer_counts  # noqa: E402
from analyzer.ingest.audio import decode_channels  # noqa: E402

# (threshold, min_silence_ms, speech_pad_ms): faster-whisper's batched default first
SETTINGS = [
    (0.5, 160, 400),
    (0.3, 160, 400),
    (0.2, 160, 400),
    (0.5, 500, 300),
    (0.35, 500, 300),
    (0.3, 500, 300),
    (0.25, 500, 300),
    (0.2, 500, 300),
    (0.3, 1000, 400),
]


def references(data: Path) -> list[tuple[Path, str, str]]:
    """(file, sox remix spec, reference text) for every clip with a trusted reference."""
    items = []
    whisper_dir = data / "audio" / "whisper_tests"
    with open(whisper_dir / "references.tsv", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["file"] == "multilingual.mp3":
                continue  # half of it is German with no exact reference
            remix = {"mix": "-", "left": "1", "right": "2"}[row["channel"]]
            items.append((whisper_dir / row["file"], remix, row["reference_transcript"]))
    lhotse_dir = data / "audio" / "lhotse_fixtures"
    with open(lhotse_dir / "references.tsv", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            items.append((lhotse_dir / row["file"], "-", row["reference_transcript"]))
    return items


def telephone(src: Path, remix: str, dst: Path) -> None:
    """Band-limit to 300-3400 Hz and resample to 8 kHz mono, 16-bit."""
    subprocess.run(
        ["sox", "-R", str(src), "-b", "16", "-c", "1", str(dst), "remix", remix, "sinc", "300-3400", "rate", "8000"],
        check=True,
        capture_output=True,
    )


def text_of(transcriber: WhisperTranscriber, audio) -> str:
    return " ".join(w.text for w in transcriber.transcribe(audio).words)


def lost_words(reference_words, words, min_probability: float = 0.5, window_s: float = 1.0) -> int:
    """Confident words of the no-VAD run with no word of this run within ``window_s``."""
    import numpy as np

    mids = np.array([(w.start_s + w.end_s) / 2 for w in words])
    lost = 0
    for w in reference_words:
        if w.probability < min_probability:
            continue
        mid = (w.start_s + w.end_s) / 2
        if len(mids) == 0 or np.min(np.abs(mids - mid)) > window_s:
            lost += 1
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--calls", type=int, default=2, help="real 8 kHz calls for the agreement check")
    args = parser.parse_args()
    if not (args.data / "audio").is_dir():
        sys.exit(f"no audio data at {args.data / 'audio'}")

    base = WhisperTranscriber.load(TranscribeOptions(vad=False))
    norm = normalizer()
    with tempfile.TemporaryDirectory() as tmp:
        clips = []
        for i, (src, remix, ref) in enumerate(references(args.data)):
            dst = Path(tmp) / f"clip{i}.wav"
            telephone(src, remix, dst)
            clips.append((f"{src.name}:{remix}", decode_channels(dst)[0][0], ref))
        calls = []
        aws = args.data / "audio" / "aws_sample_calls"
        for stem in sorted({p.name.rsplit("_", 1)[0] for p in aws.glob("Auto_Repairs_*_agent.wav")})[: args.calls]:
            for party in ("agent", "caller"):
                calls.append((f"{stem}:{party}", decode_channels(aws / f"{stem}_{party}.wav")[0][0]))

        t0 = time.perf_counter()
        no_vad_text = {name: text_of(base, audio) for name, audio, _ in clips}
        no_vad_calls = {name: base.transcribe(audio).words for name, audio in calls}
        no_vad_time = time.perf_counter() - t0
        no_vad = sum((wer_counts(ref, no_vad_text[name], norm) for name, _, ref in clips), ZERO)
        print(f"{len(clips)} reference clips ({sum(len(a) for _, a, _ in clips) / 16000:.1f} s), "
              f"{len(calls)} call channels ({sum(len(a) for _, a in calls) / 16000:.0f} s), telephone band 300-3400 Hz @ 8 kHz")
        n_ref_words = sum(sum(w.probability >= 0.5 for w in ws) for ws in no_vad_calls.values())
        print(f"{'setting':<34} {'WER':>6} {'dWER':>6} {'call words':>10} {'lost':>5} {'kept audio':>10} {'time s':>7}")
        print(f"{'no VAD':<34} {no_vad.wer:6.3f} {0:6.3f} {n_ref_words:10d} {0:5d} {1:10.2f} {no_vad_time:7.1f}")
        for threshold, silence, pad in SETTINGS:
            options = TranscribeOptions(vad=True, vad_threshold=threshold, vad_min_silence_ms=silence, vad_speech_pad_ms=pad)
            vad = WhisperTranscriber(base.model, options, base.model_id)
            t0 = time.perf_counter()
            counts = sum((wer_counts(ref, text_of(vad, audio), norm) for _, audio, ref in clips), ZERO)
            lost, n_words, kept = 0, 0, 0.0
            for name, audio in calls:
                result = vad.transcribe(audio)
                lost += lost_words(no_vad_calls[name], result.words)
                n_words += len(result.words)
                kept += result.speech_s
            elapsed = time.perf_counter() - t0
            label = f"thr={threshold} silence={silence}ms pad={pad}ms"
            share = kept / (sum(len(a) for _, a in calls) / 16000)
            print(f"{label:<34} {counts.wer:6.3f} {counts.wer - no_vad.wer:+6.3f} {n_words:10d} {lost:5d} {share:10.2f} {elapsed:7.1f}")
        defaults = TranscribeOptions()
        print(f"\npipeline defaults: thr={defaults.vad_threshold} silence={defaults.vad_min_silence_ms}ms pad={defaults.vad_speech_pad_ms}ms")


if __name__ == "__main__":
    main()
