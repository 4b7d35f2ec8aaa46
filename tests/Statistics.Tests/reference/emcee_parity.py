#!/usr/bin/python3
"""Reference posterior moments from emcee (Debian python3-emcee) for EnsembleSamplerTests.MatchesEmcee.

Model: a 3-parameter correlated Gaussian, log p(x) = -1/2 (x - mu)^T P (x - mu) with P = inv(C),
C = diag(sd) R diag(sd). Sampler: emcee.EnsembleSampler with its default StretchMove(a=2), 32 walkers started in a
small ball around (0, 0, 0), BURN steps discarded, STEPS kept. The Monte-Carlo standard errors use emcee's
integrated autocorrelation time: MCSE(mean) = sd * sqrt(tau / (walkers * STEPS)); for the sd the same is applied to the
centred squares (MCSE(var) / (2 sd)).

Run from the repo root:
    /usr/bin/python3 tests/Statistics.Tests/reference/emcee_parity.py
Writes emcee_parity.json next to this script.
"""
import json
import os

import emcee
import numpy as np

MU = np.array([1.0, -2.0, 0.5])
SD = np.array([1.0, 2.0, 0.5])
R = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, -0.4], [0.3, -0.4, 1.0]])
C = np.diag(SD) @ R @ np.diag(SD)
P = np.linalg.inv(C)
WALKERS, BURN, STEPS, SEED = 32, 1000, 20000, 20261125


def log_prob(x):
    d = x - MU
    return -0.5 * d @ P @ d


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(SEED)
    p0 = 1e-2 * rng.standard_normal((WALKERS, 3))
    sampler = emcee.EnsembleSampler(WALKERS, 3, log_prob)
    sampler.random_state = np.random.RandomState(SEED).get_state()
    sampler.run_mcmc(p0, BURN + STEPS, progress=False)
    chain = sampler.get_chain(discard=BURN)  # (steps, walkers, 3)
    flat = chain.reshape(-1, 3)
    n = flat.shape[0]
    mean = flat.mean(axis=0)
    sd = flat.std(axis=0, ddof=1)
    tau = emcee.autocorr.integrated_time(chain, c=5, quiet=True)
    sq = (chain - mean) ** 2
    tau_sq = emcee.autocorr.integrated_time(sq, c=5, quiet=True)
    mcse_mean = sd * np.sqrt(tau / n)
    mcse_var = sq.reshape(-1, 3).std(axis=0, ddof=1) * np.sqrt(tau_sq / n)
    mcse_sd = mcse_var / (2 * sd)
    out = {
        "emcee": emcee.__version__,
        "numpy": np.__version__,
        "model": {"mu": MU.tolist(), "sd": SD.tolist(), "corr": R.tolist(), "precision": P.tolist()},
        "walkers": WALKERS, "burn": BURN, "steps": STEPS, "seed": SEED,
        "mean": mean.tolist(), "sd": sd.tolist(), "tau": tau.tolist(),
        "mcse_mean": mcse_mean.tolist(), "mcse_sd": mcse_sd.tolist(),
        "acceptance_fraction_mean": float(np.mean(sampler.acceptance_fraction)),
    }
    with open(os.path.join(here, "emcee_parity.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
