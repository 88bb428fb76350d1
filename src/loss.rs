//! [`ElasticLoss`]: the objective, its gradients and the L1 proximal step.

use ndarray::{Array2, ArrayView2, Zip};

use crate::{Float, Result, check};

/// The elastic-net loss: mean squared error plus L1 and L2 penalties.
///
/// For targets `Y` (m × k), predictions `Ŷ` and weights `W` (p × k):
///
/// $$L = \frac{1}{2m}\sum_{i=1}^m \lVert y_i-\hat y_i\rVert^2
///   + \lambda_1\sum_{j,l}\lvert W_{jl}\rvert + \frac{\lambda_2}{2}\sum_{j,l} W_{jl}^2$$
///
/// ```text
/// L = 1/(2m)·Σᵢ‖yᵢ − ŷᵢ‖² + λ₁·Σ|W| + λ₂/2·ΣW²
/// ```
///
/// `λ₁` is [`l1`](Self::l1) and `λ₂` is [`l2`](Self::l2). The bias is never
/// penalised. The gradients follow the formulas of the seed notebook (not
/// its code, which drops the `1/2`, the `λ₁` in front of `sign(w)` and the
/// `1/2` on the L2 term):
///
/// * `∂L/∂Ŷ = (Ŷ − Y)/m` — [`grad_output`](Self::grad_output), the upstream
///   gradient handed to [`LinearModel::backward`](crate::LinearModel::backward);
/// * `∂(penalty)/∂W = λ₁·sign(W) + λ₂·W` — [`grad_penalty`](Self::grad_penalty),
///   with `sign(0) = 0`, one element of the subdifferential of `|w|` at 0.
///
/// Because `|w|` has no derivative at 0, plain (sub)gradient steps make
/// weights hover around zero. [`prox`](Self::prox) is the exact alternative:
/// after a gradient step on the smooth part, soft-threshold by `lr·λ₁`.
///
/// In the scikit-learn / glmnet parameterisation (see
/// [`from_alpha`](Self::from_alpha)), `λ₁ = alpha·l1_ratio` and
/// `λ₂ = alpha·(1 − l1_ratio)`.
///
/// ```
/// use elasticnet::ElasticLoss;
/// use ndarray::array;
/// let loss = ElasticLoss::new(0.5, 2.0)?;
/// let y = array![[1.0], [2.0]];
/// let y_hat = array![[0.0], [2.0]];
/// let w = array![[-1.0]];
/// // 1/(2·2)·(1 + 0) + 0.5·1 + 2/2·1
/// assert_eq!(loss.value(y.view(), y_hat.view(), w.view()), 0.25 + 0.5 + 1.0);
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ElasticLoss<F = f64> {
    /// `λ₁ ≥ 0`, the weight of the L1 penalty `Σ|W|`.
    pub l1: F,
    /// `λ₂ ≥ 0`, the weight of the L2 penalty `½·ΣW²`.
    pub l2: F,
}

impl<F: Float> ElasticLoss<F> {
    /// The loss with penalties `λ₁ = l1` and `λ₂ = l2`.
    ///
    /// | parameter | range |
    /// |-----------|-------|
    /// | `l1`      | `[0, inf)` |
    /// | `l2`      | `[0, inf)` |
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if either
    /// is negative, NaN or infinite.
    pub fn new(l1: F, l2: F) -> Result<Self> {
        let loss = Self { l1, l2 };
        loss.validate()?;
        Ok(loss)
    }

    /// The loss in the scikit-learn / glmnet parameterisation:
    /// `λ₁ = alpha·l1_ratio`, `λ₂ = alpha·(1 − l1_ratio)`.
    ///
    /// | parameter  | range |
    /// |------------|-------|
    /// | `alpha`    | `[0, inf)` |
    /// | `l1_ratio` | `[0, 1]` |
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if a value
    /// is outside its range.
    ///
    /// ```
    /// let loss = elasticnet::ElasticLoss::from_alpha(2.0, 0.25)?;
    /// assert_eq!((loss.l1, loss.l2), (0.5, 1.5));
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn from_alpha(alpha: F, l1_ratio: F) -> Result<Self> {
        check::non_negative("alpha", alpha)?;
        check::unit_interval("l1_ratio", l1_ratio)?;
        Self::new(alpha * l1_ratio, alpha * (F::one() - l1_ratio))
    }

