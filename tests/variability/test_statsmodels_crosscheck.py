"""The engine's regressions and variance components against statsmodels on simulated data."""

import numpy as np
import pytest

sm = pytest.importorskip("statsmodels.api")

from analyzer.variability.effects import behaviour_effects, group_means, ols_cluster, within_ols  # noqa: E402
from analyzer.variability.estimator import AgentVariability  # noqa: E402
from analyzer.variability.outcomes import case_mix_matrix  # noqa: E402
from analyzer.variability.shrinkage import case_mix_adjust, shrink, variance_components  # noqa: E402
from analyzer.variability.simulate import SimulationOptions, simulate_population  # noqa: E402


@pytest.fixture(scope="module")
def team():
    population = simulate_population(SimulationOptions(n_agents=25, n_calls=1500, seed=3, skill_confounding=0.6))
    est = AgentVariability(n_boot=0, min_calls=5).fit(population.calls)
    df = est.calls_
    codes = df["agent_id"].astype("category").cat.codes.to_numpy()
    X0, _ = case_mix_matrix(df, est.case_mix)
    behaviours = ["empathy", "ownership", "apology", "dismissive"]
    H = df[[f"beh_{b}" for b in behaviours]].to_numpy(float)
    return est, df, codes, X0, H, behaviours


def test_pooled_ols_with_agent_clustered_errors(team):
    _, df, codes, X0, H, _ = team
    y = df["sentiment_end"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), H, X0])
    beta, se = ols_cluster(y, X, codes, codes.max() + 1)
    ref = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes})
    assert beta == pytest.approx(ref.params, rel=1e-8, abs=1e-8)
    assert se == pytest.approx(ref.bse, rel=1e-8)


def test_fixed_effects_match_agent_dummies_and_clustered_errors(team):
    _, df, codes, X0, H, _ = team
    y = df["sentiment_end"].to_numpy(float)
    Z = np.column_stack([H, X0])
    beta, cov = within_ols(y, Z, codes, codes.max() + 1)
    dummies = (codes[:, None] == np.arange(codes.max() + 1)[None, :]).astype(float)
    lsdv = sm.OLS(y, np.column_stack([Z, dummies])).fit()
    assert beta == pytest.approx(lsdv.params[: Z.shape[1]], rel=1e-6, abs=1e-8)
    # cluster-robust errors: statsmodels on the within-transformed data (the agent means are
    # absorbed, nested in the clusters, as Stata's xtreg, fe vce(cluster))
    demeaned = sm.OLS(y - group_means(y, codes, codes.max() + 1), Z - group_means(Z, codes, codes.max() + 1)).fit(
        cov_type="cluster", cov_kwds={"groups": codes})
    assert np.sqrt(np.diag(cov)) == pytest.approx(demeaned.bse, rel=1e-8)
    # the engine's case-mix adjustment is the same within-agent regression
    _, case_beta = case_mix_adjust(y, X0, codes, codes.max() + 1)
    assert case_beta == pytest.approx(sm.OLS(y, np.column_stack([X0, dummies])).fit().params[: X0.shape[1]], rel=1e-6, abs=1e-8)


def test_behaviour_effects_within_naive_and_between(team):
    est, df, codes, X0, H, behaviours = team
    out = behaviour_effects(df, X0, codes, codes.max() + 1, behaviours, ["empathy", "ownership", "apology"], outcomes=("sentiment_end",))
    rows = {r["behaviour"]: r for r in out["sentiment_end"]["behaviours"]}
    y = df["sentiment_end"].to_numpy(float)
    G = codes.max() + 1
    dummies = (codes[:, None] == np.arange(G)[None, :]).astype(float)
    lsdv = sm.OLS(y, np.column_stack([H, X0, dummies])).fit()
    pooled = sm.OLS(y, np.column_stack([np.ones(len(y)), H, X0])).fit(cov_type="cluster", cov_kwds={"groups": codes})
    # between agents: agents' means of y net of the within-agent case-mix effects on their
    # behaviour rates, weighted by calls
    y_net = y - X0 @ lsdv.params[H.shape[1]: H.shape[1] + X0.shape[1]]
    n = np.bincount(codes)
    means = lambda v: np.bincount(codes, weights=v) / n  # noqa: E731
    between = sm.WLS(means(y_net), sm.add_constant(np.column_stack([means(H[:, j]) for j in range(H.shape[1])])), weights=n).fit()
    crit = pytest.importorskip("scipy.stats").t.ppf(0.975, G - 1)
    for j, b in enumerate(behaviours):
        assert rows[b]["effect"] == pytest.approx(lsdv.params[j], abs=1e-4)
        assert rows[b]["naive_effect"] == pytest.approx(pooled.params[1 + j], abs=1e-4)
        assert rows[b]["naive_high"] - rows[b]["naive_effect"] == pytest.approx(crit * pooled.bse[1 + j], abs=2e-4)
        assert rows[b]["between_effect"] == pytest.approx(between.params[1 + j], abs=1e-4)


def _balanced(seed, agents=30, per=40, tau=2.0, sigma=5.0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(agents), per)
    y = 50 + rng.normal(0, tau, agents)[groups] + rng.normal(0, sigma, len(groups))
    return y, groups


def _components(y, groups):
    A = groups.max() + 1
    return variance_components(np.bincount(groups, weights=y, minlength=A), np.bincount(groups, weights=y * y, minlength=A),
                               np.bincount(groups, minlength=A).astype(float))


def test_variance_components_and_shrinkage_match_reml_on_balanced_teams():
    for seed in range(3):
        y, groups = _balanced(seed)
        comp = _components(y, groups)
        fit = sm.MixedLM(y, np.ones((len(y), 1)), groups).fit(reml=True, method="powell")  # lbfgs can stop at tau^2 = 0 here
        assert fit.converged
        assert comp.within == pytest.approx(fit.scale, rel=1e-3)
        assert comp.between == pytest.approx(float(np.asarray(fit.cov_re)[0, 0]), rel=1e-3)
        # empirical-Bayes agent means = REML BLUPs (fixed intercept + predicted random effect)
        A = groups.max() + 1
        shrunk = shrink(np.bincount(groups, weights=y, minlength=A), np.bincount(groups, minlength=A).astype(float), comp).shrunk
        blup = np.array([fit.fe_params[0] + float(np.asarray(fit.random_effects[g]).ravel()[0]) for g in range(A)])
        assert shrunk == pytest.approx(blup, abs=1e-3 * comp.within ** 0.5)


def test_variance_components_close_to_reml_on_unbalanced_teams():
    rng = np.random.default_rng(7)
    between, reml = [], []
    for _ in range(5):
        n = np.maximum(np.round(rng.lognormal(np.log(30), 0.9, 40)).astype(int), 2)
        groups = np.repeat(np.arange(40), n)
        y = rng.normal(0, 2.0, 40)[groups] + rng.normal(0, 5.0, len(groups))
        comp = _components(y, groups)
        fit = sm.MixedLM(y, np.ones((len(y), 1)), groups).fit(reml=True, method="powell")  # lbfgs can stop at tau^2 = 0 here
        assert fit.converged
        assert comp.within == pytest.approx(fit.scale, rel=0.02)
        between.append(comp.between)
        reml.append(float(np.asarray(fit.cov_re)[0, 0]))
    # method of moments and REML are different estimators of tau^2: close, not equal
    assert np.mean(between) == pytest.approx(np.mean(reml), rel=0.15)
    assert np.corrcoef(between, reml)[0, 1] > 0.9
