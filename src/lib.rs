//! # elasticnet
//!
//! Regularized linear regression — ordinary least squares, Ridge (L2),
//! Lasso (L1) and the elastic net (both) — on [`ndarray`].
//!
//! ## The objective
//!
//! For data `x` (m × p), targets `y` (m × k), weights `W` (p × k) and bias
//! `b` (k), everything in this crate minimises or evaluates one function:
//!
//! $$L(W,b)=\frac{1}{2m}\sum_{i=1}^m\lVert y_i-(x_iW+b)\rVert^2+\lambda_1\sum_{j,l}\lvert W_{jl}\rvert+\frac{\lambda_2}{2}\sum_{j,l}W_{jl}^2$$
//!
//! ```text
//! L(W, b) = 1/(2m)·Σᵢ‖yᵢ − (xᵢW + b)‖² + λ₁·Σ|W| + λ₂/2·ΣW²
//! ```
//!
//! The bias is never penalised, and each output column is an independent
//! problem. In the scikit-learn / glmnet parameterisation,
//! `λ₁ = alpha·l1_ratio` and `λ₂ = alpha·(1 − l1_ratio)`.
//! Formulas use `m, p, k`; code says `n_samples`, `n_features`, `n_targets`.
//!
//! ## Two ways in
//!
//! * **Learning the mechanics**: a [`LinearModel`] with
//!   [`forward`](LinearModel::forward) / [`backward`](LinearModel::backward) /
//!   [`step`](LinearModel::step), an [`ElasticLoss`] that gives the loss and
//!   its gradients, and [`train`], the epoch loop of the seed notebook.
//!
//! ```
//! use elasticnet::{ElasticLoss, LinearModel, TrainConfig, datasets, train};
//!
//! let data = datasets::seed_example(0); // y = 2x + 1 + noise
//! let mut model = LinearModel::zeros(1, 1);
//! let loss = ElasticLoss::new(0.0, 0.0)?;
//! let config = TrainConfig { epochs: 500, ..TrainConfig::default() };
//! train(&mut model, &loss, data.x.view(), data.y.view(), &config)?;
//! assert!((model.weight[[0, 0]] - 2.0).abs() < 0.1);
//! assert!((model.bias[0] - 1.0).abs() < 0.2);
//! # Ok::<(), elasticnet::Error>(())
//! ```
//!
//! ## Feature flags
//!
//! * `plot` (default): SVG plots through `plotters`, no system libraries.
//! * `rayon`: parallel cross-validation folds, multi-output fits and
//!   Gram passes over tall data (bit-identical to the serial run).
//! * `serde`: `Serialize` / `Deserialize` for models, losses, scalers and fits.
//! * `cli`: the `elasticnet` command line for CSV files (implies `serde`).
#![warn(missing_docs)]
#![warn(rustdoc::broken_intra_doc_links)]

mod check;
mod cv;
pub mod datasets;
mod error;
mod estimator;
mod float;
mod loss;
pub mod metrics;
mod model;
mod narrow_rows;
mod path;
#[cfg(feature = "plot")]
pub mod plot;
mod scale;
mod solver;
mod stream;
mod train;

pub use cv::{CvFit, ElasticNetCv, RelaxedCv};
/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use error::{Error, Result};
pub use estimator::{ElasticNet, Fit};
pub use float::Float;
pub use loss::ElasticLoss;
pub use model::LinearModel;
pub use path::{ElasticNetPath, Path, RIDGE_GRID_L1_RATIO, RelaxedPath};
pub use scale::StandardScaler;
pub use solver::Solver;
pub use stream::{
    ColumnStats, Evaluation, StreamConfig, evaluate_batches, train_batches, train_batches_with,
};
pub use train::{L1Update, LearningRate, TrainConfig, TrainReport, train, train_with};
