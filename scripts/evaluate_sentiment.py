#!/usr/bin/env python
"""Evaluate a text-model bundle's sentiment heads on held-out data, VADER on the same rows.

    python scripts/evaluate_sentiment.py [--model models/text] [--holdout tests/data/service_lines_holdout.tsv] [--csv ours.csv]

Per test set (official test splits of DailyDialog, TweetEval and GoEmotions; the test split of
the project's lines; USS user turns, never trained on; the independently written hold-out
lines; with ``--csv``, the test split of a team's own labelled customer lines), customer sets scored with the customer head and agent sets with the agent-tone head:
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
    parser.add_argument("--csv", type=Path, default=None, help="your labelled customer lines (text,label[,split]); its test split is added")
    args = parser.parse_args()
    models = load_text_models(TextOptions(model=args.model))
    print(f"model {models.model_id}")
    sets = sentiment_test_sets(args.data if args.data.is_dir() else None, args.holdout)
    if args.csv is not None:
        from analyzer.sentiment.datasets import labelled_csv

        own = labelled_csv(args.csv)
        sets[f"{args.csv.stem}_test"] = own[own.split == "test"].assign(speaker="customer").reset_index(drop=True)
    print(sentiment_table(evaluate_sentiment(models, sets)))


if __name__ == "__main__":
    main()
