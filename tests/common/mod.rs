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
#[derive(Debug, Clone, Copy)]
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

/// The general objective (sample weights, penalty factors, bounds), restated
/// independently of the crate. Per output column, with `ωᵢ = wᵢ/Σw`,
/// `u = W·s`:
///
/// `L = ½·Σᵢ ωᵢ(yᵢ − xᵢW − b)² + Σⱼ vⱼ·(λ₁|uⱼ| + λ₂/2·uⱼ²)`, `loⱼ ≤ Wⱼ ≤ hiⱼ`,
///
/// `sⱼ` the ω-weighted population standard deviation with `standardize`
/// (the root mean square without an intercept; 1 for a column whose spread
/// is at most `1e-10·max|xⱼ|`), else 1. Rows of weight 0 take no part.
pub struct General {
    pub spec: Spec,
    /// `wᵢ` (all 1 when `None`).
    pub weights: Option<Array1<f64>>,
    /// `vⱼ` (all 1 when `None`).
    pub factor: Option<Array1<f64>>,
    /// `(loⱼ, hiⱼ)` (unbounded when `None`); `positive` raises `lo` to 0.
    pub bounds: Option<(Array1<f64>, Array1<f64>)>,
}

/// The data as [`General`]'s objective sees them.
pub struct Reduced {
    /// `ωᵢ`, summing to 1.
    pub omega: Array1<f64>,
    /// `x̃ = (x − x̄)/s` (ω-weighted centre; rows of weight 0 included but
    /// never counted).
    pub xt: Array2<f64>,
    /// `ỹ = y − ȳ`.
    pub yt: Array2<f64>,
    pub scale: Array1<f64>,
}

/// `Σωᵢvᵢ` by the corrected two-pass formula (exact for a constant `v`).
fn weighted_mean(omega: &Array1<f64>, v: ndarray::ArrayView1<f64>) -> f64 {
    let mu = omega.dot(&v);
    mu + omega.dot(&v.mapv(|e| e - mu))
}

impl General {
    pub fn reduced(&self, x: ArrayView2<f64>, y: ArrayView2<f64>) -> Reduced {
        let m = x.nrows();
        let omega = match &self.weights {
            None => Array1::from_elem(m, 1.0 / m as f64),
            Some(w) => w / w.sum(),
        };
        let kept: Vec<usize> = (0..m).filter(|&i| omega[i] > 0.0).collect();
        let intercept = self.spec.fit_intercept;
        let centre = |v: ndarray::ArrayView1<f64>| {
            if intercept {
                weighted_mean(&omega, v)
            } else {
                0.0
            }
        };
        let mut xt = x.to_owned();
        let mut scale = Array1::ones(x.ncols());
        for (j, mut col) in xt.axis_iter_mut(Axis(1)).enumerate() {
            let mu = centre(col.view());
            col -= mu;
            if self.spec.standardize {
                let s = kept
                    .iter()
                    .map(|&i| omega[i] * col[i] * col[i])
                    .sum::<f64>()
                    .sqrt();
                let max = kept.iter().fold(0.0_f64, |a, &i| a.max(x[[i, j]].abs()));
                if s > 1e-10 * max {
                    scale[j] = s;
                    col /= s;
                }
            }
        }
        let mut yt = y.to_owned();
        for mut col in yt.axis_iter_mut(Axis(1)) {
            let mu = centre(col.view());
            col -= mu;
        }
        Reduced {
            omega,
            xt,
            yt,
            scale,
        }
    }

    pub fn factor(&self, j: usize) -> f64 {
        self.factor.as_ref().map_or(1.0, |v| v[j])
    }

    /// `[loⱼ, hiⱼ]` on the original scale, `positive` included.
    pub fn bounds(&self, j: usize) -> (f64, f64) {
        let (lo, hi) = self
            .bounds
            .as_ref()
            .map_or((f64::NEG_INFINITY, f64::INFINITY), |(lo, hi)| {
                (lo[j], hi[j])
            });
        if self.spec.positive {
            (lo.max(0.0), hi)
        } else {
            (lo, hi)
        }
    }

    /// `(λ₁, λ₂)`.
    fn penalties(&self) -> (f64, f64) {
        let Spec {
            alpha, l1_ratio, ..
        } = self.spec;
        (alpha * l1_ratio, alpha * (1.0 - l1_ratio))
    }

