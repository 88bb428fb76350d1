//! [`train`]: the notebook's epoch loop, as an executor that owns the loop,
//! the learning rate, early stopping and a per-epoch callback.

use std::ops::ControlFlow;

use ndarray::{Array1, ArrayView2, Zip};
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

use crate::loss::sign;
use crate::model::{FusedPass, Rows};
use crate::{ElasticLoss, Error, Float, LinearModel, Result, check};

/// How large a step [`train`] takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LearningRate<F = f64> {
    /// A fixed step size `lr > 0` (the notebook uses `0.02`).
    Constant(F),
    /// `1/L`, where `L` is the Lipschitz constant of the gradient of the
    /// smooth part of the loss: the largest eigenvalue of `AᵀA/m` plus `λ₂`,
    /// with `A = [x 1]` (the bias column included). Estimated by power
    /// iteration before the first epoch. With it, full-batch proximal
    /// gradient descent decreases the loss at every epoch.
    ///
    /// With mini-batches of `b` rows a single batch can be much more curved
    /// than the whole data set (one high-leverage row is enough), so `L` is
    /// then the larger of that eigenvalue and the mean of the `b` largest
    /// squared row norms `‖(xᵢ, 1)‖²` — an upper bound on the curvature of
    /// any batch — plus `λ₂`.
    Auto,
}

/// How [`train`] handles the L1 term, which has no gradient at 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L1Update {
    /// Gradient step on the smooth part (data term and L2), then
    /// soft-thresholding by `lr·λ₁` ([`ElasticLoss::prox`]): proximal
    /// gradient descent (ISTA). Weights reach exact zeros.
    #[default]
    Proximal,
    /// Gradient step with the subgradient `λ₁·sign(W)` added, as the notebook
    /// does. Weights that should be zero oscillate around it instead.
    Subgradient,
}

/// Settings of [`train`]. Build with struct-update syntax over
/// [`Default`]; [`train`] validates them.
///
/// | field | default | range |
/// |-------|---------|-------|
/// | `epochs` | `100` | `[1, inf)` |
/// | `learning_rate` | [`LearningRate::Auto`] | `Constant(lr)` with `lr` in `(0, inf)` |
/// | `batch_size` | `None` (full batch) | `Some(b)` with `b` in `[1, inf)`; `b ≥ m` is full batch |
/// | `seed` | `0` | any |
/// | `l1_update` | [`L1Update::Proximal`] | either |
/// | `tol` | `None` (run every epoch) | `Some(t)` with `t` in `(0, inf)` |
///
/// ```
/// use elasticnet::{LearningRate, TrainConfig};
/// let config = TrainConfig {
///     epochs: 50,
///     learning_rate: LearningRate::Constant(0.02),
///     ..TrainConfig::default()
/// };
/// assert_eq!(config.batch_size, None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig<F = f64> {
    /// Number of passes over the data.
    pub epochs: usize,
    /// Step size.
    pub learning_rate: LearningRate<F>,
    /// `None`: one step per epoch on all rows. `Some(b)`: rows are shuffled
    /// each epoch (from [`seed`](Self::seed)) and one step is taken per
    /// mini-batch of `b` rows (the last one may be smaller).
    pub batch_size: Option<usize>,
    /// Seed of the mini-batch shuffling; the same seed gives the same run.
    pub seed: u64,
    /// How the L1 term is handled.
    pub l1_update: L1Update,
    /// Stop early once `|L_t − L_{t−1}| ≤ tol·|L_{t−1}|` between consecutive
    /// epochs (and report `converged = true`).
    pub tol: Option<F>,
}

impl<F: Float> Default for TrainConfig<F> {
    fn default() -> Self {
        Self {
            epochs: 100,
            learning_rate: LearningRate::Auto,
            batch_size: None,
            seed: 0,
            l1_update: L1Update::Proximal,
            tol: None,
        }
    }
}

