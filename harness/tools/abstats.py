"""Paired A/B statistics for harness/compare (docs/harness.md, "Comparing two commits").

Each pair is one evaluation of BASE and one of CAND, run back to back. For a
metric, a pair gives one log-ratio ln(CAND / BASE) of the two evaluations'
medians across their measured runs. The ratio reported is exp(mean of the
log-ratios); its 95 % confidence interval is the Student t-interval on the
mean log-ratio, mapped back with exp. Ratios are analysed on the log scale
because speed noise is multiplicative and ln(a/b) = -ln(b/a).

Python's standard library only: this runs in CI before anything is installed.
"""

import math

# Two-sided 95 % quantiles of Student's t, t(0.975, df), for df = 1..30;
# beyond 30 the normal quantile 1.96 is used (t(0.975, 30) = 2.042, so the
# interval is then at most 4 % too narrow).
T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]


def t975(df):
    """t(0.975, df) for df >= 1."""
    if df < 1:
        raise ValueError("a t-interval needs at least two pairs")
    return T975[df - 1] if df <= len(T975) else 1.96


def median(values):
    v = sorted(values)
    if not v:
        raise ValueError("median of nothing")
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def ratio_interval(base, cand):
    """Paired per-pair values (same length >= 2, all > 0) -> (ratio, low, high).

    ratio = exp(mean(ln(cand_i / base_i))), [low, high] its 95 % t-interval.
    """
    if len(base) != len(cand):
        raise ValueError("unpaired values")
    if any(x <= 0 for x in base + cand):
        raise ValueError("ratios need positive values")
    d = [math.log(c / b) for b, c in zip(base, cand)]
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else float("inf")
    half = t975(n - 1) * sd / math.sqrt(n)
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def verdict(low, high, higher_is_better):
    """'faster', 'slower' or 'within noise' for a CAND/BASE ratio interval.

    A metric where higher is better (tokens per second) is faster when the
    whole interval lies above 1; one where lower is better (milliseconds) when
    it lies below 1.
    """
    if low > 1.0:
        return "faster" if higher_is_better else "slower"
    if high < 1.0:
        return "slower" if higher_is_better else "faster"
    return "within noise"
