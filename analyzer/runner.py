"""The batch runner: finds inputs, joins metadata, skips finished calls, schedules
:func:`analyzer.pipeline.process_call`, and records every failure without stopping.

It owns no analysis logic. Engines differ only in where :func:`process_group` runs: here
(local) or on Ray workers (:mod:`analyzer.ray_runner`); planning, the skip check, staging,
the commit, aggregate and report are this module's, whatever the engine.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from .config import AnalyzerConfig, RayOptions
from .errors import ConfigError, InputError
from .ingest.audio import load_call_audio, write_redacted_copy
from .ingest.discover import InputFile, file_sha256, find_inputs
from .ingest.metadata import EMPTY_METADATA, Metadata, read_metadata
from .ingest.transcripts import TranscriptFile, read_transcript
from .pipeline import Models, call_settings_hash, load_models, needs_text, process_call, transcribe_calls
from .records import BatchSummary, CallInfo, CallResult, Failure, StereoAudio, Transcript
from .redaction import RedactingLogFilter, Redactor
from .redaction.calls import is_stored, redact_call_id, redact_call_info, redact_failures, redacted_id_prefix
from .store import ResultsStore
from .tables import behaviour_rows, call_row, failure_rows, utterance_rows

log = logging.getLogger("analyzer")

#: at most this much call audio (seconds) is transcribed together in one group (and held in memory)
GROUP_AUDIO_S = 3600.0


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
#: called with the name of each phase a batch enters: ``plan`` (finish an interrupted commit,
#: find inputs, read the metadata, plan, the skip check), ``models``, ``process`` (the calls,
#: staged as they finish), ``commit``, ``aggregate``, ``report``, and ``finished`` at the end
PhaseHook = Callable[[str], None]


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
    stored_call_ids: Union[Iterable[str], Callable[[List[str], List[str]], Iterable[str]]] = (),
    redactor: Optional[Redactor] = None,
) -> tuple[List[PlannedCall], List[Failure]]:
    """Turn found files + metadata into calls to process and failures. Pure apart from reading
    the input files (to hash them and parse transcripts).

    ``stored_call_ids``: the ids already stored, or a function ``(call_ids, prefixes) -> ids``
    returning those stored among ``call_ids`` or starting with one of ``prefixes`` (what
    :meth:`analyzer.store.ResultsStore.stored_call_ids` does), so a metadata row without a file is
    checked against the store without reading every stored id.

    Metadata is joined on the call ids as the files and the export name them; then each call's
    identity is redacted (``redactor``, default ``Redactor()``: on): a call id in which something
    is found becomes a pseudonym (see :func:`analyzer.redaction.calls.redact_call_id`), the source
    path and metadata values are redacted, and so are the failures' files, call ids and reasons.
    """
    redactor = redactor if redactor is not None else Redactor()
    planned: List[PlannedCall] = []
    failures: List[Failure] = []
    seen: Dict[str, str] = {}
    shown: Dict[str, str] = {}  # stored call id -> the file that has it
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
            except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the batch
                log.exception("%s: reading the transcript failed", item.path)
                failures.append(Failure(item.path, "transcript", f"cannot read transcript ({type(exc).__name__}: {exc})"))
                continue
            call_id = transcript.call_id
        else:
            call_id = Path(item.path).stem
        if call_id in seen:
            failures.append(Failure(item.path, "discover", f"duplicate call_id {call_id!r}: already taken by {seen[call_id]}", call_id))
            continue
        seen[call_id] = item.path
        stored_id = redact_call_id(call_id, redactor, digest)  # the id as stored (a pseudonym where needed)
        if transcript is not None:
            failures.extend(dataclasses.replace(f, call_id=stored_id) if f.call_id == call_id else f for f in transcript.problems)
        meta = dict(metadata.get(call_id))
        meta_agent = meta.pop("agent_id", None)
        if transcript and transcript.agent_id and meta_agent not in (None, transcript.agent_id):
            failures.append(Failure(item.path, "metadata", f"agent_id {transcript.agent_id!r} in the transcript differs from {meta_agent!r} "
                                    f"in the metadata ({metadata.source}); the metadata's is used", stored_id, "warning"))
        agent_id = meta_agent or (transcript.agent_id if transcript else None)
        if not agent_id:
            failures.append(
                Failure(item.path, "metadata", "no agent_id: add the call to the metadata with an agent_id, or an agent_id field to its transcript", stored_id)
            )
            continue
        started_at = meta.pop("started_at", None) or (transcript.started_at if transcript else None)
        extra = dict(transcript.extra) if transcript else {}
        extra.update(meta)
        info = redact_call_info(CallInfo(call_id, str(agent_id), item.path, item.kind, digest, started_at, extra), redactor)
        if info.call_id in shown:  # two ids that differ only in what was redacted, same content
            failures.append(Failure(item.path, "discover", f"duplicate call_id {info.call_id!r}: already taken by {shown[info.call_id]}", info.call_id))
            continue
        shown[info.call_id] = item.path
        planned.append(PlannedCall(info, item, transcript))
    if callable(stored_call_ids):
        unseen = [call_id for call_id in metadata.rows if call_id not in seen]
        prefixes = [p for p in (redacted_id_prefix(call_id, redactor) for call_id in unseen) if p]
        stored = set(stored_call_ids(unseen, prefixes)) if unseen else set()
    else:
        stored = set(stored_call_ids)
    for call_id in metadata.rows:
        if call_id not in seen and not is_stored(call_id, stored, redactor):
            failures.append(Failure(metadata.source, "metadata", f"metadata row for call {call_id!r} has no recording or transcript in the inputs", call_id))
    return planned, list(redact_failures(failures, redactor))


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
    redactor: Optional[Redactor] = None,
    phase_hook: Optional[PhaseHook] = None,
    engine: Union[str, RayOptions, None] = None,
) -> BatchSummary:
    """Process every call under ``inputs`` into the results store at ``out``.

    ``models`` may be passed to reuse already-loaded models (notebooks, tests); otherwise they
    are loaded once if any call needs them. Calls already stored with the same content and
    settings are skipped unless ``force``. With ``aggregate`` the variability outputs (agents,
    coaching, variability.json) are recomputed over every stored call at the end, and with
    ``report`` the HTML report is rewritten. Returns a
    :class:`BatchSummary`; per-call problems are in its ``failures`` and in the ``failures`` table,
    never raised. ``phase_hook`` is called with the name of each phase the batch enters (see
    :data:`PhaseHook`); each phase's seconds are logged at the end.

    The store (``analyzer.store``) only grows: finished calls are staged every ``flush_every``
    calls, and the night's parts are published as new files by one commit; the skip check reads
    the calls' keys only, for this night's call ids.

    Redaction (``config.redaction``, on by default) happens before anything is stored or
    logged: one :class:`~analyzer.redaction.Redactor` per batch (``redactor`` may be passed to
    reuse one; its options then replace ``config.redaction``) redacts each transcript, the call
    ids, paths and metadata values, the failures, and every line of ``analyzer.log``. With
    ``config.redaction.audio_dir`` a redacted copy of each recording is written there.

    ``engine``: where the calls are processed. ``None`` or ``"local"``: in this process (a
    loader thread decodes ahead). ``"ray"`` (with the options of ``config.ray``, the config file's
    ``[ray]`` table) or a :class:`~analyzer.config.RayOptions`: on a Ray cluster (``analyzer.ray_runner``; ``pip install 'analyzer[ray]'``), the same groups through
    the same :func:`process_group` on worker actors that load the models once each; this process
    plans, stages and commits exactly as with the local engine, so the tables are the same.
    ``models`` are then sent to the workers (they must pickle); by default each worker loads them
    from ``config``.
    """
    config = config or AnalyzerConfig()
    ray_options = _ray_options(engine, config)
    if redactor is not None:  # the results (and their settings hash) must say what actually ran
        config = dataclasses.replace(config, redaction=redactor.options)
    else:
        redactor = Redactor(config.redaction)
    if models is not None:  # the results (and their settings hash) must say what actually ran
        if models.text is None and needs_text(config):
            config = dataclasses.replace(
                config,
                sentiment=dataclasses.replace(config.sentiment, enabled=False),
                behaviours=dataclasses.replace(config.behaviours, enabled=False),
            )
    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    store = ResultsStore(Path(out))
    store.lock()
    handler = _file_log(store.log_path, redactor)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    batch_id = new_batch_id(now)
    phases = _Phases(phase_hook)
    try:
        log.info("batch %s: inputs %s -> %s", batch_id, ", ".join(map(str, paths)), store.root)
        phases.enter("plan")
        recovered = store.commit()
        if recovered:
            log.info("merged %d staged part(s) left by an interrupted run", recovered)
        found, missing = find_inputs(paths)
        if config.redaction.audio_dir:  # redacted copies written inside an input folder are not new calls
            copies = Path(config.redaction.audio_dir).resolve()
            found = [f for f in found if copies not in Path(f.path).resolve().parents]
        failures: List[Failure] = [Failure(p, "discover", "path does not exist") for p in missing]
        meta = _metadata(metadata, failures)
        planned, plan_failures = plan_batch(found, meta, store.stored_call_ids, redactor)
        failures.extend(plan_failures)
        done_keys = set() if force else store.done_keys([p.info.call_id for p in planned])
        settings = {kind: call_settings_hash(config, kind, models) for kind in {p.info.source_kind for p in planned}}
        pending = [p for p in planned if (p.info.call_id, p.info.input_sha256, settings[p.info.source_kind]) not in done_keys
                   or (_audio_copy(p, config) is not None and not _audio_copy(p, config).exists())]
        n_skipped = len(planned) - len(pending)
        log.info("%d input file(s), %d call(s) to process, %d already done", len(found), len(pending), n_skipped)
        phases.enter("models")
        need_asr = any(p.info.source_kind == "audio" for p in pending)
        collector = Collector(store, batch_id, config, failures, progress, len(pending) + n_skipped, n_skipped)
        batch_date = now.date().isoformat()
        if ray_options is None:
            if models is None and pending:  # a night with nothing new loads no model
                models = load_models(config, need_asr=need_asr)
            taxonomy = getattr(getattr(models, "text", None), "taxonomy", None)
            phases.enter("process")
            collector.start()
            _process_all(pending, models, config, settings, redactor, batch_id, batch_date, collector)
        else:
            from .ray_runner import process_on_ray

            taxonomy = process_on_ray(pending, ray_options, models, config, settings, need_asr, batch_id, batch_date, collector, phases.enter)
        collector.end()
        n_ok, audio_s = collector.n_ok, collector.audio_s
        if n_ok:
            try:
                _record_taxonomy(store, taxonomy)
            except Exception as exc:  # noqa: BLE001 - the calls are staged; say what is missing
                log.exception("recording the taxonomy failed")
                failures.append(Failure(str(store.root / "taxonomy.json"), "store", f"the taxonomy that tagged the calls was not recorded "
                                        f"({type(exc).__name__}: {exc}); aggregation falls back to the shipped taxonomy's polarity"))
        wall = time.perf_counter() - started
        n_failed = sum(1 for f in failures if f.severity == "error")
        summary = BatchSummary(batch_id, str(store.root), len(found), n_ok, n_skipped, n_failed, audio_s, wall, redact_failures(failures, redactor))
        phases.enter("commit")
        store.stage(batch_id, {"failures": failure_rows(summary.failures, batch_id, _iso(now)), "batches": [_batch_row(summary, now, config)]})
        store.commit()
        for failure in summary.failures:
            log.warning("%s [%s] %s: %s", failure.severity, failure.stage, failure.file, failure.reason)
        stage_failures = []
        if aggregate and (n_ok or n_skipped):
            phases.enter("aggregate")
            stage_failures.append(_aggregate(store, config))
        if report and (n_ok or n_skipped):
            phases.enter("report")
            stage_failures.append(_report(store))
        stage_failures = [f for f in stage_failures if f is not None]
        if stage_failures:  # the calls are safe; the batch's failures and its row say what is not
            failures.extend(stage_failures)
            summary = dataclasses.replace(summary, failures=redact_failures(failures, redactor), failed_stages=tuple(f.stage for f in stage_failures))
            phases.enter("commit")
            store.stage(batch_id, {"failures": failure_rows(summary.failures, batch_id, _iso(now)), "batches": [_batch_row(summary, now, config)]})
            store.commit()
        phases.enter("finished")
        log.info(summary.line())
        log.info("batch %s phases: %s", batch_id, ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.seconds.items()))
        return summary
    finally:
        logger = logging.getLogger("analyzer")
        logger.removeHandler(handler)
        for log_filter in handler.filters:
            logger.removeFilter(log_filter)
        handler.close()
        store.unlock()


@dataclass(frozen=True)
class CallOutcome:
    """What processing one call gave: the rows to store for it (``calls``, ``utterances``,
    ``behaviours``), or its failure. What a worker hands back to the runner that stages it;
    ``staged``: the worker staged the rows itself (a Ray worker that sees the results directory),
    and ``rows`` is None."""

    call: PlannedCall
    rows: Optional[Dict[str, List[dict]]] = None
    failure: Optional[Failure] = None
    duration_s: float = 0.0
    processing_s: float = 0.0
    staged: bool = False


def process_group(
    group: Sequence[tuple],
    models: Models,
    config: AnalyzerConfig,
    settings: Dict[str, str],
    redactor: Redactor,
    batch_id: str,
    batch_date: str,
) -> List[CallOutcome]:
    """Process a group of loaded calls, ``[(call, loaded)]``: the audio calls transcribed
    together (:func:`analyzer.pipeline.transcribe_calls`), then each call analysed on its own
    (:func:`analyzer.pipeline.process_call`) and turned into its rows. One outcome per call, in
    order; a call that fails is a failure outcome and costs no other call. Every engine (local,
    Ray workers) runs this same function on the same groups (:func:`group_calls`)."""
    audio = [(i, loaded) for i, (_, loaded) in enumerate(group) if isinstance(loaded.source, StereoAudio)]
    said = _transcribe_group([loaded.source for _, loaded in audio], models.transcriber, config, [group[i][0] for i, _ in audio])
    recognised = {i: result for (i, _), result in zip(audio, said)}
    outcomes = []
    for i, (call, loaded) in enumerate(group):
        result = recognised.get(i)
        if isinstance(result, BaseException):
            outcomes.append(CallOutcome(call, failure=Failure(call.input.path, "transcribe", f"{type(result).__name__}: {result}", call.info.call_id)))
        elif result is None:
            outcomes.append(_analyse(call, loaded, None, 0.0, models, config, settings, redactor, batch_id, batch_date))
        else:
            outcomes.append(_analyse(call, loaded, *result, models, config, settings, redactor, batch_id, batch_date))
    return outcomes


def _analyse(call: PlannedCall, loaded: "_Loaded", said: Optional[Transcript], transcribe_s: float, models: Models, config: AnalyzerConfig,
             settings: Dict[str, str], redactor: Redactor, batch_id: str, batch_date: str) -> CallOutcome:
    """Analyse one call (its audio already transcribed when ``said`` is given) into its rows."""
    stage = "transcribe" if call.info.source_kind == "audio" and said is None else "analyze"
    try:
        result = process_call(call.info, loaded.source, models, config, settings[call.info.source_kind], redactor, transcript=said)
        if said is not None:
            result = _with_stage(result, "transcribe", transcribe_s)
        if loaded.decode_s:
            result = _with_stage(result, "decode", loaded.decode_s)
        copy = _audio_copy(call, config)
        if copy is not None:
            stage = "redact_audio"
            t0 = time.perf_counter()
            write_redacted_copy(call.input.path, copy, result.redaction_spans, config.audio.agent_channel, config.redaction.audio_mode)
            result = _with_stage(result, "redact_audio", time.perf_counter() - t0)
        stage = "store"
        stamp = _iso(datetime.now(timezone.utc))
        rows = {"calls": [call_row(result, batch_id, batch_date, stamp)], "utterances": utterance_rows(result), "behaviours": behaviour_rows(result)}
    except InputError as exc:
        return CallOutcome(call, failure=Failure(exc.file, exc.stage, exc.reason, call.info.call_id))
    except Exception as exc:  # one bad call must never stop the batch
        log.exception("%s: %s failed", call.input.path, stage)
        return CallOutcome(call, failure=Failure(call.input.path, stage, f"{type(exc).__name__}: {exc}", call.info.call_id))
    return CallOutcome(call, rows, duration_s=result.transcript.duration_s, processing_s=result.processing_s)


def group_calls(
    pending: Sequence[PlannedCall],
    config: AnalyzerConfig,
    submit: Callable[[PlannedCall], object],
    resolve: Callable[[PlannedCall, object], tuple],
    fail: Callable[[PlannedCall, Failure], None],
    cancel: Callable[[object], None] = lambda handle: None,
    ahead: int = 1,
) -> Iterator[List[tuple]]:
    """Cut the pending calls into the groups that are transcribed together, in order: up to
    ``flush_every`` calls and :data:`GROUP_AUDIO_S` of audio each, calls whose loading failed left
    out (``fail``). The same groups whatever the engine, so every engine's results are the same.

    ``submit(call)`` starts loading a call and returns a handle; ``resolve(call, handle)`` waits
    for it and returns ``(loaded, audio_s)`` (what the group carries for the call, its audio
    seconds) or raises the loading's error. One call loads ahead while a group forms, and the
    next ``ahead`` groups' worth while a group is processed; ``cancel`` drops what was still
    loading when the groups are no longer wanted."""
    queue: deque = deque()  # (call, handle) loading, in order
    upcoming = iter(pending)

    def load_ahead(n: int) -> bool:
        """Keep ``n`` calls loading ahead; False when there is nothing left to load."""
        while len(queue) < n:
            call = next(upcoming, None)
            if call is None:
                return bool(queue)
            queue.append((call, submit(call)))
        return True

    try:
        while load_ahead(1):
            group: List[tuple] = []  # (call, loaded)
            group_s = 0.0
            while len(group) < max(1, config.run.flush_every) and group_s < GROUP_AUDIO_S and load_ahead(1):
                call, handle = queue.popleft()
                stage = "decode" if call.info.source_kind == "audio" else "transcript"
                try:
                    loaded, seconds = resolve(call, handle)
                except InputError as exc:
                    fail(call, Failure(exc.file, exc.stage, exc.reason, call.info.call_id))
                    continue
                except Exception as exc:  # noqa: BLE001 - one bad call must never stop the batch
                    log.exception("%s: %s failed", call.input.path, stage)
                    fail(call, Failure(call.input.path, stage, f"{type(exc).__name__}: {exc}", call.info.call_id))
                    continue
                group.append((call, loaded))
                group_s += seconds
            load_ahead(max(1, len(group)) * max(1, ahead))  # the next group(s) load while this one is processed
            if group:
                yield group
    finally:
        for _, handle in queue:
            cancel(handle)


class Collector:
    """The runner's side of processing: takes each call's outcome as it comes (in any order),
    stages finished calls every ``flush_every`` calls, records failures, counts, and tells the
    progress hook. One per batch; every engine hands its outcomes to one."""

    def __init__(self, store: ResultsStore, batch_id: str, config: AnalyzerConfig, failures: List[Failure],
                 progress: Optional[ProgressHook], total: int, n_skipped: int):
        self.store, self.batch_id, self.config, self.failures = store, batch_id, config, failures
        self.emit = progress or (lambda event: None)
        self.total, self.done, self.n_ok, self.audio_s = total, n_skipped, 0, 0.0
        self.staged: List[tuple] = []  # (call, its rows) waiting to be staged

    def start(self) -> None:
        self.emit(Progress("start", self.done, self.total))

    def end(self) -> None:
        self.emit(Progress("end", self.done, self.total))

    def fail(self, call: PlannedCall, failure: Failure) -> None:
        self.failures.append(failure)
        self.done += 1
        self.emit(Progress("failed", self.done, self.total, call.info.call_id))

    def add(self, outcome: CallOutcome) -> None:
        call = outcome.call
        if outcome.failure is not None:
            return self.fail(call, outcome.failure)
        if not outcome.staged:
            self.staged.append((call, outcome.rows))
        self.n_ok += 1
        self.done += 1
        if call.info.source_kind == "audio":
            self.audio_s += outcome.duration_s
        self.emit(Progress("done", self.done, self.total, call.info.call_id, outcome.duration_s))
        log.info("done %s (%.1f s call, processed in %.1f s)", call.info.call_id, outcome.duration_s, outcome.processing_s)
        if len(self.staged) >= self.config.run.flush_every:
            self.flush()

    def flush(self) -> None:
        """Stage the finished calls (:func:`stage_rows`)."""
        staged, self.staged = self.staged, []
        failed = stage_rows(self.store, self.batch_id, staged)
        self.failures.extend(failed.values())
        self.n_ok -= len(failed)


def stage_rows(store: ResultsStore, batch_id: str, staged: Sequence[tuple], writer: Optional[str] = None) -> Dict[int, Failure]:
    """Stage finished calls' rows, ``[(call, rows)]``, as one part; if they cannot be staged
    together, one by one, so a call whose results cannot be written becomes a failure (returned,
    by position in ``staged``) and costs no other call. ``writer``: see :meth:`ResultsStore.stage`."""
    if not staged:
        return {}
    named = {"writer": writer} if writer else {}  # the lock holder stages under the batch's own name
    together = {name: [row for _, rows in staged for row in rows[name]] for name in ("calls", "utterances", "behaviours")}
    try:
        store.stage(batch_id, together, **named)
        return {}
    except Exception:  # noqa: BLE001 - find the call(s) at fault
        log.exception("staging %d calls together failed; staging them one by one", len(staged))
    failed = {}
    for i, (call, rows) in enumerate(staged):
        try:
            store.stage(batch_id, rows, **named)
        except Exception as exc:  # noqa: BLE001 - one call's results must never cost the others
            log.exception("%s: results could not be written", call.input.path)
            failed[i] = Failure(call.input.path, "store", f"results could not be written ({type(exc).__name__}: {exc})", call.info.call_id)
    return failed


def _process_all(pending: List[PlannedCall], models: Models, config: AnalyzerConfig, settings: Dict[str, str], redactor: Redactor,
                 batch_id: str, batch_date: str, collector: Collector) -> None:
    """The local engine: a loader thread decodes the next group's recordings while this process
    transcribes and analyses the current group (:func:`process_group`)."""
    with ThreadPoolExecutor(max_workers=1) as loader:
        groups = group_calls(pending, config, submit=lambda call: loader.submit(_load_source, call, config),
                             resolve=_resolved, fail=collector.fail, cancel=lambda future: future.cancel())
        try:
            for group in groups:
                for outcome in process_group(group, models, config, settings, redactor, batch_id, batch_date):
                    collector.add(outcome)
        finally:
            groups.close()
            collector.flush()  # also on interrupt: what finished is kept for the next run


def _resolved(call: PlannedCall, future) -> tuple:
    loaded = future.result()
    return loaded, (loaded.source.duration_s if isinstance(loaded.source, StereoAudio) else 0.0)


class _Phases:
    """Tells the progress hook when the batch enters a phase, and adds up each phase's time."""

    def __init__(self, hook: Optional[PhaseHook]):
        self.hook = hook
        self.seconds: Dict[str, float] = {}
        self.current: Optional[str] = None
        self.since = time.perf_counter()

    def enter(self, phase: str) -> None:
        now = time.perf_counter()
        if self.current is not None:
            self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
        self.current, self.since = phase, now
        if self.hook is not None:
            self.hook(phase)


