//! Per-feature penalty factors and coefficient bounds, in the solvers'
//! (kernel) scale.
//!
//! With factors `vⱼ ≥ 0` and bounds `loⱼ ≤ 0 ≤ hiⱼ` the kernel objective of
//! one target column is
//!
//! `P(w) = ½‖ỹ − X̃w‖² + Σⱼ gⱼ(wⱼ)`,
//! `gⱼ(t) = vⱼ·(l1_reg·|t| + ½·l2_reg·t²) + ι[loⱼ, hiⱼ](t)`,
//!
//! (`ι` is 0 inside the interval and `+∞` outside). Bounds given on the
//! original scale, `loⱼ ≤ Wⱼ ≤ hiⱼ`, become `loⱼ·sⱼ ≤ wⱼ ≤ hiⱼ·sⱼ` on the
//! kernel scale `w = W·s`.
//!
//! Coordinates that pay no penalty (`vⱼ = 0`, or `l1_reg = l2_reg = 0`)
//! and lie strictly inside their bounds (always, when unbounded) are
//! *free*: at the optimum their correlation with the residual is exactly 0,
//! which the duality gap can only certify with a dual point `θ` that has
//! `x̃ⱼᵀθ = 0` for each of them. It is obtained by projecting the residual
//! onto the orthogonal complement of their columns ([`Projection`]), which
//! needs the Cholesky factor of their Gram block, computed once per set and
//! cached here.

use std::sync::{Mutex, OnceLock};

use ndarray::{Array1, Array2, Axis};

use super::linalg::{cholesky, cholesky_solve_factored, dot};
use super::problem::{Design, Problem, Residual};
use crate::Float;

/// Penalty factors and bounds of every feature, kernel scale.
#[derive(Debug)]
pub(crate) struct FeaturePenalty<F> {
    /// `vⱼ` (all ones when none were given).
    pub factor: Array1<F>,
    /// `loⱼ·sⱼ` (`−∞` when unbounded below).
    pub lower: Array1<F>,
    /// `hiⱼ·sⱼ` (`+∞` when unbounded above).
    pub upper: Array1<F>,
    /// Every factor is 1 and no coordinate is fixed or bounded other than
    /// by `w ≥ 0` for all: the classic elastic net, for which the
    /// scikit-learn dual point is also tried.
    pub classic: bool,
    /// The projection for the unpenalized coordinates when
    /// `l1_reg > 0` or `l2_reg > 0` (those with `vⱼ = 0` and no bound).
    zero_factor: OnceLock<Option<Projection<F>>>,
    /// The projection when `l1_reg = l2_reg = 0` (every unbounded
    /// coordinate).
    no_penalty: OnceLock<Option<Projection<F>>>,
    /// The last projection built for a set that depends on `w` (bounded
    /// unpenalized coordinates strictly inside their bounds), reused while
    /// the set stays the same.
    interior: Mutex<Option<Projection<F>>>,
}

impl<F: Float> FeaturePenalty<F> {
    /// Factors and bounds for `problem`'s features. `factor`, `lower` and
    /// `upper` are on the original scale and already validated (length p,
    /// `v ≥ 0`, `lower ≤ 0 ≤ upper`); `positive` raises every lower bound
    /// to 0.
    pub fn new(
        problem: &Problem<F>,
        factor: Option<&Array1<F>>,
        lower: Option<&Array1<F>>,
        upper: Option<&Array1<F>>,
        positive: bool,
    ) -> Self {
        let p = problem.n_features();
        let scale = &problem.x_scale;
        let factor = factor.cloned().unwrap_or_else(|| Array1::ones(p));
        let mut lower = match lower {
            Some(lo) => lo * scale,
            None => Array1::from_elem(p, F::neg_infinity()),
        };
        if positive {
            lower.mapv_inplace(|v| v.max(F::zero()));
        }
        let upper = match upper {
            Some(hi) => hi * scale,
            None => Array1::from_elem(p, F::infinity()),
        };
        Self::from_kernel(factor, lower, upper)
    }

    /// Every factor 1, no bounds (or `w ≥ 0` with `positive`), for `p`
    /// features.
    pub fn uniform(p: usize, positive: bool) -> Self {
        let lower = if positive {
            F::zero()
        } else {
            F::neg_infinity()
        };
        Self::from_kernel(
            Array1::ones(p),
            Array1::from_elem(p, lower),
            Array1::from_elem(p, F::infinity()),
        )
    }

    /// The least-squares refit on `support`: no penalty anywhere, every
    /// coordinate outside `support` fixed at 0, those inside keep their
    /// bounds from `self`.
    pub fn restricted_to(&self, support: &[usize]) -> Self {
        let p = self.factor.len();
        let mut lower = Array1::zeros(p);
        let mut upper = Array1::zeros(p);
        for &j in support {
            lower[j] = self.lower[j];
            upper[j] = self.upper[j];
        }
        Self::from_kernel(Array1::zeros(p), lower, upper)
    }

