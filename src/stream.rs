//! Out-of-core training: [`train_batches`] runs proximal mini-batch SGD on
//! batches that a caller produces (from a file read in chunks, say), so
//! that only one batch need be in memory; [`ColumnStats`] computes the
//! standardization in one streaming pass; [`evaluate_batches`] measures a
//! model's objective, duality gap and R² in another.
//!
//! An epoch is one pass over the data, and data on disk must be read again
//! for each pass. So the batches come from a *factory*: a closure called
//! once per epoch (with the epoch, counted from 0) that returns a fresh
//! iterator of `Result<(x, y), E>` items. The error type `E` is the
//! caller's: a reader's own errors (a malformed line, say) pass through
//! unchanged, and this module's errors are converted into it with
//! `From<Error>` (`E = Error` works as it is).
//!
//! ```
//! use elasticnet::{ElasticLoss, Error, LinearModel, StreamConfig, datasets, train_batches};
//! use ndarray::{Array2, Axis};
//!
//! let d = datasets::make_regression(2_000, 5, 3, 0.1, 0);
//! // Batches of 100 rows; a reader of a file would yield them the same way.
//! let batches = |_epoch: usize| -> Result<_, Error> {
//!     Ok((0..20).map(|i| {
//!         let rows: Vec<usize> = (i * 100..(i + 1) * 100).collect();
//!         Ok((d.x.select(Axis(0), &rows), d.y.select(Axis(0), &rows)))
//!     }))
//! };
//! let mut model = LinearModel::zeros(5, 1);
//! let loss = ElasticLoss::from_alpha(0.01, 0.5)?;
//! let report = train_batches(&mut model, &loss, batches, &StreamConfig::default())?;
//! assert_eq!(report.epochs_run, 10);
//! assert!(report.losses[9] < report.losses[0]);
//! # Ok::<(), elasticnet::Error>(())
//! ```

use std::ops::ControlFlow;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};

use crate::loss::sign;
use crate::solver::Penalty;
use crate::solver::features::FeaturePenalty;
use crate::solver::gap::duality_gap;
use crate::solver::problem::Residual;
use crate::{
    ElasticLoss, Error, Float, L1Update, LearningRate, LinearModel, Result, StandardScaler,
    TrainReport, check,
};

/// Settings of [`train_batches`] (and of [`evaluate_batches`], which reads
/// `fit_intercept` and `positive`). Build with struct-update syntax over
/// [`Default`]; [`train_batches`] validates them.
///
/// Unlike [`TrainConfig`](crate::TrainConfig) there is no batch size and no
/// shuffling seed: the batches, their size and their order are the
/// caller's.
///
/// | field | default | range |
/// |-------|---------|-------|
/// | `epochs` | `10` | `[1, inf)` |
/// | `learning_rate` | [`LearningRate::Auto`] | `Constant(lr)` with `lr` in `(0, inf)` |
/// | `l1_update` | [`L1Update::Proximal`] | either |
/// | `fit_intercept` | `true` | |
/// | `positive` | `false` | |
/// | `tol` | `None` (run every epoch) | `Some(t)` with `t` in `(0, inf)` |
///
/// ```
/// use elasticnet::{LearningRate, StreamConfig};
/// let config = StreamConfig { epochs: 3, learning_rate: LearningRate::Constant(0.01),
///                             ..StreamConfig::default() };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig<F = f64> {
    /// Number of passes over the data (calls of the batch factory).
    pub epochs: usize,
    /// Step size. [`LearningRate::Auto`] is, at each step, `1/(c + λ₂)`
    /// with `c` the largest curvature bound `Σᵢ‖aᵢ‖²/b` of the batches
    /// seen so far (`aᵢ = (xᵢ, 1)` with an intercept, `xᵢ` without; `b` the
    /// batch's rows). It bounds `λmax(A_BᵀA_B/b)`, so every step is a
    /// descent step on the batch it is taken on; the step only shrinks as
    /// more curved batches appear. On standardized data `c ≈ p + 1`.
    pub learning_rate: LearningRate<F>,
    /// How the L1 term is handled (proximal, with exact zeros, by default).
    pub l1_update: L1Update,
    /// Learn the bias (default `true`). Without it the bias keeps its value
    /// (zero for a model from [`LinearModel::zeros`]).
    pub fit_intercept: bool,
    /// Constrain every weight to be `≥ 0` (default `false`): after each
    /// step, negative weights are set to 0 (the proximal step of the
    /// constraint).
    pub positive: bool,
    /// Stop early once `|L_t − L_{t−1}| ≤ tol·|L_{t−1}|` between the
    /// losses of consecutive epochs (see [`train_batches`] for what the
    /// loss of an epoch is).
    pub tol: Option<F>,
}

