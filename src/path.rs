//! [`ElasticNetPath`]: solutions for a whole grid of `alpha`s, from the
//! all-zero model down to little regularization.

use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};

use crate::solver::cd::coordinate_descent;
use crate::solver::problem::{Layout, Problem};
use crate::solver::{ColumnSolution, Options, Penalty, Solver, solve_column};
use crate::{Error, Float, LinearModel, Result, check};

/// The floor on `l1_ratio` used to place the automatic grid when
/// `l1_ratio < 1e-3` (ridge has no finite `alpha_max`), as glmnet does.
pub const RIDGE_GRID_L1_RATIO: f64 = 1e-3;

/// The regularization path of the elastic net: one fit per `alpha`, from
/// `alpha_max` (where every coefficient is zero) down to `eps·alpha_max`,
/// each warm-started from the previous one.
///
/// # The grid
///
/// `alpha_max` is the smallest `alpha` whose solution is all zeros. From
/// the optimality conditions at `w = 0`,
///
/// `alpha_max = maxⱼₗ |x̃ⱼᵀỹₗ| / (m·l1_ratio)`,
///
/// computed on the data the solver sees (centred with an intercept,
/// standardized with `standardize`), the maximum taken over features and
/// output columns. (scikit-learn's `_alpha_grid` uses the L2 norm over
/// output columns instead, which is `alpha_max` of the multi-task lasso,
/// not of independent columns.) With `l1_ratio` below `1e-3` (ridge, or
/// nearly) the grid is placed as for `l1_ratio = 1e-3`
/// ([`RIDGE_GRID_L1_RATIO`]), so its first solution is not all zeros.
/// The automatic grid is
/// `n_alphas` values log-spaced from `alpha_max` down to `eps·alpha_max`;
/// given [`alphas`](Self::alphas) are used instead, sorted in descending
/// order.
///
/// # Screening
///
/// With [`screening`](Self::screening) on (the default), each fit starts on
/// the features kept by the sequential strong rule (Tibshirani et al.,
/// 2012): feature `j` is set aside at `alpha_k` when
/// `|x̃ⱼᵀr(alpha_{k−1})| < m·l1_ratio·(2·alpha_k − alpha_{k−1})`. The rule can
/// be wrong, so the solver checks the KKT conditions of every set-aside
/// feature before it stops and brings back any that violates them: the
/// path is the same with and without screening, only faster.
///
/// | setter | default | range |
/// |--------|---------|-------|
/// | `l1_ratio` (in [`new`](Self::new)) | — | `[0, 1]` |
/// | [`n_alphas`](Self::n_alphas) | `100` | `[1, inf)` |
/// | [`eps`](Self::eps) | `1e-3` | `(0, 1]` |
/// | [`alphas`](Self::alphas) | automatic | non-empty, each in `[0, inf)` |
/// | [`fit_intercept`](Self::fit_intercept) | `true` | |
/// | [`standardize`](Self::standardize) | `false` | |
/// | [`tol`](Self::tol) | `1e-4` | `(0, inf)` |
/// | [`max_iter`](Self::max_iter) | `1000` | `[1, inf)` (per alpha) |
/// | [`screening`](Self::screening) | `true` | |
///
/// # References
///
/// * R. Tibshirani, J. Bien, J. Friedman, T. Hastie, N. Simon, J. Taylor,
///   R. Tibshirani, "Strong rules for discarding predictors in lasso-type
///   problems", *J. R. Statist. Soc. B* 74(2), 2012.
/// * J. Friedman, T. Hastie, R. Tibshirani, "Regularization Paths for
///   Generalized Linear Models via Coordinate Descent", *J. Stat. Softw.*
///   33(1), 2010.
///
/// ```
/// use elasticnet::{ElasticNetPath, datasets};
/// let d = datasets::diabetes();
/// let path = ElasticNetPath::new(1.0).n_alphas(50).standardize(true)
///     .fit(d.x.view(), d.y.view())?;
/// assert_eq!(path.coefs.dim(), (50, 10, 1));
/// assert_eq!(path.n_nonzero(0), 0);              // alpha_max: all zero
/// assert!(path.n_nonzero(49) > path.n_nonzero(10)); // features enter as alpha falls
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ElasticNetPath<F = f64> {
    l1_ratio: F,
    n_alphas: usize,
    eps: F,
    alphas: Option<Vec<F>>,
    fit_intercept: bool,
    standardize: bool,
    tol: F,
    max_iter: usize,
    screening: bool,
}

