//! The floating-point element type of every array in the crate.

use ndarray::NdFloat;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// A floating-point scalar the crate computes in: implemented for [`f32`] and
/// [`f64`].
///
/// It is [`ndarray::NdFloat`] (so every `ndarray` operator and
/// [`num_traits::Float`] method is available) plus the few conversions and
/// samplers the crate needs. Hyper-parameters are given in `F`; errors store
/// offending values as `f64` so that no precision is lost in the report.
///
/// ```
/// use elasticnet::Float;
/// fn half<F: Float>(x: F) -> F {
///     x * F::cast(0.5)
/// }
/// assert_eq!(half(3.0_f32), 1.5);
/// assert_eq!(half(3.0_f64).to_f64(), 1.5);
/// ```
pub trait Float: NdFloat + num_traits::FromPrimitive + Default {
    /// Converts an `f64` constant to `Self` (rounding for `f32`).
    fn cast(x: f64) -> Self;

    /// Converts `self` to `f64` exactly.
    fn to_f64(self) -> f64;

    /// Converts a count (a number of rows, say) to `Self`.
    fn from_usize_lossy(n: usize) -> Self {
        Self::cast(n as f64)
    }

    /// Draws one sample from the standard normal distribution N(0, 1).
    fn sample_standard_normal<R: Rng + ?Sized>(rng: &mut R) -> Self;
}

impl Float for f64 {
    fn cast(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn sample_standard_normal<R: Rng + ?Sized>(rng: &mut R) -> Self {
        StandardNormal.sample(rng)
    }
}

impl Float for f32 {
    fn cast(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn sample_standard_normal<R: Rng + ?Sized>(rng: &mut R) -> Self {
        StandardNormal.sample(rng)
    }
}