    /// From kernel-scale arrays.
    pub fn from_kernel(factor: Array1<F>, lower: Array1<F>, upper: Array1<F>) -> Self {
        let all_ones = factor.iter().all(|&v| v == F::one());
        let unbounded_above = upper.iter().all(|&v| v == F::infinity());
        let lower_free = lower.iter().all(|&v| v == F::neg_infinity());
        let lower_zero = lower.iter().all(|&v| v == F::zero());
        Self {
            classic: all_ones && unbounded_above && (lower_free || lower_zero),
            factor,
            lower,
            upper,
            zero_factor: OnceLock::new(),
            no_penalty: OnceLock::new(),
            interior: Mutex::new(None),
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.factor.len()
    }

    /// Whether coordinate `j` can move in both directions without limit.
    #[inline]
    pub fn unbounded(&self, j: usize) -> bool {
        self.lower[j] == F::neg_infinity() && self.upper[j] == F::infinity()
    }

    /// Whether coordinate `j` is fixed at 0 (`lo = hi = 0`).
    #[inline]
    pub fn fixed(&self, j: usize) -> bool {
        self.lower[j] == F::zero() && self.upper[j] == F::zero()
    }

    /// Whether coordinate `j` pays no penalty under `(l1_reg, l2_reg)`.
    #[inline]
    pub fn penalty_free(&self, j: usize, l1_reg: F, l2_reg: F) -> bool {
        self.factor[j] == F::zero() || (l1_reg == F::zero() && l2_reg == F::zero())
    }

    /// The residual of `w` seen through the projection for the
    /// unpenalized coordinates under penalties `(l1_reg, l2_reg)` that are
    /// strictly inside their bounds at `w` (all of them when unbounded);
    /// `None` when there are none, or their Gram block is singular.
    ///
    /// Sets made of unbounded coordinates only are the same for every `w`,
    /// and their projection is built once; with bounded ones the set can
    /// change with `w`, and the last projection is kept while it does not.
    pub fn project(
        &self,
        problem: &Problem<F>,
        target: usize,
        w: ndarray::ArrayView1<F>,
        res: &Residual<F>,
        l1_reg: F,
        l2_reg: F,
    ) -> Option<Projected<F>> {
        let free = |j: usize| self.penalty_free(j, l1_reg, l2_reg);
        let bounded_free = (0..self.len()).any(|j| free(j) && !self.unbounded(j) && !self.fixed(j));
        if !bounded_free {
            let no_penalty = l1_reg == F::zero() && l2_reg == F::zero();
            let cell = if no_penalty {
                &self.no_penalty
            } else {
                &self.zero_factor
            };
            let projection = cell.get_or_init(|| {
                let idx: Vec<usize> = (0..self.len())
                    .filter(|&j| free(j) && self.unbounded(j))
                    .collect();
                Projection::build(problem, idx)
            });
            return projection.as_ref().map(|p| p.apply(problem, target, res));
        }
        let idx: Vec<usize> = (0..self.len())
            .filter(|&j| free(j) && self.lower[j] < w[j] && w[j] < self.upper[j])
            .collect();
        let mut cache = self.interior.lock().unwrap_or_else(|e| e.into_inner());
        if cache.as_ref().is_none_or(|p| p.idx != idx) {
            *cache = Projection::build(problem, idx);
        }
        cache.as_ref().map(|p| p.apply(problem, target, res))
    }
}

/// Projection of residuals onto the orthogonal complement of the columns
/// `X̃_U` of the unpenalized coordinates `U`:
/// `θ = r − X̃_U·δ` with `(X̃_UᵀX̃_U)·δ = X̃_Uᵀr`, so that `X̃_Uᵀθ = 0`.
#[derive(Debug)]
pub(crate) struct Projection<F> {
    /// `U`, sorted.
    pub idx: Vec<usize>,
    /// Cholesky factor of `X̃_UᵀX̃_U`.
    chol: Array2<F>,
    /// `X̃_Uᵀỹ` (|U| × k).
    xty: Array2<F>,
}

/// The residual seen through a [`Projection`]: what the duality gap needs
/// about `θ = r − X̃_U·δ`.
#[derive(Debug, Clone)]
pub(crate) struct Projected<F> {
    /// `X̃ᵀθ` (zero, up to rounding, on `U`).
    pub z: Array1<F>,
    /// `‖θ‖²`.
    pub theta_norm2: F,
    /// `ỹᵀθ`.
    pub y_dot_theta: F,
    /// Which coordinates were projected away (`x̃ⱼᵀθ = 0`).
    pub projected: Vec<bool>,
}

impl<F: Float> Projection<F> {
    /// `None` for an empty `idx` or a singular (collinear) block.
    fn build(problem: &Problem<F>, idx: Vec<usize>) -> Option<Self> {
        if idx.is_empty() {
            return None;
        }
        let (block, xty) = match &problem.design {
            Design::Gram { gram, xty } => (
                gram.select(Axis(0), &idx).select(Axis(1), &idx),
                xty.select(Axis(0), &idx),
            ),
            Design::Dense { x, y, .. } => {
                let cols = x.select(Axis(1), &idx);
                (cols.t().dot(&cols), cols.t().dot(y))
            }
        };
        let chol = cholesky(&block)?;
        Some(Self { idx, chol, xty })
    }