impl<F: Float> Default for StreamConfig<F> {
    fn default() -> Self {
        Self {
            epochs: 10,
            learning_rate: LearningRate::Auto,
            l1_update: L1Update::Proximal,
            fit_intercept: true,
            positive: false,
            tol: None,
        }
    }
}

impl<F: Float> StreamConfig<F> {
    /// Checks every field against the table on [`StreamConfig`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming `epochs`, `learning_rate` or `tol`.
    ///
    /// ```
    /// use elasticnet::{Error, StreamConfig};
    /// let bad = StreamConfig::<f64> { epochs: 0, ..StreamConfig::default() };
    /// assert!(matches!(bad.validate(), Err(Error::InvalidParameter { name: "epochs", .. })));
    /// ```
    pub fn validate(&self) -> Result<()> {
        check::at_least_one("epochs", self.epochs)?;
        if let LearningRate::Constant(lr) = self.learning_rate {
            check::positive("learning_rate", lr)?;
        }
        if let Some(tol) = self.tol {
            check::positive("tol", tol)?;
        }
        Ok(())
    }
}

/// Trains `model` by proximal mini-batch SGD on the batches that
/// `batches(epoch)` yields, one step per batch, for
/// [`epochs`](StreamConfig::epochs) epochs.
///
/// Each step is [`train`](crate::train)'s, on one batch `(x_B, y_B)` of
/// `b` rows:
///
/// ```text
/// G  = (x_B·W + b − y_B)/b
/// W ← W − lr·(x_BᵀG + λ₂W),  b ← b − lr·ΣᵢGᵢ   (b fixed without fit_intercept)
/// W ← sign(W)·max(|W| − lr·λ₁, 0)              (then max(W, 0) if positive)
/// ```
///
/// Only the current batch is held, so memory is bounded by the batch size
/// whatever the size of the data. The order of rows is the caller's:
/// rows sorted by the target make poor batches, so shuffle what can be
/// shuffled (a buffer of rows, say) before cutting batches.
///
/// **The loss of an epoch** (`report.losses[e]`) is computed without a
/// second pass: each row's squared error is taken at the weights just
/// before the step on its batch (a progressive, held-out-like estimate),
/// averaged over the epoch's rows, plus the penalty at the end of the
/// epoch. Use [`evaluate_batches`] for the exact objective of the final
/// model (and its duality gap). `report.learning_rate` is the last step
/// size used.
///
/// # Errors
///
/// * the factory's or the batches' own errors, unchanged;
/// * [`Error::InvalidParameter`] for a bad [`StreamConfig`] or penalty;
/// * [`Error::ShapeMismatch`] for a batch whose `x` does not have the
///   model's `p` columns, whose `y` does not have its `k` columns, or whose
///   `x` and `y` differ in rows (and for a model whose bias does not match
///   its weight);
/// * [`Error::NonFinite`] for NaN or infinity in a batch (`row` counts
///   within the batch) or in the model;
/// * [`Error::EmptyInput`] for a model with no features or an epoch with
///   no rows (batches with no rows are skipped);
/// * [`Error::Diverged`] when a batch's loss or the weights stop being
///   finite, or a batch's loss exceeds `1e8` times the larger of the first
///   batch's loss and that batch's loss under the all-zero model.
///
/// After any error the model holds the weights it had at the start of the
/// epoch that failed.
///
/// ```
/// use elasticnet::{ElasticLoss, Error, LinearModel, StreamConfig, train_batches};
/// use ndarray::array;
///
/// // y = 3x − 1, in two batches.
/// let parts = [(array![[0.0], [1.0]], array![[-1.0], [2.0]]),
///              (array![[2.0], [3.0]], array![[5.0], [8.0]])];
/// let mut model = LinearModel::<f64>::zeros(1, 1);
/// let config = StreamConfig { epochs: 2000, ..StreamConfig::default() };
/// train_batches(&mut model, &ElasticLoss::new(0.0, 0.0)?,
///     |_| Ok::<_, Error>(parts.iter().cloned().map(Ok)), &config)?;
/// assert!((model.weight[[0, 0]] - 3.0).abs() < 1e-3);
/// assert!((model.bias[0] + 1.0).abs() < 1e-3);
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn train_batches<F, E, S, I>(
    model: &mut LinearModel<F>,
    loss: &ElasticLoss<F>,
    batches: S,
    config: &StreamConfig<F>,
) -> std::result::Result<TrainReport<F>, E>
where
    F: Float,
    E: From<Error>,
    S: FnMut(usize) -> std::result::Result<I, E>,
    I: IntoIterator<Item = std::result::Result<(Array2<F>, Array2<F>), E>>,
{
    train_batches_with(model, loss, batches, config, |_, _, _| {
        ControlFlow::Continue(())
    })
}

