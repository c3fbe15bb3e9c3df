"""The few distribution functions the aggregate needs, from ``scipy.special`` (about 0.3 s to
import) instead of ``scipy.stats`` (1-2 s): on a small night the import was most of the
aggregate's time. Cross-checked against ``scipy.stats`` in the tests."""

from __future__ import annotations

import numpy as np


def normal_ppf(q: float) -> float:
    """Quantile of the standard normal distribution."""
    from scipy.special import ndtri

    return float(ndtri(q))


def student_ppf(q: float, dof: float) -> float:
    """Quantile of Student's t distribution with ``dof`` degrees of freedom."""
    from scipy.special import stdtrit

    return float(stdtrit(dof, q))


def f_ppf(q: float, dfn: float, dfd: float) -> float:
    """Quantile of the F distribution with (``dfn``, ``dfd``) degrees of freedom."""
    from scipy.special import fdtri

    return float(fdtri(dfn, dfd, q))


def spearman(x, y) -> float:
    """Spearman's rank correlation (average ranks for ties), NaN when either side is constant."""
    import pandas as pd

    rx = pd.Series(np.asarray(x, dtype=float)).rank().to_numpy()
    ry = pd.Series(np.asarray(y, dtype=float)).rank().to_numpy()
    if len(rx) < 2 or np.std(rx) == 0 or np.std(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])
