"""CallKeys (the store's lookup of call ids, once per file read) against the plain definition:
the position of each id among the calls given (the first of an id given twice), -1 for others
and for missing ids, whatever the ids look like."""

import numpy as np
import pyarrow as pa
import pytest

from analyzer.store import CallKeys


def reference(call_ids, column):
    position = {}
    for i, c in enumerate(dict.fromkeys(call_ids)):
        position[c] = i
    return [-1 if v is None else position.get(v, -1) for v in column]


CASES = [
    # ids that differ only by trailing NULs or by being a prefix; an empty id; missing ids; repeats
    (["a", "a\x00", "", None, "b", "a", None, "abc", "ab"], ["a", "a\x00", "a\x00\x00", "", None, "b", "zz", "abcd", "ab", "abc", "a", "a"]),
    (["x1", "x2", "x3"], ["x2", "x2", "x1", "x9", None, "x3"]),
    ([], ["a"]),
    (["é", "e", "ü", "日本"], ["ü", "é", "e", "E", "日本", "日"]),
    (["sim-%07d" % i for i in range(50)], ["sim-%07d" % i for i in (3, 3, 3, 7, 49, 50, 7)]),
]


@pytest.mark.parametrize("call_ids, column", CASES)
def test_codes_are_positions_of_the_first_of_each_id(call_ids, column):
    keys = CallKeys(np.array(call_ids, dtype=object), np.arange(len(call_ids)))
    assert len(keys) == len(dict.fromkeys(call_ids))
    firsts = {c: i for i, c in reversed(list(enumerate(call_ids)))}
    assert keys.versions.tolist() == [firsts[c] for c in dict.fromkeys(call_ids)]
    expected = reference(call_ids, column)
    array = pa.array(column, pa.string())
    for given in (array, pa.array(column, pa.large_string()), pa.chunked_array([array[:2], array[2:]]), np.array(column, dtype=object)):
        assert keys.codes(given).tolist() == expected
    assert keys.codes(array.slice(1)).tolist() == expected[1:]


def test_codes_of_arrow_keys_and_many_ids():
    ids = pa.array(["call-%d" % i for i in range(5000)])  # ids of several lengths
    keys = CallKeys(ids, np.zeros(5000))
    column = pa.array(["call-%d" % i for i in (17, 17, 4999, 5000, 0)] + [None])
    assert keys.codes(column).tolist() == [17, 17, 4999, -1, 0, -1]
    assert keys.codes(pa.array([], pa.string())).tolist() == []
