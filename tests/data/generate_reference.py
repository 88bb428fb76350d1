#!/usr/bin/env python3
"""Reference values for the `elasticnet` crate, computed with scikit-learn.

What it writes (all under tests/data/):

* ``enet_reference.json``  -- single fits (``ElasticNet``): coefficients on the
  original scale, intercepts, the objective and alpha_max for a set of named
  cases (diabetes raw / standardized, synthetic tall, wide, duplicated-column,
  constant-column, multi-output, positive and ridge problems).
* ``path_reference.json``  -- regularization paths (``enet_path``) on the
  crate's alpha grid (alpha_max down to eps * alpha_max, log-spaced).
* ``cv_reference.json``    -- one cross-validation run with explicit fold ids:
  held-out MSE per (alpha, fold), mean, standard error, alpha_min, alpha_1se.

How to rerun (from the repository root; needs numpy, scipy and scikit-learn):

    python3 tests/data/generate_reference.py

It is deterministic: the synthetic data come from fixed numpy seeds and are
rounded to 4 decimals (so the JSON holds them exactly, as short decimals), and
the diabetes data are read from data/diabetes.csv (not sklearn's loader).

The objective (DESIGN.md section 1), per output column, is

    L(w, b) = 1/(2m) ||y - Xw - b||^2 + l1 ||w||_1 + l2/2 ||w||^2,
    l1 = alpha * l1_ratio,  l2 = alpha * (1 - l1_ratio),

which is what sklearn's ElasticNet(alpha, l1_ratio) minimises. Each case is
reduced to its "solved problem" (Z, yc): X centred (with an intercept) and
divided by the column scale (when standardized: population std about the mean
with an intercept, root mean square without; a column whose scale is
<= 1e-10 * max|x_j| is constant, keeps scale 1 and -- with an intercept -- is
exactly zero after centring, so its coefficient is 0). ``objective`` and
``alpha_max`` refer to that problem; ``coef`` / ``intercept`` are mapped back
to the original scale (coef = w / scale, intercept = ybar - xbar . coef).

Method, per fit:
1. sklearn solves it (tol=1e-12, max_iter=10**6, selection="cyclic",
   precompute=False); a ConvergenceWarning is an error (retried with a larger
   max_iter first).
2. The solution is "polished": on sklearn's support S with its signs s, the
   KKT conditions are a linear system, (Z_S'Z_S/m + l2 I) w_S = Z_S'yc/m - l1 s,
   solved by QR with iterative refinement. The polished solution is kept when
   it is sign-consistent and its KKT violation is not larger than sklearn's
   (it agrees with sklearn to solver tolerance; the script asserts so), so the
   stored numbers are the exact minimiser to ~machine precision rather than to
   sklearn's stopping tolerance.
3. Every stored solution is checked: duality gap (in L's units) <=
   1e-9 * ||yc||^2/m per output column, and the KKT conditions
   (grad = Z'(Zw - yc)/m + l2 w; |grad_j| <= l1 where w_j = 0,
   grad_j = -l1 sign(w_j) elsewhere; one-sided for positive=True) to 1e-9
   relative to max|Z'yc|/m.
"""

import csv
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import scipy
import sklearn
from scipy.linalg import solve_triangular
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, enet_path

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DIABETES_CSV = os.path.join(REPO, "data", "diabetes.csv")
GENERATOR = "tests/data/generate_reference.py"

SK_TOL = 1e-12
MAX_ITERS = (10**6, 10**7)
GAP_RTOL = 1e-9  # duality gap <= GAP_RTOL * ||yc||^2 / m, per output column
KKT_RTOL = 1e-9  # KKT violation <= KKT_RTOL * max|Z'yc| / m
SKLEARN_AGREE_RTOL = 1e-6  # polished vs sklearn coefficients (in Z space)
CONST_RTOL = 1e-10  # constant-column rule of the crate
DECIMALS = 4  # synthetic data are rounded to this many decimals

