"""Throughput of the Ray engine against the local engine, measured in the same run (issue 13).

Generates a small night of stereo 8 kHz demo calls (``scripts/generate_demo_calls.py``, cached
under ``--work``), starts one local Ray instance with this machine's CPUs, then processes the
night with each engine into a fresh results directory (the real packaged Whisper tiny.en and the
shipped text models, no aggregate or report), ``--rounds`` times in turn so that a change in the
machine's load hits every engine alike. Prints, per engine, the seconds of the ``models`` phase
(for Ray: the workers starting and loading their models), of the ``process`` phase (the calls),
the throughput (audio seconds per second of ``process``) and its ratio to the local engine's in
the same round, and the 1-minute load average around each run.

    .venv/bin/python scripts/benchmark_ray.py                       # 24 calls (about 36 min of audio), 2 rounds
    .venv/bin/python scripts/benchmark_ray.py --calls 8 --rounds 1  # quicker
    .venv/bin/python scripts/benchmark_ray.py --address HOST:6379   # an existing cluster (no local instance)

Engines (``--engines``): ``local``; ``ray-WxC``: W workers of C CPUs each; ``ray-WxC+T``: the
same with the text models in T text actors of 1 CPU (default ``local,ray-1x1,ray-1x2,ray-2x1``). Calls go in groups of ``--flush-every`` (6), the unit a
worker takes, so that 24 calls give two workers four groups to share.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _engine(name: str, address):
    from analyzer.config import RayOptions

    if name == "local":
        return None
    spec, _, text = name.removeprefix("ray-").partition("+")
    workers, cpus = spec.split("x")
    return RayOptions(address=address, workers=int(workers), worker_cpus=float(cpus), text_workers=int(text or 0))


def _night(work: Path, calls: int, seed: int) -> Path:
    night = work / f"night-{calls}-{seed}"
    if not (night / "metadata.csv").exists():
        shutil.rmtree(night, ignore_errors=True)
        subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_demo_calls.py"), "--out", str(night), "--calls", str(calls),
                        "--seed", str(seed), "--agents", "4"], check=True, stdout=subprocess.DEVNULL)
    return night


def run_once(name: str, night: Path, out: Path, address, flush_every: int) -> dict:
    from analyzer.config import AnalyzerConfig
    from analyzer.runner import run_batch

    shutil.rmtree(out, ignore_errors=True)
    times, since, current = {}, [time.perf_counter()], ["start"]

    def enter(phase: str) -> None:
        now = time.perf_counter()
        times[current[0]] = times.get(current[0], 0.0) + now - since[0]
        since[0], current[0] = now, phase

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    summary = run_batch(night / "audio", out, metadata=night / "metadata.csv", aggregate=False, report=False, phase_hook=enter,
                        config=AnalyzerConfig().replace("run", flush_every=flush_every),
                        engine=_engine(name, address))
    wall = time.perf_counter() - t0
    return {"engine": name, "ok": summary.n_ok, "failed": summary.n_failed, "audio_s": summary.audio_s, "wall_s": wall,
            "models_s": times.get("models", 0.0), "process_s": times.get("process", 0.0), "load": (load0 + os.getloadavg()[0]) / 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--flush-every", type=int, default=6, help="calls per group (run.flush_every; default 6, so 24 calls make 4 groups to share)")
    parser.add_argument("--engines", default="local,ray-1x1,ray-1x2,ray-2x1")
    parser.add_argument("--address", help="an existing Ray cluster (default: start a local instance with this machine's CPUs)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/analyzer-benchmark-ray"))
    args = parser.parse_args()
    import ray

    args.work.mkdir(parents=True, exist_ok=True)
    night = _night(args.work, args.calls, args.seed)
    cpus = os.cpu_count()
    t0 = time.perf_counter()
    if args.address:
        ray.init(address=args.address, log_to_driver=False)
    else:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    print(f"ray.init: {time.perf_counter() - t0:.1f} s; cluster {ray.cluster_resources().get('CPU', 0):g} CPUs; this machine {cpus} cores", flush=True)
    engines = args.engines.split(",")
    rows = []
    try:
        for r in range(args.rounds):
            for name in engines:
                row = run_once(name, night, args.work / f"results-{name}", args.address, args.flush_every)
                row["round"] = r + 1
                rows.append(row)
                print(f"round {r + 1} {name}: {row['ok']} calls ok, {row['audio_s'] / 60:.1f} min audio, models {row['models_s']:.1f} s, "
                      f"process {row['process_s']:.1f} s, wall {row['wall_s']:.1f} s, load {row['load']:.1f}", flush=True)
    finally:
        ray.shutdown()
    base = {row["round"]: row["audio_s"] / row["process_s"] for row in rows if row["engine"] == "local"}
    print()
    print("| engine | workers x CPUs | calls | audio min | models s | process s | audio s per s | vs local (same round) | load avg (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in engines:
        mine = [row for row in rows if row["engine"] == name]
        speeds = [row["audio_s"] / row["process_s"] for row in mine]
        ratios = [s / base[row["round"]] for s, row in zip(speeds, mine) if row["round"] in base]
        spec, _, text = name.removeprefix("ray-").partition("+")
        shape = "this process (loader thread + models)" if name == "local" else spec.replace("x", " x ") + (f" + {text} text actor(s) x 1" if text else "")
        each = lambda key: " / ".join(f"{row[key]:.1f}" for row in mine)  # noqa: E731 - one value per round
        print(f"| {name} | {shape} | {mine[0]['ok']} | {mine[0]['audio_s'] / 60:.1f} | {each('models_s')} | {each('process_s')} | "
              f"{statistics.median(speeds):.1f} | {' / '.join(f'{x:.2f}' for x in ratios) if ratios else 'n/a'} | {each('load')} |")


if __name__ == "__main__":
    main()
