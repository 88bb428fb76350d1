//! The preprocessed problem every solver works on: centred, optionally
//! standardized data, held either as a Gram matrix or as a column-major copy.

use ndarray::{
    Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, ShapeBuilder, Zip,
    s,
};

use crate::Float;
use crate::scale::{column_means, column_moments};

use super::gram_kernel::{PANEL, add_upper_gram_fast};
use super::linalg::dot;

/// Rows handled at a time while forming `XᵀX`: bounds the scratch buffer to
/// `GRAM_CHUNK × p` values, so `x` itself is never copied.
const GRAM_CHUNK: usize = 512;

/// Above this many features the Gram matrix (p² values, `m·p²` work) costs
/// more than residual sweeps save, and the column-major layout is used.
pub(crate) const GRAM_MAX_FEATURES: usize = 1024;

/// How the data are held for the solvers.
#[derive(Debug, Clone)]
pub(crate) enum Design<F> {
    /// `Q = X̃ᵀX̃` (p × p) and `q = X̃ᵀỹ` (p × k): coordinate updates cost
    /// O(p), independent of m. Used when `m ≥ p` (and p is moderate).
    Gram { gram: Array2<F>, xty: Array2<F> },
    /// `X̃` (m × p, column-major, so each column is contiguous) and `ỹ`
    /// (m × k, column-major): residual updates, used when `p > m`. With
    /// them `X̃ᵀỹ` (p × k), formed during the copy while each column was in
    /// cache: the correlations at `w = 0` (where every cold start and path
    /// begins) without another pass over `X̃`.
    Dense {
        x: Array2<F>,
        y: Array2<F>,
        xty: Array2<F>,
    },
}

/// The problem in the solvers' own scaling.
///
/// With `x̄` the column means (0 without intercept), `s` the column scales
/// (1 without standardization) and `ȳ` the target means (0 without
/// intercept), the solvers see `X̃ = (X − x̄)/s` and `ỹ = y − ȳ` and minimise,
/// per target column, the *kernel objective*
///
/// `P(w) = ½‖ỹ − X̃w‖² + l1_reg·‖w‖₁ + ½·l2_reg·‖w‖²`,
///
/// with `l1_reg = m·λ₁` and `l2_reg = m·λ₂`, i.e. `P = m·L`. Coefficients map
/// back as `W = w/s` and `b = ȳ − x̄ᵀW`.
#[derive(Debug, Clone)]
pub(crate) struct Problem<F> {
    pub design: Design<F>,
    pub x_mean: Array1<F>,
    pub x_scale: Array1<F>,
    pub y_mean: Array1<F>,
    /// `‖ỹ_l‖²` per target.
    pub yty: Array1<F>,
    /// `‖x̃_j‖²` per feature (the diagonal of `Q`).
    pub col_norm2: Array1<F>,
    pub n_samples: usize,
}

/// Which [`Design`] to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Gram when `m ≥ p` and `p ≤ GRAM_MAX_FEATURES`, else dense.
    Auto,
    /// Always the column-major design (tests compare the two).
    #[cfg_attr(not(test), allow(dead_code))]
    Dense,
}

impl<F: Float> Problem<F> {
    /// Centres (if `fit_intercept`) and scales (if `standardize`) the data,
    /// with row weights when `sample_weight` is given. `x`, `y` and the
    /// weights must already be validated (weights finite, `≥ 0`, with a
    /// positive sum).
    ///
    /// Weights `wᵢ` are normalised to `ωᵢ = m·wᵢ/Σw` (summing to `m`); means
    /// and scales are `ω`-weighted, and each centred row is multiplied by
    /// `√ωᵢ`, so that `½‖ỹ − X̃w‖² = ½Σᵢ ωᵢ(yᵢ − ȳ − (xᵢ − x̄)ᵀw)²` and the
    /// kernel objective stays `m·L` with `L`'s `1/(2Σw)·Σᵢ wᵢ rᵢ²`.
    pub fn new(
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
        fit_intercept: bool,
        standardize: bool,
        layout: Layout,
    ) -> Self {
        Self::build(
            x,
            y,
            sample_weight,
            fit_intercept,
            standardize,
            layout,
            false,
        )
        .expect("no check, no error")
    }

    /// As [`new`](Self::new) for an `x` whose values have not been checked
    /// yet: [`Error::NonFinite`](crate::Error::NonFinite) if one is NaN or
    /// infinite. The check costs nothing extra when the Gram matrix of
    /// centred data is formed — a finite column mean proves the column
    /// finite — and one pass over `x` otherwise. (`x`'s shape, `y` and the
    /// weights must be validated.)
    pub fn checked(
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
        fit_intercept: bool,
        standardize: bool,
        layout: Layout,
    ) -> crate::Result<Self> {
        Self::build(
            x,
            y,
            sample_weight,
            fit_intercept,
            standardize,
            layout,
            true,
        )
    }

