//! Around the model: [`StandardScaler`], [`metrics`], [`datasets`], and the
//! auto traits of the public types. Expected values are computed by hand or
//! by code in this file.

use elasticnet::{
    ElasticLoss, Error, L1Update, LearningRate, LinearModel, StandardScaler, TrainConfig,
    TrainReport, datasets, metrics,
};
use ndarray::{Array2, Axis, array};
use rand::{Rng, SeedableRng, rngs::StdRng};

// --- StandardScaler --------------------------------------------------------

fn scaler_data() -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(17);
    let mut x = Array2::from_shape_simple_fn((25, 4), || rng.random_range(-5.0..5.0));
    // very different scales and offsets per column, and one constant column
    x.column_mut(0).mapv_inplace(|v| 1000.0 + 300.0 * v);
    x.column_mut(1).mapv_inplace(|v| 1e-3 * v);
    x.column_mut(3).fill(7.25);
    x
}

#[test]
fn scaler_round_trip_recovers_x() {
    let x = scaler_data();
    let scaler = StandardScaler::fit(x.view()).unwrap();
    let z = scaler.transform(x.view()).unwrap();
    let back = scaler.inverse_transform(z.view()).unwrap();
    for ((i, j), &v) in x.indexed_iter() {
        let scale = 1.0 + v.abs();
        assert!(
            (back[[i, j]] - v).abs() <= 1e-12 * scale,
            "[{i},{j}]: {} vs {v}",
            back[[i, j]]
        );
    }
}

#[test]
fn scaler_gives_mean_zero_and_population_std_one() {
    let x = scaler_data();
    let m = x.nrows() as f64;
    let scaler = StandardScaler::fit(x.view()).unwrap();
    // mean and population (1/m) standard deviation, computed here
    for j in 0..3 {
        let col = x.column(j);
        let mean = col.sum() / m;
        let sd = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m).sqrt();
        assert!((scaler.mean[j] - mean).abs() <= 1e-12 * mean.abs().max(1.0));
        assert!((scaler.scale[j] - sd).abs() <= 1e-12 * sd);
    }
    let z = scaler.transform(x.view()).unwrap();
    for j in 0..3 {
        let col = z.column(j);
        let mean = col.sum() / m;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m;
        assert!(mean.abs() <= 1e-12, "column {j}: mean {mean}");
        assert!((var - 1.0).abs() <= 1e-12, "column {j}: variance {var}");
    }
}

#[test]
fn constant_column_keeps_scale_one_and_becomes_zeros() {
    let x = scaler_data();
    let scaler = StandardScaler::fit(x.view()).unwrap();
    assert_eq!(scaler.scale[3], 1.0);
    assert_eq!(scaler.mean[3], 7.25);
    let z = scaler.transform(x.view()).unwrap();
    assert!(z.column(3).iter().all(|&v| v == 0.0), "{:?}", z.column(3));
    // 0.1 is not a binary fraction: the mean of ten copies must still give
    // zeros, not ±1e-17 noise that a solver would then divide by ~0.
    let x = Array2::from_elem((10, 1), 0.1);
    let scaler = StandardScaler::fit(x.view()).unwrap();
    assert_eq!(scaler.scale[0], 1.0);
    let z = scaler.transform(x.view()).unwrap();
    assert!(z.iter().all(|&v| v == 0.0), "{z:?}");
    // an all-zero column too
    let x = Array2::<f64>::zeros((5, 2));
    let scaler = StandardScaler::fit(x.view()).unwrap();
    assert_eq!(scaler.scale, array![1.0, 1.0]);
    assert_eq!(scaler.transform(x.view()).unwrap(), x);
}

#[test]
fn scaler_by_hand() {
    // column 1: 1, 2, 6 → mean 3, deviations −2, −1, 3, Σd² = 14,
    // population sd √(14/3)
    let x = array![[1.0], [2.0], [6.0]];
    let scaler = StandardScaler::fit(x.view()).unwrap();
    assert_eq!(scaler.mean, array![3.0]);
    let sd = (14.0f64 / 3.0).sqrt();
    assert!((scaler.scale[0] - sd).abs() <= 1e-15);
    let z = scaler.transform(array![[3.0], [3.0 + sd]].view()).unwrap();
    assert_eq!(z[[0, 0]], 0.0);
    assert!((z[[1, 0]] - 1.0).abs() <= 1e-15);
}

#[test]
fn scaler_works_in_f32() {
    let x = scaler_data().mapv(|v| v as f32);
    let scaler = StandardScaler::<f32>::fit(x.view()).unwrap();
    let z = scaler.transform(x.view()).unwrap();
    for j in 0..3 {
        let mean = z.column(j).sum() / 25.0;
        assert!(mean.abs() <= 1e-5, "column {j}: {mean}");
    }
    let back = scaler.inverse_transform(z.view()).unwrap();
    for (a, b) in back.iter().zip(x.iter()) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()));
    }
}

// --- metrics ---------------------------------------------------------------