/// [`train_batches`] with a callback run after every epoch with the epoch
/// (from 0), the model and the epoch's loss. Returning
/// [`ControlFlow::Break`] stops training.
///
/// # Errors
///
/// As [`train_batches`].
///
/// ```
/// use std::ops::ControlFlow;
/// use elasticnet::{ElasticLoss, Error, LinearModel, StreamConfig, train_batches_with};
/// use ndarray::array;
///
/// let batch = (array![[1.0], [2.0]], array![[2.0], [4.0]]);
/// let mut model = LinearModel::zeros(1, 1);
/// let mut seen = Vec::new();
/// let report = train_batches_with(&mut model, &ElasticLoss::new(0.0, 0.0)?,
///     |_| Ok::<_, Error>(std::iter::once(Ok(batch.clone()))),
///     &StreamConfig { epochs: 100, ..StreamConfig::default() },
///     |epoch, _, loss| {
///         seen.push(loss);
///         if epoch == 4 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
///     })?;
/// assert_eq!(report.epochs_run, 5);
/// assert_eq!(seen, report.losses);
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn train_batches_with<F, E, S, I, C>(
    model: &mut LinearModel<F>,
    loss: &ElasticLoss<F>,
    mut batches: S,
    config: &StreamConfig<F>,
    mut callback: C,
) -> std::result::Result<TrainReport<F>, E>
where
    F: Float,
    E: From<Error>,
    S: FnMut(usize) -> std::result::Result<I, E>,
    I: IntoIterator<Item = std::result::Result<(Array2<F>, Array2<F>), E>>,
    C: FnMut(usize, &LinearModel<F>, F) -> ControlFlow<()>,
{
    loss.validate()?;
    config.validate()?;
    check_model(model)?;

    let mut state = SgdState {
        lr: match config.learning_rate {
            LearningRate::Constant(lr) => lr,
            LearningRate::Auto => F::zero(),
        },
        curvature: F::zero(),
        blow_up: None,
    };
    let mut report = TrainReport {
        losses: Vec::with_capacity(config.epochs),
        epochs_run: 0,
        converged: false,
        learning_rate: state.lr,
    };
    let mut previous: Option<F> = None;
    for epoch in 0..config.epochs {
        let snapshot = (model.weight.clone(), model.bias.clone());
        let outcome = batches(epoch)
            .and_then(|iter| run_epoch(model, loss, config, &mut state, epoch, iter.into_iter()));
        let next = match outcome {
            Ok(next) => next,
            Err(e) => {
                model.weight = snapshot.0;
                model.bias = snapshot.1;
                return Err(e);
            }
        };
        report.losses.push(next);
        report.epochs_run = epoch + 1;
        report.learning_rate = state.lr;
        if let (Some(tol), Some(prev)) = (config.tol, previous)
            && (next - prev).abs() <= tol * prev.abs()
        {
            report.converged = true;
        }
        previous = Some(next);
        let stop = callback(epoch, model, next).is_break();
        if report.converged || stop {
            break;
        }
    }
    Ok(report)
}