    fn build(
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
        fit_intercept: bool,
        standardize: bool,
        layout: Layout,
        verify_x: bool,
    ) -> crate::Result<Self> {
        let (n_samples, n_features) = x.dim();
        let use_gram =
            layout == Layout::Auto && n_samples >= n_features && n_features <= GRAM_MAX_FEATURES;
        let omega = sample_weight.map(|w| normalised_weights(w));
        let omega_view = omega.as_ref().map(|o| o.view());
        // With the Gram matrix of centred data, the means come from one
        // plain pass and are corrected exactly from the deviations the
        // Gram pass sums anyway (see `gram_and_xty`).
        let one_pass_means = use_gram && fit_intercept && !standardize;
        // Without it, the means are computed column by column on the
        // column-major copy, where each column is contiguous.
        let copy_means = !use_gram && fit_intercept && !standardize;

        if verify_x && !one_pass_means && !copy_means {
            crate::check::finite("x", x)?;
        }
        let (x_mean, x_scale) = if standardize {
            column_moments(x, fit_intercept, omega_view)
        } else if one_pass_means {
            // A provisional centre from the first rows, corrected exactly
            // after the Gram pass (below): no pass of its own.
            (first_rows_shift(x, omega_view), Array1::ones(n_features))
        } else if fit_intercept && !copy_means {
            // The corrected two-pass mean (exact for a constant column).
            (column_means(x, omega_view), Array1::ones(n_features))
        } else {
            (Array1::zeros(n_features), Array1::ones(n_features))
        };
        let y_mean = if fit_intercept {
            column_means(y, omega_view)
        } else {
            Array1::zeros(y.ncols())
        };
        let root_omega = omega.as_ref().map(|o| o.mapv(|v| v.sqrt()));
        // ỹ = √ω·(y − ȳ), column-major so that each target's column is
        // contiguous.
        let mut y_c = Array2::zeros(y.raw_dim().f());
        y_c.assign(&y);
        for (mut col, &mu) in y_c.axis_iter_mut(Axis(1)).zip(&y_mean) {
            col -= mu;
            if let Some(rw) = &root_omega {
                col *= rw;
            }
        }
        let yty = y_c.axis_iter(Axis(1)).map(|c| c.dot(&c)).collect();

        let mut x_mean = x_mean;
        let (design, col_norm2) = if use_gram {
            let (mut gram, mut xty, mut dev) =
                gram_and_xty(x, y_c.view(), &x_mean, &x_scale, root_omega.as_ref());
            if one_pass_means {
                if verify_x && !dev.iter().chain(gram.diag()).all(|v| v.is_finite()) {
                    // Finite sums of finite terms: some value is not finite
                    // (or the squares overflow, which the caller reports).
                    crate::check::finite("x", x)?;
                }
                // The correction subtracts `eⱼ²/m` from `Qⱼⱼ`; it loses
                // nothing while the provisional centre is within a
                // standard deviation of the mean (`2eⱼ² ≤ m·Qⱼⱼ`), as it is
                // for rows in no particular order. Otherwise (sorted rows,
                // say) the pass is redone around the one-pass means.
                let m = F::from_usize_lossy(n_samples);
                let far = dev
                    .iter()
                    .zip(gram.diag())
                    .any(|(&e, &q)| e * e + e * e > m * q);
                if far {
                    x_mean = one_pass_column_means(x, omega_view);
                    (gram, xty, dev) =
                        gram_and_xty(x, y_c.view(), &x_mean, &x_scale, root_omega.as_ref());
                }
            }
            if fit_intercept {
                // The deviations `e = Σᵢ √ωᵢ·B_i` of slightly inexact
                // means: centring on `x̄ + s·e/m` instead (exact) changes
                // Q by `−e·eᵀ/m` and q by `−e·(Σᵢ √ωᵢ·ỹᵢ)/m`.
                correct_means(
                    &mut gram,
                    &mut xty,
                    &mut x_mean,
                    &x_scale,
                    &dev,
                    &y_c,
                    root_omega.as_ref(),
                );
            }
            let diag = gram.diag().to_owned();
            (Design::Gram { gram, xty }, diag)
        } else {
            // Each column is contiguous and still in cache when its block
            // is complete: its mean, centring, scaling and squared norm in
            // the same visit as the copy.
            let inv_m = F::one() / F::from_usize_lossy(n_samples.max(1));
            let mut norms = Array1::zeros(n_features);
            let mut xty = Array2::zeros((n_features, y_c.ncols()));
            let w = omega.as_ref().map(|o| o.as_slice().expect("contiguous"));
            let rw = root_omega
                .as_ref()
                .map(|o| o.as_slice().expect("contiguous"));
            let xs = column_major_copy(x, |j0, mut block| {
                for (c, mut col) in block.axis_iter_mut(Axis(1)).enumerate() {
                    let j = j0 + c;
                    let col = col.as_slice_mut().expect("column-major");
                    let mean = (!copy_means).then_some(x_mean[j]);
                    x_mean[j] = centre_column(col, w, rw, inv_m, mean, x_scale[j]);
                    norms[j] = dot(col, col);
                    // The same `dot` as `correlations_on` at `w = 0`
                    // (`r = ỹ` exactly): the same bits.
                    for (q, yl) in xty.row_mut(j).iter_mut().zip(y_c.columns()) {
                        *q = dot(col, yl.as_slice().expect("column-major"));
                    }
                }
            });
            if copy_means && verify_x && x_mean.iter().any(|v| !v.is_finite()) {
                crate::check::finite("x", x)?;
            }
            (Design::Dense { x: xs, y: y_c, xty }, norms)
        };
        Ok(Self {
            design,
            x_mean,
            x_scale,
            y_mean,
            yty,
            col_norm2,
            n_samples,
        })
    }

    pub fn n_features(&self) -> usize {
        self.x_mean.len()
    }

    /// `z = X̃ᵀ(ỹ_l − X̃w)` for target `l`, plus `‖r‖²` and `ỹ_lᵀr` where
    /// `r = ỹ_l − X̃w` — what the duality gap needs.
    pub fn correlations(&self, target: usize, w: ArrayView1<F>) -> Residual<F> {
        self.correlations_on(target, w, None)
    }

    /// As [`correlations`](Self::correlations), with `zⱼ` computed only
    /// where `keep[j]` (0 elsewhere): the correlations of a problem reduced
    /// to the kept coordinates, whose `w` is 0 elsewhere.
    pub fn correlations_on(
        &self,
        target: usize,
        w: ArrayView1<F>,
        keep: Option<&[bool]>,
    ) -> Residual<F> {
        match &self.design {
            Design::Gram { gram, xty } => {
                // z = q − Qw;  ‖r‖² = ‖ỹ‖² − 2wᵀq + wᵀQw = ‖ỹ‖² − wᵀq − wᵀz.
                // Qw from the rows of the non-zero coordinates (Q is
                // symmetric): O(p·nnz) rather than O(p²).
                let q = xty.column(target);
                let mut z = q.to_owned();
                let zs = z.as_slice_mut().expect("contiguous");
                let nonzero = super::nonzero_indices(w);
                for &k in &nonzero {
                    let row = gram.row(k);
                    super::linalg::axpy(-w[k], row.as_slice().expect("standard layout"), zs);
                }
                // |w|ᵀ|Q||w| and Σ|wₖqₖ|: the sizes of the terms that
                // cancel in ‖r‖² below (the computed wᵀq and wᵀQw can
                // themselves be cancelled to nothing).
                let mut magnitude = F::zero();
                for &k in &nonzero {
                    let row = gram.row(k);
                    let inner = nonzero
                        .iter()
                        .fold(F::zero(), |acc, &j| acc + (row[j] * w[j]).abs());
                    magnitude += w[k].abs() * inner;
                }
                let wq_terms = nonzero
                    .iter()
                    .fold(F::zero(), |acc, &k| acc + (w[k] * q[k]).abs());
                if let Some(keep) = keep {
                    for (zj, &kept) in z.iter_mut().zip(keep) {
                        if !kept {
                            *zj = F::zero();
                        }
                    }
                }
                let wq = w.dot(&q);
                let wz = w.dot(&z);
                let yty = self.yty[target];
                // The formula cancels when the terms are much larger than
                // ‖r‖² (far from the solution): its rounding error, a few
                // ulps of the largest terms, goes into the gap as slack so
                // that a cancelled ‖r‖² can never certify a bad point.
                let slack = F::cast(4.0) * F::epsilon() * (yty + wq_terms + magnitude);
                Residual {
                    r_norm2: (yty - wq - wz).max(F::zero()),
                    y_dot_r: yty - wq,
                    z,
                    r: None,
                    slack,
                }
            }
            Design::Dense { x, y, xty } => {
                let yl = y.column(target);
                let r = dense_residual(x, yl, w);
                let kept = |j: usize| keep.is_none_or(|keep| keep[j]);
                let z = if w.iter().all(|&v| v == F::zero()) {
                    // r = ỹ: the correlations formed with the copy.
                    Array1::from_shape_fn(xty.nrows(), |j| {
                        if kept(j) { xty[[j, target]] } else { F::zero() }
                    })
                } else {
                    // Column by column with the same `dot` as the
                    // coordinate updates, so that both agree to the last
                    // bit (alpha_max must give exact zeros).
                    let rs = r.as_slice().expect("contiguous");
                    x.axis_iter(Axis(1))
                        .enumerate()
                        .map(|(j, col)| {
                            if kept(j) {
                                dot(col.as_slice().expect("column-major"), rs)
                            } else {
                                F::zero()
                            }
                        })
                        .collect()
                };
                Residual {
                    r_norm2: r.dot(&r),
                    y_dot_r: yl.dot(&r),
                    z,
                    r: Some(r),
                    slack: F::zero(),
                }
            }
        }
    }

