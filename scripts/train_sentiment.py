#!/usr/bin/env python
"""Rebuild the sentiment classifier (models/sentiment) from ../shared/data, or retrain it on a
team's own labelled utterances.

    python scripts/train_sentiment.py                        # rebuild the shipped model
    python scripts/train_sentiment.py --csv ours.csv --out models/sentiment-ours   # add your labels
    python scripts/train_sentiment.py --csv ours.csv --csv-only --out my-model     # your labels only

The CSV has columns text,label (negative/neutral/positive) and optionally split
(train/validation/test; rows without one are assigned by a hash of the text, 70/15/15). Point
the config at the result: ``[sentiment] model = "models/sentiment-ours"``.

Training data: DailyDialog train (emotions mapped to sentiment, surprise dropped), calibrated on
DailyDialog validation. Held-out evaluation (DailyDialog test, USS test dialogues, VADER side by
side) is written to config.json and MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.adapters.hf_text import SentenceEncoder  # noqa: E402
from analyzer.config import SentimentOptions  # noqa: E402
from analyzer.sentiment.datasets import dailydialog, labelled_csv  # noqa: E402
from analyzer.sentiment.evaluate import evaluate_sentiment, results_table  # noqa: E402
from analyzer.adapters.hf_text import DEFAULT_ENCODER_NAME  # noqa: E402
from analyzer.sentiment.model import EmbeddingSentimentModel  # noqa: E402
from analyzer.sentiment.model_card import write_model_card  # noqa: E402
from analyzer.sentiment.training import TrainingArguments, train_head  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared third-party data")
    parser.add_argument("--csv", type=Path, help="your labelled utterances (text,label[,split])")
    parser.add_argument("--csv-only", action="store_true", help="train on the CSV alone (no shared data needed)")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "sentiment")
    parser.add_argument("--encoder", default=None, help="sentence encoder (default: packaged all-MiniLM-L6-v2)")
    parser.add_argument("--C", type=float, default=0.3)
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    args = parser.parse_args()

    import pandas as pd

    options = SentimentOptions(encoder=args.encoder)
    parts, sources = [], []
    if not args.csv_only:
        if not (args.data / "dailydialog_emotion").is_dir():
            sys.exit(f"no DailyDialog data under {args.data}; pass --data, or --csv with --csv-only")
        dd = dailydialog(args.data)
        parts.append(dd[dd.split.isin(["train", "validation"])])
        sources.append("DailyDialog train (calibrated on validation)")
    if args.csv is not None:
        own = labelled_csv(args.csv)
        parts.append(own[own.split.isin(["train", "validation"])])
        sources.append(f"{args.csv.name} ({len(own)} rows)")
    if not parts:
        sys.exit("nothing to train on: give --csv or drop --csv-only")
    data = pd.concat(parts, ignore_index=True)
    train, validation = data[data.split == "train"], data[data.split == "validation"]
    print(f"training on {len(train)} utterances ({train.label.value_counts().to_dict()}), calibrating on {len(validation)}")

    encoder = SentenceEncoder.load(options.encoder, options.backend, options.compute_type, options.max_length, options.batch_size)
    started = time.perf_counter()
    head = train_head(encoder, train, validation, TrainingArguments(C=args.C))
    train_s = time.perf_counter() - started
    config = {
        "encoder": args.encoder or DEFAULT_ENCODER_NAME,
        "encoder_backend": options.backend,
        "encoder_compute_type": options.compute_type,
        "pooling": "mean, L2-normalised",
        "max_length": options.max_length,
        "training_data": sources,
        "n_train": int(len(train)),
        "n_validation": int(len(validation)),
        "train_seconds": round(train_s, 1),
    }
    head.save(args.out, config)
    print(f"saved {args.out}")
    if args.no_eval:
        return
    if args.csv_only and not (args.data / "dailydialog_emotion").is_dir():
        return
    model = EmbeddingSentimentModel(encoder, head, model_id="trained")
    results = evaluate_sentiment(model, args.data, csv=args.csv)
    print(results_table(results))
    head.save(args.out, {**config, "evaluation": results})
    write_model_card(args.out, {**config, "evaluation": results}, head)
    print(f"wrote {args.out / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