/// What the SGD loop carries from batch to batch.
struct SgdState<F> {
    /// The current step size.
    lr: F,
    /// The largest batch curvature bound seen (for `LearningRate::Auto`).
    curvature: F,
    /// The batch loss beyond which training has diverged (set by the first
    /// batch).
    blow_up: Option<F>,
}

/// One epoch of steps; returns the epoch's progressive loss.
fn run_epoch<F, E, I>(
    model: &mut LinearModel<F>,
    loss: &ElasticLoss<F>,
    config: &StreamConfig<F>,
    state: &mut SgdState<F>,
    epoch: usize,
    batches: I,
) -> std::result::Result<F, E>
where
    F: Float,
    E: From<Error>,
    I: Iterator<Item = std::result::Result<(Array2<F>, Array2<F>), E>>,
{
    let half = F::cast(0.5);
    let mut squared_error = F::zero();
    let mut n_rows = 0usize;
    for item in batches {
        let (x, y) = item?;
        if check_batch(model, x.view(), y.view())? {
            continue;
        }
        let b = F::from_usize_lossy(x.nrows());
        if config.learning_rate == LearningRate::Auto {
            let intercept = if config.fit_intercept {
                F::one()
            } else {
                F::zero()
            };
            let c = x.iter().fold(F::zero(), |acc, &v| acc + v * v) / b + intercept;
            if c > state.curvature || state.lr == F::zero() {
                state.curvature = state.curvature.max(c);
                state.lr = F::one() / (state.curvature + loss.l2).max(F::epsilon());
            }
        }
        // upstream ← (x·W + b − y)/b, and the batch's squared error.
        let mut upstream = model.forward(x.view());
        let mut sq = F::zero();
        Zip::from(&mut upstream).and(&y).for_each(|u, &t| {
            let r = *u - t;
            sq += r * r;
            *u = r / b;
        });
        let batch_loss = half * sq / b;
        let blow_up = *state.blow_up.get_or_insert_with(|| {
            let zero_model = half * y.iter().fold(F::zero(), |acc, &v| acc + v * v) / b;
            F::cast(1e8) * batch_loss.max(zero_model).max(F::epsilon())
        });
        if !batch_loss.is_finite() || batch_loss > blow_up {
            return Err(Error::Diverged {
                epoch,
                loss: batch_loss.to_f64(),
            }
            .into());
        }
        squared_error += sq;
        n_rows += x.nrows();
        step(model, loss, config, x.view(), upstream.view(), state.lr);
        if !model.is_finite() {
            return Err(Error::Diverged {
                epoch,
                loss: f64::NAN,
            }
            .into());
        }
    }
    if n_rows == 0 {
        return Err(Error::EmptyInput { what: "batches" }.into());
    }
    let value =
        half * squared_error / F::from_usize_lossy(n_rows) + loss.penalty(model.weight.view());
    if !value.is_finite() {
        return Err(Error::Diverged {
            epoch,
            loss: value.to_f64(),
        }
        .into());
    }
    Ok(value)
}

/// One proximal (or subgradient) step from the upstream gradient of a batch.
fn step<F: Float>(
    model: &mut LinearModel<F>,
    loss: &ElasticLoss<F>,
    config: &StreamConfig<F>,
    x: ArrayView2<F>,
    upstream: ArrayView2<F>,
    lr: F,
) {
    model.backward(x, upstream);
    if !config.fit_intercept {
        model.bias_grad.fill(F::zero());
    }
    let l1 = match config.l1_update {
        L1Update::Proximal => F::zero(),
        L1Update::Subgradient => loss.l1,
    };
    Zip::from(&mut model.weight_grad)
        .and(&model.weight)
        .for_each(|g, &w| *g += l1 * sign(w) + loss.l2 * w);
    model.step(lr);
    if config.l1_update == L1Update::Proximal {
        loss.prox(&mut model.weight, lr);
    }
    if config.positive {
        model.weight.mapv_inplace(|w| w.max(F::zero()));
    }
}

/// The model has features, a bias that matches its weight, and finite
/// parameters.
fn check_model<F: Float>(model: &LinearModel<F>) -> Result<()> {
    if model.n_features() == 0 || model.n_targets() == 0 {
        return Err(Error::EmptyInput { what: "model" });
    }
    if model.bias.len() != model.n_targets() {
        return Err(Error::ShapeMismatch {
            what: "model bias vs columns of its weight",
            expected: vec![model.n_targets()],
            found: vec![model.bias.len()],
        });
    }
    check::finite("model weight", model.weight.view())?;
    check::finite_vector("model bias", model.bias.view())
}

/// Checks one batch against the model; `Ok(true)` for a batch with no rows
/// (to be skipped).
fn check_batch<F: Float>(
    model: &LinearModel<F>,
    x: ArrayView2<F>,
    y: ArrayView2<F>,
) -> Result<bool> {
    if x.ncols() != model.n_features() {
        return Err(Error::ShapeMismatch {
            what: "columns of a batch's x vs features of the model",
            expected: vec![x.nrows(), model.n_features()],
            found: vec![x.nrows(), x.ncols()],
        });
    }
    if y.ncols() != model.n_targets() {
        return Err(Error::ShapeMismatch {
            what: "columns of a batch's y vs outputs of the model",
            expected: vec![y.nrows(), model.n_targets()],
            found: vec![y.nrows(), y.ncols()],
        });
    }
    check::same_rows(x, y)?;
    if x.nrows() == 0 {
        return Ok(true);
    }
    check::finite("batch x", x)?;
    check::finite("batch y", y)?;
    Ok(false)
}

/// Column means and variances accumulated over chunks of rows, for
/// standardizing data that do not fit in memory.
///
/// Each chunk's moments are computed in two passes and merged with the
/// running ones by Chan, Golub and LeVeque's pairwise update, which is as
/// accurate as two passes over all the data. [`scaler`](Self::scaler)
/// applies the crate's standardization rule (see
/// [`StandardScaler`]): with centring, the population standard deviation;
/// without, the root mean square; a column whose scale is at most
/// `1e-10·max|x_j|` keeps scale 1. A constant column's mean is its value,
/// exactly.
///
/// ```
/// use elasticnet::{ColumnStats, StandardScaler};
/// use ndarray::{array, s};
///
/// let x = array![[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [6.0, 10.0]];
/// let mut stats = ColumnStats::<f64>::new(2);
/// stats.update(x.slice(s![..3, ..]))?; // two chunks
/// stats.update(x.slice(s![3.., ..]))?;
/// assert_eq!(stats.n_samples(), 4);
/// let scaler = stats.scaler(true)?;
/// let whole = StandardScaler::fit(x.view())?;
/// assert!((scaler.scale[0] - whole.scale[0]).abs() < 1e-12);
/// assert_eq!(scaler.mean[1], 10.0);
/// assert_eq!(scaler.scale[1], 1.0); // constant
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStats<F = f64> {
    n_samples: usize,
    mean: Array1<F>,
    /// `Σᵢ (x_ij − μ_j)²`.
    m2: Array1<F>,
    max_abs: Array1<F>,
}

impl<F: Float> ColumnStats<F> {
    /// Empty statistics for `n_columns` columns.
    ///
    /// ```
    /// let stats = elasticnet::ColumnStats::<f64>::new(3);
    /// assert_eq!(stats.n_samples(), 0);
    /// ```
    pub fn new(n_columns: usize) -> Self {
        Self {
            n_samples: 0,
            mean: Array1::zeros(n_columns),
            m2: Array1::zeros(n_columns),
            max_abs: Array1::zeros(n_columns),
        }
    }

