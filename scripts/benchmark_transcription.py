#!/usr/bin/env python
"""Benchmark: this pipeline vs plain faster-whisper on the same night of stereo calls.

(a) plain faster-whisper: ``faster_whisper.decode_audio(path, split_stereo=True)`` and
    ``WhisperModel.transcribe`` on each channel with faster-whisper's defaults (beam 5, temperature
    fallback, conditioning on previous text, no VAD), call after call.
(b) this pipeline: ``analyzer.run_batch`` on the same files (decoding, VAD on a loader thread
    while the model decodes, speech of several calls packed into full 30 s windows and decoded in
    batches, repair pass, utterances, redaction, dynamics, the results store), with sentiment and
    behaviours off (plain faster-whisper has no text models) and no aggregate or report stage.
(c) with ``--single``: the single-call path, ``analyzer.transcribe_call`` on each decoded call
    (no batching across calls, no overlap), to show what (b) adds.
(d) with ``--cli``: the whole night as a user runs it, each side in a fresh Python process so
    that its fixed costs (imports, model loads) count: ``analyzer run FILES --metadata ... --out
    ...`` (sentiment and behaviours off by a config file, as (a) has none; the aggregate and the
    HTML report included) against (a) as a standalone script (import faster-whisper, load the
    model, transcribe every channel, print the text). On one short call the fixed costs are most
    of the night; this is the comparison for it.

Both run in one process on the same model files and compute type (tiny.en int8 by default; (a)
with one CTranslate2 thread per core, (b) with its streams), after one warm-up call each, and
start from the files on disk. Prints wall time, real-time factor (wall / seconds of
stereo call audio) and WER (Whisper normalizer, pooled over both channels of every call with a
reference) for each, and their ratio. ``--repeats N`` runs (a) and (b) N times, alternating, and
reports the median and the spread; the machine may be shared, so only ratios measured in the same
run mean much.

The night (``--night``):

- ``real`` (default): calls built from the real speech with references in ../shared/data/audio
  (JFK, LibriSpeech, AMI and both channels of stereo_diarization: 38.7 s, 89 words). Agent and
  customer take turns of one to three clips; each party cycles through the clips in a shuffled
  order (never the same clip twice in a row), each clip at a random speed (0.9-1.1x, by
  resampling) and level; 0.2-0.6 s pauses within a turn, 0.3-1.5 s between turns, one 20-50 s
  hold in silence; band-limited to 300-3400 Hz, -60 dBFS line noise, 8 kHz stereo WAV.
  ``--seconds`` per call (300). The reference of a channel is its clips' references in order.
- ``demo``: calls from ``scripts/generate_demo_calls.py`` (flite voices, with their script as
  reference).
- ``aws``: the two real 8 kHz role-played AWS calls (agent and caller merged into stereo); no
  references, so timing only.

    python scripts/benchmark_transcription.py [--night real] [--calls 6] [--seconds 300] [--repeats 3]
        [--single] [--cli] [--model PATH] [--device cuda --compute-type float16 --batch-size 16]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.adapters.whisper import WhisperTranscriber, resolve_model, resolved_streams  # noqa: E402
from analyzer.config import AnalyzerConfig, TranscribeOptions  # noqa: E402
from analyzer.evaluation.wer import ZERO, normalizer, wer_counts  # noqa: E402
from analyzer.ingest.audio import decode_channels, load_call_audio  # noqa: E402
from analyzer.pipeline import Models, transcribe_call  # noqa: E402

SR = 16000
PARTIES = ("agent", "customer")


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the night ------------------------------------------------------------------------------------


def speech_clips(data: Path) -> list[tuple[np.ndarray, str]]:
    """The real speech with references, as (16 kHz samples peaking at 1, reference)."""
    clips = []
    for path, remix, reference in _script("measure_vad_telephone").references(data):
        samples = decode_channels(path)[0]
        x = samples[{"-": 0, "1": 0, "2": 1}[remix]].astype(np.float64)
        clips.append((x / np.abs(x).max(), reference))
    return clips


def _telephone(x: np.ndarray, taps: int = 321) -> np.ndarray:
    """300-3400 Hz band-pass (windowed sinc, zero phase) at 16 kHz, then every second sample: 8 kHz."""
    n = np.arange(taps) - (taps - 1) / 2

    def lowpass(fc: float) -> np.ndarray:
        return 2 * fc / SR * np.sinc(2 * fc / SR * n)

    kernel = (lowpass(3400.0) - lowpass(300.0)) * np.blackman(taps)
    nfft = 1 << int(np.ceil(np.log2(len(x) + taps - 1)))
    y = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(kernel, nfft), nfft)
    return y[(taps - 1) // 2:(taps - 1) // 2 + len(x)][::2]


def real_speech_call(rng: random.Random, clips, seconds: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """One call of ``seconds`` built from real speech clips: (agent, customer) at 8 kHz, references."""
    decks: dict = {p: [] for p in PARTIES}
    last: dict = {p: None for p in PARTIES}

    def draw(party: str) -> int:
        if not decks[party]:
            deck = list(range(len(clips)))
            rng.shuffle(deck)
            while len(deck) > 1 and deck[-1] == last[party]:
                rng.shuffle(deck)
            decks[party] = deck
        last[party] = decks[party].pop()
        return last[party]

    n = int(seconds * SR)
    out = {p: np.zeros(n) for p in PARTIES}
    refs: dict = {p: [] for p in PARTIES}
    t, party = rng.uniform(0.5, 2.0), "agent"
    hold_at, held = rng.uniform(0.3, 0.7) * seconds, False
    while True:
        turn = [clips[draw(party)] for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        speech = []
        for x, reference in turn:
            factor = rng.uniform(0.9, 1.1)  # speed, by resampling
            y = np.interp(np.arange(int(len(x) / factor)) * factor, np.arange(len(x)), x) * rng.uniform(0.3, 0.9)
            speech.append((y, reference, rng.uniform(0.2, 0.6)))
        if t + sum(len(y) / SR + pause for y, _, pause in speech) > seconds - 1:
            break
        for y, reference, pause in speech:
            start = int(t * SR)
            out[party][start:start + len(y)] += y
            refs[party].append(reference)
            t += len(y) / SR + pause
        t += rng.uniform(0.3, 1.5)
        if not held and t > hold_at:
            t += rng.uniform(20, 50)
            held = True
        party = "customer" if party == "agent" else "agent"
    noise = np.random.default_rng(rng.randrange(1 << 30))
    agent, customer = (_telephone(out[p]) + noise.standard_normal(n // 2) * 1e-3 for p in PARTIES)
    return agent, customer, {p: " ".join(refs[p]) for p in PARTIES}


def build_night(kind: str, folder: Path, n_calls: int, seconds: float, seed: int, data: Path) -> list[dict]:
    """Write the night's stereo recordings under ``folder``; returns ``[{call_id, path, refs}]``
    (``refs``: reference text per party, or None)."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = _script("generate_demo_calls")
    calls = []
    if kind == "real":
        clips, rng = speech_clips(data), random.Random(seed)
        for i in range(n_calls):
            agent, customer, refs = real_speech_call(rng, clips, seconds)
            path = folder / f"real-{i + 1:04d}.wav"
            generator.write_stereo_wav(path, agent, customer)
            calls.append({"call_id": path.stem, "path": path, "refs": refs})
    elif kind == "demo":
        for truth in generator.generate_calls(folder, n_calls=n_calls, seed=seed):
            refs = {p: " ".join(u["text"] for u in truth["utterances"] if u["speaker"] == p) for p in PARTIES}
            calls.append({"call_id": truth["call_id"], "path": folder / "audio" / f"{truth['call_id']}.wav", "refs": refs})
    else:
        aws = data / "audio" / "aws_sample_calls"
        for stem in sorted({p.name.rsplit("_", 1)[0] for p in aws.glob("Auto_Repairs_*_agent.wav")}):
            agent, caller = (decode_channels(aws / f"{stem}_{p}.wav", 8000)[0][0] for p in ("agent", "caller"))
            n = min(len(agent), len(caller))
            path = folder / f"{stem}.wav"
            generator.write_stereo_wav(path, agent[:n], caller[:n])
            calls.append({"call_id": stem, "path": path, "refs": None})
    return calls