    /// Checks that both penalties are finite and non-negative (the fields
    /// are public, so [`train`](crate::train) checks again).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming
    /// `l1` or `l2`.
    pub fn validate(&self) -> Result<()> {
        check::non_negative("l1", self.l1)?;
        check::non_negative("l2", self.l2)
    }

    /// The loss `L` of predictions `y_pred` for targets `y_true` (both m × k)
    /// with weights `weight` (p × k):
    /// `1/(2m)·Σ(y − ŷ)² + λ₁·Σ|W| + λ₂/2·ΣW²`.
    ///
    /// # Panics
    ///
    /// If `y_true` and `y_pred` have different shapes.
    pub fn value(&self, y_true: ArrayView2<F>, y_pred: ArrayView2<F>, weight: ArrayView2<F>) -> F {
        self.data_term(y_true, y_pred) + self.penalty(weight)
    }

    /// The data term alone, `1/(2m)·Σ(y − ŷ)²`.
    ///
    /// # Panics
    ///
    /// If `y_true` and `y_pred` have different shapes.
    pub fn data_term(&self, y_true: ArrayView2<F>, y_pred: ArrayView2<F>) -> F {
        assert_eq!(
            y_true.dim(),
            y_pred.dim(),
            "y_true and y_pred shapes differ"
        );
        let m = F::from_usize_lossy(y_true.nrows().max(1));
        let mut sq = F::zero();
        Zip::from(&y_true).and(&y_pred).for_each(|&y, &p| {
            let r = y - p;
            sq += r * r;
        });
        sq / (m + m)
    }

    /// The penalty alone, `λ₁·Σ|W| + λ₂/2·ΣW²`.
    pub fn penalty(&self, weight: ArrayView2<F>) -> F {
        let (mut l1, mut l2) = (F::zero(), F::zero());
        for &w in weight.iter() {
            l1 += w.abs();
            l2 += w * w;
        }
        self.l1 * l1 + self.l2 * l2 * F::cast(0.5)
    }

    /// The upstream gradient `∂L/∂Ŷ = (Ŷ − Y)/m` (m × k).
    ///
    /// # Panics
    ///
    /// If `y_true` and `y_pred` have different shapes.
    pub fn grad_output(&self, y_true: ArrayView2<F>, y_pred: ArrayView2<F>) -> Array2<F> {
        assert_eq!(
            y_true.dim(),
            y_pred.dim(),
            "y_true and y_pred shapes differ"
        );
        let inv_m = F::one() / F::from_usize_lossy(y_true.nrows().max(1));
        Zip::from(&y_pred)
            .and(&y_true)
            .map_collect(|&p, &y| (p - y) * inv_m)
    }

    /// The gradient of the penalty, `λ₁·sign(W) + λ₂·W` (p × k), with
    /// `sign(0) = 0`.
    ///
    /// At `w = 0` the penalty has no gradient; `0` is the element of its
    /// subdifferential `[−λ₁, λ₁]` closest to zero.
    pub fn grad_penalty(&self, weight: ArrayView2<F>) -> Array2<F> {
        weight.mapv(|w| self.l1 * sign(w) + self.l2 * w)
    }

    /// The proximal step of the L1 term: soft-thresholding every weight by
    /// `t = lr·λ₁`,
    ///
    /// `w ← sign(w)·max(|w| − t, 0)`,
    ///
    /// the exact minimiser of `½(v − w)² + lr·λ₁·|v|` over `v`. Weights with
    /// `|w| ≤ t` become exactly zero — the L1 penalty's feature selection.
    ///
    /// ```
    /// use ndarray::array;
    /// let loss = elasticnet::ElasticLoss::new(1.0, 0.0)?;
    /// let mut w = array![[0.25], [-0.75], [2.0]];
    /// loss.prox(&mut w, 0.5); // threshold 0.5·1.0
    /// assert_eq!(w, array![[0.0], [-0.25], [1.5]]);
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn prox(&self, weight: &mut Array2<F>, lr: F) {
        let t = lr * self.l1;
        weight.mapv_inplace(|w| soft_threshold(w, t));
    }
}

/// `sign(x)` with `sign(0) = 0`.
pub(crate) fn sign<F: Float>(x: F) -> F {
    if x > F::zero() {
        F::one()
    } else if x < F::zero() {
        -F::one()
    } else {
        F::zero()
    }
}

/// `sign(x)·max(|x| − t, 0)`.
pub(crate) fn soft_threshold<F: Float>(x: F, t: F) -> F {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        F::zero()
    }
}
