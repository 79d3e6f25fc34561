#!/usr/bin/python3
"""Generate ab_reference.json: independent reference values for the Experiments engine.

Usage (from this directory):

    /usr/bin/python3 make_ab_reference.py > ab_reference.json

The script is deterministic: all synthetic data come from numpy.random.default_rng
with fixed seeds, data values are rounded to a few decimals *before* any statistic is
computed (so the numbers in the JSON are exactly the numbers the statistics were
computed from), and the JSON is written in a fixed key order.

Whenever scipy or statsmodels implement a computation it is used for the stored
value; formulas with no library implementation (relative lift by the delta method,
the ratio-metric linearisation, the asymptotic confidence sequence) are written out
here in numpy. Every stored value is cross-checked against a second computation
(assertions); the script fails rather than writing a wrong fixture.
"""

import json
import math
import platform
import sys
import warnings

import numpy as np
import scipy
import scipy.optimize
import scipy.stats
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

# ----------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------

RTOL = 1e-10  # tolerance for internal cross-checks between independent computations


def close(a, b, rtol=RTOL, atol=0.0):
    return math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol)


def check(a, b, what, rtol=RTOL, atol=0.0):
    if not close(a, b, rtol, atol):
        raise AssertionError(f"cross-check failed for {what}: {a!r} vs {b!r}")


