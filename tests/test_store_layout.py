"""The append-only, partitioned store (issue 13): nights write their own files and never rewrite
earlier ones, latest wins across nights, compact changes no read, kill -9 at any point of a
commit and a rerun leave every call once, schema drift across files, the single-file layout of
earlier versions, column selection and date windows, DuckDB and pandas one-liners."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import analyzer
from analyzer.config import AggregateOptions, AnalyzerConfig, BehaviourOptions, RunOptions, SentimentOptions
from analyzer.results import load_results
from analyzer.runner import run_batch
from analyzer.store import ResultsStore

ROOT = Path(__file__).resolve().parents[1]
CONFIG = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False),
                        aggregate=AggregateOptions(n_boot=20), run=RunOptions(flush_every=2))


def transcript(call_id, night=1, agent_id="a1", n=2, **extra):
    utterances = [{"speaker": "agent" if i % 2 == 0 else "customer", "start": 2.5 * i, "end": 2.5 * i + 2,
                   "text": f"night {night} line {i} of {call_id}"} for i in range(n)]
    return {"call_id": call_id, "agent_id": agent_id, **extra, "utterances": utterances}


def write_night(folder: Path, calls) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for call in calls:
        (folder / f"{call['call_id']}.json").write_text(json.dumps(call))
    return folder


def files(root: Path):
    """Every data file of the datasets: path -> (inode, mtime_ns, size)."""
    out = {}
    for name in ("calls", "utterances", "behaviours", "failures", "batches"):
        for p in (root / name).rglob("*.parquet") if (root / name).exists() else []:
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def check_each_call_once(out: Path, expected_ids=None):
    """Every call once, with exactly the utterances of its own version."""
    results = load_results(out)
    calls, utts = results.calls, results.utterances
    assert calls.call_id.is_unique, calls.call_id.tolist()
    if expected_ids is not None:
        assert sorted(calls.call_id) == sorted(expected_ids)
    for row in calls.itertuples():
        own = utts[utts.call_id == row.call_id]
        assert len(own) == row.n_utterances, (row.call_id, len(own), row.n_utterances)
        assert (own.version == row.version).all()
        assert own.utterance_index.is_unique
    return results


# -- append-only -------------------------------------------------------------------------------------


def test_a_later_night_never_rewrites_earlier_files(tmp_path):
    out = tmp_path / "r"
    run_batch(write_night(tmp_path / "n1", [transcript(f"c{i}") for i in range(4)]), out, config=CONFIG, report=False)
    before = files(out)
    assert before and any(p.startswith("calls/batch_date=") for p in before)
    # night 2: new calls, one call reprocessed with new content, and a forced rerun of the rest
    run_batch(write_night(tmp_path / "n2", [transcript("c0", night=2, n=4), transcript("c9", night=2)]), out, config=CONFIG, report=False)
    run_batch(tmp_path / "n1", out, config=CONFIG, report=False, force=True)
    after = files(out)
    for path, stat in before.items():
        assert after.get(path) == stat, f"{path} was rewritten"
    assert len(after) > len(before)
    assert not (out / "calls.parquet").exists()


def test_commit_reads_the_night_not_the_history(tmp_path):
    """Publishing a night opens its staged parts only: with every file of earlier nights made
    unreadable, the commit still goes through (the old commit loaded and rewrote whole tables)."""
    out = tmp_path / "r"
    for k in range(3):
        run_batch(write_night(tmp_path / f"n{k}", [transcript(f"n{k}c{i}") for i in range(3)]), out, config=CONFIG, aggregate=False)
    store = ResultsStore(out)
    store.stage("20991231T000000-abcdef", {"calls": [{"call_id": "x", "agent_id": "a", "input_sha256": "s", "settings_hash": "h"}],
                                           "utterances": [{"call_id": "x", "utterance_index": 0, "text": "hi"}]})
    history = {p: p.read_bytes() for p in out.rglob("*.parquet")}
    assert len(history) >= 3 * 3
    for path in history:
        path.write_bytes(b"not parquet: the commit must not open this")
    assert store.commit() == 2
    for path, data in history.items():
        assert path.read_bytes().startswith(b"not parquet")  # and nothing rewrote them
        path.write_bytes(data)
    assert "x" in set(load_results(out).calls.call_id)


def test_the_skip_check_reads_only_the_columns_it_needs(tmp_path, monkeypatch):
    import analyzer.store

    out = tmp_path / "r"
    night = write_night(tmp_path / "n1", [transcript(f"c{i}", n=6) for i in range(4)])
    run_batch(night, out, config=CONFIG, report=False)
    scans = []
    real = analyzer.store._scan
    monkeypatch.setattr(analyzer.store, "_scan", lambda name, parts, columns, *a, **k: (scans.append((name, columns)), real(name, parts, columns, *a, **k))[1])
    summary = run_batch(night, out, config=CONFIG, aggregate=False, report=False)
    assert summary.n_skipped == 4 and summary.n_ok == 0
    assert scans and all(name == "calls" and columns is not None for name, columns in scans), scans
    assert set().union(*(c for _, c in scans)) <= {"call_id", "input_sha256", "settings_hash", "version", "batch_date"}


# -- latest wins -----------------------------------------------------------------------------------


def test_latest_wins_across_nights_with_reprocessing(tmp_path):
    out = tmp_path / "r"
    run_batch(write_night(tmp_path / "n1", [transcript("a", n=4), transcript("b")]), out, config=CONFIG, report=False)
    v1 = load_results(out).calls.set_index("call_id").version
    # night 2 reprocesses a (new content: fewer utterances, another agent), adds c
    run_batch(write_night(tmp_path / "n2", [transcript("a", night=2, n=2, agent_id="a2"), transcript("c", night=2)]), out, config=CONFIG, report=False)
    # night 3 forces everything of night 2 again: the newest version of a wins again
    run_batch(tmp_path / "n2", out, config=CONFIG, report=False, force=True)
    results = check_each_call_once(out, ["a", "b", "c"])
    calls = results.calls.set_index("call_id")
    assert calls.loc["a", "agent_id"] == "a2" and calls.loc["a", "version"] > v1["a"] and calls.loc["b", "version"] == v1["b"]
    assert set(results.utterances[results.utterances.call_id == "a"].text) == {"night 2 line 0 of a", "night 2 line 1 of a"}
    # the earlier versions are still on disk (append-only), not in reads
    every = ResultsStore(out).read("calls", ["call_id", "version"], latest=False).to_pandas()
    assert (every.call_id == "a").sum() == 3 and (every.call_id == "c").sum() == 2
    assert len(results.batches) == 3 and results.batches.batch_id.is_unique
    # the same through DuckDB
    con = analyzer.connect_duckdb(out)
    assert con.sql("SELECT count(*), count(DISTINCT call_id) FROM calls").fetchall() == [(3, 3)]
    assert con.sql("SELECT count(*) FROM utterances").fetchall()[0][0] == len(results.utterances)
    assert con.sql("SELECT agent_id FROM calls WHERE call_id = 'a'").fetchall() == [("a2",)]


def test_a_batch_that_records_its_log_again_is_read_once(tmp_path):
    """A failed batch stage records the batch's failures and its row again: the latest part wins."""
    store = ResultsStore(tmp_path)
    store.stage("b1", {"failures": [{"batch_id": "b1", "file": "x", "stage": "decode", "reason": "bad"}], "batches": [{"batch_id": "b1", "failed_stages": ""}]})
    store.commit()
    store.stage("b1", {"failures": [{"batch_id": "b1", "file": "x", "stage": "decode", "reason": "bad"},
                                    {"batch_id": "b1", "file": "r", "stage": "report", "reason": "boom"}],
                       "batches": [{"batch_id": "b1", "failed_stages": "report"}]})
    store.stage("b2", {"batches": [{"batch_id": "b2", "failed_stages": ""}]})
    store.commit()
    assert sorted(store.read("failures").column("stage").to_pylist()) == ["decode", "report"]
    batches = store.read("batches").to_pandas().set_index("batch_id")
    assert sorted(batches.index) == ["b1", "b2"] and batches.loc["b1", "failed_stages"] == "report"