impl<F: Float> TrainConfig<F> {
    /// Checks every field against the table on [`TrainConfig`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming the field (`epochs`,
    /// `learning_rate`, `batch_size`, `tol`).
    pub fn validate(&self) -> Result<()> {
        check::at_least_one("epochs", self.epochs)?;
        if let LearningRate::Constant(lr) = self.learning_rate {
            check::positive("learning_rate", lr)?;
        }
        if let Some(b) = self.batch_size {
            check::at_least_one("batch_size", b)?;
        }
        if let Some(tol) = self.tol {
            check::positive("tol", tol)?;
        }
        Ok(())
    }
}

/// What happened in [`train`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport<F = f64> {
    /// The loss on all the data after each epoch (`losses[e]` after epoch `e`).
    pub losses: Vec<F>,
    /// Epochs completed (fewer than configured after early stopping or a
    /// callback's `Break`).
    pub epochs_run: usize,
    /// Whether the `tol` criterion stopped training.
    pub converged: bool,
    /// The learning rate used (the computed one for [`LearningRate::Auto`]).
    pub learning_rate: F,
}

/// Trains `model` on `(x, y)` by (proximal) gradient descent on `loss`.
///
/// Each epoch is the notebook's loop — forward, loss, upstream gradient,
/// backward, step — on all rows or on shuffled mini-batches:
///
/// ```text
/// G  = (x·W + b − y)/m                       grad_output
/// ∂W = xᵀG + λ₂W  (+ λ₁·sign(W) if Subgradient),  ∂b = Σᵢ Gᵢ
/// W ← W − lr·∂W,  b ← b − lr·∂b              step
/// W ← sign(W)·max(|W| − lr·λ₁, 0)            prox (if Proximal)
/// ```
///
/// `x` is m × p, `y` is m × k, the model p × k. See [`train_with`] to watch
/// or stop the run after each epoch.
///
/// # Cost
///
/// The loss that an epoch reports, `L(W_{e+1})` after its step, needs the
/// whole of `x` for the new weights, and so does the next epoch's gradient
/// at those same weights: one pass computes both. Going through `x` a chunk
/// of rows at a time, it forms the residuals `rᵢ = xᵢW + b − yᵢ`, adds up
/// `Σᵢ‖rᵢ‖²` and, while the rows are still in cache, `Σᵢ xᵢᵀrᵢ` and `Σᵢ rᵢ`:
///
/// $$L(W) = \frac{1}{2m}\sum_i \lVert r_i\rVert^2 + \text{penalty}(W),\qquad
///   \nabla_W = \frac{1}{m}\sum_i x_i^\top r_i,\qquad \nabla_b = \frac{1}{m}\sum_i r_i$$
///
/// A full-batch run of `E` epochs therefore reads `x` `E + 1` times: once
/// for the loss of the starting model and the first gradient (the same
/// pass also finds a NaN or an infinity in `x` or `y`), once per epoch
/// after that, the last of them for the loss alone. Nothing is allocated
/// inside the epoch loop. Mini-batches read their rows for each step and all
/// of `x` once more per epoch for the reported loss; [`LearningRate::Auto`]
/// adds the power iteration before the first epoch.
///
/// # Errors
///
/// * [`Error::EmptyInput`], [`Error::NonFinite`], [`Error::ShapeMismatch`]
///   for bad data or a model of the wrong shape;
/// * [`Error::InvalidParameter`] for a bad [`TrainConfig`] or penalty;
/// * [`Error::Diverged`] when the loss or the weights stop being finite, or
///   the loss grows past `1e8` times the largest of its start, the loss of
///   the all-zero model and — for [`L1Update::Subgradient`] — `lr·λ₁²·p·k`,
///   the scale of the penalty of the weights' bounded jitter around 0. The
///   model then holds the weights from before the epoch that diverged.
///
/// ```
/// use elasticnet::{ElasticLoss, LinearModel, TrainConfig, datasets, train};
/// let data = datasets::seed_example(42);
/// let mut model = LinearModel::zeros(1, 1);
/// let loss = ElasticLoss::new(0.0, 0.0)?;
/// let report = train(&mut model, &loss, data.x.view(), data.y.view(), &TrainConfig::default())?;
/// assert_eq!(report.epochs_run, 100);
/// assert!(report.losses[99] < report.losses[0]);
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn train<F: Float>(
    model: &mut LinearModel<F>,
    loss: &ElasticLoss<F>,
    x: ArrayView2<F>,
    y: ArrayView2<F>,
    config: &TrainConfig<F>,
) -> Result<TrainReport<F>> {
    train_with(model, loss, x, y, config, |_, _, _| {
        ControlFlow::Continue(())
    })
}