    /// `‖ỹ_l − X̃w‖²` alone, in O(m·nnz) (dense) or O(nnz²) (Gram) — for
    /// comparing objectives, not for certificates.
    pub fn residual_norm2(&self, target: usize, w: ArrayView1<F>) -> F {
        match &self.design {
            Design::Gram { gram, xty } => {
                // ‖ỹ‖² − 2wᵀq + wᵀQw over the non-zero coordinates.
                let nonzero = super::nonzero_indices(w);
                let q = xty.column(target);
                let mut quad = F::zero();
                let mut lin = F::zero();
                for &a in &nonzero {
                    lin += w[a] * q[a];
                    let row = gram.row(a);
                    let inner = nonzero
                        .iter()
                        .fold(F::zero(), |acc, &b| acc + row[b] * w[b]);
                    quad += w[a] * inner;
                }
                (self.yty[target] - (lin + lin) + quad).max(F::zero())
            }
            Design::Dense { x, y, .. } => {
                let r = dense_residual(x, y.column(target), w);
                r.dot(&r)
            }
        }
    }

    /// `λmax(X̃ᵀX̃)`, by power iteration (an estimate from below, inflated by
    /// 1% so that `1/L` stays a safe step).
    pub fn max_eigenvalue(&self) -> F {
        let p = self.n_features();
        let apply = |v: &Array1<F>| -> Array1<F> {
            match &self.design {
                Design::Gram { gram, .. } => gram.dot(v),
                Design::Dense { x, .. } => x.t().dot(&x.dot(v)),
            }
        };
        // A start with distinct entries: all ones cancels when one centred
        // column is the negation of another (a one-hot pair).
        let mut v = Array1::from_shape_fn(p, |j| {
            F::one() + F::cast((j as f64 * 0.618_033_988_75).fract())
        });
        let mut estimate = F::zero();
        for _ in 0..500 {
            let norm = v.dot(&v).sqrt();
            if norm == F::zero() || !norm.is_finite() {
                break;
            }
            v /= norm;
            let av = apply(&v);
            let rayleigh = v.dot(&av);
            let done = (rayleigh - estimate).abs() <= F::cast(1e-8) * rayleigh;
            estimate = rayleigh;
            v = av;
            if done {
                break;
            }
        }
        // λmax is never below the largest diagonal entry ‖x̃ⱼ‖².
        let floor = self.col_norm2.iter().fold(F::zero(), |a, &v| a.max(v));
        (estimate * F::cast(1.01)).max(floor)
    }
}

/// `r = y − Xw` for a column-major `x`, one contiguous column at a time and
/// skipping zero weights (ndarray's generic `x.dot(&w)` walks a
/// column-major matrix row by row, an order of magnitude slower).
pub(crate) fn dense_residual<F: Float>(
    x: &Array2<F>,
    y: ArrayView1<F>,
    w: ArrayView1<F>,
) -> Array1<F> {
    let mut r = y.to_owned();
    let rs = r.as_slice_mut().expect("contiguous");
    for (j, &wj) in w.iter().enumerate() {
        if wj != F::zero() {
            let col = x.column(j);
            super::linalg::axpy(-wj, col.as_slice().expect("column-major"), rs);
        }
    }
    r
}

/// What the duality gap needs about the residual `r = ỹ − X̃w`.
#[derive(Debug, Clone)]
pub(crate) struct Residual<F> {
    /// `X̃ᵀr`.
    pub z: Array1<F>,
    /// `‖r‖²`.
    pub r_norm2: F,
    /// `ỹᵀr`.
    pub y_dot_r: F,
    /// `r` itself, for the dense design (the Gram design never forms it).
    pub r: Option<Array1<F>>,
    /// A bound on the rounding error of `‖r‖²` and `ỹᵀr` when they are
    /// computed from the Gram matrix (`‖ỹ‖² − 2wᵀq + wᵀQw` cancels far from
    /// the solution): `4ε·(‖ỹ‖² + Σ|wₖqₖ| + |w|ᵀ|Q||w|)`; 0 for the dense
    /// design.
    pub slack: F,
}

/// `ωᵢ = m·wᵢ/Σw`: weights rescaled to sum to the number of rows (the
/// sum is taken on `w/max w`, so it cannot overflow).
pub(crate) fn normalised_weights<F: Float>(w: ArrayView1<F>) -> Array1<F> {
    let big = w.iter().fold(F::zero(), |a, &v| a.max(v));
    let scaled = w.mapv(|v| v / big);
    let total = scaled.sum();
    let m = F::from_usize_lossy(w.len());
    scaled.mapv(|v| v * m / total)
}

