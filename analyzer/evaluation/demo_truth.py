"""Compare what a results directory measured for a simulated team with the simulator's truth.

The demo (``./scripts/demo.sh``) runs a simulated team through the real pipeline: its
transcripts are scored by the shipped text models, its calls aggregated by the variability
engine. Here every per-agent number is put next to the truth in ``truth.json``: the engine's
AHT / CSAT / sentiment estimates against the true agent effects, each behaviour's measured
per-agent rate against the true rate (and against what a perfect tagger would have measured on
the same calls), and what the top and bottom quartiles truly do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import numpy as np

KPI_TRUTH = {"aht_s": "true_aht_effect_s", "csat": "true_csat_effect", "sentiment_end": "true_sentiment_effect"}
#: KPIs measured on the simulator's own scale (from its metadata); sentiment is re-measured by the
#: text models from the rendered lines, so only its correlation with the truth is meaningful
SAME_SCALE = ("aht_s", "csat")


def _corr(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3 or np.std(a[keep]) == 0 or np.std(b[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(a[keep], b[keep])[0, 1])


def compare_with_truth(results_dir: str | Path, truth_path: str | Path) -> Dict[str, object]:
    """Per-agent measured vs true numbers for the simulated calls of ``results_dir``."""
    import pandas as pd
    from scipy.stats import spearmanr

    from ..results import load_results
    from ..variability.simulate import SimulationOptions, simulate_population

    truth = json.loads(Path(truth_path).read_text())
    agents_true = pd.DataFrame(truth["agents"]).set_index("agent_id")
    options = truth["options"]
    population = simulate_population(SimulationOptions(n_agents=int(options["n_agents"]), n_calls=int(options["n_calls"]), seed=int(options["seed"])))
    results = load_results(results_dir)
    calls = results.calls[results.calls.call_id.isin(set(population.calls.call_id))]
    agents = results.agents.set_index("agent_id").reindex(agents_true.index)
    out: Dict[str, object] = {"n_agents": int(len(agents_true)), "n_calls": int(len(calls)), "kpis": {}, "behaviours": {}, "quartiles": {}}
    for kpi, column in KPI_TRUTH.items():
        if f"{kpi}_shrunk" not in agents:
            continue
        usable = agents[f"{kpi}_n"].fillna(0) > 0
        true = agents_true.loc[usable, column]
        entry = {
            "engine_pearson": _corr(agents.loc[usable, f"{kpi}_shrunk"], true),
            "raw_pearson": _corr(agents.loc[usable, f"{kpi}_raw"], true),
            "engine_spearman": float(spearmanr(agents.loc[usable, f"{kpi}_shrunk"], true, nan_policy="omit")[0]),
            "raw_spearman": float(spearmanr(agents.loc[usable, f"{kpi}_raw"], true, nan_policy="omit")[0]),
        }
        entry["coverage"] = float("nan")
        if kpi in SAME_SCALE:  # the measured sentiment index is the text model's, not the simulator's
            low, high = agents.loc[usable, f"{kpi}_low"], agents.loc[usable, f"{kpi}_high"]
            weights = agents.loc[usable, f"{kpi}_n"].astype(float)
            shrunk = agents.loc[usable, f"{kpi}_shrunk"]
            mean = float(np.sum(weights * shrunk) / weights.sum())
            true_abs = true - float(np.sum(weights * true) / weights.sum()) + mean
            entry["coverage"] = float(np.mean((true_abs >= low) & (true_abs <= high)))
        out["kpis"][kpi] = entry
    rendered = population.calls.set_index("call_id").reindex(calls.call_id)
    for column in sorted(c for c in calls.columns if c.startswith("beh_") and not c.endswith("_n")):
        behaviour = column[4:]
        if f"true_rate_{behaviour}" not in agents_true or f"beh_{behaviour}" not in rendered:
            continue
        measured = calls.assign(hit=calls[column].fillna(False).astype(bool)).groupby("agent_id").hit.mean()
        said = pd.Series(rendered[f"beh_{behaviour}"].to_numpy(bool), index=calls.index).groupby(calls.agent_id.to_numpy()).mean()
        true = agents_true[f"true_rate_{behaviour}"].reindex(measured.index)
        out["behaviours"][behaviour] = {
            "pearson": _corr(measured, true),
            "ceiling": _corr(said.reindex(measured.index), true),
            "vs_rendered": _corr(measured, said.reindex(measured.index)),
            "measured_rate": float(calls[column].fillna(False).astype(bool).mean()),
            "true_rate": float(rendered[f"beh_{behaviour}"].astype(bool).mean()),
        }
    if "quartile" in agents:
        ranked = agents[agents.quartile.fillna(0) > 0]
        for q in (1, 4):
            members = ranked.index[ranked.quartile == q]
            out["quartiles"][f"q{q}"] = {
                "n_agents": int(len(members)),
                **{f"true_{k}": float(agents_true.loc[members, c].mean()) for k, c in KPI_TRUTH.items()},
                **{f"true_rate_{b}": float(agents_true.loc[members, f"true_rate_{b}"].mean()) for b in ("blaming", "dismissive", "empathy", "ownership")
                   if f"true_rate_{b}" in agents_true},
            }
    return out


def truth_table(report: Dict[str, object]) -> str:
    lines = [f"{report['n_calls']} simulated calls, {report['n_agents']} agents: measured per agent vs the simulator's truth", ""]
    lines += ["| KPI | engine r (Spearman) | raw means r (Spearman) | interval coverage |", "|---|---|---|---|"]
    for kpi, e in report["kpis"].items():
        coverage = "n/a (other scale)" if e["coverage"] != e["coverage"] else f"{e['coverage']:.2f}"
        lines.append(f"| {kpi} | {e['engine_pearson']:.2f} ({e['engine_spearman']:.2f}) | {e['raw_pearson']:.2f} ({e['raw_spearman']:.2f}) | {coverage} |")
    lines += ["", "| behaviour | per-agent r, measured vs true rate | ceiling (perfect tagger) | r, measured vs said | team rate measured / said |", "|---|---|---|---|---|"]
    for b, e in report["behaviours"].items():
        lines.append(f"| {b} | {e['pearson']:.2f} | {e['ceiling']:.2f} | {e['vs_rendered']:.2f} | {100 * e['measured_rate']:.1f}% / {100 * e['true_rate']:.1f}% |")
    if report["quartiles"]:
        q1, q4 = report["quartiles"].get("q1", {}), report["quartiles"].get("q4", {})
        lines += ["", "| truth of the engine's quartiles | top (Q1) | bottom (Q4) |", "|---|---|---|"]
        for key in q1:
            if key != "n_agents":
                lines.append(f"| {key} | {q1[key]:.3f} | {q4.get(key, float('nan')):.3f} |")
    return "\n".join(lines)
