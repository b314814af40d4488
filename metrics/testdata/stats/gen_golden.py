#!/usr/bin/env python3
"""Reference values for metrics/stats_golden_test.go.

Regenerate (Debian: apt-get install python3-numpy python3-scipy python3-statsmodels):
    python3 metrics/testdata/stats/gen_golden.py > metrics/testdata/stats/golden.json
Versions used are recorded in the output.
"""
import json
import math

import numpy as np
import scipy
import scipy.stats as st
import statsmodels
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

rng = np.random.default_rng(20261122)


def codex_pass_at_k(n, c, k):
    """Chen et al. 2021, Figure 3 (numpy)."""
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


out = {
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
    "describe": [],
    "pass_at_k": [],
    "wilson": [],
    "mcnemar": [],
    "permutation": [],
}

# Descriptive statistics: numpy.mean/median/std/percentile (default linear method).
arrays = [
    [1.0],
    [3.0, 1.0],
    [1.0, 2.0, 3.0, 4.0],
    [10.0, 7.0, 7.0, 3.0, 100.0],
    [0.5, -2.25, 8.0, 1e6, 3.0, 3.0, 42.0],
]
for n in (2, 3, 9, 10, 11, 57, 100, 1001):
    arrays.append([float(x) for x in rng.integers(1, 32768, size=n)])
    arrays.append([float(x) for x in rng.lognormal(3.0, 1.2, size=n)])
qs = [0, 1, 5, 10, 25, 33.3, 50, 66.6, 75, 90, 95, 97.5, 99, 100]
for a in arrays:
    x = np.array(a)
    out["describe"].append({
        "x": a,
        "mean": float(np.mean(x)),
        "median": float(np.median(x)),
        "std": float(np.std(x)),
        "q": qs,
        "percentile": [float(np.percentile(x, q)) for q in qs],
    })

# pass@k: Codex numpy code and the closed form with exact integer binomials.
for n, c, k in [(1, 0, 1), (1, 1, 1), (5, 2, 1), (5, 2, 2), (5, 2, 3), (5, 2, 4), (5, 2, 5),
                (10, 3, 5), (16, 1, 8), (16, 15, 2), (20, 0, 10), (64, 7, 1), (64, 7, 8),
                (64, 7, 32), (100, 50, 10), (200, 3, 100), (1000, 1, 500), (1000, 999, 1)]:
    exact = 1 - math.comb(n - c, k) / math.comb(n, k)
    out["pass_at_k"].append({"n": n, "c": c, "k": k, "value": float(codex_pass_at_k(n, c, k)), "exact": exact})

# Wilson score interval: statsmodels proportion_confint(method="wilson").
for count, nobs in [(0, 1), (1, 1), (0, 10), (10, 10), (3, 10), (45, 100), (1, 500), (4123, 5000), (250, 500)]:
    for level in (0.9, 0.95, 0.99):
        lo, hi = proportion_confint(count, nobs, alpha=1 - level, method="wilson")
        out["wilson"].append({"count": count, "n": nobs, "level": level, "low": float(lo), "high": float(hi)})

# McNemar exact: statsmodels mcnemar(exact=True) and scipy binomtest.
for b, c in [(0, 0), (0, 1), (1, 0), (1, 1), (0, 5), (2, 8), (5, 5), (3, 12), (10, 25), (40, 60),
             (100, 130), (500, 560), (1000, 1100), (0, 30), (7, 0)]:
    p_sm = mcnemar([[0, b], [c, 0]], exact=True).pvalue
    p_bt = st.binomtest(b, b + c, 0.5).pvalue if b + c > 0 else 1.0
    out["mcnemar"].append({"b": b, "c": c, "p": float(p_sm), "p_binomtest": float(p_bt)})

# Paired sign-flip permutation test, exact (all 2^m sign patterns): scipy permutation_test,
# permutation_type="samples" on (cand, base) pairs with statistic mean(cand - base).
def stat(x, y, axis):
    return np.mean(x - y, axis=axis)

for m in (3, 6, 10, 14):
    k = 4
    base = rng.integers(0, k + 1, size=m) / k
    cand = rng.integers(0, k + 1, size=m) / k
    res = st.permutation_test((cand, base), stat, permutation_type="samples", vectorized=True,
                              n_resamples=np.inf, alternative="two-sided")
    out["permutation"].append({"base": base.tolist(), "cand": cand.tolist(), "p": float(res.pvalue)})

print(json.dumps(out, indent=1))
