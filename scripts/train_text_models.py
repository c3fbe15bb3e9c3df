#!/usr/bin/env python
"""Rebuild the text-model bundle (models/text): fine-tune all-MiniLM-L6-v2 for customer sentiment,
agent tone and behaviours at once, convert it to CTranslate2 int8, fit and calibrate the heads on
the converted encoder, evaluate on held-out data and write the model card.

    python scripts/train_text_models.py                   # rebuild models/text (about 50 min on 2 cores)
    python scripts/train_text_models.py --exclude tweeteval --out /tmp/lodo-tweeteval --steps 2500

Data: ../shared/data (DailyDialog, TweetEval, GoEmotions, USS service-agent turns, EPITOME,
Switchboard; read there, never copied) and the project's own lines in models/training_lines/.
The seed, arguments and row counts are recorded in the bundle's config.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.adapters.hf_text import resolve_encoder  # noqa: E402
from analyzer.adapters.hf_training import FineTuneArguments  # noqa: E402
from analyzer.behaviours.taxonomy import load_taxonomy  # noqa: E402
from analyzer.model_files import shared_data_dir, shipped_model  # noqa: E402
from analyzer.textmodels.train import TextTrainingArguments, train_text_models  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=shared_data_dir(), help="the shared third-party data")
    parser.add_argument("--out", type=Path, default=shipped_model("text"))
    parser.add_argument("--taxonomy", type=Path, default=None, help="taxonomy YAML (default: the one in --out, else models/text)")
    parser.add_argument("--base", default=None, help="encoder to fine-tune (default: packaged all-MiniLM-L6-v2)")
    parser.add_argument("--steps", type=int, default=FineTuneArguments.steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads for fine-tuning (0 = all cores; 1 is faster on a busy machine)")
    parser.add_argument("--exclude", nargs="*", default=[], help="sentiment corpora to leave out (leave-one-dataset-out)")
    parser.add_argument("--sentiment-csv", type=Path, help="your labelled customer utterances (text,label[,split]) added to the training mixture")
    parser.add_argument("--csv", type=Path, help="your labelled behaviour utterances (text,behaviour,label)")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation and model card")
    parser.add_argument("--simulator-seeds", type=int, default=3, help="simulated teams for the behaviour-rate check")
    args = parser.parse_args()

    if not args.data.is_dir():
        sys.exit(f"no shared data at {args.data}; pass --data")
    taxonomy_path = args.taxonomy or next(p for p in (args.out / "taxonomy.yaml", shipped_model("text") / "taxonomy.yaml") if p.exists())
    taxonomy = load_taxonomy(taxonomy_path)
    base = resolve_encoder(args.base)[0]
    training = TextTrainingArguments(fine_tune=replace(FineTuneArguments(), steps=args.steps, seed=args.seed, threads=args.threads), exclude=tuple(args.exclude))
    started = time.perf_counter()
    models, data = train_text_models(args.out, taxonomy, args.data, base, training, csv=args.csv, sentiment_csv=args.sentiment_csv,
                                     log=lambda m: print(m, flush=True))
    print(f"trained in {time.perf_counter() - started:.0f} s; wrote {args.out}", flush=True)
    if args.no_eval:
        return
    from analyzer.textmodels.model_card import evaluate_and_document

    evaluate_and_document(models, args.out, args.data, data.behaviours, simulator_seeds=tuple(range(args.simulator_seeds)), log=print)
    print(json.dumps(models.config.get("training", {}).get("rows", {}), indent=1))


if __name__ == "__main__":
    main()
