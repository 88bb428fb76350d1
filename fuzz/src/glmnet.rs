//! The glmnet extras (issue #8) in the `fit`, `path` and `cv` targets: the
//! bytes also choose sample weights, penalty factors and bounds, and the
//! general objective is restated here, independently of the crate, to
//! check what a fit with them claims.
//!
//! With weights `wᵢ ≥ 0` (`ωᵢ = wᵢ/Σw`), factors `vⱼ ≥ 0` and bounds
//! `loⱼ ≤ Wⱼ ≤ hiⱼ` the objective of one output column is
//!
//! ```text
//! L(W, b) = ½·Σᵢ ωᵢ(yᵢ − xᵢW − b)² + Σⱼ vⱼ·(λ₁|uⱼ| + λ₂/2·uⱼ²),   uⱼ = Wⱼ·sⱼ,
//! ```
//!
//! `sⱼ` the ω-weighted population standard deviation with `standardize`
//! (root mean square without an intercept; 1 for a constant column), else 1.
//! Rows of zero weight take no part in anything.

use arbitrary::{Result as AResult, Unstructured};
use elasticnet::{ElasticNet, ElasticNetCv, ElasticNetPath, Error, LinearModel};
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// Sample weights, penalty factors and bounds, as the bytes chose them
/// (possibly invalid: wrong lengths, negative, NaN, infinite).
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    pub weights: Option<Vec<f64>>,
    pub factor: Option<Vec<f64>>,
    pub bounds: Option<(Vec<f64>, Vec<f64>)>,
}

/// A positive value `c·10^e`, `c ∈ [0.01, 9.99]`, `e ∈ lo..=hi`.
fn scaled(u: &mut Unstructured, lo: i32, hi: i32) -> AResult<f64> {
    let mantissa = f64::from(u.int_in_range(1u16..=999)?) / 100.0;
    Ok(mantissa * 10f64.powi(u.int_in_range(lo..=hi)?))
}

/// A length that is not `n` (0, `n − 1` or `n + 1`).
fn wrong_length(u: &mut Unstructured, n: usize) -> AResult<usize> {
    Ok(match u.int_in_range(0..=2u8)? {
        0 => 0,
        1 => n.saturating_sub(1),
        _ => n + 1,
    })
    .map(|l| if l == n { n + 1 } else { l })
}

/// A value no weight, factor or bound of its side may take, or a NaN.
const BAD: [f64; 7] = [
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -5e-324,
    -1e300,
    1e-300,
];

