//! The Gram-form problems of every cross-validation training set, from one
//! pass over `x`.
//!
//! For fold `f` let `A_f = Σ_{i∈f} wᵢ(xᵢ − c)(xᵢ − c)ᵀ`,
//! `s_f = Σ_{i∈f} wᵢ(xᵢ − c)` and `W_f = Σ_{i∈f} wᵢ`, with a common shift
//! `c` (0 without intercept; else the mean of the first rows, kept when it
//! is within a standard deviation of the mean of all rows, which is then
//! used instead). The training set
//! without fold `f` has `A = Σ_{g≠f} A_g`, `s = Σ_{g≠f} s_g`,
//! `W = Σ_{g≠f} W_g`, mean `x̄ = c + s/W` and centred cross-products
//!
//! `Σ_{i∉f} wᵢ(xᵢ − x̄)(xᵢ − x̄)ᵀ = A − s·sᵀ/W`,
//!
//! exact in exact arithmetic; with `c` close to every training mean, `s/W`
//! is small and the correction loses nothing. The same holds for `x`
//! against `y` and for `y` against itself. So the K training Gram matrices
//! cost one pass over `x` and the flops of one Gram matrix, instead of K
//! row copies and K Gram passes. The sums of each fold alone score it
//! ([`HeldOutSums`]): the held-out error of any coefficients without
//! reading the fold's rows again.
//!
//! Used when every training set gets the Gram design (`m_train ≥ p`,
//! `p ≤ 1024`) and every column's `max|x|` is 0 or in `[1e-60, 1e60]`
//! (squares can neither under- nor overflow); otherwise cross-validation
//! builds each training set's problem from a copy of its rows. Columns
//! constant on a training set are detected exactly and get exact zeros, as
//! in [`Problem::new`]; with `standardize`, a column counts as constant when
//! its standard deviation is at most `1e-10·max|x|` over *all* rows (over
//! the training rows in [`Problem::new`]).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip, s};

use super::gram_kernel::{PANEL, add_upper_gram_fast};
use super::problem::{
    Design, GRAM_MAX_FEATURES, Problem, add_upper_gram, add_xty, column_blocks, first_rows_shift,
    mirror_upper, normalised_weights, row_blocks,
};
use crate::Float;
use crate::scale::column_means;

/// The most rows per fold gathered before one Gram update.
const CHUNK: usize = 128;

/// The least work worth a job of its own in [`training_problems`]. A
/// thread woken for a smaller job can come after the caller has done the
/// rest and keep it waiting: the 442 rows of the diabetes data took longer
/// in four parallel blocks than in one.
#[derive(Clone, Copy)]
pub(crate) struct Grain {
    /// The fewest products `xᵢⱼ·xᵢₗ` a block of rows of the pass is given.
    block: usize,
    /// The fewest values the sums after the pass (the fold totals, the
    /// training problems, the held-out sums) must add up to in all to be
    /// computed in parallel (read only with `rayon`).
    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    totals: usize,
}

/// About 0.1 ms of work: per block of rows, and for the sums after the
/// pass in all (tests pass a finer grain to reach the parallel code on
/// small data).
pub(crate) const GRAIN: Grain = Grain {
    block: 1 << 21,
    totals: 1 << 20,
};

/// The sums of one fold over one block of rows, around the common shift.
struct FoldSums<F> {
    /// The sums of the rows so far (`gram`'s upper triangle only).
    sums: Totals<F>,
    /// The fold's first row, and `Σᵢ|xᵢⱼ − firstⱼ|` (0 exactly when column
    /// `j` is constant on the fold).
    first: Option<Array1<F>>,
    spread: Array1<F>,
    /// `maxᵢ|xᵢⱼ|` over the fold's rows of positive weight.
    max_abs: Array1<F>,
    /// `√wᵢ(xᵢ − c)` and `√wᵢ(yᵢ − c_y)` of rows not yet in `gram`.
    bx: Array2<F>,
    by: Array2<F>,
    filled: usize,
    /// The column blocks of [`add_upper_gram`].
    blocks: Vec<(usize, usize)>,
}

impl<F: Float> FoldSums<F> {
    /// No rows yet, with room to buffer `rows` rows (at most [`CHUNK`]).
    fn new(p: usize, k: usize, rows: usize) -> Self {
        let rows = rows.clamp(1, CHUNK);
        Self {
            sums: Totals::zeros(p, k),
            first: None,
            spread: Array1::zeros(p),
            max_abs: Array1::zeros(p),
            // Rows padded with zeros for the AVX-512 kernel.
            bx: Array2::zeros((rows, p.div_ceil(PANEL) * PANEL)),
            by: Array2::zeros((rows, k)),
            filled: 0,
            blocks: column_blocks(p),
        }
    }

