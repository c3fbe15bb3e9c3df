"""Nights of simulated traffic into one results directory: does a night cost what the night
holds, or does it grow with the history? (issue 13)

One population of ``--nights x --calls`` simulated calls (``analyzer simulate``'s generator,
``--agents`` agents) is split into nights of ``--calls`` calls with their own call ids, night k's
calls starting on day k (2026-10-01 onwards), and each night is run with ``run_batch`` into the
same results directory, one after another, each in a fresh process (so each night's peak RSS is
its own, as with a nightly cron job). Per night it prints the calls stored after it, the wall time
and, per phase, seconds and peak RSS:

  plan       finish an interrupted commit, find inputs, read metadata, plan, skip check
  models     load the text models (0 with --no-text-models)
  process    the night's calls (staged every flush_every calls)
  commit     publish the staged parts into the datasets
  aggregate  the agent comparison over the calls of the last --window-days days of started_at
             (default: the config's, 90; 0: every stored call)
  report     the HTML report (item 3, not optimised here; off unless --report)

Flat = the last nights' phases within noise of the first nights' (the summary prints both).

``--history K`` copies night 1's stored files K times under other call ids and older dates (one
partition per copy, as K earlier nights would have written them, copy k's calls starting k days
before night 1's) before night 2, so the later nights run against a store of (K + 1) x --calls
calls without processing them.

    .venv/bin/python scripts/benchmark_nights.py --nights 10 --calls 1500 --agents 100
    .venv/bin/python scripts/benchmark_nights.py --nights 10 --calls 1500 --no-text-models   # faster
    .venv/bin/python scripts/benchmark_nights.py --nights 10 --calls 1500 --window-days 3   # the aggregate bounded by its window
    .venv/bin/python scripts/benchmark_nights.py --nights 4 --calls 1500 --history 80 --window-days 7   # 120,000+ stored
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

PHASES = ("plan", "models", "process", "commit", "aggregate", "report")


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(args) -> None:
    """Run one night in this process and print its measurements as one JSON line."""
    import analyzer
    from analyzer.config import AnalyzerConfig, BehaviourOptions, SentimentOptions
    from analyzer.store import ResultsStore

    config = AnalyzerConfig()
    if args.no_text_models:
        config = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False))
    config = config.replace("aggregate", n_boot=args.n_boot) if args.n_boot else config
    config = config.replace("aggregate", window_days=args.window_days) if args.window_days is not None else config
    state = {"phase": "start", "peak": {}, "stop": False}

    def sample() -> None:
        while not state["stop"]:
            phase = state["phase"]
            state["peak"][phase] = max(state["peak"].get(phase, 0.0), _rss_mb())
            time.sleep(0.02)

    times, since = {}, [time.perf_counter()]

    def enter(phase: str) -> None:
        now = time.perf_counter()
        state["peak"][state["phase"]] = max(state["peak"].get(state["phase"], 0.0), _rss_mb())
        times[state["phase"]] = times.get(state["phase"], 0.0) + now - since[0]
        since[0] = now
        state["phase"] = phase

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    summary = analyzer.run_batch(args.night_dir / "transcripts", args.out, metadata=args.night_dir / "metadata.csv", config=config,
                                 aggregate=not args.no_aggregate, report=args.report and not args.no_aggregate, phase_hook=enter)
    wall = time.perf_counter() - started
    state["stop"] = True
    sampler.join()
    table = ResultsStore(args.out).read("calls", ["call_id"])
    files = sum(1 for p in Path(args.out).rglob("*.parquet"))
    headline = Path(args.out) / "variability.json"
    aggregated = json.loads(headline.read_text()).get("n_calls") if headline.exists() and not args.no_aggregate else None
    print(json.dumps({"line": summary.line(), "n_ok": summary.n_ok, "wall_s": wall, "stored": table.num_rows if table is not None else 0,
                      "aggregated": aggregated,
                      "files": files, "seconds": times, "peak_mb": state["peak"], "failed_stages": list(summary.failed_stages)}))


def write_nights(work: Path, nights: int, calls: int, agents: int, seed: int) -> list:
    """Simulate nights x calls calls and write each night's transcripts and metadata."""
    from analyzer.variability.simulate import SimulationOptions, render_population, simulate_population

    from datetime import datetime, timedelta

    population = simulate_population(SimulationOptions(n_agents=agents, n_calls=nights * calls, seed=seed))
    # night k's calls start on day k, at the simulated time of day
    first = datetime(2026, 10, 1)
    clock = population.calls.started_at.str.slice(11)
    population.calls["started_at"] = [f"{(first + timedelta(days=i // calls)).date()}T{t}" for i, t in enumerate(clock)]
    meta = population.calls[["call_id", "agent_id", "started_at", "queue", "csat", "handle_seconds", "hold_seconds", "acw_seconds", "transferred"]]
    order = {cid: i for i, cid in enumerate(population.calls.call_id)}
    dirs = []
    for k in range(nights):
        folder = work / f"night{k + 1:02d}"
        (folder / "transcripts").mkdir(parents=True, exist_ok=True)
        meta.iloc[k * calls:(k + 1) * calls].to_csv(folder / "metadata.csv", index=False)
        dirs.append(folder)
    for call in render_population(population):
        k = order[call["call_id"]] // calls
        (dirs[k] / "transcripts" / f"{call['call_id']}.json").write_text(json.dumps(call))
    return dirs