# -- compact ---------------------------------------------------------------------------------------


def _reads(out: Path) -> dict:
    results = load_results(out, words=True)
    frames = {}
    for name in ("calls", "utterances", "behaviours", "failures", "batches"):
        frame = getattr(results, name)
        keys = [c for c in ("call_id", "utterance_index", "behaviour_id", "time_s", "batch_id", "file", "stage") if c in frame.columns]
        frame = frame.sort_values(keys).reset_index(drop=True)
        frames[name] = frame[sorted(frame.columns)].astype(str)
    return frames


def test_compact_changes_no_read_and_drops_superseded_rows(tmp_path):
    out = tmp_path / "r"
    run_batch(write_night(tmp_path / "n1", [transcript(f"c{i}", n=3) for i in range(5)]), out, config=CONFIG, report=False)
    run_batch(write_night(tmp_path / "n2", [transcript("c0", night=2, n=5), transcript("c7", night=2)]), out, config=CONFIG, report=False)
    run_batch(tmp_path / "n1", out, config=CONFIG, report=False, force=True)
    before, n_before = _reads(out), len(files(out))
    stored = ResultsStore(out).read("utterances", latest=False).num_rows
    from click.testing import CliRunner

    from analyzer.cli import cli

    result = CliRunner().invoke(cli, ["compact", str(out)])
    assert result.exit_code == 0, result.output
    assert "superseded row(s) dropped" in result.output
    after = _reads(out)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False)
    assert len(files(out)) < n_before
    assert ResultsStore(out).read("utterances", latest=False).num_rows == len(after["utterances"]) < stored
    assert ResultsStore(out).read("calls", latest=False).num_rows == 6
    again = analyzer.compact(out)  # nothing left to do
    assert again.partitions_rewritten == 0 and again.rows_dropped == 0
    # a night after compaction still wins over the compacted rows
    run_batch(write_night(tmp_path / "n3", [transcript("c1", night=3, n=1)]), out, config=CONFIG, report=False)
    check_each_call_once(out, ["c0", "c1", "c2", "c3", "c4", "c7"])