impl<F: Float> ElasticNetPath<F> {
    /// A path at the given `l1_ratio` (`1` for the lasso).
    pub fn new(l1_ratio: F) -> Self {
        Self {
            l1_ratio,
            n_alphas: 100,
            eps: F::cast(1e-3),
            alphas: None,
            fit_intercept: true,
            standardize: false,
            tol: F::cast(1e-4),
            max_iter: 1000,
            screening: true,
        }
    }

    /// Number of alphas of the automatic grid (default `100`).
    pub fn n_alphas(mut self, n_alphas: usize) -> Self {
        self.n_alphas = n_alphas;
        self
    }

    /// `alpha_min / alpha_max` of the automatic grid (default `1e-3`).
    pub fn eps(mut self, eps: F) -> Self {
        self.eps = eps;
        self
    }

    /// Use these alphas instead of the automatic grid (sorted descending).
    pub fn alphas(mut self, alphas: Vec<F>) -> Self {
        self.alphas = Some(alphas);
        self
    }

    /// Fit an unpenalised intercept (default `true`).
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }

    /// Solve on standardized columns (default `false`); coefficients are
    /// reported on the original scale.
    pub fn standardize(mut self, standardize: bool) -> Self {
        self.standardize = standardize;
        self
    }

    /// Duality-gap tolerance of each fit, as in
    /// [`ElasticNet::tol`](crate::ElasticNet::tol) (default `1e-4`).
    pub fn tol(mut self, tol: F) -> Self {
        self.tol = tol;
        self
    }

    /// Iterations at most for each alpha (default `1000`).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Use the sequential strong rule (default `true`); the answer is the
    /// same either way.
    pub fn screening(mut self, screening: bool) -> Self {
        self.screening = screening;
        self
    }

    /// Checks every hyper-parameter against the table on [`ElasticNetPath`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming the parameter; [`Error::EmptyInput`]
    /// for an empty list of alphas.
    pub fn validate(&self) -> Result<()> {
        check::unit_interval("l1_ratio", self.l1_ratio)?;
        check::at_least_one("n_alphas", self.n_alphas)?;
        if !(self.eps > F::zero() && self.eps <= F::one()) {
            return Err(check::invalid("eps", self.eps, "(0, 1]"));
        }
        if let Some(alphas) = &self.alphas {
            if alphas.is_empty() {
                return Err(Error::EmptyInput { what: "alphas" });
            }
            for &a in alphas {
                check::non_negative("alphas", a)?;
            }
        }
        check::positive("tol", self.tol)?;
        check::at_least_one("max_iter", self.max_iter)
    }

    /// Fits the path on `x` (m × p) and `y` (m × k).
    ///
    /// # Errors
    ///
    /// As [`ElasticNet::fit`](crate::ElasticNet::fit), plus the checks of
    /// [`validate`](Self::validate), and [`Error::NonFiniteSolution`] when
    /// the automatic grid overflows (`alpha_max` not finite).
    pub fn fit(&self, x: ArrayView2<F>, y: ArrayView2<F>) -> Result<Path<F>> {
        self.validate()?;
        check::xy(x, y)?;
        let problem = Problem::new(x, y, self.fit_intercept, self.standardize, Layout::Auto);
        let alphas = match &self.alphas {
            Some(given) => sorted_descending(given),
            None => alpha_grid(&problem, self.l1_ratio, self.n_alphas, self.eps),
        };
        self.fit_problem(&problem, &alphas)
    }

    /// The path on an already preprocessed problem (cross-validation folds
    /// reuse this).
    pub(crate) fn fit_problem(&self, problem: &Problem<F>, alphas: &[F]) -> Result<Path<F>> {
        check::representable(problem)?;
        let n_targets = problem.yty.len();
        let targets: Vec<usize> = (0..n_targets).collect();
        let run = |&target: &usize| self.column_path(problem, target, alphas);
        #[cfg(feature = "rayon")]
        let columns: Vec<Vec<(Array1<F>, ColumnSolution<F>)>> = {
            use rayon::prelude::*;
            targets.par_iter().map(run).collect()
        };
        #[cfg(not(feature = "rayon"))]
        let columns: Vec<Vec<(Array1<F>, ColumnSolution<F>)>> = targets.iter().map(run).collect();
        Path::assemble(problem, alphas, &columns)
    }

    /// The path of one target column: warm starts down the grid, strong-rule
    /// candidates at each alpha.
    fn column_path(
        &self,
        problem: &Problem<F>,
        target: usize,
        alphas: &[F],
    ) -> Vec<(Array1<F>, ColumnSolution<F>)> {
        let n_samples = problem.n_samples;
        let opts = Options {
            tol: self.tol,
            max_iter: self.max_iter,
            solver: Solver::CoordinateDescent,
        };
        let mut w = Array1::zeros(problem.n_features());
        // z = X̃ᵀr at the previous solution; at w = 0 it is X̃ᵀỹ, and the
        // previous "alpha" is this column's own alpha_max.
        let mut z = problem.correlations(target, w.view()).z;
        let mut l1_prev = z.iter().fold(F::zero(), |a, v| a.max(v.abs()));
        let mut out = Vec::with_capacity(alphas.len());
        for &alpha in alphas {
            let pen = Penalty::from_alpha(alpha, self.l1_ratio, n_samples, false);
            let solution = if pen.l1_reg > F::zero() {
                let candidates = self.screening.then(|| {
                    let cut = pen.l1_reg + pen.l1_reg - l1_prev;
                    (0..w.len())
                        .filter(|&j| w[j] != F::zero() || z[j].abs() >= cut)
                        .collect()
                });
                let (solution, z_next) =
                    coordinate_descent(problem, target, &mut w, &pen, &opts, candidates);
                z = z_next;
                l1_prev = pen.l1_reg;
                solution
            } else {
                // No L1 term: nothing to screen (and ridge is solved directly).
                solve_column(problem, target, &mut w, &pen, &opts, None)
            };
            out.push((w.clone(), solution));
        }
        out
    }
}