# -- the contenders ------------------------------------------------------------------------------


def _cpu_s() -> float:
    """CPU seconds of this process, all threads (less sensitive than wall time to a shared machine)."""
    times = os.times()
    return times.user + times.system


def plain_faster_whisper(model, calls) -> tuple[float, float, dict]:
    """(a): what a plain faster-whisper script does with a stereo call, channel by channel."""
    from faster_whisper import decode_audio

    t0, c0 = time.perf_counter(), _cpu_s()
    hyps = {}
    for call in calls:
        channels = decode_audio(str(call["path"]), split_stereo=True)
        for party, channel in zip(PARTIES, channels):
            segments, _ = model.transcribe(channel, language="en")  # faster-whisper's defaults otherwise
            hyps[(call["call_id"], party)] = " ".join(s.text.strip() for s in segments)
    return time.perf_counter() - t0, _cpu_s() - c0, hyps


def _metadata(calls, folder: Path) -> Path:
    """The night's metadata: every call of one agent."""
    metadata = folder / "calls.csv"
    with open(metadata, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["call_id", "agent_id"])
        writer.writerows([c["call_id"], "agent-1"] for c in calls)
    return metadata


def analyzer_batch(transcriber, calls, config, folder: Path, run: int) -> tuple[float, float, dict, dict]:
    """(b): ``run_batch`` on the files, transcription and the per-call stages, no text models."""
    from analyzer.results import load_results
    from analyzer.runner import run_batch

    metadata = _metadata(calls, folder)
    out = folder / f"results-{run}"
    t0, c0 = time.perf_counter(), _cpu_s()
    summary = run_batch([str(c["path"]) for c in calls], out, metadata=metadata, config=config, models=Models(transcriber),
                        aggregate=False, report=False)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    if summary.n_ok != len(calls):
        raise SystemExit(f"the pipeline failed on some calls: {summary.failures}")
    results = load_results(out)
    utts = results.utterances.sort_values(["call_id", "start_s"])
    hyps = {(c, p): " ".join(utts[(utts.call_id == c) & (utts.speaker == p)].text) for c in utts.call_id.unique() for p in PARTIES}
    stages = results.calls[[c for c in results.calls.columns if c in ("decode_s", "transcribe_s", "redact_s", "dynamics_s")]].sum().to_dict()
    return wall, cpu, hyps, stages


