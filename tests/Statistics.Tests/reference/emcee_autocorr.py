#!/usr/bin/python3
"""Reference integrated autocorrelation times from emcee.autocorr.integrated_time (Debian python3-emcee) for
DiagnosticsAutocorrelationTests.

Series: AR(1) chains x[t] = phi * x[t-1] + e[t] whose innovations e[t] = u - 1/2 come from SplitMix64 (u = top 53 bits
/ 2^53), so C# regenerates exactly the same doubles. Each case is (walkers, steps, phi, seed); walker w uses seed + w.

Run from the repo root:
    /usr/bin/python3 tests/Statistics.Tests/reference/emcee_autocorr.py
Writes emcee_autocorr.json next to this script.
"""
import json
import os

import emcee
import numpy as np

MASK = (1 << 64) - 1
CASES = [(1, 4000, 0.0, 11), (3, 3000, 0.9, 101), (4, 5000, 0.97, 202), (8, 1500, 0.5, 303)]


def splitmix_uniforms(seed, n):
    x = seed & MASK
    out = np.empty(n)
    for i in range(n):
        x = (x + 0x9E3779B97F4A7C15) & MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z = z ^ (z >> 31)
        out[i] = (z >> 11) * (1.0 / (1 << 53))
    return out


def ar1(seed, n, phi):
    e = splitmix_uniforms(seed, n) - 0.5
    x = np.empty(n)
    prev = 0.0
    for t in range(n):
        prev = phi * prev + e[t]
        x[t] = prev
    return x


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = []
    for walkers, steps, phi, seed in CASES:
        chain = np.stack([ar1(seed + w, steps, phi) for w in range(walkers)], axis=1)  # (steps, walkers)
        tau = emcee.autocorr.integrated_time(chain[:, :, None], c=5, quiet=True)[0]
        tau_c2 = emcee.autocorr.integrated_time(chain[:, :, None], c=2, quiet=True)[0]
        acf0 = emcee.autocorr.function_1d(chain[:, 0])[:10]
        cases.append({"walkers": walkers, "steps": steps, "phi": phi, "seed": seed, "tau_c5": float(tau),
                      "tau_c2": float(tau_c2), "acf_walker0_first10": acf0.tolist()})
    out = {"emcee": emcee.__version__, "cases": cases}
    with open(os.path.join(here, "emcee_autocorr.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