def test_an_interrupted_compact_is_read_correctly_and_finished_by_the_next(tmp_path, monkeypatch):
    out = tmp_path / "r"
    run_batch(write_night(tmp_path / "n1", [transcript(f"c{i}") for i in range(3)]), out, config=CONFIG, report=False)
    run_batch(tmp_path / "n1", out, config=CONFIG, report=False, force=True)
    before = _reads(out)
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):  # killed after the compacted file is in place, before the old ones go
        if self.suffix == ".parquet" and "batch_date=" in str(self):
            raise KeyboardInterrupt
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(KeyboardInterrupt):
        analyzer.compact(out)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    mid = _reads(out)  # the old files are still there, but named as replaced by the compacted one
    for name in before:
        pd.testing.assert_frame_equal(before[name], mid[name], check_dtype=False)
    analyzer.compact(out)
    after = _reads(out)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False)
    assert all(len(list(p.glob("*.parquet"))) == 1 for p in out.glob("*/batch_date=*"))


# -- crash safety: kill -9 -----------------------------------------------------------------------

CHILD = r"""
import json, os, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.test_store_layout import CONFIG
from analyzer.runner import run_batch

where, nth = sys.argv[4], int(sys.argv[5])
count = {"n": 0}

def hit(path):
    if where in str(path):
        count["n"] += 1
        if count["n"] == nth:
            os.kill(os.getpid(), 9)

real_replace, real_unlink = os.replace, Path.unlink
def replace(src, dst, *a, **k):
    hit(dst)
    return real_replace(src, dst, *a, **k)
def unlink(self, missing_ok=False):
    hit("unlink:" + str(self))
    return real_unlink(self, missing_ok=missing_ok)
os.replace = replace
Path.unlink = unlink
run_batch(sys.argv[2], sys.argv[3], config=CONFIG, aggregate=False, report=False)
print("not killed")
"""

KILL_POINTS = [
    ("/.staging/", 3),  # while staging the night's parts, before any commit
    ("/.staging/commit-", 1),  # writing the commit's manifest
    ("/utterances/batch_date=", 1),  # publishing: nothing of the part's calls published yet
    ("/calls/batch_date=", 1),  # publishing: utterances and behaviours in place, calls not yet
    ("/.staging/commit-", 2),  # every file published, the manifest not yet marked
    ("unlink:", 2),  # deleting the published staged parts
]


