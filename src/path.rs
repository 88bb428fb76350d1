//! [`ElasticNetPath`]: solutions for a whole grid of `alpha`s, from the
//! all-zero model down to little regularization.

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, Axis};

use crate::solver::cd::coordinate_descent;
use crate::solver::features::{FeaturePenalty, FeatureSettings};
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
/// standardized with `standardize`, weighted by `√wᵢ` with
/// [`fit_weighted`](Self::fit_weighted)), the maximum taken over features
/// and output columns. With [penalty factors](Self::penalty_factor) it is
/// `maxⱼ |x̃ⱼᵀr₀|/(vⱼ·m·l1_ratio)` over the penalized features, where `r₀`
/// is the residual after fitting the unpenalized (`vⱼ = 0`) features alone
/// by least squares — they are in the model from the first alpha on; with
/// [bounds](Self::bounds), only the directions a coefficient may move in
/// count. (scikit-learn's `_alpha_grid` uses the L2 norm over
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
/// | [`positive`](Self::positive), [`penalty_factor`](Self::penalty_factor), [`bounds`](Self::bounds) | as [`ElasticNet`](crate::ElasticNet) | |
/// | [`relax`](Self::relax) | `false` | |
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
    features: FeatureSettings<F>,
    relax: bool,
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
            features: FeatureSettings::default(),
            relax: false,
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

    /// Constrain every coefficient to be `≥ 0` (default `false`), as
    /// [`ElasticNet::positive`](crate::ElasticNet::positive).
    pub fn positive(mut self, positive: bool) -> Self {
        self.features.positive = positive;
        self
    }

    /// Per-feature penalty factors, as
    /// [`ElasticNet::penalty_factor`](crate::ElasticNet::penalty_factor).
    /// Features with factor 0 are fitted (by least squares) already at
    /// `alpha_max`, and `alpha_max` is taken over the penalized features
    /// (see [the grid](#the-grid)).
    pub fn penalty_factor(mut self, factor: ndarray::Array1<F>) -> Self {
        self.features.factor = Some(factor);
        self
    }

    /// Per-feature coefficient bounds, as
    /// [`ElasticNet::bounds`](crate::ElasticNet::bounds).
    pub fn bounds(mut self, lower: ndarray::Array1<F>, upper: ndarray::Array1<F>) -> Self {
        self.features.lower = Some(lower);
        self.features.upper = Some(upper);
        self
    }

    /// Also compute the relaxed fits (default `false`; glmnet's
    /// `relax = TRUE`): at each alpha, the unpenalized least-squares refit
    /// on the features the penalized fit selected (within the bounds), in
    /// [`Path::relaxed`]. [`Path::relaxed_model`] blends the two.
    pub fn relax(mut self, relax: bool) -> Self {
        self.relax = relax;
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
        self.fit_inner(x, y, None)
    }

    /// Fits the path with a weight per row, as
    /// [`ElasticNet::fit_weighted`](crate::ElasticNet::fit_weighted); the
    /// automatic grid uses the weighted correlations.
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit) and
    /// [`ElasticNet::fit_weighted`](crate::ElasticNet::fit_weighted).
    pub fn fit_weighted(
        &self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: ArrayView1<F>,
    ) -> Result<Path<F>> {
        self.fit_inner(x, y, Some(sample_weight))
    }

    fn fit_inner(
        &self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<Path<F>> {
        self.validate()?;
        check::xy_shapes(x, y)?;
        if let Some(sw) = sample_weight {
            check::sample_weight(sw, x.nrows())?;
        }
        self.features.validate(x.ncols())?;
        let problem = Problem::checked(
            x,
            y,
            sample_weight,
            self.fit_intercept,
            self.standardize,
            Layout::Auto,
        )?;
        check::representable(&problem)?;
        let features = self.features.build(&problem);
        let alphas = match &self.alphas {
            Some(given) => sorted_descending(given),
            None => alpha_grid(&problem, &features, self.l1_ratio, self.n_alphas, self.eps),
        };
        self.fit_problem(&problem, &features, &alphas)
    }

    /// Replaces the factors, bounds and `positive` at once.
    pub(crate) fn set_feature_settings(&mut self, features: FeatureSettings<F>) {
        self.features = features;
    }

    /// The path on an already preprocessed problem.
    pub(crate) fn fit_problem(
        &self,
        problem: &Problem<F>,
        features: &FeaturePenalty<F>,
        alphas: &[F],
    ) -> Result<Path<F>> {
        check::representable(problem)?;
        let n_targets = problem.yty.len();
        let targets: Vec<usize> = (0..n_targets).collect();
        let run = |&target: &usize| {
            let mut column = self.start_column(problem, features, target, alphas.len());
            for &alpha in alphas {
                self.solve_next(problem, features, &mut column, alpha);
            }
            column
        };
        #[cfg(feature = "rayon")]
        let columns: Vec<ColumnPath<F>> = {
            use rayon::prelude::*;
            // One target per job (see "Parallel work" in `solver`).
            targets.par_iter().with_max_len(1).map(run).collect()
        };
        #[cfg(not(feature = "rayon"))]
        let columns: Vec<ColumnPath<F>> = targets.iter().map(run).collect();
        self.assemble(problem, alphas, columns)
    }

    /// The [`Path`] of the columns' solutions (`columns[target]`, each
    /// solved at every one of `alphas`), clipped to the bounds.
    pub(crate) fn assemble(
        &self,
        problem: &Problem<F>,
        alphas: &[F],
        columns: Vec<ColumnPath<F>>,
    ) -> Result<Path<F>> {
        let columns: Vec<Vec<PathPoint<F>>> = columns.into_iter().map(|c| c.points).collect();
        let mut path = Path::assemble(problem, alphas, &columns, self.relax)?;
        for coefs in
            std::iter::once(&mut path.coefs).chain(path.relaxed.as_mut().map(|r| &mut r.coefs))
        {
            for weight in coefs.outer_iter_mut() {
                self.features.clip(weight);
            }
        }
        Ok(path)
    }

    fn options(&self) -> Options<F> {
        Options {
            tol: self.tol,
            max_iter: self.max_iter,
            solver: Solver::CoordinateDescent,
        }
    }

    /// The path of target column `target` before its first alpha: the
    /// solution at `alpha_max` (only the unpenalized features non-zero)
    /// and its correlations, room for `n_alphas` solutions.
    pub(crate) fn start_column(
        &self,
        problem: &Problem<F>,
        features: &FeaturePenalty<F>,
        target: usize,
        n_alphas: usize,
    ) -> ColumnPath<F> {
        let w = null_fit(problem, features, target, &null_fit_options());
        // z = X̃ᵀr at the previous solution; the previous "alpha" is this
        // column's own alpha_max (in l1_reg units).
        let z = problem.correlations(target, w.view()).z;
        let l1_prev = max_score(&z, features);
        ColumnPath {
            target,
            unpenalized: features.factor.iter().any(|&v| v == F::zero()),
            w,
            z,
            l1_prev,
            points: Vec::with_capacity(n_alphas),
        }
    }

    /// Solves `column` at its next alpha, `alpha` (below the last one),
    /// warm-started from the last solution: strong-rule candidates, then
    /// coordinate descent, and the relaxed refit if asked for. The
    /// column's whole state between alphas is in [`ColumnPath`], so a
    /// path solved an alpha at a time, in any interleaving with other
    /// paths, is the same to the bit as one solved in one go.
    pub(crate) fn solve_next(
        &self,
        problem: &Problem<F>,
        features: &FeaturePenalty<F>,
        column: &mut ColumnPath<F>,
        alpha: F,
    ) {
        let opts = self.options();
        let ColumnPath {
            target,
            unpenalized,
            w,
            z,
            l1_prev,
            points,
        } = column;
        let target = *target;
        let pen = Penalty::from_alpha(alpha, self.l1_ratio, problem.n_samples, features);
        let at_null = (*unpenalized)
            .then(|| null_solution(problem, features, target, w, &pen, &opts))
            .flatten();
        let solution = if let Some((solution, z_null)) = at_null {
            *z = z_null;
            *l1_prev = pen.l1_reg;
            solution
        } else if pen.l1_reg > F::zero() {
            let candidates = self.screening.then(|| {
                let cut = pen.l1_reg + pen.l1_reg - *l1_prev;
                crate::solver::collect_with_capacity(
                    w.len(),
                    (0..w.len()).filter(|&j| {
                        let v = features.factor[j];
                        w[j] != F::zero() || v == F::zero() || z[j].abs() >= v * cut
                    }),
                )
            });
            let (solution, z_next) =
                coordinate_descent(problem, target, w, &pen, &opts, candidates);
            *z = z_next;
            *l1_prev = pen.l1_reg;
            solution
        } else {
            // No L1 term: nothing to screen (and ridge is solved directly).
            solve_column(problem, target, w, &pen, &opts, None)
        };
        let relaxed = self.relax.then(|| {
            let support = crate::solver::nonzero_indices(w.view());
            // Consecutive alphas often select the same features.
            match points.last().and_then(|prev| prev.relaxed.as_ref()) {
                Some(prev) if prev.support == support => prev.clone(),
                _ => Refit::new(problem, features, target, support, w, &opts),
            }
        });
        points.push(PathPoint {
            w: w.clone(),
            solution,
            relaxed,
        });
    }
}

