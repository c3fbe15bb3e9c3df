"""Simulated transcripts through the whole pipeline, then the aggregates (plumbing: tiny text
models; the statistics are validated in test_engine_validation.py)."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from analyzer.results import load_results
from analyzer.runner import run_batch
from analyzer.variability.simulate import SimulationOptions, simulate_population, write_transcripts


@pytest.fixture(scope="module")
def aggregated(tmp_path_factory, tiny_text_models):
    config, models = tiny_text_models
    base = tmp_path_factory.mktemp("sim")
    paths = write_transcripts(simulate_population(SimulationOptions(n_agents=12, n_calls=400, seed=7)), base / "sim")
    out = base / "results"
    summary = run_batch(paths["transcripts"], out, metadata=paths["metadata"], config=config, models=models)
    return summary, out, json.loads(paths["truth"].read_text())


def test_batch_writes_the_aggregates(aggregated):
    summary, out, truth = aggregated
    assert summary.exit_code == 0 and summary.n_ok == 400
    results = load_results(out)
    assert len(results.agents) == 12 and results.agents.agent_id.is_unique
    assert results.agents.n_calls.sum() == 400
    assert set(results.call_outcomes.aht_source) == {"handle_seconds"}
    headline = results.variability()
    assert headline["n_calls"] == 400 and set(headline["icc"]) >= {"aht_s", "csat", "sentiment_end"}
    assert "opportunity" in headline and "behaviour_effects" in headline and "time_use_by_quartile" in headline
    ranked = results.agents[results.agents.ranked]
    assert set(ranked.quartile) == {1, 2, 3, 4}


def test_coaching_has_example_moments(aggregated):
    _, out, _ = aggregated
    coaching = load_results(out).coaching
    if coaching.empty:
        pytest.skip("the tiny random models found no behaviour effects to coach on")
    assert (coaching.groupby("agent_id").size() <= 3).all()
    assert coaching.priority.gt(0).all()
    with_examples = coaching[coaching.examples.apply(len) > 0]
    assert len(with_examples)
    moment = with_examples.examples.iloc[0][0]
    assert {"call_id", "time_s", "text"} <= set(moment)


def test_aggregate_command_recomputes_without_reprocessing(aggregated, tmp_path):
    _, out, _ = aggregated
    before = pd.read_parquet(out / "calls")
    (out / "variability.json").unlink()
    result = CliRunner().invoke(cli, ["aggregate", str(out), "--min-calls", "5", "--n-boot", "20"])
    assert result.exit_code == 0, result.output
    assert "aggregated 400 calls over 12 agents" in result.output
    headline = json.loads((out / "variability.json").read_text())
    assert headline["min_calls"] == 5 and headline["options"]["n_boot"] == 20
    assert pd.read_parquet(out / "calls").equals(before)


def test_aggregate_on_empty_results_is_a_clear_error(tmp_path):
    (tmp_path / "r").mkdir()
    result = CliRunner().invoke(cli, ["aggregate", str(tmp_path / "r")])
    assert result.exit_code == 3 and "no calls stored yet" in result.output


def test_simulate_command(tmp_path):
    result = CliRunner().invoke(cli, ["simulate", str(tmp_path / "s"), "--agents", "3", "--calls", "10", "--no-agent-effects"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "s" / "transcripts").glob("*.json"))) == 10
    truth = json.loads((tmp_path / "s" / "truth.json").read_text())
    assert all(a["true_aht_effect_s"] == 0 for a in truth["agents"])