def f(x):
    """Plain Python float (json.dumps writes the shortest round-trip repr)."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x!r}")
    return x


def rounded(values, decimals):
    """Round to `decimals` and return plain Python floats (exactly what goes to JSON)."""
    return [round(float(v), decimals) for v in values]


def ints(values):
    return [int(v) for v in values]


def t_two_sided_p(stat, df):
    return 2.0 * scipy.stats.t.sf(abs(stat), df)


# ----------------------------------------------------------------------------------
# per-variant statistics and comparisons
# ----------------------------------------------------------------------------------

def variant_stats(name, y):
    y = np.asarray(y, dtype=float)
    d = DescrStatsW(y, ddof=1)
    n = int(d.nobs)
    mean = d.mean
    var = d.var
    check(mean, np.mean(y), f"{name} mean")
    check(var, np.var(y, ddof=1), f"{name} variance")
    return {"name": name, "n": n, "mean": f(mean), "variance": f(var)}


def welch_absolute(y_t, y_c, alpha, what):
    """Absolute lift via statsmodels CompareMeans (Welch), cross-checked with scipy."""
    y_t = np.asarray(y_t, dtype=float)
    y_c = np.asarray(y_c, dtype=float)
    cm = CompareMeans(DescrStatsW(y_t), DescrStatsW(y_c))
    tstat, pvalue, df = cm.ttest_ind(alternative="two-sided", usevar="unequal")
    lower, upper = cm.tconfint_diff(alpha=alpha, alternative="two-sided", usevar="unequal")
    se = cm.std_meandiff_separatevar
    est = cm.d1.mean - cm.d2.mean

    # cross-checks: scipy Welch test, and the formulas written out in numpy
    sp = scipy.stats.ttest_ind(y_t, y_c, equal_var=False)
    check(sp.statistic, tstat, f"{what} t (scipy vs statsmodels)")
    check(sp.pvalue, pvalue, f"{what} p (scipy vs statsmodels)", rtol=1e-9)
    vt = np.var(y_t, ddof=1) / len(y_t)
    vc = np.var(y_c, ddof=1) / len(y_c)
    check(se, math.sqrt(vt + vc), f"{what} SE (numpy)")
    df_np = (vt + vc) ** 2 / (vt ** 2 / (len(y_t) - 1) + vc ** 2 / (len(y_c) - 1))
    check(df, df_np, f"{what} df (numpy)")
    check(est, np.mean(y_t) - np.mean(y_c), f"{what} estimate (numpy)", atol=1e-12)
    q = scipy.stats.t.ppf(1 - alpha / 2, df)
    check(lower, est - q * se, f"{what} lower", atol=1e-12)
    check(upper, est + q * se, f"{what} upper", atol=1e-12)

    return {
        "estimate": f(est),
        "stdError": f(se),
        "lower": f(lower),
        "upper": f(upper),
        "pValue": f(pvalue),
        "degreesOfFreedom": f(df),
    }


def interval_from(est, se, df, alpha):
    q = scipy.stats.t.ppf(1 - alpha / 2, df)
    return {
        "estimate": f(est),
        "stdError": f(se),
        "lower": f(est - q * se),
        "upper": f(est + q * se),
        "pValue": f(t_two_sided_p(est / se, df)),
        "degreesOfFreedom": f(df),
    }


def delta_relative(mean_t, var_t, n_t, mean_c, var_c, n_c, df, alpha):
    """Relative lift mean_t/mean_c - 1 by the delta method (Deng, Knoblich & Lu 2018)."""
    est = mean_t / mean_c - 1.0
    variance = var_t / (n_t * mean_c ** 2) + var_c * mean_t ** 2 / (n_c * mean_c ** 4)
    # cross-check: the same variance written as squared CV terms
    alt = (mean_t / mean_c) ** 2 * (var_t / (n_t * mean_t ** 2) + var_c / (n_c * mean_c ** 2))
    check(variance, alt, "relative variance (two algebraic forms)")
    return interval_from(est, math.sqrt(variance), df, alpha)


def adjust_pvalues(comparisons):
    raw = np.array([c["absolute"]["pValue"] for c in comparisons])
    holm = multipletests(raw, method="holm")[1]
    bh = multipletests(raw, method="fdr_bh")[1]
    # cross-check with a direct numpy implementation of both procedures
    m = len(raw)
    order = np.argsort(raw)
    h = np.empty(m)
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * raw[idx]))
        h[idx] = running
    b = np.empty(m)
    running = 1.0
    for rank in range(m - 1, -1, -1):
        idx = order[rank]
        running = min(running, m * raw[idx] / (rank + 1))
        b[idx] = running
    for i, c in enumerate(comparisons):
        check(holm[i], h[i], "Holm (numpy)")
        check(bh[i], b[i], "BH (numpy)")
        c["holm"] = f(holm[i])
        c["benjaminiHochberg"] = f(bh[i])


# ----------------------------------------------------------------------------------
# case builders
# ----------------------------------------------------------------------------------

def mean_case(name, metric, alpha, variants, control="control"):
    """variants: list of (name, y list). Works for metric 'mean' and 'proportion'."""
    ys = {vn: np.asarray(y, dtype=float) for vn, y in variants}
    if metric == "proportion":
        for vn, y in ys.items():
            assert set(np.unique(y)) <= {0.0, 1.0}, vn
    stats = {vn: variant_stats(vn, ys[vn]) for vn, _ in variants}
    comparisons = []
    for vn, _ in variants:
        if vn == control:
            continue
        absolute = welch_absolute(ys[vn], ys[control], alpha, f"{name}/{vn}")
        st, sc = stats[vn], stats[control]
        relative = delta_relative(st["mean"], st["variance"], st["n"], sc["mean"], sc["variance"],
                                  sc["n"], absolute["degreesOfFreedom"], alpha)
        comparisons.append({"variant": vn, "absolute": absolute, "relative": relative})
    adjust_pvalues(comparisons)
    return {
        "name": name,
        "metric": metric,
        "alpha": alpha,
        "control": control,
        "cuped": False,
        "variants": [{"name": vn, "y": y} for vn, y in variants],
        "expected": {"variants": [stats[vn] for vn, _ in variants], "comparisons": comparisons},
    }


def ratio_linearised(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n = len(a)
    r = a.sum() / b.sum()
    z = (a - r * b) / b.mean()
    s2z = np.var(z, ddof=1)
    # cross-check: (s_a^2 - 2 R s_ab + R^2 s_b^2) / mean(b)^2 with sample (co)variances
    cov = np.cov(np.vstack([a, b]), ddof=1)
    alt = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / b.mean() ** 2
    check(s2z, alt, "ratio linearised variance (two forms)", rtol=1e-9)
    return n, r, z, s2z


def ratio_case(name, alpha, variants, control="control"):
    """variants: list of (name, numerator list, denominator list)."""
    lin = {vn: ratio_linearised(a, b) for vn, a, b in variants}
    stats = {}
    for vn, _, _ in variants:
        n, r, _, s2z = lin[vn]
        stats[vn] = {"name": vn, "n": n, "mean": f(r), "variance": f(s2z)}
    comparisons = []
    for vn, _, _ in variants:
        if vn == control:
            continue
        n_t, r_t, z_t, s2_t = lin[vn]
        n_c, r_c, z_c, s2_c = lin[control]
        cm = CompareMeans(DescrStatsW(z_t), DescrStatsW(z_c))
        _, _, df = cm.ttest_ind(usevar="unequal")
        se = cm.std_meandiff_separatevar
        v_t, v_c = s2_t / n_t, s2_c / n_c
        check(se, math.sqrt(v_t + v_c), f"{name}/{vn} ratio SE (numpy)")
        check(df, (v_t + v_c) ** 2 / (v_t ** 2 / (n_t - 1) + v_c ** 2 / (n_c - 1)),
              f"{name}/{vn} ratio df (numpy)")
        absolute = interval_from(r_t - r_c, se, df, alpha)
        rel_var = v_t / r_c ** 2 + v_c * r_t ** 2 / r_c ** 4
        relative = interval_from(r_t / r_c - 1.0, math.sqrt(rel_var), df, alpha)
        comparisons.append({"variant": vn, "absolute": absolute, "relative": relative})
    adjust_pvalues(comparisons)
    return {
        "name": name,
        "metric": "ratio",
        "alpha": alpha,
        "control": control,
        "cuped": False,
        "variants": [{"name": vn, "y": a, "denominator": b} for vn, a, b in variants],
        "expected": {"variants": [stats[vn] for vn, _, _ in variants], "comparisons": comparisons},
    }


def expand_covariates(variants):
    """Missing-value treatment: 0-fill + one indicator column per column with any missing
    value anywhere in the case; indicators appended after the original columns."""
    k = len(variants[0][2])
    has_missing = [any(v is None for _, _, xs in variants for v in xs[j]) for j in range(k)]
    out = {}
    for vn, _, xs in variants:
        cols = [np.array([0.0 if v is None else float(v) for v in xs[j]]) for j in range(k)]
        for j in range(k):
            if has_missing[j]:
                cols.append(np.array([1.0 if v is None else 0.0 for v in xs[j]]))
        out[vn] = np.column_stack(cols)
    return out, has_missing


def cuped_case(name, alpha, variants, control="control", metric="mean"):
    """variants: list of (name, y list, x columns (list of lists, None = missing))."""
    names = [vn for vn, _, _ in variants]
    ys = {vn: np.asarray(y, dtype=float) for vn, y, _ in variants}
    xs, _ = expand_covariates(variants)
    k = xs[names[0]].shape[1]

    # OLS  y ~ C(variant) + covariates  over all units (statsmodels)
    y_all = np.concatenate([ys[vn] for vn in names])
    x_all = np.vstack([xs[vn] for vn in names])
    dummies = []
    for vn in names:
        if vn == control:
            continue
        dummies.append(np.concatenate([np.full(len(ys[w]), 1.0 if w == vn else 0.0) for w in names]))
    design = np.column_stack([np.ones(len(y_all))] + dummies + [x_all])
    fit = sm.OLS(y_all, design).fit()
    theta = np.asarray(fit.params[-k:])

    # cross-check: pooled within-variant slope from centred cross-products (numpy)
    xc = np.vstack([xs[vn] - xs[vn].mean(axis=0) for vn in names])
    yc = np.concatenate([ys[vn] - ys[vn].mean() for vn in names])
    theta_np = np.linalg.solve(xc.T @ xc, xc.T @ yc)
    for j in range(k):
        check(theta[j], theta_np[j], f"{name} theta[{j}] (within-variant numpy)", rtol=1e-8)

    xbar = x_all.mean(axis=0)
    ystar = {vn: ys[vn] - (xs[vn] - xbar) @ theta for vn in names}
    stats = {vn: variant_stats(vn, ystar[vn]) for vn in names}
    comparisons = []
    for vn in names:
        if vn == control:
            continue
        absolute = welch_absolute(ystar[vn], ystar[control], alpha, f"{name}/{vn} cuped")
        plain = welch_absolute(ys[vn], ys[control], alpha, f"{name}/{vn} plain")
        st, sc = stats[vn], stats[control]
        relative = delta_relative(st["mean"], st["variance"], st["n"], sc["mean"], sc["variance"],
                                  sc["n"], absolute["degreesOfFreedom"], alpha)
        vr = 1.0 - absolute["stdError"] ** 2 / plain["stdError"] ** 2
        comparisons.append({"variant": vn, "absolute": absolute, "relative": relative,
                            "varianceReduction": f(vr)})
    adjust_pvalues(comparisons)

    def x_json(cols):
        return [list(c) for c in cols]

    return {
        "name": name,
        "metric": metric,
        "alpha": alpha,
        "control": control,
        "cuped": True,
        "variants": [{"name": vn, "y": y, "x": x_json(x)} for vn, y, x in variants],
        "expected": {
            "variants": [stats[vn] for vn in names],
            "theta": [f(t) for t in theta],
            "comparisons": comparisons,
        },
    }


# ----------------------------------------------------------------------------------
# synthetic data
# ----------------------------------------------------------------------------------

def build_ab_cases():
    cases = []

    # 1. means, two arms, lognormal revenue, unequal n and unequal variances
    rng = np.random.default_rng(20240101)
    yc = rounded(rng.lognormal(mean=3.0, sigma=0.9, size=800), 2)
    yt = rounded(rng.lognormal(mean=3.1, sigma=1.1, size=900), 2)
    cases.append(mean_case("means-two-arm", "mean", 0.05, [("control", yc), ("treatment", yt)]))

    # 2. means A/B/n: control + 2 treatments
    rng = np.random.default_rng(20240102)
    yc = rounded(rng.gamma(shape=2.0, scale=10.0, size=600), 2)
    ya = rounded(rng.gamma(shape=2.0, scale=10.6, size=620), 2)
    yb = rounded(rng.gamma(shape=2.2, scale=10.5, size=580), 2)
    cases.append(mean_case("means-abn-three-arm", "mean", 0.05,
                           [("control", yc), ("treatment-a", ya), ("treatment-b", yb)]))

    # 3. proportion, two arms, p ~ 0.08 vs 0.09
    rng = np.random.default_rng(20240103)
    yc = ints(rng.binomial(1, 0.08, size=1500))
    yt = ints(rng.binomial(1, 0.09, size=1490))
    cases.append(mean_case("proportion-two-arm", "proportion", 0.05,
                           [("control", yc), ("treatment", yt)]))

    # 4. ratio, two arms: denominators Poisson+1, numerators Binomial on them
    rng = np.random.default_rng(20240104)
    bc = rng.poisson(3.0, size=1000) + 1
    ac = rng.binomial(bc, 0.10)
    bt = rng.poisson(3.2, size=1050) + 1
    at = rng.binomial(bt, 0.115)
    cases.append(ratio_case("ratio-two-arm", 0.05,
                            [("control", ints(ac), ints(bc)), ("treatment", ints(at), ints(bt))]))

    # 5. CUPED, one covariate, correlation ~0.7
    rng = np.random.default_rng(20240105)
    def cuped1(n, lift):
        x = rng.normal(50.0, 10.0, size=n)
        e = rng.normal(0.0, 10.0, size=n)
        y = 20.0 + lift + 1.0 * (x - 50.0) + e  # corr = 10/sqrt(200) ~ 0.707
        return rounded(y, 2), [rounded(x, 2)]
    yc, xc = cuped1(700, 0.0)
    yt, xt = cuped1(720, 1.2)
    cases.append(cuped_case("cuped-one-covariate", 0.05,
                            [("control", yc, xc), ("treatment", yt, xt)]))

    # 6. CUPED, two covariates, ~10% missing in the second column
    rng = np.random.default_rng(20240106)
    def cuped2(n, lift):
        x1 = rng.normal(30.0, 6.0, size=n)
        x2 = rng.gamma(3.0, 4.0, size=n)
        e = rng.normal(0.0, 6.0, size=n)
        y = 10.0 + lift + 0.8 * (x1 - 30.0) + 0.6 * (x2 - 12.0) + e
        miss = rng.random(n) < 0.10
        x2j = [None if m else v for m, v in zip(miss, rounded(x2, 2))]
        return rounded(y, 2), [rounded(x1, 2), x2j]
    yc, xc = cuped2(650, 0.0)
    yt, xt = cuped2(680, 0.8)
    cases.append(cuped_case("cuped-two-covariates-missing", 0.05,
                            [("control", yc, xc), ("treatment", yt, xt)]))

    # 7. CUPED A/B/n, three arms, one covariate
    rng = np.random.default_rng(20240107)
    def cuped3(n, lift):
        x = rng.lognormal(2.5, 0.5, size=n)
        e = rng.normal(0.0, 5.0, size=n)
        y = 5.0 + lift + 0.9 * x + e
        return rounded(y, 2), [rounded(x, 2)]
    arms = [("control", 0.0, 500), ("treatment-a", 0.5, 520), ("treatment-b", 1.5, 480)]
    data = []
    for vn, lift, n in arms:
        y, x = cuped3(n, lift)
        data.append((vn, y, x))
    cases.append(cuped_case("cuped-abn-three-arm", 0.05, data))

    # 8. alpha = 0.10, means, two arms
    rng = np.random.default_rng(20240108)
    yc = rounded(rng.normal(100.0, 25.0, size=400), 3)
    yt = rounded(rng.normal(103.0, 30.0, size=420), 3)
    cases.append(mean_case("means-two-arm-alpha-0.10", "mean", 0.10,
                           [("control", yc), ("treatment", yt)]))

    # 9. proportion A/B/n (4 arms) -- three comparisons for Holm/BH
    rng = np.random.default_rng(20240109)
    props = [("control", 0.20, 900), ("treatment-a", 0.21, 910),
             ("treatment-b", 0.235, 890), ("treatment-c", 0.19, 905)]
    data = [(vn, ints(rng.binomial(1, p, size=n))) for vn, p, n in props]
    cases.append(mean_case("proportion-abn-four-arm", "proportion", 0.05, data))

    # 10. CUPED with missing covariate values only in the treatment arm, alpha 0.10
    rng = np.random.default_rng(20240110)
    def cuped4(n, lift, pmiss):
        x = rng.normal(0.0, 1.0, size=n)
        e = rng.normal(0.0, 1.0, size=n)
        y = 3.0 + lift + 0.9 * x + e
        miss = rng.random(n) < pmiss
        xj = [None if m else v for m, v in zip(miss, rounded(x, 3))]
        return rounded(y, 3), [xj]
    yc, xc = cuped4(400, 0.0, 0.0)
    yt, xt = cuped4(410, 0.15, 0.15)
    cases.append(cuped_case("cuped-missing-treatment-only-alpha-0.10", 0.10,
                            [("control", yc, xc), ("treatment", yt, xt)]))

    # 11. CUPED on a proportion metric (binary y, binary pre-period covariate)
    rng = np.random.default_rng(20240111)
    def cuped5(n, base):
        x = rng.binomial(1, 0.3, size=n)
        p = np.where(x == 1, base + 0.25, base)
        y = rng.binomial(1, p)
        return ints(y), [ints(x)]
    yc, xc = cuped5(1000, 0.10)
    yt, xt = cuped5(1000, 0.12)
    cases.append(cuped_case("cuped-proportion", 0.05,
                            [("control", yc, xc), ("treatment", yt, xt)], metric="proportion"))

    return cases


# ----------------------------------------------------------------------------------
# SRM
# ----------------------------------------------------------------------------------

def build_srm_cases():
    specs = [
        ([5021, 4979], [0.5, 0.5]),
        ([10500, 9500], [0.5, 0.5]),
        ([5120, 2460, 2420], [0.5, 0.25, 0.25]),
        ([5000, 2700, 2300], [0.5, 0.25, 0.25]),
        ([2510, 2490, 2475, 2525], [0.25, 0.25, 0.25, 0.25]),
        ([9050, 950], [0.9, 0.1]),
        ([52000, 48000], [0.5, 0.5]),          # p ~ 1e-36: tail precision
        ([800, 900], [0.5, 0.5]),
    ]
    out = []
    for counts, shares in specs:
        total = sum(counts)
        exp = total * np.asarray(shares, dtype=float)
        res = scipy.stats.chisquare(counts, f_exp=exp)
        stat_np = float(np.sum((np.asarray(counts) - exp) ** 2 / exp))
        check(res.statistic, stat_np, "SRM chi-square (numpy)")
        check(res.pvalue, scipy.stats.chi2.sf(stat_np, len(counts) - 1), "SRM p (chi2.sf)", rtol=1e-9)
        out.append({"counts": counts, "expectedShares": shares,
                    "chiSquare": f(res.statistic), "pValue": f(res.pvalue)})
    return out


# ----------------------------------------------------------------------------------
# power
# ----------------------------------------------------------------------------------

POWER = NormalIndPower()


def solve_exact(key, **kwds):
    """statsmodels solve_power, then polished to machine precision with scipy brentq on
    the same statsmodels power function (solve_power's brentq_expanding stops at
    xtol=1e-5, which is too coarse for a reference value, especially for effect sizes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rough = POWER.solve_power(**{**kwds, key: None})
    target = kwds["power"]
    args = {k: v for k, v in kwds.items() if k != "power"}

    def g(v):
        return POWER.power(**{**args, key: v}) - target

    lo, hi = rough * (1 - 1e-3), rough * (1 + 1e-3)
    assert g(lo) * g(hi) < 0, (key, kwds, rough)
    exact = scipy.optimize.brentq(g, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    check(exact, rough, f"power solve {key} (polished vs solve_power)", rtol=1e-3)
    return exact


def build_power_cases():
    out = []
    z = scipy.stats.norm.ppf

    def n_case(baseline, sd, mde, alpha, power, rho=None, variants=None):
        sd_eff = sd if rho is None else sd * math.sqrt(1 - rho ** 2)
        d = mde * baseline / sd_eff
        n = solve_exact("nobs1", effect_size=d, alpha=alpha, power=power, ratio=1.0,
                        alternative="two-sided")
        # the one-tail closed form 2 (z_{1-a/2} + z_power)^2 / d^2 ignores the far tail and is
        # slightly larger; check we are within the expected tiny distance of it
        closed = 2 * (z(1 - alpha / 2) + z(power)) ** 2 / d ** 2
        assert n <= closed and close(n, closed, rtol=1e-4), (n, closed)
        c = {"solveFor": "n", "baselineMean": baseline, "standardDeviation": f(sd),
             "relativeMde": mde, "alpha": f(alpha), "power": power, "nPerVariant": f(n)}
        if rho is not None:
            c["cupedCorrelation"] = rho
        if variants is not None:
            c["variants"] = variants
        out.append(c)

    def mde_case(baseline, sd, n, alpha, power, rho=None, variants=None):
        sd_eff = sd if rho is None else sd * math.sqrt(1 - rho ** 2)
        d = solve_exact("effect_size", nobs1=n, alpha=alpha, power=power, ratio=1.0,
                        alternative="two-sided")
        closed = (z(1 - alpha / 2) + z(power)) * math.sqrt(2.0 / n)
        assert d <= closed and close(d, closed, rtol=1e-4), (d, closed)
        c = {"solveFor": "mde", "baselineMean": baseline, "standardDeviation": f(sd),
             "alpha": f(alpha), "power": power, "nPerVariant": n,
             "relativeMde": f(d * sd_eff / baseline)}
        if rho is not None:
            c["cupedCorrelation"] = rho
        if variants is not None:
            c["variants"] = variants
        out.append(c)

    def psd(p):
        return math.sqrt(p * (1 - p))

    # solve for n
    n_case(50.0, 30.0, 0.05, 0.05, 0.8)
    n_case(50.0, 30.0, 0.02, 0.05, 0.9)
    n_case(0.08, psd(0.08), 0.10, 0.05, 0.8)           # proportion
    n_case(0.3, psd(0.3), 0.05, 0.01, 0.8)             # proportion, alpha 0.01
    n_case(50.0, 30.0, 0.05, 0.05, 0.8, rho=0.7)       # CUPED
    n_case(0.08, psd(0.08), 0.10, 0.05, 0.8, rho=0.4)  # CUPED proportion
    n_case(50.0, 30.0, 0.05, 0.05 / 2, 0.8, variants=3)   # Bonferroni, 2 comparisons
    n_case(0.08, psd(0.08), 0.10, 0.05 / 3, 0.8, variants=4)  # Bonferroni, 3 comparisons
    n_case(120.0, 400.0, 0.03, 0.10, 0.8)              # heavy-tailed revenue, alpha 0.1
    # solve for the relative MDE
    mde_case(50.0, 30.0, 10000, 0.05, 0.8)
    mde_case(0.08, psd(0.08), 5000, 0.05, 0.8)
    mde_case(50.0, 30.0, 2500, 0.05, 0.9, rho=0.7)
    mde_case(0.08, psd(0.08), 20000, 0.05 / 2, 0.8, variants=3)
    mde_case(120.0, 400.0, 123456, 0.10, 0.8)
    return out


# ----------------------------------------------------------------------------------
# sequential (asymptotic confidence sequence, normal mixture boundary)
# ----------------------------------------------------------------------------------

def confidence_sequence(estimate, variance, n, alpha, tuning):
    sigma2 = variance * n
    rho2 = (-2.0 * np.log(alpha) + np.log(-2.0 * np.log(alpha) + 1.0)) / tuning
    a = n * rho2 + 1.0
    half = np.sqrt(sigma2) * np.sqrt(2.0 * a / (n ** 2 * rho2) * np.log(np.sqrt(a) / alpha))
    p = min(1.0, float(np.sqrt(a) * np.exp(-(n ** 2) * rho2 * estimate ** 2 / (2.0 * sigma2 * a))))
    return estimate - half, estimate + half, p, half, rho2


def build_sequential_cases():
    specs = [  # (estimate, variance, N, alpha, tuning)
        (0.5, 0.04, 100, 0.05, 5000),
        (0.1, 0.004, 1000, 0.05, 5000),
        (0.02, 0.0001, 5000, 0.05, 5000),
        (-0.03, 0.00008, 20000, 0.05, 5000),
        (0.01, 1.5e-6, 100000, 0.10, 10000),
        (0.002, 4e-7, 1000000, 0.05, 5000),
        (0.0, 0.001, 2000, 0.05, 5000),          # p-value clamps to 1
        (1.25, 0.09, 1700, 0.01, 5000),
        (0.004, 1.0e-6, 250000, 0.05, 50000),
    ]
    out = []
    for est, var, n, alpha, tuning in specs:
        lo, hi, p, half, rho2 = confidence_sequence(est, var, n, alpha, tuning)
        # cross-check the half-width: at the boundary |estimate| = half-width the mixture
        # martingale equals 1/alpha, i.e. the always-valid p-value equals alpha exactly
        _, _, p_edge, _, _ = confidence_sequence(half, var, n, alpha, tuning)
        check(p_edge, alpha, "sequential boundary consistency", rtol=1e-9)
        out.append({"estimate": f(est), "variance": f(var), "n": n, "alpha": f(alpha),
                    "tuning": tuning, "lower": f(lo), "upper": f(hi), "pValue": f(p)})
    return out


# ----------------------------------------------------------------------------------
# provenance and output
# ----------------------------------------------------------------------------------

def provenance():
    return {
        "generator": "tests/Experiments.Engine.Tests/Reference/make_ab_reference.py",
        "regenerate": "/usr/bin/python3 make_ab_reference.py > ab_reference.json",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "description": (
            "Independent reference values for the Experiments engine, computed in Python with "
            "statsmodels/scipy where those libraries implement the computation and with "
            "numpy/scipy.stats from the published formula otherwise. Synthetic data from "
            "numpy.random.default_rng with fixed seeds, rounded before any statistic is computed, "
            "so the data in this file are exactly the data the statistics were computed from. "
            "Every value is cross-checked by a second computation inside the script (relative "
            "tolerance 1e-10 unless noted in the script)."
        ),
        "methods": {
            "abCases.expected.variants.n/mean/variance (mean, proportion)":
                "statsmodels DescrStatsW(y, ddof=1).nobs/.mean/.var; checked against numpy mean/var(ddof=1)",
            "abCases.expected.variants.mean/variance (ratio)":
                "numpy: mean = R_v = sum(a)/sum(b); variance = n_v*Var(R_v) = sample variance (n-1) of "
                "z_i = (a_i - R_v b_i)/mean(b); checked against (s_a^2 - 2R s_ab + R^2 s_b^2)/mean(b)^2",
            "abCases.expected.variants.mean/variance (cuped)":
                "statsmodels DescrStatsW(ddof=1) on adjusted y* = y - theta.(x - xbar_all)",
            "abCases.expected.theta":
                "statsmodels OLS (sm.OLS(...).fit(), default pinv) of y on intercept + one dummy per "
                "non-control variant + covariates (0-filled, plus missing-indicator columns), coefficients "
                "of the covariate columns; checked against numpy solve of the pooled within-variant "
                "normal equations (rtol 1e-8)",
            "abCases.expected.comparisons.absolute (mean, proportion, cuped)":
                "statsmodels CompareMeans(DescrStatsW(y_t), DescrStatsW(y_c)): ttest_ind(usevar='unequal') "
                "for pValue and degreesOfFreedom, tconfint_diff(alpha, usevar='unequal') for lower/upper, "
                "std_meandiff_separatevar for stdError, d1.mean - d2.mean for estimate; checked against "
                "scipy.stats.ttest_ind(equal_var=False) and numpy formulas",
            "abCases.expected.comparisons.absolute (ratio)":
                "estimate = R_t - R_c from sums (numpy); stdError = CompareMeans(z_t, z_c)."
                "std_meandiff_separatevar and degreesOfFreedom = ttest_ind(usevar='unequal') df on the "
                "linearised z arrays (statsmodels); pValue = 2*scipy.stats.t.sf(|estimate/stdError|, df); "
                "lower/upper = estimate -/+ scipy.stats.t.ppf(1-alpha/2, df)*stdError",
            "abCases.expected.comparisons.relative":
                "independent numpy implementation of the delta-method formula (Deng, Knoblich & Lu 2018): "
                "estimate = m_t/m_c - 1, variance = s2_t/(n_t m_c^2) + s2_c m_t^2/(n_c m_c^4) "
                "(ratio: Var_t/R_c^2 + Var_c R_t^2/R_c^4); df = the absolute-lift Welch df; pValue and "
                "interval from scipy.stats.t",
            "abCases.expected.comparisons.varianceReduction":
                "numpy: 1 - stdError_cuped^2 / stdError_plain^2, both from statsmodels CompareMeans",
            "abCases.expected.comparisons.holm/benjaminiHochberg":
                "statsmodels.stats.multitest.multipletests(p, method='holm' / 'fdr_bh') over the "
                "absolute-lift pValues of the comparisons of the case (the CUPED-adjusted pValues in "
                "CUPED cases); checked against a numpy step-down/step-up implementation",
            "srmCases":
                "scipy.stats.chisquare(counts, f_exp=total*shares); checked against numpy statistic and "
                "scipy.stats.chi2.sf",
            "powerCases":
                "statsmodels NormalIndPower().solve_power(effect_size|nobs1, alpha, power, ratio=1, "
                "alternative='two-sided'), then polished with scipy.optimize.brentq on "
                "NormalIndPower().power (same equation, including the far-tail term) to machine precision. "
                "d = relativeMde*baselineMean/sigma_eff, sigma_eff = standardDeviation*sqrt(1-cupedCorrelation^2) "
                "when cupedCorrelation is present, else standardDeviation. For solveFor='mde': "
                "relativeMde = d*sigma_eff/baselineMean",
            "sequentialCases":
                "independent numpy implementation of the published formula (Waudby-Smith, Arnold, Wu, Howard "
                "& Ramdas, Ann. Statist. 2024; normal-mixture boundary as used by GrowthBook gbstats): "
                "sigma2 = variance*n, rho2 = (-2 ln alpha + ln(-2 ln alpha + 1))/tuning, half-width = "
                "sqrt(sigma2)*sqrt(2(n rho2+1)/(n^2 rho2) * ln(sqrt(n rho2+1)/alpha)), pValue = min(1, "
                "sqrt(n rho2+1) exp(-n^2 rho2 estimate^2/(2 sigma2 (n rho2+1)))); checked that pValue at "
                "|estimate| = half-width equals alpha",
        },
        "notes": [
            "Proportion and ratio data (y, denominator) and binary covariates are written as JSON integers.",
            "Missing covariate values are JSON null. Treatment: 0-fill plus one 0/1 indicator column per "
            "covariate column with at least one missing value anywhere in the case; indicator columns are "
            "appended after all original columns in original column order; theta follows that expanded order. "
            "xbar_all is the mean of the expanded (0-filled and indicator) columns over all units of the case.",
            "Ratio cases: variant 'y' is the numerator a_i, 'denominator' is b_i.",
            "powerCases with 'cupedCorrelation' use sigma*sqrt(1-rho^2); cases with 'variants' store the "
            "Bonferroni-divided alpha = 0.05/(variants-1) in 'alpha'. standardDeviation is the unadjusted sigma "
            "(sqrt(p(1-p)) for proportion baselines).",
            "powerCases nPerVariant is the root of the statsmodels two-sided power equation, which includes the "
            "far-tail rejection probability; it is smaller than the one-tail closed form "
            "2(z_{1-alpha/2}+z_power)^2/d^2 by a relative amount below 1e-4 (typically ~1e-6).",
        ],
    }


def dump(obj, indent=0):
    """JSON with objects indented and arrays of scalars kept on one line."""
    pad = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {dump(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj, allow_nan=False, separators=(",", ":"))
        items = [f"{pad}  {dump(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError("non-finite float")
    if isinstance(obj, (np.floating, np.integer)):
        raise TypeError(f"numpy scalar leaked into output: {obj!r}")
    return json.dumps(obj, allow_nan=False)


def main():
    doc = {
        "provenance": provenance(),
        "abCases": build_ab_cases(),
        "srmCases": build_srm_cases(),
        "powerCases": build_power_cases(),
        "sequentialCases": build_sequential_cases(),
    }
    text = dump(doc) + "\n"
    # the custom writer must agree with the standard parser
    assert json.loads(text) == json.loads(json.dumps(doc, allow_nan=False))
    sys.stdout.write(text)
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"statsmodels {statsmodels.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
