"""Property-based fuzzing of whole batches (issue 10, item 10): generated transcript JSON and
metadata CSV, valid and broken (types, encodings, huge values, empty files, duplicated ids,
mixed UTC offsets, unicode), run as several nights into one results store.

Whatever the input: every input file ends as exactly one call row or one error row, nothing
escapes run_batch, earlier nights' rows are never lost, and the aggregate and the report are
written. Text models are off (their plumbing is tested elsewhere); the number of examples is
bounded for CI (ANALYZER_FUZZ_EXAMPLES raises it for a longer local hunt).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analyzer.config import AggregateOptions, AnalyzerConfig, BehaviourOptions, SentimentOptions
from analyzer.errors import InputError
from analyzer.ingest.transcripts import read_transcript
from analyzer.redaction import Redactor
from analyzer.redaction.calls import redact_call_id, redact_path
from analyzer.results import load_results
from analyzer.runner import run_batch

CONFIG = AnalyzerConfig(sentiment=SentimentOptions(enabled=False), behaviours=BehaviourOptions(enabled=False),
                        aggregate=AggregateOptions(n_boot=10, min_calls=2))
EXAMPLES = int(os.environ.get("ANALYZER_FUZZ_EXAMPLES", "30"))

CALL_IDS = ["c1", "c2", "c3", "c4", "ünï-çødé ☎", "c 5", "../../etc/passwd", "<b>x</b>", "0", "x" * 200, "4155550132"]  # the last: redacted
AGENT_IDS = ["a1", "a2", "a3", "agent ☺", "<script>a</script>", "42"]
STARTS = ["2026-03-07T10:00:00-05:00", "2026-03-09T10:00:00-04:00", "2026-03-09T15:00:00Z", "2026-03-09T10:00:00",
          "2026-03-09", "yesterday", "99999-01-01T00:00:00", "2026-02-30T10:00:00", ""]
ODD = st.sampled_from(["great", "5", "4.0", "yes", "maybe", "1e999", "-3", "NaN", "", "  ", "true", "0"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), ODD)
SECONDS = st.one_of(st.floats(min_value=0, max_value=600), st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(min_value=-5, max_value=10**20), st.just("1.5"), st.none())


@st.composite
def utterance(draw):
    start = draw(st.floats(min_value=0, max_value=500))
    speakers = ["agent", "customer"] * 10 + ["Caller", "REP", "robot", 5, None]
    item = {"speaker": draw(st.sampled_from(speakers)),
            "start": start, "end": start + draw(st.floats(min_value=0, max_value=40)),
            "text": draw(st.one_of(st.text(max_size=40), st.sampled_from(["Thank you for calling.", "My bill is wrong!", "<script>x</script>"])))}
    if draw(st.integers(0, 29)) == 0:  # a broken utterance
        item[draw(st.sampled_from(["start", "end", "text", "words", "confidence"]))] = draw(SCALARS | SECONDS)
    if draw(st.booleans()):
        item["words"] = [{"start": item["start"], "end": item["end"], "text": "w"}] if draw(st.booleans()) else draw(st.sampled_from([[1], "x", [{}]]))
    return item


@st.composite
def transcript_file(draw):
    """(name, bytes) of one transcript file."""
    kind = draw(st.sampled_from(["valid"] * 12 + ["empty", "broken", "list", "binary", "no_utterances"]))
    name = draw(st.sampled_from(["t1", "t2", "t3", "t4", "dup", "ü-file", "with space"])) + f"-{draw(st.integers(0, 3))}.json"
    if kind == "empty":
        return name, b""
    if kind == "broken":
        return name, b'{"call_id": "c1", "utterances": ['
    if kind == "binary":
        return name, bytes(draw(st.binary(min_size=1, max_size=40)))
    if kind == "list":
        return name, b"[1, 2, 3]"
    data = {}
    if draw(st.integers(0, 5)):
        data["call_id"] = draw(st.one_of(st.sampled_from(CALL_IDS), st.sampled_from(CALL_IDS), st.sampled_from(CALL_IDS), st.integers(0, 3),
                                         st.just(["a", "list"]), st.none()))
    if draw(st.integers(0, 6)):
        data["agent_id"] = draw(st.one_of(st.sampled_from(AGENT_IDS), st.sampled_from(AGENT_IDS), st.sampled_from(AGENT_IDS), st.integers(0, 3),
                                          st.booleans(), st.none()))
    if draw(st.booleans()):
        data["started_at"] = draw(st.one_of(st.sampled_from(STARTS), st.integers(), st.none()))
    if kind == "valid":
        data["utterances"] = draw(st.lists(utterance(), max_size=6))
    if draw(st.booleans()):
        data["duration"] = draw(SECONDS)
    extras = draw(st.dictionaries(st.sampled_from(["csat", "handle_seconds", "hold_seconds", "acw_seconds", "queue", "transferred", "fcr",
                                                   "region", "score", "", "notes"]), SCALARS | st.lists(st.integers(), max_size=2), max_size=4))
    data.update(extras)
    encoding = draw(st.sampled_from(["utf-8"] * 5 + ["utf-16", "utf-8-sig", "latin-1"]))
    text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    return name, text.encode(encoding, errors="replace")


@st.composite
def metadata_file(draw, call_ids):
    """bytes of one metadata CSV (or None: no metadata that night)."""
    kind = draw(st.sampled_from(["rows"] * 5 + ["none", "empty", "header_only", "no_call_id"]))
    if kind == "none":
        return None
    if kind == "empty":
        return b""
    columns = ["call_id", "agent_id", "csat", "handle_seconds", "started_at", "queue", "transferred", "region"]
    if kind == "no_call_id":
        columns = columns[1:]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    if kind != "header_only":
        for _ in range(draw(st.integers(0, 6))):
            row = {"call_id": draw(st.sampled_from(call_ids + ["not-a-call", ""])), "agent_id": draw(st.sampled_from(AGENT_IDS + [""])),
                   "csat": draw(ODD | st.sampled_from(["1", "3", "5", "7"])), "handle_seconds": draw(st.sampled_from(["300", "-1", "1e400", "", "abc"])),
                   "started_at": draw(st.sampled_from(STARTS)), "queue": draw(st.text(max_size=8)), "transferred": draw(ODD),
                   "region": draw(st.one_of(st.text(max_size=6), st.integers().map(str)))}
            writer.writerow([row[c] for c in columns])
    return out.getvalue().encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])), errors="replace")


night = st.tuples(st.lists(transcript_file(), min_size=1, max_size=5), st.data())


REDACTOR = Redactor()


def expected(path: Path, digest: str):
    """The call_id the file would be stored under (redacted where something is found in it), or
    None when the file itself is invalid."""
    try:
        return redact_call_id(read_transcript(path).call_id, REDACTOR, digest)
    except InputError:
        return None


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(nights=st.lists(night, min_size=1, max_size=3))
def test_batches_of_hostile_input_never_lose_or_duplicate_anything(nights):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = root / "results"
        before_calls, before_failures = set(), {}
        for k, (files, data) in enumerate(nights):
            folder = root / f"night{k}"
            folder.mkdir()
            paths = []
            for name, content in files:
                path = folder / name
                if path.exists():
                    continue
                path.write_bytes(content)
                paths.append(path)
            meta_bytes = data.draw(metadata_file(CALL_IDS[:4]))
            metadata = None
            if meta_bytes is not None:
                metadata = root / f"calls-{k}.csv"
                metadata.write_bytes(meta_bytes)

            summary = run_batch(folder, out, metadata=metadata, config=CONFIG)  # must not raise

            assert summary.exit_code in (0, 1, 3)
            event(f"exit code {summary.exit_code}; calls ok {min(summary.n_ok, 3)}{'+' if summary.n_ok >= 3 else ''}")
            results = load_results(out)
            calls, failures = results.calls, results.failures
            assert calls.empty or calls.call_id.is_unique
            errors = failures[(failures.batch_id == summary.batch_id) & (failures.severity == "error")] if len(failures) else failures
            for path in paths:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                call_id = expected(path, digest)
                stored = 0 if calls.empty else int(((calls.call_id == call_id) & (calls.input_sha256 == digest)).sum())
                failed = 0 if errors.empty else int((errors.file == redact_path(str(path), REDACTOR)).sum())
                assert stored + failed == 1, (path.name, path.read_bytes()[:200], stored, failed, list(errors.reason))
            # earlier nights' rows are never lost
            now_calls = set(calls.call_id) if len(calls) else set()
            assert before_calls <= now_calls
            for batch_id, n in before_failures.items():
                assert int((failures.batch_id == batch_id).sum()) == n
            before_calls = now_calls
            before_failures = failures.groupby("batch_id").size().to_dict() if len(failures) else {}
            assert len(results.batches) == k + 1 and results.batches.batch_id.is_unique
            # the batch stages ran, and the report is there
            assert not getattr(summary, "failed_stages", ()), [f.reason for f in summary.failures if f.stage in ("aggregate", "report")]
            if now_calls:
                assert (out / "report" / "index.html").exists()
                assert (out / "variability.json").exists()
            assert not [p for p in (out / ".staging").iterdir() if p.is_file()] if (out / ".staging").exists() else True
            assert not [p for p in out.iterdir() if p.name.endswith((".tmp", ".old"))]
