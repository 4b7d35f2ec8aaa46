#!/usr/bin/python3
"""Reference values for Statistics.Tests: scipy.stats.spearmanr on fixed datasets with ties.

Run from the repo root with the system interpreter (it has scipy):
    /usr/bin/python3 tests/Statistics.Tests/reference/spearman_reference.py
Writes spearman_reference.json next to this script.
"""
import json
import os

import numpy as np
import scipy
from scipy import stats

here = os.path.dirname(os.path.abspath(__file__))
cases = []
# Hand-written data with ties in both variables.
x1 = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 5.0, 6.0, 7.0, 7.0, 8.0]
y1 = [2.1, 1.9, 3.5, 3.5, 4.0, 2.2, 5.1, 6.3, 6.3, 5.0, 8.8, 7.7]
# Seeded data, rounded to one decimal so that ties occur.
rng = np.random.default_rng(20261125)
x2 = np.round(rng.normal(size=40), 1)
y2 = np.round(0.4 * x2 + rng.normal(size=40), 1)
# Negative association, integer-valued (many ties).
x3 = rng.integers(0, 6, size=25).astype(float)
y3 = (10 - x3 + rng.integers(-3, 4, size=25)).astype(float)
for name, x, y in [("hand_ties", x1, y1), ("seeded_rounded", x2, y2), ("integer_negative", x3, y3)]:
    res = stats.spearmanr(x, y)
    cases.append({
        "name": name,
        "x": [float(v) for v in x],
        "y": [float(v) for v in y],
        "rho": float(res.correlation),
        "p_value": float(res.pvalue),
        "rank_x": [float(v) for v in stats.rankdata(x)],
    })
out = {"scipy_version": scipy.__version__, "function": "scipy.stats.spearmanr (two-sided)", "cases": cases}
with open(os.path.join(here, "spearman_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
for c in cases:
    print(c["name"], c["rho"], c["p_value"])
