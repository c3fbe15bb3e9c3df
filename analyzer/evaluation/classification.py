"""Classification metrics for scripts and model cards."""

from __future__ import annotations

from typing import Dict, Sequence

import numpy as np


def classification_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> Dict[str, object]:
    """Accuracy, macro-F1 and per-class precision/recall/F1 with support."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=list(labels), zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0)), 4),
        "per_class": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
    }


def vader(texts: Sequence[str]):
    """The VADER lexicon baseline: ``(labels, compound)`` with its standard thresholds
    (compound >= 0.05 positive, <= -0.05 negative)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    compound = np.array([analyzer.polarity_scores(t)["compound"] for t in texts])
    return np.where(compound >= 0.05, "positive", np.where(compound <= -0.05, "negative", "neutral")), compound