/// One target column's path in progress: the warm start for its next
/// alpha and the solutions so far.
pub(crate) struct ColumnPath<F> {
    target: usize,
    /// Some feature has penalty factor 0.
    unpenalized: bool,
    /// The last solution (at `alpha_max` before the first alpha).
    w: Array1<F>,
    /// `X̃ᵀr` at `w`, for the strong rule.
    z: Array1<F>,
    /// The L1 penalty `w` was solved at (in `l1_reg` units).
    l1_prev: F,
    points: Vec<PathPoint<F>>,
}

/// One alpha of one target column's path.
struct PathPoint<F> {
    w: Array1<F>,
    solution: ColumnSolution<F>,
    relaxed: Option<Refit<F>>,
}

/// The unpenalized least-squares refit on a support.
#[derive(Debug, Clone)]
struct Refit<F> {
    support: Vec<usize>,
    w: Array1<F>,
    solution: ColumnSolution<F>,
}

impl<F: Float> Refit<F> {
    /// Least squares on `support` (every other coordinate fixed at 0, the
    /// bounds kept), from `start`.
    fn new(
        problem: &Problem<F>,
        features: &FeaturePenalty<F>,
        target: usize,
        support: Vec<usize>,
        start: &Array1<F>,
        opts: &Options<F>,
    ) -> Self {
        let restricted = features.restricted_to(&support);
        let mut w = start.clone();
        for (j, v) in w.iter_mut().enumerate() {
            *v = v.max(restricted.lower[j]).min(restricted.upper[j]);
        }
        let solution = solve_column(
            problem,
            target,
            &mut w,
            &Penalty::none(&restricted),
            opts,
            None,
        );
        Self {
            support,
            w,
            solution,
        }
    }
}