/// `Q = X̃ᵀX̃` and `q = X̃ᵀỹ`, formed `GRAM_CHUNK` rows at a time: each chunk
/// is centred, scaled (and multiplied by `√ωᵢ`) into a small buffer `B`,
/// then `Q += BᵀB` (upper block triangle only, mirrored at the end: Q is
/// symmetric), `q += Bᵀỹ_B`. Centring before multiplying (rather than
/// `XᵀX − m·x̄x̄ᵀ`) avoids cancellation for columns with large means. Also
/// returns the deviation sums `e = Σᵢ √ωᵢ·Bᵢ` (0 for exact means).
///
/// Tall data are cut into up to [`MAX_GRAM_BLOCKS`] blocks of rows, summed
/// on their own — in parallel with `rayon` — and then added up in order.
/// The number of blocks depends on the shape only, never on the number of
/// threads, so neither do the results.
fn gram_and_xty<F: Float>(
    x: ArrayView2<F>,
    y_c: ArrayView2<F>,
    mean: &Array1<F>,
    scale: &Array1<F>,
    root_omega: Option<&Array1<F>>,
) -> (Array2<F>, Array2<F>, Array1<F>) {
    let (n_samples, n_features) = x.dim();
    let inv_scale = scale.mapv(|s| F::one() / s);
    let centring = Centring {
        mean: mean.as_slice().expect("contiguous"),
        inv_scale: inv_scale.as_slice().expect("contiguous"),
        unit_scale: scale.iter().all(|&s| s == F::one()),
        root_omega,
    };
    let bounds = row_blocks(
        n_samples,
        gram_blocks(n_samples, n_features, size_of::<F>()),
    );
    let one = |&(start, end): &(usize, usize)| centring.block(x, y_c, start, end);
    #[cfg(feature = "rayon")]
    let mut parts: Vec<_> = {
        use rayon::prelude::*;
        if bounds.len() > 1 {
            // One block per job (see "Parallel work" in `solver`).
            bounds.par_iter().with_max_len(1).map(one).collect()
        } else {
            bounds.iter().map(one).collect()
        }
    };
    #[cfg(not(feature = "rayon"))]
    let mut parts: Vec<_> = bounds.iter().map(one).collect();
    let (mut gram, mut xty, mut dev) = parts.remove(0);
    for (g, q, e) in parts {
        gram += &g;
        xty += &q;
        dev += &e;
    }
    mirror_upper(&mut gram);
    (gram, xty, dev)
}

/// Rows `0..m` cut into `n_blocks` contiguous blocks of (nearly) equal
/// size, as `(start, end)`.
pub(crate) fn row_blocks(m: usize, n_blocks: usize) -> Vec<(usize, usize)> {
    (0..n_blocks)
        .map(|b| (b * m / n_blocks, (b + 1) * m / n_blocks))
        .collect()
}

/// At most this many blocks of rows in [`gram_and_xty`]: enough for the
/// threads of a workstation.
const MAX_GRAM_BLOCKS: usize = 8;

/// The blocks of rows [`gram_and_xty`] sums on their own: one per
/// `16·GRAM_CHUNK` rows, at most [`MAX_GRAM_BLOCKS`], and fewer when their
/// Gram matrices would take over 16 MB (each is `p²` values).
fn gram_blocks(n_samples: usize, n_features: usize, value_size: usize) -> usize {
    let by_rows = n_samples / (16 * GRAM_CHUNK);
    let by_memory = (16 << 20) / (n_features * n_features * value_size).max(1);
    by_rows.min(by_memory).clamp(1, MAX_GRAM_BLOCKS)
}

/// How [`gram_and_xty`] turns rows of `x` into rows of `B`.
struct Centring<'a, F> {
    mean: &'a [F],
    inv_scale: &'a [F],
    unit_scale: bool,
    root_omega: Option<&'a Array1<F>>,
}

impl<F: Float> Centring<'_, F> {
    /// The upper triangle of `Q`, `q` and `e` over the rows `start..end`
    /// (see [`gram_and_xty`]).
    fn block(
        &self,
        x: ArrayView2<F>,
        y_c: ArrayView2<F>,
        start: usize,
        end: usize,
    ) -> (Array2<F>, Array2<F>, Array1<F>) {
        let n_features = x.ncols();
        let mut gram = Array2::zeros((n_features, n_features));
        let mut xty = Array2::zeros((n_features, y_c.ncols()));
        let mut dev = Array1::zeros(n_features);
        // Rows padded with zeros to a multiple of PANEL for the AVX-512
        // kernel.
        let stride = n_features.div_ceil(PANEL) * PANEL;
        let mut buf = Array2::zeros((GRAM_CHUNK.min(end - start), stride));
        let blocks = column_blocks(n_features);
        let mut first = start;
        while first < end {
            let last = (first + GRAM_CHUNK).min(end);
            self.rows(
                x.slice(s![first..last, ..]),
                first,
                buf.slice_mut(s![..last - first, ..n_features]),
                dev.as_slice_mut().expect("contiguous"),
            );
            // The next chunk's rows, when contiguous, are fetched while
            // this one is multiplied.
            let next_rows = x.slice(s![last..(last + GRAM_CHUNK).min(end), ..]);
            let next = next_rows.as_slice().unwrap_or(&[]);
            if !add_upper_gram_fast(&buf, last - first, n_features, &mut gram, next) {
                add_upper_gram(
                    buf.slice(s![..last - first, ..n_features]),
                    &mut gram,
                    &blocks,
                );
            }
            add_xty(
                buf.slice(s![..last - first, ..n_features]),
                y_c.slice(s![first..last, ..]),
                &mut xty,
            );
            first = last;
        }
        (gram, xty, dev)
    }

    /// `bᵢ = √ωᵢ·(xᵢ − x̄)/s` for the rows `x` (row `start` of the data
    /// first) and `dev += Σᵢ √ωᵢ·bᵢ`, compiled for AVX2 where the CPU has
    /// it (no fused multiply-add: the same bits).
    fn rows(&self, x: ArrayView2<F>, start: usize, b: ArrayViewMut2<F>, dev: &mut [F]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU running this has AVX2 (just detected).
            unsafe { self.rows_avx2(x, start, b, dev) };
            return;
        }
        self.rows_portable(x, start, b, dev);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn rows_avx2(&self, x: ArrayView2<F>, start: usize, b: ArrayViewMut2<F>, dev: &mut [F]) {
        self.rows_portable(x, start, b, dev);
    }

    #[inline(always)]
    fn rows_portable(
        &self,
        x: ArrayView2<F>,
        start: usize,
        mut b: ArrayViewMut2<F>,
        dev: &mut [F],
    ) {
        let mu = self.mean;
        for (i, (mut out, row)) in b.rows_mut().into_iter().zip(x.rows()).enumerate() {
            let out = out.as_slice_mut().expect("standard layout");
            match row.as_slice() {
                Some(row) if self.unit_scale && self.root_omega.is_none() => {
                    // The common case in one loop: centre, store, add up.
                    for (((o, &v), &m), d) in out.iter_mut().zip(row).zip(mu).zip(dev.iter_mut()) {
                        let c = v - m;
                        *o = c;
                        *d += c;
                    }
                    continue;
                }
                Some(row) if self.unit_scale => {
                    for ((o, &v), &m) in out.iter_mut().zip(row).zip(mu) {
                        *o = v - m;
                    }
                }
                _ => {
                    for (((o, &v), &m), &is) in out.iter_mut().zip(&row).zip(mu).zip(self.inv_scale)
                    {
                        *o = (v - m) * is;
                    }
                }
            }
            let weight = match self.root_omega {
                Some(rw) => {
                    let c = rw[start + i];
                    out.iter_mut().for_each(|o| *o *= c);
                    c
                }
                None => F::one(),
            };
            for (d, &o) in dev.iter_mut().zip(out.iter()) {
                *d += weight * o;
            }
        }
    }
}

