import os

import pyarrow.parquet as pq
import pytest

from analyzer.store import ResultsStore, StoreLockedError


def call(call_id, sha="s", settings="h", **extra):
    return {"call_id": call_id, "agent_id": "a", "input_sha256": sha, "settings_hash": settings, **extra}


def utt(call_id, i, text="hi"):
    return {"call_id": call_id, "utterance_index": i, "speaker": "agent", "start_s": float(i), "end_s": i + 0.5, "text": text, "words": [], "asr_confidence": None}


def test_commit_replaces_calls_by_id_and_appends_failures(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1"), call("c2")], "utterances": [utt("c1", 0), utt("c1", 1), utt("c2", 0)],
                       "failures": [{"batch_id": "b1", "file": "x", "stage": "decode", "reason": "bad"}]})
    assert store.commit() == 3
    store.stage("b2", {"calls": [call("c1", settings="h2", region="north")], "utterances": [utt("c1", 0, "new")],
                       "failures": [{"batch_id": "b2", "file": "y", "stage": "decode", "reason": "bad"}]})
    store.commit()
    calls = store.read("calls").to_pandas().set_index("call_id")
    assert sorted(calls.index) == ["c1", "c2"]
    assert calls.loc["c1", "settings_hash"] == "h2" and calls.loc["c1", "region"] == "north"
    utts = store.read("utterances").to_pandas()
    assert sorted(utts[utts.call_id == "c1"].text) == ["new"] and (utts.call_id == "c2").sum() == 1
    assert len(store.read("failures")) == 2
    assert not list(store.staging.glob("*.parquet"))


def test_later_part_wins_within_one_commit(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1", settings="old")], "utterances": [utt("c1", 0, "old")]})
    store.stage("b1", {"calls": [call("c1", settings="new")], "utterances": [utt("c1", 0, "new")]})
    store.commit()
    assert store.read("calls").column("settings_hash").to_pylist() == ["new"]
    assert store.read("utterances").column("text").to_pylist() == ["new"]


def test_done_keys_include_staged_parts(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1", "sha1", "h1")]})
    assert ("c1", "sha1", "h1") in store.done_keys()
    store.commit()
    assert store.done_keys() == {("c1", "sha1", "h1")} and store.stored_call_ids() == {"c1"}


def test_commit_is_idempotent_after_a_crash(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1")], "utterances": [utt("c1", 0)]})
    parts = sorted(store.staging.glob("*.parquet"))
    store.commit()
    # simulate a crash after tables were replaced but before parts were deleted
    for part in parts:
        table = pq.read_table(store.path("calls") if part.name.endswith("calls.parquet") else store.path("utterances"))
        pq.write_table(table, part)
    store.commit()
    assert len(store.read("calls")) == 1 and len(store.read("utterances")) == 1


def test_lock_refuses_a_second_live_writer_and_takes_over_stale(tmp_path):
    store = ResultsStore(tmp_path)
    store.lock()
    (tmp_path / ".lock").write_text(str(os.getppid()))  # a live process that is not us
    with pytest.raises(StoreLockedError, match="in use"):
        ResultsStore(tmp_path).lock()
    (tmp_path / ".lock").write_text("999999999")  # dead pid
    other = ResultsStore(tmp_path)
    other.lock()
    other.unlock()
    assert not (tmp_path / ".lock").exists()


def test_reprocessed_call_drops_rows_it_no_longer_has(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1")], "behaviours": [{"call_id": "c1", "behaviour_id": "apology", "score": 0.9}]})
    store.commit()
    store.stage("b2", {"calls": [call("c1", settings="new")], "behaviours": []})  # no behaviours now
    store.commit()
    assert len(store.read("behaviours")) == 0


def test_recommitting_the_same_batch_does_not_duplicate_failures(tmp_path):
    store = ResultsStore(tmp_path)
    row = {"batch_id": "b1", "file": "x", "stage": "decode", "reason": "bad"}
    store.stage("b1", {"failures": [row], "batches": [{"batch_id": "b1", "n_ok": 1}]})
    parts = sorted(store.staging.glob("*.parquet"))
    saved = {p: p.read_bytes() for p in parts}
    store.commit()
    for p, data in saved.items():  # a crash after writing tables but before deleting the parts
        p.write_bytes(data)
    store.commit()
    assert len(store.read("failures")) == 1 and len(store.read("batches")) == 1
