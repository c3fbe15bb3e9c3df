"""Command line: a thin layer over the Python API. Each command is one API call.

Exit codes (documented in the README):
  0  every call processed (or already done)
  1  some calls or files failed, or a batch stage (aggregate, report) failed; the rest was
     processed (see the failures table, results/failures/)
  2  usage error (bad option or argument)
  3  nothing could run: no inputs, every call failed, a model or config problem, store in use
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_NOTHING = 0, 1, 2, 3


def _fail(message: str, code: int = EXIT_NOTHING) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _config(config_path, section_overrides):
    """Config file (if any) plus command-line overrides, as one AnalyzerConfig."""
    from .config import AnalyzerConfig
    from .errors import ConfigError

    try:
        config = AnalyzerConfig.from_file(config_path) if config_path else AnalyzerConfig()
        for section, changes in section_overrides.items():
            config = config.replace(section, **changes)
    except ConfigError as exc:
        _fail(str(exc))
    return config


def _override(config, section, **changes):
    """``config`` with some options of one section changed; a bad value is one clear line."""
    from .errors import ConfigError

    try:
        return config.replace(section, **changes)
    except ConfigError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="analyzer")
def cli() -> None:
    """Contact-center call analyzer: transcribe calls per speaker, score sentiment and agent
    behaviours, and compare agents with honest statistics."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Results directory (created; nightly runs add to it).")
