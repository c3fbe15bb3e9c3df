#!/usr/bin/env python
"""Validate the agent-variability engine on simulated populations with known truth.

For several seeds, with and without true agent differences, prints: rank correlation of the
true agent effects with raw means and with the engine's estimates; coverage of the engine's 95%
intervals of true agent effects; ICCs; naive vs noise-corrected quartile spreads; and the
opportunity and behaviour-effect estimates next to the simulated truth.

    python scripts/validate_variability.py [--seeds 10] [--agents 60] [--calls 6000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.evaluation.variability import validate  # noqa: E402
from analyzer.variability.estimator import AgentVariability  # noqa: E402
from analyzer.variability.simulate import SimulationOptions, simulate_population  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--calls", type=int, default=6000)
    args = parser.parse_args()
    for effects in (True, False):
        runs = [validate(simulate_population(SimulationOptions(n_agents=args.agents, n_calls=args.calls, seed=s, agent_effects=effects)),
                         AgentVariability(n_boot=200)) for s in range(args.seeds)]
        title = "with true agent differences" if effects else "NO true agent differences"
        print(f"\n== {title}: {args.seeds} populations of {args.agents} agents, {args.calls} calls (skewed counts, 30% surveyed)")
        for kpi in ("aht_s", "sentiment_end", "csat"):
            line = f"{kpi:>14}: ICC {np.mean([r['icc'][kpi] for r in runs]):.3f}"
            if effects:
                raw = np.mean([r[f"{kpi}_rank_raw"] for r in runs])
                eng = np.mean([r[f"{kpi}_rank_engine"] for r in runs])
                line += f" | rank corr. with truth: raw means {raw:.3f}, engine {eng:.3f}"
            line += f" | 95% interval coverage {np.mean([r[f'{kpi}_coverage'] for r in runs]):.3f}"
            naive = np.mean([abs(r[f'{kpi}_spread_naive_pct']) for r in runs])
            corrected = np.mean([abs(r[f'{kpi}_spread_corrected_pct']['value']) for r in runs])
            line += f" | top-vs-bottom spread: naive {naive:.1f}%, noise-corrected {corrected:.1f}%"
            print(line)
        cover_aht = np.mean([r["aht_saved_estimate"]["low"] <= r["aht_saved_true_s"] <= r["aht_saved_estimate"]["high"] for r in runs])
        cover_sent = np.mean([r["sentiment_gain_estimate"]["low"] <= r["sentiment_gain_true"] <= r["sentiment_gain_estimate"]["high"] for r in runs])
        print(f"  opportunity intervals containing the truth: AHT saved {cover_aht:.0%}, sentiment gain {cover_sent:.0%}")
        rows = [row for r in runs for row in r["behaviour_effects"]]
        head = np.mean([r["positive_behaviour_estimate"]["low"] <= r["positive_behaviour_true"] <= r["positive_behaviour_estimate"]["high"] for r in runs])
        print(f"  behaviour effects: {np.mean([row['covered'] for row in rows]):.0%} of {len(rows)} intervals contain the true effect; "
              f"positive-behaviour headline {np.mean([r['positive_behaviour_estimate']['effect'] for r in runs]):.1f} points "
              f"(truth {np.mean([r['positive_behaviour_true'] for r in runs]):.1f}), interval contains truth in {head:.0%}")


if __name__ == "__main__":
    main()
