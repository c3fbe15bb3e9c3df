"""``train_behaviours``: refit the behaviour heads of a text-model bundle after editing its
taxonomy (one call from the CLI, a script or a notebook). The bundle's fine-tuned encoder and
sentiment heads are kept; only the behaviour heads and their thresholds are new."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Dict, Optional

from ..config import TextOptions
from ..model_files import shared_data_dir
from .taxonomy import load_taxonomy
from .training import BehaviourTrainingArguments, fit_behaviour_classifier, training_rows


def train_behaviours(
    taxonomy: Optional[str | Path] = None,
    out: Optional[str | Path] = None,
    data_dir: Optional[str | Path] = None,
    csv: Optional[str | Path] = None,
    use_shared_data: bool = True,
    evaluate: bool = True,
    base: Optional[str | Path] = None,
    args: BehaviourTrainingArguments = BehaviourTrainingArguments(),
    log: Callable[[str], None] = print,
) -> Dict[str, object]:
    """Fit heads for every behaviour in ``taxonomy`` on the encoder of the bundle ``base``
    (default: the shipped ``models/text``) and write the bundle with the new heads and taxonomy
    to ``out`` (default: ``base`` itself). Training rows: the taxonomy's examples and near misses,
    the project's labelled service lines (for the default behaviours), real data where the
    taxonomy maps it (``data_dir``, default ``../shared/data``) and ``csv`` (text,behaviour,label).
    Returns the bundle's behaviour metadata with the held-out evaluation."""
    from ..textmodels.bundle import TAXONOMY_FILE, TextModels, bundle_dir
    from ..textmodels.evaluate import evaluate_behaviours, simulator_agreement
    from ..textmodels.model_card import write_model_card

    base_dir = bundle_dir(TextOptions(model=None if base is None else str(base)))
    out = Path(out) if out is not None else base_dir
    taxonomy_path = Path(taxonomy) if taxonomy is not None else (out / TAXONOMY_FILE if (out / TAXONOMY_FILE).exists() else base_dir / TAXONOMY_FILE)
    tax = load_taxonomy(taxonomy_path)
    data = Path(data_dir) if data_dir is not None else shared_data_dir()
    if not use_shared_data or not data.is_dir():
        if use_shared_data:
            log(f"no shared data at {data}: training on the taxonomy examples, the project's lines (and CSV) only")
        data = None
    models = TextModels.from_directory(base_dir)
    started = time.perf_counter()
    table = training_rows(tax, data, Path(csv) if csv else None, args)
    classifier = fit_behaviour_classifier(models.encoder, tax, table, args, log)
    train_s = time.perf_counter() - started
    config = {k: v for k, v in models.config.items() if k not in ("behaviours", "taxonomy_sha256")}
    counts = table[table.split == "train"].groupby("behaviour").label.agg(["sum", "count"])
    config["behaviour_training"] = {
        "shared_data": data is not None,
        "csv": Path(csv).name if csv else None,
        "arguments": {k: getattr(args, k) for k in args.__dataclass_fields__},
        "rows": {b: {"positive": int(counts.loc[b, "sum"]), "total": int(counts.loc[b, "count"])} for b in counts.index},
        "seconds": round(train_s, 1),
    }
    trained = TextModels(models.encoder, models.customer, models.agent, classifier, tax, models.model_id, config)
    evaluation = dict(config.get("evaluation", {}))
    if evaluate:
        evaluation["behaviours"] = evaluate_behaviours(trained, table, data)
        evaluation["simulator"] = simulator_agreement(trained, seeds=(0,))
    else:
        evaluation.pop("behaviours", None)
        evaluation.pop("simulator", None)
    trained.save(out, base_dir / "encoder", {"evaluation": evaluation})
    saved = json.loads((out / "config.json").read_text())
    write_model_card(out, saved)
    log(f"wrote {out}")
    return {**saved["behaviours"], "evaluation": evaluation.get("behaviours", {})}
