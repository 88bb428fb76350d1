//! The glmnet extras (issue #8): sample weights, penalty factors, bounds and
//! the relaxed lasso.
//!
//! * Against `tests/data/glmnet_reference.json`, written by
//!   `tests/data/generate_glmnet_reference.py` (scikit-learn where it can
//!   express the problem, a polished direct solve where it cannot; see the
//!   script's docstring for what scikit-learn does with `sample_weight`).
//! * Reference-free properties: integer weights are repeated rows, a zero
//!   weight is a dropped row, unit factors and loose bounds change nothing,
//!   `positive` is `lower = 0`, unpenalized features never leave a path,
//!   and bad inputs are errors.
//!
//! The objective, per output column (`λ₁ = alpha·l1_ratio`,
//! `λ₂ = alpha·(1 − l1_ratio)`, `lowerⱼ ≤ Wⱼ ≤ upperⱼ`):
//!
//! ```text
//! L = 1/(2·Σw)·Σᵢ wᵢ(yᵢ − xᵢ·W − b)² + Σⱼ vⱼ·(λ₁|Wⱼ| + λ₂/2·Wⱼ²)
//! ```
//!
//! with the penalty on `Wⱼ·sⱼ` under `standardize(true)` (`sⱼ` the weighted
//! population standard deviation).

mod common;

use common::{load_json, matrix, vector};
use elasticnet::{ElasticNet, ElasticNetCv, ElasticNetPath, Error, Fit, LinearModel, datasets};
use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, Axis};
use serde_json::Value;

/// Solver settings of every comparison with the reference.
const TOL: f64 = 1e-12;
const MAX_ITER: usize = 1_000_000;
/// Coefficients: relative to the largest |coefficient| (and at least 1).
const COEF_RTOL: f64 = 1e-6;
/// Objectives: relative.
const OBJ_RTOL: f64 = 1e-9;
/// KKT violations: relative to max(1, ‖x̃ᵀWỹ‖∞/Σw).
const KKT_EPS: f64 = 1e-5;

const INF: f64 = f64::INFINITY;

// ---------------------------------------------------------------------------
// reading the reference
// ---------------------------------------------------------------------------

fn reference() -> Value {
    load_json("glmnet_reference.json")
}

/// `x` (m × p), `y` (m × 1) and the weights of a stored dataset.
fn dataset(reference: &Value, name: &str) -> (Array2<f64>, Array2<f64>, Array1<f64>) {
    let d = &reference["datasets"][name];
    let y = vector(&d["y"]).insert_axis(Axis(1));
    (matrix(&d["x"]), y, vector(&d["w"]))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {key}"))
}

fn f64_of(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("missing number {key}"))
}

fn bool_of(v: &Value, key: &str) -> bool {
    v[key]
        .as_bool()
        .unwrap_or_else(|| panic!("missing bool {key}"))
}

/// A vector whose `null` entries (infinite bounds) are `fill`; a `null`
/// vector is `fill` everywhere.
fn vector_or(v: &Value, fill: f64, len: usize) -> Array1<f64> {
    match v.as_array() {
        None => Array1::from_elem(len, fill),
        Some(items) => items.iter().map(|e| e.as_f64().unwrap_or(fill)).collect(),
    }
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|e| e.as_u64().expect("an index") as usize)
        .collect()
}

/// A JSON array of matrices as an `Array3`.
fn array3(v: &Value) -> Array3<f64> {
    let mats: Vec<Array2<f64>> = v.as_array().expect("an array").iter().map(matrix).collect();
    let (n1, n2) = mats.first().map_or((0, 0), |m| m.dim());
    let flat: Vec<f64> = mats.iter().flat_map(|m| m.iter().copied()).collect();
    Array3::from_shape_vec((mats.len(), n1, n2), flat).expect("rectangular")
}

fn ones(n: usize) -> Array1<f64> {
    Array1::ones(n)
}

// ---------------------------------------------------------------------------
// the problem, restated independently of the crate
// ---------------------------------------------------------------------------

/// A weighted, factored, bounded elastic net on one target column.
struct Glm {
    x: Array2<f64>,
    y: Array1<f64>,
    w: Array1<f64>,
    standardize: bool,
    alpha: f64,
    l1_ratio: f64,
    factors: Array1<f64>,
    lower: Array1<f64>,
    upper: Array1<f64>,
}

/// The data the solver sees: `x̃ = (x − x̄)/s`, `ỹ = y − ȳ` (weighted means).
struct Reduced {
    xt: Array2<f64>,
    yt: Array1<f64>,
    x_mean: Array1<f64>,
    y_mean: f64,
    scale: Array1<f64>,
}

impl Glm {
    fn new(x: ArrayView2<f64>, y: ArrayView2<f64>, w: Option<ArrayView1<f64>>) -> Self {
        let p = x.ncols();
        Self {
            x: x.to_owned(),
            y: y.column(0).to_owned(),
            w: w.map_or_else(|| ones(x.nrows()), |w| w.to_owned()),
            standardize: false,
            alpha: 0.0,
            l1_ratio: 1.0,
            factors: ones(p),
            lower: Array1::from_elem(p, -INF),
            upper: Array1::from_elem(p, INF),
        }
    }

    /// The problem a reference case describes.
    fn from_case(reference: &Value, case: &Value) -> Self {
        let (x, y, w) = dataset(reference, str_of(case, "data"));
        let p = x.ncols();
        let weights = bool_of(case, "weighted").then_some(w.view());
        let mut glm = Self::new(x.view(), y.view(), weights);
        glm.standardize = bool_of(case, "standardize");
        glm.alpha = f64_of(case, "alpha");
        glm.l1_ratio = f64_of(case, "l1_ratio");
        glm.factors = vector_or(&case["factors"], 1.0, p);
        glm.lower = vector_or(&case["lower"], -INF, p);
        glm.upper = vector_or(&case["upper"], INF, p);
        glm
    }

    fn reduced(&self) -> Reduced {
        let sw = self.w.sum();
        let x_mean = self.w.dot(&self.x) / sw;
        let y_mean = self.w.dot(&self.y) / sw;
        let mut xt = &self.x - &x_mean;
        let scale = if self.standardize {
            xt.columns()
                .into_iter()
                .map(|c| (self.w.dot(&c.mapv(|v| v * v)) / sw).sqrt())
                .collect()
        } else {
            ones(self.x.ncols())
        };
        xt /= &scale;
        Reduced {
            xt,
            yt: self.y.mapv(|v| v - y_mean),
            x_mean,
            y_mean,
            scale,
        }
    }

