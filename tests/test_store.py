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
    assert not [p for p in store.staging.iterdir() if p.is_file()]


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


def test_commit_is_idempotent_after_a_crash(tmp_path, monkeypatch):
    """A commit that dies after publishing but before deleting the staged parts: the next commit
    finishes it from its manifest and publishes nothing twice."""
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1")], "utterances": [utt("c1", 0)]})
    real = ResultsStore._apply

    def dies_after_publishing(self, path, manifest, schemas=None):
        for target in manifest["targets"]:
            self._publish(target, schemas or {})
        raise KeyboardInterrupt  # before the manifest is marked published and the parts deleted

    monkeypatch.setattr(ResultsStore, "_apply", dies_after_publishing)
    with pytest.raises(KeyboardInterrupt):
        store.commit()
    monkeypatch.setattr(ResultsStore, "_apply", real)
    assert list(store.staging.glob("commit-*.json")) and list(store.staging.glob("*.arrow"))
    ResultsStore(tmp_path).commit()
    assert len(store.read("calls")) == 1 and len(store.read("utterances")) == 1
    assert len(store.read("calls", latest=False)) == 1 and len(store.read("utterances", latest=False)) == 1
    assert not [p for p in store.staging.iterdir() if p.is_file()]


def test_lock_refuses_a_second_writer_even_while_the_lock_file_is_empty(tmp_path):
    """An OS-level lock: a holder that has not written anything into the lock file yet still
    holds it (a pid-in-file lock let a reader take an empty file for stale and remove it)."""
    from filelock import FileLock

    holder = FileLock(str(tmp_path / ".lock"))
    holder.acquire()
    try:
        assert (tmp_path / ".lock").read_text() == ""
        with pytest.raises(StoreLockedError, match="in use"):
            ResultsStore(tmp_path).lock()
        assert (tmp_path / ".lock").exists()
    finally:
        holder.release()
    store = ResultsStore(tmp_path)
    store.lock()
    with pytest.raises(StoreLockedError, match="in use"):
        ResultsStore(tmp_path).lock()
    store.unlock()
    ResultsStore(tmp_path).lock()


def test_lock_of_a_killed_process_is_taken_over(tmp_path):
    import subprocess
    import sys

    code = ("import os, sys; from analyzer.store import ResultsStore; ResultsStore(sys.argv[1]).lock(); "
            "os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
    store = ResultsStore(tmp_path)
    store.lock()  # the dead process's lock went with it
    store.unlock()


def test_commit_survives_a_column_whose_type_drifts_between_parts(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1", region=5, flag=True)]})
    store.commit()
    store.stage("b2", {"calls": [call("c2", region="north", flag="maybe")]})
    store.stage("b2", {"calls": [call("c3", region=2.5, flag=None)]})
    store.commit()
    calls = store.read("calls").to_pandas().set_index("call_id")
    assert sorted(calls.index) == ["c1", "c2", "c3"]
    assert calls.loc["c2", "region"] == "north" and calls.loc["c1", "region"] == "5"
    assert not [p for p in store.staging.iterdir() if p.is_file()]


def test_rows_with_mixed_types_in_one_column_still_stage(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1", region=5), call("c2", region="north"), call("c3", region=[1, 2])]})
    store.commit()
    assert sorted(store.read("calls").column("call_id").to_pylist()) == ["c1", "c2", "c3"]


def test_reprocessed_call_drops_rows_it_no_longer_has(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1")], "behaviours": [{"call_id": "c1", "behaviour_id": "apology", "score": 0.9}]})
    store.commit()
    store.stage("b2", {"calls": [call("c1", settings="new")], "behaviours": []})  # no behaviours now
    store.commit()
    assert len(store.read("behaviours")) == 0


def test_recommitting_the_same_batch_does_not_duplicate_failures(tmp_path, monkeypatch):
    store = ResultsStore(tmp_path)
    row = {"batch_id": "b1", "file": "x", "stage": "decode", "reason": "bad"}
    store.stage("b1", {"failures": [row], "batches": [{"batch_id": "b1", "n_ok": 1}]})
    real_unlink = type(tmp_path).unlink

    def unlink(self, missing_ok=False):  # a crash once the manifest says published, before the parts go
        if self.suffix == ".arrow" and self.parent.name == ".staging":
            raise KeyboardInterrupt
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(type(tmp_path), "unlink", unlink)
    with pytest.raises(KeyboardInterrupt):
        store.commit()
    monkeypatch.setattr(type(tmp_path), "unlink", real_unlink)
    store.commit()
    assert len(store.read("failures", latest=False)) == 1 and len(store.read("batches", latest=False)) == 1


def test_an_unreadable_staged_part_is_moved_aside_not_a_jam(tmp_path):
    store = ResultsStore(tmp_path)
    store.stage("b1", {"calls": [call("c1")]})
    store.staging.joinpath("b0-000001.calls.parquet").write_bytes(b"PAR1 not really parquet")
    assert store.commit() == 1
    assert store.read("calls").column("call_id").to_pylist() == ["c1"]
    assert (store.staging / "unreadable" / "b0-000001.calls.parquet").exists()
    store.stage("b2", {"calls": [call("c2")]})
    store.commit()
    assert sorted(store.read("calls").column("call_id").to_pylist()) == ["c1", "c2"]