/// The solution at `alpha_max` and above: the unpenalized features
/// (factor 0) fitted by least squares within their bounds, every other
/// coefficient 0.
fn null_fit<F: Float>(
    problem: &Problem<F>,
    features: &FeaturePenalty<F>,
    target: usize,
    opts: &Options<F>,
) -> Array1<F> {
    let p = problem.n_features();
    let free: Vec<usize> = (0..p)
        .filter(|&j| features.factor[j] == F::zero())
        .collect();
    if free.is_empty() {
        return Array1::zeros(p);
    }
    Refit::new(problem, features, target, free, &Array1::zeros(p), opts).w
}

/// The solution at `alpha_max` and above for target `target` (see
/// [`null_fit`]), with the settings the grid uses: where
/// [`ElasticNet`](crate::ElasticNet) starts when some features are
/// unpenalized.
pub(crate) fn null_start<F: Float>(
    problem: &Problem<F>,
    features: &FeaturePenalty<F>,
    target: usize,
) -> Array1<F> {
    null_fit(problem, features, target, &null_fit_options())
}

/// `w` as the solution under `pen` when every penalized coordinate is 0
/// and satisfies its optimality condition there (`vⱼ·l1_reg ≥` its push,
/// as [`alpha_max`] makes it at its own alpha, from this very residual):
/// then `w` is the null fit and only the unpenalized coordinates may still
/// move. If the gap of the whole problem does not meet the tolerance yet,
/// they are polished by least squares with every penalized coordinate
/// fixed at 0 (`n_iter` counts those sweeps; 0 when none was needed). The
/// returned solution is certified by the gap of the whole problem, like any
/// other, and comes with `z = X̃ᵀr` at the final `w`. `None` (and `w`
/// untouched) when the conditions do not hold at `w`: below `alpha_max`.
///
/// For the null fit at or above `alpha_max` a sweep of the whole problem
/// could only do harm: it re-solves the unpenalized coordinates, which
/// moves `zⱼ` of a penalized coordinate by rounding — more than the
/// rounding `alpha_max` allows for — and pushes it off 0 (by `1e-17`
/// relative) at `alpha_max` itself (F24); and when the null fit is
/// iterative (a bounded unpenalized feature, or a singular block) its
/// residual, hence `alpha_max`, is only as accurate as its gap, and the
/// sweep found a penalized coefficient of `−2.7e-19` where the grid
/// promises 0 (F25).
pub(crate) fn null_solution<F: Float>(
    problem: &Problem<F>,
    features: &FeaturePenalty<F>,
    target: usize,
    w: &mut Array1<F>,
    pen: &Penalty<F>,
    opts: &Options<F>,
) -> Option<(ColumnSolution<F>, Array1<F>)> {
    if pen.l1_reg <= F::zero() {
        return None;
    }
    let (mut res, mut gap) = pen.gap(problem, target, w.view());
    let at_zero = res.z.iter().enumerate().all(|(j, &zj)| {
        let v = features.factor[j];
        v == F::zero() || (w[j] == F::zero() && v * pen.l1_reg >= push(zj, features, j))
    });
    if !at_zero {
        return None;
    }
    let threshold = opts.tol * problem.yty[target];
    let mut n_iter = 0;
    if gap > threshold {
        let free: Vec<usize> = (0..w.len())
            .filter(|&j| features.factor[j] == F::zero())
            .collect();
        let polish = Options {
            solver: Solver::CoordinateDescent,
            ..*opts
        };
        let refit = Refit::new(problem, features, target, free, w, &polish);
        *w = refit.w;
        n_iter = refit.solution.n_iter;
        (res, gap) = pen.gap(problem, target, w.view());
    }
    let solution = ColumnSolution {
        n_iter,
        converged: gap <= threshold,
        gap,
        objective: crate::solver::gap::primal(w.view(), res.r_norm2, pen),
    };
    Some((solution, res.z))
}