    /// Adds row `(x, y)` with weight `w` to the buffer (the caller flushes
    /// it when it is full).
    #[inline(always)]
    fn push(&mut self, x: ArrayView1<F>, y: ArrayView1<F>, w: F, cx: &Array1<F>, cy: &Array1<F>) {
        self.sums.weight += w;
        self.sums.rows += 1;
        let root = w.sqrt();
        let row = self.filled;
        push_row(
            x,
            cx,
            w,
            root,
            self.bx.row_mut(row).into_slice().expect("standard layout"),
            self.sums.sx.as_slice_mut().expect("contiguous"),
        );
        push_row(
            y,
            cy,
            w,
            root,
            self.by.row_mut(row).into_slice().expect("standard layout"),
            self.sums.sy.as_slice_mut().expect("contiguous"),
        );
        if w == F::zero() {
            // Rows of weight 0 take no part in the constant-column test.
            self.filled += 1;
            return;
        }
        let first = self.first.get_or_insert_with(|| x.to_owned());
        let spread = self.spread.as_slice_mut().expect("contiguous");
        let max_abs = self.max_abs.as_slice_mut().expect("contiguous");
        match x.as_slice() {
            Some(xs) => {
                let first = first.as_slice().expect("contiguous");
                for (((s, a), &v), &f) in spread.iter_mut().zip(max_abs).zip(xs).zip(first) {
                    *s += (v - f).abs();
                    // Not `max`: its NaN rule keeps this from vectorizing
                    // (a NaN shows in the sums).
                    if v.abs() > *a {
                        *a = v.abs();
                    }
                }
            }
            None => {
                for (j, &v) in x.iter().enumerate() {
                    spread[j] += (v - first[j]).abs();
                    if v.abs() > max_abs[j] {
                        max_abs[j] = v.abs();
                    }
                }
            }
        }
        self.filled += 1;
    }

    /// Adds the buffered rows to the cross-products; `next`, the rows of
    /// `x` read next (possibly none), is prefetched meanwhile.
    fn flush(&mut self, next: &[F]) {
        let n = self.filled;
        if n == 0 {
            return;
        }
        let t = &mut self.sums;
        let p = t.gram.nrows();
        if !add_upper_gram_fast(&self.bx, n, p, &mut t.gram, next) {
            add_upper_gram(self.bx.slice(s![..n, ..p]), &mut t.gram, &self.blocks);
        }
        let b = self.bx.slice(s![..n, ..p]);
        let c = self.by.slice(s![..n, ..]);
        add_xty(b, c, &mut t.xty);
        for (acc, col) in t.yty.iter_mut().zip(c.axis_iter(Axis(1))) {
            *acc += col.dot(&col);
        }
        self.filled = 0;
    }
}

/// The inputs of the fold-sum pass over the rows.
struct RowPass<'a, F> {
    x: ArrayView2<'a, F>,
    y: ArrayView2<'a, F>,
    sample_weight: Option<ArrayView1<'a, F>>,
    fold_of: &'a [usize],
    n_folds: usize,
}

impl<F: Float> RowPass<'_, F> {
    /// The fold sums of each block of rows, around the shifts `cx`, `cy`:
    /// in parallel with `rayon`, in order either way.
    fn sum_blocks(
        &self,
        bounds: &[(usize, usize)],
        cx: &Array1<F>,
        cy: &Array1<F>,
    ) -> Vec<Vec<FoldSums<F>>> {
        let one = |&(start, end): &(usize, usize)| {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU running this has AVX2 (just detected).
                return unsafe { self.sum_rows_avx2(start, end, cx, cy) };
            }
            self.sum_rows(start, end, cx, cy)
        };
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            // One block per job (see "Parallel work" in `solver`).
            bounds.par_iter().with_max_len(1).map(one).collect()
        }
        #[cfg(not(feature = "rayon"))]
        bounds.iter().map(one).collect()
    }

    /// [`sum_rows`](Self::sum_rows) compiled for AVX2 (no fused
    /// multiply-add: the same sums to the bit).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn sum_rows_avx2(
        &self,
        start: usize,
        end: usize,
        cx: &Array1<F>,
        cy: &Array1<F>,
    ) -> Vec<FoldSums<F>> {
        self.sum_rows(start, end, cx, cy)
    }

    /// The fold sums of rows `start..end`.
    #[inline(always)]
    fn sum_rows(
        &self,
        start: usize,
        end: usize,
        cx: &Array1<F>,
        cy: &Array1<F>,
    ) -> Vec<FoldSums<F>> {
        let (p, k) = (self.x.ncols(), self.y.ncols());
        // Buffers no larger than each fold's rows in the block: zeroing a
        // full chunk per fold cost half the pass of a small problem.
        let mut rows_in = vec![0usize; self.n_folds];
        for &f in &self.fold_of[start..end] {
            rows_in[f] += 1;
        }
        let mut sums: Vec<FoldSums<F>> = rows_in
            .into_iter()
            .map(|rows| FoldSums::new(p, k, rows))
            .collect();
        for i in start..end {
            let w = self.sample_weight.map_or(F::one(), |w| w[i]);
            let fold = &mut sums[self.fold_of[i]];
            fold.push(self.x.row(i), self.y.row(i), w, cx, cy);
            if fold.filled == fold.bx.nrows() {
                // About the rows read until the next fold fills, fetched
                // while this one's are multiplied.
                let until = (i + 1 + CHUNK * self.n_folds).min(end);
                let next = self.x.slice(s![i + 1..until, ..]);
                fold.flush(next.as_slice().unwrap_or(&[]));
            }
        }
        for fs in &mut sums {
            fs.flush(&[]);
            // The row buffers are done with: freed here, on the thread that
            // made them, their memory can serve its next block (fresh
            // memory costs page faults, which on a virtual machine made up
            // a good part of a two-thread run).
            fs.bx = Array2::zeros((0, 0));
            fs.by = Array2::zeros((0, 0));
        }
        sums
    }
}

