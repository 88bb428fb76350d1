//! [`ElasticNet`]: the exact minimiser of the objective, with a certificate.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::solver::features::FeatureSettings;
use crate::solver::problem::{Layout, Problem};
use crate::solver::{ColumnSolution, Options, Penalty, Solver, solve_targets};
use crate::{Error, Float, LinearModel, Result, check};

/// Elastic-net regression solved exactly: the builder holds the
/// hyper-parameters, [`fit`](Self::fit) returns a [`Fit`].
///
/// It minimises, for each output column,
///
/// $$L(w,b)=\frac{1}{2m}\lVert y-Xw-b\rVert^2+\alpha\rho\lVert w\rVert_1+\frac{\alpha(1-\rho)}{2}\lVert w\rVert_2^2$$
///
/// ```text
/// L(w, b) = 1/(2m)·‖y − Xw − b‖² + alpha·l1_ratio·‖w‖₁ + alpha·(1 − l1_ratio)/2·‖w‖²
/// ```
///
/// i.e. `λ₁ = alpha·l1_ratio` and `λ₂ = alpha·(1 − l1_ratio)` in the
/// notation of [`ElasticLoss`](crate::ElasticLoss) — exactly what
/// scikit-learn's `ElasticNet(alpha, l1_ratio)` minimises, so coefficients
/// agree to solver tolerance. Other mappings:
///
/// * scikit-learn `Lasso(alpha=a)` = [`ElasticNet::lasso(a)`](Self::lasso);
/// * scikit-learn `Ridge(alpha=a)` = [`ElasticNet::ridge(a/m)`](Self::ridge)
///   (Ridge does not divide its squared error by `2m`);
/// * glmnet `(lambda, alpha)` = ours `(alpha = lambda, l1_ratio = alpha)`
///   when `standardize` matches and `y` has unit variance (glmnet divides
///   `y` by its standard deviation internally, which otherwise changes its
///   L2 term).
///
/// | setter | default | range |
/// |--------|---------|-------|
/// | `alpha` (in [`new`](Self::new)) | — | `[0, inf)` |
/// | `l1_ratio` (in [`new`](Self::new)) | — | `[0, 1]` |
/// | [`fit_intercept`](Self::fit_intercept) | `true` | |
/// | [`standardize`](Self::standardize) | `false` | |
/// | [`tol`](Self::tol) | `1e-4` | `(0, inf)` |
/// | [`max_iter`](Self::max_iter) | `1000` | `[1, inf)` |
/// | [`solver`](Self::solver) | [`Solver::CoordinateDescent`] | |
/// | [`positive`](Self::positive) | `false` | |
/// | [`penalty_factor`](Self::penalty_factor) | all 1 | p values in `[0, inf)` |
/// | [`bounds`](Self::bounds) | none | p values in `[-inf, 0]`, p in `[0, inf]` |
/// | [`warm_start`](Self::warm_start) | none | a p × k model |
///
/// Setters cannot fail; [`fit`](Self::fit) validates everything first.
///
/// # The general objective (glmnet's extras)
///
/// With row weights `wᵢ ≥ 0` ([`fit_weighted`](Self::fit_weighted)),
/// penalty factors `vⱼ ≥ 0` ([`penalty_factor`](Self::penalty_factor)) and
/// bounds `loⱼ ≤ 0 ≤ hiⱼ` ([`bounds`](Self::bounds)) the fit minimises
///
/// ```text
/// L(w, b) = 1/(2·Σw)·Σᵢ wᵢ(yᵢ − xᵢw − b)² + Σⱼ vⱼ·(λ₁|wⱼ| + λ₂/2·wⱼ²)
///           subject to loⱼ ≤ wⱼ ≤ hiⱼ,
/// ```
///
/// which is the objective above when every weight and factor is 1 and
/// there are no bounds. Weights follow scikit-learn's `sample_weight`
/// (only their ratios matter); factors are used as given (glmnet rescales
/// them to sum to p). With `standardize`, the penalty applies to the
/// standardized coefficients and the bounds to the original ones, as in
/// glmnet.
///
/// # Notes
///
/// * **Stopping rule.** A fit has converged when the duality gap of `L`
///   (for each output column) is at most `tol·‖y − ȳ‖²/m` (`ȳ = 0` without
///   an intercept), as scikit-learn's `tol`. [`Fit::duality_gap`] is in the
///   units of `L`. Running out of `max_iter` is not an error: the fit is
///   returned with `converged = false`.
/// * **Intercept.** With `fit_intercept`, `x` and `y` are centred (without
///   copying `x`), `w` is found on centred data and `b = ȳ − x̄ᵀw`.
/// * **Standardization.** With `standardize(true)` each column is divided by
///   its scale (population standard deviation, or root mean square without
///   an intercept; 1 for a constant column), the penalty applies to the
///   standardized coefficients, and [`Fit::model`] reports coefficients and
///   intercept on the original scale.
/// * **Solvers.** Coordinate descent uses Gram updates (`XᵀX` formed once,
///   in chunks, without copying `x`) when `m ≥ p` and `p ≤ 1024`, and
///   residual updates on a column-major copy of `x` otherwise. With
///   `l1_ratio = 0`, `alpha > 0` and no `positive`, it solves directly by
///   Cholesky (p × p for the Gram layout, m × m otherwise) and reports
///   `n_iter = 1`. [`Solver::Fista`] and [`Solver::GradientDescent`] reach
///   the same optimum, usually in more iterations.
///
/// ```
/// use elasticnet::{ElasticNet, datasets};
/// let data = datasets::diabetes();
/// let fit = ElasticNet::lasso(1.0).standardize(true).tol(1e-8)
///     .fit(data.x.view(), data.y.view())?;
/// assert!(fit.converged);
/// let zeros = fit.model.weight.iter().filter(|&&w| w == 0.0).count();
/// assert!(zeros >= 1); // the lasso selects features
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ElasticNet<F = f64> {
    alpha: F,
    l1_ratio: F,
    fit_intercept: bool,
    standardize: bool,
    tol: F,
    max_iter: usize,
    solver: Solver,
    features: FeatureSettings<F>,
    warm_start: Option<Array2<F>>,
}