STATS = {
    "worst_gap_rel": 0.0,
    "worst_kkt_rel": 0.0,
    "worst_sklearn_gap_rel": 0.0,
    "worst_sklearn_kkt_rel": 0.0,
    "worst_sklearn_vs_stored": 0.0,
    "n_fits": 0,
    "n_polished": 0,
    "max_iter_retries": 0,
    "worst_where": {},
}


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def load_diabetes():
    with open(DIABETES_CSV, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[-1] == "target" and len(header) == 11, header
    data = np.array([[float(v) for v in r] for r in body], dtype=np.float64)
    assert data.shape == (442, 11), data.shape
    return data[:, :-1].copy(), data[:, -1:].copy()


def rnd(a):
    return np.round(a, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def correlated_gaussian(rng, m, p, rho):
    idx = np.arange(p)
    cov = rho ** np.abs(idx[:, None] - idx[None, :])
    return rng.standard_normal((m, p)) @ np.linalg.cholesky(cov).T


def make_tall():
    rng = np.random.default_rng(20240101)
    m, p = 200, 20
    means = rng.uniform(-3.0, 3.0, p)
    scales = rng.uniform(0.5, 2.0, p)
    x = rnd(correlated_gaussian(rng, m, p, 0.6) * scales + means)
    beta = np.zeros(p)
    beta[[0, 3, 7, 12, 18]] = [2.0, -1.5, 1.0, 3.0, -0.8]
    y = rnd(x @ beta + 1.5 + 0.5 * rng.standard_normal(m))
    return x, y[:, None]


def make_wide():
    rng = np.random.default_rng(20240102)
    m, p = 40, 120
    means = rng.uniform(-1.0, 1.0, p)
    scales = rng.uniform(0.3, 3.0, p)
    x = rnd(correlated_gaussian(rng, m, p, 0.3) * scales + means)
    beta = np.zeros(p)
    support = rng.choice(p, 8, replace=False)
    beta[support] = rng.choice([-1.0, 1.0], 8) * rng.uniform(0.5, 2.0, 8)
    y = rnd(x @ beta - 0.7 + 0.3 * rng.standard_normal(m))
    return x, y[:, None]


DUP_COLUMNS = [1, 3]  # column 3 is an exact copy of column 1


def make_duplicated():
    rng = np.random.default_rng(20240103)
    m, p = 60, 10
    x = rnd(correlated_gaussian(rng, m, p, 0.3) + rng.uniform(-1.0, 1.0, p))
    x[:, 3] = x[:, 1]
    beta = np.array([1.0, 2.0, 0.0, 0.0, -1.0, 0.0, 0.5, 0.0, 0.0, 0.0])
    y = rnd(x @ beta + 0.4 + 0.3 * rng.standard_normal(m))
    return x, y[:, None]


CONST_COLUMN = 2


def make_constant():
    rng = np.random.default_rng(20240104)
    m, p = 50, 6
    x = rnd(rng.standard_normal((m, p)) * [1.0, 2.0, 1.0, 0.5, 3.0, 1.0] + 1.0)
    x[:, CONST_COLUMN] = 2.7  # not an exact binary fraction: its mean has rounding
    beta = np.array([1.5, -0.5, 0.0, 2.0, 0.3, 0.0])
    y = rnd(x @ beta + 2.0 + 0.2 * rng.standard_normal(m))
    return x, y[:, None]


def make_multi():
    rng = np.random.default_rng(20240105)
    m, p, k = 80, 12, 3
    x = rnd(correlated_gaussian(rng, m, p, 0.4) + rng.uniform(-2.0, 2.0, p))
    b = np.zeros((p, k))
    b[[0, 2, 5], 0] = [1.0, -2.0, 0.5]
    b[[1, 2, 7, 9], 1] = [3.0, 1.0, -1.0, 2.0]
    b[[4, 11], 2] = [-0.5, 0.25]
    y = rnd(x @ b + [1.0, -2.0, 0.5] + [0.2, 1.0, 0.1] * rng.standard_normal((m, k)))
    return x, y


# --------------------------------------------------------------------------
# the solved problem, gap, KKT
# --------------------------------------------------------------------------


class Problem:
    """X, Y reduced to (Z, Yc) as the crate solves it."""

    def __init__(self, x, y, fit_intercept, standardize):
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        assert y.ndim == 2
        m, p = x.shape
        self.x, self.y = x, y
        self.m, self.p, self.k = m, p, y.shape[1]
        self.fit_intercept, self.standardize = fit_intercept, standardize
        if fit_intercept:
            self.x_mean = x.mean(axis=0)
            self.y_mean = y.mean(axis=0)
        else:
            self.x_mean = np.zeros(p)
            self.y_mean = np.zeros(self.k)
        xc = x - self.x_mean
        spread = np.sqrt(np.mean(xc * xc, axis=0))
        self.const = spread <= CONST_RTOL * np.max(np.abs(x), axis=0)
        self.scale = np.where(standardize & ~self.const, spread, 1.0)
        z = xc / self.scale
        if fit_intercept:
            z[:, self.const] = 0.0
        self.z = z
        self.yc = y - self.y_mean
        # columns that can carry a coefficient
        self.free = ~(self.const & fit_intercept)

    def alpha_max(self, l1_ratio):
        if l1_ratio == 0:
            return None
        zy = self.z.T @ self.yc  # p x k
        return float(np.max(np.abs(zy)) / (self.m * l1_ratio))

    def y_scale(self, col):
        return float(self.yc[:, col] @ self.yc[:, col] / self.m)

    def grad_scale(self, col):
        g = float(np.max(np.abs(self.z.T @ self.yc[:, col])) / self.m)
        return g if g > 0 else 1.0

    def to_original(self, w):
        """w (p x k, Z space) -> coef (p x k), intercept (k)."""
        coef = w / self.scale[:, None]
        if self.fit_intercept:
            intercept = self.y_mean - self.x_mean @ coef
        else:
            intercept = np.zeros(self.k)
        return coef, intercept

    def objective(self, w, l1, l2):
        total = 0.0
        for col in range(self.k):
            total += primal(self.z, self.yc[:, col], w[:, col], l1, l2)
        return total


def primal(z, y, w, l1, l2):
    r = y - z @ w
    return r @ r / (2 * len(y)) + l1 * np.sum(np.abs(w)) + 0.5 * l2 * (w @ w)


def duality_gap(z, y, w, l1, l2, positive):
    """Smallest of two valid duality gaps, in L's units.

    A: sklearn's (dual point = residual rescaled into the L1 dual ball).
    B: Fenchel dual with the residual as dual point (needs l2 > 0), using
       g*(v) = sum_j (|v_j| - l1)_+^2 / (2 l2)   ((v_j - l1)_+ if positive).
    """
    m = len(y)
    r = y - z @ w
    rr = r @ r / m
    ry = r @ y / m
    ww = w @ w
    p_val = 0.5 * rr + l1 * np.sum(np.abs(w)) + 0.5 * l2 * ww
    v = z.T @ r / m
    gaps = []
    if l1 > 0:
        xta = v - l2 * w
        dual_norm = np.max(xta) if positive else np.max(np.abs(xta))
        s = l1 / dual_norm if dual_norm > l1 else 1.0
        d_val = -0.5 * s * s * (rr + l2 * ww) + s * ry
        gaps.append(p_val - d_val)
    if l2 > 0:
        excess = np.maximum(v - l1, 0.0) if positive else np.maximum(np.abs(v) - l1, 0.0)
        d_val = ry - 0.5 * rr - np.sum(excess * excess) / (2 * l2)
        gaps.append(p_val - d_val)
    assert gaps, "alpha = 0 has no dual gap"
    return min(gaps)


def kkt_violation(z, y, w, l1, l2, positive):
    m = len(y)
    g = -(z.T @ (y - z @ w)) / m + l2 * w
    nz = w != 0
    viol = np.zeros_like(w)
    if positive:
        viol[nz] = np.where(w[nz] > 0, np.abs(g[nz] + l1), np.inf)
        viol[~nz] = np.maximum(0.0, -g[~nz] - l1)
    else:
        viol[nz] = np.abs(g[nz] + l1 * np.sign(w[nz]))
        viol[~nz] = np.maximum(0.0, np.abs(g[~nz]) - l1)
    return float(np.max(viol)) if len(viol) else 0.0


def solve_on_support(z, y, support, signs, l1, l2):
    """Minimise 1/(2m)||y - Z_S w||^2 + l1 s'w + l2/2 ||w||^2 (a KKT system)."""
    m = len(y)
    a = z[:, support]
    b = y
    n = a.shape[1]
    if l2 > 0:
        a = np.vstack([a, math.sqrt(m * l2) * np.eye(n)])
        b = np.concatenate([y, np.zeros(n)])
    if a.shape[0] < n:
        return None
    q, r = np.linalg.qr(a)
    d = np.abs(np.diag(r))
    if d.min() <= 1e-12 * d.max():
        return None  # singular (e.g. duplicated columns in a pure lasso)
    c = m * l1 * signs

    def normal_solve(rhs):  # (R'R)^{-1} rhs
        return solve_triangular(r, solve_triangular(r, rhs, trans="T"))

    w = solve_triangular(r, q.T @ b - solve_triangular(r, c, trans="T"))
    for _ in range(3):  # iterative refinement on the exact gradient
        w = w - normal_solve(a.T @ (a @ w - b) + c)
    return w


def polish(z, y, w0, l1, l2, positive, free):
    """The exact minimiser on sklearn's support, if it satisfies the KKT."""
    w0 = np.where(free, w0, 0.0)
    best_w, best_v = w0, kkt_violation(z, y, w0, l1, l2, positive)
    colnorm = np.sqrt(np.sum(z * z, axis=0))
    nz = (w0 != 0) & free
    supports = [nz]
    if nz.any():
        size = np.abs(w0) * colnorm
        for rel in (1e-12, 1e-9, 1e-6):
            s = nz & (size > rel * size.max())
            if not any(np.array_equal(s, t) for t in supports):
                supports.append(s)
    polished = False
    for s in supports:
        if not s.any():
            w = np.zeros_like(w0)
        else:
            signs = np.sign(w0[s])
            ws = solve_on_support(z, y, s, signs, l1, l2)
            if ws is None:
                continue
            if l1 > 0 and not np.all(np.sign(ws) == signs):
                continue
            if positive and not np.all(ws > 0):
                continue
            w = np.zeros_like(w0)
            w[s] = ws
        v = kkt_violation(z, y, w, l1, l2, positive)
        if v <= best_v or (not polished and v <= max(best_v, 1e-15)):
            best_w, best_v, polished = w, v, True
    return best_w, polished


def check_solution(label, prob, col, w_sk, w, l1, l2, positive):
    """Assert gap and KKT of the stored solution w; record the worst."""
    z, y = prob.z, prob.yc[:, col]
    ys, gs = prob.y_scale(col), prob.grad_scale(col)
    ys = ys if ys > 0 else 1.0
    gap = duality_gap(z, y, w, l1, l2, positive) / ys
    kkt = kkt_violation(z, y, w, l1, l2, positive) / gs
    gap_sk = duality_gap(z, y, w_sk, l1, l2, positive) / ys
    kkt_sk = kkt_violation(z, y, w_sk, l1, l2, positive) / gs
    wscale = max(np.max(np.abs(w)), 1e-300)
    diff = float(np.max(np.abs(w - w_sk)) / wscale) if np.any(w != 0) else float(np.max(np.abs(w_sk)))
    assert gap <= GAP_RTOL, f"{label}: duality gap {gap:.3e} (relative)"
    assert kkt <= KKT_RTOL, f"{label}: KKT violation {kkt:.3e} (relative)"
    assert gap_sk <= GAP_RTOL, f"{label}: sklearn duality gap {gap_sk:.3e} (relative)"
    for key, val in (
        ("worst_gap_rel", gap),
        ("worst_kkt_rel", kkt),
        ("worst_sklearn_gap_rel", gap_sk),
        ("worst_sklearn_kkt_rel", kkt_sk),
        ("worst_sklearn_vs_stored", diff),
    ):
        if val > STATS[key]:
            STATS[key] = val
            STATS["worst_where"][key] = label
    return gap, kkt, diff


def finish(label, prob, w_sk, l1, l2, positive, unique=True):
    """Polish and check each output column of a Z-space solution (p x k)."""
    w_out = np.zeros_like(w_sk)
    for col in range(prob.k):
        wc_sk = np.where(prob.free, w_sk[:, col], 0.0)
        wc, polished = polish(prob.z, prob.yc[:, col], wc_sk, l1, l2, positive, prob.free)
        lbl = f"{label}[{col}]"
        _, _, diff = check_solution(lbl, prob, col, wc_sk, wc, l1, l2, positive)
        if unique:
            assert diff <= SKLEARN_AGREE_RTOL, f"{lbl}: sklearn and polished differ by {diff:.3e}"
        STATS["n_fits"] += 1
        STATS["n_polished"] += int(polished)
        w_out[:, col] = wc
    return w_out


def with_retries(fn):
    """Run fn(max_iter) with ConvergenceWarning as an error, raising max_iter."""
    last = None
    for max_iter in MAX_ITERS:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                return fn(max_iter)
            except ConvergenceWarning as e:  # pragma: no cover - reported
                last = e
                STATS["max_iter_retries"] += 1
                print(f"  ConvergenceWarning at max_iter={max_iter}: {e}", file=sys.stderr)
    raise RuntimeError(f"no convergence even at max_iter={MAX_ITERS[-1]}: {last}")


# --------------------------------------------------------------------------
# single fits
# --------------------------------------------------------------------------


def sklearn_fit(prob, alpha, l1_ratio, positive):
    """sklearn's solution in Z space (p x k)."""
    if prob.standardize:
        xfit = prob.z  # standardized (and centred with an intercept) by us
    else:
        xfit = prob.x  # raw: sklearn centres itself when fit_intercept
    yfit = prob.y[:, 0] if prob.k == 1 else prob.y

    def run(max_iter):
        model = ElasticNet(
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=prob.fit_intercept,
            positive=positive,
            tol=SK_TOL,
            max_iter=max_iter,
            precompute=False,
            selection="cyclic",
        )
        model.fit(xfit, yfit)
        return model

    model = with_retries(run)
    # sklearn was fitted on Z (standardized) or on raw X (scale 1, and its own
    # centring gives Z): either way its coefficients are Z-space coefficients
    w = np.atleast_2d(model.coef_).T.copy()  # p x k
    # consistency of sklearn's intercept with our mapping
    _, icpt = prob.to_original(w)
    sk_icpt = np.atleast_1d(model.intercept_)
    if prob.fit_intercept and not prob.standardize:
        assert np.allclose(icpt, sk_icpt, rtol=1e-9, atol=1e-9 * (1 + np.abs(prob.y_mean).max()))
    return w


def nested(a):
    a = np.asarray(a, dtype=np.float64)
    assert np.all(np.isfinite(a))
    return a.tolist()


def enet_case(name, data, x, y, alpha, l1_ratio, fit_intercept=True, standardize=False,
              positive=False, unique=True, extra=None, alpha_of_max=None):
    """Solve one case. alpha_of_max: alpha = alpha_of_max * alpha_max."""
    prob = Problem(x, y, fit_intercept, standardize)
    amax = prob.alpha_max(l1_ratio)
    if alpha_of_max is not None:
        alpha = alpha_of_max * amax
    alpha = float(alpha)
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    w_sk = sklearn_fit(prob, alpha, l1_ratio, positive)
    w = finish(name, prob, w_sk, l1, l2, positive, unique)
    coef, intercept = prob.to_original(w)
    case = {"name": name, "data": data}
    if data == "inline":
        case["x"] = nested(prob.x)
        case["y"] = nested(prob.y)
    case.update(
        alpha=alpha,
        l1_ratio=float(l1_ratio),
        fit_intercept=bool(fit_intercept),
        standardize=bool(standardize),
        positive=bool(positive),
        coef=nested(coef),
        intercept=nested(intercept),
        objective=float(prob.objective(w, l1, l2)),
        alpha_max=amax,
        unique_coef=bool(unique),
    )
    if extra:
        case.update(extra)
    nnz = int(np.sum(w != 0))
    print(f"  {name:40s} alpha={alpha:.4g} nnz={nnz}/{prob.p * prob.k} obj={case['objective']:.10g}")
    return case, prob, w


def build_enet_cases():
    dx, dy = load_diabetes()
    tx, ty = make_tall()
    wx, wy = make_wide()
    ux, uy = make_duplicated()
    cx, cy = make_constant()
    mx, my = make_multi()
    cases = []
    add = lambda *a, **kw: cases.append(enet_case(*a, **kw)[0])

    # diabetes, raw X
    add("diabetes_raw_lasso_alpha1", "diabetes", dx, dy, 1.0, 1.0)
    add("diabetes_raw_lasso_alpha0.1", "diabetes", dx, dy, 0.1, 1.0)
    add("diabetes_raw_enet0.5_alpha1", "diabetes", dx, dy, 1.0, 0.5)
    # diabetes, standardized
    for r, tag in ((0.0, "ridge"), (0.1, "enet0.1"), (0.5, "enet0.5"), (0.9, "enet0.9"), (1.0, "lasso")):
        add(f"diabetes_std_{tag}_alpha1", "diabetes", dx, dy, 1.0, r, standardize=True)
    add("diabetes_std_lasso_at_alpha_max", "diabetes", dx, dy, None, 1.0, standardize=True,
        alpha_of_max=1.0)
    add("diabetes_std_lasso_at_2x_alpha_max", "diabetes", dx, dy, None, 1.0, standardize=True,
        alpha_of_max=2.0)
    add("diabetes_std_lasso_alpha1e-6", "diabetes", dx, dy, 1e-6, 1.0, standardize=True)
    add("diabetes_std_nointercept_lasso_alpha1", "diabetes", dx, dy, 1.0, 1.0,
        fit_intercept=False, standardize=True)
    add("diabetes_std_positive_lasso_alpha0.5", "diabetes", dx, dy, 0.5, 1.0, standardize=True,
        positive=True)

    # tall synthetic
    add("tall_lasso_0.1amax", "inline", tx, ty, None, 1.0, alpha_of_max=0.1)
    add("tall_enet0.5_0.1amax", "inline", tx, ty, None, 0.5, alpha_of_max=0.1)
    add("tall_nointercept_lasso_0.1amax", "inline", tx, ty, None, 1.0, fit_intercept=False,
        alpha_of_max=0.1)
    add("tall_positive_lasso_0.1amax", "inline", tx, ty, None, 1.0, positive=True,
        alpha_of_max=0.1)
    case, prob, w = enet_case("tall_ridge_alpha1", "inline", tx, ty, 1.0, 0.0)
    cases.append(case)
    ridge_closed_form_check(prob, 1.0, w)

    # wide synthetic (p > m)
    for r, tag in ((1.0, "lasso"), (0.5, "enet0.5")):
        for f, ftag in ((0.1, "0.1amax"), (0.01, "0.01amax")):
            add(f"wide_{tag}_{ftag}", "inline", wx, wy, None, r, alpha_of_max=f)
    add("wide_std_lasso_0.1amax", "inline", wx, wy, None, 1.0, standardize=True, alpha_of_max=0.1)
    add("wide_std_enet0.5_0.01amax", "inline", wx, wy, None, 0.5, standardize=True,
        alpha_of_max=0.01)

    # duplicated columns
    dup = {"duplicate_columns": DUP_COLUMNS}
    add("duplicated_columns_enet0.5_0.1amax", "inline", ux, uy, None, 0.5, alpha_of_max=0.1,
        extra=dup)
    add("duplicated_columns_lasso_0.1amax", "inline", ux, uy, None, 1.0, alpha_of_max=0.1,
        unique=False, extra=dup)

    # constant column
    const = {"constant_columns": [CONST_COLUMN]}
    add("constant_column_raw_enet0.5_0.1amax", "inline", cx, cy, None, 0.5, alpha_of_max=0.1,
        extra=const)
    add("constant_column_std_enet0.5_0.1amax", "inline", cx, cy, None, 0.5, standardize=True,
        alpha_of_max=0.1, extra=const)

    # multi-output
    add("multioutput_enet0.5_0.1amax", "inline", mx, my, None, 0.5, alpha_of_max=0.1)

    check_special_cases(cases)
    return cases


def ridge_closed_form_check(prob, alpha, w):
    z, y = prob.z, prob.yc
    m, p = z.shape
    closed = np.linalg.solve(z.T @ z / m + alpha * np.eye(p), z.T @ y / m)
    w_sk = sklearn_fit(prob, alpha, 0.0, False)
    scale = np.max(np.abs(closed))
    d_sk = np.max(np.abs(w_sk - closed)) / scale
    d_st = np.max(np.abs(w - closed)) / scale
    print(f"  ridge closed form: sklearn {d_sk:.2e}, stored {d_st:.2e} (relative)")
    assert d_sk <= 1e-10 and d_st <= 1e-10, (d_sk, d_st)


def check_special_cases(cases):
    by = {c["name"]: c for c in cases}
    for n in ("diabetes_std_lasso_at_alpha_max", "diabetes_std_lasso_at_2x_alpha_max"):
        assert all(v == 0.0 for row in by[n]["coef"] for v in row), n
    c = by["duplicated_columns_enet0.5_0.1amax"]["coef"]
    a, b = c[DUP_COLUMNS[0]][0], c[DUP_COLUMNS[1]][0]
    assert a != 0 and abs(a - b) <= 1e-12 * abs(a), (a, b)
    for n in ("constant_column_raw_enet0.5_0.1amax", "constant_column_std_enet0.5_0.1amax"):
        assert by[n]["coef"][CONST_COLUMN] == [0.0], n


# --------------------------------------------------------------------------
# paths
# --------------------------------------------------------------------------


def alpha_grid(prob, l1_ratio, n_alphas, eps):
    amax = prob.alpha_max(l1_ratio)
    return amax, np.geomspace(amax, amax * eps, num=n_alphas)


def path_fit(prob, l1_ratio, alphas, label):
    """Warm-started path on (Z, yc); returns Z-space coefs n_alphas x p x k."""
    n = len(alphas)
    out = np.zeros((n, prob.p, prob.k))
    for col in range(prob.k):
        def run(max_iter):
            return enet_path(
                prob.z, prob.yc[:, col], l1_ratio=l1_ratio, alphas=alphas, tol=SK_TOL,
                max_iter=max_iter, precompute=False,
            )

        _, coefs, _ = with_retries(run)  # coefs: p x n_alphas
        for i, a in enumerate(alphas):
            wc_sk = np.where(prob.free, coefs[:, i], 0.0)
            l1, l2 = a * l1_ratio, a * (1.0 - l1_ratio)
            wc, polished = polish(prob.z, prob.yc[:, col], wc_sk, l1, l2, False, prob.free)
            lbl = f"{label}[alpha {i}, col {col}]"
            _, _, diff = check_solution(lbl, prob, col, wc_sk, wc, l1, l2, False)
            assert diff <= SKLEARN_AGREE_RTOL, f"{lbl}: sklearn and polished differ by {diff:.3e}"
            STATS["n_fits"] += 1
            STATS["n_polished"] += int(polished)
            out[i, :, col] = wc
    return out


def path_case(name, data, x, y, l1_ratio, standardize, n_alphas=100, eps=1e-3):
    prob = Problem(x, y, True, standardize)
    amax, alphas = alpha_grid(prob, l1_ratio, n_alphas, eps)
    w = path_fit(prob, l1_ratio, alphas, name)
    coefs = w / prob.scale[None, :, None]
    intercepts = prob.y_mean[None, :] - np.einsum("j,ajk->ak", prob.x_mean, coefs)
    assert np.all(w[0] == 0.0), f"{name}: non-zero coefficients at alpha_max"
    case = {"name": name, "data": data}
    if data == "inline":
        case["x"] = nested(prob.x)
        case["y"] = nested(prob.y)
    case.update(
        l1_ratio=float(l1_ratio),
        fit_intercept=True,
        standardize=bool(standardize),
        n_alphas=int(n_alphas),
        eps=float(eps),
        alpha_max=float(amax),
        alphas=nested(alphas),
        coefs=nested(coefs),
        intercepts=nested(intercepts),
    )
    nnz = [int(np.sum(wi != 0)) for wi in w]
    print(f"  {name:40s} alpha_max={amax:.6g} nnz first/last={nnz[0]}/{nnz[-1]}")
    return case


def build_paths():
    dx, dy = load_diabetes()
    wx, wy = make_wide()
    return [
        path_case("diabetes_std_lasso_path", "diabetes", dx, dy, 1.0, True),
        path_case("diabetes_std_enet0.5_path", "diabetes", dx, dy, 0.5, True),
        path_case("wide_lasso_path", "inline", wx, wy, 1.0, False),
    ]


# --------------------------------------------------------------------------
# cross-validation
# --------------------------------------------------------------------------

CV_SEED = 20240106


def build_cv():
    x, y = load_diabetes()
    m = x.shape[0]
    l1_ratio, n_alphas, eps, n_folds = 0.5, 20, 1e-3, 5
    perm = np.random.default_rng(CV_SEED).permutation(m)
    fold_ids = np.empty(m, dtype=int)
    fold_ids[perm] = np.arange(m) % n_folds  # row perm[r] goes to fold r % n_folds

    full = Problem(x, y, True, True)
    amax, alphas = alpha_grid(full, l1_ratio, n_alphas, eps)  # grid from ALL rows
    mse = np.zeros((n_alphas, n_folds))
    for f in range(n_folds):
        train, test = fold_ids != f, fold_ids == f
        prob = Problem(x[train], y[train], True, True)  # train-only mean / std
        w = path_fit(prob, l1_ratio, alphas, f"cv fold {f}")
        for i in range(n_alphas):
            coef, intercept = prob.to_original(w[i])
            pred = x[test] @ coef + intercept
            mse[i, f] = float(np.mean((y[test] - pred) ** 2))
    mse_mean = mse.mean(axis=1)
    mse_se = mse.std(axis=1, ddof=1) / math.sqrt(n_folds)
    i_min = int(np.argmin(mse_mean))  # first minimum = largest alpha on ties
    alpha_1se = float(alphas[np.nonzero(mse_mean <= mse_mean[i_min] + mse_se[i_min])[0][0]])

    # refit on all rows at alpha_min (CvFit.fit)
    a = float(alphas[i_min])
    w_sk = sklearn_fit(full, a, l1_ratio, False)
    w = finish("cv refit at alpha_min", full, w_sk, a * l1_ratio, a * (1 - l1_ratio), False)
    coef, intercept = full.to_original(w)

    print(f"  alpha_min={a:.6g} (index {i_min}), alpha_1se={alpha_1se:.6g}")
    return {
        "generator": GENERATOR,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "name": "diabetes_std_enet0.5_cv5",
        "data": "diabetes",
        "l1_ratio": l1_ratio,
        "fit_intercept": True,
        "standardize": True,
        "n_alphas": n_alphas,
        "eps": eps,
        "n_folds": n_folds,
        "fold_seed": CV_SEED,
        "fold_ids": [int(v) for v in fold_ids],
        "alpha_max": float(amax),
        "alphas": nested(alphas),
        "mse": nested(mse),
        "mse_mean": nested(mse_mean),
        "mse_se": nested(mse_se),
        "alpha_min": a,
        "alpha_min_index": i_min,
        "alpha_1se": alpha_1se,
        "refit_coef": nested(coef),
        "refit_intercept": nested(intercept),
    }


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------


def to_json(obj, indent=0):
    """JSON with one row of numbers per line (readable, diff-friendly)."""
    pad, pad1 = " " * indent, " " * (indent + 2)
    if isinstance(obj, dict):
        items = [f"{pad1}{json.dumps(k)}: {to_json(v, indent + 2)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (list, dict)) for v in obj):
            return "[" + ", ".join(to_json(v) for v in obj) + "]"
        return "[\n" + ",\n".join(pad1 + to_json(v, indent + 2) for v in obj) + "\n" + pad + "]"
    if isinstance(obj, float):
        assert math.isfinite(obj)
        return repr(obj)  # shortest round-trip representation
    return json.dumps(obj)


def write(name, obj):
    path = os.path.join(HERE, name)
    text = to_json(obj) + "\n"
    with open(path, "w") as f:
        f.write(text)
    with open(path) as f:
        assert json.load(f) == obj, f"{name} does not round-trip"
    print(f"wrote {os.path.relpath(path, REPO)} ({len(text.encode()) / 1024:.1f} KiB)")


def main():
    t0 = time.time()
    meta = {
        "generator": GENERATOR,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
    }
    print("single fits:")
    cases = build_enet_cases()
    write("enet_reference.json", {**meta, "cases": cases})
    print("paths:")
    paths = build_paths()
    write("path_reference.json", {**meta, "paths": paths})
    print("cross-validation:")
    write("cv_reference.json", build_cv())
    print(
        f"{STATS['n_fits']} solutions checked ({STATS['n_polished']} polished), "
        f"max_iter retries: {STATS['max_iter_retries']}\n"
        f"worst stored duality gap / (||yc||^2/m): {STATS['worst_gap_rel']:.3e}\n"
        f"worst stored KKT violation / (max|Z'yc|/m): {STATS['worst_kkt_rel']:.3e}\n"
        f"worst sklearn duality gap (relative): {STATS['worst_sklearn_gap_rel']:.3e}\n"
        f"worst sklearn KKT violation (relative): {STATS['worst_sklearn_kkt_rel']:.3e}\n"
        f"worst |sklearn - stored| / max|w|: {STATS['worst_sklearn_vs_stored']:.3e}\n"
        f"where: {STATS['worst_where']}\n"
        f"done in {time.time() - t0:.1f} s (scipy {scipy.__version__})"
    )


if __name__ == "__main__":
    main()
