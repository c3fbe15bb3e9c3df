"""The Ray engine: the local runner's groups of calls through the same
:func:`analyzer.runner.process_group`, on worker actors of a Ray cluster.

What runs where:

- this process (the driver, where ``analyzer run`` runs): everything :mod:`analyzer.runner` does
  for the local engine (plan, skip check, grouping, commit, aggregate, report; staging the rows of workers that cannot), so
  failure rows, idempotency and outputs are the same; it also reads every input (to hash it).
- decode tasks, anywhere in the cluster: one per recording, decoded into the object store a
  group ahead of the workers (:func:`analyzer.runner._load_source`).
- worker actors (``RayOptions.workers``): each loads the models once
  (:func:`analyzer.pipeline.load_models`, as the local engine does, or unpickles the ``models``
  passed to ``run_batch``) and runs :func:`~analyzer.runner.process_group` on the groups sent
  to it.
- text actors (``RayOptions.text_workers``, optional): the text models in a pool of their own;
  the workers then load only Whisper, and their ``Models.text`` is a :class:`RemoteText` that
  sends each call's utterances to a text actor (the same :meth:`TextModels.score` call, so the
  same numbers). A worker that sees the results directory (``RayOptions.worker_writes``; a probe file the
  driver writes there tells) stages its calls' rows itself, under its own name, so the commit
  publishes each worker's rows as its own file of the night's partition and only counts travel
  back; otherwise the rows come back to the driver, which stages them.

A worker that dies (killed, out of memory, a crash in native code) is replaced by a new one that
loads the models; the calls of the groups it had are sent again one at a time, each alone on an
idle worker, so only a call that kills a worker by itself becomes a failure row (stage
``transcribe`` or ``analyze``), which the next run tries again. Ray is imported only here, and only when a batch runs on it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
from collections import deque
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from .config import AnalyzerConfig, RayOptions
from .errors import AnalyzerError, InputError, ModelNotFoundError
from .pipeline import Models, load_models, model_ids, needs_text
from .records import Failure
from .runner import CallOutcome, Collector, PlannedCall, _load_source, group_calls, process_group, stage_rows
from .store import ResultsStore

log = logging.getLogger("analyzer")

#: groups queued on each worker: one being processed, one waiting, so a worker never idles
#: while the driver hands it the next
DEPTH = 2


class RayUnavailableError(AnalyzerError):
    """Ray is not installed, or the cluster cannot be reached."""


def process_on_ray(
    pending: Sequence[PlannedCall],
    options: RayOptions,
    models: Optional[Models],
    config: AnalyzerConfig,
    settings: Dict[str, str],
    need_asr: bool,
    batch_id: str,
    batch_date: str,
    collector: Collector,
    enter: Callable[[str], None],
):
    """Process ``pending`` on a Ray cluster, handing every call's outcome to ``collector`` (which
    stages it as the local engine does). Returns the taxonomy the workers tagged calls with (or
    None). ``enter`` is told when the ``process`` phase starts (after the workers loaded their
    models: the ``models`` phase)."""
    if not pending:  # nothing to do: no cluster, no models
        enter("process")
        collector.start()
        return None
    ray = _import_ray()
    connected_here = _connect(ray, options.address)
    pool = None
    probe = _Probe(collector.store.root) if options.worker_writes else None
    try:
        pool = _Pool(ray, options, models, config, settings, need_asr, batch_id, batch_date, probe)
        enter("process")
        collector.start()
        try:
            pool.run(list(pending), collector)
        finally:
            collector.flush()  # also on interrupt: what finished is kept for the next run
        return pool.taxonomy
    finally:
        if pool is not None:
            pool.close()
        if probe is not None:
            probe.remove()
        if connected_here:
            ray.shutdown()


def _import_ray():
    try:
        import ray
    except ImportError:
        raise RayUnavailableError("the Ray engine needs Ray: pip install 'analyzer[ray]' (on every node of the cluster)") from None
    return ray


def _connect(ray, address: Optional[str]) -> bool:
    """Connect this process to the cluster unless it already is; True when connected here (and
    so to be disconnected at the end)."""
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise RayUnavailableError(f"cannot reach the Ray cluster at {address or 'this machine'}: {exc}") from None
    return True


class _Probe:
    """A file the driver writes in the results directory for the batch: a worker that reads it
    back at the same path sees the store (this machine, or a shared filesystem) and may stage
    its rows there itself."""

    def __init__(self, root: Path):
        for stale in Path(root).glob(".ray-probe-*"):  # a killed run's (one run at a time: the lock)
            stale.unlink(missing_ok=True)
        self.token = secrets.token_hex(8)
        self.path = Path(root) / f".ray-probe-{self.token}"
        self.path.write_text(self.token, encoding="utf-8")

    def seen(self) -> bool:
        """Whether this process sees the probe (and can write beside it: the staging folder)."""
        try:
            if self.path.read_text(encoding="utf-8") != self.token:
                return False
            check = self.path.with_name(f"{self.path.name}-{os.getpid()}")
            check.write_text("", encoding="utf-8")
            check.unlink()
            return True
        except OSError:
            return False

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class _Worker:
    """A worker actor: the models, loaded once (again when Ray restarts the actor), and
    :func:`process_group` on the groups it is sent; the rows staged here when the store is
    reachable (``probe``), else sent back."""

    def __init__(self, config: AnalyzerConfig, models: Optional[Models], need_asr: bool, settings: Dict[str, str], batch_id: str, batch_date: str,
                 probe: Optional[_Probe] = None, text: Optional["RemoteText"] = None):
        from .redaction import RedactingLogFilter, Redactor

        self.config, self.settings, self.batch_id, self.batch_date = config, settings, batch_id, batch_date
        # the store, when this worker writes its rows itself; its parts carry this worker's name
        self.store = ResultsStore(probe.path.parent) if probe is not None and probe.seen() else None
        self.writer = f"ray{secrets.token_hex(4)}"
        self.redactor = Redactor(config.redaction)
        if self.redactor.options.enabled:  # this process is the batch's: its log lines are redacted as the driver's are
            logging.getLogger("analyzer").addFilter(RedactingLogFilter(self.redactor))
        self.error: Optional[BaseException] = None
        try:
            self.models = models if models is not None else load_models(config, need_asr=need_asr, need_text=text is None)
            if text is not None:  # the text models run in the text actors
                self.models = dataclasses.replace(self.models, text=text)
        except Exception as exc:  # noqa: BLE001 - reported by ready(), with its message
            self.models, self.error = None, exc

    def ready(self) -> dict:
        """The models this worker loaded (their identities per kind of call) and where it runs;
        raises what loading them raised."""
        import ray

        if self.error is not None:
            if isinstance(self.error, AnalyzerError):
                raise ModelNotFoundError(str(self.error))
            raise ModelNotFoundError(f"{type(self.error).__name__}: {self.error}")
        return {
            "node": ray.get_runtime_context().get_node_id(),
            "ids": {kind: model_ids(self.config, kind, self.models) for kind in self.settings},
            "taxonomy": getattr(self.models.text, "taxonomy", None),
            "writes": self.store is not None,
        }

    def process(self, calls: List[PlannedCall], *loaded) -> list:
        """One group: ``calls`` and their loaded content (decoded audio or transcripts)."""
        if self.error is not None:
            raise ModelNotFoundError(f"this Ray worker could not load the models ({type(self.error).__name__}: {self.error})")
        outcomes = process_group(list(zip(calls, loaded)), self.models, self.config, self.settings, self.redactor, self.batch_id, self.batch_date)
        if self.store is None:
            return outcomes
        done = [i for i, o in enumerate(outcomes) if o.failure is None]
        failed = stage_rows(self.store, self.batch_id, [(outcomes[i].call, outcomes[i].rows) for i in done], writer=self.writer)
        for k, i in enumerate(done):
            o = outcomes[i]
            outcomes[i] = CallOutcome(o.call, failure=failed[k]) if k in failed else dataclasses.replace(o, rows=None, staged=True)
        return outcomes


class _TextWorker:
    """A text actor: the text-model bundle, loaded once, scoring the utterances workers send."""

    def __init__(self, config: AnalyzerConfig, text: Optional[Any]):
        from .textmodels.bundle import load_text_models

        self.error: Optional[BaseException] = None
        try:
            self.text = text if text is not None else load_text_models(config.text)
        except Exception as exc:  # noqa: BLE001 - reported by ready(), with its message
            self.text, self.error = None, exc

    def ready(self) -> dict:
        if self.error is not None:
            raise ModelNotFoundError(str(self.error) if isinstance(self.error, AnalyzerError) else f"{type(self.error).__name__}: {self.error}")
        return {"model_id": self.text.model_id, "taxonomy": self.text.taxonomy, "behaviour_ids": self.text.behaviour_ids}

    def score(self, texts: List[str], speakers: List[Optional[str]], sentiment: bool, behaviours: bool):
        return self.text.score(texts, speakers, sentiment=sentiment, behaviours=behaviours)


class RemoteText:
    """What a worker has as ``Models.text`` when the text models run in text actors: the
    bundle's identity and taxonomy, and :meth:`score`, which sends the utterances to one of the
    actors (in turn) and waits for the scores."""

    def __init__(self, actors: Sequence[Any], model_id: str, taxonomy: Any, behaviour_ids: Sequence[str]):
        self.actors, self.model_id, self.taxonomy, self.behaviour_ids = list(actors), model_id, taxonomy, list(behaviour_ids)
        self._turn = 0

    def score(self, texts: Sequence[str], speakers: Sequence[Optional[str]], sentiment: bool = True, behaviours: bool = True):
        import ray

        actor = self.actors[self._turn % len(self.actors)]
        self._turn += 1
        return ray.get(actor.score.remote(list(texts), list(speakers), sentiment, behaviours))


def _decode(call: PlannedCall, config: AnalyzerConfig):
    """A decode task: ``((failure, audio_s), loaded)``; the small first part is what the driver
    reads, the decoded audio goes from the object store to the worker that gets the call."""
    try:
        loaded = _load_source(call, config)
    except InputError as exc:
        return (Failure(exc.file, exc.stage, exc.reason, call.info.call_id), 0.0), None
    except Exception as exc:  # noqa: BLE001 - the call fails, as with the local engine
        log.exception("%s: decode failed", call.input.path)
        return (Failure(call.input.path, "decode", f"{type(exc).__name__}: {exc}", call.info.call_id), 0.0), None
    return (None, loaded.source.duration_s), loaded


def worker_config(config: AnalyzerConfig, cpus: float) -> AnalyzerConfig:
    """``config`` for a worker (or text actor) reserving ``cpus`` CPUs: the models' threads follow its share
    where they are automatic (0). Runtime options only: results and settings hashes are the same."""
    threads = max(1, int(cpus))
    if config.transcribe.cpu_threads == 0:
        config = dataclasses.replace(config, transcribe=dataclasses.replace(config.transcribe, cpu_threads=threads))
    if config.text.threads == 0:
        config = dataclasses.replace(config, text=dataclasses.replace(config.text, threads=threads))
    return config


class _Pool:
    """The batch's worker actors, and the loop that keeps them busy. A worker that dies is
    replaced (``RayOptions.max_restarts`` times per slot) by a new one that loads the models."""

    def __init__(self, ray, options: RayOptions, models: Optional[Models], config: AnalyzerConfig, settings: Dict[str, str], need_asr: bool,
                 batch_id: str, batch_date: str, probe: Optional[_Probe] = None):
        self.ray, self.options, self.config = ray, options, config
        self.actors: List[Any] = []  # per slot: the live actor, or None once it died too often
        self.generation: List[int] = []  # per slot: how many actors it has had
        self.busy: List[int] = []  # per slot: groups sent to its current actor and not back
        self.in_flight: Dict[Any, tuple] = {}  # result ref -> (slot, generation, group, sent alone)
        self.retry: deque = deque()  # single-call groups to send again (their group's worker died)
        self.text_actors: List[Any] = []
        cpus = float(ray.cluster_resources().get("CPU", 1))
        text_pool = options.text_workers > 0 and needs_text(config) and (models is None or models.text is not None)
        left = cpus - (options.text_workers * options.text_cpus if text_pool else 0.0)
        n = options.workers or max(1, int(left // options.worker_cpus))
        if options.worker_cpus * n > left:
            log.warning("%d Ray worker(s) of %g CPUs on a cluster of %g CPUs%s: some wait for others' CPUs", n, options.worker_cpus, cpus,
                        f" ({options.text_workers} text actor(s) of {options.text_cpus:g})" if text_pool else "")
        shipped = shipped_text = None
        if models is not None:
            try:
                shipped = ray.put(dataclasses.replace(models, text=None) if text_pool else models)
                shipped_text = ray.put(models.text) if text_pool else None
            except Exception as exc:  # noqa: BLE001 - say what to do instead
                raise ModelNotFoundError(f"the Ray engine sends models= to its workers, and these cannot be sent ({type(exc).__name__}: {exc}); "
                                         "leave models out and each worker loads them from the config") from None
        remote_text = None
        if text_pool:
            text_actor = ray.remote(_TextWorker).options(num_cpus=options.text_cpus, num_gpus=options.text_gpus,
                                                         max_restarts=options.max_restarts, max_task_retries=1)
            self.text_actors = [text_actor.remote(worker_config(config, options.text_cpus), shipped_text) for _ in range(options.text_workers)]
            try:
                info = self.ray.get([a.ready.remote() for a in self.text_actors])[0]
            except Exception as exc:  # noqa: BLE001 - a bundle that would not load
                self.close()
                raise self._start_error(exc) from None
            remote_text = RemoteText(self.text_actors, info["model_id"], info["taxonomy"], info["behaviour_ids"])
        self._actor = ray.remote(_Worker).options(num_cpus=options.worker_cpus, num_gpus=options.worker_gpus, max_restarts=0, max_task_retries=0)
        self._args = (worker_config(config, options.worker_cpus), shipped, need_asr, settings, batch_id, batch_date, probe, remote_text)
        self.decode = ray.remote(_decode).options(num_cpus=options.decode_cpus, num_returns=2, max_retries=0)
        self.actors = [self._actor.remote(*self._args) for _ in range(n)]
        self.generation = [0] * n
        self.busy = [0] * n
        try:
            ready = self._ready(config, models, settings)
        except BaseException:
            self.close()  # a cluster this process did not start keeps no actor of this batch
            raise
        self.taxonomy = ready[0]["taxonomy"]
        writing = sum(info["writes"] for info in ready)
        log.info("Ray engine: %d worker(s) of %g CPU(s)%s on %d node(s), cluster of %g CPUs; %d stage their rows in the store themselves%s",
                 n, options.worker_cpus,
                 f" and {options.text_workers} text actor(s) of {options.text_cpus:g} CPU(s)" + (f", {options.text_gpus:g} GPU(s)" if options.text_gpus else "")
                 if text_pool else "", len({info["node"] for info in ready}), cpus, writing,
                 "" if writing == n else f", {n - writing} send them here" + ("" if options.worker_writes else " (worker_writes=False)")
                 + ("" if writing or not options.worker_writes else " (they do not see the results directory at this path)"))

    def _ready(self, config: AnalyzerConfig, models: Optional[Models], settings: Dict[str, str]) -> List[dict]:
        """Wait for every worker to load its models, and check they are the models this machine
        resolves (what the settings hashes, and so the skip check, name)."""
        try:
            ready = self.ray.get([a.ready.remote() for a in self.actors])
        except Exception as exc:  # noqa: BLE001 - a model that would not load, or an actor that could not start on any node
            raise self._start_error(exc) from None
        expected = {kind: model_ids(config, kind, models) for kind in settings}
        for info in ready:
            if info["ids"] != expected:
                raise ModelNotFoundError(
                    f"a Ray worker on node {info['node'][:12]} loaded other models than this machine resolves ({info['ids']} instead of "
                    f"{expected}): install the same analyzer version and models on every node")
        return ready

    @staticmethod
    def _start_error(exc: BaseException) -> ModelNotFoundError:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, AnalyzerError):
            return ModelNotFoundError(str(cause))
        return ModelNotFoundError(f"the Ray workers could not start ({type(exc).__name__}: {_first_line(exc)})")

    # -- the loop ---------------------------------------------------------------------------
    def run(self, pending: List[PlannedCall], collector: Collector) -> None:
        groups = group_calls(pending, self.config, submit=self._submit_decode, resolve=self._resolve, fail=collector.fail,
                             cancel=self._cancel, ahead=max(1, len(self.actors)))
        try:
            for group in groups:
                while not self._send_retries(collector) or not self._room():
                    self._wait(collector)
                self._send(group, collector)
            while self.in_flight or self.retry:
                self._send_retries(collector)
                self._wait(collector)
        finally:
            groups.close()

    def _submit_decode(self, call: PlannedCall):
        if call.info.source_kind != "audio":
            return _load_source(call, self.config)  # the parsed transcript, read on the driver at planning
        return self.decode.remote(call, self.config)

    def _resolve(self, call: PlannedCall, handle) -> tuple:
        if not isinstance(handle, list):
            return handle, 0.0
        info_ref, loaded_ref = handle
        failure, seconds = self.ray.get(info_ref)
        if failure is not None:
            raise InputError(failure.file, failure.reason, failure.stage)
        return loaded_ref, seconds

    def _cancel(self, handle) -> None:
        if isinstance(handle, list):
            for ref in handle:
                try:
                    self.ray.cancel(ref)
                except Exception:  # noqa: BLE001 - already done or gone
                    pass

    def _free_slot(self, idle: bool = False) -> Optional[int]:
        """The least busy worker with room for a group (``idle``: with nothing to do)."""
        free = [i for i, actor in enumerate(self.actors) if actor is not None and self.busy[i] < (1 if idle else DEPTH)]
        return min(free, key=lambda i: self.busy[i]) if free else None

    def _room(self, idle: bool = False) -> bool:
        """A group can be sent now: a worker has room, or none is left (the group fails)."""
        return self._free_slot(idle) is not None or all(actor is None for actor in self.actors)

    def _send(self, group: List[tuple], collector: Collector, alone: bool = False) -> None:
        """Send a group to the least busy worker (call when :meth:`_room`). ``alone``: to an idle
        worker that gets nothing else until it is done, so if it dies, this call killed it."""
        i = self._free_slot(idle=alone)
        if i is None:  # every worker died more often than it may be replaced
            for call, _ in group:
                collector.fail(call, _died(call, f"no Ray worker left: each died more than {self.options.max_restarts} times (RayOptions.max_restarts)"))
            return
        calls = [dataclasses.replace(call, transcript=None) for call, _ in group]  # the transcript travels as the loaded content
        ref = self.actors[i].process.remote(calls, *[loaded for _, loaded in group])
        self.busy[i] = DEPTH if alone else self.busy[i] + 1
        self.in_flight[ref] = (i, self.generation[i], group, alone)

    def _send_retries(self, collector: Collector) -> bool:
        """Send the calls waiting to be tried alone while workers are idle; True when none waits."""
        while self.retry and self._room(idle=True):
            self._send(self.retry.popleft(), collector, alone=True)
        return not self.retry

    def _wait(self, collector: Collector) -> None:
        """Take the next group that comes back, and hand its outcomes to the collector."""
        if not self.in_flight:
            return
        (ref,), _ = self.ray.wait(list(self.in_flight), num_returns=1)
        i, generation, group, alone = self.in_flight.pop(ref)
        current = generation == self.generation[i]
        if current:
            self.busy[i] = 0 if alone else self.busy[i] - 1
        try:
            outcomes = self.ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - the worker died (or the group could not come back)
            reason = f"{type(exc).__name__}: {_first_line(exc)}"
            log.warning("Ray worker %d failed on %s (%s)", i, f"call {group[0][0].info.call_id}, sent alone" if alone else
                        f"a group of {len(group)} call(s) (tried again one by one)", reason)
            if current:
                self._replace(i)
            group = self._staged_before_dying(group, collector)
            if not group:
                return
            if alone:
                call = group[0][0]
                collector.fail(call, _died(call, f"the Ray worker processing this call died ({reason}); the next run tries it again"))
            else:  # the call at fault may be any of the group's, or one queued before it on the same worker
                self.retry.extend([item] for item in group)
            return
        for outcome in outcomes:
            collector.add(outcome)

    @staticmethod
    def _staged_before_dying(group: List[tuple], collector: Collector) -> List[tuple]:
        """The calls of ``group`` that the dead worker had not staged; those it had are done (a
        worker stages a group's rows before it returns them, so it can die in between), and are
        neither tried again nor recorded as failed."""
        staged = collector.store.staged_calls(collector.batch_id)
        rest = []
        for item in group:
            call = item[0]
            if call.info.call_id in staged:
                log.info("call %s was staged by the worker before it died: kept", call.info.call_id)
                collector.add(CallOutcome(call, duration_s=staged[call.info.call_id], staged=True))
            else:
                rest.append(item)
        return rest

    def _replace(self, i: int) -> None:
        """The worker of slot ``i`` died: a new one loads the models, unless the slot has had
        ``max_restarts`` replacements already. Groups still queued on the dead one come back
        failed and are tried again."""
        old, self.actors[i] = self.actors[i], None
        try:
            self.ray.kill(old)
        except Exception:  # noqa: BLE001 - already gone
            pass
        self.busy[i] = 0
        if self.generation[i] < self.options.max_restarts:
            self.generation[i] += 1
            self.actors[i] = self._actor.remote(*self._args)
            log.info("Ray worker %d replaced (%d of %d)", i, self.generation[i], self.options.max_restarts)
        else:
            self.generation[i] += 1  # groups still queued on the dead worker are not counted again

    def close(self) -> None:
        for actor in self.actors + self.text_actors:
            if actor is not None:
                try:
                    self.ray.kill(actor)
                except Exception:  # noqa: BLE001 - already gone
                    pass
        self.actors, self.text_actors = [], []


def _died(call: PlannedCall, reason: str) -> Failure:
    return Failure(call.input.path, "transcribe" if call.info.source_kind == "audio" else "analyze", reason, call.info.call_id)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