    /// `L(0) = ½·Σₗ Σᵢ ωᵢỹᵢₗ²`.
    pub fn zero_objective(&self, d: &Reduced) -> f64 {
        let w2 = d.omega.view().insert_axis(Axis(1));
        0.5 * (&d.yt * &d.yt * w2).sum()
    }

    /// `L` at `model` (summed over outputs), from the model's predictions
    /// (so the intercept is checked too).
    pub fn objective(
        &self,
        x: ArrayView2<f64>,
        y: ArrayView2<f64>,
        d: &Reduced,
        model: &LinearModel<f64>,
    ) -> f64 {
        let (l1, l2) = self.penalties();
        let r = &y - &model.forward(x);
        let mut data = 0.0;
        for (i, row) in r.rows().into_iter().enumerate() {
            if d.omega[i] > 0.0 {
                data += 0.5 * d.omega[i] * row.dot(&row);
            }
        }
        let mut penalty = 0.0;
        for (j, row) in model.weight.axis_iter(Axis(0)).enumerate() {
            for &w in &row {
                let u = w * d.scale[j];
                penalty += self.factor(j) * (l1 * u.abs() + 0.5 * l2 * u * u);
            }
        }
        data + penalty
    }

    /// The size of rounding in anything computed from `model`: `L(0)`, the
    /// squared terms of `x̃·u` and the penalty's magnitude.
    pub fn magnitude(&self, d: &Reduced, model: &LinearModel<f64>) -> f64 {
        let u = &model.weight * &d.scale.view().insert_axis(Axis(1));
        let terms = d.xt.mapv(f64::abs).dot(&u.mapv(f64::abs));
        let w2 = d.omega.view().insert_axis(Axis(1));
        let fitted = 0.5 * (&terms * &terms * w2).sum();
        let penalty = self.spec.alpha * u.iter().map(|v| v.abs() + v * v).sum::<f64>();
        self.zero_objective(d) + fitted + penalty
    }

    /// The proximal-gradient (KKT) residual `‖G‖` of `L` over all outputs,
    /// in the coordinates `u = W·s`, and the `Lf` it uses (the trace bound
    /// `Σⱼ Σᵢ ωᵢx̃ᵢⱼ² ≥ λmax` of the data term; the penalty and bounds go
    /// into the prox, `prox(a) = clip(S(a, vλ₁/Lf)/(1 + vλ₂/Lf), lo·s, hi·s)`).
    /// `G = 0` exactly at a KKT point, and one proximal step lowers `L` by
    /// at least `‖G‖²/(2·Lf)`, so `‖G‖ ≤ √(2·Lf·(L − L*))`.
    pub fn kkt_residual(&self, d: &Reduced, model: &LinearModel<f64>) -> (f64, f64) {
        let (l1, l2) = self.penalties();
        let w2 = d.omega.view().insert_axis(Axis(1));
        let lf = (&d.xt * &d.xt * w2).sum();
        if lf == 0.0 {
            return (0.0, 0.0);
        }
        let mut g2 = 0.0;
        for l in 0..model.weight.ncols() {
            let u = &model.weight.column(l) * &d.scale;
            let r = &d.yt.column(l) - &d.xt.dot(&u);
            let grad = -d.xt.t().dot(&(&r * &d.omega));
            for j in 0..u.len() {
                let v = self.factor(j);
                let (lo, hi) = self.bounds(j);
                let a = u[j] - grad[j] / lf;
                let shrunk = a.signum() * (a.abs() - v * l1 / lf).max(0.0) / (1.0 + v * l2 / lf);
                let prox = shrunk.max(lo * d.scale[j]).min(hi * d.scale[j]);
                g2 += (lf * (u[j] - prox)).powi(2);
            }
        }
        (g2.sqrt(), lf)
    }

