//! Data to learn on: the notebook's synthetic line, the bundled diabetes
//! data, and a generator of sparse regression problems.

use ndarray::{Array1, Array2, Axis};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};

use crate::Float;

/// A regression data set: `x` (m × p), `y` (m × k) and names.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<F = f64> {
    /// Features, one row per sample.
    pub x: Array2<F>,
    /// Targets, one row per sample (one column for these data sets).
    pub y: Array2<F>,
    /// One name per column of `x`.
    pub feature_names: Vec<String>,
    /// The name of the target.
    pub target_name: String,
    /// For synthetic data, the true coefficients (p × k) that generated `y`.
    pub true_coef: Option<Array2<F>>,
}

impl Dataset<f64> {
    /// The same data in another float type (`f32`, say).
    ///
    /// ```
    /// let d32 = elasticnet::datasets::diabetes().cast::<f32>();
    /// assert_eq!(d32.x.dim(), (442, 10));
    /// ```
    pub fn cast<G: Float>(&self) -> Dataset<G> {
        Dataset {
            x: self.x.mapv(G::cast),
            y: self.y.mapv(G::cast),
            feature_names: self.feature_names.clone(),
            target_name: self.target_name.clone(),
            true_coef: self.true_coef.as_ref().map(|c| c.mapv(G::cast)),
        }
    }
}

/// The true slope of [`seed_example`].
pub const SEED_WEIGHT: f64 = 2.0;
/// The true intercept of [`seed_example`].
pub const SEED_BIAS: f64 = 1.0;
/// The standard deviation of the noise in [`seed_example`].
pub const SEED_NOISE: f64 = 0.5;

/// The notebook's synthetic set: 100 points of one feature on a known line
/// plus Gaussian noise,
///
/// `y = 2·x + 1 + ε`, `x ~ U(−3, 3)`, `ε ~ N(0, 0.5²)`
///
/// ([`SEED_WEIGHT`], [`SEED_BIAS`], [`SEED_NOISE`]), drawn from `seed`.
///
/// ```
/// let d = elasticnet::datasets::seed_example(42);
/// assert_eq!(d.x.dim(), (100, 1));
/// assert_eq!(d, elasticnet::datasets::seed_example(42));
/// ```
pub fn seed_example(seed: u64) -> Dataset<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Array2::from_shape_simple_fn((100, 1), || rng.random_range(-3.0..3.0));
    let y = x
        .mapv(|v| SEED_WEIGHT * v + SEED_BIAS + SEED_NOISE * f64::sample_standard_normal(&mut rng));
    Dataset {
        x,
        y,
        feature_names: vec!["x".into()],
        target_name: "y".into(),
        true_coef: Some(Array2::from_elem((1, 1), SEED_WEIGHT)),
    }
}

/// The raw diabetes data (442 patients × 10 features, one target), bundled
/// with the crate.
///
/// Features: `age, sex, bmi, bp, s1, …, s6`, unscaled (sex is 1 or 2, s1 is
/// in the hundreds); target: a measure of disease progression one year
/// later. Source: Efron, Hastie, Johnstone and Tibshirani, "Least Angle
/// Regression", *Annals of Statistics* 32(2), 2004, as redistributed by
/// scikit-learn (`load_diabetes(scaled=False)`, BSD-3-Clause); see
/// `data/README.md`.
///
/// ```
/// let d = elasticnet::datasets::diabetes();
/// assert_eq!(d.x.dim(), (442, 10));
/// assert_eq!(d.feature_names[2], "bmi");
/// assert_eq!(d.y[[0, 0]], 151.0);
/// ```
pub fn diabetes() -> Dataset<f64> {
    const CSV: &str = include_str!("../data/diabetes.csv");
    let mut lines = CSV.lines();
    let header: Vec<String> = lines
        .next()
        .expect("bundled CSV has a header")
        .split(',')
        .map(str::to_string)
        .collect();
    let n_features = header.len() - 1;
    let mut values = Vec::with_capacity(442 * header.len());
    let mut n_rows = 0;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        values.extend(
            line.split(',')
                .map(|v| v.trim().parse::<f64>().expect("bundled CSV is numeric")),
        );
        n_rows += 1;
    }
    let all =
        Array2::from_shape_vec((n_rows, header.len()), values).expect("bundled CSV is rectangular");
    Dataset {
        x: all.slice(ndarray::s![.., ..n_features]).to_owned(),
        y: all.slice(ndarray::s![.., n_features..]).to_owned(),
        feature_names: header[..n_features].to_vec(),
        target_name: header[n_features].clone(),
        true_coef: None,
    }
}

/// A random sparse linear problem, like scikit-learn's `make_regression`:
///
/// `x_ij ~ N(0, 1)`, `y = x·w + ε`, `ε ~ N(0, noise²)`,
///
/// where `n_informative` randomly chosen features have coefficients drawn
/// from `U(1, 10)` with a random sign and the others are exactly 0 (the
/// true coefficients are in [`Dataset::true_coef`]). `n_informative` is
/// capped at `n_features`.
///
/// ```
/// let d = elasticnet::datasets::make_regression(200, 20, 5, 0.1, 7);
/// let w = d.true_coef.as_ref().unwrap();
/// assert_eq!(w.iter().filter(|&&c| c != 0.0).count(), 5);
/// ```
pub fn make_regression(
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    noise: f64,
    seed: u64,
) -> Dataset<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Array2::from_shape_simple_fn((n_samples, n_features), || {
        f64::sample_standard_normal(&mut rng)
    });
    let mut features: Vec<usize> = (0..n_features).collect();
    features.shuffle(&mut rng);
    let mut coef = Array1::zeros(n_features);
    for &j in features.iter().take(n_informative.min(n_features)) {
        let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        coef[j] = sign * rng.random_range(1.0..10.0);
    }
    let mut y = x.dot(&coef);
    y.mapv_inplace(|v| v + noise * f64::sample_standard_normal(&mut rng));
    Dataset {
        x,
        y: y.insert_axis(Axis(1)),
        feature_names: (0..n_features).map(|j| format!("x{j}")).collect(),
        target_name: "y".into(),
        true_coef: Some(coef.insert_axis(Axis(1))),
    }
}