def _aggregate(store: ResultsStore, config: AnalyzerConfig) -> Optional[Failure]:
    """Recompute the variability outputs over everything stored. A problem there never costs
    the batch's calls (they are already stored); it is returned as the stage's failure."""
    from .variability.aggregate import aggregate

    try:
        aggregate(store.root, config.aggregate)
    except Exception as exc:  # noqa: BLE001 - the batch's results must survive any aggregation bug
        log.exception("aggregate failed")
        return Failure(str(store.root), "aggregate", f"agents, coaching and variability.json were not updated: {_reason(exc)}")
    return None


def _report(store: ResultsStore) -> Optional[Failure]:
    """Rewrite the HTML report; a problem there is returned as the stage's failure."""
    from .report import writer

    try:
        writer.write_report(store.root)
    except Exception as exc:  # noqa: BLE001 - the batch's results must survive any report bug
        log.exception("report failed")
        return Failure(str(store.root / "report"), "report", f"the report was not updated: {_reason(exc)}")
    return None


def _reason(exc: BaseException) -> str:
    from .errors import AnalyzerError

    return str(exc) if isinstance(exc, AnalyzerError) else f"{type(exc).__name__}: {exc}"


def _record_taxonomy(store: ResultsStore, taxonomy) -> None:
    """Record the taxonomy that tagged this run's calls (ids, names, polarity) in the results
    directory, for aggregation and the report (``taxonomy.json``)."""
    import json

    from .results import TAXONOMY_FILE, taxonomy_record

    if taxonomy is None:
        return
    path = store.root / TAXONOMY_FILE
    try:
        previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    except (OSError, ValueError):
        previous = None
    store.write_json(TAXONOMY_FILE, taxonomy_record(taxonomy, previous if isinstance(previous, dict) else None))


