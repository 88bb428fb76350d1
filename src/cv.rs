//! [`ElasticNetCv`]: choosing `alpha` (and `l1_ratio`) by k-fold
//! cross-validation, glmnet's `cv.glmnet` and scikit-learn's
//! `ElasticNetCV`.

use std::borrow::Cow;

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, Axis, Zip, s};
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

use crate::path::{ColumnPath, ElasticNetPath, Path, alpha_grid};
use crate::solver::chains;
use crate::solver::features::{FeaturePenalty, FeatureSettings};
use crate::solver::folds::{self, HeldOutSums};
use crate::solver::problem::{Layout, Problem};
use crate::{ElasticNet, Error, Fit, Float, LinearModel, Result, check};

/// Cross-validated elastic net: for each `l1_ratio`, a path over one alpha
/// grid on every training fold, scored by the mean squared error on the
/// held-out fold.
///
/// # What is computed
///
/// * **Folds.** Rows are shuffled with [`seed`](Self::seed) and dealt into
///   [`folds`](Self::folds) groups of nearly equal size (row at shuffled
///   position `i` goes to fold `i mod K`), or taken from
///   [`fold_ids`](Self::fold_ids) (glmnet's `foldid`: one label per row;
///   the distinct labels are the folds).
/// * **Grid.** For each `l1_ratio`, the alphas of
///   [`ElasticNetPath`] computed once on *all* the data (as scikit-learn
///   and glmnet do), so every fold is scored at the same alphas.
/// * **Scores.** On each training fold the data are centred and
///   standardized with that fold's own statistics (never the held-out
///   rows'), the path is fitted, and the held-out MSE
///   `Σ(y − ŷ)²/(m_test·k)` is recorded for every alpha (computed from the
///   fold's sums `Σxxᵀ`, `Σxy`, `Σy²` when the Gram route applies and
///   that expansion is accurate, from its rows otherwise). `mse_mean` is its
///   mean over folds and `mse_se` the standard error, the sample standard
///   deviation over folds divided by `√K`.
/// * **Choice.** `alpha_min` and `l1_ratio` minimise `mse_mean` (ties go
///   to the larger alpha); `alpha_1se` is the largest alpha, at that
///   `l1_ratio`, whose `mse_mean` is within one standard error of the
///   minimum (glmnet's one-standard-error rule). The returned
///   [`CvFit::fit`] is refit on all data at `(l1_ratio, alpha_min)`
///   (on the Gram matrix of all rows formed from the fold sums, when
///   there is one: equal to [`ElasticNet::fit`] to rounding).
///
/// With the `rayon` feature, the folds' paths run in parallel, a few
/// alphas at a time, so that five folds on two threads keep both busy to
/// the end rather than leave one path alone for a third round; the
/// results are bit-identical to the serial run. When the training sets
/// are copies of their rows (no fold sums: more features than the Gram
/// route takes), one more fold than there are threads is held at once.
///
/// | setter | default | range |
/// |--------|---------|-------|
/// | [`l1_ratios`](Self::l1_ratios) | `[1.0]` | non-empty, each in `[0, 1]` |
/// | [`n_alphas`](Self::n_alphas) | `100` | `[1, inf)` |
/// | [`eps`](Self::eps) | `1e-3` | `(0, 1]` |
/// | [`folds`](Self::folds) | `5` | `[2, m]` |
/// | [`seed`](Self::seed) | `0` | any |
/// | [`fold_ids`](Self::fold_ids) | none | `m` labels, at least 2 distinct |
/// | [`fit_intercept`](Self::fit_intercept) | `true` | |
/// | [`standardize`](Self::standardize) | `false` | |
/// | [`tol`](Self::tol) | `1e-4` | `(0, inf)` |
/// | [`max_iter`](Self::max_iter) | `1000` | `[1, inf)` |
/// | [`positive`](Self::positive), [`penalty_factor`](Self::penalty_factor), [`bounds`](Self::bounds) | as [`ElasticNet`] | |
/// | [`relax`](Self::relax) | off | `gamma`s in `[0, 1]` |
///
/// ```
/// use elasticnet::{ElasticNetCv, datasets};
/// let d = datasets::diabetes();
/// let cv = ElasticNetCv::new().l1_ratios(vec![0.5, 1.0]).n_alphas(30)
///     .standardize(true).seed(1).fit(d.x.view(), d.y.view())?;
/// assert_eq!(cv.mse_mean.dim(), (2, 30));
/// assert!(cv.alpha_1se >= cv.alpha_min);
/// assert!(cv.fit.converged);
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ElasticNetCv<F = f64> {
    l1_ratios: Vec<F>,
    n_alphas: usize,
    eps: F,
    folds: usize,
    seed: u64,
    fold_ids: Option<Vec<usize>>,
    fit_intercept: bool,
    standardize: bool,
    tol: F,
    max_iter: usize,
    features: FeatureSettings<F>,
    gammas: Option<Vec<F>>,
}

impl<F: Float> Default for ElasticNetCv<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Float> ElasticNetCv<F> {
    /// Cross-validated lasso with the defaults in the table above.
    pub fn new() -> Self {
        Self {
            l1_ratios: vec![F::one()],
            n_alphas: 100,
            eps: F::cast(1e-3),
            folds: 5,
            seed: 0,
            fold_ids: None,
            fit_intercept: true,
            standardize: false,
            tol: F::cast(1e-4),
            max_iter: 1000,
            features: FeatureSettings::default(),
            gammas: None,
        }
    }

    /// The `l1_ratio`s to compare (default `[1.0]`, the lasso).
    pub fn l1_ratios(mut self, l1_ratios: Vec<F>) -> Self {
        self.l1_ratios = l1_ratios;
        self
    }

    /// Alphas per grid (default `100`).
    pub fn n_alphas(mut self, n_alphas: usize) -> Self {
        self.n_alphas = n_alphas;
        self
    }

