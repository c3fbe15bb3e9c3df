"""``aggregate``: run the variability engine over every call in a results directory and write
``agents.parquet``, ``coaching.parquet``, ``call_outcomes.parquet`` and ``variability.json``."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Union

from ..config import AggregateOptions
from ..errors import AnalyzerError
from ..results import load_results
from ..store import ResultsStore
from .coaching import coaching_opportunities
from .estimator import AgentVariability

log = logging.getLogger("analyzer")
OUTCOME_COLUMNS = ("call_id", "agent_id", "quartile", "aht_s", "aht_source", "csat", "satisfied", "csat_predicted", "sentiment_start", "sentiment_end")


@dataclass(frozen=True)
class AggregateSummary:
    n_calls: int
    n_agents: int
    n_ranked_agents: int
    paths: dict

    def line(self) -> str:
        return f"aggregated {self.n_calls} calls over {self.n_agents} agents ({self.n_ranked_agents} ranked) -> {self.paths['variability']}"


def estimator_from(options: AggregateOptions) -> AgentVariability:
    return AgentVariability(
        kpi=options.kpi, min_calls=options.min_calls, min_surveys=options.min_surveys, confidence=options.confidence,
        n_boot=options.n_boot, case_mix=tuple(options.case_mix), period_days=options.period_days, random_state=options.random_state,
    )


def aggregate(results_dir: Union[str, Path], options: Optional[AggregateOptions] = None) -> AggregateSummary:
    """Recompute the variability outputs from the stored calls (no re-transcription)."""
    import pyarrow as pa

    options = options or AggregateOptions()
    results = load_results(results_dir)
    if results.calls.empty:
        raise AnalyzerError(f"{results_dir}: no calls stored yet; run `analyzer run` first")
    try:
        est = estimator_from(options).fit(results.calls)
    except ValueError as exc:
        raise AnalyzerError(f"{results_dir}: cannot aggregate ({exc})") from None
    coaching = coaching_opportunities(est, results.behaviours, results.utterances, options.coaching_per_agent, options.coaching_examples)
    store = ResultsStore(Path(results_dir))
    store.write_table("agents", pa.Table.from_pandas(est.agents_, preserve_index=False))
    store.write_table("coaching", pa.Table.from_pandas(coaching, preserve_index=False))
    outcomes = est.calls_[[c for c in OUTCOME_COLUMNS if c in est.calls_.columns]]
    store.write_table("call_outcomes", pa.Table.from_pandas(outcomes, preserve_index=False))
    headline = {**est.headline_, "options": asdict(options)}
    path = store.write_json("variability.json", headline)
    summary = AggregateSummary(est.n_calls_, est.n_agents_, int(est.agents_.ranked.sum()), {
        "agents": str(store.path("agents")), "coaching": str(store.path("coaching")),
        "call_outcomes": str(store.path("call_outcomes")), "variability": str(path)})
    log.info(summary.line())
    return summary