    /// Adds the rows of `chunk` (any number of rows, the statistics'
    /// columns).
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] for a different number of columns,
    /// [`Error::NonFinite`] for NaN or infinity (`row` counts within the
    /// chunk). Nothing is added then.
    ///
    /// ```
    /// use ndarray::array;
    /// let mut stats = elasticnet::ColumnStats::new(1);
    /// stats.update(array![[1.0], [3.0]].view())?;
    /// assert_eq!(stats.mean()[0], 2.0);
    /// assert!(stats.update(array![[1.0, 2.0]].view()).is_err());
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn update(&mut self, chunk: ArrayView2<F>) -> Result<()> {
        if chunk.ncols() != self.mean.len() {
            return Err(Error::ShapeMismatch {
                what: "columns of a chunk vs columns of the statistics",
                expected: vec![chunk.nrows(), self.mean.len()],
                found: vec![chunk.nrows(), chunk.ncols()],
            });
        }
        if chunk.nrows() == 0 {
            return Ok(());
        }
        check::finite("chunk", chunk)?;
        let (n_b, mean_b, m2_b) = chunk_moments(chunk);
        let n_a = F::from_usize_lossy(self.n_samples);
        let n = n_a + n_b;
        Zip::from(&mut self.mean)
            .and(&mut self.m2)
            .and(&mean_b)
            .and(&m2_b)
            .for_each(|mean, m2, &mb, &m2b| {
                let delta = mb - *mean;
                *mean += delta * (n_b / n);
                *m2 += m2b + delta * delta * (n_a * n_b / n);
            });
        for row in chunk.rows() {
            Zip::from(&mut self.max_abs)
                .and(&row)
                .for_each(|a, &v| *a = a.max(v.abs()));
        }
        self.n_samples += chunk.nrows();
        Ok(())
    }

    /// Rows seen so far.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// The column means (zeros before any row).
    pub fn mean(&self) -> ArrayView1<'_, F> {
        self.mean.view()
    }

    /// The population variances `Σᵢ(x_ij − μ_j)²/m` (zeros before any row).
    ///
    /// ```
    /// use ndarray::array;
    /// let mut stats = elasticnet::ColumnStats::new(1);
    /// stats.update(array![[1.0], [3.0]].view())?;
    /// assert_eq!(stats.variance()[0], 1.0);
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn variance(&self) -> Array1<F> {
        let m = F::from_usize_lossy(self.n_samples.max(1));
        self.m2.mapv(|s| s / m)
    }

    /// The scaler that standardization uses: with `center`, the means and
    /// population standard deviations (what [`StandardScaler::fit`] gives
    /// on all the rows); without, zero means and root mean squares. A
    /// constant column keeps scale 1.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyInput`] before any row.
    ///
    /// ```
    /// use ndarray::array;
    /// let mut stats = elasticnet::ColumnStats::new(1);
    /// stats.update(array![[3.0], [4.0]].view())?;
    /// let rms = stats.scaler(false)?;
    /// assert_eq!(rms.mean[0], 0.0);
    /// assert!((rms.scale[0] - 12.5_f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn scaler(&self, center: bool) -> Result<StandardScaler<F>> {
        if self.n_samples == 0 {
            return Err(Error::EmptyInput { what: "x" });
        }
        let variance = self.variance();
        let (mean, second) = if center {
            (self.mean.clone(), variance)
        } else {
            let raw = Zip::from(&variance)
                .and(&self.mean)
                .map_collect(|&v, &mu| v + mu * mu);
            (Array1::zeros(self.mean.len()), raw)
        };
        let scale = Zip::from(&second).and(&self.max_abs).map_collect(|&s, &a| {
            let sd = s.sqrt();
            if sd <= F::cast(1e-10) * a {
                F::one()
            } else {
                sd
            }
        });
        Ok(StandardScaler { mean, scale })
    }
}

/// `(n, means, Σ(x − mean)²)` of one chunk, by the corrected two-pass
/// formulas (a constant column gets its value back as its mean, exactly).
fn chunk_moments<F: Float>(x: ArrayView2<F>) -> (F, Array1<F>, Array1<F>) {
    let n = F::from_usize_lossy(x.nrows());
    let mut mean = x.sum_axis(Axis(0)) / n;
    let mut dev = Array1::<F>::zeros(x.ncols());
    let mut sq = Array1::<F>::zeros(x.ncols());
    for row in x.rows() {
        Zip::from(&mut dev)
            .and(&mut sq)
            .and(&row)
            .and(&mean)
            .for_each(|e, s, &v, &mu| {
                let d = v - mu;
                *e += d;
                *s += d * d;
            });
    }
    Zip::from(&mut mean)
        .and(&mut sq)
        .and(&dev)
        .for_each(|mu, s, &e| {
            *mu += e / n;
            *s = (*s - e * e / n).max(F::zero());
        });
    (n, mean, sq)
}