@pytest.mark.parametrize("where,nth", KILL_POINTS, ids=[f"{w.strip('/:')}-{n}" for w, n in KILL_POINTS])
def test_kill_9_anywhere_in_a_commit_then_rerun_stores_every_call_once(tmp_path, where, nth):
    out = tmp_path / "r"
    night1 = [transcript(f"c{i}", n=2 + i % 3) for i in range(5)]
    run_batch(write_night(tmp_path / "n1", night1), out, config=CONFIG, report=False)
    # night 2 reprocesses c0-c2 with new content and adds c5-c6; it is killed part-way
    night2 = [transcript(f"c{i}", night=2, n=1 + i % 4) for i in range(3)] + [transcript(f"c{i}", night=2) for i in (5, 6)]
    inp = write_night(tmp_path / "n2", night2)
    killed = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(inp), str(out), where, str(nth)], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, (killed.stdout, killed.stderr[-3000:])
    # a reader in between sees every call once, each with its own version's rows
    check_each_call_once(out, [f"c{i}" for i in range(5)] + [c for c in ("c5", "c6") if c in set(load_results(out).calls.call_id)])
    summary = run_batch(inp, out, config=CONFIG, report=False)
    assert summary.exit_code == 0, summary.line()
    results = check_each_call_once(out, [f"c{i}" for i in range(7)])
    texts = set(results.utterances.text)
    assert all(f"night 2 line 0 of c{i}" in texts for i in (0, 1, 2, 5, 6)) and "night 1 line 0 of c3" in texts
    assert not [p for p in (out / ".staging").iterdir() if p.is_file()]
    con = analyzer.connect_duckdb(out)
    assert con.sql("SELECT count(*), count(DISTINCT call_id) FROM calls").fetchall() == [(7, 7)]
    assert con.sql("SELECT count(*) FROM utterances").fetchall()[0][0] == len(results.utterances)


# -- schema drift ----------------------------------------------------------------------------------


def test_schema_drift_across_nights_never_jams_a_commit_a_read_or_compact(tmp_path):
    out = tmp_path / "r"
    values = [5, "north", 2.5, True, None, [1, 2]]
    for k, value in enumerate(values):
        run_batch(write_night(tmp_path / f"n{k}", [transcript(f"d{k}", region=value, csat=3)]), out, config=CONFIG, report=False)
    calls = load_results(out).calls.set_index("call_id")
    assert sorted(calls.index) == [f"d{k}" for k in range(len(values))]
    assert calls.loc["d1", "region"] == "north" and str(calls.loc["d0", "region"]) == "5" and calls.loc["d3", "region"] == "true"
    assert calls.csat.astype(float).tolist() == [3.0] * len(values)  # a declared column keeps its type
    con = analyzer.connect_duckdb(out)
    assert con.sql("SELECT count(*) FROM calls").fetchall()[0][0] == len(values)
    before = _reads(out)
    analyzer.compact(out)
    after = _reads(out)
    pd.testing.assert_frame_equal(before["calls"], after["calls"], check_dtype=False)


# -- the single-file layout of earlier versions ---------------------------------------------------


def _single_file_store(tmp_path) -> Path:
    """A results directory as analyzer wrote it before issue 13: one Parquet file per table."""
    new = tmp_path / "new"
    run_batch(write_night(tmp_path / "old-night", [transcript(f"o{i}", n=2 + i) for i in range(3)]), new, config=CONFIG, report=False)
    old = tmp_path / "old"
    old.mkdir()
    store = ResultsStore(new)
    for name in ("calls", "utterances", "behaviours", "failures", "batches"):
        table = store.read(name)
        if table is None:
            continue
        drop = ["version"] + (["batch_date"] if name not in ("calls", "batches") else [])
        pq.write_table(table.drop_columns([c for c in drop if c in table.column_names]), old / f"{name}.parquet")
    return old


def test_a_single_file_store_is_read_then_migrated_once(tmp_path, caplog):
    old = _single_file_store(tmp_path)
    with caplog.at_level("INFO", logger="analyzer"):
        check_each_call_once(old, ["o0", "o1", "o2"])
    assert "single-file layout" in caplog.text
    summary = run_batch(write_night(tmp_path / "n2", [transcript("o0", night=2), transcript("p1", night=2)]), old, config=CONFIG, report=False)
    assert summary.n_ok == 2
    assert not (old / "calls.parquet").exists() and (old / "single-file-layout-backup" / "calls.parquet").exists()
    results = check_each_call_once(old, ["o0", "o1", "o2", "p1"])
    assert "night 2 line 0 of o0" in set(results.utterances.text) and "night 1 line 3 of o2" in set(results.utterances.text)
    # the old night's calls keep their content and settings: a rerun of that night skips them
    # (but o0, which night 2 changed)
    again = run_batch(tmp_path / "old-night", old, config=CONFIG, report=False)
    assert again.n_skipped == 2 and again.n_ok == 1


