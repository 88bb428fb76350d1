//! [`StandardScaler`] and the column moments that standardization uses.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Zip};

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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
        let (mean, scale) = column_moments(x, true, None);
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
///
/// With row weights `ω` (normalised to sum to `m`), every sum is weighted:
/// `μ = Σᵢ ωᵢx_ij/m`, `σ² = Σᵢ ωᵢ(x_ij − μ)²/m`, and rows of weight 0 are
/// skipped altogether (`maxᵢ|x_ij|` is over the other rows).
///
/// Each column is first divided by the power of two nearest below its
/// largest `|x_ij|` (exact, so results are unchanged for ordinary data),
/// so that squares neither overflow (values beyond `1e154`) nor underflow
/// (below `1e-154`, where a genuine spread would otherwise look constant).
/// A scale that is itself not representable (0 or infinite) is replaced by
/// 1 too.
pub(crate) fn column_moments<F: Float>(
    x: ArrayView2<F>,
    center: bool,
    weights: Option<ArrayView1<F>>,
) -> (Array1<F>, Array1<F>) {
    let m = F::from_usize_lossy(x.nrows().max(1));
    let weight = |i: usize| weights.map_or(F::one(), |w| w[i]);
    // Rows of weight 0 take no part, not even in `max|x_ij|` (the unit and
    // the constant-column test): a weight of 0 is the same as leaving the
    // row out (F20).
    let rows = || {
        x.rows()
            .into_iter()
            .enumerate()
            .filter(move |&(i, _)| weights.is_none_or(|w| w[i] != F::zero()))
    };
    let mut max_abs = Array1::<F>::zeros(x.ncols());
    for (_, row) in rows() {
        Zip::from(&mut max_abs)
            .and(&row)
            .for_each(|a, &v| *a = a.max(v.abs()));
    }
    let unit = max_abs.mapv(power_of_two_below);
    let mut mean = Array1::<F>::zeros(x.ncols());
    if center {
        for (i, row) in rows() {
            let wi = weight(i);
            Zip::from(&mut mean)
                .and(&row)
                .and(&unit)
                .for_each(|mu, &v, &u| *mu += wi * (v / u));
        }
        mean /= m;
    }
    let mut sq = Array1::<F>::zeros(x.ncols());
    let mut dev = Array1::<F>::zeros(x.ncols());
    for (i, row) in rows() {
        let wi = weight(i);
        Zip::from(&mut sq)
            .and(&mut dev)
            .and(&row)
            .and(&mean)
            .and(&unit)
            .for_each(|s, e, &v, &mu, &u| {
                let d = v / u - mu;
                *s += wi * d * d;
                *e += wi * d;
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
    let scale = Zip::from(&sq)
        .and(&max_abs)
        .and(&unit)
        .map_collect(|&s, &a, &u| {
            let sd = (s / m).sqrt();
            // Constant, or a spread that the float type cannot hold on
            // its own scale (a subnormal column's, say): scale 1.
            let scale = sd * u;
            if sd <= F::cast(1e-10) * (a / u) || !(scale > F::zero() && scale.is_finite()) {
                F::one()
            } else {
                scale
            }
        });
    (mean * &unit, scale)
}

/// The column means alone, by the corrected two-pass formula
/// `μ = Σx/m`, then `μ += Σ(x − μ)/m` (exact for a constant column): two
/// passes over the rows, where [`column_moments`] needs three. For fits
/// that centre without standardizing. With row weights `ω` (normalised to
/// sum to `m`) both sums are weighted.
pub(crate) fn column_means<F: Float>(
    x: ArrayView2<F>,
    weights: Option<ArrayView1<F>>,
) -> Array1<F> {
    let m = F::from_usize_lossy(x.nrows().max(1));
    // Σ(x/m) rather than Σx/m, so that sums of huge values cannot overflow.
    let inv_m = F::one() / m;
    let row_factor = |i: usize| weights.map_or(F::one(), |w| w[i]) * inv_m;
    let mut mean = Array1::<F>::zeros(x.ncols());
    add_over_rows(x, &mut mean, row_factor, |c, _, v| v * c);
    let mut dev = Array1::<F>::zeros(x.ncols());
    add_over_rows(x, &mut dev, row_factor, |c, j, v| (v - mean[j]) * c);
    mean += &dev;
    mean
}

/// `sumⱼ += Σᵢ term(cᵢ, j, xᵢⱼ)` for every column `j`, with `cᵢ =
/// row_factor(i)` (once per row where rows are read whole), each column's
/// terms added in row order whatever the layout of `x` (so the sums are
/// the same to the bit); contiguous rows or columns are read as slices.
fn add_over_rows<F: Float>(
    x: ArrayView2<F>,
    sum: &mut Array1<F>,
    row_factor: impl Fn(usize) -> F,
    term: impl Fn(F, usize, F) -> F,
) {
    let p = x.ncols();
    let sum = sum.as_slice_mut().expect("a new array is contiguous");
    if p == 0 {
        return;
    }
    if let Some(values) = x.as_slice() {
        for (i, row) in values.chunks_exact(p).enumerate() {
            let c = row_factor(i);
            for (j, (s, &v)) in sum.iter_mut().zip(row).enumerate() {
                *s += term(c, j, v);
            }
        }
    } else if let Some(values) = x.t().as_slice() {
        // Column-major (a single column, say).
        for (j, (s, column)) in sum
            .iter_mut()
            .zip(values.chunks_exact(x.nrows()))
            .enumerate()
        {
            for (i, &v) in column.iter().enumerate() {
                *s += term(row_factor(i), j, v);
            }
        }
    } else {
        for (i, row) in x.rows().into_iter().enumerate() {
            let c = row_factor(i);
            for (j, (s, &v)) in sum.iter_mut().zip(row).enumerate() {
                *s += term(c, j, v);
            }
        }
    }
}

/// The largest power of two at most `a` (1 for 0), as a divisor that makes
/// `a` lie in `[1, 2)` without rounding.
fn power_of_two_below<F: Float>(a: F) -> F {
    if a <= F::zero() || !a.is_finite() {
        return F::one();
    }
    let two = F::cast(2.0);
    let mut u = two.powi(crate::Float::to_f64(a.log2().floor()) as i32);
    if !(u > F::zero() && u.is_finite()) {
        u = F::one(); // powi under- or overflowed (subnormal a)
    }
    // Settle it exactly (log2 can round across a power of two). Both loops
    // end: `a` is at least the smallest subnormal, itself a power of two.
    while u > a {
        u /= two;
    }
    while u * two <= a {
        u *= two;
    }
    u
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, ShapeBuilder, s};

    use super::column_means;

    /// The corrected two-pass means, written out: `μ = Σᵢ cᵢxᵢⱼ`, then
    /// `μ += Σᵢ cᵢ(xᵢⱼ − μ)`, with `cᵢ = ωᵢ/m`, each sum in row order.
    fn by_definition(x: &Array2<f64>, weights: Option<&Array1<f64>>) -> Array1<f64> {
        let (m, p) = x.dim();
        let c = |i: usize| weights.map_or(1.0, |w| w[i]) * (1.0 / m as f64);
        Array1::from_shape_fn(p, |j| {
            let mut mean = 0.0;
            for i in 0..m {
                mean += x[[i, j]] * c(i);
            }
            let mut dev = 0.0;
            for i in 0..m {
                dev += (x[[i, j]] - mean) * c(i);
            }
            mean + dev
        })
    }

    /// Row-major, column-major and strided layouts give the definition's
    /// means to the bit, with and without weights; a constant column's
    /// mean is its value.
    #[test]
    fn column_means_follow_the_definition_in_every_layout() {
        let (m, p) = (37, 6);
        // Values of varied sizes, so that the order of the sums shows in
        // their last bits.
        let mut x = Array2::from_shape_fn((m, p), |(i, j)| {
            let v = ((i * 7919 + j * 104_729) % 1_009) as f64 / 7.0 - 60.0;
            v * [1e-3, 1.0, 1e2, 0.1][(i + j) % 4] + (j as f64) * 1e3
        });
        x.column_mut(4).fill(0.1);
        // Normalised to sum to m, as the callers' weights are.
        let weights = Array1::from_shape_fn(m, |i| 0.5 + (i % 5) as f64 * 0.25);
        let weights = &weights * (m as f64 / weights.sum());
        let fortran = {
            let mut f = Array2::zeros((m, p).f());
            f.assign(&x);
            f
        };
        let wide = Array2::from_shape_fn((m, 2 * p), |(i, j)| x[[i, j / 2]]);
        let strided = wide.slice(s![.., ..;2]);
        assert!(x.as_slice().is_some() && fortran.t().as_slice().is_some());
        assert!(strided.as_slice().is_none() && strided.t().as_slice().is_none());
        for w in [None, Some(&weights)] {
            let want = by_definition(&x, w);
            let wv = w.map(|w| w.view());
            assert_eq!(column_means(x.view(), wv), want);
            assert_eq!(column_means(fortran.view(), wv), want);
            assert_eq!(column_means(strided, wv), want);
            assert_eq!(want[4], 0.1);
        }
        // One column (a target y): a column-major slice.
        let y = x.slice(s![.., 2..3]);
        assert_eq!(column_means(y, None)[0], by_definition(&x, None)[2]);
    }
}
