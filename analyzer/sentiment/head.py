"""A linear classification head over sentence embeddings, with scikit-learn conventions.

Learned attributes end in ``_``; the label list and calibration travel with the weights
(``to_tensors`` for safetensors, ``to_meta`` for JSON: never pickle), inside a text-model bundle.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

FORMAT = "analyzer-linear-head/1"


class LinearHead:
    """Multinomial logistic regression on embeddings, plus per-class logit biases.

    C, class_weight, max_iter: passed to scikit-learn's LogisticRegression.
    The biases (``bias_``) start at 0; :meth:`calibrate` sets them to maximise macro-F1 on
    held-out data (the classes are very unbalanced, e.g. 83% neutral in DailyDialog).
    """

    def __init__(self, C: float = 0.3, class_weight: Optional[str] = "balanced", max_iter: int = 2000):
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: Sequence[str], classes: Optional[Sequence[str]] = None) -> "LinearHead":
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y)
        classes = list(classes) if classes is not None else sorted(set(y.tolist()))
        missing = [c for c in classes if c not in set(y.tolist())]
        if missing:
            raise ValueError(f"no training examples for class(es) {missing}")
        model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        model.fit(np.asarray(X, dtype=np.float64), y)
        order = [list(model.classes_).index(c) for c in classes]
        if len(model.classes_) == 2:  # binary: sklearn keeps one row; expand to two logits
            coef = np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
            intercept = np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
        else:
            coef, intercept = model.coef_, model.intercept_
        self.classes_ = np.array(classes)
        self.coef_ = coef[order].astype(np.float32)
        self.intercept_ = intercept[order].astype(np.float32)
        self.bias_ = np.zeros(len(classes), dtype=np.float32)
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float32) @ self.coef_.T + self.intercept_ + self.bias_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self.decision_function(X)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]

    def calibrate(
        self,
        X: np.ndarray,
        y: Sequence[str],
        reference: Optional[str] = None,
        grid: Optional[np.ndarray] = None,
        groups: Optional[Sequence[str]] = None,
        objective: str = "macro_f1",
    ) -> "LinearHead":
        """Choose per-class logit biases (``reference`` class fixed at 0) maximising
        ``objective``: ``"macro_f1"`` or ``"macro_recall"`` (balanced accuracy: the mean of the
        per-class recalls, indifferent to how common each class is). With ``groups`` (e.g. the
        corpus of each row) the mean over the groups, so the biases suit several domains at once
        rather than the largest one.

        Coordinate search over ``grid`` for each non-reference class, repeated until stable.
        """
        from sklearn.metrics import f1_score, recall_score

        if objective not in ("macro_f1", "macro_recall"):
            raise ValueError(f"objective must be 'macro_f1' or 'macro_recall', got {objective!r}")
        metric = f1_score if objective == "macro_f1" else recall_score
        grid = np.arange(-3.0, 3.01, 0.1) if grid is None else grid
        reference = reference or self.classes_[int(np.argmax([np.mean(np.asarray(y) == c) for c in self.classes_]))]
        base = np.asarray(X, dtype=np.float32) @ self.coef_.T + self.intercept_
        y = np.asarray(y)
        parts = [np.ones(len(y), bool)] if groups is None else [np.asarray(groups) == g for g in dict.fromkeys(groups)]
        bias = np.zeros(len(self.classes_), dtype=np.float32)

        def score(b: np.ndarray) -> float:
            predicted = self.classes_[(base + b).argmax(axis=1)]
            return float(np.mean([metric(y[m], predicted[m], average="macro", labels=list(self.classes_), zero_division=0) for m in parts]))

        best = score(bias)
        for _ in range(3):
            improved = False
            for k, name in enumerate(self.classes_):
                if name == reference:
                    continue
                for value in grid:
                    trial = bias.copy()
                    trial[k] = value
                    f = score(trial)
                    if f > best + 1e-9:
                        best, bias, improved = f, trial, True
            if not improved:
                break
        self.bias_ = bias
        self.calibration_score_ = best
        self.calibration_objective_ = objective
        return self

    @classmethod
    def from_weights(cls, classes: Sequence[str], coef: np.ndarray, intercept: np.ndarray) -> "LinearHead":
        """A head from weights learned elsewhere (e.g. the last layer of a fine-tuned model)."""
        head = cls()
        head.classes_ = np.array(list(classes))
        head.coef_ = np.asarray(coef, dtype=np.float32)
        head.intercept_ = np.asarray(intercept, dtype=np.float32)
        head.bias_ = np.zeros(len(head.classes_), dtype=np.float32)
        head.n_features_in_ = head.coef_.shape[1]
        return head

    def to_tensors(self) -> Dict[str, np.ndarray]:
        return {"coef": self.coef_, "intercept": self.intercept_, "bias": self.bias_}

    def to_meta(self) -> Dict[str, Any]:
        return {
            "format": FORMAT,
            "labels": [str(c) for c in self.classes_],
            "bias": [round(float(b), 3) for b in self.bias_],
            "hyperparameters": {"C": self.C, "class_weight": self.class_weight, "max_iter": self.max_iter},
        }

    @classmethod
    def from_tensors(cls, tensors: Dict[str, np.ndarray], meta: Dict[str, Any]) -> "LinearHead":
        if meta.get("format") != FORMAT:
            raise ValueError(f"not an analyzer linear head (format {meta.get('format')!r})")
        hp = meta.get("hyperparameters", {})
        head = cls(C=hp.get("C", 0.3), class_weight=hp.get("class_weight"), max_iter=hp.get("max_iter", 2000))
        head.classes_ = np.array(meta["labels"])
        head.coef_ = tensors["coef"].astype(np.float32)
        head.intercept_ = tensors["intercept"].astype(np.float32)
        head.bias_ = tensors["bias"].astype(np.float32)
        head.n_features_in_ = head.coef_.shape[1]
        if head.coef_.shape[0] != len(head.classes_):
            raise ValueError(f"{head.coef_.shape[0]} weight rows for {len(head.classes_)} labels")
        return head