def single_calls(transcriber, calls, config) -> tuple[float, float, dict]:
    """(c): the single-call path, one call after another."""
    t0, c0 = time.perf_counter(), _cpu_s()
    hyps = {}
    for call in calls:
        transcript = transcribe_call(load_call_audio(call["path"]), transcriber, config)
        for party in PARTIES:
            hyps[(call["call_id"], party)] = " ".join(u.text for u in transcript.utterances if u.speaker == party)
    return time.perf_counter() - t0, _cpu_s() - c0, hyps


PLAIN_SCRIPT = """
import os, sys
from faster_whisper import WhisperModel, decode_audio
model_path, device, compute_type = sys.argv[1:4]
model = WhisperModel(model_path, device=device, compute_type=compute_type, cpu_threads=len(os.sched_getaffinity(0)))
for path in sys.argv[4:]:
    for channel in decode_audio(path, split_stereo=True):
        segments, _ = model.transcribe(channel, language="en")
        print(path, " ".join(s.text.strip() for s in segments))
"""


def whole_night_cli(calls, options: TranscribeOptions, folder: Path, run: int) -> tuple[float, float]:
    """(d): wall seconds of (a) as a standalone script and of ``analyzer run`` (aggregate and
    report included), each a fresh process."""
    paths = [str(c["path"]) for c in calls]
    metadata = _metadata(calls, folder)
    config = folder / "no-text.toml"
    model = str(resolve_model(options)[0])  # the same model files for both sides
    config.write_text(f'[transcribe]\nmodel = "{model}"\ndevice = "{options.device}"\ncompute_type = "{options.compute_type}"\n'
                      f'batch_size = {options.batch_size}\n[sentiment]\nenabled = false\n[behaviours]\nenabled = false\n')
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", PLAIN_SCRIPT, model, options.device, options.resolved_compute_type(), *paths],
                   check=True, stdout=subprocess.DEVNULL)
    plain = time.perf_counter() - t0
    out = folder / f"cli-results-{run}"
    t0 = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("analyzer")), "run", *paths, "--metadata", str(metadata), "--out", str(out),
                           "--config", str(config), "--quiet"], stdout=subprocess.DEVNULL)
    ours = time.perf_counter() - t0
    if done.returncode != 0 or not (out / "report" / "index.html").exists():
        raise SystemExit(f"analyzer run exited {done.returncode} (see {out / 'analyzer.log'})")
    return plain, ours


