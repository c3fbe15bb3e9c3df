#!/usr/bin/env python
"""Benchmark: the variability engine on 1,000,000 calls over 2,000 agents, bootstrap included.

Simulates the calls first (not timed), then times ``AgentVariability(...).fit`` (outcomes, case
mix, shrinkage, quartiles, bootstrap intervals, behaviour effects, CSAT prediction) and the
coaching table, and prints wall time and the process's peak memory.

    python scripts/benchmark_variability.py [--calls 1000000] [--agents 2000] [--n-boot 300]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.variability.coaching import coaching_opportunities  # noqa: E402
from analyzer.variability.estimator import AgentVariability  # noqa: E402
from analyzer.variability.simulate import SimulationOptions, simulate_population  # noqa: E402


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--n-boot", type=int, default=300)
    args = parser.parse_args()
    t0 = time.perf_counter()
    population = simulate_population(SimulationOptions(n_agents=args.agents, n_calls=args.calls, seed=0))
    print(f"simulated {args.calls:,} calls over {args.agents:,} agents in {time.perf_counter() - t0:.1f} s (not part of the benchmark)")
    t0 = time.perf_counter()
    est = AgentVariability(n_boot=args.n_boot).fit(population.calls)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    coaching = coaching_opportunities(est)
    coaching_s = time.perf_counter() - t1
    total = time.perf_counter() - t0
    print(f"AgentVariability.fit with {args.n_boot} bootstrap replicates: {fit_s:.1f} s; coaching table ({len(coaching):,} rows): {coaching_s:.1f} s")
    print(f"total {total:.1f} s, peak memory of the process {peak_gb():.2f} GB (simulation included)")


if __name__ == "__main__":
    main()
