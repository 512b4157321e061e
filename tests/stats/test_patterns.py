"""Numbering distinct rows: codes, first occurrences, dense re-numbering."""

from __future__ import annotations

import numpy as np

from linkwork.stats.patterns import compress, first_index, row_patterns


def test_row_patterns_codes_and_first_rows() -> None:
    # small integers order lexicographically; other values by first appearance (0.5, 0.2)
    code, first = row_patterns([np.array([3, 1, 3, 1, 2]), np.array([0.5, 0.5, 0.5, 0.2, 0.5])])
    assert code.tolist() == [3, 0, 3, 1, 2]
    assert first.tolist() == [1, 3, 4, 0]
    code, first = row_patterns([np.array(["b", "a", "b"], dtype=object)])
    assert code.tolist() == [0, 1, 0]
    assert first.tolist() == [0, 1]


def test_codes_identify_equal_rows() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, 500)
    b = rng.choice([0.5, 1.5, np.pi], 500)
    code, first = row_patterns([a, b])
    pairs = list(zip(a.tolist(), b.tolist(), strict=True))
    assert len(set(pairs)) == first.size
    for i in range(500):
        assert pairs[first[code[i]]] == pairs[i]


def test_compress_and_first_index() -> None:
    key = np.array([7, 3, 7, 9])
    code, k = compress(key, 10)
    assert code.tolist() == [1, 0, 1, 2]
    assert k == 3
    assert first_index(code, k).tolist() == [1, 0, 3]
    big = np.array([10**15, 4, 10**15])  # range too large for a lookup table: hashing
    code, k = compress(big, 10**16)
    assert code.tolist() == [0, 1, 0]
    many = np.arange(40)[::-1].copy()
    assert first_index(many, 40).tolist() == list(range(39, -1, -1))


def test_count_codes_equals_bincount() -> None:
    from linkwork.stats.patterns import CHUNK, count_codes

    rng = np.random.default_rng(2)
    small = rng.integers(0, 5, 3 * CHUNK + 11).astype(np.int8)
    np.testing.assert_array_equal(count_codes(small, 5), np.bincount(small, minlength=5))
    k = 10 * CHUNK
    ordered = np.sort(rng.integers(0, k, 3 * CHUNK))  # sorted: chunked local ranges
    np.testing.assert_array_equal(count_codes(ordered, k), np.bincount(ordered, minlength=k))
    shuffled = rng.permutation(ordered)  # unsorted: one plain bincount
    np.testing.assert_array_equal(count_codes(shuffled, k), np.bincount(shuffled, minlength=k))