/// How well a model fits data that were read in batches: the result of
/// [`evaluate_batches`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation<F = f64> {
    /// Rows seen.
    pub n_samples: usize,
    /// The objective `L` of the model on all the rows (summed over output
    /// columns, as [`Fit::objective`](crate::Fit::objective)).
    pub objective: F,
    /// An upper bound on `objective − min L` (summed over output columns,
    /// in the units of `L`, as [`Fit::duality_gap`](crate::Fit::duality_gap)):
    /// the duality gap at the model's weights, plus, with an intercept, what
    /// a better bias would gain.
    pub duality_gap: F,
    /// Mean squared error over every entry, as [`metrics::mse`](crate::metrics::mse).
    pub mse: F,
    /// R² averaged over output columns, as [`metrics::r2`](crate::metrics::r2).
    pub r2: F,
}

/// Evaluates `model` on the batches of `batches` in one pass: its objective
/// under `loss`, a duality gap that bounds its distance to the optimum,
/// its MSE and R². Reads `fit_intercept` and `positive` from `config`
/// (the problem the gap certifies), nothing else.
///
/// The sums are accumulated batch by batch with pairwise (Chan) updates of
/// centred co-moments, so the result matches a computation on all the rows
/// at once to rounding, and memory stays at `O(p·k)`.
///
/// # Errors
///
/// The batches' own errors, unchanged; [`Error::ShapeMismatch`],
/// [`Error::NonFinite`], [`Error::EmptyInput`] as [`train_batches`]
/// (an evaluation with no rows is [`Error::EmptyInput`]);
/// [`Error::InvalidParameter`] for a bad penalty.
///
/// ```
/// use elasticnet::{ElasticNet, ElasticLoss, Error, StreamConfig, datasets, evaluate_batches};
/// use ndarray::Axis;
///
/// let d = datasets::diabetes();
/// let fit = ElasticNet::new(0.5, 0.5).tol(1e-10).fit(d.x.view(), d.y.view())?;
/// let chunks = (0..5).map(|i| {
///     let rows: Vec<usize> = (i * 100..((i + 1) * 100).min(442)).collect();
///     Ok::<_, Error>((d.x.select(Axis(0), &rows), d.y.select(Axis(0), &rows)))
/// });
/// let eval = evaluate_batches(&fit.model, &ElasticLoss::from_alpha(0.5, 0.5)?,
///                             chunks, &StreamConfig::default())?;
/// assert_eq!(eval.n_samples, 442);
/// assert!((eval.objective - fit.objective).abs() < 1e-8 * fit.objective);
/// assert!(eval.duality_gap < 1e-6 * fit.objective);
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn evaluate_batches<F, E, I>(
    model: &LinearModel<F>,
    loss: &ElasticLoss<F>,
    batches: I,
    config: &StreamConfig<F>,
) -> std::result::Result<Evaluation<F>, E>
where
    F: Float,
    E: From<Error>,
    I: IntoIterator<Item = std::result::Result<(Array2<F>, Array2<F>), E>>,
{
    loss.validate()?;
    check_model(model)?;
    let (p, k) = model.weight.dim();
    let mut acc = CoMoments::new(p, k);
    for item in batches {
        let (x, y) = item?;
        if check_batch(model, x.view(), y.view())? {
            continue;
        }
        let residual = &y - &model.forward(x.view());
        acc.update(x.view(), y.view(), residual.view());
    }
    if acc.n == 0 {
        return Err(Error::EmptyInput { what: "batches" }.into());
    }
    Ok(acc.finish(model, loss, config))
}

/// Centred sums over the rows seen: means of `x`, `y`, `r = y − ŷ`, and the
/// co-moments `Σ(x − x̄)(r − r̄)` (p × k), `Σ(r − r̄)²`, `Σ(y − ȳ)(r − r̄)`,
/// `Σ(y − ȳ)²` (k each).
struct CoMoments<F> {
    n: usize,
    x_mean: Array1<F>,
    y_mean: Array1<F>,
    r_mean: Array1<F>,
    xr: Array2<F>,
    rr: Array1<F>,
    yr: Array1<F>,
    yy: Array1<F>,
}

impl<F: Float> CoMoments<F> {
    fn new(p: usize, k: usize) -> Self {
        Self {
            n: 0,
            x_mean: Array1::zeros(p),
            y_mean: Array1::zeros(k),
            r_mean: Array1::zeros(k),
            xr: Array2::zeros((p, k)),
            rr: Array1::zeros(k),
            yr: Array1::zeros(k),
            yy: Array1::zeros(k),
        }
    }

