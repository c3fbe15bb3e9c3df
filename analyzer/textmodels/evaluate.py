"""Held-out evaluation of a text-model bundle, on data it was never trained or calibrated on.

- Sentiment, per test set: accuracy, macro-F1 and per-class precision / recall, with VADER on
  the same rows. Customer sets: the official test splits of DailyDialog, TweetEval and
  GoEmotions, the test split of the project's customer lines, USS user turns (never trained on:
  their labels rate satisfaction) and the independently written hold-out lines. Agent-tone sets:
  the test split of the project's agent lines and labelled USS agent turns, and the hold-out
  agent lines.
- Behaviours, per behaviour: precision / recall on the test split of the labelled lines, on the
  independently written hold-out lines (with the keyword rules on the same rows), on real
  labelled data where the taxonomy maps it; the base rate of every tag on realistic service-
  agent speech (all USS agent turns of the test dialogues); and the demo simulator's per-agent
  measured vs true behaviour rates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from ..evaluation.classification import classification_report, vader
from ..records import AGENT, CUSTOMER, SENTIMENT_LABELS
from .data import LABELLED_BEHAVIOURS, agent_lines, holdout_lines, sentiment_corpus, transcript_style, uss_customer_turns, uss_system_labelled, uss_system_turns

LABELS = list(SENTIMENT_LABELS)
CUSTOMER_SETS = ("dailydialog", "tweeteval", "goemotions", "service_lines")


def sentiment_test_sets(data_dir: Optional[Path], holdout: Optional[Path] = None) -> Dict[str, object]:
    """name -> DataFrame(text, label, speaker) for every sentiment test set available."""
    sets: Dict[str, object] = {}
    folders = {"dailydialog": "dailydialog_emotion", "tweeteval": "tweeteval_sentiment", "goemotions": "goemotions"}
    have = data_dir is not None and Path(data_dir).is_dir()
    for name in CUSTOMER_SETS:
        if name != "service_lines" and not (have and (Path(data_dir) / folders[name]).is_dir()):
            continue
        frame = sentiment_corpus(name, data_dir)
        sets[f"{name}_test"] = frame[frame.split == "test"].assign(speaker=CUSTOMER)
    if have and (Path(data_dir) / "user_satisfaction_simulation").is_dir():
        users = uss_customer_turns(data_dir)
        sets["uss_users_test"] = users[users.split == "test"].assign(speaker=CUSTOMER)
    lines = holdout_lines(holdout)
    sets["holdout_customer"] = lines[lines.speaker == CUSTOMER]
    agent = agent_lines()
    parts = [agent[agent.split == "test"]]
    if have and (Path(data_dir) / "user_satisfaction_simulation").is_dir():
        uss = uss_system_labelled(Path(data_dir))
        parts.append(uss[uss.split == "test"])
    import pandas as pd

    sets["agent_lines_test"] = pd.concat(parts, ignore_index=True).rename(columns={"tone": "label"}).assign(speaker=AGENT)
    sets["holdout_agent"] = lines[lines.speaker == AGENT]
    return {k: v.reset_index(drop=True) for k, v in sets.items() if len(v)}


def evaluate_sentiment(models, sets: Dict[str, object]) -> Dict[str, Dict[str, object]]:
    """Model and VADER reports per test set (agent sets scored with the agent-tone head)."""
    results: Dict[str, Dict[str, object]] = {}
    for name, frame in sets.items():
        texts = list(frame.text)
        probs = models.sentiment_proba(texts, list(frame.speaker))
        predicted = np.array(LABELS)[probs.argmax(axis=1)]
        baseline, _ = vader(texts)
        results[name] = {
            "speaker": str(frame.speaker.iloc[0]),
            "model": classification_report(frame.label, predicted, LABELS),
            "vader": classification_report(frame.label, baseline, LABELS),
        }
    return results


def sentiment_table(results: Dict[str, Dict[str, object]]) -> str:
    lines = [
        "| test set | scored as | n | macro-F1 | recall neg / neu / pos | VADER macro-F1 | VADER recall neg / neu / pos |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        m, v = r["model"], r["vader"]

        def recalls(report):
            return " / ".join(f"{report['per_class'][c]['recall']:.2f}" for c in LABELS)

        head = "agent tone" if r["speaker"] == AGENT else "customer"
        lines.append(f"| {name} | {head} | {m['n']} | **{m['macro_f1']:.3f}** | {recalls(m)} | {v['macro_f1']:.3f} | {recalls(v)} |")
    return "\n".join(lines)


def _prf(y: np.ndarray, pred: np.ndarray) -> Dict[str, float]:
    y, pred = np.asarray(y, bool), np.asarray(pred, bool)
    tp = int(np.sum(pred & y))
    precision = tp / pred.sum() if pred.sum() else float("nan")
    recall = tp / y.sum() if y.sum() else float("nan")
    return {"precision": round(float(precision), 3), "recall": round(float(recall), 3), "predicted": int(pred.sum()), "positives": int(y.sum()), "n": int(len(y))}


def evaluate_behaviours(models, table, data_dir: Optional[Path], holdout: Optional[Path] = None) -> Dict[str, Dict[str, object]]:
    """Per behaviour: precision / recall on the labelled test rows of ``table`` (the project's
    lines and labelled USS turns; real mapped data separately), on the hold-out lines (and the
    keyword rules there), and the tag's base rate on realistic service-agent speech."""
    from ..behaviours.keywords import keyword_predict

    taxonomy = models.taxonomy
    ids = models.behaviour_ids
    test = table[table.split == "test"]
    lines_groups = test.group.str.startswith(("lines:", "uss:"))
    holdout_frame = holdout_lines(holdout)
    holdout_agent = holdout_frame[holdout_frame.speaker == AGENT]
    _, holdout_present = models.behaviours_present(list(holdout_agent.text), [AGENT] * len(holdout_agent))
    rates_on = {}
    if data_dir is not None and (Path(data_dir) / "user_satisfaction_simulation").is_dir():
        turns = uss_system_turns(Path(data_dir))
        turns = turns[turns.split == "test"]
        _, present = models.behaviours_present(list(turns.text), [AGENT] * len(turns))
        rates_on["uss_agent_turns"] = (present.mean(axis=0), len(turns))
    rates_on["holdout_agent_lines"] = (holdout_present.mean(axis=0), len(holdout_agent))
    texts = list(dict.fromkeys(test.text))
    embedded = dict(zip(texts, models.encode(texts))) if texts else {}
    results: Dict[str, Dict[str, object]] = {}
    for j, behaviour in enumerate(taxonomy.behaviours):
        entry: Dict[str, object] = {"polarity": behaviour.polarity, "threshold": round(float(models.behaviours.thresholds_[j]), 3)}
        entry["calibration"] = models.behaviours.calibration_.get(behaviour.id)
        for name, mask in (("lines_test", lines_groups), ("real_data_test", ~lines_groups)):
            rows = test[mask & (test.behaviour == behaviour.id)]
            if rows.empty or rows.label.sum() == 0:
                continue
            X = np.stack([embedded[t] for t in rows.text])
            pred = models.behaviours.predict(X)[:, j]
            entry[name] = _prf(rows.label.to_numpy(), pred)
            if name == "real_data_test":
                entry[name]["sources"] = list(behaviour.data)
        if behaviour.id in LABELLED_BEHAVIOURS and len(holdout_agent):
            y = np.array([behaviour.id in found for found in holdout_agent.behaviours])
            entry["holdout"] = _prf(y, holdout_present[:, j])
            entry["holdout_keywords"] = _prf(y, keyword_predict(list(holdout_agent.text), behaviour.keywords)) if behaviour.keywords else None
        entry["base_rate"] = {name: round(float(rate[j]), 4) for name, (rate, _) in rates_on.items()}
        results[behaviour.id] = entry
    results["_base_rate_n"] = {name: n for name, (_, n) in rates_on.items()}
    return results


