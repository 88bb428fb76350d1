//! [`LinearModel`]: weights, bias, and the forward / backward / step of the
//! notebook.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;

use crate::{Error, Float, Result, check};

/// A linear model `ŷ = x·W + b` that owns its parameters and their gradients.
///
/// For `m` samples with `p` features and `k` outputs, `x` is m × p,
/// `W` ([`weight`](Self::weight)) is p × k, `b` ([`bias`](Self::bias)) has k
/// entries and `ŷ` is m × k. It is the notebook's `LinearModel`, split into
/// three separate steps so that each one can be read and tested alone:
///
/// * [`forward`](Self::forward) computes `ŷ = x·W + b` and changes nothing;
/// * [`backward`](Self::backward) takes the upstream gradient `G = ∂L/∂ŷ`
///   and fills `∂L/∂W = xᵀ·G` and `∂L/∂b = Σᵢ Gᵢ` (sum over rows);
/// * [`step`](Self::step) moves the parameters against their gradients.
///
/// Unlike the notebook, the model knows nothing of the penalty: the
/// regularisation gradient belongs to [`ElasticLoss`](crate::ElasticLoss).
///
/// ```
/// use elasticnet::{ElasticLoss, LinearModel};
/// use ndarray::array;
///
/// let x = array![[1.0], [2.0], [3.0]];
/// let y = array![[2.0], [4.0], [6.0]];
/// let mut model = LinearModel::<f64>::zeros(1, 1);
/// let loss = ElasticLoss::new(0.0, 0.0)?;
/// for _ in 0..500 {
///     let y_hat = model.forward(x.view());
///     let upstream = loss.grad_output(y.view(), y_hat.view());
///     model.backward(x.view(), upstream.view());
///     model.step(0.2);
/// }
/// assert!((model.weight[[0, 0]] - 2.0).abs() < 1e-3);
/// assert!(model.bias[0].abs() < 1e-2);
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinearModel<F = f64> {
    /// `W`, p × k.
    pub weight: Array2<F>,
    /// `b`, one entry per output.
    pub bias: Array1<F>,
    /// `∂L/∂W` from the last [`backward`](Self::backward), p × k.
    pub weight_grad: Array2<F>,
    /// `∂L/∂b` from the last [`backward`](Self::backward), k entries.
    pub bias_grad: Array1<F>,
}

impl<F: Float> LinearModel<F> {
    /// A model with weights drawn from `N(0, 2/input_dim)` (He
    /// initialisation, as in the notebook) and zero bias.
    ///
    /// The caller owns the random number generator, so a seeded one gives the
    /// same model every time.
    ///
    /// ```
    /// use elasticnet::LinearModel;
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let a: LinearModel = LinearModel::new(3, 2, &mut StdRng::seed_from_u64(7));
    /// let b: LinearModel = LinearModel::new(3, 2, &mut StdRng::seed_from_u64(7));
    /// assert_eq!(a, b);
    /// assert_eq!(a.weight.dim(), (3, 2));
    /// assert!(a.bias.iter().all(|&b| b == 0.0));
    /// ```
    pub fn new<R: Rng + ?Sized>(input_dim: usize, output_dim: usize, rng: &mut R) -> Self {
        let std = (2.0 / input_dim.max(1) as f64).sqrt();
        let weight = Array2::from_shape_simple_fn((input_dim, output_dim), || {
            F::sample_standard_normal(rng) * F::cast(std)
        });
        Self::from_parameters(weight, Array1::zeros(output_dim))
    }

    /// A model whose weights and bias are all zero (the usual starting point
    /// of a convex solver).
    ///
    /// ```
    /// let m = elasticnet::LinearModel::<f32>::zeros(4, 1);
    /// assert_eq!(m.weight.sum(), 0.0);
    /// ```
    pub fn zeros(input_dim: usize, output_dim: usize) -> Self {
        Self::from_parameters(
            Array2::zeros((input_dim, output_dim)),
            Array1::zeros(output_dim),
        )
    }

    /// A model with the given weights (p × k) and bias (k), and zero
    /// gradients.
    ///
    /// # Panics
    ///
    /// If `bias.len()` is not `weight.ncols()`.
    ///
    /// ```
    /// use ndarray::array;
    /// let m = elasticnet::LinearModel::from_parameters(array![[2.0]], array![1.0]);
    /// assert_eq!(m.forward(array![[3.0]].view()), array![[7.0]]);
    /// ```
    pub fn from_parameters(weight: Array2<F>, bias: Array1<F>) -> Self {
        assert_eq!(
            weight.ncols(),
            bias.len(),
            "bias needs one entry per column of weight"
        );
        let weight_grad = Array2::zeros(weight.raw_dim());
        let bias_grad = Array1::zeros(bias.raw_dim());
        Self {
            weight,
            bias,
            weight_grad,
            bias_grad,
        }
    }