impl<F: Float> ElasticNet<F> {
    /// The elastic net with `λ₁ = alpha·l1_ratio`, `λ₂ = alpha·(1 − l1_ratio)`.
    pub fn new(alpha: F, l1_ratio: F) -> Self {
        Self {
            alpha,
            l1_ratio,
            fit_intercept: true,
            standardize: false,
            tol: F::cast(1e-4),
            max_iter: 1000,
            solver: Solver::CoordinateDescent,
            features: FeatureSettings::default(),
            warm_start: None,
        }
    }

    /// The lasso: `l1_ratio = 1`, so `λ₁ = alpha`, `λ₂ = 0`.
    pub fn lasso(alpha: F) -> Self {
        Self::new(alpha, F::one())
    }

    /// Ridge regression: `l1_ratio = 0`, so `λ₁ = 0`, `λ₂ = alpha`
    /// (scikit-learn's `Ridge(alpha = m·alpha)`).
    pub fn ridge(alpha: F) -> Self {
        Self::new(alpha, F::zero())
    }

    /// Fit an unpenalised intercept (default `true`).
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }

    /// Solve on standardized columns (default `false`); coefficients are
    /// always reported on the original scale.
    pub fn standardize(mut self, standardize: bool) -> Self {
        self.standardize = standardize;
        self
    }

    /// Convergence tolerance on the duality gap, relative to
    /// `‖y − ȳ‖²/m` (default `1e-4`, range `(0, inf)`).
    pub fn tol(mut self, tol: F) -> Self {
        self.tol = tol;
        self
    }

    /// Iterations at most (default `1000`, range `[1, inf)`): sweeps for
    /// coordinate descent, steps for the proximal solvers.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// The algorithm (default [`Solver::CoordinateDescent`]).
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// Constrain every coefficient to be `≥ 0` (default `false`): the
    /// special case `lower = 0` of [`bounds`](Self::bounds) (combined with
    /// given bounds, the larger lower bound wins).
    pub fn positive(mut self, positive: bool) -> Self {
        self.features.positive = positive;
        self
    }

    /// Per-feature penalty factors `vⱼ ≥ 0` (length p, default all 1): the
    /// penalty becomes `Σⱼ vⱼ·(λ₁|wⱼ| + λ₂/2·wⱼ²)`. `vⱼ = 0` leaves feature
    /// `j` unpenalized (it is always in the model). Factors are used as
    /// given, not rescaled (glmnet rescales them to sum to p; multiply by
    /// `p/Σv` to reproduce it): a factor of 1 everywhere is no factor.
    pub fn penalty_factor(mut self, factor: Array1<F>) -> Self {
        self.features.factor = Some(factor);
        self
    }

    /// Per-feature bounds `lowerⱼ ≤ wⱼ ≤ upperⱼ` on the original-scale
    /// coefficients (length p each; `lowerⱼ` in `[-inf, 0]`, `upperⱼ` in
    /// `[0, inf]`, so the zero model is always feasible, as in glmnet).
    /// Coordinate descent clips each exact coordinate update to its
    /// interval, which keeps it exact (the 1-D problem is convex).
    pub fn bounds(mut self, lower: Array1<F>, upper: Array1<F>) -> Self {
        self.features.lower = Some(lower);
        self.features.upper = Some(upper);
        self
    }

    /// Start from this model's weights instead of zeros (its bias is not
    /// needed: the intercept is exact given the weights). Its shape is
    /// checked by [`fit`](Self::fit); with [`positive`](Self::positive),
    /// its weights start clipped to the bounds.
    pub fn warm_start(mut self, model: &LinearModel<F>) -> Self {
        self.warm_start = Some(model.weight.clone());
        self
    }

    /// `alpha`.
    pub fn alpha(&self) -> F {
        self.alpha
    }

    /// `l1_ratio`.
    pub fn l1_ratio(&self) -> F {
        self.l1_ratio
    }

    /// Checks every hyper-parameter against the table on [`ElasticNet`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming `alpha`, `l1_ratio`, `tol` or
    /// `max_iter`.
    pub fn validate(&self) -> Result<()> {
        check::non_negative("alpha", self.alpha)?;
        check::unit_interval("l1_ratio", self.l1_ratio)?;
        check::positive("tol", self.tol)?;
        check::at_least_one("max_iter", self.max_iter)
    }

    /// Fits `x` (m × p) to `y` (m × k; a 1-D target is
    /// `y.view().insert_axis(Axis(1))`).
    ///
    /// # Errors
    ///
    /// * [`Error::InvalidParameter`] for a bad hyper-parameter;
    /// * [`Error::EmptyInput`], [`Error::NonFinite`],
    ///   [`Error::ShapeMismatch`] for bad data, or a warm start that is not
    ///   p × k;
    /// * [`Error::NonFiniteSolution`] if `‖y − ȳ‖²` or a column's `‖x̃ⱼ‖²`
    ///   overflows, or the solver's coefficients, objective or duality gap
    ///   are not finite (data too badly scaled for the float type).
    pub fn fit(&self, x: ArrayView2<F>, y: ArrayView2<F>) -> Result<Fit<F>> {
        self.fit_inner(x, y, None)
    }

    /// Fits with a weight `wᵢ ≥ 0` per row: the squared error becomes
    /// `1/(2Σw)·Σᵢ wᵢ(yᵢ − xᵢW − b)²` (scikit-learn's `sample_weight`).
    /// Means, standardization and the stopping rule's `‖y − ȳ‖²` are
    /// weighted; a weight of 0 is the same as leaving the row out.
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit), plus [`Error::ShapeMismatch`] when there is
    /// not one weight per row, [`Error::NonFinite`] for a NaN or infinite
    /// weight and [`Error::InvalidParameter`] (`sample_weight`) for a
    /// negative weight or weights that are all 0.
    ///
    /// ```
    /// use elasticnet::{ElasticNet, datasets};
    /// use ndarray::Array1;
    /// let d = datasets::diabetes();
    /// // Doubling every weight changes nothing; weights 2 = repeated rows.
    /// let w = Array1::from_elem(d.x.nrows(), 2.0);
    /// let a = ElasticNet::lasso(0.5).tol(1e-10).fit(d.x.view(), d.y.view())?;
    /// let b = ElasticNet::lasso(0.5).tol(1e-10).fit_weighted(d.x.view(), d.y.view(), w.view())?;
    /// assert!((&a.model.weight - &b.model.weight).iter().all(|e| e.abs() < 1e-6));
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn fit_weighted(
        &self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: ArrayView1<F>,
    ) -> Result<Fit<F>> {
        self.fit_inner(x, y, Some(sample_weight))
    }

    fn fit_inner(
        &self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<Fit<F>> {
        self.validate()?;
        check::xy_shapes(x, y)?;
        if let Some(sw) = sample_weight {
            check::sample_weight(sw, x.nrows())?;
        }
        let (n_features, n_targets) = (x.ncols(), y.ncols());
        self.features.validate(n_features)?;
        if let Some(w0) = &self.warm_start {
            if w0.dim() != (n_features, n_targets) {
                return Err(Error::ShapeMismatch {
                    what: "warm start weight vs (columns of x, columns of y)",
                    expected: vec![n_features, n_targets],
                    found: vec![w0.nrows(), w0.ncols()],
                });
            }
            check::finite("warm start weight", w0.view())?;
        }
        let problem = Problem::checked(
            x,
            y,
            sample_weight,
            self.fit_intercept,
            self.standardize,
            Layout::Auto,
        )?;
        self.fit_problem(&problem)
    }

    /// The fit on an already preprocessed problem (cross-validation builds
    /// the refit's while it scores the folds). Hyper-parameters, the
    /// features' settings and the warm start's shape must be validated.
    pub(crate) fn fit_problem(&self, problem: &Problem<F>) -> Result<Fit<F>> {
        let n_targets = problem.yty.len();
        check::representable(problem)?;
        let features = self.features.build(problem);
        let mut w = match &self.warm_start {
            Some(w0) => problem.to_kernel_scale(w0.view()),
            // With unpenalized features (factor 0), start where the path
            // does: those fitted by least squares, the others at 0 — the
            // solution at alpha ≥ alpha_max. From all zeros, a penalized
            // coordinate swept before the unpenalized ones sees x̃ⱼᵀỹ, not
            // the residual of the unpenalized fit, and leaves 0 even at
            // alpha_max; a loose `tol` can stop the fit there (F21).
            None => (0..n_targets)
                .map(|l| crate::path::null_start(problem, &features, l))
                .collect(),
        };
        // Start feasible: the duality gap only certifies points inside the
        // bounds, and FISTA checks it before its first step. A column the
        // solvers cannot see (‖x̃ⱼ‖² = 0: constant, or squares that
        // underflow) starts at 0, as coordinate descent would set it: a
        // warm-start value there is invisible to the Gram design's ‖r‖²
        // and the proximal solvers never move it (F26).
        for wl in &mut w {
            ndarray::Zip::from(wl)
                .and(&features.lower)
                .and(&features.upper)
                .and(&problem.col_norm2)
                .for_each(|v, &lo, &hi, &norm2| {
                    *v = if norm2 == F::zero() {
                        F::zero()
                    } else {
                        v.max(lo).min(hi)
                    }
                });
        }
        let pen = Penalty::from_alpha(self.alpha, self.l1_ratio, problem.n_samples, &features);
        let opts = self.options();
        // Started from the null fit at or above alpha_max: that is the
        // solution, and no sweep of the whole problem may move it (F24, F25:
        // see `null_solution`).
        let from_null = self.warm_start.is_none() && features.factor.iter().any(|v| v.is_zero());
        let at_null: Option<Vec<_>> = from_null
            .then(|| {
                w.iter_mut()
                    .enumerate()
                    .map(|(l, wl)| {
                        crate::path::null_solution(problem, &features, l, wl, &pen, &opts)
                            .map(|(solution, _)| solution)
                    })
                    .collect()
            })
            .flatten();
        let solutions = match at_null {
            Some(solutions) => solutions,
            None => solve_targets(problem, &mut w, &pen, &opts),
        };
        let mut fit = Fit::from_solutions(problem, &w, &solutions)?;
        self.features.clip(&mut fit.model.weight);
        Ok(fit)
    }

    /// Replaces the factors, bounds and `positive` at once.
    pub(crate) fn set_feature_settings(&mut self, features: FeatureSettings<F>) {
        self.features = features;
    }

    pub(crate) fn options(&self) -> Options<F> {
        Options {
            tol: self.tol,
            max_iter: self.max_iter,
            solver: self.solver,
        }
    }
}

