"""The report of a 2,000-agent team over nights: does `analyzer report` cost what the night and
the team hold, or does it grow with the store? (issue 13, item 3)

1. A template night: ``--template-calls`` simulated calls of ``--template-agents`` agents
   (``analyzer simulate``'s generator) run through the real pipeline (``run_batch``, the shipped
   text models unless ``--no-text-models``), once; kept in ``--work``/template and reused.
2. Each night: the template's stored calls, utterances and behaviours are copied ``--clones``
   times into a new partition of one results directory (other call ids, agents
   ``<agent>-<clone>``, a later version and batch, started one day later per night): with the
   defaults 30,000 calls of 2,000 agents a night. Then the real ``analyzer aggregate``
   (``--n-boot`` replicates) and the real ``analyzer report``, each in its own process.
3. Per night it prints the calls stored, the aggregate's seconds, and the report's wall seconds
   and peak RSS, with what the report says it did (call pages written and their seconds; index
   and scorecards' seconds). ``--repeat R`` runs ``analyzer report`` R - 1 more times after the
   first (no new calls then: the index and the scorecards alone), for their spread.

The load average is printed with every row: on a shared machine the seconds follow the load.

    .venv/bin/python scripts/benchmark_report.py --nights 8 --repeat 3
    .venv/bin/python scripts/benchmark_report.py --nights 3 --clones 2 --no-text-models   # small, fast
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYZER = [str(Path(sys.executable).parent / "analyzer")]  # the installed command
SUMMARY = re.compile(r"report \((\w+)\): (\d+) call page\(s\) written, (\d+) removed in ([\d.]+) s; index and (\d+) scorecard\(s\) in ([\d.]+) s")


def build_template(work: Path, agents: int, calls: int, seed: int, text_models: bool) -> Path:
    """One night through the real pipeline (reused when its parameters match)."""
    template = work / "template"
    params = {"agents": agents, "calls": calls, "seed": seed, "text_models": text_models}
    marker = template / "params.json"
    if marker.exists() and json.loads(marker.read_text()) == params:
        return template / "results"
    shutil.rmtree(template, ignore_errors=True)
    import analyzer
    from analyzer.config import AnalyzerConfig, BehaviourOptions, SentimentOptions
    from analyzer.variability.simulate import SimulationOptions, simulate_population, write_transcripts

    t0 = time.perf_counter()
    paths = write_transcripts(simulate_population(SimulationOptions(n_agents=agents, n_calls=calls, seed=seed)), template / "sim")
    config = AnalyzerConfig() if text_models else AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False))
    summary = analyzer.run_batch(paths["transcripts"], template / "results", metadata=paths["metadata"], config=config, aggregate=False, report=False)
    print(f"template: {summary.line()} ({time.perf_counter() - t0:.0f} s)", flush=True)
    marker.write_text(json.dumps(params))
    return template / "results"


def add_night(template: Path, out: Path, night: int, clones: int) -> int:
    """Copy the template's calls ``clones`` times into night ``night``'s partition; returns the
    calls added."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    day = date(2026, 11, 1) + timedelta(days=night - 1)
    batch = f"{day:%Y%m%d}T020000-n{night:05d}"
    added = 0
    for name in ("calls", "utterances", "behaviours", "batches"):
        tables = []
        for source in sorted((template / name).glob("batch_date=*/*.parquet")):
            table = pq.read_table(source)
            for j in range(1 if name == "batches" else clones):
                copy = table
                if "call_id" in copy.column_names:
                    ids = copy.column("call_id")
                    copy = copy.set_column(copy.schema.get_field_index("call_id"), "call_id",
                                           pc.binary_join_element_wise(pa.scalar(f"n{night:03d}c{j:02d}"), ids, "-"))
                if "agent_id" in copy.column_names:
                    agents = copy.column("agent_id")
                    copy = copy.set_column(copy.schema.get_field_index("agent_id"), "agent_id",
                                           pc.binary_join_element_wise(agents, pa.scalar(f"{j:02d}"), "-"))
                if "batch_id" in copy.column_names:
                    copy = copy.set_column(copy.schema.get_field_index("batch_id"), "batch_id", pa.array([batch] * copy.num_rows, pa.string()))
                if "version" in copy.column_names:
                    copy = copy.set_column(copy.schema.get_field_index("version"), "version",
                                           pc.add(copy.column("version"), pa.scalar(night * 10**12 + j * 10**6, pa.int64())))
                if name == "calls" and "started_at" in copy.column_names:
                    started = pd.to_datetime(copy.column("started_at").to_pandas(), errors="coerce") + pd.Timedelta(days=night - 1)
                    copy = copy.set_column(copy.schema.get_field_index("started_at"), "started_at",
                                           pa.array(started.dt.strftime("%Y-%m-%dT%H:%M:%S").where(started.notna(), None), pa.string()))
                tables.append(copy)
        if not tables:
            continue
        folder = out / name / f"batch_date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.concat_tables(tables, promote_options="permissive")
        pq.write_table(table, folder / f"part-{batch}-1.parquet", compression="zstd")
        if name == "calls":
            added = table.num_rows
    return added