/// Settings of [`null_fit`]: independent of the path's own, so that the
/// grid and every path built on it start from the same point.
fn null_fit_options<F: Float>() -> Options<F> {
    Options {
        tol: F::cast(1e-10).max(F::cast(100.0) * F::epsilon()),
        max_iter: 10_000,
        solver: Solver::CoordinateDescent,
    }
}

/// `maxⱼ sⱼ/vⱼ` over penalized features, where `sⱼ` is how far `zⱼ` pushes
/// `wⱼ = 0` in a direction its bounds allow: the smallest `l1_reg` at which
/// every penalized coefficient stays 0.
fn max_score<F: Float>(z: &Array1<F>, features: &FeaturePenalty<F>) -> F {
    let mut best = F::zero();
    for (j, &zj) in z.iter().enumerate() {
        let v = features.factor[j];
        if v > F::zero() {
            best = best.max(push(zj, features, j) / v);
        }
    }
    best
}

/// How strongly `zⱼ` pushes `wⱼ` away from 0 where the bounds allow it.
fn push<F: Float>(zj: F, features: &FeaturePenalty<F>, j: usize) -> F {
    let up = if features.upper[j] > F::zero() {
        zj
    } else {
        F::zero()
    };
    let down = if features.lower[j] < F::zero() {
        -zj
    } else {
        F::zero()
    };
    up.max(down).max(F::zero())
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
    /// The relaxed refits, when the path was fitted with
    /// [`relax(true)`](ElasticNetPath::relax).
    pub relaxed: Option<RelaxedPath<F>>,
}