impl Extras {
    /// Decodes the extras for `m` rows and `p` columns. A choice of 0
    /// (which is also what exhausted bytes give) means "not set", so
    /// inputs written for the targets before the extras decode as before.
    pub fn decode(u: &mut Unstructured, m: usize, p: usize) -> AResult<Self> {
        let weights = match u.int_in_range(0..=10u8)? {
            0 => None,
            1 => Some(vec![1.0; m]),
            // Small integers (repeated rows), zeros included.
            2 => Some(
                (0..m)
                    .map(|_| u.int_in_range(0..=3u8).map(f64::from))
                    .collect::<AResult<_>>()?,
            ),
            // Spread over twenty orders of magnitude, a zero in four.
            3 => Some(
                (0..m)
                    .map(|_| {
                        if u.int_in_range(0..=3u8)? == 0 {
                            Ok(0.0)
                        } else {
                            scaled(u, -10, 10)
                        }
                    })
                    .collect::<AResult<_>>()?,
            ),
            // Huge and tiny.
            4 => Some(
                (0..m)
                    .map(|_| {
                        let c = [1e300, f64::MAX, 1e-300, 5e-324, 1.0, 0.0, -0.0];
                        Ok(c[u.choose_index(c.len())?])
                    })
                    .collect::<AResult<_>>()?,
            ),
            5 => Some(vec![0.0; m]),
            // One bad value among small integers.
            6 => {
                let mut w: Vec<f64> = (0..m)
                    .map(|_| u.int_in_range(0..=3u8).map(f64::from))
                    .collect::<AResult<_>>()?;
                if m > 0 {
                    let i = u.choose_index(m)?;
                    w[i] = BAD[u.choose_index(BAD.len() - 1)?];
                }
                Some(w)
            }
            7 => Some(vec![1.0; wrong_length(u, m)?]),
            // A single row carries all the weight.
            8 => {
                let mut w = vec![0.0; m];
                if m > 0 {
                    w[u.choose_index(m)?] = scaled(u, -3, 3)?;
                }
                Some(w)
            }
            // All equal: the same as no weights.
            9 => Some(vec![scaled(u, -300, 300)?; m]),
            _ => Some(
                (0..m)
                    .map(|_| u.arbitrary::<u64>().map(f64::from_bits))
                    .collect::<AResult<_>>()?,
            ),
        };
        let factor = match u.int_in_range(0..=7u8)? {
            0 => None,
            1 => Some(vec![1.0; p]),
            2 => Some(
                (0..p)
                    .map(|_| {
                        let c = [0.0, 1.0, 0.5, 2.0, 1e-3, 1e3];
                        Ok(c[u.choose_index(c.len())?])
                    })
                    .collect::<AResult<_>>()?,
            ),
            3 => Some(vec![0.0; p]),
            4 => {
                let mut v = vec![1.0; p];
                if p > 0 {
                    v[u.choose_index(p)?] = 0.0;
                }
                Some(v)
            }
            5 => {
                let mut v: Vec<f64> = (0..p)
                    .map(|_| u.int_in_range(0..=2u8).map(f64::from))
                    .collect::<AResult<_>>()?;
                if p > 0 {
                    let j = u.choose_index(p)?;
                    v[j] = BAD[u.choose_index(BAD.len() - 2)?];
                }
                Some(v)
            }
            6 => Some(vec![1.0; wrong_length(u, p)?]),
            _ => Some(
                (0..p)
                    .map(|_| {
                        let c = [1e300, f64::MAX, 1e-300, 5e-324, 0.0, 1e10, -0.0];
                        Ok(c[u.choose_index(c.len())?])
                    })
                    .collect::<AResult<_>>()?,
            ),
        };
        let bounds = match u.int_in_range(0..=7u8)? {
            0 => None,
            1 => Some((vec![f64::NEG_INFINITY; p], vec![f64::INFINITY; p])),
            // Binding, loose, one-sided, fixed at 0.
            2 | 3 => {
                let fixed = u.int_in_range(0..=3u8)? == 0;
                let mut lower = Vec::with_capacity(p);
                let mut upper = Vec::with_capacity(p);
                for _ in 0..p {
                    let (lo, hi) = if fixed && u.ratio(1u8, 3)? {
                        (0.0, 0.0)
                    } else {
                        (side(u)?, side(u)?)
                    };
                    lower.push(-lo);
                    upper.push(hi);
                }
                Some((lower, upper))
            }
            // One bad value on either side.
            4 => {
                let mut lower = vec![-1.0; p];
                let mut upper = vec![1.0; p];
                if p > 0 {
                    let j = u.choose_index(p)?;
                    let bad = BAD[u.choose_index(BAD.len())?];
                    if u.arbitrary()? {
                        // A lower bound must be in [−inf, 0].
                        lower[j] = -bad;
                    } else {
                        upper[j] = bad;
                    }
                }
                Some((lower, upper))
            }
            5 => {
                let (a, b) = (wrong_length(u, p)?, p);
                if u.arbitrary()? {
                    Some((vec![-1.0; a], vec![1.0; b]))
                } else {
                    Some((vec![-1.0; b], vec![1.0; a]))
                }
            }
            // Huge and tiny.
            6 => {
                let c = [1e-300, 5e-324, 1e300, f64::MAX, 0.0, f64::INFINITY];
                let mut lower = Vec::with_capacity(p);
                let mut upper = Vec::with_capacity(p);
                for _ in 0..p {
                    lower.push(-c[u.choose_index(c.len())?]);
                    upper.push(c[u.choose_index(c.len())?]);
                }
                Some((lower, upper))
            }
            // `positive` written as bounds.
            _ => Some((vec![0.0; p], vec![f64::INFINITY; p])),
        };
        Ok(Self {
            weights,
            factor,
            bounds,
        })
    }