    /// `X̃ᵀθ`, `‖θ‖²` and `ỹᵀθ` for the residual `res` of target `target`.
    pub fn apply(&self, problem: &Problem<F>, target: usize, res: &Residual<F>) -> Projected<F> {
        let z_u = res.z.select(Axis(0), &self.idx);
        let delta = cholesky_solve_factored(&self.chol, z_u.view());
        let q_u = self.xty.column(target);
        let y_dot_theta = res.y_dot_r - delta.dot(&q_u);
        let mut projected = vec![false; res.z.len()];
        for &j in &self.idx {
            projected[j] = true;
        }
        match &problem.design {
            Design::Gram { gram, .. } => {
                // X̃ᵀθ = z − Q[:, U]·δ;  ‖θ‖² = ‖r‖² − δᵀz_U (as Q_UU·δ = z_U).
                let mut z = res.z.clone();
                let zs = z.as_slice_mut().expect("contiguous");
                for (&j, &d) in self.idx.iter().zip(&delta) {
                    let col = gram.row(j);
                    super::linalg::axpy(-d, col.as_slice().expect("standard layout"), zs);
                }
                let theta_norm2 = (res.r_norm2 - delta.dot(&z_u)).max(F::zero());
                Projected {
                    z,
                    theta_norm2,
                    y_dot_theta,
                    projected,
                }
            }
            Design::Dense { x, .. } => {
                let r = res
                    .r
                    .as_ref()
                    .expect("the dense design returns its residual");
                let mut theta = r.clone();
                let ts = theta.as_slice_mut().expect("contiguous");
                for (&j, &d) in self.idx.iter().zip(&delta) {
                    let col = x.column(j);
                    super::linalg::axpy(-d, col.as_slice().expect("column-major"), ts);
                }
                let z = x
                    .axis_iter(Axis(1))
                    .map(|col| dot(col.as_slice().expect("column-major"), ts))
                    .collect();
                Projected {
                    z,
                    theta_norm2: dot(ts, ts),
                    y_dot_theta,
                    projected,
                }
            }
        }
    }
}

/// The per-feature settings as the builders hold them (original scale,
/// unvalidated), shared by [`ElasticNet`](crate::ElasticNet),
/// [`ElasticNetPath`](crate::ElasticNetPath) and
/// [`ElasticNetCv`](crate::ElasticNetCv).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FeatureSettings<F> {
    pub factor: Option<Array1<F>>,
    pub lower: Option<Array1<F>>,
    pub upper: Option<Array1<F>>,
    pub positive: bool,
}

impl<F: Float> FeatureSettings<F> {
    /// Lengths and ranges: `penalty_factor` in `[0, inf)`, `lower` in
    /// `[-inf, 0]`, `upper` in `[0, inf]`.
    pub fn validate(&self, n_features: usize) -> crate::Result<()> {
        use crate::check::per_feature;
        if let Some(v) = &self.factor {
            per_feature(
                "penalty_factor",
                v.view(),
                n_features,
                F::zero(),
                F::max_value(),
                "[0, inf)",
            )?;
        }
        if let Some(lo) = &self.lower {
            per_feature(
                "lower_bounds",
                lo.view(),
                n_features,
                F::neg_infinity(),
                F::zero(),
                "[-inf, 0]",
            )?;
        }
        if let Some(hi) = &self.upper {
            per_feature(
                "upper_bounds",
                hi.view(),
                n_features,
                F::zero(),
                F::infinity(),
                "[0, inf]",
            )?;
        }
        Ok(())
    }

    /// Clips original-scale coefficients (`weight`, one row per feature) to
    /// the bounds, and to `≥ 0` with `positive`. The solvers clip on the
    /// kernel scale, `loⱼ·sⱼ ≤ wⱼ ≤ hiⱼ·sⱼ`, and `Wⱼ = wⱼ/sⱼ` can round to
    /// just outside `[loⱼ, hiⱼ]` (by an ulp, more when `hiⱼ·sⱼ` is
    /// subnormal); the bounds are promised on the original scale.
    pub fn clip<'a>(&self, weight: impl Into<ndarray::ArrayViewMut2<'a, F>>) {
        if self.lower.is_none() && self.upper.is_none() && !self.positive {
            return;
        }
        let mut weight = weight.into();
        for (j, mut row) in weight.axis_iter_mut(Axis(0)).enumerate() {
            let mut lo = self.lower.as_ref().map_or(F::neg_infinity(), |l| l[j]);
            if self.positive {
                lo = lo.max(F::zero());
            }
            let hi = self.upper.as_ref().map_or(F::infinity(), |h| h[j]);
            row.mapv_inplace(|w| w.max(lo).min(hi));
        }
    }

    /// The kernel-scale [`FeaturePenalty`] for `problem`.
    pub fn build(&self, problem: &Problem<F>) -> FeaturePenalty<F> {
        FeaturePenalty::new(
            problem,
            self.factor.as_ref(),
            self.lower.as_ref(),
            self.upper.as_ref(),
            self.positive,
        )
    }
}
