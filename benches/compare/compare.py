#!/usr/bin/env python3
"""elasticnet vs scikit-learn vs skglm, side by side, in one run.

Generates the benchmark problems, writes them to disk, runs the peers (in
this process, single-threaded BLAS) and the crate's release-mode runner
(`benches/compare/runner.rs`) on the same files, checks that every
contestant reaches the same objective (relative difference <= 1e-6 to the
best, else it does not count) and prints a Markdown table of medians and
ratios.

    pip install scikit-learn skglm threadpoolctl
    python3 benches/compare/compare.py [--quick] [--out DIR]

Not run by CI. The numbers depend on the machine; the ratios are the point.
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOL = 1e-8  # scikit-learn's meaning: duality gap <= tol * ||y - mean(y)||^2 / m
OBJ_RTOL = 1e-6


def objective(X, y, coef, intercept, alpha, l1_ratio):
    r = y - X @ coef - intercept
    m = X.shape[0]
    return r @ r / (2 * m) + alpha * l1_ratio * np.abs(coef).sum() + 0.5 * alpha * (1 - l1_ratio) * coef @ coef


def correlated_gaussian(rng, m, p, rho=0.5):
    """AR(1) columns: corr(x_j, x_k) = rho^|j-k|."""
    X = np.empty((m, p))
    X[:, 0] = rng.standard_normal(m)
    s = np.sqrt(1 - rho * rho)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + s * rng.standard_normal(m)
    return X


def make(name, m, p, nnz, seed):
    rng = np.random.default_rng(seed)
    X = correlated_gaussian(rng, m, p)
    X += rng.uniform(-2, 2, size=p)  # non-zero column means: the intercept matters
    w = np.zeros(p)
    idx = rng.choice(p, nnz, replace=False)
    w[idx] = rng.uniform(1, 5, nnz) * rng.choice([-1, 1], nnz)
    y = X @ w + 3.0 + rng.standard_normal(m) * np.linalg.norm(w) / 3
    return name, X, y


def diabetes():
    d = np.loadtxt(os.path.join(ROOT, "data", "diabetes.csv"), delimiter=",", skiprows=1)
    return "diabetes", d[:, :10].copy(), d[:, 10].copy()


def write(dirname, X, y, folds):
    os.makedirs(dirname, exist_ok=True)
    np.ascontiguousarray(X, dtype="<f8").tofile(os.path.join(dirname, "x.f64"))
    np.ascontiguousarray(y, dtype="<f8").tofile(os.path.join(dirname, "y.f64"))
    with open(os.path.join(dirname, "shape.txt"), "w") as f:
        f.write(f"{X.shape[0]} {X.shape[1]}\n")
    with open(os.path.join(dirname, "folds.txt"), "w") as f:
        f.write(" ".join(map(str, folds)) + "\n")


def alpha_max(X, y, l1_ratio):
    Xc = X - X.mean(0)
    return np.abs(Xc.T @ (y - y.mean())).max() / (X.shape[0] * l1_ratio)


def timed(fn, repeats):
    """Median seconds of `repeats` runs (one only when the first takes over
    10 s: scikit-learn's wide path and CV need minutes) and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        if times[0] > 10.0:
            break
    return statistics.median(times), out


def run_ours(dirname, task, l1_ratio, alpha, repeats, threads, tol):
    out = os.path.join(dirname, f"ours_{task}.txt")
    cmd = [RUNNER, dirname, task, repr(float(l1_ratio)), repr(float(alpha)), str(repeats), str(threads), repr(float(tol)), out]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return statistics.median(res["times"]), out, res


def ours_around(dirname, task, l1_ratio, alpha, repeats, peers):
    """`peers()` between two runs of ours of `repeats` runs each (A B A):
    our median is over both, so that ours and the peers are sampled over
    the same seconds. The host's speed moves in spells of seconds to
    minutes (by up to 40 % on the tall path); timed one after the other, a
    spell that took only our turn decided the ratio."""
    _, out, first = run_ours(dirname, task, l1_ratio, alpha, repeats, 1, TOL)
    theirs = peers()
    _, out, second = run_ours(dirname, task, l1_ratio, alpha, repeats, 1, TOL)
    return statistics.median(first["times"] + second["times"]), out, theirs


PEER_BUDGET = 60.0  # seconds for one peer fit before it is stopped
CV_SPAN = 8.0  # seconds the 1- and 2-thread CV pairs span at least


def bounded(fn, repeats):
    """timed(fn, repeats) in a forked child, stopped after PEER_BUDGET seconds
    (then (None, None)): a peer that needs minutes for one fit (scikit-learn
    and skglm at 0.01·alpha_max on "wide", near interpolation) must not stall
    the whole comparison. One run only when the first takes over 10 s."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    q = ctx.Queue()

    def child():
        t, out = timed(fn, 1)
        if t < 10.0 and repeats > 1:
            t2, out = timed(fn, repeats - 1)
            t = statistics.median([t] * 1 + [t2] * (repeats - 1))
        q.put((t, np.asarray(out.coef_).copy(), np.asarray(out.intercept_).copy()))

    proc = ctx.Process(target=child)
    proc.start()
    proc.join(PEER_BUDGET * max(repeats, 1))
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None, None, None
    return q.get()


def fit_contestants(X, y, alpha, l1_ratio, repeats):
    """(name, median seconds or None when stopped, coef, intercept) of each peer."""
    from sklearn.linear_model import ElasticNet
    import skglm

    rows = []
    # precompute=True on p > m forms a p × p Gram matrix and sweeps it
    # (5000 × 5000 on "wide": minutes per fit at 0.01·alpha_max); scikit-learn's
    # own precompute="auto" never does that, so it is not run there.
    for precompute in (True, False) if X.shape[0] >= X.shape[1] else (False,):
        est = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=TOL, max_iter=100_000, precompute=precompute)
        t, c, b = bounded(lambda: est.fit(X, y), repeats)
        rows.append((f"sklearn precompute={precompute}", t, c, b))
    if l1_ratio == 1.0:
        est = skglm.Lasso(alpha=alpha, tol=1e-10, max_epochs=100_000, fit_intercept=True)
    else:
        est = skglm.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10, max_epochs=100_000, fit_intercept=True)
    est.fit(X[:50], y[:50])  # numba compilation, not timed
    t, c, b = bounded(lambda: est.fit(X, y), repeats)
    rows.append(("skglm", t, c, b))
    return rows


def multi_row(name, X, y, d, l1_ratio, alpha, repeats, row):
    """One fit of 4 targets (y and three more sparse linear models of X):
    ours with 1 and 2 threads (run by run, alternating, in one process)
    against scikit-learn's ElasticNet on the 2-D y (which fits the targets
    one after the other; skglm's estimators take one target). The
    objective is summed over the targets."""
    from sklearn.linear_model import ElasticNet
    rng = np.random.default_rng(7)
    m, p = X.shape
    Y = np.empty((m, 4))
    Y[:, 0] = y
    for k in range(1, 4):
        w = np.zeros(p)
        idx = rng.choice(p, 10, replace=False)
        w[idx] = rng.uniform(1, 5, 10) * rng.choice([-1, 1], 10)
        Y[:, k] = X @ w - 1.0 + rng.standard_normal(m) * np.linalg.norm(w) / 3
    np.ascontiguousarray(Y, dtype="<f8").tofile(os.path.join(d, "y_multi.f64"))
    _, out, res = run_ours(d, "fit_multi", l1_ratio, alpha, 3 * repeats, "1/2", TOL)
    t1, t2 = statistics.median(res["by_threads"]["1"]), statistics.median(res["by_threads"]["2"])
    vals = np.loadtxt(out, ndmin=2)
    total = lambda coefs, biases: sum(objective(X, Y[:, k], coefs[k], biases[k], alpha, l1_ratio) for k in range(4))
    ours_obj = total(vals[:, :-1], vals[:, -1])
    peers, objs = [], []
    for precompute in (True, False):
        est = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=TOL, max_iter=100_000, precompute=precompute)
        t, c, b = bounded(lambda: est.fit(X, Y), repeats)
        if t is not None:
            peers.append((f"sklearn precompute={precompute}", t))
            objs.append(total(c, b))
    best = min([ours_obj] + objs)
    ok = lambda o: (o - best) <= OBJ_RTOL * abs(best)
    note = f"2 threads: {t2 * 1e3:.1f} ms ({t1 / t2:.2f}x our 1 thread)"
    if not ok(ours_obj):
        note += f"; OURS objective off by {(ours_obj - best) / best:.1e}"
    row(name, "fit, 4 targets", f"l1_ratio={l1_ratio}, alpha=0.1·alpha_max, 1 thread", t1,
        [(n, t, ok(o)) for (n, t), o in zip(peers, objs)], note)


def main():
    global RUNNER
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small problems, one repeat: a smoke test")
    ap.add_argument("--out", default="/tmp/elasticnet-compare")
    ap.add_argument("--problems", default="tall,wide,huge,diabetes", help="comma-separated subset")
    ap.add_argument("--work", default="fit,multi,path,cv,epoch", help="comma-separated subset")
    ap.add_argument("--fractions", default="0.1,0.01", help="fit at these fractions of alpha_max (comma-separated)")
    args = ap.parse_args()
    only_problems = set(args.problems.split(","))
    work = set(args.work.split(","))
    fractions = [float(f) for f in args.fractions.split(",")]

    from threadpoolctl import threadpool_limits
    from sklearn.linear_model import ElasticNetCV, enet_path
    from sklearn.model_selection import PredefinedSplit
    import sklearn
    import skglm

    warnings.filterwarnings("ignore")
    subprocess.run(["cargo", "build", "--release", "--features", "rayon", "--example", "compare_runner"],
                   cwd=ROOT, check=True, capture_output=True)
    RUNNER = os.path.join(ROOT, "target", "release", "examples", "compare_runner")

    if args.quick:
        problems = [make("tall", 20_000, 100, 10, 0), make("wide", 200, 2_000, 20, 1), diabetes()]
        repeats = 1
    else:
        problems = [make("tall", 100_000, 100, 10, 0), make("wide", 500, 5_000, 20, 1),
                    make("huge", 2_000_000, 20, 5, 2), diabetes()]
        repeats = 5

    table = []

    def row(problem, work, setting, ours_t, peers, note=""):
        counted = [(n, t) for n, t, ok in peers if ok]
        best_peer = min(counted, key=lambda r: r[1]) if counted else None
        ratio = f"{best_peer[1] / ours_t:.2f}x" if best_peer else "n/a"
        peer_s = "; ".join(f"{n} {t * 1e3:.1f} ms{'' if ok else ' (objective off: not counted)'}" for n, t, ok in peers)
        table.append(f"| {problem} | {work} | {setting} | {ours_t * 1e3:.1f} ms | {peer_s} | {ratio} | {note} |")
        print(table[-1], flush=True)

    with threadpool_limits(limits=1):
        for name, X, y in problems:
            if name not in only_problems:
                continue
            m, p = X.shape
            rng = np.random.default_rng(123)
            folds = rng.permutation(m) % 5
            d = os.path.join(args.out, name)
            write(d, X, y, folds)
            for l1_ratio in (1.0, 0.5):
                amax = alpha_max(X, y, l1_ratio)
                for frac in fractions if "fit" in work else ():
                    alpha = frac * amax
                    setting = f"l1_ratio={l1_ratio}, alpha={frac}·alpha_max"
                    ours_t, out, peers = ours_around(d, "fit", l1_ratio, alpha, repeats,
                                                     lambda: fit_contestants(X, y, alpha, l1_ratio, repeats))
                    vals = np.loadtxt(out)
                    ours_obj = objective(X, y, vals[:-1], vals[-1], alpha, l1_ratio)
                    stopped = [n for n, t, _, _ in peers if t is None]
                    peers = [r for r in peers if r[1] is not None]
                    objs = [objective(X, y, c, b, alpha, l1_ratio) for _, _, c, b in peers]
                    best = min([ours_obj] + objs)
                    ok = lambda o: (o - best) <= OBJ_RTOL * abs(best)
                    note = "" if ok(ours_obj) else f"OURS objective off by {(ours_obj - best) / best:.1e}"
                    if stopped:
                        note += f"{'; ' if note else ''}stopped after {PEER_BUDGET * repeats:.0f} s (not counted): " + ", ".join(stopped)
                    row(name, "fit", setting, ours_t, [(n, t, ok(o)) for (n, t, _, _), o in zip(peers, objs)], note)

                if name in ("tall", "huge") and l1_ratio == 1.0 and "fit" in work:
                    # Peak memory of a tall fit against the size of x: the
                    # runner loads x straight into its array, so "stream"
                    # (load and read x once) is the baseline.
                    def peak_kb(task):
                        cmd = ["/usr/bin/time", "-v", RUNNER, d, task, "1.0", repr(float(0.1 * amax)), "1", "1",
                               repr(TOL), os.path.join(d, "mem.txt")]
                        err = subprocess.run(cmd, check=True, capture_output=True, text=True).stderr
                        return int(next(l for l in err.splitlines() if "Maximum resident" in l).split()[-1])
                    base, fit_peak = peak_kb("stream"), peak_kb("fit")
                    x_mb = X.nbytes / 1e6
                    table.append(f"| {name} | fit peak memory | l1_ratio=1.0 | {fit_peak / 1e3:.1f} MB | "
                                 f"x alone: {x_mb:.1f} MB; loading x and y: {base / 1e3:.1f} MB | "
                                 f"fit adds {(fit_peak - base) / 1e3:.1f} MB | p² = {X.shape[1] ** 2 * 8 / 1e6:.2f} MB, m = {X.shape[0] * 8 / 1e6:.2f} MB |")
                    print(table[-1], flush=True)
                if name == "tall" and l1_ratio == 1.0 and "multi" in work:
                    multi_row(name, X, y, d, l1_ratio, 0.1 * amax, repeats, row)
                if name == "huge" or not work & {"path", "cv"}:
                    continue
                # The 100-alpha path (scikit-learn's enet_path needs centred data: centring is timed).
                # Our run before and after scikit-learn's (A B A); skglm's
                # path, far slower than both, comes after.
                alphas = np.loadtxt(run_ours(d, "path", l1_ratio, 0.0, 1, 1, TOL)[1])[:, 0]

                def sk_path():
                    Xc, yc = X - X.mean(0), y - y.mean()
                    return enet_path(Xc, yc, l1_ratio=l1_ratio, alphas=alphas, tol=TOL, max_iter=100_000)

                ours_t, out, (sk_t, (_, sk_coefs, _)) = ours_around(d, "path", l1_ratio, 0.0, repeats,
                                                                    lambda: timed(sk_path, repeats))
                ours_path = np.loadtxt(out)
                est = skglm.Lasso(tol=1e-10, max_epochs=100_000) if l1_ratio == 1.0 else \
                    skglm.ElasticNet(l1_ratio=l1_ratio, tol=1e-10, max_epochs=100_000)
                est.path(X[:50] - X[:50].mean(0), y[:50] - y[:50].mean(), alphas[:3])  # numba compile
                sg_t, sg_out = timed(lambda: est.path(X - X.mean(0), y - y.mean(), alphas), repeats)
                sg_coefs = sg_out[1][:p]  # skglm appends the intercept row
                worst = {"sk": 0.0, "sg": 0.0, "ours": 0.0}
                for i, a in enumerate(alphas):
                    ours_o = objective(X, y, ours_path[i, 1:-1], ours_path[i, -1], a, l1_ratio)
                    b_of = lambda c: y.mean() - X.mean(0) @ c
                    sk_o = objective(X, y, sk_coefs[:, i], b_of(sk_coefs[:, i]), a, l1_ratio)
                    sg_o = objective(X, y, sg_coefs[:, i], b_of(sg_coefs[:, i]), a, l1_ratio)
                    best = min(ours_o, sk_o, sg_o)
                    for k, o in (("ours", ours_o), ("sk", sk_o), ("sg", sg_o)):
                        worst[k] = max(worst[k], (o - best) / abs(best))
                note = "" if worst["ours"] <= OBJ_RTOL else f"OURS objective off by {worst['ours']:.1e}"
                if "path" in work:
                    row(name, "path (100 alphas)", f"l1_ratio={l1_ratio}", ours_t,
                        [("sklearn enet_path", sk_t, worst["sk"] <= OBJ_RTOL), ("skglm path", sg_t, worst["sg"] <= OBJ_RTOL)],
                        note)

                if l1_ratio != 1.0 or "cv" not in work:
                    continue
                # 5-fold CV over the 100-alpha path, same folds.
                # 1 and 2 threads alternately within one process, run after
                # run: on a shared machine the load drifts, and a 2-thread
                # run suffers most from it; alternating run by run exposes
                # both to the same drift. The drift comes in spells of
                # seconds (the second core's speed, measured alone, moves by
                # 20-40% between them), so the pairs span at least
                # CV_SPAN seconds: 3·repeats pairs, more when a pair is short
                # (a pair, with its twin run, takes about 2.6·one; the cap
                # of 2000 pairs binds only below 2.5 ms. It was 100 until
                # 2026-11-29, and the 3 ms diabetes CV's pairs then spanned
                # under a second: one spell of the host decided its ratio).
                one, _, _ = run_ours(d, "cv", l1_ratio, 0.0, 1, "1", 1e-6)
                pairs = min(2000, max(3 * repeats, math.ceil(CV_SPAN / (1.6 * one))))
                _, out, res = run_ours(d, "cv", l1_ratio, 0.0, pairs, "1/2", 1e-6)
                t1, t2 = res["by_threads"]["1"], res["by_threads"]["2"]
                ours2_t = statistics.median(t2)
                if res.get("pinned"):
                    # Every pool thread pinned to a CPU (see runner.rs): the
                    # 1-thread runs alternate between the two CPUs, whose
                    # speeds can differ by 30% in a spell, so its time is
                    # the mean of its medians on each (a median of the
                    # mixture would fall anywhere between them).
                    per_cpu = [statistics.median(t1[0::2]), statistics.median(t1[1::2])]
                    ours1_t = sum(per_cpu) / 2
                    where = f"1 thread {per_cpu[0] * 1e3:.2f} / {per_cpu[1] * 1e3:.2f} ms on each CPU; "
                else:
                    ours1_t, where = statistics.median(t1), ""
                pair_ratio = statistics.median(a / b for a, b in zip(t1, t2))
                # The host's ceiling for this work in the same seconds: two
                # independent 1-thread CVs at once (after each 1-thread
                # run, one on each CPU) against one, 2·one/twin.
                ceiling = 2 * ours1_t / statistics.median(res["twin"])
                ours_alpha_min = float(np.loadtxt(out)[0])
                cv = ElasticNetCV(l1_ratio=l1_ratio, alphas=alphas, cv=PredefinedSplit(folds), tol=1e-6,
                                  max_iter=100_000, n_jobs=1)
                cv_t, cv = timed(lambda: cv.fit(X, y), repeats)
                same = abs(cv.alpha_ - ours_alpha_min) <= 1e-9 * ours_alpha_min
                note = (f"2 threads: {ours2_t * 1e3:.1f} ms ({ours1_t / ours2_t:.2f}x our 1 thread; "
                        f"{where}{pairs} pairs, median of the pairs' ratios {pair_ratio:.2f}x; "
                        f"two 1-thread CVs at once ran {ceiling:.2f}x one's throughput)")
                if not same:
                    note += f"; alpha_min differs: ours {ours_alpha_min:.4g} vs sklearn {cv.alpha_:.4g}"
                row(name, "5-fold CV", f"l1_ratio={l1_ratio}, 1 thread", ours1_t, [("sklearn ElasticNetCV", cv_t, same)], note)

            if name in ("tall", "huge") and "epoch" in work:
                # One epoch in steady state against the floor, streaming x
                # once, both measured by the runner in one process and one
                # round (task epoch_floor: stream, a call of 1 epoch, a
                # call of 41, stream again; epoch = (41 - 1)/40, floor = the
                # two streams' mean): the floor of a shared machine drifts
                # by 25% between processes. The first round is a warm-up.
                reps = max(repeats, 5) + 1
                rounds = {}
                for task in ("epoch_floor", "epoch_floor32"):
                    res = run_ours(d, task, 1.0, 0.1, reps, 1, TOL)[2]
                    rounds[task] = {"epoch": res["times"][1:], "floor": res["floor"][1:], "ratio": res["ratio"][1:]}
                med = lambda task, k: statistics.median(rounds[task][k])
                span = lambda task: f"{min(rounds[task]['ratio']):.2f}-{max(rounds[task]['ratio']):.2f}"
                e64, floor, r64 = med("epoch_floor", "epoch"), med("epoch_floor", "floor"), med("epoch_floor", "ratio")
                e32, floor32, r32 = med("epoch_floor32", "epoch"), med("epoch_floor32", "floor"), med("epoch_floor32", "ratio")
                table.append(f"| {name} | train epoch (steady state) | f64 | {e64 * 1e3:.1f} ms | stream x once: {floor * 1e3:.1f} ms | "
                             f"{r64:.2f}x the floor (rounds {span('epoch_floor')}) | f32 epoch {e32 * 1e3:.1f} ms "
                             f"({e64 / e32:.2f}x faster than f64); f32 stream {floor32 * 1e3:.1f} ms, "
                             f"so the f32 epoch is {r32:.2f}x its floor (rounds {span('epoch_floor32')}) |")
                print(table[-1], flush=True)

    print()
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"scikit-learn {sklearn.__version__}, skglm {skglm.__version__}, numpy {np.__version__}; tol {TOL}; "
          f"medians of {repeats} runs; ratio = fastest counted peer / ours (> 1: we are faster).")
    print()
    print("| problem | work | setting | elasticnet | peers | ratio | note |")
    print("|---|---|---|---|---|---|---|")
    for line in table:
        print(line)


if __name__ == "__main__":
    main()