/// [`train`] with a callback run after every epoch with the epoch (from 0),
/// the model and the loss on all data. Returning
/// [`ControlFlow::Break`] stops training (the report then has
/// `converged = false` unless `tol` was met at that epoch).
///
/// # Errors
///
/// As [`train`].
///
/// ```
/// use std::ops::ControlFlow;
/// use elasticnet::{ElasticLoss, LinearModel, TrainConfig, datasets, train_with};
/// let data = datasets::seed_example(1);
/// let mut model = LinearModel::zeros(1, 1);
/// let loss = ElasticLoss::new(0.01, 0.01)?;
/// let mut seen = Vec::new();
/// let report = train_with(&mut model, &loss, data.x.view(), data.y.view(),
///     &TrainConfig::default(), |epoch, _model, loss| {
///         seen.push(loss);
///         if epoch == 9 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
///     })?;
/// assert_eq!(report.epochs_run, 10);
/// assert_eq!(seen, report.losses);
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn train_with<F, C>(
    model: &mut LinearModel<F>,
    loss: &ElasticLoss<F>,
    x: ArrayView2<F>,
    y: ArrayView2<F>,
    config: &TrainConfig<F>,
    mut callback: C,
) -> Result<TrainReport<F>>
where
    F: Float,
    C: FnMut(usize, &LinearModel<F>, F) -> ControlFlow<()>,
{
    // The cheap checks first. The finiteness of `x` and `y` is checked by
    // the first pass below, which reads them anyway; when a cheap check
    // fails, the full data check runs first so that its errors keep their
    // precedence.
    let shapes_ok =
        x.nrows() > 0 && x.ncols() > 0 && y.nrows() > 0 && y.ncols() > 0 && x.nrows() == y.nrows();
    let settings = check_model(model, x.ncols(), y.ncols())
        .and_then(|()| loss.validate())
        .and_then(|()| config.validate());
    if !shapes_ok || settings.is_err() {
        check::xy(x, y)?;
        settings?;
    }

    let n_samples = x.nrows();
    let m = F::from_usize_lossy(n_samples);
    let batch = config.batch_size.unwrap_or(n_samples).min(n_samples);
    let full_batch = batch == n_samples;

    // Pass 0: the loss of the starting model — and, for a full batch, the
    // gradient at it, which the first step uses. A NaN or an infinity in `x`
    // or `y` makes the squared error non-finite; finite data whose squares
    // overflow go on (and diverge at epoch 0, keeping the model).
    let mut pass = FusedPass::new(x.ncols(), y.ncols());
    pass.load(model);
    let squared_error = if full_batch {
        pass.run::<true>(x, y, Rows::Range(0..n_samples))
    } else {
        pass.run::<false>(x, y, Rows::Range(0..n_samples))
    };
    if !squared_error.is_finite() {
        check::xy(x, y)?;
    }

    let lr = match config.learning_rate {
        LearningRate::Constant(lr) => lr,
        LearningRate::Auto if full_batch => F::one() / lipschitz(x, loss.l2),
        LearningRate::Auto => {
            F::one() / (lipschitz(x, F::zero()).max(batch_curvature_bound(x, batch)) + loss.l2)
        }
    };
    if !(lr.is_finite() && lr > F::zero()) {
        // Only `Auto` can get here: the data's squares overflow the float type.
        return Err(Error::NonFiniteSolution { n_iter: 0 });
    }

    let mut current = squared_error / (m + m) + loss.penalty(model.weight.view());
    let zero_model = y.iter().fold(F::zero(), |acc, &v| acc + v * v) / (m + m);
    let blow_up = F::cast(1e8)
        * current
            .max(zero_model)
            .max(jitter_scale(loss, lr, config.l1_update, model.weight.len()))
            .max(F::epsilon());

    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..n_samples).collect();
    let mut saved = (model.weight.clone(), model.bias.clone());
    let mut report = TrainReport {
        losses: Vec::with_capacity(config.epochs),
        epochs_run: 0,
        converged: false,
        learning_rate: lr,
    };
    for epoch in 0..config.epochs {
        saved.0.assign(&model.weight);
        saved.1.assign(&model.bias);
        let squared_error = if full_batch {
            // The gradient at the current weights is in `pass`, from the
            // pass that also gave their loss.
            pass.gradient_into(model, F::one() / m);
            update(model, loss, lr, config.l1_update);
            // One read of the data: the loss after the step and — unless
            // this is the last epoch — the gradient for the next one.
            pass.load(model);
            if epoch + 1 < config.epochs {
                pass.run::<true>(x, y, Rows::Range(0..n_samples))
            } else {
                pass.run::<false>(x, y, Rows::Range(0..n_samples))
            }
        } else {
            order.shuffle(&mut rng);
            for rows in order.chunks(batch) {
                pass.load(model);
                pass.run::<true>(x, y, Rows::Listed(rows));
                pass.gradient_into(model, F::one() / F::from_usize_lossy(rows.len()));
                update(model, loss, lr, config.l1_update);
            }
            pass.load(model);
            pass.run::<false>(x, y, Rows::Range(0..n_samples))
        };
        let next = squared_error / (m + m) + loss.penalty(model.weight.view());
        if !next.is_finite() || next > blow_up || !model.is_finite() {
            model.weight.assign(&saved.0);
            model.bias.assign(&saved.1);
            return Err(Error::Diverged {
                epoch,
                loss: next.to_f64(),
            });
        }
        report.losses.push(next);
        report.epochs_run = epoch + 1;
        if let Some(tol) = config.tol
            && (next - current).abs() <= tol * current.abs()
        {
            report.converged = true;
        }
        current = next;
        // The callback runs after every epoch, the converged one included.
        let stop = callback(epoch, model, next).is_break();
        if report.converged || stop {
            break;
        }
    }
    Ok(report)
}

