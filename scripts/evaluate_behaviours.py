#!/usr/bin/env python
"""Evaluate the behaviour classifier on held-out real data against the keyword-rule baseline.

    python scripts/evaluate_behaviours.py [--model models/behaviours] [--csv ours.csv]

Prints precision, recall and F1 per behaviour that has real held-out labels (Switchboard
conversations, EPITOME posts, politeness requests: the test split by a fixed hash, never trained
on), for the classifier and for the taxonomy's keyword rules, measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.behaviours.evaluate import beats_keywords, evaluate_behaviours, results_table  # noqa: E402
from analyzer.behaviours.model import load_behaviour_model  # noqa: E402
from analyzer.behaviours.training import BehaviourTrainingArguments, training_rows  # noqa: E402
from analyzer.config import BehaviourOptions, SentimentOptions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model", default=None)
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args()
    model = load_behaviour_model(BehaviourOptions(model=args.model), SentimentOptions())
    table = training_rows(model.taxonomy, args.data, args.csv, BehaviourTrainingArguments())
    results = evaluate_behaviours(model.classifier, model.encoder, model.taxonomy, table)
    print(results_table(results))
    behind = beats_keywords(results)
    print("\nclassifier beats the keyword rules on every behaviour with held-out labels" if not behind
          else f"\nclassifier does NOT beat the keywords on: {', '.join(behind)}")


if __name__ == "__main__":
    main()