def pooled_wer(calls, hyps, norm) -> float:
    counts = [wer_counts(c["refs"][p], hyps.get((c["call_id"], p), ""), norm) for c in calls if c["refs"] for p in PARTIES]
    return sum(counts, ZERO).wer if counts else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--night", choices=("real", "demo", "aws"), default="real", help="which calls (see above)")
    parser.add_argument("--calls", type=int, default=6, help="calls in the night (real, demo)")
    parser.add_argument("--seconds", type=float, default=300.0, help="length of each real-speech call")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=1, help="run (a) and (b) this many times, alternating")
    parser.add_argument("--single", action="store_true", help="also time (c), the single-call path")
    parser.add_argument("--cli", action="store_true", help="also time (d): the whole night through `analyzer run` against a plain script, fresh processes")
    parser.add_argument("--model", default=None, help="Whisper model (default: packaged tiny.en)")
    parser.add_argument("--device", default="cpu", help="cpu | cuda (both contenders use it)")
    parser.add_argument("--compute-type", default="default", help="default: int8 on CPU, float16 on CUDA")
    parser.add_argument("--batch-size", type=int, default=8, help="windows decoded together by (b)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()

    if args.device == "cuda":
        import ctranslate2

        if ctranslate2.get_cuda_device_count() == 0:
            print("--device cuda: no CUDA device is visible to CTranslate2 on this machine (ctranslate2.get_cuda_device_count() == 0); "
                  "the GPU profile cannot be measured here. Run it where `nvidia-smi -L` lists a GPU, e.g.\n"
                  "  scripts/benchmark_transcription.py --device cuda --compute-type float16 --batch-size 16 [--model small.en]",
                  file=sys.stderr)
            raise SystemExit(2)
    options = TranscribeOptions(model=args.model, device=args.device, compute_type=args.compute_type, batch_size=args.batch_size)
    config = AnalyzerConfig(transcribe=options).replace("sentiment", enabled=False).replace("behaviours", enabled=False)
    t0 = time.perf_counter()
    transcriber = WhisperTranscriber.load(options)
    load_s = time.perf_counter() - t0
    # (a) loads the same model files with the same compute type, as one model with one
    # CTranslate2 thread per core (faster-whisper's own default, 4 threads, oversubscribes 2 cores)
    from faster_whisper import WhisperModel

    model = WhisperModel(resolve_model(options)[0], device=options.device, compute_type=options.resolved_compute_type(),
                         cpu_threads=len(os.sched_getaffinity(0)))
    norm = normalizer()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        calls = build_night(args.night, folder / "night", args.calls, args.seconds, args.seed, args.data)
        audio_s = sum(load_call_audio(c["path"]).duration_s for c in calls)
        # warm-up: the first decode of each kind pays one-off costs (allocations, the VAD's ONNX session)
        warm = [{"call_id": "warm-up", "path": _clip(calls[0]["path"], folder), "refs": None}]
        plain_faster_whisper(model, warm)
        analyzer_batch(transcriber, warm, config, folder, -1)

        runs = []
        for run in range(args.repeats):
            a_s, a_cpu, a_hyps = plain_faster_whisper(model, calls)
            b_s, b_cpu, b_hyps, stages = analyzer_batch(transcriber, calls, config, folder, run)
            runs.append((a_s, b_s, a_cpu, b_cpu))
            print(f"run {run + 1}: (a) {a_s:.1f} s (CPU {a_cpu:.1f} s)  (b) {b_s:.1f} s (CPU {b_cpu:.1f} s)  speed-up {a_s / b_s:.2f}x "
                  f"(CPU {a_cpu / b_cpu:.2f}x); (b) per-call stages, summed: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()), flush=True)
        c_s = c_hyps = None
        if args.single:
            c_s, c_cpu, c_hyps = single_calls(transcriber, calls, config)
        cli_runs = [whole_night_cli(calls, options, folder, run) for run in range(args.repeats)] if args.cli else []

    a_wer, b_wer = pooled_wer(calls, a_hyps, norm), pooled_wer(calls, b_hyps, norm)
    a_med, b_med, a_cpu, b_cpu = (statistics.median(r[i] for r in runs) for i in range(4))
    ratios = sorted(r[0] / r[1] for r in runs)
    cpu_ratios = sorted(r[2] / r[3] for r in runs)
    words = sum(len(norm(c["refs"][p]).split()) for c in calls if c["refs"] for p in PARTIES)
    print()
    print(f"night: {len(calls)} {args.night} stereo 8 kHz calls, {audio_s:.0f} s of audio"
          + (f", {words} reference words" if words else ", no references") + f"; model {transcriber.model_id}, "
          f"{options.resolved_compute_type()} on {options.device}, (b) {resolved_streams(options)} stream(s) x batch {options.batch_size}, "
          f"load {load_s:.1f} s")
    print(f"{'':<46}{'wall s':>8}{'RTF':>8}{'CPU s':>8}{'WER':>8}")
    print(f"{'(a) faster-whisper defaults, per channel':<46}{a_med:8.1f}{a_med / audio_s:8.3f}{a_cpu:8.1f}{a_wer:8.3f}")
    print(f"{'(b) analyzer pipeline (run_batch)':<46}{b_med:8.1f}{b_med / audio_s:8.3f}{b_cpu:8.1f}{b_wer:8.3f}")
    if c_s is not None:
        c_wer = pooled_wer(calls, c_hyps, norm)
        print(f"{'(c) single-call path (transcribe_call)':<46}{c_s:8.1f}{c_s / audio_s:8.3f}{c_cpu:8.1f}{c_wer:8.3f}")
    spread = f" (runs: {', '.join(f'{r:.2f}' for r in ratios)})" if len(runs) > 1 else ""
    cpu_spread = f" (runs: {', '.join(f'{r:.2f}' for r in cpu_ratios)})" if len(runs) > 1 else ""
    print(f"speed-up (a)/(b): {statistics.median(ratios):.2f}x{spread}; in CPU time {statistics.median(cpu_ratios):.2f}x{cpu_spread}")
    print(f"WER difference (b)-(a): {b_wer - a_wer:+.3f}")
    if cli_runs:
        plain, ours = statistics.median(r[0] for r in cli_runs), statistics.median(r[1] for r in cli_runs)
        print(f"(d) fresh processes, wall s: plain faster-whisper script {plain:.1f}, `analyzer run` (aggregate and report included) {ours:.1f}: "
              f"{plain / ours:.2f}x" + (f" (runs: {', '.join(f'{a / b:.2f}' for a, b in cli_runs)})" if len(cli_runs) > 1 else ""))


def _clip(path: Path, folder: Path, seconds: float = 40.0) -> Path:
    """The first ``seconds`` of a recording, for the warm-up."""
    generator = _script("generate_demo_calls")
    samples = decode_channels(path, 8000)[0][:, : int(seconds * 8000)]
    out = folder / "warm-up.wav"
    generator.write_stereo_wav(out, samples[0], samples[1])
    return out


if __name__ == "__main__":
    main()