    /// `alpha_min / alpha_max` of each grid (default `1e-3`).
    pub fn eps(mut self, eps: F) -> Self {
        self.eps = eps;
        self
    }

    /// Number of folds `K` (default `5`).
    pub fn folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// Seed of the row shuffle that makes the folds (default `0`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Explicit fold labels, one per row (glmnet's `foldid`); overrides
    /// [`folds`](Self::folds) and [`seed`](Self::seed).
    pub fn fold_ids(mut self, fold_ids: Vec<usize>) -> Self {
        self.fold_ids = Some(fold_ids);
        self
    }

    /// Fit an unpenalised intercept (default `true`).
    pub fn fit_intercept(mut self, fit_intercept: bool) -> Self {
        self.fit_intercept = fit_intercept;
        self
    }

    /// Standardize columns inside every fit (default `false`).
    pub fn standardize(mut self, standardize: bool) -> Self {
        self.standardize = standardize;
        self
    }

    /// Duality-gap tolerance of every fit (default `1e-4`).
    pub fn tol(mut self, tol: F) -> Self {
        self.tol = tol;
        self
    }

    /// Iterations at most per fit (default `1000`).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
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
    pub fn penalty_factor(mut self, factor: Array1<F>) -> Self {
        self.features.factor = Some(factor);
        self
    }

    /// Per-feature coefficient bounds, as
    /// [`ElasticNet::bounds`](crate::ElasticNet::bounds).
    pub fn bounds(mut self, lower: Array1<F>, upper: Array1<F>) -> Self {
        self.features.lower = Some(lower);
        self.features.upper = Some(upper);
        self
    }

    /// Also cross-validate the relaxed lasso (glmnet's `relax = TRUE`) at
    /// these `gamma`s (each in `[0, 1]`; glmnet's default is
    /// `[0, 0.25, 0.5, 0.75, 1]`): every fold's path is fitted with
    /// [`ElasticNetPath::relax`], the blend
    /// `gamma·β + (1 − gamma)·β_LS` is scored at every alpha, and
    /// [`CvFit::relaxed`] holds the scores and the `(gamma, alpha)` choice.
    pub fn relax(mut self, gammas: Vec<F>) -> Self {
        self.gammas = Some(gammas);
        self
    }

    /// Checks the hyper-parameters that do not depend on the data.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming the parameter,
    /// [`Error::EmptyInput`] for an empty `l1_ratios`.
    pub fn validate(&self) -> Result<()> {
        if self.l1_ratios.is_empty() {
            return Err(Error::EmptyInput { what: "l1_ratios" });
        }
        for &r in &self.l1_ratios {
            check::unit_interval("l1_ratios", r)?;
        }
        if self.fold_ids.is_none() && self.folds < 2 {
            return Err(Error::InvalidParameter {
                name: "folds",
                value: self.folds as f64,
                expected: "[2, m]",
            });
        }
        if let Some(gammas) = &self.gammas {
            if gammas.is_empty() {
                return Err(Error::EmptyInput { what: "gammas" });
            }
            for &g in gammas {
                check::unit_interval("gammas", g)?;
            }
        }
        // The rest is checked by the path.
        self.path(F::one()).validate()
    }

    /// Runs the cross-validation on `x` (m × p) and `y` (m × k).
    ///
    /// # Errors
    ///
    /// As [`ElasticNetPath::fit`], plus [`Error::InvalidParameter`] for more
    /// folds than rows or a fold with no rows, [`Error::ShapeMismatch`]
    /// for `fold_ids` of the wrong length, and [`Error::NonFiniteSolution`]
    /// when a held-out MSE overflows (data too badly scaled for the float
    /// type).
    pub fn fit(&self, x: ArrayView2<F>, y: ArrayView2<F>) -> Result<CvFit<F>> {
        self.fit_inner(x, y, None)
    }

    /// Runs the cross-validation with a weight per row, as
    /// [`ElasticNet::fit_weighted`](crate::ElasticNet::fit_weighted): the
    /// weights go with their rows into the folds, every training fit and
    /// the grid are weighted, and each held-out fold is scored by its
    /// weighted MSE `Σᵢ wᵢ‖yᵢ − ŷᵢ‖²/(Σᵢ wᵢ·k)` (scikit-learn's
    /// `ElasticNetCV` with `sample_weight`); folds still count equally in
    /// `mse_mean`.
    ///
    /// # Errors
    ///
    /// As [`fit`](Self::fit) and
    /// [`ElasticNet::fit_weighted`](crate::ElasticNet::fit_weighted), and
    /// [`Error::InvalidParameter`] (`sample_weight`) when a fold, or all
    /// rows outside it, have zero total weight.
    pub fn fit_weighted(
        &self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: ArrayView1<F>,
    ) -> Result<CvFit<F>> {
        self.fit_inner(x, y, Some(sample_weight))
    }

