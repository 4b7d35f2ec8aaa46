#!/usr/bin/python3
"""Reference values for RegressionTests, computed with numpy only (no scipy, no statsmodels).

Run from the repo root with the system interpreter:
    /usr/bin/python3 tests/Statistics.Tests/reference/regression_reference.py
Writes regression_fixture.csv (a seeded synthetic spine table: volume, neck length, head diameter, peak Ca) and
regression_reference.json next to this script. Distribution functions are implemented here from the regularized
incomplete beta function (Lentz continued fraction), so the C# side (MathNet) is checked against independent code.
"""
import csv
import json
import math
import os
from statistics import NormalDist

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def betainc_reg(a, b, x):
    """Regularized incomplete beta I_x(a, b) by the continued fraction (modified Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - betainc_reg(b, a, 1 - x)
    ln_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 10000):
        num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 + num * d; d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + num / c; c = c if abs(c) > tiny else tiny
        f *= c * d
        num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + num * d; d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + num / c; c = c if abs(c) > tiny else tiny
        delta = c * d
        f *= delta
        if abs(delta - 1) < 1e-16:
            break
    return math.exp(ln_front) * f / a


def t_two_sided_p(t, dof):
    return betainc_reg(dof / 2, 0.5, dof / (dof + t * t))


def t_cdf(t, dof):
    tail = 0.5 * betainc_reg(dof / 2, 0.5, dof / (dof + t * t))
    return 1 - tail if t > 0 else tail


def t_quantile(q, dof):
    lo, hi = -1e3, 1e3
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, dof) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def f_upper_p(f, d1, d2):
    return betainc_reg(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))


def ols(cols, y, names):
    n = len(y)
    X = np.column_stack([np.ones(n)] + cols)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    fitted = X @ beta
    resid = y - fitted
    p = X.shape[1]
    dof = n - p
    s2 = resid @ resid / dof
    cov = s2 * np.linalg.inv(X.T @ X)
    se = np.sqrt(np.diag(cov))
    tcrit = t_quantile(0.975, dof)
    tss = ((y - y.mean()) ** 2).sum()
    rss = resid @ resid
    r2 = 1 - rss / tss
    f = (tss - rss) / (p - 1) / s2
    coefs = []
    for j, name in enumerate(["intercept"] + names):
        t = beta[j] / se[j]
        coefs.append({"name": name, "estimate": beta[j], "se": se[j], "t": t, "p": t_two_sided_p(t, dof),
                      "ci_low": beta[j] - tcrit * se[j], "ci_high": beta[j] + tcrit * se[j]})
    return {"coefficients": coefs, "r2": r2, "adj_r2": 1 - (1 - r2) * (n - 1) / dof, "residual_sd": math.sqrt(s2),
            "dof": dof, "f": f, "f_p": f_upper_p(f, p - 1, dof)}


def pearson(x, y, k=0):
    n = len(x)
    r = float(np.corrcoef(x, y)[0, 1])
    dof = n - 2 - k
    t = r * math.sqrt(dof / (1 - r * r))
    zc = NormalDist().inv_cdf(0.975)
    z, se = math.atanh(r), 1 / math.sqrt(n - 3 - k)
    return {"r": r, "p": t_two_sided_p(t, dof), "ci_low": math.tanh(z - zc * se), "ci_high": math.tanh(z + zc * se)}


def residualize(v, covs):
    X = np.column_stack([np.ones(len(v))] + covs)
    beta, *_ = np.linalg.lstsq(X, v, rcond=None)
    return v - X @ beta


def normal_two_sided_p(z):
    return math.erfc(abs(z) / math.sqrt(2))


def mad(r):
    return np.median(np.abs(r - np.median(r))) / 0.6744897501960817


def huber(cols, y, names, c=1.345):
    """Huber M-estimator by IRLS (MAD scale re-estimated each iteration, OLS start), H1 sandwich covariance."""
    n = len(y)
    X = np.column_stack([np.ones(n)] + cols)
    p = X.shape[1]
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    for it in range(200):
        r = y - X @ beta
        s = mad(r)
        u = np.abs(r / s)
        w = np.where(u <= c, 1.0, c / np.maximum(u, 1e-300))
        sw = np.sqrt(w)
        new, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
        change = np.max(np.abs(new - beta) / (np.abs(new) + 1e-12))
        beta = new
        if change < 1e-10:
            break
    r = y - X @ beta
    u = r / s
    psi = np.clip(u, -c, c)
    d = (np.abs(u) <= c).astype(float)
    m = d.mean()
    K = 1 + p / n * d.var() / m ** 2
    cov = K ** 2 * (psi @ psi / (n - p)) / m ** 2 * s ** 2 * np.linalg.inv(X.T @ X)
    se = np.sqrt(np.diag(cov))
    zc = NormalDist().inv_cdf(0.975)
    return {"scale": s, "coefficients": [
        {"name": nm, "estimate": beta[j], "se": se[j], "p": normal_two_sided_p(beta[j] / se[j]),
         "ci_low": beta[j] - zc * se[j], "ci_high": beta[j] + zc * se[j]}
        for j, nm in enumerate(["intercept"] + names)]}


# Seeded synthetic spines: peak Ca falls with volume; neck length correlates with volume and adds its own effect.
rng = np.random.default_rng(81125)
n = 36
volume = np.round(np.exp(rng.normal(math.log(0.08), 0.45, n)), 5)              # µm³
neck = np.round(0.4 + 2.5 * volume + rng.normal(0, 0.12, n), 4)                   # µm
head = np.round((6 * volume / math.pi) ** (1 / 3) + rng.normal(0, 0.02, n), 4)   # µm
peak = np.round(3.0 - 9.0 * volume + 0.8 * neck + rng.normal(0, 0.25, n), 4)     # µM
csv_path = os.path.join(here, "regression_fixture.csv")
with open(csv_path, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["volume_um3", "neck_length_um", "head_diameter_um", "peak_ca_um"])
    for row in zip(volume, neck, head, peak):
        w.writerow([repr(float(v)) for v in row])
# Re-read the CSV so the reference uses exactly the committed numbers.
with open(csv_path) as fh:
    rows = list(csv.DictReader(fh))
col = {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}
v, L, h, y = col["volume_um3"], col["neck_length_um"], col["head_diameter_um"], col["peak_ca_um"]
out = {
    "ols_peak_on_volume_neck": ols([v, L], y, ["volume_um3", "neck_length_um"]),
    "ols_peak_on_all": ols([v, L, h], y, ["volume_um3", "neck_length_um", "head_diameter_um"]),
    "pearson_peak_neck": pearson(L, y),
    "pearson_peak_volume": pearson(v, y),
    "partial_peak_neck_given_volume": pearson(residualize(L, [v]), residualize(y, [v]), k=1),
    "partial_peak_neck_given_volume_head": pearson(residualize(L, [v, h]), residualize(y, [v, h]), k=2),
}
out["huber_peak_on_volume_neck"] = huber([v, L], y, ["volume_um3", "neck_length_um"])
# A line with gross outliers: OLS is pulled away, Huber is not.
xo = np.round(np.linspace(0, 10, 30), 4)
yo = np.round(2.0 + 0.5 * xo + rng.normal(0, 0.2, 30), 4)
yo[[3, 11, 19, 26]] += np.array([6.0, 8.0, -7.0, 9.0])
out["huber_outliers"] = dict(huber([xo], yo, ["x"]), x=xo.tolist(), y=yo.tolist())
with open(os.path.join(here, "regression_reference.json"), "w") as fh:
    json.dump(out, fh, indent=1, default=float)
print(json.dumps({k: (v.get("r") if "r" in v else v.get("r2", v.get("scale"))) for k, v in out.items()}))
