"""The example search's shortcuts against their plain definitions: the store reader's utterances
in (call, utterance_index) order (moving whole calls when it can), and the join of behaviour rows
to their utterances (a lookup for calls numbered without gaps, a search for the others)."""

import numpy as np
import pytest

from analyzer.variability.aggregate import _in_utterance_order
from analyzer.variability.coaching import _utterance_rows


def _key(call, index):
    return np.asarray(call, dtype=np.int64) * (1 << 32) + (np.asarray(index, dtype=np.int64) + (1 << 31))


def _chunks(rng, kind):
    """Files of utterances: calls sorted in each file, rows of a call in index order; ``kind``
    breaks that: a call in two files, a file out of order, an index twice."""
    calls, chunks = rng.permutation(100), []
    for f in range(4):
        file_calls = np.sort(calls[25 * f:25 * f + 25])
        if kind == "split" and f == 2:
            file_calls = np.append(file_calls, calls[0])
        rows = [(c, i) for c in file_calls for i in range(rng.integers(0, 5))]
        call = np.array([r[0] for r in rows], dtype=np.int32)
        index = np.array([r[1] for r in rows], dtype=np.int32)
        if kind == "unsorted" and f == 1 and len(index) > 2:
            index[[0, 1]] = index[[1, 0]]
        if kind == "repeated" and len(index) > 2:
            index[2] = index[1]
        chunks.append([call, index, rng.standard_normal(len(call)), np.arange(len(call)) + 1000 * f])
    return chunks


@pytest.mark.parametrize("kind", ["plain", "split", "unsorted", "repeated"])
def test_utterances_come_in_call_order_as_a_stable_sort_gives_them(kind):
    rng = np.random.default_rng(3)
    for _ in range(10):
        chunks = _chunks(rng, kind)
        columns = [np.concatenate(c) for c in zip(*chunks)]
        key = _key(columns[0], columns[1])
        order = np.argsort(key, kind="stable")
        got_key, got = _in_utterance_order([list(c) for c in chunks])
        assert np.array_equal(got_key, key[order])
        for column, expected in zip(got, columns):
            assert column.dtype == expected.dtype and np.array_equal(column, expected[order])


def test_behaviour_rows_find_their_utterance_as_a_search_does():
    rng = np.random.default_rng(5)
    # call 0: indexes 0-3; 1: 2-5 (not from 0); 2: a gap; 3: an index twice; 4: no utterances
    rows = [(0, i) for i in range(4)] + [(1, i) for i in range(2, 6)] + [(2, 0), (2, 1), (2, 3)] + [(3, 0), (3, 1), (3, 1), (3, 2)]
    call = np.array([r[0] for r in rows], dtype=np.int32)
    index = np.array([r[1] for r in rows], dtype=np.int32)
    key = _key(call, index)
    b_call = rng.integers(0, 6, 400).astype(np.int32)
    b_index = rng.integers(-1, 7, 400).astype(float)
    b_key = _key(b_call, b_index.astype(np.int64))
    at = np.searchsorted(key, b_key, side="right") - 1
    expected = np.where((at >= 0) & (key[np.maximum(at, 0)] == b_key), at, -1)
    assert np.array_equal(_utterance_rows(key, call, index, b_call, b_index), expected)