/// The loss a bounded, non-diverging run can reach on top of the data's own:
/// `lr·λ₁²·p·k` for the subgradient update, 0 for the proximal one.
///
/// A subgradient step moves every weight by `lr·λ₁` towards 0 (on top of the
/// smooth gradient), past it when the weight is smaller than that, so weights
/// that belong at 0 jitter around it with amplitude up to `lr·λ₁`, for good.
/// Their penalty `λ₁·Σ|W|` is then up to `lr·λ₁²·p·k`, and with a step of at
/// most about `1/L` their data term `½·(ΔW)ᵀ(AᵀA/m)(ΔW) ≤ ½·L·‖ΔW‖²` is no more
/// than half that again. When the data's own loss is tiny this bounded jitter
/// can exceed `1e8` times it without anything diverging, so the divergence
/// threshold includes it. The proximal step sets those weights exactly to 0
/// and does not jitter.
fn jitter_scale<F: Float>(
    loss: &ElasticLoss<F>,
    lr: F,
    l1_update: L1Update,
    n_weights: usize,
) -> F {
    match l1_update {
        L1Update::Proximal => F::zero(),
        L1Update::Subgradient => lr * loss.l1 * loss.l1 * F::from_usize_lossy(n_weights),
    }
}

/// Checks that the model is p × k and finite.
fn check_model<F: Float>(
    model: &LinearModel<F>,
    n_features: usize,
    n_targets: usize,
) -> Result<()> {
    if model.weight.dim() != (n_features, n_targets) {
        return Err(Error::ShapeMismatch {
            what: "model weight vs (columns of x, columns of y)",
            expected: vec![n_features, n_targets],
            found: vec![model.weight.nrows(), model.weight.ncols()],
        });
    }
    if model.bias.len() != n_targets {
        return Err(Error::ShapeMismatch {
            what: "model bias vs columns of y",
            expected: vec![n_targets],
            found: vec![model.bias.len()],
        });
    }
    check::finite("model weight", model.weight.view())?;
    check::finite_vector("model bias", model.bias.view())
}