/// The relaxed lasso along a path (glmnet's `relax = TRUE`): at each alpha,
/// the unpenalized least-squares refit on the features the penalized fit
/// selected (weighted, with the intercept, within the bounds; features
/// outside the support stay at 0).
///
/// For `gamma ∈ [0, 1]` the relaxed model at alpha `i` is
/// `gamma·β(i) + (1 − gamma)·β_LS(i)` (weights and intercepts alike):
/// `gamma = 1` is the penalized fit, `gamma = 0` the refit
/// ([`Path::relaxed_model`]).
///
/// A support with collinear columns (or more features than rows) has no
/// unique least-squares solution; coordinate descent then returns one of
/// them, and [`converged`](Self::converged) says whether it was certified.
#[derive(Debug, Clone, PartialEq)]
pub struct RelaxedPath<F = f64> {
    /// Refit coefficients on the original scale, `n_alphas × p × k`.
    pub coefs: Array3<F>,
    /// Refit intercepts, `n_alphas × k`.
    pub intercepts: Array2<F>,
    /// Whether each alpha's refit met the stopping rule for every column.
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

    /// The relaxed model at the `i`-th alpha:
    /// `gamma·model(i) + (1 − gamma)·refit(i)` (see [`RelaxedPath`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for `gamma` outside `[0, 1]`, or
    /// (`relax`) for a path fitted without [`relax(true)`](ElasticNetPath::relax).
    ///
    /// # Panics
    ///
    /// If `i ≥ len()`.
    ///
    /// ```
    /// use elasticnet::{ElasticNetPath, datasets};
    /// let d = datasets::diabetes();
    /// let path = ElasticNetPath::new(1.0).n_alphas(20).relax(true)
    ///     .fit(d.x.view(), d.y.view())?;
    /// let lasso = path.model(10);
    /// let refit = path.relaxed_model(10, 0.0)?;
    /// // Same features, larger (less shrunk) coefficients on the whole.
    /// for (a, b) in lasso.weight.iter().zip(refit.weight.iter()) {
    ///     assert_eq!(*a == 0.0, *b == 0.0);
    /// }
    /// assert_eq!(path.relaxed_model(10, 1.0)?, lasso);
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn relaxed_model(&self, i: usize, gamma: F) -> Result<LinearModel<F>> {
        check::unit_interval("gamma", gamma)?;
        let relaxed = self.relaxed.as_ref().ok_or(Error::InvalidParameter {
            name: "relax",
            value: 0.0,
            expected: "a path fitted with relax(true)",
        })?;
        let blend = |a: ndarray::ArrayView1<F>, b: ndarray::ArrayView1<F>| {
            ndarray::Zip::from(&a).and(&b).map_collect(|&a, &b| {
                if gamma == F::one() {
                    a
                } else if gamma == F::zero() {
                    b
                } else {
                    gamma * a + (F::one() - gamma) * b
                }
            })
        };
        let pen = self.coefs.index_axis(Axis(0), i);
        let refit = relaxed.coefs.index_axis(Axis(0), i);
        let mut weight = Array2::zeros(pen.raw_dim());
        for (mut col, (a, b)) in weight
            .axis_iter_mut(Axis(1))
            .zip(pen.axis_iter(Axis(1)).zip(refit.axis_iter(Axis(1))))
        {
            col.assign(&blend(a, b));
        }
        let bias = blend(self.intercepts.row(i), relaxed.intercepts.row(i));
        Ok(LinearModel::from_parameters(weight, bias))
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
        columns: &[Vec<PathPoint<F>>],
        relax: bool,
    ) -> Result<Self> {
        let n_alphas = alphas.len();
        let (p, k) = (problem.n_features(), columns.len());
        let m = F::from_usize_lossy(problem.n_samples);
        let mut coefs = Array3::zeros((n_alphas, p, k));
        let mut intercepts = Array2::zeros((n_alphas, k));
        let mut n_iter = vec![0; n_alphas];
        let mut gaps = Array1::zeros(n_alphas);
        let mut converged = vec![true; n_alphas];
        let mut relaxed = relax.then(|| RelaxedPath {
            coefs: Array3::zeros((n_alphas, p, k)),
            intercepts: Array2::zeros((n_alphas, k)),
            converged: vec![true; n_alphas],
        });
        for i in 0..n_alphas {
            problem.to_original_scale_into(
                columns.iter().map(|c| &c[i].w),
                coefs.index_axis_mut(Axis(0), i),
                intercepts.row_mut(i),
            );
            for column in columns {
                let s = &column[i].solution;
                n_iter[i] = n_iter[i].max(s.n_iter);
                gaps[i] += s.gap / m;
                converged[i] &= s.converged;
            }
            if let Some(relaxed) = &mut relaxed {
                let refits: Vec<&Refit<F>> = columns
                    .iter()
                    .map(|c| c[i].relaxed.as_ref().expect("relax computes every refit"))
                    .collect();
                problem.to_original_scale_into(
                    refits.iter().map(|r| &r.w),
                    relaxed.coefs.index_axis_mut(Axis(0), i),
                    relaxed.intercepts.row_mut(i),
                );
                relaxed.converged[i] = refits.iter().all(|r| r.solution.converged);
            }
        }
        let relaxed_finite = relaxed.as_ref().is_none_or(|r| {
            r.coefs
                .iter()
                .chain(r.intercepts.iter())
                .all(|v| v.is_finite())
        });
        if !relaxed_finite {
            return Err(Error::NonFiniteSolution {
                n_iter: n_iter.iter().sum(),
            });
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
            relaxed,
        })
    }
}

