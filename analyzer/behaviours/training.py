"""Build the behaviour training data from the taxonomy, real labelled data and a team's CSV, and
fit the classifier. Used by ``analyzer train-behaviours`` and ``scripts/train_behaviours.py``.

Per behaviour, training rows are: its examples (positive) and near misses (negative), weighted
``curated_weight``; real labelled data mapped onto it (train split); and background utterances
from everyday and telephone conversation (DailyDialog, Switchboard) as negatives, except those
matching the behaviour's keywords (likely unlabelled positives). Thresholds are calibrated on the
validation split of the real data at its natural prevalence (0.5 for taxonomy-only behaviours).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np

from .classifier import BehaviourClassifier
from .datasets import behaviour_data, labelled_csv, swda
from .keywords import keyword_predict
from .taxonomy import Taxonomy


@dataclass(frozen=True)
class BehaviourTrainingArguments:
    """C, class_weight: logistic-regression settings per head (see BehaviourClassifier).
    curated_weight: weight of the
    taxonomy's examples and near misses relative to one real or background row.
    background_dailydialog, background_swda: background utterances sampled as negatives."""

    C: float = 1.0
    class_weight: Optional[str] = "auto"
    curated_weight: float = 20.0
    background_dailydialog: int = 4000
    background_swda: int = 20000
    seed: int = 0


def training_rows(taxonomy: Taxonomy, data_dir: Optional[Path], csv: Optional[Path], args: BehaviourTrainingArguments):
    """Long table: text, behaviour, label (0/1), weight, group, split (train/validation/test)."""
    import pandas as pd

    rows: List[dict] = []
    for b in taxonomy.behaviours:
        for i, text in enumerate(b.examples):
            rows.append({"text": text, "behaviour": b.id, "label": 1.0, "weight": args.curated_weight, "group": f"tax:{b.id}:e{i}", "split": "train"})
        for i, text in enumerate(b.near_misses):
            rows.append({"text": text, "behaviour": b.id, "label": 0.0, "weight": args.curated_weight, "group": f"tax:{b.id}:n{i}", "split": "train"})
    have_data = data_dir is not None and Path(data_dir).is_dir()
    if have_data:
        cache: Dict[str, object] = {}
        background = _background(Path(data_dir), args, cache)
        for b in taxonomy.behaviours:
            real = behaviour_data(b.data, Path(data_dir), cache) if b.data else None
            if real is not None:
                positives = real[real.label]
                negatives = real[~real.label]
                train_neg = negatives[negatives.split == "train"]
                if len(train_neg) > args.background_swda:  # very common negatives (Switchboard): sample
                    train_neg = train_neg.sample(args.background_swda, random_state=args.seed)
                keep = pd.concat([positives, train_neg, negatives[negatives.split != "train"]])
                for r in keep.itertuples():
                    rows.append({"text": r.text, "behaviour": b.id, "label": float(r.label), "weight": 1.0, "group": r.group, "split": r.split})
            mask = ~keyword_predict(list(background.text), b.keywords) if b.keywords else np.ones(len(background), bool)
            for r in background[mask].itertuples():
                rows.append({"text": r.text, "behaviour": b.id, "label": 0.0, "weight": 1.0, "group": r.group, "split": "train"})
    else:  # no shared data: other behaviours' examples stand in as background negatives
        for b in taxonomy.behaviours:
            for other in taxonomy.behaviours:
                if other.id != b.id:
                    for i, text in enumerate(other.examples):
                        rows.append({"text": text, "behaviour": b.id, "label": 0.0, "weight": 1.0, "group": f"tax:{other.id}:e{i}", "split": "train"})
    if csv is not None:
        own = labelled_csv(csv, taxonomy.ids)
        for r in own.itertuples():
            rows.append({"text": r.text, "behaviour": r.behaviour, "label": float(r.label), "weight": args.curated_weight, "group": r.group, "split": r.split})
    table = pd.DataFrame(rows)
    # a text labelled twice for one behaviour keeps its first (curated before real) label
    return table.drop_duplicates(["text", "behaviour", "split"], keep="first").reset_index(drop=True)


def _background(data_dir: Path, args: BehaviourTrainingArguments, cache: Dict[str, object]):
    import pandas as pd

    from ..sentiment.datasets import dailydialog

    frames = []
    if (data_dir / "dailydialog_emotion").is_dir():
        dd = dailydialog(data_dir)
        dd = dd[dd.split == "train"].sample(args.background_dailydialog, random_state=args.seed)
        frames.append(pd.DataFrame({"text": dd.text, "group": "dd:" + dd.dialogue}))
    if (data_dir / "swda_dialog_acts").is_dir():
        if "swda" not in cache:
            cache["swda"] = swda(data_dir)
        sw = cache["swda"]
        sw = sw[(sw.split == "train") & (sw.text.str.split().str.len() >= 3)]
        frames.append(sw.sample(min(len(sw), args.background_swda // 4), random_state=args.seed)[["text", "group"]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["text", "group"])


def matrix(table, split: str, ids, embeddings: Dict[str, np.ndarray]):
    """(X, Y, weights, groups) for one split: unique texts x behaviours, NaN where unlabelled."""
    part = table[table.split == split]
    texts = list(dict.fromkeys(part.text))
    index = {t: i for i, t in enumerate(texts)}
    column = {b: j for j, b in enumerate(ids)}
    Y = np.full((len(texts), len(ids)), np.nan)
    weights = np.ones(len(texts))
    groups = np.empty(len(texts), dtype=object)
    for r in part.itertuples():
        i = index[r.text]
        Y[i, column[r.behaviour]] = r.label
        weights[i] = max(weights[i], r.weight)
        groups[i] = r.group
    X = np.stack([embeddings[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)
    return X, Y, weights, groups


def train_behaviour_classifier(
    encoder,
    taxonomy: Taxonomy,
    data_dir: Optional[Path] = None,
    csv: Optional[Path] = None,
    args: BehaviourTrainingArguments = BehaviourTrainingArguments(),
    log: Callable[[str], None] = print,
):
    """Fit the multi-label classifier; returns ``(classifier, table)`` where ``table`` holds
    every labelled row, test rows included (for :func:`evaluate_behaviours`); test rows are
    never embedded or used here."""
    table = training_rows(taxonomy, data_dir, csv, args)
    texts = list(dict.fromkeys(table[table.split != "test"].text))
    log(f"{len(table)} labelled rows ({(table.split == 'train').sum()} train), {len(texts)} distinct texts to embed")
    t0 = time.perf_counter()
    vectors = encoder.encode(texts)
    embeddings = dict(zip(texts, vectors))
    log(f"embedded in {time.perf_counter() - t0:.0f} s")
    ids = list(taxonomy.ids)
    X, Y, w, groups = matrix(table, "train", ids, embeddings)
    X_cal, Y_cal, _, _ = matrix(table, "validation", ids, embeddings)
    t0 = time.perf_counter()
    model = BehaviourClassifier(C=args.C, class_weight=args.class_weight).fit(
        X, Y, ids, sample_weight=w, groups=groups, X_cal=X_cal if len(X_cal) else None, Y_cal=Y_cal if len(X_cal) else None
    )
    log(f"fitted {len(ids)} heads in {time.perf_counter() - t0:.0f} s")
    return model, table
