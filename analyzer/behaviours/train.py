"""``train_behaviours``: rebuild the behaviour classifier from the taxonomy file (one call from
the CLI, a script or a notebook)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Callable, Dict, Optional

from ..adapters.hf_text import DEFAULT_ENCODER_NAME, SentenceEncoder
from ..config import SentimentOptions
from ..model_files import shared_data_dir, shipped_model
from .evaluate import evaluate_behaviours
from .model_card import write_model_card
from .taxonomy import load_taxonomy
from .training import BehaviourTrainingArguments, train_behaviour_classifier


def train_behaviours(
    taxonomy: Optional[str | Path] = None,
    out: Optional[str | Path] = None,
    data_dir: Optional[str | Path] = None,
    csv: Optional[str | Path] = None,
    use_shared_data: bool = True,
    evaluate: bool = True,
    encoder: Optional[str] = None,
    args: BehaviourTrainingArguments = BehaviourTrainingArguments(),
    log: Callable[[str], None] = print,
) -> Dict[str, object]:
    """Train heads for every behaviour in ``taxonomy`` (default ``models/behaviours/taxonomy.yaml``)
    and write them with the taxonomy to ``out`` (default ``models/behaviours``). Real data from
    ``data_dir`` (default ``../shared/data``) is used where the taxonomy maps it, and held-out
    evaluation against the keyword rules is written to config.json and MODEL_CARD.md."""
    out = Path(out) if out is not None else shipped_model("behaviours")
    taxonomy_path = Path(taxonomy) if taxonomy is not None else out / "taxonomy.yaml"
    tax = load_taxonomy(taxonomy_path)
    data = Path(data_dir) if data_dir is not None else shared_data_dir()
    if not use_shared_data or not data.is_dir():
        if use_shared_data:
            log(f"no shared data at {data}: training on the taxonomy examples (and CSV) only")
        data = None
    text = SentimentOptions()
    model_encoder = SentenceEncoder.load(encoder, text.backend, text.compute_type, text.max_length, text.batch_size, text.threads)
    started = time.perf_counter()
    classifier, table = train_behaviour_classifier(model_encoder, tax, data, Path(csv) if csv else None, args, log)
    train_s = time.perf_counter() - started
    evaluation = evaluate_behaviours(classifier, model_encoder, tax, table) if evaluate else {}
    out.mkdir(parents=True, exist_ok=True)
    if taxonomy_path.resolve() != (out / "taxonomy.yaml").resolve():
        shutil.copyfile(taxonomy_path, out / "taxonomy.yaml")
    counts = table[table.split == "train"].groupby("behaviour").label.agg(["sum", "count"])
    config = {
        "encoder": encoder or DEFAULT_ENCODER_NAME,
        "encoder_backend": text.backend,
        "encoder_compute_type": text.compute_type,
        "max_length": text.max_length,
        "taxonomy_sha256": tax.sha256,
        "training_data": {
            "shared_data": data is not None,
            "csv": Path(csv).name if csv else None,
            "rows": {b: {"positive": int(counts.loc[b, "sum"]), "total": int(counts.loc[b, "count"])} for b in counts.index},
        },
        "train_seconds": round(train_s, 1),
        "training_arguments": {k: getattr(args, k) for k in args.__dataclass_fields__},
        "evaluation": evaluation,
    }
    classifier.save(out, config)
    write_model_card(out, config, classifier, tax)
    log(f"wrote {out}")
    return config