    fn fit_inner(
        &self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<CvFit<F>> {
        self.validate()?;
        check::xy_shapes(x, y)?;
        if let Some(sw) = sample_weight {
            check::sample_weight(sw, x.nrows())?;
        }
        self.features.validate(x.ncols())?;
        let (fold_of, n_folds) = self.assign_folds(x.nrows())?;
        if let Some(sw) = sample_weight {
            // Before any fold is fitted, so that this input error is not
            // masked by another fold's failure (F22).
            check_fold_weights(sw, &fold_of, n_folds)?;
        }
        // Every training set's Gram matrix, that of all rows and the sums
        // that score each fold, from two passes over x when they all get
        // one (see `solver::folds`; the first pass also checks x);
        // otherwise each training set is built from a copy of its rows.
        let routed = folds::training_problems(
            x,
            y,
            sample_weight,
            &fold_of,
            n_folds,
            self.fit_intercept,
            self.standardize,
            folds::GRAIN,
        )?;
        let fold_route = routed.is_some();
        let (full, trained, held_out) = match routed {
            Some(p) => (p.full, Some(p.trained), Some(p.held_out)),
            None => {
                check::finite("x", x)?;
                let full = Problem::new(
                    x,
                    y,
                    sample_weight,
                    self.fit_intercept,
                    self.standardize,
                    Layout::Auto,
                );
                (full, None, None)
            }
        };
        check::representable(&full)?;
        let full_features = self.features.build(&full);
        let grids: Vec<Vec<F>> = self
            .l1_ratios
            .iter()
            .map(|&r| alpha_grid(&full, &full_features, r, self.n_alphas, self.eps))
            .collect();
        drop(full_features);

        // Every fold's paths (one per l1_ratio and target) run as chains of
        // alphas, a few at a time, round the threads (see
        // `solver::chains`). A fold's problem comes from the fold sums, or
        // is built from a copy of its training rows when it opens; with
        // copies, one more fold than threads is open at once.
        let paths: Vec<ElasticNetPath<F>> = self.l1_ratios.iter().map(|&r| self.path(r)).collect();
        let (n_targets, n_alphas) = (y.ncols(), self.n_alphas);
        let data = FoldedData {
            x,
            y,
            sample_weight,
            fold_of: &fold_of,
        };
        let threads = chains::threads();
        let (seeds, window): (Vec<Option<Problem<F>>>, usize) = match trained {
            Some(trained) => (trained.into_iter().map(Some).collect(), n_folds),
            None => ((0..n_folds).map(|_| None).collect(), threads + 1),
        };
        let window = if threads > 1 { window } else { 1 };
        let open = |fold: usize, seed: Option<Problem<F>>| {
            let problem = match seed {
                Some(problem) => problem,
                None => self.training_rows_problem(&data, fold),
            };
            check::representable(&problem)?;
            let features = self.features.build(&problem);
            let (problem_ref, features_ref) = (&problem, &features);
            let columns = paths
                .iter()
                .enumerate()
                .flat_map(|(r, path)| {
                    (0..n_targets).map(move |t| {
                        let column = path.start_column(problem_ref, features_ref, t, n_alphas);
                        (r, column)
                    })
                })
                .collect();
            Ok((FoldWork { problem, features }, columns))
        };
        let step = |work: &FoldWork<F>, (r, column): &mut (usize, ColumnPath<F>), i: usize| {
            paths[*r].solve_next(&work.problem, &work.features, column, grids[*r][i]);
        };
        let finish = |fold: usize, work: FoldWork<F>, columns: Vec<(usize, ColumnPath<F>)>| {
            let sums = held_out.as_ref().map(|h| &h[fold]);
            self.score_fold(&data, fold, &grids, &paths, &work.problem, columns, sums)
        };
        let score_all = || chains::run(seeds, n_alphas, window, open, step, finish);
        // Without the fold sums, the refit's problem is built from the
        // rows; it does not depend on the choice, so with `rayon` it is
        // built while the folds are scored.
        let refit_problem = || {
            Problem::checked(
                x,
                y,
                sample_weight,
                self.fit_intercept,
                self.standardize,
                Layout::Auto,
            )
        };
        #[cfg(feature = "rayon")]
        let (per_fold, rebuilt) = if fold_route {
            (score_all(), None)
        } else {
            let (per_fold, problem) = rayon::join(score_all, refit_problem);
            (per_fold, Some(problem))
        };
        #[cfg(not(feature = "rayon"))]
        let (per_fold, rebuilt): (_, Option<Result<Problem<F>>>) = (score_all(), None);
        drop(held_out);

        let (n_ratios, n_alphas) = (self.l1_ratios.len(), self.n_alphas);
        let n_gammas = self.gammas.as_ref().map_or(0, Vec::len);
        let mut mse = Array3::zeros((n_ratios, n_alphas, n_folds));
        let mut relaxed_mse = ndarray::Array4::zeros((n_gammas, n_ratios, n_alphas, n_folds));
        for (f, scores) in per_fold.into_iter().enumerate() {
            let scores = scores?;
            mse.index_axis_mut(Axis(2), f).assign(&scores.plain);
            if let Some(relaxed) = scores.relaxed {
                relaxed_mse.index_axis_mut(Axis(3), f).assign(&relaxed);
            }
        }
        let k = F::from_usize_lossy(n_folds);
        let mse_mean = mse.mean_axis(Axis(2)).expect("at least two folds");
        let mut mse_se = Array2::zeros((n_ratios, n_alphas));
        Zip::from(&mut mse_se)
            .and(mse.lanes(Axis(2)))
            .for_each(|se, scores| *se = standard_error(scores, k));

        // The l1_ratio whose best alpha scores lowest; ties keep the first.
        let choices: Vec<(usize, usize)> = (0..n_ratios)
            .map(|r| select_alphas(mse_mean.row(r), mse_se.row(r)))
            .collect();
        let mut best_r = 0;
        for (r, &(a, _)) in choices.iter().enumerate() {
            if mse_mean[[r, a]] < mse_mean[[best_r, choices[best_r].0]] {
                best_r = r;
            }
        }
        let (best_a, best_1se) = choices[best_r];
        let l1_ratio = self.l1_ratios[best_r];
        let alpha_min = grids[best_r][best_a];
        let alpha_1se = grids[best_r][best_1se];

        let mut estimator = ElasticNet::new(alpha_min, l1_ratio)
            .fit_intercept(self.fit_intercept)
            .standardize(self.standardize)
            .tol(self.tol)
            .max_iter(self.max_iter);
        estimator.set_feature_settings(self.features.clone());
        // The refit is `ElasticNet::fit` at the chosen point: on the
        // problem of all rows from the fold sums when there are (equal to
        // the one `fit` builds to rounding), else on that very problem.
        let fit = if fold_route {
            estimator.fit_problem(&full)?
        } else {
            drop(full);
            let problem = match rebuilt {
                Some(problem) => problem?,
                None => refit_problem()?,
            };
            estimator.fit_problem(&problem)?
        };
        let relaxed = match &self.gammas {
            Some(gammas) => Some(self.choose_relaxed(
                x,
                y,
                sample_weight,
                gammas,
                &grids,
                relaxed_mse.view(),
                k,
            )?),
            None => None,
        };
        let mut alphas = Array2::zeros((n_ratios, n_alphas));
        for (mut row, grid) in alphas.rows_mut().into_iter().zip(&grids) {
            row.assign(&ndarray::ArrayView1::from(grid.as_slice()));
        }
        Ok(CvFit {
            l1_ratios: self.l1_ratios.clone(),
            alphas,
            mse_mean,
            mse_se,
            mse_folds: mse,
            alpha_min,
            alpha_1se,
            l1_ratio,
            fit,
            relaxed,
        })
    }

    /// The relaxed scores' summary, the `(gamma, l1_ratio, alpha)` with the
    /// least mean MSE (ties keep the first gamma, then l1_ratio, then the
    /// larger alpha), and the relaxed model at it refit on all data.
    #[allow(clippy::too_many_arguments)]
    fn choose_relaxed(
        &self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
        gammas: &[F],
        grids: &[Vec<F>],
        mse: ndarray::ArrayView4<F>,
        k: F,
    ) -> Result<RelaxedCv<F>> {
        let mse_mean = mse.mean_axis(Axis(3)).expect("at least two folds");
        let mut mse_se = Array3::zeros(mse_mean.raw_dim());
        Zip::from(&mut mse_se)
            .and(mse.lanes(Axis(3)))
            .for_each(|se, scores| *se = standard_error(scores, k));
        let mut best = (0, 0, 0);
        for ((g, r, a), &v) in mse_mean.indexed_iter() {
            if v < mse_mean[best] {
                best = (g, r, a);
            }
        }
        let (g, r, a) = best;
        let (gamma, l1_ratio, alpha) = (gammas[g], self.l1_ratios[r], grids[r][a]);
        let path = self.path(l1_ratio).alphas(vec![alpha]).relax(true);
        let path = match sample_weight {
            Some(sw) => path.fit_weighted(x, y, sw)?,
            None => path.fit(x, y)?,
        };
        Ok(RelaxedCv {
            gammas: gammas.to_vec(),
            mse_mean,
            mse_se,
            gamma,
            alpha,
            l1_ratio,
            model: path.relaxed_model(0, gamma)?,
        })
    }

    /// The path settings shared by every fold.
    fn path(&self, l1_ratio: F) -> ElasticNetPath<F> {
        let mut path = ElasticNetPath::new(l1_ratio)
            .n_alphas(self.n_alphas)
            .eps(self.eps)
            .fit_intercept(self.fit_intercept)
            .standardize(self.standardize)
            .tol(self.tol)
            .max_iter(self.max_iter)
            .relax(self.gammas.is_some());
        path.set_feature_settings(self.features.clone());
        path
    }

    /// Fold number (0-based, contiguous) of each row — `fold_ids` itself
    /// when its labels already are such numbers — and the number of folds.
    fn assign_folds(&self, n_samples: usize) -> Result<(Cow<'_, [usize]>, usize)> {
        match &self.fold_ids {
            Some(ids) => {
                if ids.len() != n_samples {
                    return Err(Error::ShapeMismatch {
                        what: "fold_ids vs rows of x",
                        expected: vec![n_samples],
                        found: vec![ids.len()],
                    });
                }
                let (fold_of, n_folds) = fold_numbers(ids);
                if n_folds < 2 {
                    return Err(Error::InvalidParameter {
                        name: "fold_ids",
                        value: n_folds as f64,
                        expected: "at least 2 distinct labels",
                    });
                }
                Ok((fold_of, n_folds))
            }
            None => {
                if self.folds > n_samples {
                    return Err(Error::InvalidParameter {
                        name: "folds",
                        value: self.folds as f64,
                        expected: "[2, m]: at most one fold per row",
                    });
                }
                let mut order: Vec<usize> = (0..n_samples).collect();
                order.shuffle(&mut StdRng::seed_from_u64(self.seed));
                let mut fold_of = vec![0; n_samples];
                for (position, &row) in order.iter().enumerate() {
                    fold_of[row] = position % self.folds;
                }
                Ok((Cow::Owned(fold_of), self.folds))
            }
        }
    }

    /// The problem of the rows outside fold `fold`, from a copy of them.
    fn training_rows_problem(&self, data: &FoldedData<'_, F>, fold: usize) -> Problem<F> {
        let (x_train, y_train, w_train) = data.copy_rows(fold, false);
        Problem::new(
            x_train.view(),
            y_train.view(),
            w_train.as_ref().map(|w| w.view()),
            self.fit_intercept,
            self.standardize,
            Layout::Auto,
        )
    }

    /// Held-out (weighted) MSE of the paths fitted without fold `fold`
    /// (`columns`: each l1_ratio's targets in order, every one solved at
    /// every alpha of its grid): n_l1_ratios × n_alphas, and n_gammas ×
    /// n_l1_ratios × n_alphas for the relaxed fits.
    #[allow(clippy::too_many_arguments)]
    fn score_fold(
        &self,
        data: &FoldedData<'_, F>,
        fold: usize,
        grids: &[Vec<F>],
        paths: &[ElasticNetPath<F>],
        problem: &Problem<F>,
        columns: Vec<(usize, ColumnPath<F>)>,
        sums: Option<&HeldOutSums<F>>,
    ) -> Result<FoldScores<F>> {
        let mut columns = columns.into_iter().map(|(_, column)| column);
        let n_gammas = self.gammas.as_ref().map_or(0, Vec::len);
        let mut plain = Array2::zeros((self.l1_ratios.len(), self.n_alphas));
        let mut relaxed = Array3::zeros((n_gammas, self.l1_ratios.len(), self.n_alphas));
        // The held-out rows, copied only if the sums cannot score a path.
        let mut rows: Option<RowCopies<F>> = None;
        for (r, (settings, grid)) in paths.iter().zip(grids).enumerate() {
            let targets = columns.by_ref().take(data.y.ncols()).collect();
            let path = settings.assemble(problem, grid, targets)?;
            if let Some(scores) = sums.and_then(|s| self.score_from_sums(s, &path)) {
                plain.row_mut(r).assign(&scores.0);
                if let Some(by_gamma) = scores.1 {
                    relaxed.slice_mut(s![.., r, ..]).assign(&by_gamma);
                }
                continue;
            }
            let (x_test, y_test, w_test) = rows.get_or_insert_with(|| data.copy_rows(fold, true));
            let scorer = HeldOut::new(
                x_test.view(),
                y_test.view(),
                w_test.as_ref().map(|w| w.view()),
            );
            let n_iter = path.n_iter.iter().sum();
            let pred = scorer.predict(&path.coefs);
            let scores = scorer.mse_all(&pred, &path.intercepts, None, n_iter)?;
            plain.row_mut(r).assign(&scores);
            if let (Some(gammas), Some(refits)) = (&self.gammas, &path.relaxed) {
                let pred_ls = scorer.predict(&refits.coefs);
                for (g, &gamma) in gammas.iter().enumerate() {
                    let other = (&pred_ls, &refits.intercepts, gamma);
                    let scores = scorer.mse_all(&pred, &path.intercepts, Some(other), n_iter)?;
                    relaxed.slice_mut(s![g, r, ..]).assign(&scores);
                }
            }
        }
        Ok(FoldScores {
            plain,
            relaxed: self.gammas.is_some().then_some(relaxed),
        })
    }

    /// A path's held-out MSE at every alpha (and, for the relaxed fits,
    /// n_gammas × n_alphas) from the fold's sums, or `None` where they
    /// cannot give it accurately (see [`HeldOutSums::mse`]). The relaxed
    /// prediction `γ·ŷ + (1 − γ)·ŷ_LS` is that of the blended coefficients.
    fn score_from_sums(
        &self,
        sums: &HeldOutSums<F>,
        path: &Path<F>,
    ) -> Option<(Array1<F>, Option<Array2<F>>)> {
        let n_alphas = path.coefs.len_of(Axis(0));
        let mut plain = Array1::zeros(n_alphas);
        for (a, v) in plain.iter_mut().enumerate() {
            *v = sums.mse(path.coefs.index_axis(Axis(0), a), path.intercepts.row(a))?;
        }
        let by_gamma = match (&self.gammas, &path.relaxed) {
            (Some(gammas), Some(refits)) => {
                let mut out = Array2::zeros((gammas.len(), n_alphas));
                for (g, &gamma) in gammas.iter().enumerate() {
                    let rest = F::one() - gamma;
                    for a in 0..n_alphas {
                        let w = &path.coefs.index_axis(Axis(0), a) * gamma
                            + &refits.coefs.index_axis(Axis(0), a) * rest;
                        let b = &path.intercepts.row(a) * gamma + &refits.intercepts.row(a) * rest;
                        out[[g, a]] = sums.mse(w.view(), b.view())?;
                    }
                }
                Some(out)
            }
            _ => None,
        };
        Some((plain, by_gamma))
    }
}

/// The fold (`0..` the number of distinct labels, in the labels' order)
/// of each row, given its label, and the number of folds: the labels
/// themselves when they are `0..n` with none missing (no copy). Labels
/// below 64 are first checked for that as the bits of one word; labels
/// below 2¹⁶ (fold numbers, in practice) go through a table, one lookup
/// per row; larger ones through a sort and binary searches.
fn fold_numbers(ids: &[usize]) -> (Cow<'_, [usize]>, usize) {
    const TABLE: usize = 1 << 16;
    let max = ids.iter().copied().max().unwrap_or(0);
    if max < 64 {
        // The labels present as the bits of one word: a pass the compiler
        // vectorizes, where marking a table takes a store per row.
        let present = ids.iter().fold(0u64, |bits, &id| bits | (1 << id));
        if present == u64::MAX >> (63 - max) {
            // Every label from 0 to max is present: each is its own fold.
            return (Cow::Borrowed(ids), max + 1);
        }
    }
    if max < TABLE {
        let mut fold_of_label = vec![0usize; max + 1];
        for &id in ids {
            fold_of_label[id] = 1;
        }
        let mut n_folds = 0;
        for f in &mut fold_of_label {
            let present = *f;
            *f = n_folds;
            n_folds += present;
        }
        if n_folds == max + 1 {
            // Every label from 0 to max is present (max ≥ 64 here).
            return (Cow::Borrowed(ids), n_folds);
        }
        (
            Cow::Owned(ids.iter().map(|&id| fold_of_label[id]).collect()),
            n_folds,
        )
    } else {
        let mut labels = ids.to_vec();
        labels.sort_unstable();
        labels.dedup();
        let fold_of = ids
            .iter()
            .map(|id| labels.binary_search(id).expect("label present"))
            .collect();
        (Cow::Owned(fold_of), labels.len())
    }
}

/// Every fold, and the rows outside it, have a positive total weight.
fn check_fold_weights<F: Float>(
    sample_weight: ArrayView1<F>,
    fold_of: &[usize],
    n_folds: usize,
) -> Result<()> {
    let mut positive = vec![0usize; n_folds];
    for (&w, &f) in sample_weight.iter().zip(fold_of) {
        if w > F::zero() {
            positive[f] += 1;
        }
    }
    let total: usize = positive.iter().sum();
    if positive
        .iter()
        .any(|&inside| inside == 0 || inside == total)
    {
        return Err(check::invalid(
            "sample_weight",
            F::zero(),
            "a positive total weight in every fold and outside it",
        ));
    }
    Ok(())
}

/// Copies of some rows of `x`, `y` and the weights.
type RowCopies<F> = (Array2<F>, Array2<F>, Option<Array1<F>>);

/// The data a cross-validation was given, and the fold of each row.
struct FoldedData<'a, F> {
    x: ArrayView2<'a, F>,
    y: ArrayView2<'a, F>,
    sample_weight: Option<ArrayView1<'a, F>>,
    fold_of: &'a [usize],
}

