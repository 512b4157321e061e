"""The scipy.special-based tails equal scipy.stats' (which R's p-functions are tested against)."""

import numpy as np
import pytest
from scipy import stats

from linkwork.stats import _distributions as dist

RNG = np.random.default_rng(20261128)
X = RNG.normal(size=500) * 4
DF = RNG.uniform(0.5, 500, size=500)


def test_t_tail_and_quantile_equal_scipy_stats():
    np.testing.assert_array_equal(dist.t_sf(X, DF), stats.t.sf(X, DF))
    q = RNG.uniform(0.001, 0.999, size=500)
    np.testing.assert_allclose(dist.t_ppf(q, DF), stats.t.ppf(q, DF), rtol=1e-14)
    assert dist.t_sf(1.959963984540054, np.inf) == pytest.approx(0.025, rel=1e-12)


def test_f_and_chi2_tails_equal_scipy_stats():
    x = np.abs(X)
    np.testing.assert_allclose(dist.f_sf(x, 3, DF), stats.f.sf(x, 3, DF), rtol=1e-14)
    np.testing.assert_allclose(dist.chi2_sf(x, DF), stats.chi2.sf(x, DF), rtol=1e-14)


def test_tukey_tail_is_studentized_range():
    assert dist.tukey_sf(3.5, 3, 40.0) == stats.studentized_range.sf(3.5, 3, 40.0)


@pytest.mark.parametrize("values", [RNG.integers(0, 4, 60), RNG.normal(size=41), [5.0, 5.0, 5.0]])
def test_average_ranks_equal_scipy_rankdata(values):
    np.testing.assert_array_equal(dist.rankdata(values), stats.rankdata(values))


def test_ranks_along_rows():
    m = RNG.integers(0, 3, size=(20, 4))
    np.testing.assert_array_equal(dist.rankdata(m, axis=1), stats.rankdata(m, axis=1))
