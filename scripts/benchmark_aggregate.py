#!/usr/bin/env python
"""Benchmark: ``analyzer aggregate`` end to end on a results store of 1,000,000 calls over 2,000
agents (issue 13, item 2: <= 60 s, <= 4 GB peak RSS on 2 CPU cores).

Builds the store once (cached in ``--store``; rebuilt when its parameters differ) as nightly runs
would have written it: one partition per night (``batch_date`` = the day after the calls), one
file per table per night, a version per 10 calls (``flush_every``), 1% of the calls stored twice
(the older version superseded, in the night before), every column of the ``calls`` table the
pipeline writes, the ``utterances`` table with text, sentiment and word timings (13 utterances per
call on average: the simulator's transcripts, ``analyzer simulate``), the ``behaviours`` table
(each behaviour line of a transcript tagged, as a perfect tagger would, plus the timeline
behaviours interruption and dead air), and ``taxonomy.json``. The calls start over ``--days`` days
(default 90: the default window holds all of them, so the window does not make the run cheaper).

Then times the real command in a subprocess (``analyzer aggregate STORE``, ``--repeat`` times),
and prints wall time, peak RSS of the process (``wait4``), the load average before and after,
and what the command said.

    .venv/bin/python scripts/benchmark_aggregate.py [--calls 1000000] [--agents 2000] [--repeat 3]
    .venv/bin/python scripts/benchmark_aggregate.py --calls 20000 --agents 200 --store /tmp/small   # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PARAMS = "benchmark-params.json"
ROW_GROUP = 131072


def _word_timings(text, starts, ends, rng):
    """Word lists (start_s, end_s, text, probability) spread evenly over each utterance."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    words = pc.utf8_split_whitespace(text)
    offsets = words.offsets.to_numpy()
    counts = np.diff(offsets)
    n = int(offsets[-1])
    owner = np.repeat(np.arange(len(counts)), counts)
    j = np.arange(n) - offsets[:-1][owner]
    span = (ends - starts)[owner] / np.maximum(counts[owner], 1)
    w_start = np.round(starts[owner] + span * j, 2)
    probability = np.round(rng.uniform(0.55, 1.0, n), 4)
    struct = pa.StructArray.from_arrays([pa.array(w_start), pa.array(np.round(w_start + span, 2)), words.flatten(), pa.array(probability)],
                                        names=["start_s", "end_s", "text", "probability"])
    confidence = np.bincount(owner, weights=probability, minlength=len(counts)) / np.maximum(counts, 1)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), struct), np.round(confidence, 4)


def _tagger():
    """Rendered agent line -> behaviour (every name the renderer can put in a line)."""
    from analyzer.variability.simulate import AGENT_LINES, FIRST_NAMES

    tags = {}
    for behaviour, lines in AGENT_LINES.items():
        for line in lines:
            for agent in FIRST_NAMES:
                for customer in FIRST_NAMES:
                    tags[line.format(agent=agent, customer=customer)] = behaviour
    return tags


