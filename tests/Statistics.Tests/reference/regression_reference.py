#!/usr/bin/python3
"""Reference values for RegressionTests, computed with statsmodels and scipy (Debian python3-statsmodels, python3-scipy).

Run from the repo root with the system interpreter:
    /usr/bin/python3 tests/Statistics.Tests/reference/regression_reference.py
Writes regression_fixture.csv (a seeded synthetic spine table: volume, neck length, head diameter, peak Ca) and
regression_reference.json next to this script: OLS from statsmodels OLS (estimates, se, t, p, 95 % CI, R², F), Pearson
r and p from scipy.stats.pearsonr with the Fisher-z interval, partial correlations as Pearson correlations of OLS
residuals with n − 2 − k degrees of freedom (scipy's t distribution), Huber regression from statsmodels RLM (HuberT,
c = 1.345, scale "mad" = median|r|/Φ⁻¹(3/4), covariance "H1").
"""
import csv
import json
import math
import os

import numpy as np
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm

here = os.path.dirname(os.path.abspath(__file__))


def ols(cols, y, names):
    f = sm.OLS(y, sm.add_constant(np.column_stack(cols))).fit()
    ci = f.conf_int(0.05)
    coefs = [{"name": name, "estimate": f.params[j], "se": f.bse[j], "t": f.tvalues[j], "p": f.pvalues[j],
              "ci_low": ci[j][0], "ci_high": ci[j][1]} for j, name in enumerate(["intercept"] + names)]
    return {"coefficients": coefs, "r2": f.rsquared, "adj_r2": f.rsquared_adj, "residual_sd": math.sqrt(f.scale),
            "dof": int(f.df_resid), "f": f.fvalue, "f_p": f.f_pvalue}


def pearson(x, y, k=0):
    """Pearson r with its p-value on n − 2 − k degrees of freedom (k controlled variables) and the Fisher-z 95 % interval."""
    n = len(x)
    r = float(st.pearsonr(x, y)[0])
    dof = n - 2 - k
    t = r * math.sqrt(dof / (1 - r * r))
    zc = st.norm.ppf(0.975)
    z, se = math.atanh(r), 1 / math.sqrt(n - 3 - k)
    return {"r": r, "p": float(2 * st.t.sf(abs(t), dof)), "ci_low": math.tanh(z - zc * se), "ci_high": math.tanh(z + zc * se)}


def residualize(v, covs):
    return sm.OLS(v, sm.add_constant(np.column_stack(covs))).fit().resid


def huber(cols, y, names, c=1.345):
    f = sm.RLM(y, sm.add_constant(np.column_stack(cols)), M=sm.robust.norms.HuberT(t=c)).fit(
        scale_est="mad", cov="H1", conv="coefs", tol=1e-13, maxiter=1000)
    ci = f.conf_int(0.05)
    return {"scale": f.scale, "coefficients": [
        {"name": nm, "estimate": f.params[j], "se": f.bse[j], "p": f.pvalues[j], "ci_low": ci[j][0], "ci_high": ci[j][1]}
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
out["tools"] = f"statsmodels {statsmodels.__version__}, scipy {scipy.__version__}, numpy {np.__version__}"
with open(os.path.join(here, "regression_reference.json"), "w") as fh:
    json.dump(out, fh, indent=1, default=float)
print(json.dumps({k: (v.get("r") if "r" in v else v.get("r2", v.get("scale"))) for k, v in out.items() if isinstance(v, dict)}))
