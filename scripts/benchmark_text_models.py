#!/usr/bin/env python
"""Benchmark: text-model rates vs VADER, and their share of pipeline time.

1. Utterances per second, on the same 2,000 held-out DailyDialog utterances in one run, of: the
   text models as the pipeline runs them (one encoder pass, then the sentiment heads routed by
   speaker and the behaviour heads), the heads alone on those embeddings, and the VADER lexicon
   (the baseline, measured in the same run).
2. On generated stereo calls, the share of per-call pipeline time spent on transcription, the
   text models, and dynamics (decode excluded).

    python scripts/benchmark_text_models.py [--n 2000] [--calls 4]
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

from analyzer.config import AnalyzerConfig  # noqa: E402
from analyzer.ingest.audio import load_call_audio  # noqa: E402
from analyzer.pipeline import load_models, process_call  # noqa: E402
from analyzer.records import CallInfo  # noqa: E402


def held_out_texts(data: Path, n: int) -> list[str]:
    from analyzer.sentiment.datasets import dailydialog

    dd = dailydialog(data)
    return list(dd[dd.split == "test"].text[:n])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=4)
    args = parser.parse_args()

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    config = AnalyzerConfig()
    models = load_models(config, need_asr=True)
    texts = held_out_texts(args.data, args.n)
    text = models.text
    speakers = ["customer", "agent"] * (len(texts) // 2) + ["customer"] * (len(texts) % 2)
    text.score(texts[:64], speakers[:64])  # warm-up
    t0 = time.perf_counter()
    text.score(texts, speakers)
    model_s = time.perf_counter() - t0
    vader = SentimentIntensityAnalyzer()
    t0 = time.perf_counter()
    for line in texts:
        vader.polarity_scores(line)
    vader_s = time.perf_counter() - t0
    embeddings = text.encode(texts)
    t0 = time.perf_counter()
    text.sentiment_proba(texts, speakers, embeddings)
    text.behaviours_present(texts, speakers, embeddings)
    heads_s = time.perf_counter() - t0
    print(f"{len(texts)} DailyDialog test utterances, model {text.model_id}")
    print(f"  text models (one encoder pass + all heads): {len(texts) / model_s:9.0f} utterances/s")
    print(f"  the heads alone on the embeddings         : {len(texts) / heads_s:9.0f} utterances/s")
    print(f"  VADER (baseline)                          : {len(texts) / vader_s:9.0f} utterances/s")
    print(f"  text models vs VADER                      : {vader_s / model_s:9.3f}x VADER's rate")

    spec = importlib.util.spec_from_file_location("generate_demo_calls", ROOT / "scripts" / "generate_demo_calls.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    stages: dict[str, float] = {}
    n_utterances = 0
    with tempfile.TemporaryDirectory() as tmp:
        truths = generator.generate_calls(Path(tmp), n_calls=args.calls, seed=3)
        for truth in truths:
            audio = load_call_audio(Path(tmp) / "audio" / f"{truth['call_id']}.wav")
            info = CallInfo(truth["call_id"], truth["agent_id"], "", "audio", "")
            result = process_call(info, audio, models, config, settings="bench")
            n_utterances += len(result.transcript.utterances)
            for stage, seconds in result.stage_seconds.items():
                stages[stage] = stages.get(stage, 0.0) + seconds
    total = sum(stages.values())
    print(f"{args.calls} generated calls, {n_utterances} utterances: share of pipeline time (decode excluded)")
    for stage, seconds in stages.items():
        print(f"  {stage:<12} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