def timed(command) -> tuple:
    """(wall seconds, peak RSS MB of the child, stdout) of a command."""
    t0 = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=devnull, text=True, cwd=ROOT)
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed: {stdout[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nights", type=int, default=8)
    parser.add_argument("--clones", type=int, default=20, help="copies of the template per night (agents: template agents x clones)")
    parser.add_argument("--template-agents", type=int, default=100)
    parser.add_argument("--template-calls", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-text-models", action="store_true", help="template without sentiment and behaviour models (faster, fewer charts)")
    parser.add_argument("--n-boot", type=int, default=50, help="bootstrap replicates of the aggregate")
    parser.add_argument("--repeat", type=int, default=1, help="run `analyzer report` this many times a night (the later runs: no new calls)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/analyzer-benchmark-report"), help="where the template and the store go")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    template = build_template(args.work, args.template_agents, args.template_calls, args.seed, not args.no_text_models)
    out = args.work / "results"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    shutil.copy(template / "taxonomy.json", out / "taxonomy.json") if (template / "taxonomy.json").exists() else None
    print(f"{args.nights} nights x {args.clones} copies of {args.template_calls} calls ({args.template_agents * args.clones} agents), "
          f"text models {'off' if args.no_text_models else 'on'}; store {out}", flush=True)
    print(f"{'night':>5} {'stored':>8} {'aggregate s':>11} {'report s':>9} {'MB':>6} {'pages':>6} {'pages s':>8} {'scorecards':>10} "
          f"{'index+scorecards s':>18} {'load':>5}  later runs: index+scorecards s", flush=True)
    rows = []
    stored = 0
    for night in range(1, args.nights + 1):
        stored += add_night(template, out, night, args.clones)
        aggregate_s, _, _ = timed(ANALYZER + ["aggregate", str(out), "--n-boot", str(args.n_boot)])
        load = os.getloadavg()[0]
        wall, peak, stdout = timed(ANALYZER + ["report", str(out)])
        match = SUMMARY.search(stdout)
        if not match:
            raise SystemExit(f"no report summary in: {stdout}")
        mode, pages, _, pages_s, scorecards, team_s = match.groups()
        later = []
        for _ in range(args.repeat - 1):
            _, _, again = timed(ANALYZER + ["report", str(out)])
            later.append(float(SUMMARY.search(again).group(6)))
        row = {"night": night, "stored": stored, "aggregate_s": aggregate_s, "report_s": wall, "peak_mb": peak, "pages": int(pages),
               "pages_s": float(pages_s), "scorecards": int(scorecards), "team_s": float(team_s), "load": load, "later_team_s": later, "mode": mode}
        rows.append(row)
        print(f"{night:5d} {stored:8d} {aggregate_s:11.1f} {wall:9.1f} {peak:6.0f} {row['pages']:6d} {row['pages_s']:8.1f} {row['scorecards']:10d} "
              f"{row['team_s']:18.1f} {load:5.1f}  {' '.join(f'{x:.1f}' for x in later)}", flush=True)
    files = sum(1 for _ in (out / "report" / "calls").iterdir())
    size = sum(p.stat().st_size for p in (out / "report").rglob("*") if p.is_file())
    print(f"\nreport folder: {files} call pages, {size / 1e6:.0f} MB")
    later_rows = rows[1:] if len(rows) > 1 else rows  # night 1 writes the first report whole
    k = max(1, min(3, len(later_rows) // 3))
    for key, name in (("report_s", "report"), ("pages_s", "call pages"), ("team_s", "index + scorecards"), ("peak_mb", "peak RSS MB")):
        first = sum(r[key] for r in later_rows[:k]) / k
        last = sum(r[key] for r in later_rows[-k:]) / k
        print(f"  {name:>18}: nights 2-{k + 1} {first:8.1f} -> last {k} nights {last:8.1f} ({last / first if first else float('nan'):.2f}x)")
    team = [r["team_s"] for r in rows] + [x for r in rows for x in r["later_team_s"]]
    print(f"  index + scorecards over every run: min {min(team):.1f} s, median {sorted(team)[len(team) // 2]:.1f} s, max {max(team):.1f} s")


if __name__ == "__main__":
    main()