@dataclass(frozen=True)
class _Loaded:
    """A call's content, loaded on the loader thread: decoded audio or the parsed transcript."""

    source: Union[StereoAudio, Transcript]
    decode_s: float = 0.0


def _load_source(call: PlannedCall, config: AnalyzerConfig) -> _Loaded:
    """Decode audio (or take the parsed transcript). Runs in the loader thread."""
    if call.transcript is not None:
        return _Loaded(call.transcript.transcript)
    t0 = time.perf_counter()
    audio = load_call_audio(call.input.path, config.audio.agent_channel)
    return _Loaded(audio, time.perf_counter() - t0)


def _transcribe_group(audios: Sequence[StereoAudio], transcriber, config: AnalyzerConfig, calls: Sequence[PlannedCall]) -> list:
    """Transcribe the audio calls of a group together. Returns, per call, ``(transcript,
    seconds)`` (the group's time shared by audio duration) or the exception that call raised:
    when the group fails, its calls are transcribed one by one, so a bad call costs no other
    call its transcript."""
    if not audios:
        return []
    t0 = time.perf_counter()
    try:
        transcripts = transcribe_calls(audios, transcriber, config)
    except Exception as exc:  # noqa: BLE001 - find the call(s) at fault
        if len(audios) == 1:
            log.exception("%s: transcribe failed", calls[0].input.path)
            return [exc]
        log.warning("transcribing %d calls together failed (%s: %s); transcribing them one by one", len(audios), type(exc).__name__, exc)
        return [_transcribe_group([audio], transcriber, config, [call])[0] for audio, call in zip(audios, calls)]
    seconds = time.perf_counter() - t0
    total_s = sum(a.duration_s for a in audios) or 1.0
    return [(t, seconds * a.duration_s / total_s) for t, a in zip(transcripts, audios)]