impl<F: Float> FoldedData<'_, F> {
    /// Copies of the rows in fold `fold` (`inside`) or outside it, in
    /// order.
    fn copy_rows(&self, fold: usize, inside: bool) -> RowCopies<F> {
        let rows: Vec<usize> = (0..self.fold_of.len())
            .filter(|&i| (self.fold_of[i] == fold) == inside)
            .collect();
        (
            self.x.select(Axis(0), &rows),
            self.y.select(Axis(0), &rows),
            self.sample_weight.map(|w| w.select(Axis(0), &rows)),
        )
    }
}

/// What a fold's paths share while they run: its training problem and
/// feature penalties.
struct FoldWork<F> {
    problem: Problem<F>,
    features: FeaturePenalty<F>,
}

/// One fold's held-out scores.
struct FoldScores<F> {
    plain: Array2<F>,
    relaxed: Option<Array3<F>>,
}

/// The held-out rows of one fold and their (weighted) MSE.
struct HeldOut<'a, F> {
    x: ArrayView2<'a, F>,
    y: ArrayView2<'a, F>,
    /// The weights divided by their largest (only their ratios matter, and
    /// huge or tiny ones would overflow or underflow the sums).
    weight: Option<Array1<F>>,
    /// `Σw·k` (or `m_test·k`), with the same scaling.
    denominator: F,
}