    /// Merges one batch (Chan et al.'s pairwise update of co-moments).
    fn update(&mut self, x: ArrayView2<F>, y: ArrayView2<F>, r: ArrayView2<F>) {
        let n_b = F::from_usize_lossy(x.nrows());
        let xm = x.mean_axis(Axis(0)).expect("non-empty batch");
        let ym = y.mean_axis(Axis(0)).expect("non-empty batch");
        let rm = r.mean_axis(Axis(0)).expect("non-empty batch");
        let xc = &x - &xm;
        let yc = &y - &ym;
        let rc = &r - &rm;
        let xr_b = xc.t().dot(&rc);
        let rr_b = (&rc * &rc).sum_axis(Axis(0));
        let yr_b = (&yc * &rc).sum_axis(Axis(0));
        let yy_b = (&yc * &yc).sum_axis(Axis(0));

        let n_a = F::from_usize_lossy(self.n);
        let n = n_a + n_b;
        let w = n_a * n_b / n;
        let dx = &xm - &self.x_mean;
        let dy = &ym - &self.y_mean;
        let dr = &rm - &self.r_mean;
        for ((j, l), v) in self.xr.indexed_iter_mut() {
            *v += xr_b[[j, l]] + dx[j] * dr[l] * w;
        }
        for l in 0..self.rr.len() {
            self.rr[l] += rr_b[l] + dr[l] * dr[l] * w;
            self.yr[l] += yr_b[l] + dy[l] * dr[l] * w;
            self.yy[l] += yy_b[l] + dy[l] * dy[l] * w;
        }
        self.x_mean.scaled_add(n_b / n, &dx);
        self.y_mean.scaled_add(n_b / n, &dy);
        self.r_mean.scaled_add(n_b / n, &dr);
        self.n += x.nrows();
    }

    fn finish(
        &self,
        model: &LinearModel<F>,
        loss: &ElasticLoss<F>,
        config: &StreamConfig<F>,
    ) -> Evaluation<F> {
        let half = F::cast(0.5);
        let m = F::from_usize_lossy(self.n);
        let features = FeaturePenalty::uniform(model.n_features(), config.positive);
        let pen = Penalty {
            l1_reg: m * loss.l1,
            l2_reg: m * loss.l2,
            features: &features,
        };
        let (mut sq_total, mut gap_total, mut r2_total) = (F::zero(), F::zero(), F::zero());
        for l in 0..model.n_targets() {
            let rbar = self.r_mean[l];
            // Σr² = Σ(r − r̄)² + m·r̄².
            let sq = self.rr[l] + m * rbar * rbar;
            sq_total += sq;
            let w = model.weight.column(l);
            let gap = if config.fit_intercept {
                // The gap of the problem with the best bias for these
                // weights, plus what that bias would gain: ½·m·r̄².
                let residual = Residual {
                    z: self.xr.column(l).to_owned(),
                    r_norm2: self.rr[l],
                    y_dot_r: self.yr[l],
                    r: None,
                    slack: F::zero(),
                };
                duality_gap(w, &residual, &pen, None) + half * m * rbar * rbar
            } else {
                let residual = Residual {
                    z: &self.xr.column(l) + &(&self.x_mean * (m * rbar)),
                    r_norm2: sq,
                    y_dot_r: self.yr[l] + m * self.y_mean[l] * rbar,
                    r: None,
                    slack: F::zero(),
                };
                duality_gap(w, &residual, &pen, None)
            };
            gap_total += gap;
            // R² as metrics::r2, a constant column included.
            r2_total += if self.yy[l] > F::zero() {
                F::one() - sq / self.yy[l]
            } else if sq == F::zero() {
                F::one()
            } else {
                F::zero()
            };
        }
        let k = F::from_usize_lossy(model.n_targets());
        Evaluation {
            n_samples: self.n,
            objective: half * sq_total / m + loss.penalty(model.weight.view()),
            duality_gap: gap_total / m,
            mse: sq_total / (m * k),
            r2: r2_total / k,
        }
    }
}
