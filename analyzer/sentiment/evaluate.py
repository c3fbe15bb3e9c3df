"""Held-out evaluation of a sentiment classifier against the VADER baseline, on data training
never saw (DailyDialog's official test dialogues, USS test dialogues by a fixed hash split)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

import numpy as np

from ..evaluation.classification import classification_report, vader
from ..records import SENTIMENT_LABELS
from .datasets import dailydialog, labelled_csv, user_satisfaction

LABELS = list(SENTIMENT_LABELS)


def _predict(model, texts) -> np.ndarray:
    probs = model.predict_proba(list(texts))
    return probs


def evaluate_sentiment(model, data_dir: Path, csv: Optional[Path] = None, edge_turns: int = 3) -> Dict[str, object]:
    """Accuracy / macro-F1 of ``model`` and VADER per held-out set and pooled, and the
    correlation of the user's end-of-dialogue sentiment with dialogue satisfaction (USS)."""
    import pandas as pd
    from scipy.stats import pearsonr, spearmanr

    sets = {}
    dd = dailydialog(data_dir)
    sets["dailydialog_test"] = dd[dd.split == "test"]
    turns, dialogues = user_satisfaction(data_dir)
    uss_test = turns[turns.split == "test"].reset_index(drop=True)
    sets["uss_test"] = uss_test
    if csv is not None:
        own = labelled_csv(csv)
        sets["csv_test"] = own[own.split == "test"]
    results: Dict[str, object] = {}
    pooled_true, pooled_model, pooled_vader = [], [], []
    uss_probs = None
    for name, frame in sets.items():
        if frame.empty:
            continue
        probs = _predict(model, frame.text)
        predicted = np.array(LABELS)[probs.argmax(axis=1)]
        baseline, _ = vader(list(frame.text))
        results[name] = {"model": classification_report(frame.label, predicted, LABELS), "vader": classification_report(frame.label, baseline, LABELS)}
        if name != "csv_test":
            pooled_true.extend(frame.label)
            pooled_model.extend(predicted)
            pooled_vader.extend(baseline)
        if name == "uss_test":
            uss_probs = probs
    results["pooled"] = {"model": classification_report(pooled_true, pooled_model, LABELS), "vader": classification_report(pooled_true, pooled_vader, LABELS)}

    # end-of-dialogue sentiment vs dialogue satisfaction (a CSAT proxy)
    _, compound = vader(list(uss_test.text))
    frame = uss_test.assign(model=uss_probs[:, 2] - uss_probs[:, 0], vader=compound).sort_values(["dialogue", "idx"])
    ends = frame.groupby("dialogue")[["model", "vader"]].apply(lambda g: g.tail(edge_turns).mean())
    overall = dialogues.set_index("dialogue").overall.reindex(ends.index)
    keep = overall.notna()
    correlation = {"n_dialogues": int(keep.sum()), "edge_turns": edge_turns}
    for column in ("model", "vader"):
        correlation[column] = {
            "pearson": round(float(pearsonr(ends[column][keep], overall[keep])[0]), 3),
            "spearman": round(float(spearmanr(ends[column][keep], overall[keep])[0]), 3),
        }
    results["satisfaction_correlation"] = correlation
    return results


def results_table(results: Dict[str, object]) -> str:
    """A Markdown table of the evaluation (used by the scripts and the model card)."""
    lines = ["| held-out set | n | model accuracy | model macro-F1 | VADER accuracy | VADER macro-F1 | difference (F1 points) |", "|---|---|---|---|---|---|---|"]
    for name, value in results.items():
        if name == "satisfaction_correlation":
            continue
        m, v = value["model"], value["vader"]
        lines.append(
            f"| {name} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {v['accuracy']:.3f} | {v['macro_f1']:.3f} | {100 * (m['macro_f1'] - v['macro_f1']):+.1f} |"
        )
    c = results["satisfaction_correlation"]
    lines.append("")
    lines.append(
        f"End-of-dialogue sentiment (mean of the user's last {c['edge_turns']} turns) vs overall satisfaction on "
        f"{c['n_dialogues']} held-out USS dialogues: model Pearson {c['model']['pearson']:.3f} / Spearman "
        f"{c['model']['spearman']:.3f}; VADER Pearson {c['vader']['pearson']:.3f} / Spearman {c['vader']['spearman']:.3f}."
    )
    return "\n".join(lines)
