"""The batch runner: finds inputs, joins metadata, skips finished calls, schedules
:func:`analyzer.pipeline.process_call`, and records every failure without stopping.

It owns no analysis logic; a distributed runner would replace this module only.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union

from .config import AnalyzerConfig
from .errors import InputError
from .ingest.audio import load_call_audio
from .ingest.discover import InputFile, file_sha256, find_inputs
from .ingest.metadata import EMPTY_METADATA, Metadata, read_metadata
from .ingest.transcripts import TranscriptFile, read_transcript
from .pipeline import Models, call_settings_hash, load_models, process_call
from .records import BatchSummary, CallInfo, CallResult, Failure
from .store import ResultsStore
from .tables import behaviour_rows, call_row, failure_rows, utterance_rows

log = logging.getLogger("analyzer")


@dataclass(frozen=True)
class Progress:
    """One step of a batch, sent to the ``progress`` callback.

    event: ``"start"`` (total known), ``"done"``, ``"failed"``, ``"skipped"`` or ``"end"``.
    """

    event: str
    done: int
    total: int
    call_id: Optional[str] = None
    audio_s: float = 0.0


ProgressHook = Callable[[Progress], None]


@dataclass(frozen=True)
class PlannedCall:
    """A call that will be processed: its identity and where its content comes from."""

    info: CallInfo
    input: InputFile
    transcript: Optional[TranscriptFile] = None


def new_batch_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def plan_batch(
    inputs: Sequence[InputFile],
    metadata: Metadata,
    stored_call_ids: Iterable[str] = (),
) -> tuple[List[PlannedCall], List[Failure]]:
    """Turn found files + metadata into calls to process and failures. Pure apart from reading
    the input files (to hash them and parse transcripts)."""
    planned: List[PlannedCall] = []
    failures: List[Failure] = []
    seen: Dict[str, str] = {}
    for item in inputs:
        transcript = None
        try:
            digest = file_sha256(item.path)
        except OSError as exc:
            failures.append(Failure(item.path, "discover", f"cannot read file ({exc.strerror})"))
            continue
        if item.kind == "transcript":
            try:
                transcript = read_transcript(item.path)
            except InputError as exc:
                failures.append(Failure(item.path, exc.stage, exc.reason, exc.call_id))
                continue
            call_id = transcript.call_id
        else:
            call_id = Path(item.path).stem
        if call_id in seen:
            failures.append(Failure(item.path, "discover", f"duplicate call_id {call_id!r}: already taken by {seen[call_id]}", call_id))
            continue
        seen[call_id] = item.path
        meta = dict(metadata.get(call_id))
        agent_id = meta.pop("agent_id", None) or (transcript.agent_id if transcript else None)
        if transcript and transcript.agent_id and meta.get("agent_id") not in (None, transcript.agent_id):
            log.warning("%s: agent_id differs between transcript and metadata; using metadata", item.path)
        if not agent_id:
            failures.append(
                Failure(item.path, "metadata", "no agent_id: add the call to the metadata with an agent_id, or an agent_id field to its transcript", call_id)
            )
            continue
        started_at = meta.pop("started_at", None) or (transcript.started_at if transcript else None)
        extra = dict(transcript.extra) if transcript else {}
        extra.update(meta)
        info = CallInfo(call_id, str(agent_id), item.path, item.kind, digest, started_at, extra)
        planned.append(PlannedCall(info, item, transcript))
    stored = set(stored_call_ids)
    for call_id in metadata.rows:
        if call_id not in seen and call_id not in stored:
            failures.append(Failure(metadata.source, "metadata", f"metadata row for call {call_id!r} has no recording or transcript in the inputs", call_id))
    return planned, failures


def run_batch(
    inputs: Union[str, Path, Sequence[Union[str, Path]]],
    out: Union[str, Path],
    metadata: Union[str, Path, Metadata, None] = None,
    config: Optional[AnalyzerConfig] = None,
    models: Optional[Models] = None,
    progress: Optional[ProgressHook] = None,
    force: bool = False,
    aggregate: bool = True,
    report: bool = True,
) -> BatchSummary:
    """Process every call under ``inputs`` into the results store at ``out``.

    ``models`` may be passed to reuse already-loaded models (notebooks, tests); otherwise they
    are loaded once if any call needs them. Calls already stored with the same content and
    settings are skipped unless ``force``. With ``aggregate`` the variability outputs (agents,
    coaching, variability.json) are recomputed over every stored call at the end, and with
    ``report`` the HTML report is rewritten. Returns a
    :class:`BatchSummary`; per-call problems are in its ``failures`` and in ``failures.parquet``,
    never raised.
    """
    config = config or AnalyzerConfig()
    if models is not None:  # the results (and their settings hash) must say what actually ran
        if models.sentiment is None and config.sentiment.enabled:
            config = dataclasses.replace(config, sentiment=dataclasses.replace(config.sentiment, enabled=False))
        if models.behaviours is None and config.behaviours.enabled:
            config = dataclasses.replace(config, behaviours=dataclasses.replace(config.behaviours, enabled=False))
    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    store = ResultsStore(Path(out))
    store.lock()
    handler = _file_log(store.log_path)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    batch_id = new_batch_id(now)
    try:
        log.info("batch %s: inputs %s -> %s", batch_id, ", ".join(map(str, paths)), store.root)
        recovered = store.commit()
        if recovered:
            log.info("merged %d staged part(s) left by an interrupted run", recovered)
        found, missing = find_inputs(paths)
        failures: List[Failure] = [Failure(p, "discover", "path does not exist") for p in missing]
        meta = _metadata(metadata, failures)
        planned, plan_failures = plan_batch(found, meta, store.stored_call_ids())
        failures.extend(plan_failures)
        done_keys = set() if force else store.done_keys()
        settings = {kind: call_settings_hash(config, kind) for kind in {p.info.source_kind for p in planned}}
        pending = [p for p in planned if (p.info.call_id, p.info.input_sha256, settings[p.info.source_kind]) not in done_keys]
        n_skipped = len(planned) - len(pending)
        log.info("%d input file(s), %d call(s) to process, %d already done", len(found), len(pending), n_skipped)
        if models is None:
            models = load_models(config, need_asr=any(p.info.source_kind == "audio" for p in pending))
        n_ok, audio_s = _process_all(pending, models, config, settings, store, batch_id, now, failures, progress, n_skipped)
        wall = time.perf_counter() - started
        n_failed = sum(1 for f in failures if f.severity == "error")
        summary = BatchSummary(batch_id, str(store.root), len(found), n_ok, n_skipped, n_failed, audio_s, wall, tuple(failures))
        store.stage(batch_id, {"failures": failure_rows(failures, batch_id, _iso(now)), "batches": [_batch_row(summary, now, config)]})
        store.commit()
        for failure in failures:
            log.warning("%s [%s] %s: %s", failure.severity, failure.stage, failure.file, failure.reason)
        if aggregate and (n_ok or n_skipped):
            _aggregate(store, config)
        if report and (n_ok or n_skipped):
            _report(store)
        log.info(summary.line())
        return summary
    finally:
        logging.getLogger("analyzer").removeHandler(handler)
        handler.close()
        store.unlock()


def _process_all(
    pending: List[PlannedCall],
    models: Models,
    config: AnalyzerConfig,
    settings: Dict[str, str],
    store: ResultsStore,
    batch_id: str,
    now: datetime,
    failures: List[Failure],
    progress: Optional[ProgressHook],
    n_skipped: int,
) -> tuple[int, float]:
    total = len(pending) + n_skipped
    emit = progress or (lambda event: None)
    emit(Progress("start", n_skipped, total))
    buffer: Dict[str, list] = {"calls": [], "utterances": [], "behaviours": []}
    n_ok, audio_s, done = 0, 0.0, n_skipped
    batch_date = now.date().isoformat()

    def flush() -> None:
        if buffer["calls"]:
            store.stage(batch_id, buffer)
            for rows in buffer.values():
                rows.clear()

    # decode the next call while the current one is transcribed (I/O and FFmpeg overlap the model)
    with ThreadPoolExecutor(max_workers=1) as loader:
        futures = [loader.submit(_load_source, pending[0], config)] if pending else []
        try:
            for i, call in enumerate(pending):
                if i + 1 < len(pending):
                    futures.append(loader.submit(_load_source, pending[i + 1], config))
                stage = "decode" if call.info.source_kind == "audio" else "transcript"
                try:
                    source, decode_s = futures[i].result()
                    futures[i] = None
                    stage = "transcribe" if call.info.source_kind == "audio" else "analyze"
                    result = process_call(call.info, source, models, config, settings[call.info.source_kind])
                    if decode_s:
                        result = _with_stage(result, "decode", decode_s)
                except InputError as exc:
                    failures.append(Failure(exc.file, exc.stage, exc.reason, call.info.call_id))
                    done += 1
                    emit(Progress("failed", done, total, call.info.call_id))
                    continue
                except Exception as exc:  # one bad call must never stop the batch
                    log.exception("%s: %s failed", call.input.path, stage)
                    failures.append(Failure(call.input.path, stage, f"{type(exc).__name__}: {exc}", call.info.call_id))
                    done += 1
                    emit(Progress("failed", done, total, call.info.call_id))
                    continue
                stamp = _iso(datetime.now(timezone.utc))
                buffer["calls"].append(call_row(result, batch_id, batch_date, stamp))
                buffer["utterances"].extend(utterance_rows(result))
                buffer["behaviours"].extend(behaviour_rows(result))
                n_ok += 1
                done += 1
                if call.info.source_kind == "audio":
                    audio_s += result.transcript.duration_s
                emit(Progress("done", done, total, call.info.call_id, result.transcript.duration_s))
                log.info("done %s (%.1f s call, processed in %.1f s)", call.info.call_id, result.transcript.duration_s, result.processing_s)
                if len(buffer["calls"]) >= config.run.flush_every:
                    flush()
        finally:
            flush()  # also on interrupt: what finished is kept for the next run
    emit(Progress("end", done, total))
    return n_ok, audio_s


def _aggregate(store: ResultsStore, config: AnalyzerConfig) -> None:
    """Recompute the variability outputs over everything stored; a problem there is logged and
    never fails the batch (the per-call results are already safe)."""
    from .errors import AnalyzerError
    from .variability.aggregate import aggregate

    try:
        aggregate(store.root, config.aggregate)
    except AnalyzerError as exc:
        log.warning("aggregation skipped: %s", exc)
    except Exception:  # noqa: BLE001 - the batch's results must survive any aggregation bug
        log.exception("aggregation failed")


def _report(store: ResultsStore) -> None:
    """Rewrite the HTML report; a problem there is logged and never fails the batch."""
    from .report.writer import write_report

    try:
        write_report(store.root)
    except Exception:  # noqa: BLE001 - the batch's results must survive any report bug
        log.exception("report failed")


def _load_source(call: PlannedCall, config: AnalyzerConfig):
    """Decode audio (or take the parsed transcript). Runs in the loader thread."""
    if call.transcript is not None:
        return call.transcript.transcript, 0.0
    t0 = time.perf_counter()
    audio = load_call_audio(call.input.path, config.audio.agent_channel)
    return audio, time.perf_counter() - t0


def _with_stage(result: CallResult, stage: str, seconds: float) -> CallResult:
    from dataclasses import replace

    return replace(result, stage_seconds={**result.stage_seconds, stage: seconds}, processing_s=result.processing_s + seconds)


def _metadata(metadata: Union[str, Path, Metadata, None], failures: List[Failure]) -> Metadata:
    if metadata is None:
        return EMPTY_METADATA
    if isinstance(metadata, Metadata):
        meta = metadata
    else:
        try:
            meta = read_metadata(metadata)
        except InputError as exc:
            failures.append(Failure(exc.file, exc.stage, exc.reason))
            return EMPTY_METADATA
    failures.extend(meta.problems)
    return meta


def _batch_row(summary: BatchSummary, now: datetime, config: AnalyzerConfig) -> dict:
    import json

    return {
        "batch_id": summary.batch_id,
        "started_at": _iso(now),
        "batch_date": now.date().isoformat(),
        "n_inputs": summary.n_inputs,
        "n_ok": summary.n_ok,
        "n_skipped": summary.n_skipped,
        "n_failed": summary.n_failed,
        "audio_s": round(summary.audio_s, 3),
        "wall_s": round(summary.wall_s, 3),
        "config": json.dumps(dataclasses.asdict(config), default=str),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _file_log(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("analyzer")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler
