//! [`StandardScaler`] and the column moments that standardization uses.

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};

use crate::{Error, Float, Result, check};

/// Centres and scales every column of `x` to mean 0 and (population)
/// standard deviation 1:
///
/// `z_ij = (x_ij − μ_j) / σ_j`, with `μ_j = Σᵢ x_ij / m` and
/// `σ_j = sqrt(Σᵢ (x_ij − μ_j)² / m)`.
///
/// A column is constant when `σ_j ≤ 1e-10 · maxᵢ|x_ij|`; its scale stays 1
/// (it is centred to zeros instead of being divided by ~0).
///
/// ```
/// use elasticnet::StandardScaler;
/// use ndarray::array;
/// let x = array![[1.0, 5.0], [3.0, 5.0]];
/// let scaler = StandardScaler::fit(x.view())?;
/// assert_eq!(scaler.mean, array![2.0, 5.0]);
/// assert_eq!(scaler.scale, array![1.0, 1.0]); // column 2 is constant
/// let z = scaler.transform(x.view())?;
/// assert_eq!(z, array![[-1.0, 0.0], [1.0, 0.0]]);
/// assert_eq!(scaler.inverse_transform(z.view())?, x);
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StandardScaler<F = f64> {
    /// `μ_j`, the column means.
    pub mean: Array1<F>,
    /// `σ_j`, the population standard deviations (1 for constant columns).
    pub scale: Array1<F>,
}

impl<F: Float> StandardScaler<F> {
    /// Learns the mean and standard deviation of each column of `x`.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyInput`] if `x` has no rows or columns,
    /// [`Error::NonFinite`] if it holds NaN or infinity.
    pub fn fit(x: ArrayView2<F>) -> Result<Self> {
        check::matrix("x", x)?;
        let (mean, scale) = column_moments(x, true);
        Ok(Self { mean, scale })
    }

    /// `(x − μ)/σ`, column by column.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `x` has a different number of columns than
    /// the data the scaler was fitted on; [`Error::NonFinite`] for NaN or
    /// infinity.
    pub fn transform(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        self.check_columns(x)?;
        let mut z = x.to_owned();
        Zip::from(z.rows_mut()).for_each(|mut row| {
            Zip::from(&mut row)
                .and(&self.mean)
                .and(&self.scale)
                .for_each(|v, &mu, &s| *v = (*v - mu) / s);
        });
        Ok(z)
    }

    /// `z·σ + μ`, the inverse of [`transform`](Self::transform).
    ///
    /// # Errors
    ///
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, z: ArrayView2<F>) -> Result<Array2<F>> {
        self.check_columns(z)?;
        let mut x = z.to_owned();
        Zip::from(x.rows_mut()).for_each(|mut row| {
            Zip::from(&mut row)
                .and(&self.mean)
                .and(&self.scale)
                .for_each(|v, &mu, &s| *v = *v * s + mu);
        });
        Ok(x)
    }

    fn check_columns(&self, x: ArrayView2<F>) -> Result<()> {
        if x.ncols() != self.mean.len() {
            return Err(Error::ShapeMismatch {
                what: "columns of x vs columns the scaler was fitted on",
                expected: vec![x.nrows(), self.mean.len()],
                found: vec![x.nrows(), x.ncols()],
            });
        }
        check::finite("x", x)
    }
}

/// The centre and scale of each column, as standardization uses them.
///
/// With `center`: the mean and the population standard deviation. Without:
/// zero and the root mean square `sqrt(Σᵢ x_ij²/m)`. A scale at most
/// `1e-10·maxᵢ|x_ij|` (a constant column) is replaced by 1. Two passes over
/// the rows (mean, then deviations) for accuracy, with the corrected
/// two-pass formulas: the second pass's sum of deviations `Σd` refines the
/// mean (`μ += Σd/m`) and the sum of squares (`Σd² − (Σd)²/m`), so a constant
/// column gets its value back exactly as its mean and centres to exact zeros.
pub(crate) fn column_moments<F: Float>(x: ArrayView2<F>, center: bool) -> (Array1<F>, Array1<F>) {
    let m = F::from_usize_lossy(x.nrows().max(1));
    let mut mean = if center {
        x.sum_axis(Axis(0)) / m
    } else {
        Array1::zeros(x.ncols())
    };
    let mut sq = Array1::<F>::zeros(x.ncols());
    let mut dev = Array1::<F>::zeros(x.ncols());
    let mut max_abs = Array1::<F>::zeros(x.ncols());
    for row in x.rows() {
        Zip::from(&mut sq)
            .and(&mut dev)
            .and(&mut max_abs)
            .and(&row)
            .and(&mean)
            .for_each(|s, e, a, &v, &mu| {
                let d = v - mu;
                *s += d * d;
                *e += d;
                *a = a.max(v.abs());
            });
    }
    if center {
        Zip::from(&mut mean)
            .and(&mut sq)
            .and(&dev)
            .for_each(|mu, s, &e| {
                *mu += e / m;
                *s = (*s - e * e / m).max(F::zero());
            });
    }
    let scale = Zip::from(&sq).and(&max_abs).map_collect(|&s, &a| {
        let sd = (s / m).sqrt();
        if sd <= F::cast(1e-10) * a {
            F::one()
        } else {
            sd
        }
    });
    (mean, scale)
}