#[test]
fn mse_and_r2_by_hand() {
    // y = [3, −0.5, 2, 7], ŷ = [2.5, 0, 2, 8]
    // errors 0.5, −0.5, 0, −1 → Σe² = 0.25 + 0.25 + 0 + 1 = 1.5, mse = 1.5/4 = 3/8
    // ȳ = 11.5/4 = 2.875; Σ(y − ȳ)² = 0.125² + 3.375² + 0.875² + 4.125²
    //                                 = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
    // R² = 1 − 1.5/29.1875
    let y = array![[3.0], [-0.5], [2.0], [7.0]];
    let p = array![[2.5], [0.0], [2.0], [8.0]];
    assert_eq!(metrics::mse(y.view(), p.view()).unwrap(), 0.375);
    let r2: f64 = metrics::r2(y.view(), p.view()).unwrap();
    assert!((r2 - (1.0 - 1.5 / 29.1875)).abs() <= 1e-15, "{r2}");
}

#[test]
fn perfect_prediction_has_r2_one_and_mse_zero() {
    let y = array![[1.0, -2.0], [4.0, 0.5], [-3.0, 9.0]];
    assert_eq!(metrics::r2(y.view(), y.view()).unwrap(), 1.0);
    assert_eq!(metrics::mse(y.view(), y.view()).unwrap(), 0.0);
}

#[test]
fn predicting_the_mean_has_r2_zero() {
    let y = array![[1.0], [2.0], [6.0]];
    let p = array![[3.0], [3.0], [3.0]];
    assert_eq!(metrics::r2(y.view(), p.view()).unwrap(), 0.0);
}

#[test]
fn multi_output_metrics_average_the_columns() {
    // y = [[0.5, 1], [−1, 1], [7, −6]], ŷ = [[0, 2], [−1, 2], [8, −5]]
    // mse: errors 0.5, −1, 0, −1, −1, −1 → Σe² = 0.25 + 1 + 0 + 1 + 1 + 1 = 4.25, /6
    // column 1: ȳ = 13/6, Σ(y − ȳ)² = (100 + 361 + 841)/36 = 1302/36, Σe² = 1.25
    //           R² = 1 − 1.25·36/1302 = 1 − 45/1302
    // column 2: ȳ = −4/3, Σ(y − ȳ)² = (49 + 49 + 196)/9 = 294/9, Σe² = 3
    //           R² = 1 − 27/294
    let y = array![[0.5, 1.0], [-1.0, 1.0], [7.0, -6.0]];
    let p = array![[0.0, 2.0], [-1.0, 2.0], [8.0, -5.0]];
    let mse: f64 = metrics::mse(y.view(), p.view()).unwrap();
    assert!((mse - 4.25 / 6.0).abs() <= 1e-15);
    let expected = ((1.0 - 45.0 / 1302.0) + (1.0 - 27.0 / 294.0)) / 2.0;
    let r2: f64 = metrics::r2(y.view(), p.view()).unwrap();
    assert!((r2 - expected).abs() <= 1e-15, "{r2} vs {expected}");
}

#[test]
fn r2_of_a_constant_column() {
    let y = array![[2.0], [2.0], [2.0]];
    assert_eq!(metrics::r2(y.view(), y.view()).unwrap(), 1.0);
    let p = array![[2.0], [2.0], [2.5]];
    assert_eq!(metrics::r2(y.view(), p.view()).unwrap(), 0.0);
}

#[test]
fn mse_is_twice_the_data_term_for_one_output() {
    let y = array![[1.0], [2.0], [3.0], [5.0]];
    let p = array![[1.5], [2.0], [2.0], [4.0]];
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let w = array![[0.0]];
    let data_term = loss.value(y.view(), p.view(), w.view());
    assert_eq!(metrics::mse(y.view(), p.view()).unwrap(), 2.0 * data_term);
}

// --- datasets --------------------------------------------------------------

/// Least squares for one feature: slope = cov(x, y)/var(x), b = ȳ − slope·x̄.
fn least_squares_line(x: &[f64], y: &[f64]) -> (f64, f64) {
    let m = x.len() as f64;
    let xm = x.iter().sum::<f64>() / m;
    let ym = y.iter().sum::<f64>() / m;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - xm) * (b - ym)).sum();
    let sxx: f64 = x.iter().map(|a| (a - xm) * (a - xm)).sum();
    let slope = sxy / sxx;
    (slope, ym - slope * xm)
}

