#!/usr/bin/env python
"""Evaluate a sentiment classifier on held-out conversational data, with VADER side by side.

    python scripts/evaluate_sentiment.py                          # the shipped model
    python scripts/evaluate_sentiment.py --model models/sentiment-ours --csv ours.csv
    python scripts/evaluate_sentiment.py --model cardiffnlp/twitter-roberta-base-sentiment-latest

Prints accuracy and macro-F1 on DailyDialog test dialogues, USS test dialogues, both pooled (and
your CSV's test split), and the correlation between the user's end-of-dialogue sentiment and the
dialogue's overall satisfaction.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.config import SentimentOptions  # noqa: E402
from analyzer.sentiment.evaluate import evaluate_sentiment, results_table  # noqa: E402
from analyzer.sentiment.model import load_sentiment_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model", default=None, help="head directory or Hugging Face classifier (default: shipped)")
    parser.add_argument("--csv", type=Path, help="also evaluate on the test split of your labelled CSV")
    parser.add_argument("--json", action="store_true", help="print the full results as JSON")
    args = parser.parse_args()
    model = load_sentiment_model(SentimentOptions(model=args.model))
    results = evaluate_sentiment(model, args.data, csv=args.csv)
    print(f"model: {model.model_id}\n")
    print(json.dumps(results, indent=2) if args.json else results_table(results))


if __name__ == "__main__":
    main()
