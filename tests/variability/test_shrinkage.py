import numpy as np
import pytest

from analyzer.variability.shrinkage import case_mix_adjust, shrink, variance_components


def test_variance_components_known_answer():
    # two agents, balanced: means 1 and 3, within variance 1 (values m-1, m+1)
    sums = np.array([2.0, 6.0])
    sumsq = np.array([0.0 + 4.0, 4.0 + 16.0])
    counts = np.array([2.0, 2.0])
    comp = variance_components(sums, sumsq, counts)
    assert comp.mean == pytest.approx(2.0)
    assert comp.within == pytest.approx(2.0)  # SS_within = 2 + 2 over N - A = 2
    # MSB = 2 * (1 + 1) / 1 = 4; n0 = 2; tau2 = (4 - 2) / 2 = 1
    assert comp.between == pytest.approx(1.0) and comp.icc == pytest.approx(1 / 3)


def test_small_agents_are_shrunk_more():
    rng = np.random.default_rng(0)
    n = np.array([200, 200, 200, 200, 4, 4], float)
    true = np.array([-1.0, 1.0, -0.5, 0.5, 2.0, -2.0])
    sums = np.array([rng.normal(t, 2, int(k)).sum() for t, k in zip(true, n)])
    sumsq = sums**2 / n + 4 * (n - 1)
    comp = variance_components(sums, sumsq, n)
    est = shrink(sums, n, comp)
    assert est.weight[4] < est.weight[0] and est.weight[5] < est.weight[0]
    assert abs(est.shrunk[4] - comp.mean) < abs(est.raw[4] - comp.mean)
    assert est.se[4] > est.se[0]


def test_no_between_variance_shrinks_everyone_to_the_mean():
    sums, counts = np.array([10.0, 12.0, 11.0]), np.array([10.0, 10.0, 10.0])
    comp = variance_components(sums, sums**2 / counts + 9 * 100, counts)
    assert comp.between == 0 and comp.icc == 0
    est = shrink(sums, counts, comp)
    assert np.allclose(est.shrunk, comp.mean)


def test_case_mix_adjustment_is_not_fooled_by_who_takes_the_hard_queue():
    rng = np.random.default_rng(1)
    agent = np.repeat(np.arange(4), 500)
    hard = np.where(agent < 2, rng.random(2000) < 0.9, rng.random(2000) < 0.1).astype(float)  # agents 0,1 take the hard queue
    y = 300 + 200 * hard + rng.normal(0, 30, 2000)  # no agent effect at all
    adjusted, beta = case_mix_adjust(y, hard[:, None], agent, 4)
    assert beta[0] == pytest.approx(200, abs=5)
    means = np.bincount(agent, weights=adjusted) / 500
    raw = np.bincount(agent, weights=y) / 500
    assert np.ptp(raw) > 100 and np.ptp(means) < 10
