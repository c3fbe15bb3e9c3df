"""The aggregate's distribution functions (scipy.special, quick to import) agree with scipy.stats."""

import numpy as np
import pytest
from scipy import stats

from analyzer.variability.distributions import f_ppf, normal_ppf, spearman, student_ppf


@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.975, 0.995])
def test_quantiles_match_scipy_stats(q):
    assert normal_ppf(q) == pytest.approx(stats.norm.ppf(q), rel=1e-10)
    for dof in (1, 2, 5, 29, 400):
        assert student_ppf(q, dof) == pytest.approx(stats.t.ppf(q, dof), rel=1e-9)
    for dfn, dfd in ((1, 10), (4, 60), (29, 1470), (1999, 998000)):
        assert f_ppf(q, dfn, dfd) == pytest.approx(stats.f.ppf(q, dfn, dfd), rel=1e-8)


def test_spearman_matches_scipy_stats_with_ties_and_nan():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, 200).astype(float)  # many ties
    y = x + rng.normal(0, 2, 200)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], rel=1e-12)
    assert spearman(x, -y) < 0
    x[3] = np.nan
    assert np.isnan(spearman(x, y)) and np.isnan(stats.spearmanr(x, y)[0])
    assert np.isnan(spearman(np.ones(5), np.arange(5)))
