"""Multi-label behaviour classifier over sentence embeddings, with scikit-learn conventions.

One logistic-regression head per behaviour (an utterance can carry several behaviours) and one
decision threshold per behaviour, chosen to maximise F1 on held-out data at natural prevalence
(0.5, the balanced-class decision point, where a behaviour has no such data). Behaviour ids, thresholds
and the taxonomy hash travel with the weights (safetensors + JSON, never pickle).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

import numpy as np

WEIGHTS_FILE = "heads.safetensors"
CONFIG_FILE = "config.json"
FORMAT = "analyzer-behaviour-heads/1"


def best_f1_threshold(y: np.ndarray, p: np.ndarray, lo: float = 0.05, hi: float = 0.9999) -> tuple[float, float]:
    """The probability threshold maximising F1 of ``p >= t`` against ``y`` (exact: every
    distinct score is tried), kept within [lo, hi]. Returns ``(threshold, f1)``."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=np.float64)
    if y.sum() == 0:
        return 0.5, 0.0
    order = np.argsort(-p, kind="stable")
    scores, hits = p[order], y[order]
    tp = np.cumsum(hits)
    predicted = np.arange(1, len(p) + 1)
    f1 = 2 * tp / (predicted + y.sum())
    last_of_value = np.r_[scores[1:] != scores[:-1], True]  # a threshold keeps all ties
    valid = last_of_value & (scores >= lo) & (scores <= hi)
    if not valid.any():
        return float(np.clip(0.5, lo, hi)), 0.0
    best = np.flatnonzero(valid)[np.argmax(f1[valid])]
    # put the threshold halfway to the next lower score, so near-ties generalise
    below = scores[best + 1] if best + 1 < len(scores) else max(lo, scores[best] - 1e-3)
    return float(max(lo, (scores[best] + below) / 2)), float(f1[best])


class BehaviourClassifier:
    """Per-behaviour logistic regression on embeddings.

    C, max_iter: for each head's LogisticRegression.
    class_weight: ``"auto"`` (default) balances the classes for a behaviour with fewer than
        ``balance_below`` positive rows (taxonomy examples only) and leaves them unweighted when
        there is real data (hundreds of positives) (measured: unweighted heads with calibrated thresholds score higher on
        held-out real data); ``"balanced"`` or ``None`` for every head.
    """

    def __init__(self, C: float = 1.0, class_weight: Optional[str] = "auto", max_iter: int = 2000, balance_below: int = 30):
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.balance_below = balance_below

    def _weighting(self, n_positive: int) -> Optional[str]:
        if self.class_weight == "auto":
            return "balanced" if n_positive < self.balance_below else None
        return self.class_weight

    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        behaviour_ids: Sequence[str],
        sample_weight: Optional[np.ndarray] = None,
        groups: Optional[Sequence[str]] = None,
        X_cal: Optional[np.ndarray] = None,
        Y_cal: Optional[np.ndarray] = None,
    ) -> "BehaviourClassifier":
        """Fit one head per column of ``Y`` (1 = shows the behaviour, 0 = does not, NaN = not
        labelled for it). Thresholds: F1-optimal on ``X_cal``/``Y_cal`` where that column has at
        least 3 labelled positives, otherwise 0.5. ``groups`` is kept for API stability."""
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float32)
        Y = np.asarray(Y, dtype=np.float64)
        weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        groups = np.asarray(groups if groups is not None else np.arange(len(X)).astype(str))
        k = Y.shape[1]
        self.behaviour_ids_ = np.array(list(behaviour_ids))
        self.coef_ = np.zeros((k, X.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(k, dtype=np.float32)
        self.thresholds_ = np.full(k, 0.5, dtype=np.float32)
        self.threshold_source_ = []
        self.class_weights_ = []
        self.n_features_in_ = X.shape[1]
        for j in range(k):
            rows = ~np.isnan(Y[:, j])
            y = Y[rows, j].astype(bool)
            if y.sum() < 3 or (~y).sum() < 3:
                raise ValueError(f"behaviour {behaviour_ids[j]!r} needs at least 3 positive and 3 negative examples")
            weighting = self._weighting(int(y.sum()))
            self.class_weights_.append(weighting)
            model = LogisticRegression(C=self.C, class_weight=weighting, max_iter=self.max_iter)
            model.fit(X[rows], y, sample_weight=weights[rows])
            self.coef_[j] = model.coef_[0]
            self.intercept_[j] = model.intercept_[0]
            if X_cal is not None and Y_cal is not None and np.nansum(Y_cal[:, j]) >= 3:
                cal = ~np.isnan(Y_cal[:, j])
                p = self._sigmoid(np.asarray(X_cal)[cal] @ self.coef_[j] + self.intercept_[j])
                self.thresholds_[j] = best_f1_threshold(Y_cal[cal, j].astype(bool), p)[0]
                self.threshold_source_.append("held-out calibration data")
            else:
                # a few taxonomy examples cannot calibrate a threshold (measured: cross-validated
                # thresholds from ~10 positives swing from 0.3 to 0.9); with balanced classes 0.5 is
                # the decision point. A team's labelled CSV provides calibration data.
                self.thresholds_[j] = 0.5
                self.threshold_source_.append("none: balanced-class decision point (no held-out data)")
        return self

    @staticmethod
    def _sigmoid(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probability of each behaviour, shape ``(n, n_behaviours)``."""
        return self._sigmoid(np.asarray(X, dtype=np.float32) @ self.coef_.T + self.intercept_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Boolean matrix: behaviour present at its calibrated threshold."""
        return self.predict_proba(X) >= self.thresholds_

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | Path, config: Optional[Dict[str, Any]] = None) -> Path:
        from safetensors.numpy import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_file({"coef": self.coef_, "intercept": self.intercept_, "thresholds": self.thresholds_}, str(directory / WEIGHTS_FILE))
        meta = {
            "format": FORMAT,
            "behaviours": [str(b) for b in self.behaviour_ids_],
            "thresholds": {str(b): round(float(t), 3) for b, t in zip(self.behaviour_ids_, self.thresholds_)},
            "threshold_source": dict(zip(map(str, self.behaviour_ids_), self.threshold_source_)),
            "class_weights": dict(zip(map(str, self.behaviour_ids_), self.class_weights_)),
            "hyperparameters": {"C": self.C, "class_weight": self.class_weight, "max_iter": self.max_iter, "balance_below": self.balance_below},
            **(config or {}),
        }
        (directory / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "BehaviourClassifier":
        from safetensors.numpy import load_file

        directory = Path(directory)
        meta = read_config(directory)
        tensors = load_file(str(directory / WEIGHTS_FILE))
        hp = meta.get("hyperparameters", {})
        model = cls(C=hp.get("C", 1.0), class_weight=hp.get("class_weight"), max_iter=hp.get("max_iter", 2000), balance_below=hp.get("balance_below", 30))
        model.behaviour_ids_ = np.array(meta["behaviours"])
        model.coef_ = tensors["coef"].astype(np.float32)
        model.intercept_ = tensors["intercept"].astype(np.float32)
        model.thresholds_ = tensors["thresholds"].astype(np.float32)
        model.threshold_source_ = [meta.get("threshold_source", {}).get(b, "") for b in meta["behaviours"]]
        model.class_weights_ = [meta.get("class_weights", {}).get(b) for b in meta["behaviours"]]
        model.n_features_in_ = model.coef_.shape[1]
        return model


def read_config(directory: str | Path) -> Dict[str, Any]:
    path = Path(directory) / CONFIG_FILE
    meta = json.loads(path.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not an analyzer behaviour model (format {meta.get('format')!r})")
    return meta