/// `buf = √w·(v − c)` and `sum += w·(v − c)`.
#[inline(always)]
fn push_row<F: Float>(
    v: ArrayView1<F>,
    c: &Array1<F>,
    w: F,
    root: F,
    buf: &mut [F],
    sum: &mut [F],
) {
    let c = c.as_slice().expect("contiguous");
    match v.as_slice() {
        Some(vs) => {
            // Zipped slices, not indices: no bounds checks, so it
            // vectorizes (a fifth of the diabetes pass went to them).
            for (((&e, &c), s), b) in vs.iter().zip(c).zip(sum.iter_mut()).zip(buf.iter_mut()) {
                let d = e - c;
                *s += w * d;
                *b = root * d;
            }
        }
        None => {
            for (j, &e) in v.iter().enumerate() {
                let d = e - c[j];
                sum[j] += w * d;
                buf[j] = root * d;
            }
        }
    }
}

/// What cross-validation needs from the fold sums.
pub(crate) struct FoldProblems<F> {
    /// The problem of the training set without fold `f`, for each `f`.
    pub trained: Vec<Problem<F>>,
    /// The problem of all rows.
    pub full: Problem<F>,
    /// The held-out sums of each fold, to score coefficients without
    /// reading the fold's rows again.
    pub held_out: Vec<HeldOutSums<F>>,
}