    /// Number of input features `p`.
    pub fn n_features(&self) -> usize {
        self.weight.nrows()
    }

    /// Number of outputs `k`.
    pub fn n_targets(&self) -> usize {
        self.weight.ncols()
    }

    /// `ŷ = x·W + b` (m × k). Pure: the model is not changed.
    ///
    /// # Panics
    ///
    /// If `x` does not have [`n_features`](Self::n_features) columns. Use
    /// [`predict`](Self::predict) for checked input.
    pub fn forward(&self, x: ArrayView2<F>) -> Array2<F> {
        let mut y_hat = x.dot(&self.weight);
        y_hat += &self.bias;
        y_hat
    }

    /// [`forward`](Self::forward) with the input checked first.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `x` does not have
    /// [`n_features`](Self::n_features) columns (or the model's `bias` does
    /// not have one entry per column of `weight`), [`Error::EmptyInput`] if it
    /// has no rows, [`Error::NonFinite`] if it holds NaN or infinity, and
    /// [`Error::NonFiniteSolution`] if the model's own parameters are not
    /// finite.
    ///
    /// ```
    /// use ndarray::array;
    /// use elasticnet::{Error, LinearModel};
    /// let m = LinearModel::<f64>::zeros(2, 1);
    /// assert!(m.predict(array![[1.0, 2.0]].view()).is_ok());
    /// assert!(matches!(m.predict(array![[1.0]].view()), Err(Error::ShapeMismatch { .. })));
    /// ```
    pub fn predict(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        if x.ncols() != self.n_features() {
            return Err(Error::ShapeMismatch {
                what: "columns of x vs features of the model",
                expected: vec![x.nrows(), self.n_features()],
                found: vec![x.nrows(), x.ncols()],
            });
        }
        if x.nrows() == 0 {
            return Err(Error::EmptyInput { what: "x" });
        }
        check::finite("x", x)?;
        if self.bias.len() != self.n_targets() {
            // The fields are public, so the model itself can be inconsistent.
            return Err(Error::ShapeMismatch {
                what: "bias vs columns of weight",
                expected: vec![self.n_targets()],
                found: vec![self.bias.len()],
            });
        }
        if !self.is_finite() {
            return Err(Error::NonFiniteSolution { n_iter: 0 });
        }
        Ok(self.forward(x))
    }

    /// Fills the gradients from the upstream gradient `G = ∂L/∂ŷ` (m × k):
    ///
    /// `∂L/∂W = xᵀ·G` (p × k) and `∂L/∂b = Σᵢ Gᵢ` (the column sums of `G`).
    ///
    /// With `G` from [`ElasticLoss::grad_output`](crate::ElasticLoss::grad_output)
    /// — which already holds the `1/m` — these are the gradients of the data
    /// term of the loss; add
    /// [`ElasticLoss::grad_penalty`](crate::ElasticLoss::grad_penalty) for the
    /// penalty.
    ///
    /// # Panics
    ///
    /// If `x` is not m × p or `upstream` is not m × k.
    pub fn backward(&mut self, x: ArrayView2<F>, upstream: ArrayView2<F>) {
        assert_eq!(
            x.nrows(),
            upstream.nrows(),
            "x and upstream need the same rows"
        );
        if self.weight_grad.dim() != self.weight.dim() {
            self.weight_grad = Array2::zeros(self.weight.raw_dim());
        }
        ndarray::linalg::general_mat_mul(
            F::one(),
            &x.t(),
            &upstream,
            F::zero(),
            &mut self.weight_grad,
        );
        self.bias_grad = upstream.sum_axis(Axis(0));
    }

    /// One gradient step: `W ← W − lr·∂L/∂W`, `b ← b − lr·∂L/∂b`.
    pub fn step(&mut self, lr: F) {
        self.weight.scaled_add(-lr, &self.weight_grad);
        self.bias.scaled_add(-lr, &self.bias_grad);
    }

    /// Whether every weight and bias is finite.
    pub fn is_finite(&self) -> bool {
        self.weight
            .iter()
            .chain(self.bias.iter())
            .all(|v| v.is_finite())
    }
}