impl<'a, F: Float> HeldOut<'a, F> {
    fn new(x: ArrayView2<'a, F>, y: ArrayView2<'a, F>, weight: Option<ArrayView1<'a, F>>) -> Self {
        let k = F::from_usize_lossy(y.ncols());
        let weight = weight.map(|w| {
            let big = w.iter().fold(F::zero(), |a, &v| a.max(v));
            w.mapv(|v| v / big)
        });
        let denominator = match &weight {
            Some(w) => w.sum() * k,
            None => F::from_usize_lossy(y.len()),
        };
        Self {
            x,
            y,
            weight,
            denominator,
        }
    }

    /// `x_test·W` at every alpha at once, without intercepts:
    /// `m_test × (n_alphas·k)`, column `a·k + l` for alpha `a`, target `l`
    /// — one matrix product of the held-out rows with all the coefficients.
    fn predict(&self, coefs: &Array3<F>) -> Array2<F> {
        let (n_alphas, p, k) = coefs.dim();
        let mut stacked = Array2::zeros((p, n_alphas * k));
        for a in 0..n_alphas {
            stacked
                .slice_mut(s![.., a * k..(a + 1) * k])
                .assign(&coefs.index_axis(Axis(0), a));
        }
        self.x.dot(&stacked)
    }

    /// The (weighted) MSE `Σᵢ wᵢ‖yᵢ − ŷᵢ‖²/(Σw·k)` at every alpha, from
    /// [`predict`](Self::predict)'s products and the intercepts (n_alphas ×
    /// k), in one walk over the rows. With `blend = (pred₂, intercepts₂,
    /// gamma)` the prediction is `gamma·ŷ + (1 − gamma)·ŷ₂`. An error when
    /// it overflows (held-out predictions can overflow where the training
    /// fit did not: an error, not a NaN that breaks the selection).
    fn mse_all(
        &self,
        pred: &Array2<F>,
        intercepts: &Array2<F>,
        blend: Option<(&Array2<F>, &Array2<F>, F)>,
        n_iter: usize,
    ) -> Result<Array1<F>> {
        let (n_alphas, k) = intercepts.dim();
        let b1 = intercepts.as_standard_layout();
        let b1 = b1.as_slice().expect("standard layout");
        let b2 = blend.map(|(_, b, _)| b.as_standard_layout().into_owned());
        let mut sq = vec![F::zero(); n_alphas * k];
        for (i, (row, target)) in pred.rows().into_iter().zip(self.y.rows()).enumerate() {
            let weight = self.weight.as_ref().map_or(F::one(), |w| w[i]);
            let row = row.to_slice().expect("standard layout");
            match (blend, &b2) {
                (Some((pred2, _, gamma)), Some(b2)) => {
                    let row2 = pred2.row(i);
                    let row2 = row2.to_slice().expect("standard layout");
                    let b2 = b2.as_slice().expect("standard layout");
                    for c in 0..n_alphas * k {
                        let p1 = row[c] + b1[c];
                        let p2 = row2[c] + b2[c];
                        let d = gamma * p1 + (F::one() - gamma) * p2 - target[c % k];
                        sq[c] += weight * d * d;
                    }
                }
                _ => {
                    for c in 0..n_alphas * k {
                        let d = row[c] + b1[c] - target[c % k];
                        sq[c] += weight * d * d;
                    }
                }
            }
        }
        let mut out = Array1::zeros(n_alphas);
        for (a, o) in out.iter_mut().enumerate() {
            let total = sq[a * k..(a + 1) * k]
                .iter()
                .fold(F::zero(), |acc, &v| acc + v);
            *o = total / self.denominator;
            if !o.is_finite() {
                return Err(Error::NonFiniteSolution { n_iter });
            }
        }
        Ok(out)
    }
}