/// The problems of cross-validation (`fold_of[i]` is the fold of row `i`,
/// folds `0..n_folds`), or `Ok(None)` when the fold-sum route does not
/// apply (see the module docs) — `x` has then not necessarily been looked
/// at. Weights, if any, must be validated, with a positive total outside
/// every fold. `grain` is the least work given a job of its own
/// ([`GRAIN`]).
///
/// # Errors
///
/// [`Error::NonFinite`](crate::Error::NonFinite) if a value of `x` is NaN
/// or infinite (the fold sums are then not finite: no pass of its own).
#[allow(clippy::too_many_arguments)]
pub(crate) fn training_problems<F: Float>(
    x: ArrayView2<F>,
    y: ArrayView2<F>,
    sample_weight: Option<ArrayView1<F>>,
    fold_of: &[usize],
    n_folds: usize,
    fit_intercept: bool,
    standardize: bool,
    grain: Grain,
) -> crate::Result<Option<FoldProblems<F>>> {
    let (m, p) = x.dim();
    let k = y.ncols();
    // Only the weights' ratios matter: divided by the largest, huge or
    // subnormal weights can neither overflow nor lose precision in the sums.
    let scaled = sample_weight.map(|w| {
        let big = w.iter().fold(F::zero(), |a, &v| a.max(v));
        w.mapv(|v| v / big)
    });
    let sample_weight = scaled.as_ref().map(|w| w.view());
    let mut rows_in = vec![0usize; n_folds];
    for &f in fold_of {
        rows_in[f] += 1;
    }
    if p > GRAM_MAX_FEATURES || rows_in.iter().any(|&n| m - n < p) {
        return Ok(None);
    }
    // Rows in a fixed number of contiguous blocks (independent of the
    // number of threads, so that results are too), each summed on its own
    // — in parallel with `rayon` — then added up in order. At most 8
    // blocks, fewer when their sums would take over 64 MB, and one per
    // `grain.block` products at least.
    let per_block = n_folds
        .saturating_mul((p * p + p * k) * std::mem::size_of::<F>())
        .max(1);
    let n_blocks = ((64 << 20) / per_block)
        .min(m.saturating_mul(p * p) / grain.block.max(1))
        .clamp(1, 8)
        .min(m.div_ceil(CHUNK).max(1));
    let bounds = row_blocks(m, n_blocks);
    let ordinary = |a: &F| *a == F::zero() || (*a >= F::cast(1e-60) && *a <= F::cast(1e60));
    if !y.iter().all(|v| ordinary(&v.abs())) {
        return Ok(None);
    }
    // Any shift is exact in exact arithmetic. The first rows' mean costs no
    // pass; it is checked against the sums below.
    let (cx, cy) = if fit_intercept {
        // y's shift is its exact weighted mean (y is small): rows of weight
        // 0 take no part, however far off their values.
        let omega = sample_weight.map(normalised_weights);
        (
            first_rows_shift(x, sample_weight),
            column_means(y, omega.as_ref().map(|o| o.view())),
        )
    } else {
        (Array1::zeros(p), Array1::zeros(k))
    };
    let pass = RowPass {
        x,
        y,
        sample_weight,
        fold_of,
        n_folds,
    };
    let mut blocks = pass.sum_blocks(&bounds, &cx, &cy);
    let total = |blocks: &[Vec<FoldSums<F>>]| {
        let (mut sx, mut diag, mut weight) =
            (Array1::<F>::zeros(p), Array1::<F>::zeros(p), F::zero());
        let mut max_abs = Array1::<F>::zeros(p);
        for fs in blocks.iter().flatten() {
            sx += &fs.sums.sx;
            diag += &fs.sums.gram.diag();
            weight += fs.sums.weight;
            Zip::from(&mut max_abs)
                .and(&fs.max_abs)
                .for_each(|a, &b| *a = a.max(b));
        }
        (sx, diag, weight, max_abs)
    };
    let (sx, diag, weight, max_abs) = total(&blocks);
    if !sx.iter().chain(&diag).all(|v| v.is_finite()) {
        // Finite sums of finite terms: some value of x is not finite —
        // or its squares overflow, and the rows route handles it.
        crate::check::finite("x", x)?;
        return Ok(None);
    }
    if !max_abs.iter().all(ordinary) {
        return Ok(None);
    }
    // Re-centring subtracts `sⱼ²/W` from `Aⱼⱼ`: nothing is lost while the
    // shift is within a standard deviation of the mean (`2sⱼ² ≤ W·Aⱼⱼ`),
    // as it is for rows in no particular order. Otherwise (sorted rows,
    // say) the pass is redone around the weighted mean these sums give,
    // `c + s/W` (rows of weight 0 take no part).
    let far = sx
        .iter()
        .zip(&diag)
        .any(|(&s, &a)| s * s + s * s > weight * a);
    let cx = if fit_intercept && far {
        let mean = &cx + &(&sx / weight);
        blocks = pass.sum_blocks(&bounds, &mean, &cy);
        let (sx, diag, _, _) = total(&blocks);
        if !sx.iter().chain(&diag).all(|v| v.is_finite()) {
            return Ok(None);
        }
        mean
    } else {
        cx
    };
    let sums: Vec<(usize, FoldSums<F>)> = blocks
        .into_iter()
        .flat_map(|b| b.into_iter().enumerate())
        .collect();
    // Each fold's sums over the blocks, then each training set's from
    // those: a training set adds up K − 1 fold totals, not (K − 1)·blocks
    // block sums.
    let fold_total = |f: usize| Totals::of_fold(&sums, f, p, k);
    #[cfg(feature = "rayon")]
    // Per fold: its total over the blocks, its training set's sum of the
    // other folds' totals, its held-out sums; and all rows' problem.
    let parallel = n_folds
        .saturating_mul(n_blocks + n_folds + 2)
        .saturating_mul(p * p)
        >= grain.totals;
    #[cfg(feature = "rayon")]
    let fold_totals: Vec<Totals<F>> = if parallel {
        use rayon::prelude::*;
        (0..n_folds).into_par_iter().map(fold_total).collect()
    } else {
        (0..n_folds).map(fold_total).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let fold_totals: Vec<Totals<F>> = (0..n_folds).map(fold_total).collect();
    let weighted = sample_weight.is_some();
    let problem = |excluded: usize| {
        training_problem(
            &sums,
            &fold_totals,
            excluded,
            (&cx, &cy),
            &max_abs,
            fit_intercept,
            standardize,
            weighted,
        )
    };
    let held_out = |f: usize| HeldOutSums::new(&fold_totals[f], &cx, &cy);
    // Excluding fold `n_folds`, which does not exist: all rows.
    #[cfg(feature = "rayon")]
    let (trained, (full, held_out)) = if parallel {
        use rayon::prelude::*;
        rayon::join(
            || (0..n_folds).into_par_iter().map(problem).collect(),
            || {
                rayon::join(
                    || problem(n_folds),
                    || (0..n_folds).into_par_iter().map(held_out).collect(),
                )
            },
        )
    } else {
        (
            (0..n_folds).map(problem).collect(),
            (problem(n_folds), (0..n_folds).map(held_out).collect()),
        )
    };
    #[cfg(not(feature = "rayon"))]
    let (trained, full, held_out) = (
        (0..n_folds).map(problem).collect(),
        problem(n_folds),
        (0..n_folds).map(held_out).collect(),
    );
    Ok(Some(FoldProblems {
        trained,
        full,
        held_out,
    }))
}

/// One fold's sums around the common shift `c`: enough to give the
/// (weighted) mean squared error on the fold of any coefficients `W`
/// (p × k) and intercepts `b` without its rows.
///
/// With the fold's means `x̄_f = c + s/V`, `ȳ_f = c_y + s_y/V` (`V = Σwᵢ`)
/// and its centred cross-products `A_c = A − s·sᵀ/V`, `S_c`, `Y_c`, the
/// residuals `eᵢ = yᵢ − b − Wᵀxᵢ` have, per target `l`,
///
/// `Σᵢ wᵢeᵢₗ² = Y_cₗ − 2·W_lᵀS_cₗ + W_lᵀA_cW_l + V·(ȳ_fₗ − x̄_fᵀW_l − b_l)²`,
///
/// an expansion that cancels when the fit is close: [`mse`](Self::mse)
/// bounds its rounding error and declines when the bound is not small.
pub(crate) struct HeldOutSums<F> {
    /// `A_c`, p × p.
    gram: Array2<F>,
    /// `S_c`, p × k.
    xty: Array2<F>,
    /// `Y_c`, k.
    yty: Array1<F>,
    /// `x̄_f`, `ȳ_f`.
    x_mean: Array1<F>,
    y_mean: Array1<F>,
    /// `x̄_f − c` and `ȳ_f − c_y`: how far the sums were from centred
    /// (their rounding error is relative to the uncentred magnitudes).
    shift_x: Array1<F>,
    shift_y: Array1<F>,
    /// `V`.
    weight: F,
    /// The relative error of the summed entries: `(CHUNK + n/CHUNK + 8)·ε`
    /// for `n` rows summed in chunks.
    unit: F,
}

impl<F: Float> HeldOutSums<F> {
    /// The held-out sums of the fold whose sums are `fold` (the upper
    /// triangle of its `gram`).
    fn new(fold: &Totals<F>, cx: &Array1<F>, cy: &Array1<F>) -> Self {
        let mut t = fold.clone();
        mirror_upper(&mut t.gram);
        let (dx, dy) = t.recentre();
        let Totals {
            gram,
            xty,
            yty,
            weight,
            rows,
            ..
        } = t;
        let unit = F::from_usize_lossy(CHUNK + rows / CHUNK + 8) * F::epsilon();
        Self {
            gram,
            xty,
            yty,
            x_mean: cx + &dx,
            y_mean: cy + &dy,
            shift_x: dx,
            shift_y: dy,
            weight,
            unit,
        }
    }

    /// `Σᵢ wᵢ‖yᵢ − b − Wᵀxᵢ‖²/(V·k)` on the fold, or `None` when the
    /// expansion's rounding error bound exceeds `1e-8` of the result (a
    /// near-perfect fit) or the result is not finite: the caller then
    /// computes it from the rows.
    pub(crate) fn mse(&self, w: ArrayView2<F>, b: ArrayView1<F>) -> Option<F> {
        let (p, k) = w.dim();
        let mut total = F::zero();
        let mut bound = F::zero();
        // The non-zero coefficients with their indices, and the rows of
        // `A_c` as slices: this runs for every alpha of every fold.
        let mut support: Vec<(usize, F)> = Vec::with_capacity(p);
        for l in 0..k {
            let wl = w.column(l);
            support.clear();
            support.extend(
                wl.iter()
                    .copied()
                    .enumerate()
                    .filter(|&(_, v)| v != F::zero()),
            );
            let (mut quad, mut quad_abs, mut lin, mut lin_abs, mut mean) =
                (F::zero(), F::zero(), F::zero(), F::zero(), F::zero());
            let mut off_centre = self.shift_y[l].abs();
            for &(a, wa) in &support {
                let row = self.gram.row(a);
                let row = row.as_slice().expect("an owned matrix has contiguous rows");
                let (mut inner, mut inner_abs) = (F::zero(), F::zero());
                for &(c, wc) in &support {
                    inner += row[c] * wc;
                    inner_abs += (row[c] * wc).abs();
                }
                quad += wa * inner;
                quad_abs += wa.abs() * inner_abs;
                lin += wa * self.xty[[a, l]];
                lin_abs += (wa * self.xty[[a, l]]).abs();
                mean += self.x_mean[a] * wa;
                off_centre += (self.shift_x[a] * wa).abs();
            }
            let offset = self.y_mean[l] - mean - b[l];
            let centred = self.yty[l] - (lin + lin) + quad;
            total += centred.max(F::zero()) + self.weight * offset * offset;
            // Each centred sum came from an uncentred one, larger by the
            // rank-one term `V·d·dᵀ` of the shift's offset `d`: their
            // rounding errors, carried through the expansion, are at most
            // `unit` times these magnitudes.
            let uncentred = self.weight * off_centre * off_centre;
            bound +=
                F::cast(4.0) * self.unit * (self.yty[l] + lin_abs + lin_abs + quad_abs + uncentred);
        }
        let mse = total / (self.weight * F::from_usize_lossy(k));
        let bound = bound / (self.weight * F::from_usize_lossy(k));
        (mse.is_finite() && bound <= F::cast(1e-8) * mse).then_some(mse)
    }
}

/// The sums of some rows (a fold's in a block, a fold's, a training
/// set's), around the common shift.
#[derive(Clone)]
struct Totals<F> {
    /// `Σ wᵢ(xᵢ − c)(xᵢ − c)ᵀ`.
    gram: Array2<F>,
    /// `Σ wᵢ(xᵢ − c)(yᵢ − c_y)ᵀ`.
    xty: Array2<F>,
    /// `Σ wᵢ(yᵢₗ − c_yₗ)²`.
    yty: Array1<F>,
    /// `Σ wᵢ(xᵢ − c)`.
    sx: Array1<F>,
    /// `Σ wᵢ(yᵢ − c_y)`.
    sy: Array1<F>,
    /// `Σ wᵢ`.
    weight: F,
    /// The number of rows.
    rows: usize,
}

impl<F: Float> Totals<F> {
    /// No rows yet: every sum 0.
    fn zeros(p: usize, k: usize) -> Self {
        Self {
            gram: Array2::zeros((p, p)),
            xty: Array2::zeros((p, k)),
            yty: Array1::zeros(k),
            sx: Array1::zeros(p),
            sy: Array1::zeros(k),
            weight: F::zero(),
            rows: 0,
        }
    }

    /// `self += other`.
    fn add(&mut self, other: &Self) {
        self.gram += &other.gram;
        self.xty += &other.xty;
        self.yty += &other.yty;
        self.sx += &other.sx;
        self.sy += &other.sy;
        self.weight += other.weight;
        self.rows += other.rows;
    }

    /// The sums of fold `f` over every block, in block order (`gram` upper
    /// triangle only).
    fn of_fold(sums: &[(usize, FoldSums<F>)], f: usize, p: usize, k: usize) -> Self {
        let mut t = Self::zeros(p, k);
        for (_, s) in sums.iter().filter(|&&(g, _)| g == f) {
            t.add(&s.sums);
        }
        t
    }

    /// The sums of the folds other than `excluded` (all of them if it is
    /// none), in fold order, `gram` mirrored.
    fn without(folds: &[Self], excluded: usize, p: usize, k: usize) -> Self {
        let mut t = Self::zeros(p, k);
        for (_, s) in folds.iter().enumerate().filter(|&(g, _)| g != excluded) {
            t.add(s);
        }
        mirror_upper(&mut t.gram);
        t
    }

    /// Re-centres the cross-products on these rows' own means,
    /// `A − s·sᵀ/W`, `S − s·s_yᵀ/W`, `Y − s_y²/W` (at least 0), and returns
    /// the offsets of those means from the shift, `(s/W, s_y/W)`.
    fn recentre(&mut self) -> (Array1<F>, Array1<F>) {
        let dx = &self.sx / self.weight;
        let dy = &self.sy / self.weight;
        for (mut row, &si) in self.gram.rows_mut().into_iter().zip(&self.sx) {
            row.scaled_add(-si, &dx);
        }
        for (mut row, &si) in self.xty.rows_mut().into_iter().zip(&self.sx) {
            row.scaled_add(-si, &dy);
        }
        Zip::from(&mut self.yty)
            .and(&self.sy)
            .and(&dy)
            .for_each(|v, &s, &d| *v = (*v - s * d).max(F::zero()));
        (dx, dy)
    }
}

/// The problem of the training set without fold `f`, from the block sums
/// `sums` and the fold totals `folds`.
#[allow(clippy::too_many_arguments)]
fn training_problem<F: Float>(
    sums: &[(usize, FoldSums<F>)],
    folds: &[Totals<F>],
    f: usize,
    (cx, cy): (&Array1<F>, &Array1<F>),
    max_abs: &Array1<F>,
    fit_intercept: bool,
    standardize: bool,
    weighted: bool,
) -> Problem<F> {
    let (p, k) = (cx.len(), cy.len());
    let train = || sums.iter().filter(move |&&(g, _)| g != f).map(|(_, s)| s);
    let mut t = Totals::without(folds, f, p, k);
    let (mut x_mean, y_mean) = if fit_intercept {
        // Re-centre on the training means: A − s·sᵀ/W and friends.
        let (cxw, cyw) = t.recentre();
        (cx + &cxw, cy + &cyw)
    } else {
        (Array1::zeros(p), Array1::zeros(k))
    };
    let Totals {
        mut gram,
        mut xty,
        mut yty,
        weight,
        rows,
        ..
    } = t;
    // Columns constant on the training rows: exact zeros and their value
    // as the mean, as `Problem::new` gives them.
    for j in (0..p).filter(|_| fit_intercept) {
        let mut value = None;
        let constant = train().filter(|s| s.first.is_some()).all(|s| {
            let f0 = s.first.as_ref().map_or(F::zero(), |r| r[j]);
            let same = s.spread[j] == F::zero() && value.is_none_or(|v| v == f0);
            value.get_or_insert(f0);
            same
        });
        if constant {
            gram.row_mut(j).fill(F::zero());
            gram.column_mut(j).fill(F::zero());
            xty.row_mut(j).fill(F::zero());
            x_mean[j] = value.unwrap_or(F::zero());
        }
    }
    // ω = m·w/W: the kernel's weights sum to the number of rows.
    let m = F::from_usize_lossy(rows);
    if weighted {
        let to_omega = m / weight;
        gram *= to_omega;
        xty *= to_omega;
        yty *= to_omega;
    }
    let mut x_scale = Array1::<F>::ones(p);
    if standardize {
        for j in 0..p {
            let sd = (gram[[j, j]] / m).sqrt();
            if sd > F::cast(1e-10) * max_abs[j] && sd > F::zero() {
                x_scale[j] = sd;
            }
        }
        let inv = x_scale.mapv(|s| F::one() / s);
        for ((i, j), g) in gram.indexed_iter_mut() {
            *g = *g * inv[i] * inv[j];
        }
        for (mut row, &is) in xty.rows_mut().into_iter().zip(&inv) {
            row *= is;
        }
    }
    for i in 0..p {
        for j in 0..i {
            let v = (gram[[i, j]] + gram[[j, i]]) * F::cast(0.5);
            gram[[i, j]] = v;
            gram[[j, i]] = v;
        }
    }
    let col_norm2 = gram.diag().to_owned();
    Problem {
        design: Design::Gram { gram, xty },
        x_mean,
        x_scale,
        y_mean,
        yty,
        col_norm2,
        n_samples: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::make_regression;
    use crate::solver::problem::Layout;

    fn close(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-10 * scale.max(1.0)
    }

    /// The problems and held-out sums are the same to the bit whether the
    /// sums after the pass run in parallel or not, on any number of
    /// threads: a fold's total adds the blocks in order, a training set
    /// the fold totals in order.
    #[test]
    fn fold_sums_do_not_depend_on_the_threads() {
        let d = make_regression(600, 5, 3, 0.5, 11);
        let fold_of: Vec<usize> = (0..600).map(|i| (i * 7) % 4).collect();
        let weights = ndarray::Array1::from_shape_fn(600, |i| 0.5 + (i % 3) as f64);
        let bits = |totals: usize| -> Vec<u64> {
            let grain = Grain { block: 1, totals };
            let sw = Some(weights.view());
            let FoldProblems {
                trained,
                full,
                held_out,
            } = training_problems(d.x.view(), d.y.view(), sw, &fold_of, 4, true, true, grain)
                .expect("finite")
                .expect("applies");
            let mut out = Vec::new();
            for problem in trained.iter().chain([&full]) {
                let Design::Gram { gram, xty } = &problem.design else {
                    panic!("Gram designs expected");
                };
                out.extend(gram.iter().chain(xty).chain(&problem.x_mean));
                out.extend(problem.x_scale.iter().chain(&problem.y_mean));
                out.extend(problem.yty.iter().chain(&problem.col_norm2));
            }
            for sums in &held_out {
                out.extend(sums.gram.iter().chain(&sums.xty).chain(&sums.yty));
                out.extend(sums.x_mean.iter().chain(&sums.y_mean));
                out.extend(sums.shift_x.iter().chain(&sums.shift_y));
                out.extend([sums.weight, sums.unit]);
            }
            out.into_iter().map(f64::to_bits).collect()
        };
        let serial = bits(usize::MAX);
        #[cfg(feature = "rayon")]
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            assert!(pool.install(|| bits(0)) == serial, "{threads} threads");
        }
        #[cfg(not(feature = "rayon"))]
        assert!(bits(0) == serial);
    }

    /// Each training set's problem equals the one built from a copy of its
    /// rows: same Gram matrix, correlations, norms, means and scales (600
    /// rows: one block of fold sums at the default grain, five at a fine
    /// one).
    #[test]
    fn fold_sums_equal_problems_built_from_the_rows() {
        let mut d = make_regression(600, 5, 3, 0.5, 7);
        d.x.column_mut(2).fill(3.25); // constant everywhere
        d.x.column_mut(4).mapv_inplace(|v| v * 1e3 + 50.0);
        let fold_of: Vec<usize> = (0..600).map(|i| (i * 7) % 4).collect();
        let weights = ndarray::Array1::from_shape_fn(600, |i| ((i % 5) as f64) * 0.5);
        // One block of rows, serial sums after it; five blocks (600 rows
        // in chunks of 128), in parallel with `rayon`.
        let fine = Grain {
            block: 1,
            totals: 0,
        };
        for (grain, (weighted, fit_intercept, standardize)) in
            [GRAIN, fine].into_iter().flat_map(|g| {
                [
                    (false, true, false),
                    (false, true, true),
                    (true, true, true),
                    (true, false, false),
                    (false, false, true),
                ]
                .map(|case| (g, case))
            })
        {
            let sw = weighted.then(|| weights.view());
            let FoldProblems {
                trained: mut problems,
                full: all,
                held_out,
            } = training_problems(
                d.x.view(),
                d.y.view(),
                sw,
                &fold_of,
                4,
                fit_intercept,
                standardize,
                grain,
            )
            .expect("finite")
            .expect("applies");
            // Each fold's held-out sums give the (weighted) MSE of any
            // coefficients as the rows do.
            let w = ndarray::array![[0.5], [-1.25], [2.0], [0.0], [0.003]];
            let b = ndarray::array![0.75];
            for (f, sums) in held_out.iter().enumerate() {
                let test: Vec<usize> = (0..600).filter(|&i| fold_of[i] == f).collect();
                let x = d.x.select(Axis(0), &test);
                let e = &d.y.select(Axis(0), &test) - &(x.dot(&w) + &b);
                let ws: Vec<f64> = test.iter().map(|&i| sw.map_or(1.0, |w| w[i])).collect();
                let num: f64 = e.iter().zip(&ws).map(|(e, w)| w * e * e).sum();
                let want = num / ws.iter().sum::<f64>();
                let got = sums.mse(w.view(), b.view()).expect("accurate");
                assert!(
                    (got - want).abs() <= 1e-10 * want,
                    "fold {f}: {got} vs {want}"
                );
            }
            // The last one: all rows (fold 4 does not exist).
            problems.push(all);
            for (f, got) in problems.iter().enumerate() {
                let train: Vec<usize> = (0..600).filter(|&i| fold_of[i] != f).collect();
                let x = d.x.select(Axis(0), &train);
                let y = d.y.select(Axis(0), &train);
                let w = sw.map(|w| w.select(Axis(0), &train));
                let want = Problem::new(
                    x.view(),
                    y.view(),
                    w.as_ref().map(|w| w.view()),
                    fit_intercept,
                    standardize,
                    Layout::Auto,
                );
                let case = format!("fold {f}, {weighted} {fit_intercept} {standardize}");
                let (Design::Gram { gram: g1, xty: q1 }, Design::Gram { gram: g2, xty: q2 }) =
                    (&got.design, &want.design)
                else {
                    panic!("Gram designs expected");
                };
                let scale = g2.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                for (a, b) in g1.iter().zip(g2) {
                    assert!(close(*a, *b, scale), "{case}: gram {a} vs {b}");
                }
                for (a, b) in q1.iter().zip(q2) {
                    assert!(close(*a, *b, scale), "{case}: xty {a} vs {b}");
                }
                assert!(close(got.yty[0], want.yty[0], want.yty[0]), "{case}: yty");
                for j in 0..5 {
                    assert!(
                        close(got.x_mean[j], want.x_mean[j], 1e3),
                        "{case}: mean {j}"
                    );
                    assert!(
                        close(got.x_scale[j], want.x_scale[j], 1e3),
                        "{case}: scale {j}"
                    );
                }
                // The constant column: exact zeros with an intercept.
                if fit_intercept {
                    assert_eq!(g1.row(2).iter().filter(|&&v| v != 0.0).count(), 0, "{case}");
                    assert_eq!(got.x_mean[2], 3.25, "{case}");
                }
                assert_eq!(got.n_samples, want.n_samples);
            }
        }
    }

    /// A near-perfect fit: the expansion would cancel to noise, so the sums
    /// decline and the caller scores from the rows; a poor fit of the same
    /// data is scored.
    #[test]
    fn held_out_sums_decline_a_near_perfect_fit() {
        let d = make_regression(200, 3, 3, 0.0, 3);
        let w_true = ndarray::array![[1.5], [-2.0], [0.25]];
        let y = d.x.dot(&w_true) + 4.0;
        let fold_of: Vec<usize> = (0..200).map(|i| i % 2).collect();
        let routed = training_problems(d.x.view(), y.view(), None, &fold_of, 2, true, false, GRAIN)
            .expect("finite")
            .expect("applies");
        let sums = &routed.held_out[0];
        assert!(
            sums.mse(w_true.view(), ndarray::array![4.0].view())
                .is_none()
        );
        let poor = sums.mse(
            ndarray::Array2::zeros((3, 1)).view(),
            ndarray::array![0.0].view(),
        );
        assert!(poor.is_some_and(|v| v > 1.0));
    }

    /// Regressions (review of the fold-sum shift): y's shift ignores rows of
    /// weight 0 (an outlier there used to swamp the centred `‖y‖²`), and
    /// the redo for sorted rows centres on the weighted mean (a huge `x` in
    /// a row of weight 0 used to overflow it). The fold-sum problem of all
    /// rows equals the one built from the rows.
    #[test]
    fn fold_sums_ignore_rows_of_weight_zero() {
        let m = 1000;
        let d = make_regression(m, 2, 2, 0.5, 11);
        let mut x = d.x.clone();
        let mut y = d.y.clone();
        // Sorted first column: the first rows' mean is far off.
        for i in 0..m {
            x[[i, 0]] = i as f64;
        }
        x[[m - 1, 0]] = 1e200;
        y[[0, 0]] = 1e12;
        let mut w = ndarray::Array1::<f64>::ones(m);
        w[0] = 0.0;
        w[m - 1] = 0.0;
        let fold_of: Vec<usize> = (0..m).map(|i| i % 3).collect();
        let routed = training_problems(
            x.view(),
            y.view(),
            Some(w.view()),
            &fold_of,
            3,
            true,
            false,
            GRAIN,
        )
        .expect("finite")
        .expect("applies");
        let want = Problem::new(
            x.view(),
            y.view(),
            Some(w.view()),
            true,
            false,
            Layout::Auto,
        );
        let got = &routed.full;
        let (Design::Gram { gram: g1, xty: q1 }, Design::Gram { gram: g2, xty: q2 }) =
            (&got.design, &want.design)
        else {
            panic!("Gram designs expected");
        };
        for (a, b) in g1.iter().zip(g2).chain(q1.iter().zip(q2)) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        }
        assert!(
            (got.yty[0] - want.yty[0]).abs() <= 1e-9 * want.yty[0],
            "{} vs {}",
            got.yty[0],
            want.yty[0]
        );
        for j in 0..2 {
            assert!((got.x_mean[j] - want.x_mean[j]).abs() <= 1e-9 * want.x_mean[j].abs().max(1.0));
        }
    }
}