    /// The first of `sample_weight`, `penalty_factor`, `lower_bounds`,
    /// `upper_bounds` that is outside its documented range (the order the
    /// entry points check them in), for `m` rows and `p` columns.
    pub fn first_invalid(&self, m: usize, p: usize) -> Option<&'static str> {
        if let Some(w) = &self.weights {
            let ok = w.len() == m
                && w.iter().all(|v| v.is_finite() && *v >= 0.0)
                && w.iter().any(|&v| v > 0.0);
            if !ok {
                return Some("sample_weight");
            }
        }
        if let Some(v) = &self.factor
            && !(v.len() == p && v.iter().all(|&e| (0.0..=f64::MAX).contains(&e)))
        {
            return Some("penalty_factor");
        }
        if let Some((lo, hi)) = &self.bounds {
            if !(lo.len() == p && lo.iter().all(|&e| (f64::NEG_INFINITY..=0.0).contains(&e))) {
                return Some("lower_bounds");
            }
            if !(hi.len() == p && hi.iter().all(|&e| (0.0..=f64::INFINITY).contains(&e))) {
                return Some("upper_bounds");
            }
        }
        None
    }

    /// Every weight and factor is 0 or in `[1e-100, 1e10]`, every bound
    /// too or infinite: with tame data, no valid call may fail.
    pub fn tame(&self) -> bool {
        let tame_or_inf = |v: &f64| v.is_infinite() || crate::tame_value(*v);
        self.weights
            .iter()
            .flatten()
            .chain(self.factor.iter().flatten())
            .all(|&v| crate::tame_value(v))
            && self
                .bounds
                .iter()
                .all(|(lo, hi)| lo.iter().chain(hi).all(tame_or_inf))
    }

    /// The weights as an array, when given.
    pub fn weight_array(&self) -> Option<Array1<f64>> {
        self.weights.as_ref().map(|w| Array1::from(w.clone()))
    }
}

/// How far a bound lies from 0 (a lower bound is its negation).
fn side(u: &mut Unstructured) -> AResult<f64> {
    Ok(match u.int_in_range(0..=5u8)? {
        0 => f64::INFINITY,
        1 => 0.0,
        2 => -0.0,
        _ => scaled(u, -6, 6)?,
    })
}

/// The builders that take factors and bounds.
pub(crate) trait WithExtras: Sized {
    fn penalty_factor_(self, v: Array1<f64>) -> Self;
    fn bounds_(self, lo: Array1<f64>, hi: Array1<f64>) -> Self;

    /// Sets the factors and bounds the extras hold.
    fn with_extras(mut self, e: &Extras) -> Self {
        if let Some(v) = &e.factor {
            self = self.penalty_factor_(Array1::from(v.clone()));
        }
        if let Some((lo, hi)) = &e.bounds {
            self = self.bounds_(Array1::from(lo.clone()), Array1::from(hi.clone()));
        }
        self
    }
}

macro_rules! with_extras {
    ($($t:ty),*) => {$(
        impl WithExtras for $t {
            fn penalty_factor_(self, v: Array1<f64>) -> Self {
                self.penalty_factor(v)
            }
            fn bounds_(self, lo: Array1<f64>, hi: Array1<f64>) -> Self {
                self.bounds(lo, hi)
            }
        }
    )*};
}
with_extras!(ElasticNet<f64>, ElasticNetPath<f64>, ElasticNetCv<f64>);

/// What an error is about: the parameter or input it names.
pub(crate) fn subject(e: &Error) -> &'static str {
    match e {
        Error::InvalidParameter { name, .. } => name,
        Error::EmptyInput { what } | Error::NonFinite { what, .. } => what,
        Error::ShapeMismatch { what, .. } => what.split(' ').next().unwrap_or(what),
        _ => "",
    }
}

// --- the general objective, restated ------------------------------------------

/// One valid problem (shapes right, extras valid) with its settings.
pub(crate) struct General<'a> {
    pub x: ArrayView2<'a, f64>,
    pub y: ArrayView2<'a, f64>,
    pub extras: &'a Extras,
    pub fit_intercept: bool,
    pub standardize: bool,
    pub positive: bool,
}

/// The data as the objective sees them: `ω` (summing to 1), centred (and
/// scaled) `x̃`, centred `ỹ`.
struct Reduced {
    omega: Array1<f64>,
    xt: Array2<f64>,
    yt: Array2<f64>,
    scale: Array1<f64>,
}