    /// `L` at `coef` (original scale) with the exact intercept; the penalty
    /// on the standardized coefficients under `standardize`.
    fn objective(&self, coef: ArrayView1<f64>) -> f64 {
        let d = self.reduced();
        let (l1, l2) = (
            self.alpha * self.l1_ratio,
            self.alpha * (1.0 - self.l1_ratio),
        );
        let u = &coef * &d.scale;
        let r = &d.yt - &d.xt.dot(&u);
        let data = (&self.w * &r * &r).sum() / (2.0 * self.w.sum());
        let penalty: f64 = u
            .iter()
            .zip(self.factors.iter())
            .map(|(&uj, &vj)| vj * (l1 * uj.abs() + 0.5 * l2 * uj * uj))
            .sum();
        data + penalty
    }

    /// Asserts the KKT conditions of `L` at `model`, to `eps` relative to
    /// `max(1, ‖x̃ᵀWỹ‖∞/Σw)`, that the bounds hold, and that the intercept
    /// is `ȳ − x̄ᵀW`.
    ///
    /// With `u = W·s`, `r = ỹ − x̃u`, the smooth gradient
    /// `gⱼ = −(1/Σw)·Σᵢ wᵢ x̃ᵢⱼ rᵢ + λ₂vⱼuⱼ` and `cⱼ = λ₁vⱼ`: the derivative
    /// of `L` along `+eⱼ` (`gⱼ + cⱼ` if `uⱼ ≥ 0`, else `gⱼ − cⱼ`) is `≥ 0`
    /// unless `Wⱼ` is at its upper bound, and along `−eⱼ` (minus `gⱼ + cⱼ`
    /// if `uⱼ > 0`, else minus `gⱼ − cⱼ`) `≥ 0` unless at its lower bound.
    /// (Interior non-zero: `gⱼ + cⱼ·sign uⱼ = 0`; interior zero:
    /// `|gⱼ| ≤ cⱼ`; at a bound, the sign condition.)
    fn assert_kkt(&self, label: &str, model: &LinearModel<f64>, eps: f64) {
        let d = self.reduced();
        let sw = self.w.sum();
        let (l1, l2) = (
            self.alpha * self.l1_ratio,
            self.alpha * (1.0 - self.l1_ratio),
        );
        let coef = model.weight.column(0);
        let u = &coef * &d.scale;
        let r = &d.yt - &d.xt.dot(&u);
        let g = -d.xt.t().dot(&(&self.w * &r)) / sw + &(&self.factors * &u * l2);
        let unit = 1f64.max(
            d.xt.t()
                .dot(&(&self.w * &d.yt))
                .iter()
                .fold(0.0_f64, |a, v| a.max(v.abs()))
                / sw,
        );
        for j in 0..u.len() {
            let (lo, hi) = (self.lower[j], self.upper[j]);
            let near = |b: f64| 1e-12 * b.abs().max(1.0);
            assert!(
                coef[j] >= lo - near(lo) && coef[j] <= hi + near(hi),
                "{label}: W[{j}] = {} outside [{lo}, {hi}]",
                coef[j]
            );
            let at_hi = hi.is_finite() && coef[j] >= hi - near(hi);
            let at_lo = lo.is_finite() && coef[j] <= lo + near(lo);
            let c = l1 * self.factors[j];
            let up = if u[j] >= 0.0 { g[j] + c } else { g[j] - c };
            let down = if u[j] > 0.0 { g[j] + c } else { g[j] - c };
            let mut violation = 0.0_f64;
            if !at_hi {
                violation = violation.max(-up);
            }
            if !at_lo {
                violation = violation.max(down);
            }
            assert!(
                violation <= eps * unit,
                "{label}: feature {j}: W = {}, g = {}, c = {c}: KKT violated by {violation:.3e} \
                 (allowed {:.3e})",
                coef[j],
                g[j],
                eps * unit
            );
        }
        let b = d.y_mean - d.x_mean.dot(&coef);
        assert!(
            (model.bias[0] - b).abs() <= 1e-9 * (1.0 + b.abs()),
            "{label}: intercept {} vs ȳ − x̄ᵀW = {b}",
            model.bias[0]
        );
    }
}

// ---------------------------------------------------------------------------
// comparisons
// ---------------------------------------------------------------------------

/// Largest |a − b| over the larger of 1 and max|b|.
fn coef_err(got: ArrayView1<f64>, want: ArrayView1<f64>) -> f64 {
    let scale = want.iter().fold(1.0_f64, |a, v| a.max(v.abs()));
    got.iter()
        .zip(want.iter())
        .fold(0.0_f64, |a, (g, w)| a.max((g - w).abs() / scale))
}

fn assert_coefs(label: &str, got: ArrayView1<f64>, want: ArrayView1<f64>, rtol: f64) {
    let e = coef_err(got, want);
    assert!(
        e <= rtol,
        "{label}: coefficients {got} vs {want} (error {e:.2e})"
    );
}

fn assert_close(label: &str, got: f64, want: f64, rtol: f64) {
    assert!(
        (got - want).abs() <= rtol * want.abs().max(1e-300),
        "{label}: {got} vs {want} (relative error {:.2e})",
        (got - want).abs() / want.abs()
    );
}

fn assert_same_models(label: &str, a: &LinearModel<f64>, b: &LinearModel<f64>, rtol: f64) {
    assert_coefs(label, a.weight.column(0), b.weight.column(0), rtol);
    let scale = 1f64.max(b.bias[0].abs());
    assert!(
        (a.bias[0] - b.bias[0]).abs() <= rtol * scale * 10.0,
        "{label}: intercept {} vs {}",
        a.bias[0],
        b.bias[0]
    );
}

/// The estimator a reference case describes.
fn estimator(glm: &Glm) -> ElasticNet<f64> {
    let mut est = ElasticNet::new(glm.alpha, glm.l1_ratio)
        .standardize(glm.standardize)
        .tol(TOL)
        .max_iter(MAX_ITER);
    if glm.factors.iter().any(|&v| v != 1.0) {
        est = est.penalty_factor(glm.factors.clone());
    }
    if glm
        .lower
        .iter()
        .chain(glm.upper.iter())
        .any(|b| b.is_finite())
    {
        est = est.bounds(glm.lower.clone(), glm.upper.clone());
    }
    est
}

