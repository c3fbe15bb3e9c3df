#!/usr/bin/env python
"""Evaluate a text-model bundle's sentiment heads on held-out data, VADER on the same rows.

    python scripts/evaluate_sentiment.py [--model models/text] [--holdout tests/data/service_lines_holdout.tsv]

Per test set (official test splits of DailyDialog, TweetEval and GoEmotions; the test split of
the project's lines; USS user turns, never trained on; the independently written hold-out
lines), customer sets scored with the customer head and agent sets with the agent-tone head:
accuracy, macro-F1 and per-class recall, for the model and for VADER. The leave-one-dataset-out
table is scripts/evaluate_sentiment_lodo.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.config import TextOptions  # noqa: E402
from analyzer.model_files import shared_data_dir  # noqa: E402
from analyzer.textmodels.bundle import load_text_models  # noqa: E402
from analyzer.textmodels.evaluate import evaluate_sentiment, sentiment_table, sentiment_test_sets  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--model", default=None, help="bundle directory (default: models/text)")
    parser.add_argument("--holdout", type=Path, default=None, help="hold-out lines TSV (speaker, text, sentiment, behaviours)")
    args = parser.parse_args()
    models = load_text_models(TextOptions(model=args.model))
    print(f"model {models.model_id}")
    print(sentiment_table(evaluate_sentiment(models, sentiment_test_sets(args.data if args.data.is_dir() else None, args.holdout))))


if __name__ == "__main__":
    main()