/// The sample standard deviation of `scores` over `√k`, computed on
/// `scores / max|scores|` so that squaring cannot overflow for scores that
/// are finite but large.
fn standard_error<F: Float>(scores: ndarray::ArrayView1<F>, k: F) -> F {
    let big = scores.iter().fold(F::zero(), |a, v| a.max(v.abs()));
    if big == F::zero() {
        return F::zero();
    }
    let scaled = scores.mapv(|v| v / big);
    big * (scaled.var(F::one()) / k).sqrt()
}

/// Along one descending alpha grid: the index of the least mean MSE (ties
/// go to the larger alpha) and of the largest alpha whose mean MSE is within
/// one standard error of it.
fn select_alphas<F: Float>(
    mse_mean: ndarray::ArrayView1<F>,
    mse_se: ndarray::ArrayView1<F>,
) -> (usize, usize) {
    let mut best = 0;
    for (a, &v) in mse_mean.iter().enumerate() {
        if v < mse_mean[best] {
            best = a;
        }
    }
    let limit = mse_mean[best] + mse_se[best];
    // The minimum itself qualifies, unless `limit` is NaN (scores too large
    // for their variance to be finite); then the minimum is the answer.
    let one_se = (0..=best).find(|&a| mse_mean[a] <= limit).unwrap_or(best);
    (best, one_se)
}

