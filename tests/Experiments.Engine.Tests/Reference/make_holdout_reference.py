#!/usr/bin/python3
"""Generate holdout_reference.json: independent reference values for the engine's HoldoutLift.

Usage (from this directory):

    /usr/bin/python3 make_holdout_reference.py > holdout_reference.json

Deterministic: data come from numpy.random.default_rng with fixed seeds and are rounded before any
statistic is computed, so the per-unit values in the JSON are exactly the inputs. Computed from the
raw per-unit values (not from sums): CUPED's theta by least squares on [variant dummies, covariate]
(numpy.linalg.lstsq), the adjusted values y* = y - theta (x - mean x over all units), Welch's test by
scipy.stats.ttest_ind(equal_var=False) (statistic and p-value), the Welch-Satterthwaite df by formula
(cross-checked against the p-value scipy reports), the t quantile by scipy.stats.t.ppf, and the
delta-method relative lift (Deng, Knoblich & Lu 2018, eq. 5). The holdout figures then follow from
their definitions: incremental conversions = n_t * delta_conv, incremental revenue = n_t * delta_rev,
iROAS = n_t * delta_rev / spend, cost per incremental conversion = spend / (n_t * delta_conv) with
interval [spend / upper, spend / lower] when lower > 0, else unavailable.
"""

import json
import re
import math
import platform
import sys

import numpy as np
import scipy
import scipy.stats


def welch(yt, yc, alpha):
    nt, nc = len(yt), len(yc)
    vt, vc = np.var(yt, ddof=1) / nt, np.var(yc, ddof=1) / nc
    est = float(np.mean(yt) - np.mean(yc))
    se = math.sqrt(vt + vc)
    df = (vt + vc) ** 2 / (vt ** 2 / (nt - 1) + vc ** 2 / (nc - 1))
    res = scipy.stats.ttest_ind(yt, yc, equal_var=False)
    # cross-check: scipy's statistic and p-value agree with the formula's
    assert math.isclose(res.statistic, est / se, rel_tol=1e-10), (res.statistic, est / se)
    assert math.isclose(res.pvalue, 2 * scipy.stats.t.sf(abs(est / se), df), rel_tol=1e-8), (res.pvalue,)
    q = scipy.stats.t.ppf(1 - alpha / 2, df)
    return dict(estimate=est, stdError=se, lower=est - q * se, upper=est + q * se, pValue=float(res.pvalue), df=df)


def relative(yt, yc, df, alpha):
    mt, mc = np.mean(yt), np.mean(yc)
    vt, vc = np.var(yt, ddof=1) / len(yt), np.var(yc, ddof=1) / len(yc)
    est = mt / mc - 1
    var = vt / mc ** 2 + mt ** 2 * vc / mc ** 4
    se = math.sqrt(var)
    q = scipy.stats.t.ppf(1 - alpha / 2, df)
    p = 2 * scipy.stats.t.sf(abs(est / se), df)
    return dict(estimate=100 * est, stdError=100 * se, lower=100 * (est - q * se), upper=100 * (est + q * se), pValue=float(p))


def cuped(y, x, arm):
    """theta from OLS of y on [dummy(control), dummy(treatment), x]; returns y* = y - theta (x - mean x)."""
    design = np.column_stack([(arm == 0).astype(float), (arm == 1).astype(float), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    theta = coef[2]
    return y - theta * (x - np.mean(x))


def scaled(e, factor):
    return dict(estimate=e["estimate"] * factor, stdError=e["stdError"] * factor, lower=e["lower"] * factor,
                upper=e["upper"] * factor, pValue=e["pValue"])


def make_case(name, seed, n_c, n_t, p_c, lift, use_cuped, with_revenue, spend, alpha):
    rng = np.random.default_rng(seed)
    n = n_c + n_t
    arm = np.array([0] * n_c + [1] * n_t)
    propensity = np.clip(rng.beta(2, 6, n) * p_c / 0.25, 0, 0.95)
    pre = (rng.random(n) < propensity).astype(int)
    p = np.where(arm == 1, np.minimum(propensity * (1 + lift), 1), propensity)
    converted = (rng.random(n) < p).astype(int)
    revenue = np.round(converted * rng.lognormal(3, 0.6, n) * (1 + 0.5 * pre), 2)
    pre_revenue = np.round(pre * rng.lognormal(3, 0.6, n), 2)

    def analyse(y, x):
        yy = cuped(y.astype(float), x.astype(float), arm) if use_cuped else y.astype(float)
        yt, yc = yy[arm == 1], yy[arm == 0]
        absolute = welch(yt, yc, alpha)
        return absolute, relative(yt, yc, absolute["df"], alpha)

    conv_abs, conv_rel = analyse(converted, pre)
    expected = dict(
        treatedUnits=n_t,
        liftPercent=conv_rel,
        incrementalConversions=scaled(conv_abs, n_t),
        spend=spend,
    )
    ic = expected["incrementalConversions"]
    if spend > 0 and ic["lower"] > 0:
        expected["costPerIncrementalConversion"] = dict(estimate=spend / ic["estimate"], lower=spend / ic["upper"], upper=spend / ic["lower"])
    else:
        expected["costPerIncrementalConversion"] = None
    if with_revenue:
        rev_abs, _ = analyse(revenue, pre_revenue)
        expected["incrementalRevenue"] = scaled(rev_abs, n_t)
        expected["iroas"] = scaled(rev_abs, n_t / spend) if spend > 0 else None
    else:
        expected["incrementalRevenue"] = None
        expected["iroas"] = None
    return dict(
        name=name, alpha=alpha, cuped=use_cuped, spend=spend,
        control=dict(converted=converted[arm == 0].tolist(), preConverted=pre[arm == 0].tolist(),
                     revenue=revenue[arm == 0].tolist(), preRevenue=pre_revenue[arm == 0].tolist()),
        treatment=dict(converted=converted[arm == 1].tolist(), preConverted=pre[arm == 1].tolist(),
                       revenue=revenue[arm == 1].tolist(), preRevenue=pre_revenue[arm == 1].tolist()),
        withRevenue=with_revenue,
        expected=expected)


cases = [
    make_case("cuped-converted-and-revenue", 801, 1500, 1600, 0.25, 0.30, True, True, 2500.0, 0.05),
    make_case("plain-converted-only-alpha-0.10", 802, 900, 900, 0.20, 0.35, False, False, 800.0, 0.10),
    make_case("lift-interval-reaches-zero", 803, 700, 650, 0.25, 0.0, True, True, 1200.0, 0.05),
    make_case("zero-spend", 804, 800, 820, 0.25, 0.4, False, True, 0.0, 0.05),
]
text = json.dumps(dict(provenance=dict(python=platform.python_version(), numpy=np.__version__, scipy=scipy.__version__,
                                      script="make_holdout_reference.py"), cases=cases), indent=1)
# per-unit value arrays on one line each, so the fixture stays readable
text = re.sub(r"\[\s*([-0-9.e,\s]+?)\s*\]", lambda m: "[" + ",".join(m.group(1).split()).replace(",,", ",") + "]", text)
sys.stdout.write(text + "\n")
print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}", file=sys.stderr)
