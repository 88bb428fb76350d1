//! The solvers behind [`ElasticNet`](crate::ElasticNet): coordinate
//! descent, FISTA and proximal gradient descent, a direct ridge solve, and
//! the duality gap they all stop on.
//!
//! # Symbols
//!
//! | math | code | meaning |
//! |------|------|---------|
//! | `m`, `p`, `k` | `n_samples`, `n_features`, `n_targets` | data sizes |
//! | `λ₁`, `λ₂` | `l1`, `l2` | penalties of [`L`](crate::ElasticLoss) |
//! | `m·λ₁`, `m·λ₂` | `l1_reg`, `l2_reg` | the same penalties in kernel units |
//! | `P(w) = ½‖ỹ − X̃w‖² + l1_reg‖w‖₁ + ½l2_reg‖w‖²` | kernel objective | `= m·L` |
//!
//! The kernels work on centred (and optionally standardized) data `X̃`, `ỹ`
//! and never see `alpha`: the conversion `l1_reg = m·alpha·l1_ratio`,
//! `l2_reg = m·alpha·(1 − l1_ratio)` happens in one place,
//! [`Penalty::from_alpha`].
//!
//! # Parallel work
//!
//! With the `rayon` feature, the blocks of rows of a Gram pass and the
//! targets of a fit or a path run in parallel, one item per job
//! (`with_max_len(1)`). Left to itself, rayon splits a list only as far
//! as there are threads, and an idle thread cannot take the second item
//! of a job that another thread has started. On a host where one core
//! runs a third slower than the other (as this crate's 2-core benchmark
//! machine does in spells), the fast core then sat idle for 9 ms of a
//! 33 ms row pass of a tall cross-validation, while the slow one worked
//! through a job of two of its 8 blocks.
//!
//! Work that would give a job less than about 0.1 ms stays on the calling
//! thread (the fold sums of a small cross-validation): a thread woken for
//! it can come after the caller has done the rest, and keep it waiting.
//!
//! The paths of a cross-validation's folds run as chains of alphas,
//! handed out round the threads a slice at a time ([`chains`]): whole
//! paths, five folds on two threads would take three rounds. There no
//! thread waits for another, so a late one costs only its own share.

pub(crate) mod cd;
pub(crate) mod chains;
pub(crate) mod features;
pub(crate) mod folds;
pub(crate) mod gap;
pub(crate) mod gram_kernel;
pub(crate) mod huge_pages;
pub(crate) mod linalg;
pub(crate) mod problem;
pub(crate) mod proximal;
pub(crate) mod ridge;
pub(crate) mod transpose;

use ndarray::{Array1, ArrayView1};

use crate::Float;
use features::FeaturePenalty;
use problem::{Problem, Residual};

/// The algorithm [`ElasticNet::fit`](crate::ElasticNet::fit) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Solver {
    /// Cyclic coordinate descent with active-set sweeps (the default):
    /// Gram updates when `m ≥ p`, residual updates when `p > m`. With no L1
    /// term (`l1_ratio = 0`) and no bounds, a direct Cholesky solve is used
    /// instead (see the crate docs).
    #[default]
    CoordinateDescent,
    /// FISTA: accelerated proximal gradient with adaptive restart.
    Fista,
    /// Proximal gradient descent (ISTA) with step `1/L`: the notebook's
    /// gradient descent, with the exact L1 step.
    GradientDescent,
}

/// Penalties in kernel units, with the per-feature factors and bounds they
/// apply through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Penalty<'a, F> {
    /// `m·λ₁`.
    pub l1_reg: F,
    /// `m·λ₂`.
    pub l2_reg: F,
    /// Factors `vⱼ` (coordinate `j` pays `vⱼ·l1_reg` and `vⱼ·l2_reg`) and
    /// bounds.
    pub features: &'a FeaturePenalty<F>,
}

impl<'a, F: Float> Penalty<'a, F> {
    /// `l1_reg = m·alpha·l1_ratio`, `l2_reg = m·alpha·(1 − l1_ratio)`.
    pub fn from_alpha(
        alpha: F,
        l1_ratio: F,
        n_samples: usize,
        features: &'a FeaturePenalty<F>,
    ) -> Self {
        let m = F::from_usize_lossy(n_samples);
        Self {
            l1_reg: m * alpha * l1_ratio,
            l2_reg: m * alpha * (F::one() - l1_ratio),
            features,
        }
    }

    /// The same factors and bounds with no penalty (least squares).
    pub fn none(features: &'a FeaturePenalty<F>) -> Self {
        Self {
            l1_reg: F::zero(),
            l2_reg: F::zero(),
            features,
        }
    }