/// One parameter update from the data gradient already in
/// `model.weight_grad` and `model.bias_grad`: adds the penalty's (smooth)
/// gradient, steps, and soft-thresholds for the proximal update.
fn update<F: Float>(model: &mut LinearModel<F>, loss: &ElasticLoss<F>, lr: F, l1_update: L1Update) {
    // ∂W += λ₂W (+ λ₁·sign(W) for the subgradient update).
    let l1 = match l1_update {
        L1Update::Proximal => F::zero(),
        L1Update::Subgradient => loss.l1,
    };
    Zip::from(&mut model.weight_grad)
        .and(&model.weight)
        .for_each(|g, &w| *g += l1 * sign(w) + loss.l2 * w);
    model.step(lr);
    if l1_update == L1Update::Proximal {
        loss.prox(&mut model.weight, lr);
    }
}

/// An upper bound on `λmax(A_BᵀA_B/b)` over every batch `B` of `b` rows of
/// `A = [x 1]`: `λmax ≤ trace/b = Σ_{i∈B}‖aᵢ‖²/b`, at most the mean of the
/// `b` largest `‖aᵢ‖²`.
fn batch_curvature_bound<F: Float>(x: ArrayView2<F>, batch: usize) -> F {
    let mut norms: Vec<F> = x.rows().into_iter().map(|r| r.dot(&r) + F::one()).collect();
    norms.sort_by(|a, b| b.partial_cmp(a).expect("validated finite"));
    norms[..batch].iter().fold(F::zero(), |acc, &v| acc + v) / F::from_usize_lossy(batch)
}

/// The Lipschitz constant of the smooth part's gradient:
/// `λmax(AᵀA/m) + λ₂` with `A = [x 1]`, by power iteration.
///
/// The Rayleigh quotient of power iteration approaches `λmax` from below, so
/// the estimate is inflated by 1% to keep `1/L` a safe step.
pub(crate) fn lipschitz<F: Float>(x: ArrayView2<F>, l2: F) -> F {
    let (n_samples, n_features) = x.dim();
    let m = F::from_usize_lossy(n_samples);
    // v = (v_w, v_b), started at all ones (orthogonal to the top
    // eigenvector only by accident).
    let mut v_w = Array1::from_elem(n_features, F::one());
    let mut v_b = F::one();
    let mut estimate = F::zero();
    for _ in 0..200 {
        let norm = (v_w.dot(&v_w) + v_b * v_b).sqrt();
        if norm == F::zero() || !norm.is_finite() {
            break;
        }
        v_w /= norm;
        v_b /= norm;
        // u = A v;  A v / m · Aᵀ = (AᵀA/m) v
        let mut u = x.dot(&v_w);
        u += v_b;
        let next_w = x.t().dot(&u) / m;
        let next_b = u.sum() / m;
        // Rayleigh quotient vᵀ(AᵀA/m)v = ‖Av‖²/m.
        let rayleigh = u.dot(&u) / m;
        let converged = (rayleigh - estimate).abs() <= F::cast(1e-6) * rayleigh;
        estimate = rayleigh;
        v_w = next_w;
        v_b = next_b;
        if converged {
            break;
        }
    }
    estimate * F::cast(1.01) + l2
}