/// `Q += BᵀB` on the upper block triangle of `Q` only (blocks from
/// [`column_blocks`]): half the flops of the full product. The blocks below
/// the diagonal blocks are left alone; [`mirror_upper`] completes `Q`.
pub(crate) fn add_upper_gram<F: Float>(
    b: ArrayView2<F>,
    gram: &mut Array2<F>,
    blocks: &[(usize, usize)],
) {
    for (bi, &(i0, i1)) in blocks.iter().enumerate() {
        for &(j0, j1) in &blocks[bi..] {
            ndarray::linalg::general_mat_mul(
                F::one(),
                &b.slice(s![.., i0..i1]).t(),
                &b.slice(s![.., j0..j1]),
                F::one(),
                &mut gram.slice_mut(s![i0..i1, j0..j1]),
            );
        }
    }
}

/// `q += Bᵀc` (B: n × p, c: n × k, q: p × k), row by row: a product with a
/// single column (or a few) is not worth a packed matrix product. The
/// chunk's sum is formed apart and then added, so that rounding grows with
/// the chunk and the number of chunks rather than with all rows.
pub(crate) fn add_xty<F: Float>(b: ArrayView2<F>, c: ArrayView2<F>, q: &mut Array2<F>) {
    let (p, k) = (b.ncols(), c.ncols());
    let mut chunk = vec![F::zero(); p * k];
    for (row, targets) in b.rows().into_iter().zip(c.rows()) {
        let row = row.to_slice().expect("rows of a standard layout chunk");
        for (l, &t) in targets.iter().enumerate() {
            super::linalg::axpy(t, row, &mut chunk[l * p..(l + 1) * p]);
        }
    }
    for l in 0..k {
        for j in 0..p {
            q[[j, l]] += chunk[l * p + j];
        }
    }
}

/// Completes a `Q` summed by [`add_upper_gram`] (below-diagonal blocks
/// still 0): the mirror of the upper triangle, and within diagonal blocks,
/// where both triangles were formed and can differ in the last bit, their
/// mean.
pub(crate) fn mirror_upper<F: Float>(gram: &mut Array2<F>) {
    let n = gram.nrows();
    for i in 0..n {
        for j in 0..i {
            let v = if gram[[i, j]] == F::zero() {
                gram[[j, i]]
            } else {
                (gram[[i, j]] + gram[[j, i]]) * F::cast(0.5)
            };
            gram[[i, j]] = v;
            gram[[j, i]] = v;
        }
    }
}

/// `x` copied into column-major order, a block of [`COPY_BLOCK`] columns
/// at a time, each block handed to `finish` (column-major, its columns
/// contiguous) as soon as it is complete, while it is still in cache. From
/// a row-major `x` each row contributes one short contiguous run per block,
/// transposed by [`copy_columns`](super::transpose::copy_columns).
///
/// The copy is written straight into uninitialized memory (`zeros` was
/// a `calloc`: free on fresh pages, but a pass over reused ones), asked to
/// be backed by huge pages ([`super::huge_pages::advise`]): fresh memory
/// is mapped on first touch, and 4 KiB at a time that cost about 2 µs
/// per page here — 10 ms for the 20 MB of a 500 × 5 000 `x`, as much as
/// the fit itself.
fn column_major_copy<F: Float>(
    x: ArrayView2<F>,
    mut finish: impl FnMut(usize, ArrayViewMut2<F>),
) -> Array2<F> {
    let (m, p) = x.dim();
    let mut data: Vec<F> = Vec::with_capacity(m * p);
    super::huge_pages::advise(data.spare_capacity_mut());
    for j0 in (0..p).step_by(COPY_BLOCK) {
        let j1 = (j0 + COPY_BLOCK).min(p);
        let width = j1 - j0;
        let dst = &mut data.spare_capacity_mut()[..width * m];
        match x.as_slice() {
            Some(src) => super::transpose::copy_columns(src, p, j0, width, m, dst),
            None => {
                for (c, column) in dst.chunks_exact_mut(m.max(1)).enumerate() {
                    for (d, &v) in column.iter_mut().zip(x.column(j0 + c)) {
                        d.write(v);
                    }
                }
            }
        }
        // SAFETY: both branches wrote all `width·m` values after the
        // current length (`copy_columns` writes every one of its `dst`).
        unsafe { data.set_len(j1 * m) };
        let block = ArrayViewMut2::from_shape((m, width).f(), &mut data[j0 * m..j1 * m])
            .expect("m × width values");
        finish(j0, block);
    }
    Array2::from_shape_vec((m, p).f(), data).expect("m × p values")
}

/// Columns per block of [`column_major_copy`].
const COPY_BLOCK: usize = 32;

/// Columns per block of the Gram product: only blocks on or above the
/// diagonal are formed.
const GRAM_BLOCK: usize = 32;

/// `[start, end)` column ranges of the Gram blocks.
pub(crate) fn column_blocks(n_features: usize) -> Vec<(usize, usize)> {
    (0..n_features)
        .step_by(GRAM_BLOCK)
        .map(|start| (start, (start + GRAM_BLOCK).min(n_features)))
        .collect()
}

