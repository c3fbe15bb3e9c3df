#!/usr/bin/env python
"""Benchmark: this pipeline vs plain faster-whisper on the same telephone-band stereo calls.

(a) baseline: ``WhisperModel.transcribe`` on each channel with faster-whisper's default settings
    (beam 5, temperature fallback, conditioning on previous text, no VAD).
(b) this pipeline: ``analyzer.transcribe_call`` with its defaults (Silero VAD tuned for telephone
    audio, batched greedy decoding at temperature 0, word timestamps, utterance building).

Both run in one process on the same decoded audio and the same loaded model (tiny.en int8 by
default). Prints wall time, real-time factor and WER (Whisper normalizer, per channel against the
generator's script) for both, and their ratios. Decoding the files is excluded from both.

    python scripts/benchmark_transcription.py [--calls 6] [--model PATH] [--real-calls]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.adapters.whisper import WhisperTranscriber  # noqa: E402
from analyzer.config import AnalyzerConfig, TranscribeOptions  # noqa: E402
from analyzer.evaluation.wer import ZERO, normalizer, wer_counts  # noqa: E402
from analyzer.ingest.audio import decode_channels, load_call_audio  # noqa: E402
from analyzer.pipeline import transcribe_call  # noqa: E402


def _generator():
    spec = importlib.util.spec_from_file_location("generate_demo_calls", ROOT / "scripts" / "generate_demo_calls.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def baseline_text(model, audio) -> str:
    segments, _ = model.transcribe(audio, language="en")  # faster-whisper defaults otherwise
    return " ".join(s.text.strip() for s in segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=6, help="generated demo calls (with reference scripts)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", default=None, help="Whisper model (default: packaged tiny.en)")
    parser.add_argument("--real-calls", action="store_true", help="also time the real 8 kHz AWS sample calls (no references)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()

    config = AnalyzerConfig(transcribe=TranscribeOptions(model=args.model))
    transcriber = WhisperTranscriber.load(config.transcribe)
    model = transcriber.model  # the same loaded model serves both runs
    norm = normalizer()

    with tempfile.TemporaryDirectory() as tmp:
        truths = _generator().generate_calls(Path(tmp), n_calls=args.calls, seed=args.seed)
        calls = [(t, load_call_audio(Path(tmp) / "audio" / f"{t['call_id']}.wav")) for t in truths]
    audio_s = sum(a.duration_s for _, a in calls)
    refs = {(t["call_id"], spk): " ".join(u["text"] for u in t["utterances"] if u["speaker"] == spk) for t, _ in calls for spk in ("agent", "customer")}

    # warm-up so neither side pays first-call costs
    transcribe_call(calls[0][1], transcriber, config)

    t0 = time.perf_counter()
    base_hyp = {}
    for truth, audio in calls:
        for spk, channel in (("agent", audio.agent), ("customer", audio.customer)):
            base_hyp[(truth["call_id"], spk)] = baseline_text(model, channel)
    base_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ours_hyp = {}
    for truth, audio in calls:
        transcript = transcribe_call(audio, transcriber, config)
        for spk in ("agent", "customer"):
            ours_hyp[(truth["call_id"], spk)] = " ".join(u.text for u in transcript.utterances if u.speaker == spk)
    ours_s = time.perf_counter() - t0

    base_wer = sum((wer_counts(refs[k], base_hyp[k], norm) for k in refs), ZERO).wer
    ours_wer = sum((wer_counts(refs[k], ours_hyp[k], norm) for k in refs), ZERO).wer
    print(f"{len(calls)} generated stereo 8 kHz calls, {audio_s:.0f} s of audio, model {transcriber.model_id}, "
          f"{transcriber.options.resolved_compute_type()} on {transcriber.options.device}")
    print(f"{'':<36}{'wall s':>8}{'RTF':>8}{'WER':>8}")
    print(f"{'(a) faster-whisper defaults':<36}{base_s:8.1f}{base_s / audio_s:8.3f}{base_wer:8.3f}")
    print(f"{'(b) analyzer pipeline':<36}{ours_s:8.1f}{ours_s / audio_s:8.3f}{ours_wer:8.3f}")
    print(f"speed-up (a)/(b): {base_s / ours_s:.2f}x   WER difference (b)-(a): {ours_wer - base_wer:+.3f}")

    if args.real_calls:
        aws = args.data / "audio" / "aws_sample_calls"
        stems = sorted({p.name.rsplit("_", 1)[0] for p in aws.glob("Auto_Repairs_*_agent.wav")})
        channels = [decode_channels(aws / f"{s}_{p}.wav")[0][0] for s in stems for p in ("agent", "caller")]
        real_s = sum(len(c) for c in channels) / 16000 / 2
        t0 = time.perf_counter()
        for c in channels:
            baseline_text(model, c)
        b = time.perf_counter() - t0
        t0 = time.perf_counter()
        for c in channels:
            transcriber.transcribe(c)
        o = time.perf_counter() - t0
        print(f"real AWS calls ({len(stems)} calls, {real_s:.0f} s, 2 channels each): (a) {b:.1f} s, (b) {o:.1f} s, speed-up {b / o:.2f}x")


if __name__ == "__main__":
    main()
