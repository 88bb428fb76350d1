//! The direct ridge solve used when there is no L1 term.
//!
//! With `l1 = 0` and no sign constraint the kernel problem
//! `½‖y − Xw‖² + ½·l2‖w‖²` has the closed form
//!
//! * `w = (XᵀX + l2·I)⁻¹ Xᵀy` — a Cholesky solve on the p × p Gram matrix,
//!   used for the Gram design (`m ≥ p`);
//! * `w = Xᵀ(XXᵀ + l2·I)⁻¹ y` — a Cholesky solve on the m × m kernel matrix,
//!   used for the column design (`p > m`).
//!
//! `None` when the matrix is not numerically positive definite (for example
//! `l2 = 0` with collinear columns); the caller then falls back to
//! coordinate descent.

use ndarray::{Array1, Array2};

use super::linalg::cholesky_solve;
use super::problem::{Design, Problem};
use crate::Float;

/// The ridge solution for target `target`, or `None` if the system is
/// singular.
pub(crate) fn ridge_direct<F: Float>(
    problem: &Problem<F>,
    target: usize,
    l2_reg: F,
) -> Option<Array1<F>> {
    match &problem.design {
        Design::Gram { gram, xty } => {
            let mut a = gram.clone();
            a.diag_mut().mapv_inplace(|d| d + l2_reg);
            cholesky_solve(&a, xty.column(target)).filter(|w| w.iter().all(|v| v.is_finite()))
        }
        Design::Dense { x, y } => {
            let n_samples = x.nrows();
            let mut k = Array2::zeros((n_samples, n_samples));
            ndarray::linalg::general_mat_mul(F::one(), x, &x.t(), F::zero(), &mut k);
            k.diag_mut().mapv_inplace(|d| d + l2_reg);
            let alpha = cholesky_solve(&k, y.column(target))?;
            Some(x.t().dot(&alpha)).filter(|w| w.iter().all(|v| v.is_finite()))
        }
    }
}