/// Re-centres `Q`, `q` and `x̄` on the exact means: with `e` the deviation
/// sums of the Gram pass and `c = e/m`, `Q ← Q − e·eᵀ/m`,
/// `q ← q − c·(Σᵢ √ωᵢ·ỹᵢ)` and `x̄ ← x̄ + s·c`.
fn correct_means<F: Float>(
    gram: &mut Array2<F>,
    xty: &mut Array2<F>,
    x_mean: &mut Array1<F>,
    scale: &Array1<F>,
    dev: &Array1<F>,
    y_c: &Array2<F>,
    root_omega: Option<&Array1<F>>,
) {
    if dev.iter().all(|&e| e == F::zero()) {
        return;
    }
    let m = F::from_usize_lossy(y_c.nrows());
    let c = dev / m;
    for (mut row, &ei) in gram.rows_mut().into_iter().zip(dev) {
        row.scaled_add(-ei, &c);
    }
    for (mut q, yl) in xty.axis_iter_mut(Axis(1)).zip(y_c.axis_iter(Axis(1))) {
        let sy = match root_omega {
            Some(rw) => yl.dot(rw),
            None => yl.sum(),
        };
        q.scaled_add(-sy, &c);
    }
    Zip::from(x_mean)
        .and(scale)
        .and(&c)
        .for_each(|mu, &s, &cj| *mu += s * cj);
}

/// One column of the dense design, in place: its mean first when `mean`
/// is `None` (the corrected two-pass mean `μ₀ + Σᵢ ωᵢ(vᵢ − μ₀)/m` with
/// `μ₀ = Σᵢ ωᵢvᵢ/m`, exact for a constant column), then
/// `vᵢ ← (vᵢ − μ)/s·√ωᵢ`; returns the mean `μ`. On CPUs with AVX2 the same
/// code runs compiled for it: the same operations in the same order on
/// wider vectors (no fused multiply-add), so the same bits — a third of a
/// wide fit's instructions went to these passes in SSE2.
fn centre_column<F: Float>(
    col: &mut [F],
    weights: Option<&[F]>,
    root_omega: Option<&[F]>,
    inv_m: F,
    mean: Option<F>,
    scale: F,
) -> F {
    #[cfg(target_arch = "x86_64")]
    if super::linalg::has_avx2() {
        // SAFETY: the CPU running this has AVX2 (just detected).
        return unsafe { centre_column_avx2(col, weights, root_omega, inv_m, mean, scale) };
    }
    centre_column_portable(col, weights, root_omega, inv_m, mean, scale)
}

/// [`centre_column`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn centre_column_avx2<F: Float>(
    col: &mut [F],
    weights: Option<&[F]>,
    root_omega: Option<&[F]>,
    inv_m: F,
    mean: Option<F>,
    scale: F,
) -> F {
    centre_column_portable(col, weights, root_omega, inv_m, mean, scale)
}

#[inline(always)]
fn centre_column_portable<F: Float>(
    col: &mut [F],
    weights: Option<&[F]>,
    root_omega: Option<&[F]>,
    inv_m: F,
    mean: Option<F>,
    scale: F,
) -> F {
    // Plain loops and matches: the `unwrap_or_else` closure this had was
    // compiled on its own, without the AVX2 of the function that calls it
    // (callgrind: 10.7M of the 500 × 5 000 fit's instructions in it).
    let mu = match mean {
        Some(mu) => mu,
        None => {
            let first = centred_sum(col, weights, inv_m, F::zero());
            first + centred_sum(col, weights, inv_m, first)
        }
    };
    match root_omega {
        None if scale == F::one() => {
            for v in col.iter_mut() {
                *v -= mu;
            }
        }
        None => {
            for v in col.iter_mut() {
                *v = (*v - mu) / scale;
            }
        }
        Some(rw) => {
            for (v, &r) in col.iter_mut().zip(rw) {
                *v = (*v - mu) / scale * r;
            }
        }
    }
    mu
}

/// `Σᵢ (vᵢ − shift)·wᵢ·scale` (`wᵢ = 1` without weights) in eight
/// independent partial sums, added pairwise: a single running sum is a chain
/// of dependent additions, several times slower.
#[inline(always)]
fn centred_sum<F: Float>(col: &[F], w: Option<&[F]>, scale: F, shift: F) -> F {
    const L: usize = 8;
    let mut acc = [F::zero(); L];
    match w {
        None => {
            let chunks = col.chunks_exact(L);
            let rest = chunks.remainder();
            for c in chunks {
                for (a, &v) in acc.iter_mut().zip(c) {
                    *a += (v - shift) * scale;
                }
            }
            for (a, &v) in acc.iter_mut().zip(rest) {
                *a += (v - shift) * scale;
            }
        }
        Some(w) => {
            let chunks = col.chunks_exact(L).zip(w.chunks_exact(L));
            let n = col.len() / L * L;
            for (c, wc) in chunks {
                for ((a, &v), &wi) in acc.iter_mut().zip(c).zip(wc) {
                    *a += (v - shift) * (wi * scale);
                }
            }
            for ((a, &v), &wi) in acc.iter_mut().zip(&col[n..]).zip(&w[n..]) {
                *a += (v - shift) * (wi * scale);
            }
        }
    }
    super::linalg::pairwise_sum(acc)
}

/// A provisional centre for the Gram pass: the mean of the first
/// [`GRAM_CHUNK`] rows of positive weight, and for a column constant over
/// them its value exactly (so that a constant column is centred to exact
/// zeros). Any centre is exact once corrected by [`correct_means`]; this
/// one costs no pass over `x`.
pub(crate) fn first_rows_shift<F: Float>(
    x: ArrayView2<F>,
    weights: Option<ArrayView1<F>>,
) -> Array1<F> {
    let p = x.ncols();
    let rows: Vec<usize> = (0..x.nrows())
        .filter(|&i| weights.is_none_or(|w| w[i] != F::zero()))
        .take(GRAM_CHUNK)
        .collect();
    let mut shift = Array1::<F>::zeros(p);
    let Some(&first) = rows.first() else {
        return shift;
    };
    let inv = F::one() / F::from_usize_lossy(rows.len());
    let first = x.row(first).to_vec();
    let mut constant = vec![true; p];
    let sums = shift.as_slice_mut().expect("a new array is contiguous");
    // Zipped, not indexed: no bounds checks in the loop over a row.
    fn add<F: Float>(
        sums: &mut [F],
        constant: &mut [bool],
        first: &[F],
        row: impl Iterator<Item = F>,
        inv: F,
    ) {
        for (((s, c), v), &f) in sums.iter_mut().zip(constant).zip(row).zip(first) {
            *s += v * inv;
            *c &= v == f;
        }
    }
    for &i in &rows {
        let row = x.row(i);
        match row.as_slice() {
            Some(values) => add(sums, &mut constant, &first, values.iter().copied(), inv),
            None => add(sums, &mut constant, &first, row.iter().copied(), inv),
        }
    }
    for ((s, &c), &f) in sums.iter_mut().zip(&constant).zip(&first) {
        if c {
            *s = f;
        }
    }
    shift
}

