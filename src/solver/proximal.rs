//! Proximal gradient methods: FISTA ([`Solver::Fista`](crate::Solver::Fista))
//! and plain proximal gradient descent, ISTA
//! ([`Solver::GradientDescent`](crate::Solver::GradientDescent), the
//! notebook's method with the exact L1 step).
//!
//! On the kernel problem `P(w) = f(w) + Σⱼ vⱼ·l1|wⱼ|` (within bounds) with
//! the smooth part `f(w) = ½‖y − Xw‖² + ½·l2·Σⱼ vⱼwⱼ²`, whose gradient
//! `∇f(w) = −Xᵀr + l2·v∘w` (`r = y − Xw`) is Lipschitz with constant
//! `L = λmax(XᵀX) + l2·max vⱼ`:
//!
//! ```text
//! ISTA:   w⁺ = prox(w − ∇f(w)/L)
//! FISTA:  w⁺ = prox(v − ∇f(v)/L),  t⁺ = (1 + √(1 + 4t²))/2,
//!         v⁺ = w⁺ + ((t − 1)/t⁺)·(w⁺ − w)
//! prox(u) = clip(S(u, vⱼ·l1/L), loⱼ, hiⱼ)   (coordinate by coordinate)
//! ```
//!
//! FISTA restarts its momentum (`t = 1`, `v = w`) whenever the step goes
//! against the previous direction, `(v − w⁺)ᵀ(w⁺ − w) > 0` (O'Donoghue &
//! Candès). The duality gap is checked every [`GAP_EVERY`] iterations and at
//! the last one, with the same stopping rule as coordinate descent.
//!
//! # References
//!
//! * A. Beck, M. Teboulle, "A Fast Iterative Shrinkage-Thresholding
//!   Algorithm for Linear Inverse Problems", *SIAM J. Imaging Sciences*
//!   2(1), 2009.
//! * B. O'Donoghue, E. Candès, "Adaptive Restart for Accelerated Gradient
//!   Schemes", *Foundations of Computational Mathematics* 15, 2015.

use ndarray::{Array1, Zip};

use super::gap::primal;
use super::problem::Problem;
use super::{ColumnSolution, Options, Penalty};
use crate::Float;
use crate::loss::soft_threshold;

/// Iterations between two duality-gap checks.
pub(crate) const GAP_EVERY: usize = 10;

/// Proximal gradient descent on target `target` from `w` (updated in
/// place), with momentum when `accelerated`. `lipschitz` is `λmax(XᵀX)`.
pub(crate) fn proximal_gradient<F: Float>(
    problem: &Problem<F>,
    target: usize,
    w: &mut Array1<F>,
    pen: &Penalty<F>,
    opts: &Options<F>,
    lipschitz: F,
    accelerated: bool,
) -> ColumnSolution<F> {
    let threshold = opts.tol * problem.yty[target];
    let max_factor = pen.features.factor.iter().fold(F::zero(), |a, &v| a.max(v));
    let big_l = lipschitz + pen.l2_reg * max_factor;
    if big_l <= F::zero() {
        // X is all zeros and there is no L2 term: w = 0 is optimal.
        w.fill(F::zero());
    }
    let step = if big_l > F::zero() {
        F::one() / big_l
    } else {
        F::zero()
    };
    let features = pen.features;
    let mut v = w.clone();
    let mut t = F::one();
    let mut n_iter = 0;
    loop {
        let (res, gap) = pen.gap(problem, target, w.view());
        if gap <= threshold || n_iter >= opts.max_iter || big_l <= F::zero() {
            return ColumnSolution {
                n_iter,
                converged: gap <= threshold,
                gap,
                objective: primal(w.view(), res.r_norm2, pen),
            };
        }
        for _ in 0..GAP_EVERY.min(opts.max_iter - n_iter) {
            // u = v − ∇f(v)/L = v + (Xᵀr(v) − l2·v)/L, then the prox.
            let z = problem.correlations(target, v.view()).z;
            let mut next = Zip::from(&v)
                .and(&z)
                .and(&features.factor)
                .and(&features.lower)
                .and(&features.upper)
                .map_collect(|&vj, &zj, &f, &lo, &hi| {
                    let u = vj + step * (zj - f * pen.l2_reg * vj);
                    soft_threshold(u, f * pen.l1_reg * step).max(lo).min(hi)
                });
            if accelerated {
                let t_next = (F::one() + (F::one() + F::cast(4.0) * t * t).sqrt()) * F::cast(0.5);
                // Restart when the step opposes the momentum.
                let against = Zip::from(&v)
                    .and(&next)
                    .and(&*w)
                    .fold(F::zero(), |acc, &vj, &nj, &wj| acc + (vj - nj) * (nj - wj));
                if against > F::zero() {
                    t = F::one();
                    v.assign(&next);
                } else {
                    let beta = (t - F::one()) / t_next;
                    Zip::from(&mut v)
                        .and(&next)
                        .and(&*w)
                        .for_each(|vj, &nj, &wj| *vj = nj + beta * (nj - wj));
                    t = t_next;
                }
            } else {
                v.assign(&next);
            }
            std::mem::swap(w, &mut next);
            n_iter += 1;
        }
    }
}
