//! The direct ridge (and least-squares) solve used when there is no L1
//! term and no bound.
//!
//! With `l1 = 0` the kernel problem `½‖y − Xw‖² + ½·l2·Σⱼ vⱼwⱼ²` has the
//! closed form `w = (XᵀX + l2·V)⁻¹ Xᵀy`, `V = diag(v)`, on the coordinates
//! that are not fixed at 0 (a relaxed refit fixes every coordinate outside
//! its support). It is solved by Cholesky on
//!
//! * the p × p (or support-sized) Gram block, for the Gram design (`m ≥ p`);
//! * the m × m kernel matrix, `w = Xᵀ(XXᵀ + l2·I)⁻¹ y`, for the column
//!   design (`p > m`) with every factor 1 and nothing fixed — or the Gram
//!   block of the free columns when there are at most m of them.
//!
//! `None` when the matrix is not numerically positive definite (for example
//! `l2 = 0` with collinear columns) or no form applies; the caller then
//! falls back to coordinate descent.

use ndarray::{Array1, Array2, Axis};

use super::Penalty;
use super::linalg::cholesky_solve;
use super::problem::{Design, Problem};
use crate::Float;

/// The ridge solution for target `target` under `pen` (whose `l1_reg` must
/// be 0), or `None` if a coordinate is bounded or the system singular.
pub(crate) fn ridge_direct<F: Float>(
    problem: &Problem<F>,
    target: usize,
    pen: &Penalty<F>,
) -> Option<Array1<F>> {
    let features = pen.features;
    let p = problem.n_features();
    let free: Vec<usize> = (0..p).filter(|&j| !features.fixed(j)).collect();
    if free.iter().any(|&j| !features.unbounded(j)) {
        return None;
    }
    let finite = |w: &Array1<F>| w.iter().all(|v| v.is_finite());
    let ridge = |j: usize| pen.l2_reg * features.factor[j];
    let solve_block = |mut a: Array2<F>, b: Array1<F>| -> Option<Array1<F>> {
        for (d, &j) in free.iter().enumerate() {
            a[[d, d]] += ridge(j);
        }
        let w_free = cholesky_solve(&a, b.view()).filter(finite)?;
        let mut w = Array1::zeros(p);
        for (&j, &v) in free.iter().zip(&w_free) {
            w[j] = v;
        }
        Some(w)
    };
    match &problem.design {
        Design::Gram { gram, xty } => {
            let a = if free.len() == p {
                gram.clone()
            } else {
                gram.select(Axis(0), &free).select(Axis(1), &free)
            };
            let b = xty.column(target).select(Axis(0), &free);
            solve_block(a, b)
        }
        Design::Dense { x, y, .. } => {
            let n_samples = x.nrows();
            let uniform = free.len() == p && features.factor.iter().all(|&v| v == F::one());
            if uniform {
                let mut k = Array2::zeros((n_samples, n_samples));
                ndarray::linalg::general_mat_mul(F::one(), x, &x.t(), F::zero(), &mut k);
                k.diag_mut().mapv_inplace(|d| d + pen.l2_reg);
                let alpha = cholesky_solve(&k, y.column(target))?;
                Some(x.t().dot(&alpha)).filter(finite)
            } else if free.len() <= n_samples {
                let cols = x.select(Axis(1), &free);
                solve_block(cols.t().dot(&cols), cols.t().dot(&y.column(target)))
            } else {
                None
            }
        }
    }
}
