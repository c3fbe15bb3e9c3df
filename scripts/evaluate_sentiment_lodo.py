#!/usr/bin/env python
"""Leave one dataset out: for each customer-sentiment training corpus, retrain the whole text-model
recipe without it (fine-tuning, heads and calibration) and test on that corpus's test split and
on the independent hold-out customer lines. "With" is the same recipe, at the same number of
steps, trained on every corpus; VADER on the same rows. The drop from "with" to "without"
estimates what an unseen domain costs. Writes ``lodo.json`` into the bundle (the model card
includes it). Each run fine-tunes for ``--steps`` (fewer than the shipped model's, to keep the
five runs to about two hours on 2 CPU cores; the shipped model's own numbers are in the card).

    python scripts/evaluate_sentiment_lodo.py [--steps 1200] [--only tweeteval goemotions] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.adapters.hf_text import resolve_encoder  # noqa: E402
from analyzer.adapters.hf_training import FineTuneArguments  # noqa: E402
from analyzer.behaviours.taxonomy import load_taxonomy  # noqa: E402
from analyzer.model_files import shared_data_dir, shipped_model  # noqa: E402
from analyzer.textmodels.data import SENTIMENT_CORPORA, available_sentiment_corpora  # noqa: E402
from analyzer.textmodels.evaluate import evaluate_sentiment, sentiment_test_sets  # noqa: E402
from analyzer.textmodels.model_card import LODO_FILE, write_model_card  # noqa: E402
from analyzer.textmodels.train import TextTrainingArguments, train_text_models  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--model", type=Path, default=shipped_model("text"), help="the shipped bundle (the 'with' column); lodo.json is written here")
    parser.add_argument("--steps", type=int, default=1200, help="fine-tuning steps per run")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    parser.add_argument("--only", nargs="*", choices=SENTIMENT_CORPORA, help="corpora to leave out (default: all available)")
    args = parser.parse_args()

    sets = sentiment_test_sets(args.data)
    taxonomy = load_taxonomy(args.model / "taxonomy.yaml")
    base = resolve_encoder(None)[0]
    path = args.model / LODO_FILE
    lodo = json.loads(path.read_text()) if path.exists() else {}
    lodo.update({"steps": args.steps, "recipe": "scripts/train_text_models.py --exclude X, fewer steps"})
    runs = lodo.setdefault("runs", {})
    corpora = available_sentiment_corpora(args.data)
    for left_out in ["none"] + list(args.only or corpora):
        started = time.perf_counter()
        exclude = () if left_out == "none" else (left_out,)
        training = TextTrainingArguments(fine_tune=replace(FineTuneArguments(), steps=args.steps, threads=args.threads), exclude=exclude)
        names = [f"{c}_test" for c in corpora if f"{c}_test" in sets] + ["holdout_customer"]
        with tempfile.TemporaryDirectory() as tmp:
            model, _ = train_text_models(Path(tmp) / "bundle", taxonomy, args.data, base, training, fit_behaviours=False,
                                         log=lambda m: print(f"[without {left_out}] {m}", flush=True))
            scored = evaluate_sentiment(model, {name: sets[name] for name in names})
        runs[left_out] = {name: {"model": r["model"], "vader": r["vader"]} for name, r in scored.items()}
        runs[left_out]["seconds"] = round(time.perf_counter() - started)
        print(f"without {left_out}: " + ", ".join(f"{n} {r['model']['macro_f1']:.3f}" for n, r in scored.items()), flush=True)
        path.write_text(json.dumps(lodo, indent=2) + "\n")
    lodo["results"] = {}
    for corpus in corpora:
        name = f"{corpus}_test"
        if corpus in runs and "none" in runs and name in runs[corpus]:
            lodo["results"][name] = {"n": runs[corpus][name]["model"]["n"], "without": runs[corpus][name]["model"],
                                     "with": runs["none"][name]["model"], "vader": runs[corpus][name]["vader"],
                                     "holdout_without": runs[corpus]["holdout_customer"]["model"]}
    path.write_text(json.dumps(lodo, indent=2) + "\n")
    config = json.loads((args.model / "config.json").read_text())
    write_model_card(args.model, config)
    print(f"wrote {path} and the model card")


if __name__ == "__main__":
    main()