@click.option("--metadata", "-m", type=click.Path(path_type=Path), help="ACD/CRM export (CSV or Parquet) joined on call_id.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="TOML config file (see README).")
@click.option("--model", help="Whisper model: a CTranslate2 directory or a name such as small.en. Default: packaged tiny.en.")
@click.option("--agent-channel", type=click.Choice(["left", "right"]), help="Channel carrying the agent (default left).")
@click.option("--device", help="cpu, cuda or auto (default cpu).")
@click.option("--compute-type", help="CTranslate2 compute type (default int8 on CPU, float16 on CUDA).")
@click.option("--beam-size", type=int, help="Decoding beam size (default 1, greedy).")
@click.option("--text-model", help="Text-model bundle directory (default: the shipped models/text).")
@click.option("--sentiment-model", help="A Hugging Face sentiment classifier replacing the bundle's sentiment heads.")
@click.option("--batch-size", type=int, help="Speech chunks decoded together (default 8).")
@click.option("--force", is_flag=True, help="Process calls again even if already stored with the same settings.")
@click.option("--no-aggregate", is_flag=True, help="Skip recomputing agents/coaching/variability (and the report) at the end.")
@click.option("--no-report", is_flag=True, help="Skip writing the HTML report at the end.")
@click.option("--no-redact", is_flag=True, help="Keep card numbers, SSNs, emails, phone numbers... in the stored text (redaction is on by default).")
@click.option("--redact-types", metavar="TYPES", help="Comma-separated entity types to redact (default all: CARD,EXPIRY,CVV,SSN,EMAIL,PHONE,DOB,ACCOUNT,NUMBER).")
@click.option("--redact-pattern", metavar="NAME=REGEX", multiple=True, help="Also redact matches of REGEX as [NAME] (repeatable; adds to the config file's).")
@click.option("--redact-audio", metavar="DIR", type=click.Path(path_type=Path), help="Write a redacted copy of each recording to DIR (same format and sample rate).")
@click.option("--redact-audio-mode", type=click.Choice(["tone", "silence"]), help="What replaces redacted words in the copies (default tone).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the calls are processed: this process, or a Ray cluster (pip install 'analyzer[ray]').")
@click.option("--address", metavar="ADDRESS", help="With --engine ray: the cluster (HOST:6379, auto, ray://HOST:10001). "
              "Default: the Ray instance started on this machine, else a new local one.")
@click.option("--ray-workers", type=click.IntRange(min=0), help="With --engine ray: worker actors, each loading the models once (default: one per --ray-worker-cpus CPUs).")
@click.option("--ray-worker-cpus", type=click.FloatRange(min=0, min_open=True), help="With --engine ray: CPUs each worker reserves and uses (default 1).")
@click.option("--ray-text-workers", type=click.IntRange(min=0), help="With --engine ray: run the text models in this many actors of their own "
              "(default 0: in every worker, beside Whisper).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(inputs, out, metadata, config_path, model, agent_channel, device, compute_type, beam_size, text_model, sentiment_model, batch_size, force,
        no_aggregate, no_report, no_redact, redact_types, redact_pattern, redact_audio, redact_audio_mode, engine, address, ray_workers,
        ray_worker_cpus, ray_text_workers, quiet):
    """Process recordings and transcripts under INPUTS into the results directory."""
    from .errors import AnalyzerError
    from .runner import run_batch

    if engine != "ray" and (address is not None or ray_workers is not None or ray_worker_cpus is not None or ray_text_workers is not None):
        raise click.UsageError("--address, --ray-workers, --ray-worker-cpus and --ray-text-workers need --engine ray")

    patterns = {}
    for item in redact_pattern:
        name, sep, regex = item.partition("=")
        if not sep or not name.strip() or not regex:
            raise click.BadParameter(f"{item!r}: expected NAME=REGEX", param_hint="--redact-pattern")
        patterns[name.strip()] = regex
    config = _config(
        config_path,
        {
            "transcribe": dict(model=model, device=device, compute_type=compute_type, beam_size=beam_size, batch_size=batch_size),
            "audio": dict(agent_channel=agent_channel),
            "ray": dict(address=address, workers=ray_workers, worker_cpus=ray_worker_cpus, text_workers=ray_text_workers),
            "text": dict(model=text_model, sentiment_model=sentiment_model),
            "redaction": dict(
                enabled=False if no_redact else None,
                entities=[t.strip() for t in redact_types.split(",") if t.strip()] if redact_types is not None else None,
                audio_dir=str(redact_audio) if redact_audio is not None else None,
                audio_mode=redact_audio_mode,
            ),
        },
    )
    if patterns:
        config = _override(config, "redaction", extra_patterns={**config.redaction.extra_patterns, **patterns})
    bar = _ProgressBar(disable=quiet)
    with _redacted_console(config.redaction) as redact:
        try:
            summary = run_batch(list(inputs), out, metadata=metadata, config=config, progress=bar, force=force,
                                aggregate=not no_aggregate, report=not (no_aggregate or no_report), engine=engine)
        except AnalyzerError as exc:
            bar.close()
            _fail(redact(str(exc)))
    bar.close()
    for failure in summary.failures:
        click.echo(f"{failure.severity}: [{failure.stage}] {failure.file}: {failure.reason}", err=True)
    click.echo(summary.line())
    index = Path(out) / "report" / "index.html"
    if not (no_aggregate or no_report) and index.exists() and "report" not in summary.failed_stages:
        click.echo(f"report: {index}")
    sys.exit(summary.exit_code)


@cli.command("score-text")
@click.argument("in_path", metavar="IN.jsonl", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_path", required=True, type=click.Path(path_type=Path), help="Output JSONL.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="TOML config file.")
@click.option("--text-model", help="Text-model bundle directory (default: the shipped models/text).")
@click.option("--sentiment-model", help="A Hugging Face sentiment classifier replacing the bundle's sentiment heads.")
def score_text(in_path, out_path, config_path, text_model, sentiment_model):
    """Score text lines without audio: {"id", "text", "speaker"} in; sentiment (customer
    sentiment, or the agent's tone for agent lines) and behaviours out."""
    from .errors import AnalyzerError
    from .textscore import score_jsonl

    config = _config(config_path, {"text": dict(model=text_model, sentiment_model=sentiment_model)})
    try:
        n = score_jsonl(in_path, out_path, config)
    except AnalyzerError as exc:
        _fail(str(exc))
    click.echo(f"scored {n} lines -> {out_path}")


@cli.command("train-behaviours")
@click.option("--taxonomy", type=click.Path(path_type=Path), help="Taxonomy YAML (default: the bundle's taxonomy.yaml).")
@click.option("--base", type=click.Path(path_type=Path), help="Bundle whose encoder to use (default: models/text).")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Where to write the bundle (default: the base bundle, in place).")
@click.option("--csv", type=click.Path(path_type=Path), help="Your labelled utterances: text,behaviour,label.")
@click.option("--data", type=click.Path(path_type=Path), help="Shared third-party data (default: ../shared/data).")
@click.option("--no-shared-data", is_flag=True, help="Train on the taxonomy, the project's lines (and CSV) only.")
@click.option("--no-eval", is_flag=True, help="Skip the held-out evaluation.")
def train_behaviours_command(taxonomy, base, out, csv, data, no_shared_data, no_eval):
    """Refit the behaviour heads after editing the taxonomy file."""
    from .behaviours.train import train_behaviours
    from .errors import AnalyzerError
    from .textmodels.evaluate import behaviour_table

    try:
        result = train_behaviours(taxonomy, out, data, csv, use_shared_data=not no_shared_data, evaluate=not no_eval, base=base, log=click.echo)
    except AnalyzerError as exc:
        _fail(str(exc))
    if result["evaluation"]:
        click.echo(behaviour_table(result["evaluation"]))
    missed = [b for b, c in result.get("calibration", {}).items() if not c.get("target_met", True)]
    if missed:
        click.echo(f"warning: the precision target was not reached on calibration data for: {', '.join(missed)}", err=True)


@cli.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="TOML config file ([aggregate] table).")
@click.option("--kpi", type=click.Choice(["composite", "aht_s", "csat", "satisfied", "sentiment_end"]), help="Ranking KPI for quartiles.")
@click.option("--min-calls", type=int, help="Calls an agent needs to be ranked (default 20).")
@click.option("--n-boot", type=int, help="Bootstrap replicates (default 300).")
@click.option("--window-days", type=click.IntRange(min=0), help="Cover the calls of the last N days of started_at (default 90; 0: every stored call).")
@click.option("--all", "all_calls", is_flag=True, help="Cover every stored call (same as --window-days 0).")
def aggregate(results_dir, config_path, kpi, min_calls, n_boot, window_days, all_calls):
    """Recompute agents, coaching and the variability report from stored calls (by default the
    calls of the last 90 days of started_at)."""
    from .errors import AnalyzerError
    from .variability.aggregate import aggregate as run_aggregate

    if all_calls and window_days:
        raise click.UsageError("--all and --window-days N: choose one")
    window = 0 if all_calls else window_days
    config = _config(config_path, {"aggregate": dict(kpi=kpi, min_calls=min_calls, n_boot=n_boot, window_days=window)})
    try:
        summary = run_aggregate(results_dir, config.aggregate)
    except AnalyzerError as exc:
        _fail(str(exc))
    click.echo(summary.line())


