import json
import shutil
from pathlib import Path

import pytest

from analyzer.config import AggregateOptions
from analyzer.runner import run_batch
from analyzer.variability.aggregate import aggregate
from analyzer.variability.simulate import SimulationOptions, simulate_population, write_transcripts

HOSTILE_TEXT = 'My name is <script>window.__xss = 1;</script> and <img src=x onerror="window.__xss = 2"> hello'


@pytest.fixture(scope="session")
def report_results(tmp_path_factory, tiny_text_models):
    """A small simulated team run through the pipeline (tiny text models), plus a call whose
    transcript and metadata carry HTML/JS, aggregated, with the report written."""
    from analyzer.report.writer import write_report

    config, models = tiny_text_models
    base = tmp_path_factory.mktemp("report")
    paths = write_transcripts(simulate_population(SimulationOptions(n_agents=8, n_calls=240, seed=11)), base / "sim")
    hostile = {"call_id": "evil<script>1", "agent_id": "agent-0001", "started_at": "2026-10-05T10:00:00",
               "utterances": [{"speaker": "customer", "start": 0, "end": 3, "text": HOSTILE_TEXT},
                              {"speaker": "agent", "start": 3.5, "end": 6, "text": "</div><script>window.__xss = 3;</script>"}]}
    (paths["transcripts"] / "evil.json").write_text(json.dumps(hostile))
    out = base / "results"
    run_batch(paths["transcripts"], out, metadata=paths["metadata"], config=config, models=models, aggregate=False, report=False)
    aggregate(out, AggregateOptions(min_calls=10, n_boot=50))
    index = write_report(out)
    return out, index