/// The result of [`ElasticNet::fit`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Fit<F = f64> {
    /// Weights (p × k) and bias on the original scale of `x`.
    pub model: LinearModel<F>,
    /// Iterations run (the most over output columns).
    pub n_iter: usize,
    /// Whether every output column met the stopping rule.
    pub converged: bool,
    /// The duality gap of `L` at the solution (summed over output columns;
    /// with standardization, of the standardized problem). An upper bound
    /// on `objective − min L`.
    pub duality_gap: F,
    /// `L` at the solution (summed over output columns; with
    /// standardization, of the standardized problem that was solved).
    pub objective: F,
}

impl<F: Float> Fit<F> {
    /// Predictions `x·W + b` of the fitted model, with input checks.
    ///
    /// # Errors
    ///
    /// As [`LinearModel::predict`].
    pub fn predict(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        self.model.predict(x)
    }

    /// Gathers per-column kernel solutions into a fit on the original scale.
    pub(crate) fn from_solutions(
        problem: &Problem<F>,
        w: &[Array1<F>],
        solutions: &[ColumnSolution<F>],
    ) -> Result<Self> {
        let m = F::from_usize_lossy(problem.n_samples);
        let n_iter = solutions.iter().map(|s| s.n_iter).max().unwrap_or(0);
        let (weight, bias) = problem.to_original_scale(w);
        let model = LinearModel::from_parameters(weight, bias);
        let duality_gap = solutions.iter().fold(F::zero(), |acc, s| acc + s.gap) / m;
        let objective = solutions.iter().fold(F::zero(), |acc, s| acc + s.objective) / m;
        // Data so large that ‖y‖² or the penalty overflows give finite
        // coefficients but an infinite (or NaN) objective and gap: an error,
        // never a silent NaN.
        if !model.is_finite() || !duality_gap.is_finite() || !objective.is_finite() {
            return Err(Error::NonFiniteSolution { n_iter });
        }
        Ok(Self {
            model,
            n_iter,
            converged: solutions.iter().all(|s| s.converged),
            duality_gap,
            objective,
        })
    }
}
