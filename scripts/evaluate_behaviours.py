#!/usr/bin/env python
"""Evaluate a text-model bundle's behaviour heads on held-out data.

    python scripts/evaluate_behaviours.py [--model models/text] [--csv ours.csv] [--simulator-seeds 3]

Per behaviour: the threshold and its calibration precision / recall; precision / recall on the
test split of the project's labelled lines and USS agent turns, on the independently written
hold-out lines (the keyword rules on the same rows), on real labelled data where the taxonomy maps
it; the share of realistic service-agent turns (USS test dialogues) carrying the tag; the hold-out
lines again as transcripts from another system may give them (lowercase, no punctuation); and the
demo simulator's per-agent measured vs true behaviour rates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.behaviours.training import BehaviourTrainingArguments, training_rows  # noqa: E402
from analyzer.config import TextOptions  # noqa: E402
from analyzer.model_files import shared_data_dir  # noqa: E402
from analyzer.textmodels.bundle import load_text_models  # noqa: E402
from analyzer.textmodels.evaluate import (  # noqa: E402
    behaviour_table,
    evaluate_behaviours,
    simulator_agreement,
    simulator_table,
    transcript_style_agreement,
    transcript_style_table,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--model", default=None, help="bundle directory (default: models/text)")
    parser.add_argument("--csv", type=Path, help="your labelled utterances (text,behaviour,label); their test split is evaluated too")
    parser.add_argument("--simulator-seeds", type=int, default=3)
    args = parser.parse_args()
    models = load_text_models(TextOptions(model=args.model))
    data = args.data if args.data.is_dir() else None
    table = training_rows(models.taxonomy, data, args.csv, BehaviourTrainingArguments())
    print(f"model {models.model_id}")
    print(behaviour_table(evaluate_behaviours(models, table, data)))
    print("\nhold-out agent lines as written and in transcript style (lowercase, no punctuation, a filler first):")
    print(transcript_style_table(transcript_style_agreement(models)))
    if args.simulator_seeds:
        print()
        print(simulator_table(simulator_agreement(models, seeds=tuple(range(args.simulator_seeds)))))


if __name__ == "__main__":
    main()