/// `Σ ωᵢ·vᵢ` by the corrected two-pass formula (exact for a constant `v`).
fn weighted_mean(omega: &Array1<f64>, v: ndarray::ArrayView1<f64>) -> f64 {
    let mu: f64 = omega.iter().zip(v).map(|(w, x)| w * x).sum();
    let dev: f64 = omega.iter().zip(v).map(|(w, x)| w * (x - mu)).sum();
    mu + dev
}

impl General<'_> {
    /// `ωᵢ = wᵢ/Σw` (all equal without weights).
    fn omega(&self) -> Array1<f64> {
        let m = self.x.nrows();
        match &self.extras.weights {
            None => Array1::from_elem(m, 1.0 / m as f64),
            Some(w) => {
                let big = w.iter().fold(0.0_f64, |a, &v| a.max(v));
                let scaled: Array1<f64> = w.iter().map(|v| v / big).collect();
                let total = scaled.sum();
                scaled / total
            }
        }
    }

    fn reduced(&self) -> Reduced {
        let omega = self.omega();
        let kept: Vec<usize> = (0..omega.len()).filter(|&i| omega[i] > 0.0).collect();
        let centre = |col: ndarray::ArrayView1<f64>| {
            if self.fit_intercept {
                weighted_mean(&omega, col)
            } else {
                0.0
            }
        };
        let mut xt = self.x.to_owned();
        let mut scale = Array1::ones(self.x.ncols());
        for (j, mut col) in xt.axis_iter_mut(Axis(1)).enumerate() {
            let mu = centre(col.view());
            col -= mu;
            if self.standardize {
                // Relative to max|xᵢⱼ| over the rows that count, so that
                // squares neither overflow nor underflow.
                let max = kept.iter().fold(0.0_f64, |a, &i| a.max(col[i].abs()));
                let raw_max = kept
                    .iter()
                    .fold(0.0_f64, |a, &i| a.max(self.x[[i, j]].abs()));
                let unit = if max > 0.0 { max } else { 1.0 };
                let s = kept
                    .iter()
                    .map(|&i| omega[i] * (col[i] / unit).powi(2))
                    .sum::<f64>()
                    .sqrt()
                    * unit;
                let constant = s <= 1e-10 * raw_max || !(s > 0.0 && s.is_finite());
                if !constant {
                    scale[j] = s;
                    col /= s;
                }
            }
        }
        let mut yt = self.y.to_owned();
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

    fn factor(&self, j: usize) -> f64 {
        self.extras.factor.as_ref().map_or(1.0, |v| v[j])
    }

    /// `[loⱼ, hiⱼ]` on the original scale, `positive` included.
    fn bounds(&self, j: usize) -> (f64, f64) {
        let (lo, hi) = self
            .extras
            .bounds
            .as_ref()
            .map_or((f64::NEG_INFINITY, f64::INFINITY), |(lo, hi)| {
                (lo[j], hi[j])
            });
        if self.positive {
            (lo.max(0.0), hi)
        } else {
            (lo, hi)
        }
    }

    /// `Σₗ Σᵢ ωᵢ(yᵢₗ − ȳₗ)²` — `2·L(0)` and the unit of the stopping rule —
    /// plus the rounding of an inexact `ȳ` (`m·ε·max|y|` per entry).
    pub fn unit(&self) -> f64 {
        let r = self.reduced();
        let exact =
            r.yt.axis_iter(Axis(1))
                .map(|c| c.iter().zip(&r.omega).map(|(v, w)| w * v * v).sum::<f64>())
                .sum::<f64>();
        let max_y = (0..self.y.nrows())
            .filter(|&i| r.omega[i] > 0.0)
            .flat_map(|i| self.y.row(i).to_vec())
            .fold(0.0_f64, |a, v| a.max(v.abs()));
        exact + (self.y.ncols() as f64) * (self.x.nrows() as f64 * 4e-16 * max_y).powi(2)
    }

    /// `L` at `model` (summed over outputs), from the model's own
    /// predictions, and the size of the rounding in it: the terms of
    /// `x·W + b` (which can cancel), `L(0)` and the penalty.
    pub fn objective(&self, model: &LinearModel<f64>, alpha: f64, l1_ratio: f64) -> (f64, f64) {
        let r = self.reduced();
        let (l1, l2) = (alpha * l1_ratio, alpha * (1.0 - l1_ratio));
        let residual = &self.y - &model.forward(self.x);
        let terms =
            self.x.mapv(f64::abs).dot(&model.weight.mapv(f64::abs)) + &model.bias.mapv(f64::abs);
        let mut data = 0.0;
        let mut size = 0.0;
        for (i, &w) in r.omega.iter().enumerate() {
            if w > 0.0 {
                data += 0.5 * w * residual.row(i).iter().map(|v| v * v).sum::<f64>();
                size += w * terms.row(i).iter().map(|v| v * v).sum::<f64>();
            }
        }
        let mut penalty = 0.0;
        for (j, row) in model.weight.axis_iter(Axis(0)).enumerate() {
            let v = self.factor(j);
            for &wj in &row {
                let uj = wj * r.scale[j];
                if v != 0.0 && uj != 0.0 {
                    penalty += v * (l1 * uj.abs() + 0.5 * l2 * uj * uj);
                }
            }
        }
        (data + penalty, size + penalty)
    }

    /// Every coefficient within its bounds (exactly), and `≥ 0` with
    /// `positive`.
    pub fn check_bounds(&self, weight: ndarray::ArrayView2<f64>, what: &str) {
        for (j, row) in weight.axis_iter(Axis(0)).enumerate() {
            let (lo, hi) = self.bounds(j);
            for &w in &row {
                assert!(
                    w >= lo && w <= hi,
                    "{what}: coefficient {j} = {w:e} outside [{lo:e}, {hi:e}]"
                );
            }
        }
    }

    /// The proximal-gradient (KKT) residual `‖G‖` of `L` at `model` over
    /// all outputs, the `Lf` it uses (the trace bound on the curvature of
    /// the data term, in the standardized coordinates `u = W·s`) and a
    /// bound on the rounding in `G` (the prox is 1-Lipschitz, so an error
    /// `δ` in the gradient moves `G` by at most `|δ|`).
    fn kkt(&self, model: &LinearModel<f64>, alpha: f64, l1_ratio: f64) -> (f64, f64, f64) {
        let r = self.reduced();
        let (l1, l2) = (alpha * l1_ratio, alpha * (1.0 - l1_ratio));
        let p = self.x.ncols();
        let lf: f64 = (0..p)
            .map(|j| {
                r.xt.column(j)
                    .iter()
                    .zip(&r.omega)
                    .map(|(v, w)| w * v * v)
                    .sum::<f64>()
            })
            .sum();
        if lf == 0.0 || !lf.is_finite() {
            return (0.0, 0.0, 0.0);
        }
        let mut g2 = 0.0;
        let mut noise2 = 0.0;
        for l in 0..self.y.ncols() {
            let u = &model.weight.column(l) * &r.scale;
            let fitted = r.xt.dot(&u);
            let abs_fitted = r.xt.mapv(f64::abs).dot(&u.mapv(f64::abs));
            let res = &r.yt.column(l) - &fitted;
            let weighted = &res * &r.omega;
            let size = (&r.yt.column(l).mapv(f64::abs) + &abs_fitted) * &r.omega;
            let grad = -r.xt.t().dot(&weighted);
            let grad_noise = r.xt.mapv(f64::abs).t().dot(&size) * 1e-9;
            for j in 0..p {
                let v = self.factor(j);
                let (lo, hi) = self.bounds(j);
                let (lo, hi) = (lo * r.scale[j], hi * r.scale[j]);
                let a = u[j] - grad[j] / lf;
                let t = v * l1 / lf;
                let shrunk = a.signum() * (a.abs() - t).max(0.0) / (1.0 + v * l2 / lf);
                let prox = shrunk.max(lo).min(hi);
                g2 += (lf * (u[j] - prox)).powi(2);
                noise2 += grad_noise[j].powi(2);
            }
        }
        (g2.sqrt(), lf, noise2.sqrt())
    }

    /// For a fit that says it converged at `(alpha, l1_ratio)` with duality
    /// gap `gap` (in units of `L`):
    ///
    /// * the gap meets the stopping rule, `gap ≤ tol·Σω(y − ȳ)²`;
    /// * `L ≤ L(0) + gap` (the zero model is always feasible);
    /// * when `tame`: the reported objective (if any) is `L` recomputed
    ///   here, and the KKT residual is within `√(2·Lf·gap)`.
    #[allow(clippy::too_many_arguments)]
    pub fn check_converged(
        &self,
        model: &LinearModel<f64>,
        gap: f64,
        tol: f64,
        alpha: f64,
        l1_ratio: f64,
        reported: Option<f64>,
        tame: bool,
        what: &str,
    ) {
        let unit = self.unit();
        if !unit.is_finite() {
            return; // the scale itself overflows: nothing to compare
        }
        assert!(
            gap <= tol * unit * (1.0 + 1e-9) + f64::MIN_POSITIVE,
            "{what}: converged with gap {gap} > tol·Σω(y − ȳ)² = {}",
            tol * unit
        );
        let (value, size) = self.objective(model, alpha, l1_ratio);
        let zero = 0.5 * unit;
        // Plus underflow: a weight below 1.5e-154 has w² = 0 in the crate's
        // ‖w‖², yet λ₂·w² may not be negligible for a huge λ₂.
        let n_weights = (model.weight.len() + 1) as f64;
        let slack = 1e-9 * (zero + size) + (alpha.abs() + 1.0) * n_weights * 1e-300;
        if !value.is_finite() {
            return;
        }
        assert!(
            value <= zero + gap + slack,
            "{what}: converged at L = {value} above L(0) + gap = {zero} + {gap}"
        );
        if !tame {
            return;
        }
        if let Some(reported) = reported {
            assert!(
                (reported - value).abs() <= slack,
                "{what}: reported objective {reported} but L = {value} (slack {slack:e})"
            );
        }
        let (g, lf, noise) = self.kkt(model, alpha, l1_ratio);
        let bound = (2.0 * lf * (gap + slack)).sqrt();
        assert!(
            g <= bound * (1.0 + 1e-6) + noise + 1e-300,
            "{what}: KKT residual {g:e} > √(2·Lf·gap) = {bound:e} + rounding {noise:e} \
             (gap {gap:e}, Lf {lf:e})"
        );
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
    pub fn alpha_max_is_meaningful(&self) -> Option<bool> {
        let p = self.x.ncols();
        let free: Vec<usize> = (0..p).filter(|&j| self.factor(j) == 0.0).collect();
        if free
            .iter()
            .any(|&j| self.bounds(j) != (f64::NEG_INFINITY, f64::INFINITY))
        {
            return None;
        }
        let r = self.reduced();
        let cols = r.xt.select(Axis(1), &free);
        let weighted = &cols * &r.omega.view().insert_axis(Axis(1));
        let l = well_conditioned_cholesky(cols.t().dot(&weighted))?;
        let norm2 = |v: &Array1<f64>| (v * v * &r.omega).sum();
        let penalized: Vec<usize> = (0..r.xt.ncols())
            .filter(|&j| self.factor(j) > 0.0)
            .collect();
        let (mut best, mut natural) = (0.0_f64, 0.0_f64);
        let fitted = r.yt.axis_iter(Axis(1)).all(|yl| {
            // L·Lᵀ·δ = X_Fᵀ·Ω·ỹ, then r₀ = ỹ − X_F·δ.
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
                let xj = r.xt.column(j);
                let v = self.factor(j);
                let c = (&xj * &r0 * &r.omega).sum();
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

    /// `√(Σₗ Σᵢ ωᵢ(x̃ᵢ(u_a − u_b))²)`: how far apart two models' fitted
    /// values are, in the norm the data term is strongly convex in.
    pub fn fitted_distance(&self, a: &LinearModel<f64>, b: &LinearModel<f64>) -> f64 {
        let r = self.reduced();
        let mut total = 0.0;
        for l in 0..self.y.ncols() {
            let d = (&a.weight.column(l) - &b.weight.column(l)) * &r.scale;
            let f = r.xt.dot(&d);
            total += f.iter().zip(&r.omega).map(|(v, w)| w * v * v).sum::<f64>();
        }
        total.sqrt()
    }
}

/// The Cholesky factor (lower) of the symmetric `a` when every pivot is
/// above `1e-8` of its diagonal entry (and finite).
fn well_conditioned_cholesky(mut a: Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    for j in 0..n {
        let diag = a[[j, j]];
        for k in 0..j {
            a[[j, j]] -= a[[j, k]] * a[[j, k]];
        }
        if !(a[[j, j]] > 1e-8 * diag && a[[j, j]].is_finite()) {
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