def copy_history(out: Path, copies: int) -> int:
    """Copy night 1's stored files ``copies`` times: other call ids, older versions, one partition
    per copy (2000-01-01 onwards), copy k's calls starting k days before night 1's. Returns the
    calls stored then."""
    from datetime import date, timedelta

    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    for name in ("calls", "utterances", "behaviours", "failures", "batches"):
        for source in sorted((out / name).glob("batch_date=*/*.parquet")):
            table = pq.read_table(source)
            for k in range(1, copies + 1):
                copy = table
                for column in ("call_id", "batch_id"):
                    if column in copy.column_names:
                        ids = copy.column(column)
                        copy = copy.set_column(copy.schema.get_field_index(column), column, pc.binary_join_element_wise(ids, pa.scalar(f"h{k:03d}"), "-"))
                if "started_at" in copy.column_names:
                    started = pd.to_datetime(pd.Series(copy.column("started_at").to_pylist())) - pd.Timedelta(days=k)
                    copy = copy.set_column(copy.schema.get_field_index("started_at"), "started_at",
                                           pa.array(started.dt.strftime("%Y-%m-%dT%H:%M:%S").tolist(), pa.string()))
                if "version" in copy.column_names:
                    copy = copy.set_column(copy.schema.get_field_index("version"), "version", pc.subtract(copy.column("version"), pa.scalar(10 ** 12 * k)))
                folder = out / name / f"batch_date={date(2000, 1, 1) + timedelta(days=k - 1)}"
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(copy, folder / f"part-history-{k:03d}.parquet", compression="zstd")
    from analyzer.store import ResultsStore

    return ResultsStore(out).read("calls", ["call_id"]).num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nights", type=int, default=10)
    parser.add_argument("--calls", type=int, default=1500, help="calls per night")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--work", type=Path, default=Path("/tmp/analyzer-benchmark-nights"), help="where the nights and the store go (replaced)")
    parser.add_argument("--no-text-models", action="store_true", help="sentiment and behaviour models off (faster; timeline behaviours only)")
    parser.add_argument("--report", action="store_true", help="also write the HTML report every night (slow; item 3 of the issue)")
    parser.add_argument("--n-boot", type=int, default=0, help="bootstrap replicates of the aggregate (default: the config's)")
    parser.add_argument("--window-days", type=int, default=None, help="the aggregate's window (default: the config's, 90; 0: every stored call)")
    parser.add_argument("--compact", action="store_true", help="run `analyzer compact` after the last night and time it")
    parser.add_argument("--history", type=int, default=0, metavar="K", help="copy night 1's files K times before night 2 (a store of (K+1) x --calls calls)")
    parser.add_argument("--no-aggregate", action="store_true", help="skip the aggregate (and report) stage")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--night-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    t0 = time.perf_counter()
    dirs = write_nights(args.work, args.nights, args.calls, args.agents, args.seed)
    out = args.work / "results"
    print(f"{args.nights} nights x {args.calls} calls, {args.agents} agents, text models {'off' if args.no_text_models else 'on (shipped)'}, "
          f"report {'on' if args.report else 'off'}; simulated in {time.perf_counter() - t0:.0f} s; store {out}", flush=True)
    header = f"{'night':>5} {'stored':>7} {'aggr.':>7} {'wall s':>7} " + " ".join(f"{p + ' s':>11} {'MB':>6}" for p in PHASES) + f" {'files':>6}"
    print(header, flush=True)
    rows = []
    for k, folder in enumerate(dirs, start=1):
        cmd = [sys.executable, __file__, "--child", "--night-dir", str(folder), "--out", str(out)]
        cmd += ["--no-text-models"] if args.no_text_models else []
        cmd += ["--report"] if args.report else []
        cmd += ["--n-boot", str(args.n_boot)] if args.n_boot else []
        cmd += ["--window-days", str(args.window_days)] if args.window_days is not None else []
        cmd += ["--no-aggregate"] if args.no_aggregate else []
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
            raise SystemExit(f"night {k} failed")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        cells = " ".join(f"{row['seconds'].get(p, 0.0):11.1f} {row['peak_mb'].get(p, float('nan')):6.0f}" if p in row["seconds"] else f"{'-':>11} {'-':>6}"
                         for p in PHASES)
        aggregated = f"{row['aggregated']:7d}" if row.get("aggregated") is not None else f"{'-':>7}"
        print(f"{k:5d} {row['stored']:7d} {aggregated} {row['wall_s']:7.1f} {cells} {row['files']:6d}", flush=True)
        if k == 1 and args.history:
            t0 = time.perf_counter()
            stored = copy_history(out, args.history)
            print(f"history: night 1's files copied {args.history} times in {time.perf_counter() - t0:.0f} s; {stored} calls stored", flush=True)
    if args.compact:
        from analyzer.store import compact

        t0 = time.perf_counter()
        summary = compact(out)
        print(f"compact: {summary.line()} ({time.perf_counter() - t0:.1f} s)")
    rows = rows[1:] if args.history and len(rows) > 2 else rows  # night 1 ran against an empty store
    k = max(1, min(3, len(rows) // 3))
    print(f"\nfirst {k} vs last {k} nights (mean):")
    for p in ("wall",) + PHASES:
        first = [r["wall_s"] if p == "wall" else r["seconds"].get(p) for r in rows[:k]]
        last = [r["wall_s"] if p == "wall" else r["seconds"].get(p) for r in rows[-k:]]
        if None in first or None in last:
            continue
        mf, ml = sum(first) / k, sum(last) / k
        peak_f = [r["peak_mb"].get(p) for r in rows[:k]] if p != "wall" else [max(r["peak_mb"].values()) for r in rows[:k]]
        peak_l = [r["peak_mb"].get(p) for r in rows[-k:]] if p != "wall" else [max(r["peak_mb"].values()) for r in rows[-k:]]
        print(f"  {p:>9}: {mf:7.1f} s -> {ml:7.1f} s ({ml / mf if mf else float('nan'):4.2f}x)   peak RSS {sum(peak_f) / k:6.0f} -> {sum(peak_l) / k:6.0f} MB")


if __name__ == "__main__":
    main()
