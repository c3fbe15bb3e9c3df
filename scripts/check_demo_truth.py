#!/usr/bin/env python
"""Compare the demo's measured per-agent numbers with the simulator's truth.

    python scripts/check_demo_truth.py [demo/results] [demo/simulated/truth.json]

For the simulated team of ./scripts/demo.sh: the engine's AHT, CSAT and sentiment estimates per
agent against the true agent effects (and raw means against them), every behaviour's measured
per-agent rate against the true rate, beside the ceiling a perfect tagger would reach on the
same calls, and the true behaviour rates of the engine's top and bottom quartiles.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.evaluation.demo_truth import compare_with_truth, truth_table  # noqa: E402


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo" / "results"
    truth = Path(sys.argv[2]) if len(sys.argv) > 2 else results.parent / "simulated" / "truth.json"
    print(truth_table(compare_with_truth(results, truth)))


if __name__ == "__main__":
    main()