    /// Whether `alpha_max` is meaningful, where this checker can tell: the
    /// least-squares fit of the unpenalized (factor-0) features is a direct
    /// solve here — none of them bounded (nor `positive`), their Gram block
    /// well conditioned (Cholesky pivots above `1e-8` of the diagonal);
    /// `None` otherwise. `Some(true)`: it leaves a residual `r₀` above
    /// `1e-6` of `‖ỹ‖` in every output, and some penalized column pushes on
    /// its coefficient (`x̃ⱼᵀr₀` in a direction its bounds leave open) above
    /// `1e-6` of what Cauchy–Schwarz allows, so `alpha_max > 0`.
    /// `Some(false)`: the unpenalized features interpolate `y`, or no
    /// penalized coefficient can move (its column in their span, or held
    /// at 0 by its bounds): `alpha_max` is then 0 in exact arithmetic and
    /// computed as rounding noise, 0 included. (Exact zeros at `alpha_max`
    /// no longer depend on this: F25 is fixed.)
    pub fn alpha_max_is_meaningful(&self, d: &Reduced) -> Option<bool> {
        let free: Vec<usize> = (0..d.xt.ncols())
            .filter(|&j| self.factor(j) == 0.0)
            .collect();
        if free
            .iter()
            .any(|&j| self.bounds(j) != (f64::NEG_INFINITY, f64::INFINITY))
        {
            return None;
        }
        let cols = d.xt.select(Axis(1), &free);
        let weighted = &cols * &d.omega.view().insert_axis(Axis(1));
        let l = well_conditioned_cholesky(cols.t().dot(&weighted))?;
        let norm2 = |v: &Array1<f64>| (v * v * &d.omega).sum();
        let penalized: Vec<usize> = (0..d.xt.ncols())
            .filter(|&j| self.factor(j) > 0.0)
            .collect();
        let (mut best, mut natural) = (0.0_f64, 0.0_f64);
        let fitted = d.yt.axis_iter(Axis(1)).all(|yl| {
            // Solve L·Lᵀ·δ = X_Fᵀ·Ω·ỹ, then r₀ = ỹ − X_F·δ.
            let mut delta = weighted.t().dot(&yl);
            let n = delta.len();
            for i in 0..n {
                for k in 0..i {
                    delta[i] -= l[[i, k]] * delta[k];
                }
                delta[i] /= l[[i, i]];
            }
            for i in (0..n).rev() {
                for k in i + 1..n {
                    delta[i] -= l[[k, i]] * delta[k];
                }
                delta[i] /= l[[i, i]];
            }
            let r0 = &yl - &cols.dot(&delta);
            for &j in &penalized {
                let xj = d.xt.column(j);
                let v = self.factor(j);
                let c = (&xj * &r0 * &d.omega).sum();
                let (lo, hi) = self.bounds(j);
                let push = if hi > 0.0 { c } else { 0.0 }.max(if lo < 0.0 { -c } else { 0.0 });
                best = best.max(push / v);
                natural = natural.max((norm2(&xj.to_owned()) * norm2(&r0)).sqrt() / v);
            }
            norm2(&r0) > 1e-12 * norm2(&yl.to_owned())
        });
        // Otherwise the penalized columns lie (numerically) in the span of
        // the unpenalized ones (or are 0), or their bounds hold them at 0:
        // alpha_max is 0, computed as rounding.
        Some(fitted && best > 0.0 && best >= 1e-6 * natural)
    }

    /// `√(Σₗ Σᵢ ωᵢ(x̃ᵢ(u_a − u_b))²)`: the distance of two models' fitted
    /// values in the norm the data term is strongly convex in
    /// (`L(w) − L* ≥ ½·dist(w, w*)²`).
    pub fn fitted_distance(&self, d: &Reduced, a: &LinearModel<f64>, b: &LinearModel<f64>) -> f64 {
        let diff = (&a.weight - &b.weight) * d.scale.view().insert_axis(Axis(1));
        let f = d.xt.dot(&diff);
        let w2 = d.omega.view().insert_axis(Axis(1));
        (&f * &f * w2).sum().sqrt()
    }
}

/// The Cholesky factor (lower) of the symmetric `a` when every pivot is
/// above `1e-8` of its diagonal entry.
fn well_conditioned_cholesky(mut a: Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    for j in 0..n {
        let diag = a[[j, j]];
        for k in 0..j {
            a[[j, j]] -= a[[j, k]] * a[[j, k]];
        }
        // Not above (NaN included): singular or ill-conditioned.
        if a[[j, j]].partial_cmp(&(1e-8 * diag)) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let pivot = a[[j, j]].sqrt();
        a[[j, j]] = pivot;
        for i in j + 1..n {
            let mut v = a[[i, j]];
            for k in 0..j {
                v -= a[[i, k]] * a[[j, k]];
            }
            a[[i, j]] = v / pivot;
        }
    }
    for j in 0..n {
        for i in 0..j {
            a[[i, j]] = 0.0;
        }
    }
    Some(a)
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