fn fit_case(reference: &Value, case: &Value, glm: &Glm) -> Fit<f64> {
    let name = str_of(case, "name");
    let (x, y, w) = dataset(reference, str_of(case, "data"));
    let est = estimator(glm);
    let fit = if bool_of(case, "weighted") {
        est.fit_weighted(x.view(), y.view(), w.view())
    } else {
        est.fit(x.view(), y.view())
    };
    fit.unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Fits every reference case of `kind`, compares coefficients, intercept
/// and objective, and checks the KKT conditions. Returns how many.
fn check_fits(kind: &str) -> usize {
    let reference = reference();
    let mut n = 0;
    for case in reference["fits"].as_array().unwrap() {
        if str_of(case, "kind") != kind {
            continue;
        }
        let name = str_of(case, "name");
        let glm = Glm::from_case(&reference, case);
        let fit = fit_case(&reference, case, &glm);
        assert!(
            fit.converged,
            "{name}: not converged (gap {})",
            fit.duality_gap
        );
        let want = vector(&case["coef"]);
        assert_coefs(name, fit.model.weight.column(0), want.view(), COEF_RTOL);
        let want_b = f64_of(case, "intercept");
        assert!(
            (fit.model.bias[0] - want_b).abs() <= COEF_RTOL * (1.0 + want_b.abs()) * 10.0,
            "{name}: intercept {} vs {want_b}",
            fit.model.bias[0]
        );
        let want_obj = f64_of(case, "objective");
        assert_close(
            &format!("{name}: objective"),
            fit.objective,
            want_obj,
            OBJ_RTOL,
        );
        // The same function evaluated here, at the crate's coefficients.
        let here = glm.objective(fit.model.weight.column(0));
        assert_close(
            &format!("{name}: objective recomputed"),
            here,
            want_obj,
            OBJ_RTOL,
        );
        glm.assert_kkt(name, &fit.model, KKT_EPS);
        // Exact zeros where the reference has them (no case is at a knot).
        for (j, (&got, &w)) in fit
            .model
            .weight
            .column(0)
            .iter()
            .zip(want.iter())
            .enumerate()
        {
            if w == 0.0 {
                assert_eq!(got, 0.0, "{name}: W[{j}] should be exactly zero");
            }
        }
        n += 1;
    }
    n
}

// ---------------------------------------------------------------------------
// single fits against the reference
// ---------------------------------------------------------------------------

/// The test's own KKT check and objective accept the stored solutions (a
/// check of the helpers, independent of the crate's solver).
#[test]
fn reference_solutions_pass_the_checks_here() {
    let reference = reference();
    for case in reference["fits"].as_array().unwrap() {
        let name = str_of(case, "name");
        let glm = Glm::from_case(&reference, case);
        let coef = vector(&case["coef"]);
        let model = LinearModel::from_parameters(
            coef.clone().insert_axis(Axis(1)),
            Array1::from_elem(1, f64_of(case, "intercept")),
        );
        glm.assert_kkt(name, &model, 1e-10);
        let want = f64_of(case, "objective");
        assert_close(
            &format!("{name}: objective"),
            glm.objective(coef.view()),
            want,
            1e-12,
        );
    }
}

/// (a) `fit_weighted` = scikit-learn's `ElasticNet.fit(X, y, sample_weight)`
/// (tall and wide, lasso and `l1_ratio = 0.5`, alpha at 0.1 and 0.01 of
/// alpha_max), and with `standardize(true)` the weighted-standardized fit.
#[test]
fn sample_weights_match_scikit_learn() {
    assert_eq!(check_fits("weights"), 10);
}

/// (c) A lasso with factors `vⱼ > 0` = scikit-learn's lasso on `xⱼ/vⱼ`.
#[test]
fn penalty_factors_match_scikit_learn_on_rescaled_columns() {
    assert_eq!(check_fits("factors"), 2);
}

/// (d) One factor 0 and alpha above the level where every penalized
/// coefficient is zero: the unpenalized one is the least-squares slope.
#[test]
fn a_factor_of_zero_gives_the_least_squares_coefficient() {
    assert_eq!(check_fits("factor0"), 3);
    let reference = reference();
    for case in reference["fits"].as_array().unwrap() {
        if str_of(case, "kind") != "factor0" {
            continue;
        }
        let name = str_of(case, "name");
        let glm = Glm::from_case(&reference, case);
        let fit = fit_case(&reference, case, &glm);
        let k = case["unpenalized"].as_u64().unwrap() as usize;
        for (j, &wj) in fit.model.weight.column(0).iter().enumerate() {
            if j == k {
                assert_close(
                    &format!("{name}: slope"),
                    wj,
                    f64_of(case, "ls_slope"),
                    1e-6,
                );
            } else {
                assert_eq!(wj, 0.0, "{name}: penalized W[{j}] should be zero");
            }
        }
        assert_close(
            &format!("{name}: LS intercept"),
            fit.model.bias[0],
            f64_of(case, "ls_intercept"),
            1e-6,
        );
    }
}

/// (d, e) Factors (0, 0.5, 1, 2), bounds that bind and bounds that do not,
/// with and without weights and standardization, lasso and `l1_ratio =
/// 0.5`, tall and wide: against a polished L-BFGS-B solve.
#[test]
fn factors_and_bounds_match_a_direct_solve() {
    assert_eq!(check_fits("direct"), 8);
    let reference = reference();
    for case in reference["fits"].as_array().unwrap() {
        if str_of(case, "kind") != "direct" {
            continue;
        }
        let name = str_of(case, "name");
        let glm = Glm::from_case(&reference, case);
        let fit = fit_case(&reference, case, &glm);
        // The reference's binding bounds are reached exactly (up to the
        // rounding of W = u/s under standardization).
        let want = vector(&case["coef"]);
        for j in indices(&case["binding"]) {
            let bound = want[j];
            assert!(
                bound == glm.lower[j] || bound == glm.upper[j],
                "{name}: binding {j}"
            );
            let got = fit.model.weight[[j, 0]];
            assert!(
                (got - bound).abs() <= 1e-12 * bound.abs().max(1.0),
                "{name}: W[{j}] = {got} should sit on its bound {bound}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// cross-validation against the reference
// ---------------------------------------------------------------------------

/// (b) `ElasticNetCv::fit_weighted` with given folds = scikit-learn's
/// `ElasticNetCV(...).fit(X, y, sample_weight=w)`: the weighted grid, the
/// weighted held-out MSE of every fold, their unweighted mean, the choice
/// and the weighted refit.
#[test]
fn weighted_cv_matches_scikit_learn() {
    let reference = reference();
    let case = &reference["cv"];
    let (x, y, w) = dataset(&reference, str_of(case, "data"));
    let l1_ratios = vector(&case["l1_ratios"]).to_vec();
    let n_alphas = case["n_alphas"].as_u64().unwrap() as usize;
    let eps = f64_of(case, "eps");
    let cv = ElasticNetCv::new()
        .l1_ratios(l1_ratios.clone())
        .n_alphas(n_alphas)
        .eps(eps)
        .fold_ids(indices(&case["fold_ids"]))
        .tol(TOL)
        .max_iter(MAX_ITER)
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();

    let alphas = matrix(&case["alphas"]); // n_l1_ratios × n_alphas
    for ((r, a), &want) in alphas.indexed_iter() {
        assert_close(&format!("grid [{r}, {a}]"), cv.alphas[[r, a]], want, 1e-12);
    }
    // The path's automatic weighted grid is the same.
    for (r, &l1_ratio) in l1_ratios.iter().enumerate() {
        let path = ElasticNetPath::new(l1_ratio)
            .n_alphas(n_alphas)
            .eps(eps)
            .max_iter(1)
            .fit_weighted(x.view(), y.view(), w.view())
            .unwrap();
        for (a, &got) in path.alphas.iter().enumerate() {
            assert_close(&format!("path grid [{r}, {a}]"), got, alphas[[r, a]], 1e-12);
        }
    }

    let mse = array3(&case["mse"]); // n_l1_ratios × n_alphas × n_folds
    assert_eq!(cv.mse_folds.dim(), mse.dim());
    for ((r, a, f), &want) in mse.indexed_iter() {
        // Held-out errors move to first order with the coefficients, which
        // a duality gap of tol·‖ỹ‖²/m = 1e-12·‖ỹ‖²/m pins down only to
        // about √(2·gap/λ₂) ≈ 1e-6 relative: measured 1.2e-6 at one alpha
        // where the warm-started path stopped with a gap of 1.6e-12 (a
        // cold fit at the same alpha went on to 5e-15).
        assert_close(
            &format!("mse [{r}, {a}, {f}]"),
            cv.mse_folds[[r, a, f]],
            want,
            1e-5,
        );
    }
    for ((r, a), &want) in matrix(&case["mse_mean"]).indexed_iter() {
        assert_close(
            &format!("mse_mean [{r}, {a}]"),
            cv.mse_mean[[r, a]],
            want,
            1e-6,
        );
    }
    for ((r, a), &want) in matrix(&case["mse_se"]).indexed_iter() {
        assert_close(&format!("mse_se [{r}, {a}]"), cv.mse_se[[r, a]], want, 1e-5);
    }
    assert_close("alpha_min", cv.alpha_min, f64_of(case, "alpha_min"), 1e-12);
    assert_eq!(cv.l1_ratio, f64_of(case, "l1_ratio_min"));
    let refit = vector(&case["refit_coef"]);
    assert_coefs("refit", cv.fit.model.weight.column(0), refit.view(), 1e-5);
    assert!((cv.fit.model.bias[0] - f64_of(case, "refit_intercept")).abs() <= 1e-4);
}

// ---------------------------------------------------------------------------
// the relaxed lasso against the reference
// ---------------------------------------------------------------------------

/// (f) `relax(true)`: at each alpha, the unpenalized weighted least-squares
/// refit on the lasso's support (within the bounds); `relaxed_model(i, γ)`
/// blends the two.
#[test]
fn relaxed_path_is_the_least_squares_refit_on_each_support() {
    let reference = reference();
    for case in reference["relaxed_paths"].as_array().unwrap() {
        let name = str_of(case, "name");
        let (x, y, w) = dataset(&reference, str_of(case, "data"));
        let p = x.ncols();
        let alphas = vector(&case["alphas"]);
        let mut builder = ElasticNetPath::new(1.0)
            .alphas(alphas.to_vec())
            .relax(true)
            .tol(TOL)
            .max_iter(MAX_ITER);
        if !case["lower"].is_null() || !case["upper"].is_null() {
            builder = builder.bounds(
                vector_or(&case["lower"], -INF, p),
                vector_or(&case["upper"], INF, p),
            );
        }
        let path = if bool_of(case, "weighted") {
            builder.fit_weighted(x.view(), y.view(), w.view())
        } else {
            builder.fit(x.view(), y.view())
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let relaxed = path
            .relaxed
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: relax(true) but no relaxed path"));
        assert_eq!(relaxed.coefs.dim(), (alphas.len(), p, 1));
        assert_eq!(relaxed.intercepts.dim(), (alphas.len(), 1));

        let coefs = matrix(&case["coefs"]);
        let intercepts = vector(&case["intercepts"]);
        let refit_coefs = matrix(&case["refit_coefs"]);
        let refit_intercepts = vector(&case["refit_intercepts"]);
        let supports = case["supports"].as_array().unwrap();
        for i in 0..alphas.len() {
            let label = format!("{name} alpha {i}");
            let lasso = path.coefs.index_axis(Axis(0), i);
            assert_coefs(&label, lasso.column(0), coefs.row(i), COEF_RTOL);
            // The support decides the refit: it must be the reference's.
            let support = indices(&supports[i]);
            for j in 0..p {
                assert_eq!(
                    lasso[[j, 0]] != 0.0,
                    support.contains(&j),
                    "{label}: support differs at feature {j}"
                );
            }
            let refit = relaxed.coefs.index_axis(Axis(0), i);
            assert!(relaxed.converged[i], "{label}: refit not certified");
            // Least squares has no L2 term to pin the coefficients down: a
            // certified gap of 1e-12·‖ỹ‖²/m leaves them accurate only to
            // √(2·gap/λmin(X̃ᵀX̃/m)) — measured 1.7e-6 on the weighted,
            // bounded case (a bound-constrained refit the extrapolated
            // sweeps stop closer to the tolerance on).
            assert_coefs(
                &format!("{label} refit"),
                refit.column(0),
                refit_coefs.row(i),
                1e-5,
            );
            for j in 0..p {
                if !support.contains(&j) {
                    assert_eq!(refit[[j, 0]], 0.0, "{label}: refit outside the support");
                }
            }
            let b = refit_intercepts[i];
            assert!(
                (relaxed.intercepts[[i, 0]] - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{label}: refit intercept {} vs {b}",
                relaxed.intercepts[[i, 0]]
            );
            let b = intercepts[i];
            assert!(
                (path.intercepts[[i, 0]] - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{label}: intercept {} vs {b}",
                path.intercepts[[i, 0]]
            );

            // γ = 1 is the lasso, γ = 0 the refit, γ = 0.3 the blend.
            let lasso_model = path.model(i);
            let refit_model = LinearModel::from_parameters(
                refit.to_owned(),
                relaxed.intercepts.row(i).to_owned(),
            );
            assert_same_models(
                &label,
                &path.relaxed_model(i, 1.0).unwrap(),
                &lasso_model,
                1e-12,
            );
            assert_same_models(
                &label,
                &path.relaxed_model(i, 0.0).unwrap(),
                &refit_model,
                1e-12,
            );
            let blend = path.relaxed_model(i, 0.3).unwrap();
            let want_w = &lasso_model.weight * 0.3 + &refit_model.weight * 0.7;
            let want_b = &lasso_model.bias * 0.3 + &refit_model.bias * 0.7;
            let want = LinearModel::from_parameters(want_w, want_b);
            assert_same_models(&format!("{label} γ = 0.3"), &blend, &want, 1e-12);
        }
    }
}

/// Relaxed CV over (γ, alpha) against a fold-by-fold computation in the
/// generator (scikit-learn lasso paths, numpy least-squares refits,
/// weighted held-out MSE, unweighted mean over folds, least mean chosen).
#[test]
fn relaxed_cv_matches_a_direct_computation() {
    let reference = reference();
    let case = &reference["relaxed_cv"];
    let (x, y, w) = dataset(&reference, str_of(case, "data"));
    let gammas = vector(&case["gammas"]).to_vec();
    let cv = ElasticNetCv::new()
        .l1_ratios(vector(&case["l1_ratios"]).to_vec())
        .n_alphas(case["n_alphas"].as_u64().unwrap() as usize)
        .eps(f64_of(case, "eps"))
        .fold_ids(indices(&case["fold_ids"]))
        .relax(gammas.clone())
        .tol(TOL)
        .max_iter(MAX_ITER)
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    for (a, &want) in vector(&case["alphas"]).iter().enumerate() {
        assert_close(&format!("grid {a}"), cv.alphas[[0, a]], want, 1e-12);
    }
    let relaxed = cv
        .relaxed
        .as_ref()
        .expect("relax(gammas) gives a relaxed CV");
    assert_eq!(relaxed.gammas, gammas);
    let mse_mean = array3(&case["mse_mean"]); // n_gammas × n_l1_ratios × n_alphas
    assert_eq!(relaxed.mse_mean.dim(), mse_mean.dim());
    for ((g, r, a), &want) in mse_mean.indexed_iter() {
        let got = relaxed.mse_mean[[g, r, a]];
        assert_close(
            &format!("relaxed mse_mean [{g}, {r}, {a}]"),
            got,
            want,
            1e-6,
        );
    }
    for ((g, r, a), &want) in array3(&case["mse_se"]).indexed_iter() {
        let got = relaxed.mse_se[[g, r, a]];
        assert_close(&format!("relaxed mse_se [{g}, {r}, {a}]"), got, want, 1e-5);
    }
    // γ = 1 is the ordinary lasso CV.
    let g1 = gammas.iter().position(|&g| g == 1.0).unwrap();
    for a in 0..cv.mse_mean.ncols() {
        assert_close(
            "γ = 1 vs lasso",
            relaxed.mse_mean[[g1, 0, a]],
            cv.mse_mean[[0, a]],
            1e-12,
        );
    }
    assert_eq!(relaxed.gamma, f64_of(case, "gamma"));
    assert_close("relaxed alpha", relaxed.alpha, f64_of(case, "alpha"), 1e-12);
    assert_eq!(relaxed.l1_ratio, 1.0);
}

// ---------------------------------------------------------------------------
// reference-free properties
// ---------------------------------------------------------------------------

/// The tall reference data (50 × 7, weights with four exact zeros).
fn tall() -> (Array2<f64>, Array2<f64>, Array1<f64>) {
    dataset(&reference(), "tall")
}

/// The wide reference data (20 × 30, weights with two exact zeros).
fn wide() -> (Array2<f64>, Array2<f64>, Array1<f64>) {
    dataset(&reference(), "wide")
}

fn mixed_factors(p: usize) -> Array1<f64> {
    (0..p).map(|j| [0.5, 1.0, 2.0, 1.0][j % 4]).collect()
}

fn fold_ids(m: usize) -> Vec<usize> {
    (0..m).map(|i| (i * 7 + 3) % 5).collect()
}

/// Rows repeated `counts[i]` times.
fn repeat_rows<T: Clone>(rows: &[T], counts: &[usize]) -> Vec<T> {
    rows.iter()
        .zip(counts)
        .flat_map(|(r, &c)| std::iter::repeat_n(r.clone(), c))
        .collect()
}

fn select(x: &Array2<f64>, rows: &[usize]) -> Array2<f64> {
    x.select(Axis(0), rows)
}

fn assert_paths_agree(
    label: &str,
    a: &elasticnet::Path<f64>,
    b: &elasticnet::Path<f64>,
    rtol: f64,
) {
    assert_eq!(a.len(), b.len(), "{label}: lengths");
    for (i, (&x, &y)) in a.alphas.iter().zip(b.alphas.iter()).enumerate() {
        assert_close(&format!("{label}: alpha {i}"), x, y, 1e-12);
    }
    for i in 0..a.len() {
        assert_same_models(
            &format!("{label}: alpha {i}"),
            &a.model(i),
            &b.model(i),
            rtol,
        );
    }
}

#[test]
fn integer_weights_equal_repeated_rows() {
    let (x, y, _) = tall();
    let (m, p) = x.dim();
    let counts: Vec<usize> = (0..m).map(|i| 1 + i % 3).collect();
    let w: Array1<f64> = counts.iter().map(|&c| c as f64).collect();
    let rows = repeat_rows(&(0..m).collect::<Vec<_>>(), &counts);
    let (xr, yr) = (select(&x, &rows), select(&y, &rows));

    // A single fit: standardized (weighted std = std of the repeated rows),
    // with factors and a bound.
    let est = ElasticNet::new(0.05, 0.5)
        .standardize(true)
        .penalty_factor(mixed_factors(p))
        .bounds(Array1::from_elem(p, -INF), Array1::from_elem(p, 1.0))
        .tol(TOL)
        .max_iter(MAX_ITER);
    let weighted = est.fit_weighted(x.view(), y.view(), w.view()).unwrap();
    let repeated = est.fit(xr.view(), yr.view()).unwrap();
    assert_same_models("fit", &weighted.model, &repeated.model, COEF_RTOL);
    assert_close(
        "objective",
        weighted.objective,
        repeated.objective,
        OBJ_RTOL,
    );

    // A path, automatic grid included.
    let path = ElasticNetPath::new(0.5)
        .n_alphas(15)
        .standardize(true)
        .tol(TOL)
        .max_iter(MAX_ITER);
    let pw = path.fit_weighted(x.view(), y.view(), w.view()).unwrap();
    let pr = path.fit(xr.view(), yr.view()).unwrap();
    assert_paths_agree("path", &pw, &pr, COEF_RTOL);

    // CV: the copies of a row share its fold, so every training set and
    // every held-out score is the same.
    let ids = fold_ids(m);
    let cv = ElasticNetCv::new()
        .l1_ratios(vec![0.5, 1.0])
        .n_alphas(10)
        .tol(TOL)
        .max_iter(MAX_ITER);
    let cw = cv
        .clone()
        .fold_ids(ids.clone())
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    let cr = cv
        .fold_ids(repeat_rows(&ids, &counts))
        .fit(xr.view(), yr.view())
        .unwrap();
    for ((idx, &a), &b) in cw.mse_folds.indexed_iter().zip(cr.mse_folds.iter()) {
        assert_close(&format!("cv mse {idx:?}"), a, b, 1e-6);
    }
    for (&a, &b) in cw.alphas.iter().zip(cr.alphas.iter()) {
        assert_close("cv grid", a, b, 1e-12);
    }
}

#[test]
fn a_zero_weight_equals_dropping_the_row() {
    let (x, y, w) = tall();
    let m = x.nrows();
    let kept: Vec<usize> = (0..m).filter(|&i| w[i] != 0.0).collect();
    assert_eq!(kept.len(), m - 4, "the tall data have four zero weights");
    let (xk, yk) = (select(&x, &kept), select(&y, &kept));
    let wk: Array1<f64> = kept.iter().map(|&i| w[i]).collect();

    for standardize in [false, true] {
        let label = format!("standardize {standardize}");
        let est = ElasticNet::new(0.02, 0.7)
            .standardize(standardize)
            .tol(TOL)
            .max_iter(MAX_ITER);
        let a = est.fit_weighted(x.view(), y.view(), w.view()).unwrap();
        let b = est.fit_weighted(xk.view(), yk.view(), wk.view()).unwrap();
        assert_same_models(&format!("fit, {label}"), &a.model, &b.model, COEF_RTOL);
        assert_close(
            &format!("objective, {label}"),
            a.objective,
            b.objective,
            OBJ_RTOL,
        );

        let path = ElasticNetPath::new(1.0)
            .n_alphas(15)
            .standardize(standardize)
            .tol(TOL)
            .max_iter(MAX_ITER);
        let pa = path.fit_weighted(x.view(), y.view(), w.view()).unwrap();
        let pb = path.fit_weighted(xk.view(), yk.view(), wk.view()).unwrap();
        assert_paths_agree(&format!("path, {label}"), &pa, &pb, COEF_RTOL);
    }

    // CV with given folds: a zero-weight row neither trains nor scores.
    let ids = fold_ids(m);
    let ids_kept: Vec<usize> = kept.iter().map(|&i| ids[i]).collect();
    let cv = ElasticNetCv::new().n_alphas(12).tol(TOL).max_iter(MAX_ITER);
    let ca = cv
        .clone()
        .fold_ids(ids)
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    let cb = cv
        .fold_ids(ids_kept)
        .fit_weighted(xk.view(), yk.view(), wk.view())
        .unwrap();
    for ((idx, &a), &b) in ca.mse_folds.indexed_iter().zip(cb.mse_folds.iter()) {
        assert_close(&format!("cv mse {idx:?}"), a, b, 1e-6);
    }
    assert_close("cv alpha_min", ca.alpha_min, cb.alpha_min, 1e-12);
}

#[test]
fn unit_weights_are_no_weights() {
    let (x, y, _) = wide();
    let est = ElasticNet::new(0.1, 0.5)
        .standardize(true)
        .tol(TOL)
        .max_iter(MAX_ITER);
    let a = est.fit(x.view(), y.view()).unwrap();
    let b = est
        .fit_weighted(x.view(), y.view(), ones(x.nrows()).view())
        .unwrap();
    assert_same_models("unit weights", &a.model, &b.model, COEF_RTOL);
    // Weights are scale-free: 3·w fits as w.
    let (_, _, w) = wide();
    let c = est.fit_weighted(x.view(), y.view(), w.view()).unwrap();
    let d = est
        .fit_weighted(x.view(), y.view(), (&w * 3.0).view())
        .unwrap();
    assert_same_models("3·w", &c.model, &d.model, COEF_RTOL);
}

#[test]
fn unit_factors_change_nothing() {
    for (x, y, w) in [tall(), wide()] {
        let p = x.ncols();
        let est = ElasticNet::new(0.05, 0.5)
            .standardize(true)
            .tol(TOL)
            .max_iter(MAX_ITER);
        let a = est.fit_weighted(x.view(), y.view(), w.view()).unwrap();
        let b = est
            .clone()
            .penalty_factor(ones(p))
            .fit_weighted(x.view(), y.view(), w.view())
            .unwrap();
        assert_same_models("fit", &a.model, &b.model, COEF_RTOL);

        let path = ElasticNetPath::new(1.0)
            .n_alphas(10)
            .tol(TOL)
            .max_iter(MAX_ITER);
        let pa = path.fit(x.view(), y.view()).unwrap();
        let pb = path
            .clone()
            .penalty_factor(ones(p))
            .fit(x.view(), y.view())
            .unwrap();
        assert_paths_agree("path", &pa, &pb, COEF_RTOL);
    }
}

#[test]
fn bounds_that_do_not_bind_change_nothing() {
    for (x, y, w) in [tall(), wide()] {
        let p = x.ncols();
        let est = ElasticNet::new(0.05, 0.5).tol(TOL).max_iter(MAX_ITER);
        let free = est.fit_weighted(x.view(), y.view(), w.view()).unwrap();
        let big = free
            .model
            .weight
            .iter()
            .fold(0.0_f64, |a, v| a.max(v.abs()));
        for (lo, hi) in [(-INF, INF), (-10.0 * big - 1.0, 10.0 * big + 1.0)] {
            let bounded = est
                .clone()
                .bounds(Array1::from_elem(p, lo), Array1::from_elem(p, hi))
                .fit_weighted(x.view(), y.view(), w.view())
                .unwrap();
            assert_same_models(
                &format!("bounds [{lo}, {hi}]"),
                &free.model,
                &bounded.model,
                COEF_RTOL,
            );
        }
        let path = ElasticNetPath::new(0.5)
            .n_alphas(10)
            .tol(TOL)
            .max_iter(MAX_ITER);
        let pa = path.fit(x.view(), y.view()).unwrap();
        let pb = path
            .clone()
            .bounds(Array1::from_elem(p, -INF), Array1::from_elem(p, INF))
            .fit(x.view(), y.view())
            .unwrap();
        assert_paths_agree("path", &pa, &pb, COEF_RTOL);
    }
}

#[test]
fn positive_is_a_lower_bound_of_zero() {
    for (x, y, w) in [tall(), wide()] {
        let p = x.ncols();
        for standardize in [false, true] {
            let est = ElasticNet::new(0.05, 0.8)
                .standardize(standardize)
                .tol(TOL)
                .max_iter(MAX_ITER);
            let a = est
                .clone()
                .positive(true)
                .fit_weighted(x.view(), y.view(), w.view())
                .unwrap();
            let b = est
                .bounds(Array1::zeros(p), Array1::from_elem(p, INF))
                .fit_weighted(x.view(), y.view(), w.view())
                .unwrap();
            assert!(a.model.weight.iter().all(|&v| v >= 0.0));
            assert_same_models("positive vs lower = 0", &a.model, &b.model, COEF_RTOL);
        }
    }
}

/// KKT of the modified objective on settings without a reference: wide and
/// tall, weights, factors with zeros, bounds that bind, standardization.
#[test]
fn kkt_holds_with_weights_factors_bounds_and_standardization() {
    for (data, (x, y, w)) in [("tall", tall()), ("wide", wide())] {
        let p = x.ncols();
        let mut factors = mixed_factors(p);
        factors[2] = 0.0;
        let mut lower = Array1::from_elem(p, -INF);
        let mut upper = Array1::from_elem(p, INF);
        lower[0] = 0.0;
        upper[1] = 0.3;
        lower[3] = -0.2;
        for standardize in [false, true] {
            for l1_ratio in [1.0, 0.5] {
                let label = format!("{data}, standardize {standardize}, l1_ratio {l1_ratio}");
                let mut glm = Glm::new(x.view(), y.view(), Some(w.view()));
                glm.standardize = standardize;
                glm.alpha = 0.05;
                glm.l1_ratio = l1_ratio;
                glm.factors = factors.clone();
                glm.lower = lower.clone();
                glm.upper = upper.clone();
                let fit = estimator(&glm)
                    .fit_weighted(x.view(), y.view(), w.view())
                    .unwrap_or_else(|e| panic!("{label}: {e}"));
                assert!(fit.converged, "{label}: not converged");
                glm.assert_kkt(&label, &fit.model, KKT_EPS);
                assert_close(
                    &format!("{label}: objective"),
                    fit.objective,
                    glm.objective(fit.model.weight.column(0)),
                    OBJ_RTOL,
                );
            }
        }
    }
}

#[test]
fn unpenalized_features_never_leave_the_path() {
    let (x, y, w) = tall();
    let p = x.ncols();
    let mut factors = ones(p);
    factors[0] = 0.0;
    factors[4] = 0.0;
    for standardize in [false, true] {
        let path = ElasticNetPath::new(0.8)
            .n_alphas(20)
            .standardize(standardize)
            .penalty_factor(factors.clone())
            .tol(TOL)
            .max_iter(MAX_ITER)
            .fit_weighted(x.view(), y.view(), w.view())
            .unwrap();
        for i in 0..path.len() {
            for j in [0, 4] {
                assert_ne!(
                    path.coefs[[i, j, 0]],
                    0.0,
                    "alpha {i}: feature {j} left the path"
                );
            }
        }
    }
}

/// The grid starts at the smallest alpha where every PENALIZED coefficient
/// is zero. With unpenalized features that is `max |x̃ⱼᵀWr₀|/(Σw·l1_ratio·vⱼ)`
/// over penalized j with `r₀` the residual of the weighted least-squares
/// fit on the unpenalized columns (glmnet's lambda_max) — not `ỹ` itself:
/// on the wide case the formula with `ỹ` is below this level (one penalized
/// coefficient is non-zero there), on the tall ones above it.
#[test]
fn path_with_unpenalized_features_starts_where_the_others_vanish() {
    let reference = reference();
    for case in reference["fits"].as_array().unwrap() {
        if str_of(case, "kind") != "factor0" {
            continue;
        }
        let name = str_of(case, "name");
        let glm = Glm::from_case(&reference, case);
        let (x, y, w) = dataset(&reference, str_of(case, "data"));
        let k = case["unpenalized"].as_u64().unwrap() as usize;
        let builder = ElasticNetPath::new(1.0)
            .n_alphas(20)
            .penalty_factor(glm.factors.clone())
            .tol(TOL)
            .max_iter(MAX_ITER);
        let path = if bool_of(case, "weighted") {
            builder.fit_weighted(x.view(), y.view(), w.view())
        } else {
            builder.fit(x.view(), y.view())
        }
        .unwrap();
        let first = path.coefs.index_axis(Axis(0), 0);
        for j in (0..x.ncols()).filter(|&j| j != k) {
            assert_eq!(
                first[[j, 0]],
                0.0,
                "{name}: penalized W[{j}] non-zero at alphas[0]"
            );
        }
        assert_close(
            &format!("{name}: least-squares slope at alphas[0]"),
            first[[k, 0]],
            f64_of(case, "ls_slope"),
            1e-6,
        );
        assert_close(
            &format!("{name}: alphas[0]"),
            path.alphas[0],
            f64_of(case, "alpha_max_zero"),
            1e-9,
        );
        assert!(
            path.n_nonzero(1) > 1,
            "{name}: nothing enters below alphas[0]"
        );
    }
}

// ---------------------------------------------------------------------------
// bad inputs
// ---------------------------------------------------------------------------

fn is_bad_value<T>(r: &Result<T, Error>) -> bool {
    matches!(
        r,
        Err(Error::InvalidParameter { .. } | Error::NonFinite { .. })
    )
}

fn is_shape_mismatch<T>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::ShapeMismatch { .. }))
}

#[test]
fn bad_weights_are_errors() {
    let (x, y, w) = tall();
    let m = x.nrows();
    let est = ElasticNet::new(0.1, 0.5);
    let path = ElasticNetPath::new(0.5).n_alphas(5);
    let cv = ElasticNetCv::new().n_alphas(5).folds(3);
    let with = |i: usize, v: f64| {
        let mut w = w.clone();
        w[i] = v;
        w
    };
    for (what, bad) in [
        ("negative", with(1, -0.5)),
        ("NaN", with(2, f64::NAN)),
        ("infinite", with(3, INF)),
    ] {
        let r = est.fit_weighted(x.view(), y.view(), bad.view());
        assert!(is_bad_value(&r), "{what} weight, fit: {r:?}");
        let r = path.fit_weighted(x.view(), y.view(), bad.view());
        assert!(is_bad_value(&r), "{what} weight, path: {:?}", r.err());
        let r = cv.fit_weighted(x.view(), y.view(), bad.view());
        assert!(is_bad_value(&r), "{what} weight, cv: {:?}", r.err());
    }
    let zeros = Array1::zeros(m);
    assert!(est.fit_weighted(x.view(), y.view(), zeros.view()).is_err());
    assert!(path.fit_weighted(x.view(), y.view(), zeros.view()).is_err());
    assert!(cv.fit_weighted(x.view(), y.view(), zeros.view()).is_err());
    let short = ones(m - 1);
    assert!(is_shape_mismatch(&est.fit_weighted(
        x.view(),
        y.view(),
        short.view()
    )));
    assert!(is_shape_mismatch(&path.fit_weighted(
        x.view(),
        y.view(),
        short.view()
    )));
    assert!(is_shape_mismatch(&cv.fit_weighted(
        x.view(),
        y.view(),
        short.view()
    )));
}

#[test]
fn bad_factors_and_bounds_are_errors() {
    let (x, y, _) = tall();
    let p = x.ncols();
    let fit = |est: ElasticNet<f64>| est.fit(x.view(), y.view());
    let base = ElasticNet::new(0.1, 0.5);

    assert!(is_shape_mismatch(&fit(base
        .clone()
        .penalty_factor(ones(p + 1)))));
    let mut negative = ones(p);
    negative[1] = -1.0;
    assert!(is_bad_value(&fit(base.clone().penalty_factor(negative))));
    let mut nan = ones(p);
    nan[2] = f64::NAN;
    assert!(is_bad_value(&fit(base.clone().penalty_factor(nan))));

    let lower = Array1::from_elem(p, -1.0);
    let upper = Array1::from_elem(p, 1.0);
    assert!(is_shape_mismatch(&fit(base
        .clone()
        .bounds(ones(p - 1) * -1.0, upper.clone()))));
    assert!(is_shape_mismatch(&fit(base
        .clone()
        .bounds(lower.clone(), ones(p + 2)))));
    let mut lower_pos = lower.clone();
    lower_pos[0] = 0.1;
    assert!(matches!(
        fit(base.clone().bounds(lower_pos, upper.clone())),
        Err(Error::InvalidParameter { .. })
    ));
    let mut upper_neg = upper.clone();
    upper_neg[3] = -0.1;
    assert!(matches!(
        fit(base.clone().bounds(lower.clone(), upper_neg)),
        Err(Error::InvalidParameter { .. })
    ));
    let mut lower_nan = lower.clone();
    lower_nan[4] = f64::NAN;
    assert!(is_bad_value(&fit(base
        .clone()
        .bounds(lower_nan, upper.clone()))));

    // The same checks on the path and CV builders.
    let path = ElasticNetPath::new(1.0).n_alphas(5);
    let r = path
        .clone()
        .penalty_factor(ones(p + 1))
        .fit(x.view(), y.view());
    assert!(is_shape_mismatch(&r), "path factors: {:?}", r.err());
    let mut lower_pos = lower.clone();
    lower_pos[0] = 0.1;
    let r = path
        .bounds(lower_pos, upper.clone())
        .fit(x.view(), y.view());
    assert!(
        matches!(r, Err(Error::InvalidParameter { .. })),
        "path bounds: {:?}",
        r.err()
    );
    let cv = ElasticNetCv::new().n_alphas(5).folds(3);
    let r = cv
        .clone()
        .penalty_factor(ones(p - 1))
        .fit(x.view(), y.view());
    assert!(is_shape_mismatch(&r), "cv factors: {:?}", r.err());
    // Relaxation weights γ outside [0, 1] (glmnet's range).
    let r = cv.relax(vec![0.5, 1.5]).fit(x.view(), y.view());
    assert!(
        matches!(r, Err(Error::InvalidParameter { .. })),
        "cv gamma: {:?}",
        r.err()
    );
}

/// Least squares under one-sided bounds (non-negative least squares, and
/// the relaxed refits of a `positive` path) is certified: the duality gap
/// projects the residual away from the unpenalized coefficients strictly
/// inside their bounds, so `converged` means what it says.
#[test]
fn bounded_least_squares_is_certified() {
    // y negated: most true coefficients then positive, so that the bound
    // holds some at 0 and leaves others strictly inside.
    let mut d = datasets::make_regression(60, 8, 5, 1.0, 3);
    d.y.mapv_inplace(|v| -v);
    let nnls = ElasticNet::lasso(0.0)
        .positive(true)
        .tol(1e-10)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    assert!(nnls.converged, "NNLS gap {}", nnls.duality_gap);
    assert!(nnls.model.weight.iter().all(|&w| w >= 0.0));
    // At least one coefficient is held at its bound (the data have
    // negative true coefficients), else the test shows nothing.
    assert!(nnls.model.weight.iter().any(|&w| w == 0.0));
    assert!(nnls.model.weight.iter().filter(|&&w| w > 0.0).count() >= 2);

    let path = ElasticNetPath::new(1.0)
        .n_alphas(15)
        .positive(true)
        .relax(true)
        .tol(1e-10)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    let relaxed = path.relaxed.as_ref().unwrap();
    assert!(
        relaxed.converged.iter().all(|&c| c),
        "relaxed refits not certified: {:?}",
        relaxed.converged
    );
    let lower = Array1::from_elem(8, -10.0);
    let upper = Array1::from_elem(8, f64::INFINITY);
    let path = ElasticNetPath::new(1.0)
        .n_alphas(15)
        .bounds(lower, upper)
        .relax(true)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    assert!(path.relaxed.as_ref().unwrap().converged.iter().all(|&c| c));
}