/// The results of [`ElasticNetPath::fit`], alpha by alpha.
#[derive(Debug, Clone, PartialEq)]
pub struct Path<F = f64> {
    /// The alphas, in descending order.
    pub alphas: Array1<F>,
    /// Coefficients on the original scale, `n_alphas × p × k`.
    pub coefs: Array3<F>,
    /// Intercepts, `n_alphas × k`.
    pub intercepts: Array2<F>,
    /// Iterations run at each alpha (the most over output columns).
    pub n_iter: Vec<usize>,
    /// Duality gap of `L` at each alpha (summed over output columns).
    pub duality_gaps: Array1<F>,
    /// Whether each alpha's fit met the stopping rule for every column.
    pub converged: Vec<bool>,
}

impl<F: Float> Path<F> {
    /// Number of alphas.
    pub fn len(&self) -> usize {
        self.alphas.len()
    }

    /// Whether the path has no alphas (never, for a fitted path).
    pub fn is_empty(&self) -> bool {
        self.alphas.is_empty()
    }

    /// The model at the `i`-th alpha.
    ///
    /// # Panics
    ///
    /// If `i ≥ len()`.
    pub fn model(&self, i: usize) -> LinearModel<F> {
        LinearModel::from_parameters(
            self.coefs.index_axis(Axis(0), i).to_owned(),
            self.intercepts.row(i).to_owned(),
        )
    }

    /// Number of non-zero coefficients at the `i`-th alpha.
    ///
    /// # Panics
    ///
    /// If `i ≥ len()`.
    pub fn n_nonzero(&self, i: usize) -> usize {
        self.coefs
            .index_axis(Axis(0), i)
            .iter()
            .filter(|&&w| w != F::zero())
            .count()
    }

    /// Gathers per-column solutions (`columns[target][alpha]`).
    fn assemble(
        problem: &Problem<F>,
        alphas: &[F],
        columns: &[Vec<(Array1<F>, ColumnSolution<F>)>],
    ) -> Result<Self> {
        let n_alphas = alphas.len();
        let (p, k) = (problem.n_features(), columns.len());
        let m = F::from_usize_lossy(problem.n_samples);
        let mut coefs = Array3::zeros((n_alphas, p, k));
        let mut intercepts = Array2::zeros((n_alphas, k));
        let mut n_iter = vec![0; n_alphas];
        let mut gaps = Array1::zeros(n_alphas);
        let mut converged = vec![true; n_alphas];
        for i in 0..n_alphas {
            let w: Vec<Array1<F>> = columns.iter().map(|c| c[i].0.clone()).collect();
            let (weight, bias) = problem.to_original_scale(&w);
            coefs.index_axis_mut(Axis(0), i).assign(&weight);
            intercepts.row_mut(i).assign(&bias);
            for column in columns {
                let s = &column[i].1;
                n_iter[i] = n_iter[i].max(s.n_iter);
                gaps[i] += s.gap / m;
                converged[i] &= s.converged;
            }
        }
        // A non-finite grid (alpha_max = maxⱼ|x̃ⱼᵀỹ|/m overflows) or gap is
        // an error, as non-finite coefficients are, never a silent NaN.
        if coefs
            .iter()
            .chain(intercepts.iter())
            .chain(gaps.iter())
            .chain(alphas.iter())
            .any(|v| !v.is_finite())
        {
            return Err(Error::NonFiniteSolution {
                n_iter: n_iter.iter().sum(),
            });
        }
        Ok(Self {
            alphas: Array1::from(alphas.to_vec()),
            coefs,
            intercepts,
            n_iter,
            duality_gaps: gaps,
            converged,
        })
    }
}