def test_a_migration_killed_half_way_is_redone_by_the_next_run(tmp_path):
    old = _single_file_store(tmp_path)
    code = CHILD.replace("run_batch(sys.argv[2], sys.argv[3], config=CONFIG, aggregate=False, report=False)",
                         "from analyzer.store import ResultsStore; ResultsStore(sys.argv[3]).commit()")
    killed = subprocess.run([sys.executable, "-c", code, str(ROOT), "", str(old), "part-migrated", "3"], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-3000:]
    check_each_call_once(old, ["o0", "o1", "o2"])
    run_batch(write_night(tmp_path / "n2", [transcript("p1", night=2)]), old, config=CONFIG, report=False)
    check_each_call_once(old, ["o0", "o1", "o2", "p1"])
    assert not (old / "utterances.parquet").exists()


# -- readers ---------------------------------------------------------------------------------------


def test_load_results_selects_columns_words_and_a_window_of_dates(tmp_path):
    store = ResultsStore(tmp_path)

    def call(cid, **extra):
        return {"call_id": cid, "agent_id": "a", "input_sha256": "s", "settings_hash": "h", **extra}

    def utt(cid, text):
        return {"call_id": cid, "utterance_index": 0, "speaker": "agent", "start_s": 0.0, "end_s": 1.0, "text": text,
                "words": [{"start_s": 0.0, "end_s": 1.0, "text": text, "probability": 0.9}]}

    store.stage("20260101T010000-aaaaaa", {"calls": [call("c1"), call("c2")], "utterances": [utt("c1", "old"), utt("c2", "two")]})
    store.commit()
    store.stage("20260102T010000-bbbbbb", {"calls": [call("c1", settings_hash="new"), call("c3")], "utterances": [utt("c1", "new"), utt("c3", "three")]})
    store.commit()
    assert sorted(p.name for p in (tmp_path / "calls").iterdir()) == ["batch_date=2026-01-01", "batch_date=2026-01-02"]
    results = load_results(tmp_path)
    assert "words" not in results.utterances.columns and sorted(results.utterances.text) == ["new", "three", "two"]
    assert load_results(tmp_path, words=True).utterances.words.map(len).tolist() == [1, 1, 1]
    narrow = load_results(tmp_path, columns={"calls": ["call_id", "settings_hash"]}).calls
    assert list(narrow.columns) == ["call_id", "settings_hash"] and sorted(narrow.call_id) == ["c1", "c2", "c3"]
    first = load_results(tmp_path, until="2026-01-01")  # c1's latest version is of the 2nd: not in this window
    assert first.calls.call_id.tolist() == ["c2"] and first.utterances.text.tolist() == ["two"]
    second = load_results(tmp_path, since="2026-01-02")
    assert sorted(second.calls.call_id) == ["c1", "c3"] and sorted(second.utterances.text) == ["new", "three"]


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_the_readme_duckdb_and_pandas_one_liners_work(tmp_path, monkeypatch):
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "results"
    run_batch(write_night(tmp_path / "n1", [transcript("a", csat=4), transcript("b", agent_id="a2")]), out, config=CONFIG, report=False)
    run_batch(write_night(tmp_path / "n2", [transcript("a", night=2, n=3)]), out, config=CONFIG, report=False)
    monkeypatch.chdir(tmp_path)
    section = _readme_section("Results")
    sql = re.findall(r"```sql\n(.*?)```", section, re.S)
    assert sql, "the Results section shows DuckDB queries"
    con = duckdb.connect()
    for block in sql:
        for statement in [s for s in block.split(";") if s.strip()]:
            con.sql(statement).fetchall() if statement.strip().upper().startswith("SELECT") else con.execute(statement)
    assert con.sql("SELECT count(*) FROM calls").fetchall()[0][0] == 2
    assert con.sql("SELECT count(*) FROM utterances").fetchall()[0][0] == 3 + 2
    python = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace = {}
    for block in python:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own examples
    assert len(namespace["calls"]) == 2 and namespace["calls"].call_id.is_unique
    assert len(namespace["every_version"]) == 3
