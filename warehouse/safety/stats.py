"""Exact confidence intervals for safety rates, rate ratios and mean changes.

Vectorised over numpy arrays (one call per table, never per subject). All intervals
are two-sided at ``1 - alpha`` (95 % by default):

- a Poisson count ``k``: the exact Garwood (1936) interval
  ``[chi2.ppf(alpha/2, 2k) / 2, chi2.ppf(1 - alpha/2, 2k + 2) / 2]`` (lower 0 when
  ``k = 0``), divided by the person-time for a rate;
- a ratio of two Poisson rates: the exact conditional (binomial) method. Given
  ``k1 + k2`` events, ``k1`` is binomial with ``p = RR t1 / (RR t1 + t2)``; the
  Clopper-Pearson limits of ``p`` (``scipy.stats.beta.ppf``) map back to
  ``RR = p / (1 - p) * t2 / t1``; the p-value is ``scipy.stats.binomtest`` of
  ``k1`` out of ``k1 + k2`` against ``t1 / (t1 + t2)`` (RR = 1);
- a mean: Student's t interval ``mean +/- t(1 - alpha/2, n - 1) * sd / sqrt(n)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

ALPHA = 0.05
PER = 100.0  # rates are given per 100 patient-years
DAYS_PER_YEAR = 365.25

Numbers = Sequence[float] | np.ndarray


def _array(values: Numbers | float) -> np.ndarray:
    return np.atleast_1d(np.asarray(values, dtype=float))


def poisson_ci(counts: Numbers | float, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Garwood exact limits for Poisson counts (e.g. 0 -> (0, 3.689), 5 -> (1.624, 11.668))."""
    k = _array(counts)
    lower = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * np.maximum(k, 1)) / 2, 0.0)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return lower, upper


def _per(counts: np.ndarray, years: np.ndarray, per: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(years > 0, counts / np.where(years > 0, years, 1.0) * per, np.nan)


def rate_ci(
    counts: Numbers | float, years: Numbers | float, per: float = PER, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate per ``per`` person-years with its exact Garwood interval (NaN with no time)."""
    k, t = _array(counts), _array(years)
    lower, upper = poisson_ci(k, alpha)
    return _per(k, t, per), _per(lower, t, per), _per(upper, t, per)


def rate_ratio_ci(
    k1: Numbers | float,
    t1: Numbers | float,
    k2: Numbers | float,
    t2: Numbers | float,
    alpha: float = ALPHA,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ratio of rate 1 to rate 2 with the exact conditional (Clopper-Pearson) limits.

    Returns (ratio, lower, upper, p_value). The lower limit is 0 when ``k1 = 0``, the
    upper limit infinite when ``k2 = 0``; everything is NaN when ``k1 + k2 = 0`` or
    either person-time is zero.
    """
    a, ta, b, tb = _array(k1), _array(t1), _array(k2), _array(t2)
    valid = (a + b > 0) & (ta > 0) & (tb > 0)
    scale = np.where(valid, tb / np.where(ta > 0, ta, 1.0), np.nan)
    p_low = np.where(a > 0, stats.beta.ppf(alpha / 2, np.maximum(a, 1), b + 1), 0.0)
    p_high = np.where(b > 0, stats.beta.ppf(1 - alpha / 2, a + 1, np.maximum(b, 1)), 1.0)
    below_one = np.where(p_high < 1, p_high, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, a / np.where(b > 0, b, 1.0) * scale, np.inf)
        lower = p_low / (1 - p_low) * scale
        upper = np.where(p_high < 1, below_one / (1 - below_one) * scale, np.inf)
    p_value = np.array(
        [
            stats.binomtest(int(x), int(x + y), float(s / (s + u))).pvalue if ok else np.nan
            for x, y, s, u, ok in zip(a, b, ta, tb, valid, strict=True)
        ]
    )
    nan = np.full(a.shape, np.nan)
    return (
        np.where(valid, ratio, nan),
        np.where(valid, lower, nan),
        np.where(valid, upper, nan),
        p_value,
    )


def mean_ci(
    means: Numbers | float, sds: Numbers | float, n: Numbers | float, alpha: float = ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """Student's t limits of a mean (NaN for fewer than two values)."""
    m, s, k = _array(means), _array(sds), _array(n)
    ok = k >= 2
    df = np.where(ok, k - 1, 1)
    half = stats.t.ppf(1 - alpha / 2, df) * s / np.sqrt(np.where(ok, k, 1))
    return np.where(ok, m - half, np.nan), np.where(ok, m + half, np.nan)