    /// The residual of target `target` at `w` and its duality gap.
    pub fn gap(
        &self,
        problem: &Problem<F>,
        target: usize,
        w: ndarray::ArrayView1<F>,
    ) -> (Residual<F>, F) {
        let res = problem.correlations(target, w);
        let gap = self.gap_of(problem, target, w, &res);
        (res, gap)
    }

    /// The duality gap at `w` given its residual `res`, projecting away the
    /// unpenalized columns when there are any.
    pub fn gap_of(
        &self,
        problem: &Problem<F>,
        target: usize,
        w: ndarray::ArrayView1<F>,
        res: &Residual<F>,
    ) -> F {
        let projected = self
            .features
            .project(problem, target, w, res, self.l1_reg, self.l2_reg);
        gap::duality_gap(w, res, self, projected.as_ref())
    }
}

/// Stopping settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Options<F> {
    /// Converged when `gap ≤ tol·‖ỹ‖²`.
    pub tol: F,
    /// Iterations (sweeps, or proximal steps) at most.
    pub max_iter: usize,
    pub solver: Solver,
}

/// The outcome for one target column, in kernel units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ColumnSolution<F> {
    pub n_iter: usize,
    pub converged: bool,
    /// Duality gap of `P`.
    pub gap: F,
    /// `P(w)`.
    pub objective: F,
}

/// Solves one target column from the starting point `w` (replaced by the
/// solution). `lipschitz` is `λmax(X̃ᵀX̃)`, needed by the proximal solvers
/// only (computed by the caller once for all columns).
pub(crate) fn solve_column<F: Float>(
    problem: &Problem<F>,
    target: usize,
    w: &mut Array1<F>,
    pen: &Penalty<F>,
    opts: &Options<F>,
    lipschitz: Option<F>,
) -> ColumnSolution<F> {
    match opts.solver {
        Solver::CoordinateDescent => {
            let direct = (pen.l1_reg == F::zero())
                .then(|| ridge::ridge_direct(problem, target, pen))
                .flatten();
            if let Some(direct) = direct {
                let (res, gap) = pen.gap(problem, target, direct.view());
                *w = direct;
                if gap <= opts.tol * problem.yty[target] {
                    return ColumnSolution {
                        n_iter: 1,
                        converged: true,
                        gap,
                        objective: gap::primal(w.view(), res.r_norm2, pen),
                    };
                }
                // Not accurate enough (ill-conditioned): polish by CD.
            }
            cd::coordinate_descent(problem, target, w, pen, opts, None).0
        }
        Solver::Fista | Solver::GradientDescent => {
            let lipschitz = lipschitz.unwrap_or_else(|| problem.max_eigenvalue());
            let accelerated = opts.solver == Solver::Fista;
            proximal::proximal_gradient(problem, target, w, pen, opts, lipschitz, accelerated)
        }
    }
}

/// Solves every target column of `problem` from the starting points `w`
/// (one per target, replaced by the solutions). Columns are independent
/// problems; with the `rayon` feature they run in parallel, with results
/// identical to the serial run.
pub(crate) fn solve_targets<F: Float>(
    problem: &Problem<F>,
    w: &mut [Array1<F>],
    pen: &Penalty<F>,
    opts: &Options<F>,
) -> Vec<ColumnSolution<F>> {
    let lipschitz = match opts.solver {
        Solver::CoordinateDescent => None,
        Solver::Fista | Solver::GradientDescent => Some(problem.max_eigenvalue()),
    };
    let solve = |(target, w): (usize, &mut Array1<F>)| {
        solve_column(problem, target, w, pen, opts, lipschitz)
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        if w.len() > 1 {
            // One target per job (see "Parallel work" above).
            return w
                .par_iter_mut()
                .enumerate()
                .with_max_len(1)
                .map(solve)
                .collect();
        }
    }
    w.iter_mut().enumerate().map(solve).collect()
}

/// The most items [`collect_with_capacity`] reserves room for up front.
const RESERVE_MAX: usize = 256;

/// `items`, at most `bound` of them, collected into a vector with room for
/// them all from the start — up to [`RESERVE_MAX`]: a bound of 5 000
/// features would reserve far more than a sparse support fills. A
/// filtered `collect` cannot know its length: it starts at 4 and
/// reallocates as it grows, three times for 10 non-zeros of 10, and those
/// reallocations showed in the profile of the diabetes cross-validation (a
/// few microseconds per solve).
pub(crate) fn collect_with_capacity<T>(bound: usize, items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::with_capacity(bound.min(RESERVE_MAX));
    out.extend(items);
    out
}

/// The indices `j` with `wⱼ ≠ 0`, in increasing order.
pub(crate) fn nonzero_indices<F: Float>(w: ArrayView1<F>) -> Vec<usize> {
    collect_with_capacity(w.len(), (0..w.len()).filter(|&j| w[j] != F::zero()))
}