def behaviour_table(results: Dict[str, Dict[str, object]]) -> str:
    def pr(entry):
        if not entry:
            return "-"
        p = "-" if entry["precision"] != entry["precision"] else f"{entry['precision']:.2f}"
        return f"{p} / {entry['recall']:.2f} ({entry['positives']})"

    lines = [
        "| behaviour | polarity | threshold | calibration P / R | lines test P / R (positives) | hold-out lines P / R (positives) | keywords on hold-out | real data test P / R | tagged on USS agent turns | tagged on hold-out agent lines |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for bid, e in results.items():
        if bid.startswith("_"):
            continue
        cal = e.get("calibration") or {}
        cal_text = f"{cal['precision']:.2f} / {cal['recall']:.2f}" + ("" if cal.get("target_met", True) else " (target missed)") if cal else "-"
        real = e.get("real_data_test")
        real_text = f"{pr(real)} {', '.join(real['sources'])}" if real else "-"
        rates = e.get("base_rate", {})
        lines.append(
            f"| {bid} | {e['polarity']} | {e['threshold']:.2f} | {cal_text} | {pr(e.get('lines_test'))} | {pr(e.get('holdout'))} | "
            f"{pr(e.get('holdout_keywords'))} | {real_text} | {100 * rates.get('uss_agent_turns', float('nan')):.1f}% | "
            f"{100 * rates.get('holdout_agent_lines', float('nan')):.1f}% |"
        )
    return "\n".join(lines)


def transcript_style_agreement(models, holdout: Optional[Path] = None) -> Dict[str, Dict[str, object]]:
    """Per labelled behaviour: precision / recall on the hold-out agent lines as written and as
    transcripts from another system may give them (:func:`~analyzer.textmodels.data.transcript_style`:
    lowercase, no punctuation, sometimes a filler first); ``_accusations``: blaming or dismissive
    tags on lines that show neither, in each form."""
    rows = holdout_lines(holdout)
    rows = rows[rows.speaker == AGENT]
    ids = models.behaviour_ids
    forms = {"written": list(rows.text), "transcript_style": [transcript_style(t) for t in rows.text]}
    present = {form: models.behaviours_present(texts, [AGENT] * len(texts))[1] for form, texts in forms.items()}
    shows_negative = np.array([bool({"blaming", "dismissive"} & set(b)) for b in rows.behaviours])
    negative = [ids.index(b) for b in ("blaming", "dismissive") if b in ids]
    results: Dict[str, Dict[str, object]] = {}
    for j, bid in enumerate(ids):
        if bid not in LABELLED_BEHAVIOURS:
            continue
        y = np.array([bid in found for found in rows.behaviours])
        results[bid] = {form: _prf(y, p[:, j]) for form, p in present.items()}
    results["_accusations"] = {form: {"wrong": int((p[:, negative].any(axis=1) & ~shows_negative).sum()), "n": int(len(rows))}
                               for form, p in present.items()}
    return results


def transcript_style_table(results: Dict[str, Dict[str, object]]) -> str:
    lines = ["| behaviour | as written P / R | transcript style P / R |", "|---|---|---|"]

    def pr(e):
        p = "-" if e["precision"] != e["precision"] else f"{e['precision']:.2f}"
        return f"{p} / {e['recall']:.2f}"

    for bid, e in results.items():
        if not bid.startswith("_"):
            lines.append(f"| {bid} | {pr(e['written'])} | {pr(e['transcript_style'])} |")
    acc = results["_accusations"]
    lines.append(f"| blaming or dismissive on a line showing neither | {acc['written']['wrong']} of {acc['written']['n']} | "
                 f"{acc['transcript_style']['wrong']} of {acc['transcript_style']['n']} |")
    return "\n".join(lines)


def simulator_agreement(models, seeds: Sequence[int] = (0,), agents: int = 30, calls: int = 1500) -> Dict[str, object]:
    """Render simulated teams (as the demo does), tag the agent turns, and compare per agent the
    share of calls tagged with each behaviour against (a) the simulator's true rate, (b) the share
    of calls where the behaviour was actually rendered. (a) is what the issue's target is about;
    its ceiling, the correlation a perfect tagger would reach given each agent's finite calls,
    is reported beside it; (b) isolates the tagger. Call-level precision and recall against the
    rendered behaviours too. Means over seeds."""
    import pandas as pd

    from ..variability.simulate import SimulationOptions, render_population, simulate_population

    def corr(a, b):
        return float(np.corrcoef(a, b)[0, 1]) if np.std(a) > 0 and np.std(b) > 0 else float("nan")

    per_seed = []
    for seed in seeds:
        population = simulate_population(SimulationOptions(n_agents=agents, n_calls=calls, seed=seed))
        rendered = render_population(population)
        rows = [(call["call_id"], u["text"]) for call in rendered for u in call["utterances"] if u["speaker"] == AGENT]
        texts = list(dict.fromkeys(t for _, t in rows))
        _, present = models.behaviours_present(texts, [AGENT] * len(texts))
        found = {t: set(np.array(models.behaviour_ids)[present[i]]) for i, t in enumerate(texts)}
        tagged = {}
        for call_id, text in rows:
            tagged.setdefault(call_id, set()).update(found[text])
        frame = population.calls.set_index("call_id")
        truth = population.agents.set_index("agent_id")
        for b in models.behaviour_ids:
            if f"true_rate_{b}" not in truth or f"beh_{b}" not in frame:
                continue
            hit = pd.Series([b in tagged.get(c, set()) for c in frame.index], index=frame.index)
            said = frame[f"beh_{b}"].astype(bool)
            measured = hit.groupby(frame.agent_id).mean()
            rendered_rate = said.groupby(frame.agent_id).mean().reindex(measured.index)
            true_rate = truth[f"true_rate_{b}"].reindex(measured.index)
            per_seed.append({
                "seed": seed, "behaviour": b,
                "pearson": corr(measured, true_rate), "ceiling": corr(rendered_rate, true_rate), "vs_rendered": corr(measured, rendered_rate),
                "precision": float((hit & said).sum() / max(hit.sum(), 1)), "recall": float((hit & said).sum() / max(said.sum(), 1)),
                "measured_rate": float(hit.mean()), "true_rate": float(said.mean()),
            })
    frame = pd.DataFrame(per_seed)
    summary = frame.groupby("behaviour", sort=False)[["pearson", "ceiling", "vs_rendered", "precision", "recall", "measured_rate", "true_rate"]].mean()
    return {b: {k: round(float(v), 3) for k, v in row.items()} for b, row in summary.iterrows()} | {"_seeds": list(seeds), "_agents": agents, "_calls": calls}


def simulator_table(results: Dict[str, object]) -> str:
    lines = [
        "| behaviour | per-agent r, measured vs true rate | ceiling (perfect tagger) | r, measured vs rendered | call-level P / R | team rate measured / rendered |",
        "|---|---|---|---|---|---|",
    ]
    for b, r in results.items():
        if b.startswith("_"):
            continue
        lines.append(
            f"| {b} | **{r['pearson']:.2f}** | {r['ceiling']:.2f} | {r['vs_rendered']:.2f} | {r['precision']:.2f} / {r['recall']:.2f} | "
            f"{100 * r['measured_rate']:.1f}% / {100 * r['true_rate']:.1f}% |"
        )
    return "\n".join(lines)
