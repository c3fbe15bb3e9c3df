#!/usr/bin/env python
"""Validate the agent-variability engine on simulated teams with known truth.

Repeats each scenario over many simulated teams and prints one Markdown table (the README's
validation table) plus details:

- agent ranking: Spearman correlation of the true agent effects on AHT, CSAT and the
  end-of-call sentiment with raw means and with the engine's estimates (case-mix adjusted,
  shrunk), and the coverage of the engine's 95% intervals of those effects;
- behaviour effects on the end-of-call sentiment index, within agents (what the engine reports
  and coaching ranks on) and naive (one regression across all calls, no agent effects): mean
  bias for positive and for negative behaviours, coverage of the 95% intervals, and the
  positive-behaviour headline against its truth;
- the composite ranking against the true composite, as the engine ranks (each KPI weighted by
  its between-agent signal) and as z-scores of the shrunk estimates would;
- ICC, naive vs noise-corrected top-vs-bottom spreads, opportunity coverage; for teams with no
  true agent differences, the ICC and how often the engine declined to rank.

Scenarios: no confounding (skill_confounding 0), the simulator's default confounding (0.5),
strong confounding (0.8), a team whose agents do not differ in AHT, a team with no true
differences at all, and teams of the demo's size (30 agents, 1,500 calls).

    python scripts/validate_variability.py [--seeds 50] [--agents 60] [--calls 6000] [--demo-seeds 100]

About 15 minutes with the defaults on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.evaluation.variability import validate  # noqa: E402
from analyzer.variability.estimator import AgentVariability  # noqa: E402
from analyzer.variability.simulate import SimulationOptions, simulate_population  # noqa: E402

KPIS = (("aht_s", "AHT"), ("csat", "CSAT"), ("sentiment_end", "sentiment"))


def run(seeds: int, n_boot: int, **options) -> list:
    return [validate(simulate_population(SimulationOptions(seed=s, **options)), AgentVariability(n_boot=n_boot)) for s in range(seeds)]


def mean(values) -> float:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def covered(interval, truth) -> bool:
    return interval["low"] is not None and interval["low"] <= truth <= interval["high"]


def summarise(runs: list) -> dict:
    out = {"teams": len(runs)}
    for kpi, _ in KPIS:
        out[f"{kpi}_raw"] = mean(r.get(f"{kpi}_rank_raw") for r in runs)
        out[f"{kpi}_engine"] = mean(r.get(f"{kpi}_rank_engine") for r in runs)
        out[f"{kpi}_worse"] = mean(float(r[f"{kpi}_rank_engine"] < r[f"{kpi}_rank_raw"]) for r in runs if f"{kpi}_rank_raw" in r)
        out[f"{kpi}_coverage"] = mean(r.get(f"{kpi}_coverage") for r in runs)
        out[f"{kpi}_icc"] = mean(r["icc"].get(kpi) for r in runs)
        out[f"{kpi}_naive_spread"] = mean(abs(r[f"{kpi}_spread_naive_pct"]) for r in runs if r.get(f"{kpi}_spread_naive_pct") is not None)
        out[f"{kpi}_corrected_spread"] = mean(abs(r[f"{kpi}_spread_corrected_pct"]["value"]) for r in runs
                                              if r.get(f"{kpi}_spread_corrected_pct") and r[f"{kpi}_spread_corrected_pct"]["value"] is not None)
    rows = [row for r in runs for row in r.get("behaviour_effects", [])]
    for name, key, cover in (("within", "estimate", "covered"), ("naive", "naive_estimate", "naive_covered")):
        out[f"{name}_bias_pos"] = mean(row[key] - row["true"] for row in rows if row["true"] > 0)
        out[f"{name}_bias_neg"] = mean(row[key] - row["true"] for row in rows if row["true"] < 0)
        out[f"{name}_coverage"] = mean(float(row[cover]) for row in rows)
    out["n_effect_intervals"] = len(rows)
    head = [r for r in runs if "positive_behaviour_true" in r]
    out["head_true"] = mean(r["positive_behaviour_true"] for r in head)
    out["head_within"] = mean(r["positive_behaviour_estimate"]["effect"] for r in head)
    out["head_naive"] = mean(r["positive_behaviour_naive"]["effect"] for r in head)
    out["head_within_coverage"] = mean(float(covered(r["positive_behaviour_estimate"], r["positive_behaviour_true"])) for r in head)
    out["head_naive_coverage"] = mean(float(covered(r["positive_behaviour_naive"], r["positive_behaviour_true"])) for r in head)
    out["composite_engine"] = mean(r.get("composite_rank_engine") for r in runs)
    out["composite_zscores"] = mean(r.get("composite_rank_zscores") for r in runs)
    out["ranked_share"] = mean(float(not r["not_ranked_reason"]) for r in runs)
    opp = [r for r in runs if "aht_saved_estimate" in r and r["aht_saved_estimate"]["low"] is not None]
    out["opp_aht_coverage"] = mean(float(covered(r["aht_saved_estimate"], r["aht_saved_true_s"])) for r in opp)
    opp = [r for r in runs if "sentiment_gain_estimate" in r and r["sentiment_gain_estimate"]["low"] is not None]
    out["opp_sentiment_coverage"] = mean(float(covered(r["sentiment_gain_estimate"], r["sentiment_gain_true"])) for r in opp)
    return out


def f(value, digits=3, pct=False) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{100 * value:.0f}%" if pct else f"{value:.{digits}f}"


def table(columns: dict) -> str:
    names = list(columns)
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(columns[n]) for n in names) + " |")

    for kpi, label in KPIS:
        row(f"{label} ranking, Spearman with the truth: raw means / engine", lambda s, k=kpi: f"{f(s[k + '_raw'])} / **{f(s[k + '_engine'])}**")
    for kpi, label in KPIS:
        row(f"{label}: coverage of the agents' 95% intervals", lambda s, k=kpi: f(s[k + "_coverage"]))
    row("behaviour effects, mean bias (positive behaviours): within / naive",
        lambda s: f"**{f(s['within_bias_pos'], 2)}** / {f(s['naive_bias_pos'], 2)}")
    row("behaviour effects, mean bias (negative behaviours): within / naive",
        lambda s: f"**{f(s['within_bias_neg'], 2)}** / {f(s['naive_bias_neg'], 2)}")
    row("behaviour effects, 95% interval coverage: within / naive", lambda s: f"**{f(s['within_coverage'])}** / {f(s['naive_coverage'])}")
    row("positive-behaviour headline: truth / within / naive (points)",
        lambda s: f"{f(s['head_true'], 1)} / **{f(s['head_within'], 1)}** / {f(s['head_naive'], 1)}")
    row("positive-behaviour headline, interval coverage: within / naive",
        lambda s: f"**{f(s['head_within_coverage'], pct=True)}** / {f(s['head_naive_coverage'], pct=True)}")
    row("composite ranking, Spearman with the true composite: engine / z-scores",
        lambda s: f"**{f(s['composite_engine'])}** / {f(s['composite_zscores'])}")
    for kpi, label in KPIS:
        row(f"{label}: ICC", lambda s, k=kpi: f(s[k + "_icc"]))
    for kpi, label in KPIS:
        row(f"{label}: top-vs-bottom spread, naive / noise-corrected",
            lambda s, k=kpi: f"{f(s[k + '_naive_spread'], 1)}% / {f(s[k + '_corrected_spread'], 1)}%")
    row("teams ranked into quartiles", lambda s: f(s["ranked_share"], pct=True))
    row("opportunity intervals containing the truth: AHT saved / sentiment gain",
        lambda s: f"{f(s['opp_aht_coverage'], pct=True)} / {f(s['opp_sentiment_coverage'], pct=True)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50, help="simulated teams per scenario")
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--calls", type=int, default=6000)
    parser.add_argument("--demo-seeds", type=int, default=100, help="teams of the demo's size (30 agents, 1,500 calls)")
    parser.add_argument("--n-boot", type=int, default=200)
    args = parser.parse_args()
    size = {"n_agents": args.agents, "n_calls": args.calls}
    scenarios = {
        "no confounding": dict(size, skill_confounding=0.0),
        "confounding 0.5 (default)": dict(size),
        "confounding 0.8": dict(size, skill_confounding=0.8),
        "no AHT differences": dict(size, aht_agent_sd_s=0.0),
        "no differences at all": dict(size, agent_effects=False),
    }
    started = time.perf_counter()
    columns = {}
    for name, options in scenarios.items():
        columns[name] = summarise(run(args.seeds, args.n_boot, **options))
        print(f"  {name}: {args.seeds} teams done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    demo = summarise(run(args.demo_seeds, args.n_boot, n_agents=30, n_calls=1500))
    print(f"\n{args.seeds} simulated teams per scenario, {args.agents} agents and {args.calls} calls each (skewed call counts, "
          f"30% surveyed); behaviour-effect rows over {columns['no confounding']['n_effect_intervals']} intervals per scenario\n")
    print(table(columns))
    print(f"\nDemo-sized teams ({args.demo_seeds} teams of 30 agents and 1,500 calls, about 15 surveys per agent, default confounding):")
    for kpi, label in KPIS:
        print(f"  {label}: Spearman with the truth raw means {f(demo[kpi + '_raw'])}, engine {f(demo[kpi + '_engine'])}; "
              f"the engine ranks worse than raw means in {f(demo[kpi + '_worse'], pct=True)} of teams; interval coverage {f(demo[kpi + '_coverage'])}")
    print(f"  behaviour effects: within coverage {f(demo['within_coverage'])}, naive {f(demo['naive_coverage'])}; headline coverage "
          f"within {f(demo['head_within_coverage'], pct=True)}, naive {f(demo['head_naive_coverage'], pct=True)}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