def _night_tables(night, calls, rng, render_rng, version0, batch_id, tags, levels, written_at):
    """The calls, utterances and behaviours tables of one night (pyarrow), pipeline-shaped."""
    import numpy as np
    import pyarrow as pa

    from analyzer.variability.simulate import FIRST_NAMES, NEGATIVE, POSITIVE, render_call

    n = len(calls)
    version = version0 + (np.arange(n) // 10) * 1000  # one version per part of 10 calls (flush_every)
    u_call, u_index, u_speaker, u_start, u_end, u_text, u_version, u_row = [], [], [], [], [], [], [], []
    b_rows = []
    for i, row in enumerate(calls.to_dict(orient="records")):
        call = render_call(row, render_rng, FIRST_NAMES[int(row["agent_id"][-4:]) % len(FIRST_NAMES)])
        for k, u in enumerate(call["utterances"]):
            u_call.append(row["call_id"]); u_index.append(k); u_speaker.append(u["speaker"]); u_start.append(u["start"])
            u_end.append(u["end"]); u_text.append(u["text"]); u_row.append(i)
            behaviour = tags.get(u["text"]) if u["speaker"] == "agent" else None
            if behaviour:
                dynamics = behaviour == "interruption"
                b_rows.append((i, row["call_id"], k, behaviour, 1.0 if dynamics else None, u["start"], "dynamics" if dynamics else "classifier"))
        if row["beh_dead_air"]:
            b_rows.append((i, row["call_id"], None, "dead_air", 1.0, call["utterances"][min(3, len(call["utterances"]) - 1)]["end"], "dynamics"))
    u_row = np.array(u_row)
    starts, ends = np.array(u_start), np.array(u_end)
    agent = np.array(u_speaker) == "agent"
    text = pa.array(u_text, pa.string())
    level = np.array([levels.get(t, 2) for t in u_text])
    centre = np.where(agent, 0.15, np.array([-0.8, -0.45, 0.0, 0.45, 0.8])[level])
    signed = np.clip(centre + rng.normal(0, 0.12, len(u_text)), -1, 1)
    p_neg = 0.05 + 0.85 * np.maximum(-signed, 0)
    p_pos = 0.05 + 0.85 * np.maximum(signed, 0)
    p_neu = 1 - p_neg - p_pos
    sentiment = np.round(p_pos - p_neg, 4)
    label = np.array(["negative", "neutral", "positive"])[np.argmax(np.stack([p_neg, p_neu, p_pos]), axis=0)]
    words, confidence = _word_timings(text, starts, ends, rng)
    utterances = pa.table({
        "call_id": pa.array(u_call, pa.string()), "utterance_index": pa.array(u_index, pa.int32()), "speaker": pa.array(u_speaker, pa.string()),
        "start_s": starts, "end_s": ends, "text": text, "words": words, "asr_confidence": confidence,
        "sentiment_negative": np.round(p_neg, 4), "sentiment_neutral": np.round(p_neu, 4), "sentiment_positive": np.round(p_pos, 4),
        "sentiment": sentiment, "sentiment_label": label, "sentiment_index": np.round(50 * (sentiment + 1), 2),
        "version": pa.array(version[u_row], pa.int64()),
    })
    b_i = np.array([r[0] for r in b_rows], dtype=int)
    score = np.array([r[4] if r[4] is not None else np.nan for r in b_rows])
    score = np.where(np.isnan(score), np.round(rng.uniform(0.5, 1.0, len(b_rows)), 4), score)
    behaviours = pa.table({
        "call_id": pa.array([r[1] for r in b_rows], pa.string()), "utterance_index": pa.array([r[2] for r in b_rows], pa.int32()),
        "speaker": pa.array(["agent"] * len(b_rows), pa.string()), "behaviour_id": pa.array([r[3] for r in b_rows], pa.string()),
        "score": score, "time_s": np.array([r[5] for r in b_rows], dtype=float), "source": pa.array([r[6] for r in b_rows], pa.string()),
        "version": pa.array(version[b_i], pa.int64()),
    })

    # calls: every column the pipeline writes, in its order
    def per_call(values, mask=None):
        w = values if mask is None else np.where(mask, values, 0.0)
        return np.bincount(u_row, weights=w, minlength=n)

    durations = ends - starts
    n_words = np.diff(words.offsets.to_numpy())
    duration = np.maximum.reduceat(ends, np.flatnonzero(np.r_[True, np.diff(u_row) != 0]))
    agent_talk, customer_talk = per_call(durations, agent), per_call(durations, ~agent)
    n_utt, n_agent = np.bincount(u_row, minlength=n), np.bincount(u_row[agent], minlength=n)
    start_signed = calls.customer_sentiment_start.to_numpy()
    end_signed = np.round(calls.customer_index_end.to_numpy() / 50 - 1, 4)
    trajectory = np.linspace(start_signed, end_signed, 10).T
    customer_neg = per_call(durations, (~agent) & (label == "negative")) / np.maximum(customer_talk, 1e-9)
    agent_sent = np.round(per_call(sentiment, agent) / np.maximum(n_agent, 1), 4)
    handle = calls.handle_seconds.to_numpy()
    hold = np.where(calls.beh_hold_etiquette.to_numpy(), 40.0, 0.0)
    dead = calls.time_dead_air_s.to_numpy()
    interruptions = calls.beh_interruption.to_numpy().astype(np.int64)
    spans = pa.list_(pa.struct([("start_s", pa.float64()), ("end_s", pa.float64())]))
    cols = {
        "call_id": calls.call_id.to_numpy(), "agent_id": calls.agent_id.to_numpy(), "batch_id": [batch_id] * n,
        "processed_at": [written_at] * n, "source_file": [f"/data/night{night}/transcripts/{c}.json" for c in calls.call_id],
        "source_kind": ["transcript"] * n, "input_sha256": [f"{int(x):064x}" for x in rng.integers(0, 2**62, n)],
        "settings_hash": ["5e7f0a1b2c3d4e5f"] * n, "started_at": calls.started_at.to_numpy(), "duration_s": np.round(duration, 2),
        "agent_talk_s": np.round(agent_talk, 2), "customer_talk_s": np.round(customer_talk, 2), "n_utterances": n_utt,
        "n_agent_utterances": n_agent, "n_customer_utterances": n_utt - n_agent, "agent_words": per_call(n_words, agent).astype(np.int64),
        "customer_words": per_call(n_words, ~agent).astype(np.int64), "asr_model": [""] * n, "text_model": ["models/text"] * n,
        "asr_mean_confidence": pa.nulls(n, pa.float64()), "processing_s": np.round(rng.uniform(0.05, 0.3, n), 3),
        "redact_s": np.round(rng.uniform(0.001, 0.01, n), 4), "text_s": np.round(rng.uniform(0.04, 0.25, n), 3),
        "dynamics_s": np.round(rng.uniform(0.001, 0.005, n), 4),
        "customer_sentiment_start": start_signed, "customer_sentiment_end": end_signed,
        "customer_sentiment_change": np.round(end_signed - start_signed, 4),
        "customer_sentiment_minimum": np.round(np.minimum(start_signed, end_signed) - rng.uniform(0, 0.1, n), 4),
        "customer_sentiment_trajectory": pa.array(list(np.round(trajectory, 4)), pa.list_(pa.float64())),
        "customer_negative_share": np.round(customer_neg, 4),
        "customer_index_start": calls.customer_index_start.to_numpy(), "customer_index_end": calls.customer_index_end.to_numpy(),
        "customer_turning_point_s": np.where(end_signed > start_signed + 0.15, np.round(duration * 0.6, 2), np.nan),
        "customer_turned_by_utterance": pa.array([3 if t else None for t in end_signed > start_signed + 0.15], pa.int64()),
        "agent_sentiment_start": agent_sent, "agent_sentiment_end": agent_sent, "agent_sentiment_change": np.zeros(n),
        "agent_sentiment_minimum": np.round(agent_sent - 0.1, 4),
        "agent_sentiment_trajectory": pa.array(list(np.repeat(agent_sent[:, None], 10, axis=1)), pa.list_(pa.float64())),
        "agent_negative_share": np.zeros(n), "agent_index_start": np.round(50 * (agent_sent + 1), 2), "agent_index_end": np.round(50 * (agent_sent + 1), 2),
        "agent_turning_point_s": np.full(n, np.nan), "agent_turned_by_utterance": pa.nulls(n, pa.int64()),
        "agent_talk_share": np.round(agent_talk / np.maximum(agent_talk + customer_talk, 1e-9), 4),
        "silence_s": np.round(np.maximum(duration - agent_talk - customer_talk, 0), 2), "dead_air_s": dead, "hold_s": hold,
        "overtalk_s": np.round(1.5 * interruptions, 2), "agent_interruptions": interruptions, "customer_interruptions": np.zeros(n, np.int64),
        "agent_wpm": np.round(rng.uniform(110, 190, n), 1), "longest_agent_monologue_s": np.round(rng.uniform(4, 30, n), 2),
        "median_response_latency_s": np.round(rng.uniform(0.4, 1.2, n), 2), "n_dead_air": (dead > 0).astype(np.int64),
        "n_holds": (hold > 0).astype(np.int64),
        "hold_spans": pa.array([[{"start_s": 30.0, "end_s": 70.0}] if h else [] for h in hold], spans),
        "dead_air_spans": pa.array([[{"start_s": 20.0, "end_s": 20.0 + d}] if d else [] for d in dead], spans),
        "time_handle_s": calls.time_handle_s.to_numpy(), "time_handle_source": ["handle_seconds"] * n,
    }
    for part in ("productive", "distress", "dead_air", "hold", "acw", "other"):
        cols[f"time_{part}_s"] = calls[f"time_{part}_s"].to_numpy()
        cols[f"share_{part}"] = np.round(calls[f"time_{part}_s"].to_numpy() / handle, 4)
    cols["redaction_enabled"] = np.ones(n, bool)
    cols["redaction_types"] = ["CARD,EXPIRY,CVV,SSN,EMAIL,PHONE,DOB,ACCOUNT,NUMBER"] * n
    for kind in ("card", "expiry", "cvv", "ssn", "email", "phone", "dob", "account", "number"):
        cols[f"redactions_{kind}"] = np.zeros(n, np.int64)
    cols["redactions_total"] = np.zeros(n, np.int64)
    for b in POSITIVE + NEGATIVE:
        cols[f"beh_{b}_n"] = calls[f"beh_{b}"].to_numpy().astype(np.int64)
        cols[f"beh_{b}"] = calls[f"beh_{b}"].to_numpy().astype(bool)
    for c in ("queue", "csat", "handle_seconds", "hold_seconds", "acw_seconds", "transferred"):
        cols[c] = calls[c].to_numpy()
    cols["version"] = pa.array(version, pa.int64())
    return pa.table(cols), utterances, behaviours


def _write(table, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP)


def build_store(store: Path, calls: int, agents: int, days: int, seed: int) -> None:
    """Simulate, render and write the store (see the module docstring)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from analyzer.variability.simulate import CUSTOMER_LINES, NEGATIVE, POSITIVE, SimulationOptions, simulate_population

    t0 = time.perf_counter()
    if store.exists():
        shutil.rmtree(store)
    store.mkdir(parents=True)
    last = date(2026, 11, 30)
    first = last - timedelta(days=days - 1)
    population = simulate_population(SimulationOptions(n_agents=agents, n_calls=calls, seed=seed, days=days,
                                                       start=f"{first.isoformat()}T08:00:00"))
    frame = population.calls
    frame["_day"] = frame.started_at.str.slice(0, 10)
    print(f"simulated {calls:,} calls over {agents:,} agents in {time.perf_counter() - t0:.0f} s", flush=True)
    tags = _tagger()
    levels = {line: level for level, lines in CUSTOMER_LINES.items() for line in lines}
    rng, render_rng = np.random.default_rng(seed + 2), np.random.default_rng(seed + 1)
    days_list = sorted(frame._day.unique())
    reprocessed = rng.random(len(frame)) < 0.01  # stored twice: an older version in the night before
    for k, day in enumerate(days_list):
        night = date.fromisoformat(day) + timedelta(days=1)
        batch_id = f"{night:%Y%m%d}T020000-{k:06x}"
        written_at = datetime(night.year, night.month, night.day, 2, tzinfo=timezone.utc)
        version0 = int(written_at.timestamp()) * 10**9
        mask = (frame._day == day).to_numpy()
        tonight = frame[mask].sort_values("call_id")
        tables = _night_tables(k + 1, tonight.drop(columns="_day"), rng, render_rng, version0, batch_id, tags, levels,
                               written_at.isoformat(timespec="seconds"))
        again = set(tonight.call_id[reprocessed[mask]])
        stale = []
        if again:
            ids = pa.array(sorted(again), pa.string())
            for table in tables:
                rows = table.filter(pc.is_in(table.column("call_id"), value_set=ids))
                previous = pc.subtract(rows.column("version"), pa.scalar(86_400 * 10**9 - 1, pa.int64()))
                rows = rows.set_column(rows.schema.get_field_index("version"), "version", previous)
                if "csat" in rows.column_names:  # the earlier processing said something else
                    rows = rows.set_column(rows.schema.get_field_index("csat"), "csat", pa.nulls(rows.num_rows, pa.float64()))
                stale.append(rows)
        for name, table in zip(("calls", "utterances", "behaviours"), tables):
            _write(table, store / name / f"batch_date={night.isoformat()}" / f"part-{batch_id}-1.parquet")
        if stale:
            before = night - timedelta(days=1)
            for name, rows in zip(("calls", "utterances", "behaviours"), stale):
                _write(rows, store / name / f"batch_date={before.isoformat()}" / f"part-{batch_id}-earlier.parquet")
        batches = pa.table({"batch_id": [batch_id], "started_at": [written_at.isoformat(timespec="seconds")], "n_inputs": [len(tonight)],
                            "n_ok": [len(tonight)], "n_skipped": [0], "n_failed": [0], "audio_s": [0.0], "wall_s": [60.0],
                            "failed_stages": [""], "config": ["{}"], "version": pa.array([version0], pa.int64())})
        _write(batches, store / "batches" / f"batch_date={night.isoformat()}" / f"part-{batch_id}-1.parquet")
        if (k + 1) % 10 == 0 or k + 1 == len(days_list):
            print(f"  night {k + 1}/{len(days_list)} written ({time.perf_counter() - t0:.0f} s)", flush=True)
    taxonomy = {"source": "benchmark", "sha256": None,
                "behaviours": [{"id": b, "name": b.replace("_", " "), "polarity": "positive" if b in POSITIVE else "negative", "party": "agent",
                                "found_by": "dynamics" if b in ("interruption", "dead_air") else "classifier"} for b in POSITIVE + NEGATIVE]}
    (store / "taxonomy.json").write_text(json.dumps(taxonomy, indent=1))
    (store / PARAMS).write_text(json.dumps({"calls": calls, "agents": agents, "days": days, "seed": seed}))
    size = sum(f.stat().st_size for f in store.rglob("*.parquet"))
    print(f"store built in {time.perf_counter() - t0:.0f} s: {store} ({size / 1e9:.2f} GB on disk)", flush=True)


def run_once(store: Path, args) -> dict:
    """``analyzer aggregate STORE`` in a subprocess: wall time, peak RSS (``wait4``), its output."""
    import tempfile

    command = [str(Path(sys.executable).with_name("analyzer")), "aggregate", str(store)] + list(args)
    load_before = os.getloadavg()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, error = out.read().strip(), err.read().strip()
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_gb": usage.ru_maxrss / 1024 / 1024, "returncode": process.returncode, "output": output,
            "error": error[-2000:], "load_before": load_before, "load_after": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--days", type=int, default=90, help="days the calls start over (default 90: all inside the default window)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--store", type=Path, default=Path("/tmp/analyzer-benchmark-aggregate"), help="the store (built once, reused)")
    parser.add_argument("--rebuild", action="store_true", help="build the store again even if it exists")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("aggregate_args", nargs="*", help="extra arguments for `analyzer aggregate` (after --)")
    args = parser.parse_args()
    wanted = {"calls": args.calls, "agents": args.agents, "days": args.days, "seed": args.seed}
    params = args.store / PARAMS
    if args.rebuild or not params.exists() or json.loads(params.read_text()) != wanted:
        build_store(args.store, args.calls, args.agents, args.days, args.seed)
    else:
        print(f"reusing the store in {args.store} ({args.calls:,} calls, {args.agents:,} agents)")
    if args.build_only:
        return
    print(f"`analyzer aggregate {args.store} {' '.join(args.aggregate_args)}`, {args.repeat} times; {os.cpu_count()} CPU cores")
    results = []
    for k in range(args.repeat):
        r = run_once(args.store, args.aggregate_args)
        results.append(r)
        print(f"  run {k + 1}: {r['wall_s']:.1f} s (CPU {r['cpu_s']:.1f} s), peak RSS {r['peak_gb']:.2f} GB, exit {r['returncode']}, load average before "
              f"{r['load_before'][0]:.2f} / after {r['load_after'][0]:.2f}: {r['output'] or r['error']}", flush=True)
    walls = sorted(r["wall_s"] for r in results)
    cpus = sorted(r["cpu_s"] for r in results)
    peaks = sorted(r["peak_gb"] for r in results)
    print(f"wall {walls[0]:.1f}-{walls[-1]:.1f} s (median {statistics.median(walls):.1f}), CPU {cpus[0]:.1f}-{cpus[-1]:.1f} s "
          f"(median {statistics.median(cpus):.1f}), peak RSS {peaks[0]:.2f}-{peaks[-1]:.2f} GB; limits 60 s, 4 GB on 2 cores")
    print("(CPU = user + system seconds of the command, all its threads: on a machine shared with other jobs it is close to what "
          "the wall time would be on an idle one, for a command that mostly runs on one core)")


if __name__ == "__main__":
    main()
