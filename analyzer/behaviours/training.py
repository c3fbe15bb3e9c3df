"""Build the behaviour training data from the taxonomy, the project's hand-written service
lines, real labelled data and a team's CSV, and fit the classifier. Used by
``analyzer train-behaviours`` and the text-model training script.

Per behaviour, labelled rows are:

- the taxonomy's examples (positive) and near misses (negative), weight ``curated_weight``;
- the project's agent lines (``models/training_lines/agent_*.tsv``, every line labelled for
  every default behaviour: thousands of phrasings and hard negatives such as empathy and apology
  lines for the negative behaviours) and 1,000 labelled USS service-agent turns, weight
  ``lines_weight``; split 70/15/15 by text (lines) or dialogue (USS);
- real labelled data mapped onto it in the taxonomy (``data``: EPITOME, Switchboard acts);
- for negative behaviours, the other USS service-agent turns as negatives (professional agent
  speech: 0 blaming and 1 dismissive among the 1,000 labelled ones), so thresholds are set at
  a realistic prevalence;
- background utterances from everyday and telephone conversation (DailyDialog, Switchboard) as
  negatives in training, except those matching the behaviour's keywords.

Thresholds are calibrated on the validation rows: the lowest threshold reaching the precision
target of the behaviour's polarity (``negative_precision`` / ``positive_precision``).
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
    curated_weight: weight of the taxonomy's examples and near misses relative to one real or
    background row; lines_weight: of the project's labelled service lines and USS agent turns.
    background_dailydialog, background_swda: everyday and telephone conversation sampled as
        extra negatives (off by default: measured on the validation lines, casual conversation
        full of curt "whatever"s and names made worse negatives for dismissive language and
        personalisation than the realistic agent speech that now stands in for them).
    real_data_negatives: at most this many negatives of a mapped real corpus (Switchboard acts)
        in training.
    agent_negatives: unlabelled USS service-agent turns used as training negatives for each
    negative behaviour (all of the validation and test dialogues' turns are used there).
    negative_precision, positive_precision: calibration precision targets by polarity.
    use_lines: include the project's service lines (off to measure without them).
    transcript_copies: also train on a lowercase, unpunctuated copy of each training line (as
        transcripts from other systems give them; ``analyzer.textmodels.data.with_transcript_copies``),
        for the behaviour heads and, in ``scripts/train_text_models.py``, the fine-tuning. Off by
        default: one full retrain with it tagged the hold-out lines better but put dismissive on
        two of the demo simulator's empathy lines (measured 2026-12-02)."""

    C: float = 4.0
    class_weight: Optional[str] = "auto"
    curated_weight: float = 5.0
    lines_weight: float = 3.0
    background_dailydialog: int = 0
    background_swda: int = 0
    real_data_negatives: int = 20000
    agent_negatives: int = 4000
    negative_precision: float = 0.90
    positive_precision: float = 0.80
    use_lines: bool = True
    transcript_copies: bool = False
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
    if args.use_lines:
        rows.extend(_service_line_rows(taxonomy, data_dir, args))
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
                if len(train_neg) > args.real_data_negatives:  # very common negatives (Switchboard): sample
                    train_neg = train_neg.sample(args.real_data_negatives, random_state=args.seed)
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


