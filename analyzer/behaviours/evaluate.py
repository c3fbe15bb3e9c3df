"""Held-out evaluation of the behaviour classifier against the keyword-rule baseline, per
behaviour with real labels (test split: never trained on, never used for thresholds)."""

from __future__ import annotations

from typing import Dict, List

import numpy as np

from .keywords import keyword_predict
from .taxonomy import Taxonomy


def _prf(y: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    tp = int(np.sum(pred & y))
    precision = tp / pred.sum() if pred.sum() else 0.0
    recall = tp / y.sum() if y.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def evaluate_behaviours(model, encoder, taxonomy: Taxonomy, table) -> Dict[str, Dict[str, object]]:
    """Precision / recall / F1 of ``model`` and of the keyword rules on the test rows of
    ``table`` (from :func:`training_rows`), per behaviour with test labels."""
    test = table[table.split == "test"]
    if test.empty:
        return {}
    texts = list(dict.fromkeys(test.text))
    embeddings = dict(zip(texts, encoder.encode(texts)))
    ids = list(model.behaviour_ids_)
    results: Dict[str, Dict[str, object]] = {}
    for behaviour in taxonomy.behaviours:
        rows = test[test.behaviour == behaviour.id]
        if rows.empty or rows.label.sum() == 0 or behaviour.id not in ids:
            continue
        y = rows.label.to_numpy().astype(bool)
        j = ids.index(behaviour.id)
        X = np.stack([embeddings[t] for t in rows.text])
        pred = model.predict_proba(X)[:, j] >= model.thresholds_[j]
        keywords = keyword_predict(list(rows.text), behaviour.keywords)
        results[behaviour.id] = {
            "n": int(len(rows)),
            "positives": int(y.sum()),
            "sources": list(behaviour.data),
            "classifier": _prf(y, pred),
            "keywords": _prf(y, keywords),
        }
    return results


def results_table(results: Dict[str, Dict[str, object]]) -> str:
    lines = [
        "| behaviour | held-out data | n | positives | classifier P / R / F1 | keywords P / R / F1 | F1 difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for bid, r in results.items():
        c, k = r["classifier"], r["keywords"]
        sources = ", ".join(r["sources"]) or "team CSV"
        lines.append(
            f"| {bid} | {sources} | {r['n']} | {r['positives']} | {c['precision']:.2f} / {c['recall']:.2f} / **{c['f1']:.3f}** | "
            f"{k['precision']:.2f} / {k['recall']:.2f} / {k['f1']:.3f} | {c['f1'] - k['f1']:+.3f} |"
        )
    return "\n".join(lines)


def beats_keywords(results: Dict[str, Dict[str, object]]) -> List[str]:
    """Behaviours where the classifier does NOT beat the keyword rules (should be empty)."""
    return [bid for bid, r in results.items() if r["classifier"]["f1"] <= r["keywords"]["f1"]]