def _audio_copy(call: PlannedCall, config: AnalyzerConfig) -> Optional[Path]:
    """Where the redacted copy of an audio call goes (``config.redaction.audio_dir``), or None:
    named by the stored call id (never the raw file name), with the original's extension."""
    folder = config.redaction.audio_dir
    if not folder or call.info.source_kind != "audio":
        return None
    name = call.info.call_id.replace("/", "_").replace("\\", "_").replace("\0", "_")
    return Path(folder) / f"{name}{Path(call.input.path).suffix}"


def _ray_options(engine: Union[str, RayOptions, None], config: AnalyzerConfig) -> Optional[RayOptions]:
    """The Ray options of an ``engine`` argument (``"ray"``: the config's ``[ray]`` table), or None
    for the local engine."""
    if engine is None or engine == "local":
        return None
    if engine == "ray":
        return config.ray
    if isinstance(engine, RayOptions):
        return engine
    raise ConfigError(f"engine must be 'local', 'ray' or a RayOptions, got {engine!r}")


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
        "failed_stages": ",".join(summary.failed_stages),
        "config": json.dumps(dataclasses.asdict(config), default=str),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _file_log(path: Path, redactor: Optional[Redactor] = None) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("analyzer")
    if redactor is not None and redactor.options.enabled:
        # every line, tracebacks included: on the file's handler, and on the logger while the
        # batch runs, so any handler an application or notebook attached sees redacted records
        log_filter = RedactingLogFilter(redactor)
        handler.addFilter(log_filter)
        logger.addFilter(log_filter)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler
