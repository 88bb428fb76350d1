//! Cyclic coordinate descent with active-set iterations and a duality-gap
//! stopping rule.
//!
//! # The update
//!
//! For the kernel problem `P(w) = ½‖y − Xw‖² + l1‖w‖₁ + ½·l2‖w‖²`, the exact
//! minimiser over one coordinate `wⱼ` with the others fixed is
//!
//! `wⱼ ← S(zⱼ + ‖xⱼ‖²·wⱼ, l1) / (‖xⱼ‖² + l2)`,
//!
//! where `zⱼ = xⱼᵀr` is the correlation of column `j` with the residual
//! `r = y − Xw` and `S(a, t) = sign(a)·max(|a| − t, 0)` is soft-thresholding
//! (with `positive`, `max(a − t, 0)`). Two ways of keeping `z` current:
//!
//! * **Gram** (`m ≥ p`): `z = q − Qw` with `Q = XᵀX`, `q = Xᵀy`; changing
//!   `wⱼ` by `δ` costs `z ← z − δ·Q[j, :]`, O(p) and independent of m.
//! * **Residual** (`p > m`): keep `r`; `zⱼ = xⱼᵀr` and `r ← r − δ·xⱼ` are
//!   O(m) on a contiguous column.
//!
//! # Iterations
//!
//! As in glmnet: one full sweep over every coordinate, then sweeps over the
//! non-zero (*active*) coordinates only until the objective decrease of a
//! sweep `Σⱼ ½(‖xⱼ‖² + l2)·δⱼ²` falls below a threshold, then another full
//! sweep to let excluded coordinates in. Every sweep counts as one
//! iteration against `max_iter`.
//!
//! # Screening
//!
//! After each full sweep whose gap is still too large, coordinates that
//! the gap proves to be 0 at the optimum (gap-safe rules, see [`screen`])
//! are set to 0 and left out of every later sweep and gap computation.
//! The classic elastic net only (factors 1, no bounds but `positive`).
//!
//! # Stopping rule
//!
//! After each full sweep the duality gap ([`duality_gap`]) is computed from
//! a freshly recomputed residual; the fit has converged when
//! `gap ≤ tol·‖y‖²` (`y` centred when there is an intercept) — scikit-learn's
//! meaning of `tol`. Running out of iterations is reported as
//! `converged = false`, not as an error.
//!
//! # References
//!
//! * J. Friedman, T. Hastie, R. Tibshirani, "Regularization Paths for
//!   Generalized Linear Models via Coordinate Descent", *Journal of
//!   Statistical Software* 33(1), 2010.
//! * scikit-learn, `sklearn/linear_model/_cd_fast.pyx`
//!   (`enet_coordinate_descent`, `enet_coordinate_descent_gram`).

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};

use super::gap::{primal, rescaled_residual};
use super::linalg::{axpy, dot};
use super::problem::{Design, Problem};
use super::{ColumnSolution, Options, Penalty};
use crate::Float;
use crate::loss::soft_threshold;

/// How `z = Xᵀr` is kept current.
enum State<'a, F> {
    /// `z = q − Qw`, maintained.
    Gram {
        gram: ArrayView2<'a, F>,
        z: Array1<F>,
    },
    /// The residual `r = y − Xw`, maintained; `x` is column-major.
    Residual { x: ArrayView2<'a, F>, r: Array1<F> },
}

impl<F: Float> State<'_, F> {
    /// `zⱼ = xⱼᵀr`.
    #[inline]
    fn correlation(&self, j: usize) -> F {
        match self {
            State::Gram { z, .. } => z[j],
            State::Residual { x, r } => dot(column(x, j), r.as_slice().expect("contiguous")),
        }
    }

    /// Applies `wⱼ ← wⱼ + δ`.
    #[inline]
    fn shift(&mut self, j: usize, delta: F) {
        match self {
            // z ← z − δ·Q[j, :]   (Q symmetric, so row j is column j)
            State::Gram { gram, z } => {
                let row = gram.row(j);
                axpy(
                    -delta,
                    row.as_slice().expect("standard layout"),
                    z.as_slice_mut().expect("contiguous"),
                );
            }
            // r ← r − δ·xⱼ
            State::Residual { x, r } => {
                axpy(-delta, column(x, j), r.as_slice_mut().expect("contiguous"))
            }
        }
    }
}

/// Column `j` of a column-major matrix, as a slice.
#[inline]
fn column<'a, F: Float>(x: &ArrayView2<'a, F>, j: usize) -> &'a [F] {
    let x: ArrayView2<'a, F> = *x;
    x.index_axis_move(Axis(1), j)
        .to_slice()
        .expect("column-major design")
}

/// Solves target `target` of `problem` by coordinate descent from `w`
/// (updated in place). Returns the solution and `z = X̃ᵀr` at it.
///
/// `candidates` restricts the full sweeps to a subset of coordinates (a
/// screening rule's survivors, sorted); coordinates outside it stay at their
/// value in `w` (zero). The stopping rule still uses the duality gap of the
/// *whole* problem, and when it fails, every excluded coordinate that
/// violates its KKT condition (`|zⱼ| ≤ vⱼ·l1` where it can move) is brought back before the next
/// sweep — so a screening rule can make the solve faster but never changes
/// its answer. `None` sweeps every coordinate.
pub(crate) fn coordinate_descent<F: Float>(
    problem: &Problem<F>,
    target: usize,
    w: &mut Array1<F>,
    pen: &Penalty<F>,
    opts: &Options<F>,
    candidates: Option<Vec<usize>>,
) -> (ColumnSolution<F>, Array1<F>) {
    let n_features = problem.n_features();
    let threshold = opts.tol * problem.yty[target];
    let mut state = initial_state(problem, target, w.view());
    let (mut gap, mut objective, mut z);
    let mut candidates = candidates.unwrap_or_else(|| (0..n_features).collect());
    let mut active: Vec<usize> = Vec::with_capacity(n_features);
    // The decrease below which active-set sweeps stop; tightened each time
    // a full sweep finds the gap still too large.
    let mut inner_threshold = threshold * F::cast(0.1);
    let mut n_iter = 0;
    // Coordinates not (yet) screened out; `None` until one is.
    let mut keep: Option<Vec<bool>> = None;
    loop {
        sweep(&mut state, problem, w, pen, &candidates);
        n_iter += 1;
        let cert = certify(problem, target, w.view(), pen, keep.as_deref());
        (gap, objective, state, z) = (cert.gap, cert.objective, cert.state, cert.z);
        if gap <= threshold || n_iter >= opts.max_iter {
            break;
        }
        if let Some(rescaled) = cert.rescaled {
            let mask = keep.get_or_insert_with(|| vec![true; n_features]);
            screen(
                &mut state,
                problem,
                w,
                &z,
                pen,
                rescaled,
                mask,
                &mut candidates,
            );
        }
        if candidates.len() < n_features && bring_back_violators(&mut candidates, &z, pen) {
            continue;
        }
        active.clear();
        active.extend(candidates.iter().copied().filter(|&j| w[j] != F::zero()));
        if active.len() < candidates.len() {
            let mut anderson = Anderson::new();
            while n_iter < opts.max_iter {
                let decrease = sweep(&mut state, problem, w, pen, &active);
                n_iter += 1;
                if decrease <= inner_threshold {
                    break;
                }
                if anderson.record(w, &active) {
                    anderson.extrapolate(problem, target, w, pen, &active, &mut state);
                }
            }
            inner_threshold *= F::cast(0.1);
            if n_iter >= opts.max_iter {
                let cert = certify(problem, target, w.view(), pen, keep.as_deref());
                (gap, objective, z) = (cert.gap, cert.objective, cert.z);
                break;
            }
        }
    }
    let solution = ColumnSolution {
        n_iter,
        converged: gap <= threshold,
        gap,
        objective,
    };
    (solution, z)
}

/// Iterates kept for Anderson acceleration.
const ANDERSON_DEPTH: usize = 5;

/// Anderson acceleration of the active-set sweeps (Bertrand & Massias,
/// "Anderson acceleration of coordinate descent", AISTATS 2021): every
/// [`ANDERSON_DEPTH`] sweeps, the combination `Σₖ cₖwₖ` (`Σcₖ = 1`) of the
/// last iterates that minimises `‖Σₖ cₖ(wₖ₊₁ − wₖ)‖` is tried, clipped to
/// the bounds, and kept only if it lowers the objective. Coordinate
/// descent is a fixed-point iteration that is linear once the signs
/// settle, where this extrapolation is exact in the limit; it matters on
/// ill-conditioned problems (small alphas with `p > m`).
struct Anderson<F> {
    history: Vec<Vec<F>>,
}

impl<F: Float> Anderson<F> {
    fn new() -> Self {
        Self {
            history: Vec::with_capacity(ANDERSON_DEPTH + 1),
        }
    }

    /// Records `w` on `coords`; whether it is time to extrapolate.
    fn record(&mut self, w: &Array1<F>, coords: &[usize]) -> bool {
        self.history.push(coords.iter().map(|&j| w[j]).collect());
        self.history.len() > ANDERSON_DEPTH
    }

    /// Tries the extrapolated point; replaces `w` (and `state`) by it when
    /// its objective is lower. Clears the history either way.
    fn extrapolate<'a>(
        &mut self,
        problem: &'a Problem<F>,
        target: usize,
        w: &mut Array1<F>,
        pen: &Penalty<F>,
        coords: &[usize],
        state: &mut State<'a, F>,
    ) {
        let history = std::mem::take(&mut self.history);
        self.history.reserve(ANDERSON_DEPTH + 1);
        let k = history.len() - 1;
        // U = [Δ₀ … Δ_{k−1}], Δᵢ = wᵢ₊₁ − wᵢ; solve (UᵀU)c = 1, c /= Σc.
        let deltas: Vec<Vec<F>> = (0..k)
            .map(|i| {
                history[i + 1]
                    .iter()
                    .zip(&history[i])
                    .map(|(&a, &b)| a - b)
                    .collect()
            })
            .collect();
        let mut gram = ndarray::Array2::<F>::zeros((k, k));
        for a in 0..k {
            for b in 0..=a {
                let v = dot(&deltas[a], &deltas[b]);
                gram[[a, b]] = v;
                gram[[b, a]] = v;
            }
        }
        let trace = (0..k).fold(F::zero(), |acc, i| acc + gram[[i, i]]);
        if !(trace > F::zero() && trace.is_finite()) {
            return;
        }
        // A small ridge: consecutive differences are nearly collinear.
        for i in 0..k {
            gram[[i, i]] += F::cast(1e-10) * trace;
        }
        let ones = Array1::from_elem(k, F::one());
        let Some(c) = super::linalg::cholesky_solve(&gram, ones.view()) else {
            return;
        };
        let total = c.sum();
        if !(total.is_finite() && total != F::zero()) {
            return;
        }
        let features = pen.features;
        let mut candidate = w.clone();
        for (i, &j) in coords.iter().enumerate() {
            let v = (0..k).fold(F::zero(), |acc, t| acc + c[t] * history[t + 1][i]) / total;
            candidate[j] = v.max(features.lower[j]).min(features.upper[j]);
        }
        if !candidate.iter().all(|v| v.is_finite()) {
            return;
        }
        let before = primal(w.view(), problem.residual_norm2(target, w.view()), pen);
        let after = primal(
            candidate.view(),
            problem.residual_norm2(target, candidate.view()),
            pen,
        );
        if after < before {
            *w = candidate;
            *state = initial_state(problem, target, w.view());
        }
    }
}

/// Adds to `candidates` every coordinate outside it (so at 0) whose KKT
/// condition fails — `zⱼ > vⱼ·l1` with room above 0, or `zⱼ < −vⱼ·l1` with
/// room below; whether any did.
fn bring_back_violators<F: Float>(
    candidates: &mut Vec<usize>,
    z: &Array1<F>,
    pen: &Penalty<F>,
) -> bool {
    let features = pen.features;
    let mut inside = vec![false; z.len()];
    for &j in candidates.iter() {
        inside[j] = true;
    }
    let before = candidates.len();
    for (j, &zj) in z.iter().enumerate() {
        let a = features.factor[j] * pen.l1_reg;
        let up = zj > a && features.upper[j] > F::zero();
        let down = -zj > a && features.lower[j] < F::zero();
        if !inside[j] && (up || down) {
            candidates.push(j);
        }
    }
    if candidates.len() == before {
        return false;
    }
    candidates.sort_unstable();
    true
}

/// One cyclic pass over `coords`; returns the objective decrease bound
/// `Σⱼ ½(‖xⱼ‖² + l2)·δⱼ²`.
fn sweep<F: Float>(
    state: &mut State<'_, F>,
    problem: &Problem<F>,
    w: &mut Array1<F>,
    pen: &Penalty<F>,
    coords: &[usize],
) -> F {
    let half = F::cast(0.5);
    let features = pen.features;
    let mut decrease = F::zero();
    for &j in coords {
        let v = features.factor[j];
        let norm2 = problem.col_norm2[j];
        let curvature = norm2 + v * pen.l2_reg;
        let old = w[j];
        let new = if curvature > F::zero() {
            // tmp = xⱼᵀ(r + xⱼwⱼ): the correlation with wⱼ's own part added back.
            let tmp = state.correlation(j) + norm2 * old;
            // The 1-D problem is convex: its minimiser over [lo, hi] is the
            // unconstrained one, clipped.
            let free = soft_threshold(tmp, v * pen.l1_reg) / curvature;
            free.max(features.lower[j]).min(features.upper[j])
        } else {
            // An all-zero column (a constant column, centred) can't help.
            F::zero()
        };
        if new != old {
            let delta = new - old;
            state.shift(j, delta);
            w[j] = new;
            decrease += half * curvature * delta * delta;
        }
    }
    decrease
}

/// `z = q − Qw` (Gram) or `r = y − Xw` (residual) at `w`.
fn initial_state<'a, F: Float>(
    problem: &'a Problem<F>,
    target: usize,
    w: ArrayView1<F>,
) -> State<'a, F> {
    match &problem.design {
        Design::Gram { gram, xty } => State::Gram {
            gram: gram.view(),
            z: &xty.column(target) - &gram.dot(&w),
        },
        Design::Dense { x, y } => State::Residual {
            x: x.view(),
            r: super::problem::dense_residual(x, y.column(target), w),
        },
    }
}

/// The duality gap and objective at `w` from an exactly recomputed
/// residual (no drift from incremental updates), and that fresh state to
/// continue from.
fn certify<'a, F: Float>(
    problem: &'a Problem<F>,
    target: usize,
    w: ArrayView1<F>,
    pen: &Penalty<F>,
    keep: Option<&[bool]>,
) -> Certificate<'a, F> {
    let res = problem.correlations_on(target, w, keep);
    let gap = pen.gap_of(problem, target, w, &res);
    let objective = primal(w, res.r_norm2, pen);
    let rescaled = rescaled_residual(w, &res, pen).map(|(c, g)| (c, g + res.slack));
    let z = res.z.clone();
    let state = match &problem.design {
        Design::Gram { gram, .. } => State::Gram {
            gram: gram.view(),
            z: res.z,
        },
        Design::Dense { x, .. } => State::Residual {
            x: x.view(),
            r: res.r.expect("the dense design returns its residual"),
        },
    };
    Certificate {
        gap,
        objective,
        state,
        z,
        rescaled,
    }
}

/// What [`certify`] finds at a point.
struct Certificate<'a, F> {
    gap: F,
    objective: F,
    state: State<'a, F>,
    /// `X̃ᵀr` (0 on screened-out coordinates).
    z: Array1<F>,
    /// The scaling and gap of the rescaled-residual dual point, for
    /// gap-safe screening (classic elastic net only).
    rescaled: Option<(F, F)>,
}

/// Gap-safe screening (Fercoq, Gramfort & Salmon, 2015): marks in `keep`
/// every coordinate that is provably 0 at the optimum, sets it to 0 and
/// drops it from `candidates`; how many were dropped.
///
/// The elastic net is a lasso on augmented data, whose dual objective is
/// 1-strongly concave: a feasible dual point `θ` with duality gap `G` is
/// within `√(2G)` of the optimal `θ*`. With `θ = c·(r, −√l2·w)`
/// (`x̃ⱼᵀθ = c·aⱼ`, `aⱼ = zⱼ − l2·wⱼ`, augmented column norm
/// `√(‖xⱼ‖² + l2)`), `|c·aⱼ| + √(‖xⱼ‖² + l2)·√(2G) < l1` proves
/// `|x̃ⱼᵀθ*| < l1`, hence `wⱼ* = 0` (one-sided with `positive`). The
/// remaining problem has the same solution, and its gap certifies the
/// whole problem.
#[allow(clippy::too_many_arguments)]
fn screen<F: Float>(
    state: &mut State<'_, F>,
    problem: &Problem<F>,
    w: &mut Array1<F>,
    z: &Array1<F>,
    pen: &Penalty<F>,
    (c, gap): (F, F),
    keep: &mut [bool],
    candidates: &mut Vec<usize>,
) -> usize {
    if !(gap.is_finite() && gap >= F::zero()) || pen.l1_reg <= F::zero() {
        return 0;
    }
    let positive = pen.features.lower.iter().all(|&lo| lo == F::zero());
    let radius = (gap + gap).sqrt();
    // A margin for rounding in the test itself.
    let limit = pen.l1_reg * (F::one() - F::cast(1e-9));
    let before = candidates.len();
    candidates.retain(|&j| {
        let a = c * (z[j] - pen.l2_reg * w[j]);
        let score = if positive { a } else { a.abs() };
        let reach = (problem.col_norm2[j] + pen.l2_reg).sqrt() * radius;
        let zero = score + reach < limit;
        if zero {
            keep[j] = false;
            if w[j] != F::zero() {
                state.shift(j, -w[j]);
                w[j] = F::zero();
            }
        }
        !zero
    });
    before - candidates.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::make_regression;
    use crate::solver::features::FeaturePenalty;
    use crate::solver::problem::Layout;
    use crate::solver::{Options, Penalty, Solver};

    /// The Gram and residual designs are two bookkeepings of the same
    /// update: from the same start they must reach the same optimum.
    #[test]
    fn gram_and_residual_updates_agree() {
        let d = make_regression(80, 12, 4, 0.3, 5);
        for standardize in [false, true] {
            let gram = Problem::new(
                d.x.view(),
                d.y.view(),
                None,
                true,
                standardize,
                Layout::Auto,
            );
            let dense = Problem::new(
                d.x.view(),
                d.y.view(),
                None,
                true,
                standardize,
                Layout::Dense,
            );
            assert!(matches!(gram.design, Design::Gram { .. }));
            assert!(matches!(dense.design, Design::Dense { .. }));
            let features = FeaturePenalty::uniform(12, false);
            let pen = Penalty::from_alpha(0.2, 0.7, 80, &features);
            let opts = Options {
                tol: 1e-13,
                max_iter: 10_000,
                solver: Solver::CoordinateDescent,
            };
            let mut w_gram = Array1::zeros(12);
            let mut w_dense = Array1::zeros(12);
            let (a, _) = coordinate_descent(&gram, 0, &mut w_gram, &pen, &opts, None);
            let (b, _) = coordinate_descent(&dense, 0, &mut w_dense, &pen, &opts, None);
            assert!(a.converged && b.converged);
            for j in 0..12 {
                assert!(
                    (w_gram[j] - w_dense[j]).abs() < 1e-8,
                    "{w_gram} vs {w_dense}"
                );
            }
            assert!((a.objective - b.objective).abs() <= 1e-10 * a.objective);
        }
    }

    /// Every coordinate step can only lower the objective.
    #[test]
    fn sweeps_never_increase_the_objective() {
        let d = make_regression(40, 60, 6, 1.0, 9);
        let problem = Problem::new(d.x.view(), d.y.view(), None, true, false, Layout::Auto);
        let features = FeaturePenalty::uniform(60, false);
        let pen = Penalty::from_alpha(0.05, 0.5, 40, &features);
        let mut w = Array1::zeros(60);
        let mut state = initial_state(&problem, 0, w.view());
        let all: Vec<usize> = (0..60).collect();
        let mut last = f64::INFINITY;
        for _ in 0..30 {
            sweep(&mut state, &problem, &mut w, &pen, &all);
            let res = problem.correlations(0, w.view());
            let p = primal(w.view(), res.r_norm2, &pen);
            assert!(p <= last * (1.0 + 1e-14), "{p} > {last}");
            last = p;
        }
    }
}
