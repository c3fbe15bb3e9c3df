"""Train the sentiment head: frozen sentence embeddings + calibrated logistic regression.

Chosen by measurement (see models/sentiment/MODEL_CARD.md): on DailyDialog's test set a
calibrated linear head over all-MiniLM-L6-v2 embeddings scores within noise of fine-tuning the
encoder end to end, trains in minutes on 2 CPU cores, and stores 3 x 384 weights.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..records import SENTIMENT_LABELS
from .head import LinearHead


@dataclass(frozen=True)
class TrainingArguments:
    """C: inverse regularisation strength. class_weight: ``"balanced"`` or None.
    calibrate: fit per-class logit biases on the validation rows to maximise macro-F1."""

    C: float = 0.3
    class_weight: Optional[str] = "balanced"
    max_iter: int = 2000
    calibrate: bool = True


def train_head(encoder, train, validation=None, args: TrainingArguments = TrainingArguments(), log=print) -> LinearHead:
    """Fit a :class:`LinearHead` on ``train`` (DataFrame text,label) with ``encoder`` embeddings."""
    t0 = time.perf_counter()
    X = encoder.encode(list(train.text))
    log(f"embedded {len(X)} training utterances in {time.perf_counter() - t0:.0f} s")
    head = LinearHead(C=args.C, class_weight=args.class_weight, max_iter=args.max_iter)
    t0 = time.perf_counter()
    head.fit(X, train.label.to_numpy(), classes=SENTIMENT_LABELS)
    log(f"fitted the head in {time.perf_counter() - t0:.0f} s")
    if args.calibrate and validation is not None and len(validation) and len(set(validation.label)) > 1:
        head.calibrate(encoder.encode(list(validation.text)), validation.label.to_numpy(), reference="neutral")
        log(f"calibrated biases {np.round(head.bias_, 2).tolist()} (validation macro-F1 {head.calibration_f1_:.3f})")
    return head