def _service_line_rows(taxonomy: Taxonomy, data_dir: Optional[Path], args: BehaviourTrainingArguments) -> List[dict]:
    """Rows from the project's labelled agent lines and USS agent turns, for the taxonomy's
    behaviours the lines are labelled for (a team's new behaviour gets none from here)."""
    import pandas as pd

    from ..textmodels.data import LABELLED_BEHAVIOURS, agent_lines, uss_system_labelled, uss_system_turns, with_transcript_copies

    known = [b for b in taxonomy.behaviours if b.id in LABELLED_BEHAVIOURS]
    frames = [with_transcript_copies(agent_lines()) if args.transcript_copies else agent_lines()]
    have_uss = data_dir is not None and (Path(data_dir) / "user_satisfaction_simulation").is_dir()
    turns = uss_system_turns(Path(data_dir)) if have_uss else None
    if have_uss:
        frames.append(uss_system_labelled(Path(data_dir), turns=turns))
    rows: List[dict] = []
    for frame in frames:
        for r in frame.itertuples():
            for b in known:
                rows.append({"text": r.text, "behaviour": b.id, "label": float(b.id in r.behaviours), "weight": args.lines_weight,
                             "group": r.group, "split": r.split})
    if have_uss:
        labelled = set(frames[-1].key)
        spare = turns[~turns.key.isin(labelled)]
        train = spare[spare.split == "train"]
        spare = pd.concat([train.sample(min(len(train), args.agent_negatives), random_state=args.seed), spare[spare.split != "train"]])
        for b in known:
            if b.polarity != "negative":
                continue
            for r in spare.itertuples():
                rows.append({"text": r.text, "behaviour": b.id, "label": 0.0, "weight": 1.0, "group": r.group, "split": r.split})
    return rows


def _background(data_dir: Path, args: BehaviourTrainingArguments, cache: Dict[str, object]):
    import pandas as pd

    from ..sentiment.datasets import dailydialog

    frames = []
    if args.background_dailydialog and (data_dir / "dailydialog_emotion").is_dir():
        dd = dailydialog(data_dir)
        dd = dd[dd.split == "train"].sample(args.background_dailydialog, random_state=args.seed)
        frames.append(pd.DataFrame({"text": dd.text, "group": "dd:" + dd.dialogue}))
    if args.background_swda and (data_dir / "swda_dialog_acts").is_dir():
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


def fit_behaviour_classifier(encoder, taxonomy: Taxonomy, table, args: BehaviourTrainingArguments = BehaviourTrainingArguments(), log: Callable[[str], None] = print):
    """Fit the multi-label classifier on ``table`` (from :func:`training_rows`) with ``encoder``
    embeddings: heads on the train rows, thresholds on the validation rows; test rows are never
    embedded or used here."""
    texts = list(dict.fromkeys(table[table.split != "test"].text))
    log(f"{len(table)} labelled behaviour rows ({(table.split == 'train').sum()} train), {len(texts)} distinct texts to embed")
    t0 = time.perf_counter()
    embeddings = dict(zip(texts, encoder.encode(texts)))
    log(f"embedded in {time.perf_counter() - t0:.0f} s")
    ids = list(taxonomy.ids)
    X, Y, w, groups = matrix(table, "train", ids, embeddings)
    X_cal, Y_cal, _, _ = matrix(table, "validation", ids, embeddings)
    targets = [args.negative_precision if b.polarity == "negative" else args.positive_precision for b in taxonomy.behaviours]
    t0 = time.perf_counter()
    model = BehaviourClassifier(C=args.C, class_weight=args.class_weight).fit(
        X, Y, ids, sample_weight=w, groups=groups, X_cal=X_cal if len(X_cal) else None, Y_cal=Y_cal if len(X_cal) else None,
        precision_targets=targets, contradictions=taxonomy.contradictions,
    )
    log(f"fitted {len(ids)} heads in {time.perf_counter() - t0:.0f} s")
    return model


def train_behaviour_classifier(
    encoder,
    taxonomy: Taxonomy,
    data_dir: Optional[Path] = None,
    csv: Optional[Path] = None,
    args: BehaviourTrainingArguments = BehaviourTrainingArguments(),
    log: Callable[[str], None] = print,
):
    """Build the rows (:func:`training_rows`) and fit the classifier; returns ``(classifier,
    table)``, the table holding every labelled row, test rows included (for evaluation)."""
    table = training_rows(taxonomy, data_dir, csv, args)
    return fit_behaviour_classifier(encoder, taxonomy, table, args, log), table