/// Plain weighted column means `Σᵢ ωᵢ·xᵢⱼ/m` in one pass over the rows,
/// exact for constant columns (their first value). Their small rounding
/// error is corrected by [`correct_means`].
fn one_pass_column_means<F: Float>(x: ArrayView2<F>, weights: Option<ArrayView1<F>>) -> Array1<F> {
    let (m, p) = x.dim();
    let inv_m = F::one() / F::from_usize_lossy(m.max(1));
    let mut mean = Array1::<F>::zeros(p);
    if m == 0 {
        return mean;
    }
    // The first row that counts (rows of weight 0 take no part in the
    // constant-column test: a weight of 0 is leaving the row out).
    let first_row = (0..m)
        .find(|&i| weights.is_none_or(|w| w[i] != F::zero()))
        .unwrap_or(0);
    let first = x.row(first_row).to_owned();
    let first = first.as_slice().expect("contiguous");
    // Σᵢ|xᵢⱼ − x₀ⱼ|: 0 exactly for a constant column (NaN for a NaN one).
    let mut spread = vec![F::zero(); p];
    for (i, row) in x.rows().into_iter().enumerate() {
        let c = weights.map_or(F::one(), |w| w[i]) * inv_m;
        let acc = mean.as_slice_mut().expect("contiguous");
        let counts = c != F::zero();
        match row.as_slice() {
            Some(row) if counts => {
                for j in 0..p {
                    acc[j] += row[j] * c;
                    spread[j] += (row[j] - first[j]).abs();
                }
            }
            Some(row) => {
                // Weight 0: only NaN or infinity (0·v non-finite) shows.
                for j in 0..p {
                    acc[j] += row[j] * c;
                }
            }
            None => {
                for (j, &v) in row.iter().enumerate() {
                    acc[j] += v * c;
                    if counts {
                        spread[j] += (v - first[j]).abs();
                    }
                }
            }
        }
    }
    // A column constant over the rows that count takes its first value —
    // unless a row of weight 0 made the sum NaN (0·±inf, 0·NaN): that must
    // stay visible, for the caller's check of x (F27).
    for ((mu, &f), &d) in mean.iter_mut().zip(first).zip(&spread) {
        if d == F::zero() && !mu.is_nan() {
            *mu = f;
        }
    }
    mean
}

impl<F: Float> Problem<F> {
    /// The starting point of each target in the solvers' scaling: `w = W·s`
    /// (row `j` of `W` times `s_j`), one vector per target.
    pub fn to_kernel_scale(&self, weight: ArrayView2<F>) -> Vec<Array1<F>> {
        weight
            .axis_iter(Axis(1))
            .map(|col| &col * &self.x_scale)
            .collect()
    }

    /// Coefficients on the original scale, `W = w/s`, and the intercept
    /// `b = ȳ − x̄ᵀW` (zero without intercept, as `x̄ = ȳ = 0` then).
    pub fn to_original_scale(&self, w: &[Array1<F>]) -> (Array2<F>, Array1<F>) {
        let mut weight = Array2::zeros((self.n_features(), w.len()));
        let mut bias = Array1::zeros(w.len());
        self.to_original_scale_into(w, weight.view_mut(), bias.view_mut());
        (weight, bias)
    }

