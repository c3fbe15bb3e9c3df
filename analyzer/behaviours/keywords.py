"""The keyword-rule baseline: a behaviour is present when any of its regular expressions match
(case-insensitive). Used only to measure the classifier against."""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np


def keyword_predict(texts: Sequence[str], patterns: Sequence[str]) -> np.ndarray:
    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]
    return np.array([any(c.search(t) for c in compiled) for t in texts], dtype=bool)
