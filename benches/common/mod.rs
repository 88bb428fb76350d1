//! What the criterion benches share: settings and the benchmark problem.
#![allow(dead_code)]

use std::time::Duration;

use criterion::Criterion;
use elasticnet::datasets::{self, Dataset};
use ndarray::Axis;

/// Correlation between neighbouring columns of the benchmark problems.
pub const RHO: f64 = 0.5;
/// Standard deviation of the noise on `y`.
pub const NOISE: f64 = 5.0;

/// Settings shared by the fit, path and CV benches: 10 samples of a slow
/// routine and short target times.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// A sparse linear problem with correlated columns: [`datasets::make_regression`]'s
/// Gaussian `x`, `n_informative` true coefficients and noise, with each
/// column then replaced by `x_j + rho·x_{j−1}` (the previous column already
/// replaced), so that `corr(x_j, x_{j−1}) ≈ rho`; `y` is recomputed from the
/// new `x` with the same coefficients and noise.
pub fn correlated_regression(
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    seed: u64,
) -> Dataset<f64> {
    let mut data = datasets::make_regression(n_samples, n_features, n_informative, NOISE, seed);
    let coef = data.true_coef.clone().expect("synthetic data");
    let noise = &data.y - &data.x.dot(&coef);
    for j in 1..n_features {
        let (before, mut after) = data.x.view_mut().split_at(Axis(1), j);
        after.column_mut(0).scaled_add(RHO, &before.column(j - 1));
    }
    data.y = data.x.dot(&coef) + noise;
    data
}
