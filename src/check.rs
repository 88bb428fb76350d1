//! Input and hyper-parameter validation shared by every entry point.
//!
//! Each public function that takes a user's data or settings calls these
//! once, at the top, so that the checks (and their messages) are the same
//! everywhere.

use ndarray::{ArrayView1, ArrayView2};

use crate::solver::problem::Problem;
use crate::{Error, Float, Result};

/// `x` has at least one row and one column, and only finite values.
pub(crate) fn matrix<F: Float>(what: &'static str, x: ArrayView2<F>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::EmptyInput { what });
    }
    finite(what, x)
}

/// Every value of `x` is finite (an empty `x` passes).
pub(crate) fn finite<F: Float>(what: &'static str, x: ArrayView2<F>) -> Result<()> {
    // Fast path: one pass summing `v * 0`, which is 0 unless some value is
    // NaN or infinite; the slow path only runs to locate the culprit.
    if probe_sum(x) == F::zero() {
        return Ok(());
    }
    for ((row, col), v) in x.indexed_iter() {
        if !v.is_finite() {
            return Err(Error::NonFinite { what, row, col });
        }
    }
    Ok(())
}

/// `Σ v·0` over `x`: 0 when every value is finite, NaN otherwise. In
/// memory order, in 8 independent sums when `x` is contiguous (one long
/// chain of dependent additions runs at one addition per 4 cycles; 8
/// chains fill the SIMD lanes).
fn probe_sum<F: Float>(x: ArrayView2<F>) -> F {
    const LANES: usize = 8;
    let Some(values) = x.as_slice_memory_order() else {
        return x.iter().fold(F::zero(), |acc, &v| acc + v * F::zero());
    };
    let mut sums = [F::zero(); LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (sum, &v) in sums.iter_mut().zip(chunk) {
            *sum += v * F::zero();
        }
    }
    for (sum, &v) in sums.iter_mut().zip(rest) {
        *sum += v * F::zero();
    }
    sums.iter().fold(F::zero(), |acc, &s| acc + s)
}

/// Every value of the vector `v` is finite.
pub(crate) fn finite_vector<F: Float>(what: &'static str, v: ArrayView1<F>) -> Result<()> {
    match v.iter().position(|e| !e.is_finite()) {
        None => Ok(()),
        Some(row) => Err(Error::NonFinite { what, row, col: 0 }),
    }
}

/// `x` (m × p) and `y` (m × k) are non-empty, finite and have the same rows.
pub(crate) fn xy<F: Float>(x: ArrayView2<F>, y: ArrayView2<F>) -> Result<()> {
    matrix("x", x)?;
    matrix("y", y)?;
    same_rows(x, y)
}

/// As [`xy`] except that `x`'s values are not looked at: the caller
/// builds its [`Problem`] with [`Problem::checked`], which proves them
/// finite without a pass of its own when it can.
pub(crate) fn xy_shapes<F: Float>(x: ArrayView2<F>, y: ArrayView2<F>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::EmptyInput { what: "x" });
    }
    matrix("y", y)?;
    same_rows(x, y)
}

/// `y` has as many rows as `x`.
pub(crate) fn same_rows<F: Float>(x: ArrayView2<F>, y: ArrayView2<F>) -> Result<()> {
    if y.nrows() != x.nrows() {
        return Err(Error::ShapeMismatch {
            what: "rows of y vs rows of x",
            expected: vec![x.nrows(), y.ncols()],
            found: vec![y.nrows(), y.ncols()],
        });
    }
    Ok(())
}

/// The preprocessed data are representable: every `‖ỹₗ‖²` and `‖x̃ⱼ‖²` is
/// finite. Finite data can still overflow when squared (values beyond about
/// `1e154` in `f64`); the solvers' stopping rule (`tol·‖ỹ‖²`) and updates
/// are then meaningless, so this is an error rather than a silent NaN.
pub(crate) fn representable<F: Float>(problem: &Problem<F>) -> Result<()> {
    let finite = |v: &F| v.is_finite();
    if problem.yty.iter().all(finite) && problem.col_norm2.iter().all(finite) {
        Ok(())
    } else {
        Err(Error::NonFiniteSolution { n_iter: 0 })
    }
}

/// A value in `[0, inf)`.
pub(crate) fn non_negative<F: Float>(name: &'static str, v: F) -> Result<()> {
    if v.is_finite() && v >= F::zero() {
        Ok(())
    } else {
        Err(invalid(name, v, "[0, inf)"))
    }
}

/// A value in `(0, inf)`.
pub(crate) fn positive<F: Float>(name: &'static str, v: F) -> Result<()> {
    if v.is_finite() && v > F::zero() {
        Ok(())
    } else {
        Err(invalid(name, v, "(0, inf)"))
    }
}

/// A value in `[0, 1]`.
pub(crate) fn unit_interval<F: Float>(name: &'static str, v: F) -> Result<()> {
    if v >= F::zero() && v <= F::one() {
        Ok(())
    } else {
        Err(invalid(name, v, "[0, 1]"))
    }
}

/// A count in `[1, inf)`.
pub(crate) fn at_least_one(name: &'static str, n: usize) -> Result<()> {
    if n >= 1 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: 0.0,
            expected: "[1, inf)",
        })
    }
}

/// The `InvalidParameter` error for `name = v`.
pub(crate) fn invalid<F: Float>(name: &'static str, v: F, expected: &'static str) -> Error {
    Error::InvalidParameter {
        name,
        value: v.to_f64(),
        expected,
    }
}

/// Sample weights: one per row of `x`, finite, `≥ 0`, with a positive sum.
pub(crate) fn sample_weight<F: Float>(w: ArrayView1<F>, n_samples: usize) -> Result<()> {
    if w.len() != n_samples {
        return Err(Error::ShapeMismatch {
            what: "sample_weight vs rows of x",
            expected: vec![n_samples],
            found: vec![w.len()],
        });
    }
    finite_vector("sample_weight", w)?;
    if let Some(&bad) = w.iter().find(|&&v| v < F::zero()) {
        return Err(invalid("sample_weight", bad, "[0, inf) for every row"));
    }
    if w.iter().all(|&v| v == F::zero()) {
        return Err(invalid("sample_weight", F::zero(), "a positive sum"));
    }
    Ok(())
}

/// A per-feature vector of length `n_features` whose every value lies in
/// `[low, high]` (infinite ends allowed, NaN never).
pub(crate) fn per_feature<F: Float>(
    name: &'static str,
    v: ArrayView1<F>,
    n_features: usize,
    low: F,
    high: F,
    expected: &'static str,
) -> Result<()> {
    if v.len() != n_features {
        return Err(Error::ShapeMismatch {
            what: match name {
                "penalty_factor" => "penalty_factor vs columns of x",
                "lower_bounds" => "lower_bounds vs columns of x",
                _ => "upper_bounds vs columns of x",
            },
            expected: vec![n_features],
            found: vec![v.len()],
        });
    }
    match v.iter().find(|&&e| !(e >= low && e <= high)) {
        Some(&bad) => Err(invalid(name, bad, expected)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, ShapeBuilder};

    use super::finite;
    use crate::Error;

    /// A NaN or an infinity anywhere — in the 8-wide chunks or the
    /// remainder of a contiguous `x`, row- or column-major, or in a strided
    /// view — is found at its place; finite values, huge ones included,
    /// pass.
    #[test]
    fn finite_finds_every_non_finite_value() {
        let (m, p) = (5, 3); // 15 values: one chunk of 8 and a remainder of 7
        for column_major in [false, true] {
            let shape = (m, p).set_f(column_major);
            let x = Array2::from_shape_fn(shape, |(i, j)| 1e300 * (i as f64 - j as f64));
            assert!(finite("x", x.view()).is_ok());
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                for i in 0..m {
                    for j in 0..p {
                        let mut x = x.clone();
                        x[[i, j]] = bad;
                        let views = [x.view(), x.slice(ndarray::s![.., ..;1]).reversed_axes()];
                        match finite("x", views[0]) {
                            Err(Error::NonFinite { row, col, .. }) => {
                                assert_eq!((row, col), (i, j))
                            }
                            other => panic!("{bad} at ({i}, {j}): {other:?}"),
                        }
                        // The transposed view: the same value, at (j, i).
                        match finite("x", views[1]) {
                            Err(Error::NonFinite { row, col, .. }) => {
                                assert_eq!((row, col), (j, i))
                            }
                            other => panic!("{bad} at ({j}, {i}) transposed: {other:?}"),
                        }
                    }
                }
            }
        }
        // A strided view (every other row) is checked too.
        let mut x = Array2::<f32>::ones((6, 4));
        x[[3, 2]] = f32::NAN;
        assert!(finite("x", x.slice(ndarray::s![..;2, ..])).is_ok());
        assert!(matches!(
            finite("x", x.slice(ndarray::s![1..;2, ..])),
            Err(Error::NonFinite { row: 1, col: 2, .. })
        ));
    }
}
