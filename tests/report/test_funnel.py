"""Funnel plots put each agent's case-mix-adjusted mean against limits from the within-agent SD
of the same adjusted outcome (issue 12): raw means against the residual SD flag every agent whose
case mix differs as an outlier."""

import numpy as np

from analyzer.report.charts import funnel_series
from analyzer.variability.estimator import AgentVariability
from analyzer.variability.simulate import SimulationOptions, simulate_population


def test_no_true_differences_few_agents_outside_the_limits_despite_case_mix():
    outside, raw_outside = [], []
    for seed in range(3):
        # no agent differences at all, but agents specialise in queues of very different handle times
        population = simulate_population(SimulationOptions(n_agents=40, n_calls=4000, seed=seed, agent_effects=False, queue_concentration=0.2))
        est = AgentVariability(n_boot=0).fit(population.calls)
        entry = est.headline_["icc"]["aht_s"]
        series, mean, sd = funnel_series(est.agents_, "aht_s", entry, z=3.09)
        assert len(series) == 40 and mean == entry["team_mean"] and sd == entry["within_agent_sd"]
        assert np.allclose(series.value, est.agents_.set_index("agent_id").loc[series.agent_id, "aht_s_adjusted"])
        outside.append(series.outside.mean())
        raw = est.agents_.set_index("agent_id").loc[series.agent_id, "aht_s_raw"].to_numpy()
        raw_outside.append(np.mean((raw < series.low) | (raw > series.high)))
    assert np.mean(outside) < 0.03, outside  # 99.8% limits
    assert np.mean(raw_outside) > 0.2, raw_outside  # what the plot showed before
