//! Helpers shared by the integration tests: an independent optimality
//! (KKT) check and reference-data loading.
#![allow(dead_code)]

use elasticnet::LinearModel;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde_json::Value;

/// The inputs of a reference case: `x`, `y` (inline, or the bundled
/// diabetes data).
pub fn case_data(case: &Value) -> (Array2<f64>, Array2<f64>) {
    match case["data"].as_str() {
        Some("diabetes") => {
            let d = elasticnet::datasets::diabetes();
            (d.x, d.y)
        }
        Some("inline") => (matrix(&case["x"]), matrix(&case["y"])),
        other => panic!("unknown data {other:?}"),
    }
}

/// The problem a fit solved, restated independently of the crate.
pub struct Spec {
    pub alpha: f64,
    pub l1_ratio: f64,
    pub fit_intercept: bool,
    pub standardize: bool,
    pub positive: bool,
}

/// Centre and scale columns as DESIGN §1 says, written again here (not the
/// crate's code) so the check is independent.
pub fn standardized(x: ArrayView2<f64>, spec: &Spec) -> (Array2<f64>, Array1<f64>, Array1<f64>) {
    let m = x.nrows() as f64;
    let mean = if spec.fit_intercept {
        x.mean_axis(Axis(0)).unwrap()
    } else {
        Array1::zeros(x.ncols())
    };
    let mut scale = Array1::ones(x.ncols());
    if spec.standardize {
        for j in 0..x.ncols() {
            let col = x.column(j);
            let s = (col.iter().map(|v| (v - mean[j]).powi(2)).sum::<f64>() / m).sqrt();
            let max = col.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
            scale[j] = if s <= 1e-10 * max { 1.0 } else { s };
        }
    }
    let mut z = x.to_owned();
    for mut row in z.rows_mut() {
        row -= &mean;
        row /= &scale;
    }
    (z, mean, scale)
}

/// Asserts the KKT conditions of the objective at `fit`, for every output
/// column, with tolerance `eps` relative to `max(1, ‖X̃ᵀỹ‖∞/m)`:
///
/// with `g = X̃ᵀ(ỹ − X̃w)/m − λ₂w` (w on the standardized scale),
/// `g_j = λ₁·sign(w_j)` where `w_j ≠ 0` and `|g_j| ≤ λ₁` where `w_j = 0`
/// (`g_j ≤ λ₁` with `positive`); and the intercept is `ȳ − x̄ᵀW`.
pub fn assert_kkt(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    model: &LinearModel<f64>,
    spec: &Spec,
    eps: f64,
) {
    let m = x.nrows() as f64;
    let l1 = spec.alpha * spec.l1_ratio;
    let l2 = spec.alpha * (1.0 - spec.l1_ratio);
    let (z, mean, scale) = standardized(x, spec);
    for l in 0..y.ncols() {
        let y_mean = if spec.fit_intercept {
            y.column(l).mean().unwrap()
        } else {
            0.0
        };
        let yc = y.column(l).mapv(|v| v - y_mean);
        let w_orig = model.weight.column(l);
        let w = &w_orig * &scale;
        let r = &yc - &z.dot(&w);
        let g = z.t().dot(&r) / m - &w * l2;
        let unit = 1f64.max(z.t().dot(&yc).iter().fold(0.0_f64, |a, v| a.max(v.abs())) / m);
        for j in 0..w.len() {
            if spec.positive {
                assert!(w[j] >= 0.0, "negative coefficient {} with positive", w[j]);
            }
            if w[j] != 0.0 {
                let want = l1 * w[j].signum();
                assert!(
                    (g[j] - want).abs() <= eps * unit,
                    "target {l} feature {j}: w = {}, gradient {} should be {want} (eps {})",
                    w[j],
                    g[j],
                    eps * unit
                );
            } else if spec.positive {
                assert!(
                    g[j] <= l1 + eps * unit,
                    "target {l} feature {j}: g = {} > λ₁ = {l1}",
                    g[j]
                );
            } else {
                assert!(
                    g[j].abs() <= l1 + eps * unit,
                    "target {l} feature {j}: |g| = {} > λ₁ = {l1}",
                    g[j].abs()
                );
            }
        }
        let b = y_mean - mean.dot(&w_orig);
        assert!(
            (model.bias[l] - b).abs() <= 1e-9 * (1.0 + b.abs()),
            "intercept {} vs ȳ − x̄ᵀw = {b}",
            model.bias[l]
        );
    }
}

/// `L` at `model` on the problem `spec` describes (standardized scale,
/// summed over output columns), computed independently of the crate.
pub fn objective(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    model: &LinearModel<f64>,
    spec: &Spec,
) -> f64 {
    let m = x.nrows() as f64;
    let l1 = spec.alpha * spec.l1_ratio;
    let l2 = spec.alpha * (1.0 - spec.l1_ratio);
    let (z, _, scale) = standardized(x, spec);
    let mut total = 0.0;
    for l in 0..y.ncols() {
        let y_mean = if spec.fit_intercept {
            y.column(l).mean().unwrap()
        } else {
            0.0
        };
        let w = &model.weight.column(l) * &scale;
        let r = y.column(l).mapv(|v| v - y_mean) - z.dot(&w);
        total += r.dot(&r) / (2.0 * m) + l1 * w.mapv(f64::abs).sum() + 0.5 * l2 * w.dot(&w);
    }
    total
}

/// A JSON file under `tests/data/`.
pub fn load_json(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JSON array of arrays as a matrix.
pub fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .expect("an array of rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("a row")
                .iter()
                .map(|e| e.as_f64().expect("a number"))
                .collect()
        })
        .collect();
    let n_cols = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), n_cols), rows.concat()).expect("rectangular")
}

/// A JSON array as a vector.
pub fn vector(v: &Value) -> Array1<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|e| e.as_f64().expect("a number"))
        .collect()
}