/// `alpha_max` of `problem` at `l1_ratio` (see [`ElasticNetPath`]), nudged
/// up if needed so that `m·alpha_max·l1_ratio` — the threshold the solver
/// compares with — is not below `max|x̃ⱼᵀỹ|` after rounding: the solution
/// at `alpha_max` is exactly zero.
pub(crate) fn alpha_max<F: Float>(problem: &Problem<F>, l1_ratio: F) -> F {
    let l1_ratio = l1_ratio.max(F::cast(RIDGE_GRID_L1_RATIO));
    let w0 = Array1::zeros(problem.n_features());
    let max_corr = (0..problem.yty.len())
        .map(|l| problem.correlations(l, w0.view()).z)
        .fold(F::zero(), |a, z| z.iter().fold(a, |a, v| a.max(v.abs())));
    let n_samples = problem.n_samples;
    let mut alpha = max_corr / (F::from_usize_lossy(n_samples) * l1_ratio);
    for _ in 0..8 {
        if Penalty::from_alpha(alpha, l1_ratio, n_samples, false).l1_reg >= max_corr {
            break;
        }
        alpha *= F::one() + F::epsilon();
    }
    alpha
}

/// `n_alphas` values log-spaced from `alpha_max` down to `eps·alpha_max`
/// (all equal to 0 when `alpha_max = 0`, i.e. `y` is constant).
pub(crate) fn alpha_grid<F: Float>(
    problem: &Problem<F>,
    l1_ratio: F,
    n_alphas: usize,
    eps: F,
) -> Vec<F> {
    let top = alpha_max(problem, l1_ratio);
    if n_alphas == 1 {
        return vec![top];
    }
    let log_eps = eps.ln();
    let last = F::from_usize_lossy(n_alphas - 1);
    (0..n_alphas)
        .map(|i| {
            if i == 0 {
                top
            } else {
                top * (log_eps * F::from_usize_lossy(i) / last).exp()
            }
        })
        .collect()
}

/// A copy of `alphas` in descending order.
pub(crate) fn sorted_descending<F: Float>(alphas: &[F]) -> Vec<F> {
    let mut sorted = alphas.to_vec();
    sorted.sort_by(|a, b| b.partial_cmp(a).expect("validated finite"));
    sorted
}

#[cfg(feature = "plot")]
impl<F: Float> Path<F> {
    /// Draws the coefficient path of output `target` as an SVG file
    /// ([`plot::coefficient_path`](crate::plot::coefficient_path)): one
    /// labelled line per feature against `log10(alpha)`, the number of
    /// non-zeros along the top. Needs every alpha `> 0`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `target` is out of range or the names do
    /// not match the features; otherwise as
    /// [`plot::coefficient_path`](crate::plot::coefficient_path).
    ///
    /// ```
    /// use elasticnet::{ElasticNetPath, datasets};
    /// let d = datasets::diabetes();
    /// let path = ElasticNetPath::new(1.0).n_alphas(20).standardize(true).fit(d.x.view(), d.y.view())?;
    /// let file = std::env::temp_dir().join("elasticnet_doc_path_plot.svg");
    /// path.plot(&file, 0, &d.feature_names)?;
    /// assert!(std::fs::read_to_string(&file)?.contains("bmi"));
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn plot<S: AsRef<str>>(
        &self,
        file: impl AsRef<std::path::Path>,
        target: usize,
        feature_names: &[S],
    ) -> Result<()> {
        let n_targets = self.coefs.len_of(Axis(2));
        if target >= n_targets {
            return Err(Error::ShapeMismatch {
                what: "target vs outputs of the path",
                expected: vec![n_targets],
                found: vec![target],
            });
        }
        crate::plot::coefficient_path(
            file,
            self.alphas.view(),
            self.coefs.index_axis(Axis(2), target),
            feature_names,
        )
    }
}