    /// [`to_original_scale`](Self::to_original_scale) written into
    /// `weight` (p × k) and `bias` (k): no allocation, for the hundreds of
    /// solutions of a path.
    pub fn to_original_scale_into<'a>(
        &self,
        w: impl IntoIterator<Item = &'a Array1<F>>,
        mut weight: ArrayViewMut2<F>,
        mut bias: ArrayViewMut1<F>,
    ) where
        F: 'a,
    {
        for ((mut col, wl), (b, &y_mean)) in weight
            .axis_iter_mut(Axis(1))
            .zip(w)
            .zip(bias.iter_mut().zip(&self.y_mean))
        {
            Zip::from(&mut col)
                .and(wl)
                .and(&self.x_scale)
                .for_each(|c, &v, &s| *c = v / s);
            *b = y_mean - self.x_mean.dot(&col);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Tall data, summed in blocks of rows, give `X̃ᵀX̃`, `X̃ᵀỹ` and the
    /// deviation sums of their definition (to rounding); with `rayon`, the
    /// same bits in pools of 1 and of 2 threads.
    #[test]
    fn blocked_gram_is_the_gram() {
        let (m, p) = (40_000, 7);
        assert!(gram_blocks(m, p, 8) > 1, "the test needs several blocks");
        let mut rng = StdRng::seed_from_u64(3);
        let x = Array2::from_shape_simple_fn((m, p), || rng.random_range(-1.0..1.0) + 5.0);
        let y = Array2::from_shape_simple_fn((m, 2), || rng.random_range(-1.0..1.0));
        let mean = x.mean_axis(Axis(0)).expect("rows") + 0.01;
        let scale = Array1::from_elem(p, 2.0);
        let run = || gram_and_xty(x.view(), y.view(), &mean, &scale, None);
        let (gram, xty, dev) = run();
        let b = (&x - &mean) / 2.0;
        let close = |a: f64, e: f64, size: f64| (a - e).abs() <= 1e-12 * size;
        let size = m as f64;
        for (a, e) in gram.iter().zip(b.t().dot(&b).iter()) {
            assert!(close(*a, *e, size), "gram {a} vs {e}");
        }
        for (a, e) in xty.iter().zip(b.t().dot(&y).iter()) {
            assert!(close(*a, *e, size), "xty {a} vs {e}");
        }
        for (a, e) in dev.iter().zip(b.sum_axis(Axis(0)).iter()) {
            assert!(close(*a, *e, size), "dev {a} vs {e}");
        }
        #[cfg(feature = "rayon")]
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            let (g, q, e) = pool.install(run);
            assert!(g == gram && q == xty && e == dev, "{threads} threads");
        }
    }

    /// The column-major design of a wide `x`, for every combination of
    /// weights and scaling and shapes around the copy's blocks of 32
    /// columns and 4 × 4 tiles: the same bits from a row-major `x` (the
    /// transposing copy) and from a strided view of it (the element-wise
    /// copy); the centred, scaled columns of its definition; and the
    /// `X̃ᵀỹ` formed during the copy equal to the bit to the coordinate
    /// updates' `dot` of each column with `ỹ` (what makes `alpha_max` give
    /// exact zeros), and to rounding to the correlations at a non-zero `w`
    /// with that `w`'s term added back.
    #[test]
    fn dense_design_is_the_centred_copy() {
        let mut rng = StdRng::seed_from_u64(5);
        for (m, p) in [(1, 1), (4, 32), (37, 33), (37, 203), (5, 70)] {
            let wide =
                Array2::from_shape_simple_fn((m, 2 * p), || rng.random_range(-1.0..1.0) + 3.0);
            let y = Array2::from_shape_simple_fn((m, 2), || rng.random_range(-1.0..1.0));
            let weights = Array1::from_shape_simple_fn(m, || rng.random_range(0.5..2.0));
            for weight in [None, Some(weights.view())] {
                for standardize in [false, true] {
                    check_dense_design(wide.view(), y.view(), weight, standardize);
                    let wide32 = wide.mapv(|v| v as f32);
                    let y32 = y.mapv(|v| v as f32);
                    let weights32 = weight.map(|w| w.mapv(|v| v as f32));
                    check_dense_design(
                        wide32.view(),
                        y32.view(),
                        weights32.as_ref().map(|w| w.view()),
                        standardize,
                    );
                }
            }
        }
    }

    /// The checks of [`dense_design_is_the_centred_copy`] on the even
    /// columns of `wide`.
    fn check_dense_design<F: Float>(
        wide: ArrayView2<F>,
        y: ArrayView2<F>,
        weight: Option<ArrayView1<F>>,
        standardize: bool,
    ) {
        let m = wide.nrows();
        let strided = wide.slice(s![.., ..;2]);
        let x = strided.to_owned();
        let p = x.ncols();
        assert!(x.is_standard_layout() && (m * p <= 1 || strided.as_slice().is_none()));
        let build = |x: ArrayView2<F>| Problem::new(x, y, weight, true, standardize, Layout::Dense);
        let (a, b) = (build(x.view()), build(strided));
        let (
            Design::Dense {
                x: xa,
                y: ya,
                xty: qa,
            },
            Design::Dense { x: xb, xty: qb, .. },
        ) = (&a.design, &b.design)
        else {
            panic!("the dense design was asked for");
        };
        assert!(xa == xb && qa == qb && a.col_norm2 == b.col_norm2 && a.x_mean == b.x_mean);
        assert!(p == 1 || (!xa.is_standard_layout() && xa.t().is_standard_layout()));
        let to64 = |v: F| Float::to_f64(v);
        let eps = to64(F::epsilon()) * 64.0;
        let root_omega = weight.map_or(Array1::from_elem(m, 1.0), |w| {
            let w = w.mapv(to64);
            (&w * (m as f64 / w.sum())).mapv(f64::sqrt)
        });
        for j in 0..p {
            for i in 0..m {
                let e = (to64(x[[i, j]]) - to64(a.x_mean[j])) / to64(a.x_scale[j]) * root_omega[i];
                assert!((to64(xa[[i, j]]) - e).abs() <= eps * 4.0, "x̃[{i},{j}]");
            }
        }
        for target in 0..2 {
            let ys = ya.column(target);
            let ys = ys.as_slice().expect("column-major");
            for j in 0..p {
                let col = xa.column(j);
                let direct = dot(col.as_slice().expect("column-major"), ys);
                assert_eq!(
                    to64(qa[[j, target]]).to_bits(),
                    to64(direct).to_bits(),
                    "X̃ᵀỹ[{j}]"
                );
            }
            let zero = Array1::zeros(p);
            assert_eq!(a.correlations(target, zero.view()).z, qa.column(target));
            // w = e₀: z + X̃ᵀx̃₀ is X̃ᵀỹ, to rounding.
            let mut e0 = Array1::zeros(p);
            e0[0] = F::one();
            let moved = a.correlations(target, e0.view()).z;
            let size = m as f64 * 16.0;
            for j in 0..p {
                let back = to64(moved[j]) + to64(xa.column(j).dot(&xa.column(0)));
                assert!((back - to64(qa[[j, target]])).abs() <= eps * size, "z[{j}]");
            }
        }
    }

    /// The AVX2 build of [`centre_column`] against the portable one, to the
    /// bit, for every length around the 8 partial sums and both element
    /// types, with and without weights, scaling and a given mean.
    #[test]
    fn centre_column_is_the_portable_one() {
        fn check<F: Float>(rng: &mut StdRng) {
            // f32 → f64 is exact: the same f64 bits are the same F bits.
            let bits = |v: F| Float::to_f64(v).to_bits();
            for len in 0..70 {
                let col: Vec<F> = (0..len)
                    .map(|_| F::cast(rng.random_range(-1.0..1.0) + 7.0))
                    .collect();
                let weights: Vec<F> = (0..len)
                    .map(|_| F::cast(rng.random_range(0.5..2.0)))
                    .collect();
                let root: Vec<F> = weights.iter().map(|v| v.sqrt()).collect();
                let inv_m = F::one() / F::from_usize_lossy(len.max(1));
                for (w, rw) in [(None, None), (Some(&weights[..]), Some(&root[..]))] {
                    for scale in [F::one(), F::cast(0.37)] {
                        for mean in [None, Some(F::cast(6.9))] {
                            let (mut a, mut b) = (col.clone(), col.clone());
                            let ma = centre_column(&mut a, w, rw, inv_m, mean, scale);
                            let mb = centre_column_portable(&mut b, w, rw, inv_m, mean, scale);
                            assert_eq!(bits(ma), bits(mb), "mean, len {len}");
                            assert!(a.iter().zip(&b).all(|(&u, &v)| bits(u) == bits(v)));
                        }
                    }
                }
            }
        }
        let mut rng = StdRng::seed_from_u64(8);
        check::<f64>(&mut rng);
        check::<f32>(&mut rng);
    }
}