/// The result of [`ElasticNetCv::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct CvFit<F = f64> {
    /// The `l1_ratio`s compared, in the order given.
    pub l1_ratios: Vec<F>,
    /// The alpha grid of each `l1_ratio` (n_l1_ratios × n_alphas, descending).
    pub alphas: Array2<F>,
    /// Mean over folds of the held-out MSE (n_l1_ratios × n_alphas).
    pub mse_mean: Array2<F>,
    /// Standard error of `mse_mean`: sample standard deviation over folds
    /// divided by `√K`.
    pub mse_se: Array2<F>,
    /// Every fold's held-out MSE (n_l1_ratios × n_alphas × K).
    pub mse_folds: Array3<F>,
    /// The alpha with the least `mse_mean`.
    pub alpha_min: F,
    /// The largest alpha within one standard error of the minimum.
    pub alpha_1se: F,
    /// The `l1_ratio` with the least `mse_mean`.
    pub l1_ratio: F,
    /// The model refit on all data at `(l1_ratio, alpha_min)`.
    pub fit: Fit<F>,
    /// The relaxed-lasso cross-validation, when asked for with
    /// [`ElasticNetCv::relax`].
    pub relaxed: Option<RelaxedCv<F>>,
}

/// Cross-validation of the relaxed lasso ([`ElasticNetCv::relax`]): the
/// held-out MSE of `gamma·β(alpha) + (1 − gamma)·β_LS(alpha)` for every
/// `gamma`, `l1_ratio` and alpha of the grids, and the best of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RelaxedCv<F = f64> {
    /// The `gamma`s compared, in the order given.
    pub gammas: Vec<F>,
    /// Mean held-out MSE, n_gammas × n_l1_ratios × n_alphas (the alphas of
    /// [`CvFit::alphas`]). The row of `gamma = 1` equals [`CvFit::mse_mean`].
    pub mse_mean: Array3<F>,
    /// Its standard error, as [`CvFit::mse_se`].
    pub mse_se: Array3<F>,
    /// The chosen `gamma`.
    pub gamma: F,
    /// The chosen alpha.
    pub alpha: F,
    /// The chosen `l1_ratio`.
    pub l1_ratio: F,
    /// The relaxed model at `(gamma, l1_ratio, alpha)`, refit on all data.
    pub model: LinearModel<F>,
}

#[cfg(feature = "plot")]
impl<F: Float> CvFit<F> {
    /// Draws the cross-validation curve of the chosen `l1_ratio` as an SVG
    /// file ([`plot::cv_curve`](crate::plot::cv_curve)): mean held-out MSE
    /// with ±1 standard-error bars against `log10(alpha)`, and vertical lines
    /// at `alpha_min` and `alpha_1se`.
    ///
    /// # Errors
    ///
    /// As [`plot::cv_curve`](crate::plot::cv_curve).
    ///
    /// ```
    /// use elasticnet::{ElasticNetCv, datasets};
    /// let d = datasets::diabetes();
    /// let cv = ElasticNetCv::new().n_alphas(20).standardize(true).fit(d.x.view(), d.y.view())?;
    /// let file = std::env::temp_dir().join("elasticnet_doc_cv_plot.svg");
    /// cv.plot(&file)?;
    /// assert!(std::fs::read_to_string(&file)?.contains("alpha_1se"));
    /// # Ok::<(), elasticnet::Error>(())
    /// ```
    pub fn plot(&self, file: impl AsRef<std::path::Path>) -> Result<()> {
        let r = self.chosen_index();
        crate::plot::cv_curve(
            file,
            self.alphas.row(r),
            self.mse_mean.row(r),
            self.mse_se.row(r),
            self.alpha_min,
            self.alpha_1se,
        )
    }
}

impl<F: Float> CvFit<F> {
    /// For the `r`-th `l1_ratio`: the indices (into its row of
    /// [`alphas`](Self::alphas)) of its own `alpha_min` and `alpha_1se`.
    ///
    /// # Panics
    ///
    /// If `r` is not below the number of `l1_ratios`.
    pub fn alpha_indices(&self, r: usize) -> (usize, usize) {
        select_alphas(self.mse_mean.row(r), self.mse_se.row(r))
    }