#[test]
fn seed_example_is_the_notebook_line() {
    for seed in [0, 1, 42] {
        let d = datasets::seed_example(seed);
        assert_eq!(d.x.dim(), (100, 1));
        assert_eq!(d.y.dim(), (100, 1));
        assert!(d.x.iter().all(|&v| (-3.0..3.0).contains(&v)));
        let (slope, bias) = least_squares_line(
            d.x.column(0).as_slice().unwrap(),
            d.y.column(0).as_slice().unwrap(),
        );
        assert!((slope - 2.0).abs() < 0.2, "seed {seed}: slope {slope}");
        assert!((bias - 1.0).abs() < 0.2, "seed {seed}: bias {bias}");
        // the noise has standard deviation 0.5
        let resid: Vec<f64> =
            d.x.iter()
                .zip(d.y.iter())
                .map(|(x, y)| y - (2.0 * x + 1.0))
                .collect();
        let sd = (resid.iter().map(|r| r * r).sum::<f64>() / 100.0).sqrt();
        assert!((sd - 0.5).abs() < 0.1, "seed {seed}: noise sd {sd}");
        assert_eq!(d, datasets::seed_example(seed));
    }
    assert_ne!(datasets::seed_example(0).x, datasets::seed_example(1).x);
}

#[test]
fn diabetes_is_the_raw_efron_data() {
    let d = datasets::diabetes();
    assert_eq!(d.x.dim(), (442, 10));
    assert_eq!(d.y.dim(), (442, 1));
    assert_eq!(
        d.feature_names,
        [
            "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"
        ]
    );
    // First patient of the raw data (Efron et al. 2004; scikit-learn's
    // load_diabetes(scaled=False)).
    assert_eq!(
        d.x.row(0).to_vec(),
        [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
    );
    assert_eq!(d.y[[0, 0]], 151.0);
    assert_eq!(d.y[[441, 0]], 57.0);
    // sex is coded 1 / 2, all values finite, targets in the documented 25..346
    assert!(d.x.column(1).iter().all(|&v| v == 1.0 || v == 2.0));
    assert!(d.x.iter().all(|v| v.is_finite()));
    let (lo, hi) =
        d.y.iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert_eq!((lo, hi), (25.0, 346.0));
    assert!(d.true_coef.is_none());
}

#[test]
fn make_regression_has_the_promised_structure() {
    let d = datasets::make_regression(200, 12, 4, 0.1, 7);
    assert_eq!(d.x.dim(), (200, 12));
    assert_eq!(d.y.dim(), (200, 1));
    assert_eq!(d.feature_names.len(), 12);
    let coef = d.true_coef.clone().unwrap();
    assert_eq!(coef.dim(), (12, 1));
    let nonzero: Vec<f64> = coef.iter().copied().filter(|&c| c != 0.0).collect();
    assert_eq!(nonzero.len(), 4);
    assert!(nonzero.iter().all(|c| (1.0..10.0).contains(&c.abs())));
    // y = x·coef + noise with sd 0.1
    let resid = &d.y - &d.x.dot(&coef);
    let mean = resid.mean().unwrap();
    let sd = resid.std(0.0);
    assert!(mean.abs() < 0.05, "mean residual {mean}");
    assert!((sd - 0.1).abs() < 0.03, "residual sd {sd}");
    // x ~ N(0, 1)
    let xm = d.x.mean().unwrap();
    let xs = d.x.std(0.0);
    assert!(xm.abs() < 0.1 && (xs - 1.0).abs() < 0.1, "{xm} {xs}");
    // same seed, same data
    assert_eq!(d, datasets::make_regression(200, 12, 4, 0.1, 7));
}

#[test]
fn make_regression_without_noise_is_exactly_linear() {
    let d = datasets::make_regression(30, 5, 5, 0.0, 1);
    let coef = d.true_coef.clone().unwrap();
    assert_eq!(coef.iter().filter(|&&c| c != 0.0).count(), 5);
    let resid = &d.y - &d.x.dot(&coef);
    assert!(resid.iter().all(|r| r.abs() <= 1e-12));
}

#[test]
fn make_regression_caps_n_informative() {
    let d = datasets::make_regression(10, 3, 8, 0.0, 2);
    let coef = d.true_coef.unwrap();
    assert_eq!(coef.iter().filter(|&&c| c != 0.0).count(), 3);
}

#[test]
fn cast_to_f32_keeps_the_data() {
    let d = datasets::diabetes();
    let d32 = d.cast::<f32>();
    assert_eq!(d32.x.dim(), d.x.dim());
    assert_eq!(d32.x[[0, 8]], 4.8598f32);
    assert_eq!(d32.feature_names, d.feature_names);
    let col = d32.y.sum_axis(Axis(0));
    assert!((f64::from(col[0]) - d.y.sum()).abs() <= 1.0);
}

// --- auto traits -------------------------------------------------------------

fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<LinearModel<f64>>();
    send_sync::<LinearModel<f32>>();
    send_sync::<ElasticLoss<f64>>();
    send_sync::<ElasticLoss<f32>>();
    send_sync::<TrainConfig>();
    send_sync::<TrainConfig<f32>>();
    send_sync::<TrainReport<f64>>();
    send_sync::<LearningRate>();
    send_sync::<L1Update>();
    send_sync::<StandardScaler>();
    send_sync::<StandardScaler<f32>>();
    send_sync::<datasets::Dataset>();
    send_sync::<Error>();
}