@cli.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Report folder (default: RESULTS_DIR/report).")
@click.option("--rebuild", is_flag=True, help="Write every call page again (after upgrading analyzer or editing the taxonomy's names).")
def report(results_dir, out, rebuild):
    """Update the HTML report (team report, scorecards, call pages, CSV exports).

    Call pages are written for calls stored since the last report (new or processed again) and
    kept; the team report, scorecards and exports are rewritten. --out must be a new or empty
    folder, or a report written there before; a folder holding anything else is refused and
    left untouched."""
    from .errors import AnalyzerError
    from .report import writer

    from .store import ResultsStore

    if not ResultsStore(Path(results_dir)).has_calls():
        _fail(f"{results_dir}: no calls stored yet; run `analyzer run` first")
    try:
        index = writer.write_report(results_dir, out, rebuild=rebuild)
    except AnalyzerError as exc:
        _fail(str(exc))
    if writer.last_summary is not None:
        click.echo(writer.last_summary.line())
    click.echo(f"report: {index}")


@cli.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
def compact(results_dir):
    """Rewrite the results directory's partitions without the rows later runs superseded.

    Nights only ever add files; a call processed again (--force, new settings or models) keeps
    its earlier rows on disk, which reads skip (latest wins). compact rewrites the partitions that
    hold such rows, or more than one file, as one file each; reads return the same before and
    after. Takes the results directory's lock (not while a run writes to it)."""
    from .errors import AnalyzerError
    from .store import compact as run_compact

    try:
        summary = run_compact(results_dir)
    except AnalyzerError as exc:
        _fail(str(exc))
    click.echo(summary.line())


@cli.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--agents", type=int, default=40, show_default=True)
@click.option("--calls", type=int, default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-agent-effects", is_flag=True, help="Simulate a team with no true differences between agents.")
def simulate(out_dir, agents, calls, seed, no_agent_effects):
    """Write a simulated population of calls (transcripts, metadata, truth) with known agent effects."""
    from .variability.simulate import SimulationOptions, simulate_population, write_transcripts

    population = simulate_population(SimulationOptions(n_agents=agents, n_calls=calls, seed=seed, agent_effects=not no_agent_effects))
    paths = write_transcripts(population, out_dir)
    click.echo(f"wrote {calls} simulated calls for {agents} agents: transcripts in {paths['transcripts']}, "
               f"metadata {paths['metadata']}, truth {paths['truth']}")


@contextmanager
def _redacted_console(options):
    """Redact what reaches the console through logging while a command runs: Python's
    last-resort stderr handler (used when no handler is configured) and any root handlers.
    Yields a function that redacts one message (for error lines the CLI prints itself)."""
    import logging

    from .redaction import RedactingLogFilter, Redactor

    if not options.enabled:
        yield lambda text: text
        return
    redactor = Redactor(options)
    log_filter = RedactingLogFilter(redactor)
    handlers = [h for h in (logging.lastResort, *logging.getLogger().handlers) if h is not None]
    for handler in handlers:
        handler.addFilter(log_filter)
    try:
        yield lambda text: redactor.redact_text(text).text
    finally:
        for handler in handlers:
            handler.removeFilter(log_filter)


class _ProgressBar:
    """Adapts runner progress events to a tqdm bar on stderr (hidden when not a terminal)."""

    def __init__(self, disable: bool):
        self.disable = disable
        self.bar = None

    def __call__(self, event) -> None:
        if self.disable:
            return
        if event.event == "start":
            from tqdm import tqdm

            self.bar = tqdm(total=event.total, initial=event.done, unit="call", disable=None, file=sys.stderr)
        elif self.bar is not None and event.event in ("done", "failed"):
            self.bar.update(1)
            if event.call_id:
                self.bar.set_postfix_str(event.call_id, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def main() -> None:
    cli(prog_name="analyzer")


if __name__ == "__main__":
    main()