    /// The row of [`l1_ratio`](Self::l1_ratio) in the per-`l1_ratio` arrays.
    pub fn chosen_index(&self) -> usize {
        self.l1_ratios
            .iter()
            .position(|&r| r == self.l1_ratio)
            .expect("the chosen l1_ratio is one of the candidates")
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use ndarray::{Array2, Axis, concatenate};

    use super::fold_numbers;
    use crate::{ElasticNetCv, datasets};

    /// The fold paths, solved an alpha at a time and interleaved across
    /// threads (in unit tests every alpha is a slice of its own, see
    /// `solver::chains`), score as paths fitted whole on each training
    /// fold: on the rows route (p > m) and on the Gram route, with two
    /// targets, two `l1_ratio`s and the relaxed fits; and the same to the
    /// bit on 1, 2 and 3 threads.
    #[test]
    fn interleaved_fold_paths_score_as_whole_paths() {
        for (m, p) in [(40, 90), (120, 8)] {
            let d = datasets::make_regression(m, p, 5, 1.0, 3);
            let y =
                concatenate(Axis(1), &[d.y.view(), d.y.mapv(|v| 1.0 - 0.3 * v).view()]).unwrap();
            let fold_of: Vec<usize> = (0..m).map(|i| (i * 3) % 4).collect();
            let gammas = vec![0.0, 0.5];
            let cv = ElasticNetCv::new()
                .l1_ratios(vec![0.5, 1.0])
                .n_alphas(12)
                .fold_ids(fold_of.clone())
                .tol(1e-10)
                .relax(gammas.clone());
            let run = || cv.fit(d.x.view(), y.view()).unwrap();
            #[cfg(feature = "rayon")]
            let got = {
                let pool = |n| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(n)
                        .build()
                        .unwrap()
                };
                let got = pool(3).install(run);
                assert_eq!(got, pool(1).install(run), "3 threads vs 1 ({m} × {p})");
                assert_eq!(got, pool(2).install(run), "2 threads vs 1 ({m} × {p})");
                got
            };
            #[cfg(not(feature = "rayon"))]
            let got = run();
            let relaxed = got.relaxed.as_ref().unwrap();
            let mut relaxed_mean = ndarray::Array3::<f64>::zeros((2, 2, 12));
            for (r, &l1_ratio) in [0.5, 1.0].iter().enumerate() {
                let grid = got.alphas.row(r).to_vec();
                for fold in 0..4 {
                    let rows = |inside: bool| -> Vec<usize> {
                        (0..m).filter(|&i| (fold_of[i] == fold) == inside).collect()
                    };
                    let (train, test) = (rows(false), rows(true));
                    let path = cv
                        .path(l1_ratio)
                        .alphas(grid.clone())
                        .fit(
                            d.x.select(Axis(0), &train).view(),
                            y.select(Axis(0), &train).view(),
                        )
                        .unwrap();
                    let (x_test, y_test) = (d.x.select(Axis(0), &test), y.select(Axis(0), &test));
                    let mse = |pred: Array2<f64>| (&pred - &y_test).mapv(|e| e * e).mean().unwrap();
                    for a in 0..12 {
                        let want = mse(path.model(a).predict(x_test.view()).unwrap());
                        let found = got.mse_folds[[r, a, fold]];
                        assert!(
                            (found - want).abs() <= 1e-9 * want,
                            "{m} × {p}, ratio {r}, alpha {a}, fold {fold}: {found} vs {want}"
                        );
                        for (g, &gamma) in gammas.iter().enumerate() {
                            let model = path.relaxed_model(a, gamma).unwrap();
                            relaxed_mean[[g, r, a]] +=
                                mse(model.predict(x_test.view()).unwrap()) / 4.0;
                        }
                    }
                }
            }
            for (found, want) in relaxed.mse_mean.iter().zip(&relaxed_mean) {
                assert!(
                    (found - want).abs() <= 1e-9 * want,
                    "{m} × {p}, relaxed: {found} vs {want}"
                );
            }
        }
    }

    /// Labels become fold numbers in the labels' order, through the table
    /// (small labels) and through the sort (large ones) alike; labels that
    /// already are `0..n`, none missing, are used as they are.
    #[test]
    fn fold_numbers_rank_the_labels() {
        let numbers = |ids: &[usize]| {
            let (fold_of, n) = fold_numbers(ids);
            (fold_of.into_owned(), n)
        };
        assert_eq!(numbers(&[10, 3, 3, 7, 10, 0]), (vec![3, 1, 1, 2, 3, 0], 4));
        let big = 1 << 20;
        assert_eq!(numbers(&[big, 3, big + 5, 3]), (vec![1, 0, 2, 0], 3));
        assert_eq!(numbers(&[65_535, 2]), (vec![1, 0], 2));
        assert_eq!(numbers(&[65_536, 2]), (vec![1, 0], 2));
        assert_eq!(numbers(&[4, 4, 4]), (vec![0, 0, 0], 1));
        // 0..n with none missing: borrowed, not copied.
        let ids = [2, 0, 1, 1, 0, 2];
        let (fold_of, n) = fold_numbers(&ids);
        assert!(matches!(fold_of, Cow::Borrowed(_)));
        assert_eq!((&*fold_of, n), (&ids[..], 3));
        // 0..n through the word of bits (n = 64, every bit) and through the
        // table (n = 71): borrowed too.
        for n in [64, 71] {
            let ids: Vec<usize> = (0..n).rev().chain(0..n).collect();
            let (fold_of, found) = fold_numbers(&ids);
            assert!(matches!(fold_of, Cow::Borrowed(_)), "0..{n}");
            assert_eq!(found, n);
        }
        // One label missing (1): renumbered.
        let (fold_of, n) = fold_numbers(&[2, 0, 2]);
        assert!(matches!(fold_of, Cow::Owned(_)));
        assert_eq!((&*fold_of, n), (&[1, 0, 1][..], 2));
    }
}
