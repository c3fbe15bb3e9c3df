"""Multi-label behaviour classifier over sentence embeddings, with scikit-learn conventions.

One logistic-regression head per behaviour (an utterance can carry several behaviours) and one
decision threshold per behaviour, chosen on held-out calibration data: precision first (the lowest
threshold whose calibration precision reaches the behaviour's target, e.g. 0.90 for negative
behaviours, which are accusations on a scorecard, 0.80 for positive ones), or F1-optimal when no
target is given; 0.5 (the balanced-class decision point) where a behaviour has no calibration
data. Behaviours that contradict each other (dismissive and empathy in one sentence) are resolved
per utterance: when both clear their thresholds, only the one further above its own threshold (in
log-odds) is kept (:func:`resolve_contradictions`). Behaviour ids, thresholds, contradictions and
how each threshold was chosen travel with the weights (safetensors + JSON, never pickle).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

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


def precision_threshold(y: np.ndarray, p: np.ndarray, target: float, min_predicted: int = 3, lo: float = 0.05, hi: float = 0.9999) -> tuple[float, float, float, bool]:
    """The lowest threshold whose precision of ``p >= t`` against ``y`` reaches ``target`` with
    at least ``min_predicted`` predicted positives. Returns ``(threshold, precision, recall,
    met)``; when no threshold reaches the target, the most precise one (``met`` False)."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=np.float64)
    if y.sum() == 0:
        return float(hi), 0.0, 0.0, False
    order = np.argsort(-p, kind="stable")
    scores, hits = p[order], y[order]
    tp = np.cumsum(hits)
    predicted = np.arange(1, len(p) + 1)
    precision = tp / predicted
    recall = tp / y.sum()
    last_of_value = np.r_[scores[1:] != scores[:-1], True]
    valid = last_of_value & (predicted >= min(min_predicted, int(y.sum()))) & (scores >= lo) & (scores <= hi)
    if not valid.any():
        return float(hi), 0.0, 0.0, False
    meets = valid & (precision >= target)
    met = bool(meets.any())
    best = np.flatnonzero(meets)[-1] if met else np.flatnonzero(valid)[np.argmax(precision[valid])]
    below = scores[best + 1] if best + 1 < len(scores) else max(lo, scores[best] - 1e-3)
    return float(max(lo, (scores[best] + below) / 2)), float(precision[best]), float(recall[best]), met


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def resolve_contradictions(probabilities: np.ndarray, thresholds: np.ndarray, pairs: Sequence[Tuple[int, int]]) -> np.ndarray:
    """Which behaviours are present: ``probabilities >= thresholds``, except that for every pair
    ``(a, b)`` of contradicting behaviours present in the same utterance only the one with the
    larger margin ``logit(p) - logit(threshold)`` stays (``a`` is dropped on a tie: list the
    accusation first). Each pair is judged on the scores alone, so the order of pairs does not
    matter.

    Why: the classifier's heads are independent, and an empathetic sentence that clears the
    dismissive threshold by a little but the empathy threshold by a lot is an empathetic
    sentence; a tag on a scorecard should not say both."""
    probabilities = np.asarray(probabilities)
    present = probabilities >= thresholds
    if not len(pairs) or not len(probabilities):
        return present
    margin = _logit(probabilities) - _logit(np.asarray(thresholds))
    keep = present.copy()
    for a, b in pairs:
        both = present[:, a] & present[:, b]
        if both.any():
            a_wins = margin[:, a] > margin[:, b]
            keep[both & ~a_wins, a] = False
            keep[both & a_wins, b] = False
    return keep


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
        precision_targets: Optional[Sequence[float]] = None,
        min_calibration_positives: int = 5,
        contradictions: Sequence[Tuple[str, str]] = (),
    ) -> "BehaviourClassifier":
        """Fit one head per column of ``Y`` (1 = shows the behaviour, 0 = does not, NaN = not
        labelled for it). Thresholds, where that column of ``X_cal``/``Y_cal`` has at least
        ``min_calibration_positives`` labelled positives: the lowest meeting
        ``precision_targets[j]`` (see :func:`precision_threshold`), or F1-optimal without targets;
        otherwise 0.5. ``contradictions``: pairs of behaviour ids that cannot share an utterance
        (see :func:`resolve_contradictions`); thresholds are calibrated per head, before it.
        ``groups`` is kept for API stability."""
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
        self.calibration_ = {}
        self.class_weights_ = []
        self.n_features_in_ = X.shape[1]
        self.contradictions_ = self._pairs(contradictions)
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
            if X_cal is not None and Y_cal is not None and np.nansum(Y_cal[:, j]) >= min_calibration_positives:
                cal = ~np.isnan(Y_cal[:, j])
                y_cal = Y_cal[cal, j].astype(bool)
                p = self._sigmoid(np.asarray(X_cal)[cal] @ self.coef_[j] + self.intercept_[j])
                if precision_targets is not None:
                    target = float(precision_targets[j])
                    t, precision, recall, met = precision_threshold(y_cal, p, target)
                    self.thresholds_[j] = t
                    self.threshold_source_.append(
                        f"held-out calibration data: lowest threshold with precision >= {target:.2f}"
                        + ("" if met else f" (not reached: best {precision:.2f})")
                    )
                    self.calibration_[str(behaviour_ids[j])] = {
                        "target_precision": target, "precision": round(precision, 3), "recall": round(recall, 3), "target_met": met,
                        "n": int(cal.sum()), "positives": int(y_cal.sum()),
                    }
                else:
                    self.thresholds_[j] = best_f1_threshold(y_cal, p)[0]
                    self.threshold_source_.append("held-out calibration data: F1-optimal")
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

    def _pairs(self, contradictions: Sequence[Tuple[str, str]]) -> list:
        ids = [str(b) for b in self.behaviour_ids_]
        unknown = sorted({b for pair in contradictions for b in pair} - set(ids))
        if unknown:
            raise ValueError(f"contradictions name behaviours the classifier does not have: {unknown}")
        return [(str(a), str(b)) for a, b in contradictions]

    def present(self, probabilities: np.ndarray) -> np.ndarray:
        """Boolean matrix from :meth:`predict_proba`'s output: each behaviour at its calibrated
        threshold, contradictions resolved."""
        index = {str(b): j for j, b in enumerate(self.behaviour_ids_)}
        pairs = [(index[a], index[b]) for a, b in getattr(self, "contradictions_", [])]
        return resolve_contradictions(probabilities, self.thresholds_, pairs)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Boolean matrix: behaviour present at its calibrated threshold (contradictions resolved)."""
        return self.present(self.predict_proba(X))

    # -- persistence -------------------------------------------------------------------------
    def to_tensors(self) -> Dict[str, np.ndarray]:
        """The learned arrays (for safetensors)."""
        return {"coef": self.coef_, "intercept": self.intercept_, "thresholds": self.thresholds_}

    def to_meta(self) -> Dict[str, Any]:
        """Everything else, JSON-serialisable."""
        return {
            "format": FORMAT,
            "behaviours": [str(b) for b in self.behaviour_ids_],
            "thresholds": {str(b): round(float(t), 3) for b, t in zip(self.behaviour_ids_, self.thresholds_)},
            "threshold_source": dict(zip(map(str, self.behaviour_ids_), self.threshold_source_)),
            "calibration": getattr(self, "calibration_", {}),
            "class_weights": dict(zip(map(str, self.behaviour_ids_), self.class_weights_)),
            "contradictions": [list(pair) for pair in getattr(self, "contradictions_", [])],
            "hyperparameters": {"C": self.C, "class_weight": self.class_weight, "max_iter": self.max_iter, "balance_below": self.balance_below},
        }

    @classmethod
    def from_tensors(cls, tensors: Dict[str, np.ndarray], meta: Dict[str, Any]) -> "BehaviourClassifier":
        if meta.get("format") != FORMAT:
            raise ValueError(f"not an analyzer behaviour model (format {meta.get('format')!r})")
        hp = meta.get("hyperparameters", {})
        model = cls(C=hp.get("C", 1.0), class_weight=hp.get("class_weight"), max_iter=hp.get("max_iter", 2000), balance_below=hp.get("balance_below", 30))
        model.behaviour_ids_ = np.array(meta["behaviours"])
        model.coef_ = tensors["coef"].astype(np.float32)
        model.intercept_ = tensors["intercept"].astype(np.float32)
        model.thresholds_ = tensors["thresholds"].astype(np.float32)
        model.threshold_source_ = [meta.get("threshold_source", {}).get(b, "") for b in meta["behaviours"]]
        model.class_weights_ = [meta.get("class_weights", {}).get(b) for b in meta["behaviours"]]
        model.calibration_ = dict(meta.get("calibration", {}))
        model.contradictions_ = model._pairs([tuple(pair) for pair in meta.get("contradictions", [])])
        model.n_features_in_ = model.coef_.shape[1]
        return model
