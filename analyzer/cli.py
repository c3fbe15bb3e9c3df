"""Command line: a thin layer over the Python API. Each command is one API call.

Exit codes (documented in the README):
  0  every call processed (or already done)
  1  some calls or files failed; the rest were processed (see failures.parquet)
  2  usage error (bad option or argument)
  3  nothing could run: no inputs, every call failed, a model or config problem, store in use
"""

from __future__ import annotations

import sys
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
@click.option("--sentiment-model", help="Sentiment head directory or Hugging Face classifier (default: shipped).")
@click.option("--batch-size", type=int, help="Speech chunks decoded together (default 8).")
@click.option("--force", is_flag=True, help="Process calls again even if already stored with the same settings.")
@click.option("--no-aggregate", is_flag=True, help="Skip recomputing agents/coaching/variability (and the report) at the end.")
@click.option("--no-report", is_flag=True, help="Skip writing the HTML report at the end.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(inputs, out, metadata, config_path, model, agent_channel, device, compute_type, beam_size, sentiment_model, batch_size, force, no_aggregate, no_report, quiet):
    """Process recordings and transcripts under INPUTS into the results directory."""
    from .errors import AnalyzerError
    from .runner import run_batch

    config = _config(
        config_path,
        {
            "transcribe": dict(model=model, device=device, compute_type=compute_type, beam_size=beam_size, batch_size=batch_size),
            "audio": dict(agent_channel=agent_channel),
            "sentiment": dict(model=sentiment_model),
        },
    )
    bar = _ProgressBar(disable=quiet)
    try:
        summary = run_batch(list(inputs), out, metadata=metadata, config=config, progress=bar, force=force,
                            aggregate=not no_aggregate, report=not (no_aggregate or no_report))
    except AnalyzerError as exc:
        bar.close()
        _fail(str(exc))
    bar.close()
    for failure in summary.failures:
        click.echo(f"{failure.severity}: [{failure.stage}] {failure.file}: {failure.reason}", err=True)
    click.echo(summary.line())
    index = Path(out) / "report" / "index.html"
    if not (no_aggregate or no_report) and index.exists():
        click.echo(f"report: {index}")
    sys.exit(summary.exit_code)


@cli.command("score-text")
@click.argument("in_path", metavar="IN.jsonl", type=click.Path(path_type=Path))
@click.option("--out", "-o", "out_path", required=True, type=click.Path(path_type=Path), help="Output JSONL.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="TOML config file.")
@click.option("--sentiment-model", help="Sentiment head directory or Hugging Face classifier (default: shipped).")
def score_text(in_path, out_path, config_path, sentiment_model):
    """Score text lines without audio: {"id", "text", "speaker"} in, sentiment out."""
    from .errors import AnalyzerError
    from .textscore import score_jsonl

    config = _config(config_path, {"sentiment": dict(model=sentiment_model)})
    try:
        n = score_jsonl(in_path, out_path, config)
    except AnalyzerError as exc:
        _fail(str(exc))
    click.echo(f"scored {n} lines -> {out_path}")


@cli.command("train-behaviours")
@click.option("--taxonomy", type=click.Path(path_type=Path), help="Taxonomy YAML (default: models/behaviours/taxonomy.yaml).")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Where to write the model (default: models/behaviours).")
@click.option("--csv", type=click.Path(path_type=Path), help="Your labelled utterances: text,behaviour,label.")
@click.option("--data", type=click.Path(path_type=Path), help="Shared third-party data (default: ../shared/data).")
@click.option("--no-shared-data", is_flag=True, help="Train on the taxonomy (and CSV) only.")
@click.option("--no-eval", is_flag=True, help="Skip the held-out evaluation.")
def train_behaviours_command(taxonomy, out, csv, data, no_shared_data, no_eval):
    """Retrain the behaviour classifiers after editing the taxonomy file."""
    from .behaviours.evaluate import beats_keywords, results_table
    from .behaviours.train import train_behaviours
    from .errors import AnalyzerError

    try:
        config = train_behaviours(taxonomy, out, data, csv, use_shared_data=not no_shared_data, evaluate=not no_eval, log=click.echo)
    except AnalyzerError as exc:
        _fail(str(exc))
    if config["evaluation"]:
        click.echo(results_table(config["evaluation"]))
        behind = beats_keywords(config["evaluation"])
        if behind:
            click.echo(f"warning: the classifier does not beat the keyword rules on: {', '.join(behind)}", err=True)


@cli.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="TOML config file ([aggregate] table).")
@click.option("--kpi", type=click.Choice(["composite", "aht_s", "csat", "satisfied", "sentiment_end"]), help="Ranking KPI for quartiles.")
@click.option("--min-calls", type=int, help="Calls an agent needs to be ranked (default 20).")
@click.option("--n-boot", type=int, help="Bootstrap replicates (default 300).")
def aggregate(results_dir, config_path, kpi, min_calls, n_boot):
    """Recompute agents, coaching and the variability report from stored calls."""
    from .errors import AnalyzerError
    from .variability.aggregate import aggregate as run_aggregate

    config = _config(config_path, {"aggregate": dict(kpi=kpi, min_calls=min_calls, n_boot=n_boot)})
    try:
        summary = run_aggregate(results_dir, config.aggregate)
    except AnalyzerError as exc:
        _fail(str(exc))
    click.echo(summary.line())


@cli.command()
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Report folder (default: RESULTS_DIR/report).")
def report(results_dir, out):
    """Regenerate the HTML report (team report, scorecards, call pages, CSV exports)."""
    from .report.writer import write_report

    if not (Path(results_dir) / "calls.parquet").exists():
        _fail(f"{results_dir}: no calls stored yet; run `analyzer run` first")
    index = write_report(results_dir, out)
    click.echo(f"report: {index}")


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
