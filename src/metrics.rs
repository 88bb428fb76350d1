//! Regression metrics: [`mse`] and [`r2`].

use ndarray::{ArrayView2, Axis, Zip};

use crate::{Error, Float, Result, check};

/// Mean squared error over every entry: `Σᵢₗ (y_il − ŷ_il)² / (m·k)`.
///
/// Note the missing `½` of the loss: `mse = 2 ×` the data term of
/// [`ElasticLoss`](crate::ElasticLoss) when `k = 1`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if the shapes differ, [`Error::EmptyInput`] and
/// [`Error::NonFinite`] for empty or non-finite input.
///
/// ```
/// use ndarray::array;
/// let e = elasticnet::metrics::mse(array![[1.0], [2.0]].view(), array![[1.0], [4.0]].view())?;
/// assert_eq!(e, 2.0);
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn mse<F: Float>(y_true: ArrayView2<F>, y_pred: ArrayView2<F>) -> Result<F> {
    check_pair(y_true, y_pred)?;
    let mut sq = F::zero();
    Zip::from(&y_true)
        .and(&y_pred)
        .for_each(|&a, &b| sq += (a - b) * (a - b));
    Ok(sq / F::from_usize_lossy(y_true.len()))
}

/// Coefficient of determination `R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²`, per output
/// column, averaged over the columns (scikit-learn's `r2_score` with
/// `multioutput="uniform_average"`). A constant column scores 1 if it is
/// predicted exactly and 0 otherwise, as in scikit-learn.
///
/// # Errors
///
/// As [`mse`].
///
/// ```
/// use ndarray::array;
/// let r2 = elasticnet::metrics::r2(array![[1.0], [2.0], [3.0]].view(),
///                                  array![[1.0], [2.0], [4.0]].view())?;
/// assert_eq!(r2, 0.5); // 1 − 1/2
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn r2<F: Float>(y_true: ArrayView2<F>, y_pred: ArrayView2<F>) -> Result<F> {
    check_pair(y_true, y_pred)?;
    let mut total = F::zero();
    for (t, p) in y_true.axis_iter(Axis(1)).zip(y_pred.axis_iter(Axis(1))) {
        let mean = t.mean().unwrap_or(F::zero());
        let ss_tot = t.fold(F::zero(), |acc, &v| acc + (v - mean) * (v - mean));
        let mut ss_res = F::zero();
        Zip::from(&t)
            .and(&p)
            .for_each(|&a, &b| ss_res += (a - b) * (a - b));
        total += if ss_tot > F::zero() {
            F::one() - ss_res / ss_tot
        } else if ss_res == F::zero() {
            F::one()
        } else {
            F::zero()
        };
    }
    Ok(total / F::from_usize_lossy(y_true.ncols()))
}

fn check_pair<F: Float>(y_true: ArrayView2<F>, y_pred: ArrayView2<F>) -> Result<()> {
    if y_true.dim() != y_pred.dim() {
        return Err(Error::ShapeMismatch {
            what: "y_pred vs y_true",
            expected: vec![y_true.nrows(), y_true.ncols()],
            found: vec![y_pred.nrows(), y_pred.ncols()],
        });
    }
    check::matrix("y_true", y_true)?;
    check::matrix("y_pred", y_pred)
}