/// `alpha_max` of `problem` at `l1_ratio` (see [`ElasticNetPath`]), nudged
/// up if needed so that `vⱼ·m·alpha_max·l1_ratio` — the threshold the solver
/// compares with — is not below any feature's push `|x̃ⱼᵀr₀|` after
/// rounding: the solution at `alpha_max` is exactly zero on every penalized
/// feature. `r₀` is the residual of [`null_fit`] (`ỹ` without factor-0
/// features). 0 when no feature is penalized.
pub(crate) fn alpha_max<F: Float>(
    problem: &Problem<F>,
    features: &FeaturePenalty<F>,
    l1_ratio: F,
) -> F {
    let l1_ratio = l1_ratio.max(F::cast(RIDGE_GRID_L1_RATIO));
    let opts = null_fit_options();
    let zs: Vec<Array1<F>> = (0..problem.yty.len())
        .map(|l| {
            let w0 = null_fit(problem, features, l, &opts);
            problem.correlations(l, w0.view()).z
        })
        .collect();
    let max_score = zs
        .iter()
        .fold(F::zero(), |a, z| a.max(max_score(z, features)));
    let n_samples = problem.n_samples;
    let mut alpha = max_score / (F::from_usize_lossy(n_samples) * l1_ratio);
    for _ in 0..8 {
        let l1_reg = Penalty::from_alpha(alpha, l1_ratio, n_samples, features).l1_reg;
        let holds = zs.iter().all(|z| {
            z.iter().enumerate().all(|(j, &zj)| {
                let v = features.factor[j];
                v == F::zero() || v * l1_reg >= push(zj, features, j)
            })
        });
        if holds {
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
    features: &FeaturePenalty<F>,
    l1_ratio: F,
    n_alphas: usize,
    eps: F,
) -> Vec<F> {
    let top = alpha_max(problem, features, l1_ratio);
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
