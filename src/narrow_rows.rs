//! The fused pass of [`train`](crate::train) over a chunk of rows with one
//! output (rows shorter than [`MAX_LEN`]): residuals, squared error and
//! gradient sums.
//!
//! With few columns (the 2 000 000 × 20 benchmark, say) the work per row is
//! small, and the general loop spent more instructions finding rows,
//! targets and loop bounds than multiplying; with a hundred (100 000 ×
//! 100) it spent twice the multiplies and adds of fused ones. This kernel
//! takes the rows several at a time (four `f64`, eight `f32`): their dot
//! products share each load of `w`, their partial sums are reduced
//! together into one vector of residuals, and the gradient sums are
//! loaded and stored once per group of rows.
//!
//! For one chunk of rows `xᵢ` with targets `yᵢ`:
//!
//! ```text
//! rᵢ = xᵢᵀw + b − yᵢ,   sq ← sq + Σᵢ rᵢ²,   g ← g + Σᵢ rᵢxᵢ,   g_b ← g_b + Σᵢ rᵢ
//! ```
//!
//! Every number is defined by [`chunk_portable`], with `L` the values in
//! 32 bytes (4 `f64`, 8 `f32`): each dot product is summed in `L` partial
//! sums added pairwise; `Σᵢ rᵢ²` and `Σᵢ rᵢ` are summed in `L` lanes too,
//! row `i` in lane `i mod L`, and the lanes added pairwise at the end of
//! the chunk; `g` takes four rows per update as `(r₀x₀ + r₁x₁) + (r₂x₂ +
//! r₃x₃)`. On CPUs with AVX2 and FMA the `f64` and `f32` kernels add each
//! product by a fused multiply-add (`g` then takes the rows one after the
//! other, `g + r₀x₀ + r₁x₁ + …`, and each square is fused into its lane);
//! the definition with `FUSED` does the same with `mul_add`, and the
//! kernels give its numbers bit for bit — NaN aside: which NaN an
//! operation on two of them gives (its sign and payload) is not
//! specified, and may differ. Other CPUs run the unfused definition, so
//! epochs agree across CPUs to rounding, not to the bit (as `XᵀX` does).
//!
//! Measured on 2 000 000 × 20 (one epoch, median of paired runs): the
//! fused kernels took it from 34.3 to 30.9 ms in `f64` and 21.3 to 19.3 ms
//! in `f32`; eight `f32` rows at a time, the last `p mod L` values by a
//! masked load and the squares and residual sums in vector lanes took the
//! instructions of an `f32` epoch from 56 to 31 per row. A block of rows
//! can ask the kernel to prefetch as it goes (see [`Rows::Block`]): each
//! group's lines a few KiB ahead, so that memory keeps streaming while
//! the group is computed.

use std::any::TypeId;

use crate::Float;
use crate::solver::linalg::{dot_lanes, dot_lanes_by, pairwise_sum};

/// Rows shorter than this take this kernel when there is one output: a
/// group of rows (4 `f64` or 8 `f32`, under 32 KiB) then stays in the L1
/// cache from its dot products to its gradient sums. On the 100 000 × 100
/// benchmark this kernel took an epoch from 1.6× to 1.2× the time to
/// stream `x` (f64), where the general loop, twice the instructions
/// without fused multiply-adds, had been the limit.
pub(crate) const MAX_LEN: usize = 1024;

/// Rows shorter than this are short: [`dot`] sums them in 32 bytes of
/// partial sums, and a pass asks for them to be prefetched.
pub(crate) const SHORT_LEN: usize = 64;

/// The rows of one chunk, each of `p` values (`p` the length of `w`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rows<'a, F> {
    /// `n` consecutive rows of a row-major block: row `i` is
    /// `data[i·p..(i + 1)·p]` (a full pass: no row to look up, and one
    /// length to check for the whole chunk). With `ahead > 0`, the AVX2
    /// kernels ask, as they start each group of rows, for the bytes
    /// `ahead` past the group's to be fetched into the cache (a hint: it
    /// reads nothing, and may name memory past `data`).
    Block {
        /// The rows, one after the other.
        data: &'a [F],
        /// How many.
        n: usize,
        /// How far ahead to prefetch, in bytes (0: not at all).
        ahead: usize,
    },
    /// Rows anywhere.
    Listed(&'a [&'a [F]]),
}

impl<'a, F> Rows<'a, F> {
    /// How many rows.
    pub(crate) fn count(self) -> usize {
        match self {
            Rows::Block { n, .. } => n,
            Rows::Listed(rows) => rows.len(),
        }
    }

    /// Row `i`, of `p` values.
    #[inline(always)]
    fn row(self, i: usize, p: usize) -> &'a [F] {
        match self {
            Rows::Block { data, .. } => &data[i * p..(i + 1) * p],
            Rows::Listed(rows) => rows[i],
        }
    }

    /// Whether every row has `p` values.
    fn all_of_len(self, p: usize) -> bool {
        match self {
            Rows::Block { data, n, .. } => n.checked_mul(p) == Some(data.len()),
            Rows::Listed(rows) => rows.iter().all(|row| row.len() == p),
        }
    }

    /// The same rows seen as `T`.
    ///
    /// # Safety
    ///
    /// `T` must be `F` (the same type under another name).
    #[cfg(target_arch = "x86_64")]
    unsafe fn cast<T>(self) -> Rows<'a, T> {
        // SAFETY: T is F (the caller's promise): same layout, same lifetime.
        unsafe {
            match self {
                Rows::Block { data, n, ahead } => Rows::Block {
                    data: std::slice::from_raw_parts(data.as_ptr().cast::<T>(), data.len()),
                    n,
                    ahead,
                },
                Rows::Listed(rows) => Rows::Listed(std::slice::from_raw_parts(
                    rows.as_ptr().cast::<&[T]>(),
                    rows.len(),
                )),
            }
        }
    }
}

/// One chunk of the fused pass: with `rᵢ = rowsᵢᵀw + bias − targetsᵢ`,
/// writes `residual[i] = rᵢ` and returns `sq + Σᵢ rᵢ²`; when `GRAD`, also
/// `g += Σᵢ rᵢ·rowsᵢ` and `g_bias += Σᵢ rᵢ`.
///
/// # Panics
///
/// If a row, `g` (when `GRAD`) and `w` differ in length, or `rows`,
/// `targets` and `residual` do.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn chunk<F: Float, const GRAD: bool>(
    sq: F,
    rows: Rows<'_, F>,
    w: &[F],
    bias: F,
    targets: &[F],
    residual: &mut [F],
    g: &mut [F],
    g_bias: &mut F,
) -> F {
    let p = w.len();
    let n = rows.count();
    assert!(rows.all_of_len(p) && (!GRAD || g.len() == p));
    assert!(targets.len() == n && residual.len() == n);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY (both): `F` is the type it is compared with (same type,
        // same layout), so every slice is reinterpreted as what it is; AVX2
        // and FMA were just detected; the lengths were asserted above.
        if TypeId::of::<F>() == TypeId::of::<f64>() {
            return unsafe {
                let c = |v: &[F]| std::slice::from_raw_parts(v.as_ptr().cast::<f64>(), v.len());
                let rows = rows.cast::<f64>();
                let residual = std::slice::from_raw_parts_mut(
                    residual.as_mut_ptr().cast::<f64>(),
                    residual.len(),
                );
                let g = std::slice::from_raw_parts_mut(g.as_mut_ptr().cast::<f64>(), g.len());
                let g_bias = &mut *std::ptr::from_mut(g_bias).cast::<f64>();
                let (sq, bias) = (sq.to_f64(), bias.to_f64());
                let out =
                    avx2::chunk_f64::<GRAD>(sq, rows, c(w), bias, c(targets), residual, g, g_bias);
                F::cast(out)
            };
        }
        if TypeId::of::<F>() == TypeId::of::<f32>() {
            return unsafe {
                let c = |v: &[F]| std::slice::from_raw_parts(v.as_ptr().cast::<f32>(), v.len());
                let rows = rows.cast::<f32>();
                let residual = std::slice::from_raw_parts_mut(
                    residual.as_mut_ptr().cast::<f32>(),
                    residual.len(),
                );
                let g = std::slice::from_raw_parts_mut(g.as_mut_ptr().cast::<f32>(), g.len());
                let g_bias = &mut *std::ptr::from_mut(g_bias).cast::<f32>();
                // `to_f64` and `cast` are exact round trips for an f32.
                let (sq, bias) = (sq.to_f64() as f32, bias.to_f64() as f32);
                let out =
                    avx2::chunk_f32::<GRAD>(sq, rows, c(w), bias, c(targets), residual, g, g_bias);
                F::cast(f64::from(out))
            };
        }
    }
    if std::mem::size_of::<F>() == 4 {
        chunk_portable::<F, 8, GRAD, false>(sq, rows, w, bias, targets, residual, g, g_bias)
    } else {
        chunk_portable::<F, 4, GRAD, false>(sq, rows, w, bias, targets, residual, g, g_bias)
    }
}

/// `xᵀw` (over the shorter of the two) for a row shorter than
/// [`SHORT_LEN`], summed as [`chunk`]'s unfused definition sums it: 32
/// bytes of partial sums (4 `f64`, 8 `f32`), added pairwise.
#[inline(always)]
pub(crate) fn dot<F: Float>(x: &[F], w: &[F]) -> F {
    if std::mem::size_of::<F>() == 4 {
        dot_lanes::<F, 8>(x, w)
    } else {
        dot_lanes::<F, 4>(x, w)
    }
}

/// [`chunk`] on any CPU: the definition of its numbers — with `FUSED`,
/// of the FMA kernels', each product added by a fused multiply-add at the
/// same places (without FMA this is slow: a test reference only).
///
/// The squares and the residuals are summed in `L` lanes, row `i` into
/// lane `i mod L` (with `FUSED`, `rᵢ²` added by a fused multiply-add),
/// and the lanes added by [`pairwise_sum`] at the end of the chunk. With
/// `FUSED`, `g` takes the rows one after the other; without, four at a
/// time, `g + ((r₀x₀ + r₁x₁) + (r₂x₂ + r₃x₃))`, the rows left over one
/// after the other.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn chunk_portable<F: Float, const L: usize, const GRAD: bool, const FUSED: bool>(
    sq: F,
    rows: Rows<'_, F>,
    w: &[F],
    bias: F,
    targets: &[F],
    residual: &mut [F],
    g: &mut [F],
    g_bias: &mut F,
) -> F {
    let (p, n) = (w.len(), rows.count());
    let mut lanes = Lanes::<F, L>::new();
    let groups = if FUSED { 0 } else { n - n % 4 };
    for i in 0..groups {
        residual[i] = lanes.row::<FUSED>(i, rows.row(i, p), w, bias, targets[i]);
    }
    if GRAD {
        for c in (0..groups).step_by(4) {
            let x = [c, c + 1, c + 2, c + 3].map(|i| rows.row(i, p));
            let r = &residual[c..c + 4];
            for (j, g) in g.iter_mut().enumerate() {
                *g += (r[0] * x[0][j] + r[1] * x[1][j]) + (r[2] * x[2][j] + r[3] * x[3][j]);
            }
        }
    }
    finish::<F, L, GRAD, FUSED>(
        sq, lanes, rows, w, bias, targets, residual, g, g_bias, groups,
    )
}

/// The per-lane sums of a chunk: `Σ rᵢ²` and `Σ rᵢ` over its rows `i ≡ q
/// (mod L)` in lane `q`.
#[derive(Debug, Clone, Copy)]
struct Lanes<F, const L: usize> {
    /// `Σ rᵢ²` by lane.
    squares: [F; L],
    /// `Σ rᵢ` by lane.
    residuals: [F; L],
}

impl<F: Float, const L: usize> Lanes<F, L> {
    /// All lanes zero.
    fn new() -> Self {
        Self {
            squares: [F::zero(); L],
            residuals: [F::zero(); L],
        }
    }

    /// Row `i`: returns `rᵢ = xᵀw + bias − target` and adds it to lane `i
    /// mod L` (its square fused with `FUSED`).
    #[inline(always)]
    fn row<const FUSED: bool>(&mut self, i: usize, x: &[F], w: &[F], bias: F, target: F) -> F {
        let r = dot_lanes_by::<F, L, FUSED>(x, w) + bias - target;
        let q = i % L;
        self.squares[q] = if FUSED {
            r.mul_add(r, self.squares[q])
        } else {
            self.squares[q] + r * r
        };
        self.residuals[q] += r;
        r
    }
}

/// `g += r·x`, fused or not.
#[inline(always)]
fn add_row<F: Float, const FUSED: bool>(g: &mut [F], r: F, x: &[F]) {
    for (g, &v) in g.iter_mut().zip(x) {
        if FUSED {
            *g = r.mul_add(v, *g);
        } else {
            *g += r * v;
        }
    }
}

/// The end of a chunk after its first `c` rows are done and summed in
/// `lanes` (and, when `GRAD`, in `g`): the other rows one at a time, as
/// [`chunk_portable`] takes them, then `g_bias += Σᵢ rᵢ` and `sq + Σᵢ rᵢ²`
/// over the whole chunk, lanes added pairwise.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn finish<F: Float, const L: usize, const GRAD: bool, const FUSED: bool>(
    sq: F,
    mut lanes: Lanes<F, L>,
    rows: Rows<'_, F>,
    w: &[F],
    bias: F,
    targets: &[F],
    residual: &mut [F],
    g: &mut [F],
    g_bias: &mut F,
    c: usize,
) -> F {
    let p = w.len();
    for (i, (&target, r)) in (c..).zip(targets[c..].iter().zip(&mut residual[c..])) {
        *r = lanes.row::<FUSED>(i, rows.row(i, p), w, bias, target);
    }
    if GRAD {
        for (i, &r) in (c..).zip(&residual[c..]) {
            add_row::<F, FUSED>(g, r, rows.row(i, p));
        }
        *g_bias += pairwise_sum(lanes.residuals);
    }
    sq + pairwise_sum(lanes.squares)
}

/// The AVX2 kernels of [`chunk`] for `f64` (4 lanes, four rows at a time)
/// and `f32` (8 lanes, eight rows at a time).
///
/// A row's last `p mod L` values are read by a masked load (zeros past
/// the row's end), and so are those of `w` (once) and `g` (whose last
/// sums stay in a register until a masked store at the end), so every row
/// is whole vectors. The padding adds `0·0 = +0` to a lane of the dot
/// product, which changes nothing: a lane starts at `+0` and so is never
/// `−0`. The padded lanes of `g` are never written.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Lanes, Rows};

    /// Asks for the 64-byte lines from `start + ahead` (rounded down to a
    /// line) up to `end + ahead` (rounded down, not included) to be
    /// fetched into the L1 cache: for groups of consecutive rows, each
    /// group's lines, shifted `ahead`, with none asked for twice.
    #[inline(always)]
    fn prefetch_lines<T>(start: *const T, end: *const T, ahead: usize) {
        let line = |at: *const T| {
            let at = at.cast::<u8>().wrapping_add(ahead);
            at.wrapping_sub(at as usize % 64)
        };
        let (mut at, end) = (line(start), line(end));
        while at < end {
            // SAFETY: a prefetch is a hint: it reads nothing and cannot
            // fault, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast()) };
            at = at.wrapping_add(64);
        }
    }

    /// [`chunk`](super::chunk) for `f64`.
    ///
    /// # Safety
    ///
    /// The CPU has AVX2 and FMA; every row has `w.len()` values, and so has
    /// `g` when `GRAD`; `targets` and `residual` have one value per row.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn chunk_f64<const GRAD: bool>(
        sq: f64,
        rows: Rows<'_, f64>,
        w: &[f64],
        bias: f64,
        targets: &[f64],
        residual: &mut [f64],
        g: &mut [f64],
        g_bias: &mut f64,
    ) -> f64 {
        let p = w.len();
        // SAFETY: the caller's promises; row i < rows.count() of a block
        // starts at data[i·p], inside data (its length is n·p).
        unsafe {
            let (lanes, c) = match rows {
                Rows::Block { data, ahead, .. } => f64_rows::<GRAD, _>(
                    rows,
                    ahead,
                    |i| data.as_ptr().add(i * p),
                    w,
                    bias,
                    targets,
                    residual,
                    g,
                ),
                Rows::Listed(list) => f64_rows::<GRAD, _>(
                    rows,
                    0,
                    |i| list.get_unchecked(i).as_ptr(),
                    w,
                    bias,
                    targets,
                    residual,
                    g,
                ),
            };
            super::finish::<f64, 4, GRAD, true>(
                sq, lanes, rows, w, bias, targets, residual, g, g_bias, c,
            )
        }
    }

    /// The rows of [`chunk_f64`] four at a time, row `i` starting at
    /// `row_ptr(i)`, each group's lines `ahead` bytes on prefetched when
    /// `ahead > 0`: returns their lane sums and how many rows were done
    /// (the rest are fewer than four).
    ///
    /// # Safety
    ///
    /// As for [`chunk_f64`], and `row_ptr(i)` points to row `i`'s `w.len()`
    /// values for every `i < rows.count()` (and, when `ahead > 0`, is a
    /// pointer into or one past the rows for `i = rows.count()`).
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn f64_rows<const GRAD: bool, R: Fn(usize) -> *const f64>(
        rows: Rows<'_, f64>,
        ahead: usize,
        row_ptr: R,
        w: &[f64],
        bias: f64,
        targets: &[f64],
        residual: &mut [f64],
        g: &mut [f64],
    ) -> (Lanes<f64, 4>, usize) {
        let p = w.len();
        let (full, tail) = (p / 4, p % 4);
        let n = rows.count();
        let groups = n - n % 4;
        // SAFETY: every vector read or written below is inside a row, `w`,
        // `g` or `targets` / `residual` (c + 3 < n); the masked loads and
        // the store touch the last `p mod 4` values only.
        unsafe {
            let mask = _mm256_cmpgt_epi64(
                _mm256_set1_epi64x(tail as i64),
                _mm256_setr_epi64x(0, 1, 2, 3),
            );
            // The last p mod 4 values of w and of g (zeros past them); the
            // latter's sums are kept here and stored at the end.
            let w_tail = _mm256_maskload_pd(w.as_ptr().add(4 * full), mask);
            let mut g_tail = if GRAD {
                _mm256_maskload_pd(g.as_ptr().add(4 * full), mask)
            } else {
                _mm256_setzero_pd()
            };
            let (mut squares, mut sums) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            let bias = _mm256_set1_pd(bias);
            let mut c = 0;
            while c < groups {
                let x = [c, c + 1, c + 2, c + 3].map(&row_ptr);
                if ahead > 0 {
                    prefetch_lines(x[0], row_ptr(c + 4), ahead);
                }
                // Four dot products, lane i summing the values i mod 4.
                let mut acc = [_mm256_setzero_pd(); 4];
                for v in 0..full {
                    let wv = _mm256_loadu_pd(w.as_ptr().add(4 * v));
                    for (a, &x) in acc.iter_mut().zip(&x) {
                        *a = _mm256_fmadd_pd(_mm256_loadu_pd(x.add(4 * v)), wv, *a);
                    }
                }
                if tail > 0 {
                    let wv = w_tail;
                    for (a, &x) in acc.iter_mut().zip(&x) {
                        *a = _mm256_fmadd_pd(_mm256_maskload_pd(x.add(4 * full), mask), wv, *a);
                    }
                }
                // Pairwise: (a₀ + a₂) + (a₁ + a₃) for the four rows at once.
                let low01 = _mm256_permute2f128_pd::<0x20>(acc[0], acc[1]);
                let high01 = _mm256_permute2f128_pd::<0x31>(acc[0], acc[1]);
                let low23 = _mm256_permute2f128_pd::<0x20>(acc[2], acc[3]);
                let high23 = _mm256_permute2f128_pd::<0x31>(acc[2], acc[3]);
                let sums4 =
                    _mm256_hadd_pd(_mm256_add_pd(low01, high01), _mm256_add_pd(low23, high23));
                // hadd leaves rows 0, 2, 1, 3.
                let dots = _mm256_permute4x64_pd::<0b11_01_10_00>(sums4);
                let r = _mm256_sub_pd(
                    _mm256_add_pd(dots, bias),
                    _mm256_loadu_pd(targets.as_ptr().add(c)),
                );
                _mm256_storeu_pd(residual.as_mut_ptr().add(c), r);
                squares = _mm256_fmadd_pd(r, r, squares);
                sums = _mm256_add_pd(sums, r);
                if GRAD {
                    let rs = residual.as_ptr().add(c);
                    let rv = [0, 1, 2, 3].map(|q| _mm256_broadcast_sd(&*rs.add(q)));
                    for v in 0..full {
                        let gp = g.as_mut_ptr().add(4 * v);
                        let mut sum = _mm256_loadu_pd(gp);
                        for (&r, &x) in rv.iter().zip(&x) {
                            sum = _mm256_fmadd_pd(r, _mm256_loadu_pd(x.add(4 * v)), sum);
                        }
                        _mm256_storeu_pd(gp, sum);
                    }
                    if tail > 0 {
                        for (&r, &x) in rv.iter().zip(&x) {
                            let x = _mm256_maskload_pd(x.add(4 * full), mask);
                            g_tail = _mm256_fmadd_pd(r, x, g_tail);
                        }
                    }
                }
                c += 4;
            }
            if GRAD && tail > 0 {
                _mm256_maskstore_pd(g.as_mut_ptr().add(4 * full), mask, g_tail);
            }
            let mut lanes = Lanes::new();
            _mm256_storeu_pd(lanes.squares.as_mut_ptr(), squares);
            _mm256_storeu_pd(lanes.residuals.as_mut_ptr(), sums);
            (lanes, c)
        }
    }

    /// [`chunk`](super::chunk) for `f32`.
    ///
    /// # Safety
    ///
    /// As for [`chunk_f64`].
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn chunk_f32<const GRAD: bool>(
        sq: f32,
        rows: Rows<'_, f32>,
        w: &[f32],
        bias: f32,
        targets: &[f32],
        residual: &mut [f32],
        g: &mut [f32],
        g_bias: &mut f32,
    ) -> f32 {
        let p = w.len();
        // SAFETY: as in chunk_f64.
        unsafe {
            let (lanes, c) = match rows {
                Rows::Block { data, ahead, .. } => f32_rows::<GRAD, _>(
                    rows,
                    ahead,
                    |i| data.as_ptr().add(i * p),
                    w,
                    bias,
                    targets,
                    residual,
                    g,
                ),
                Rows::Listed(list) => f32_rows::<GRAD, _>(
                    rows,
                    0,
                    |i| list.get_unchecked(i).as_ptr(),
                    w,
                    bias,
                    targets,
                    residual,
                    g,
                ),
            };
            super::finish::<f32, 8, GRAD, true>(
                sq, lanes, rows, w, bias, targets, residual, g, g_bias, c,
            )
        }
    }

    /// The rows of [`chunk_f32`] eight at a time, as [`f64_rows`] takes
    /// them four at a time.
    ///
    /// # Safety
    ///
    /// As for [`f64_rows`].
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn f32_rows<const GRAD: bool, R: Fn(usize) -> *const f32>(
        rows: Rows<'_, f32>,
        ahead: usize,
        row_ptr: R,
        w: &[f32],
        bias: f32,
        targets: &[f32],
        residual: &mut [f32],
        g: &mut [f32],
    ) -> (Lanes<f32, 8>, usize) {
        let p = w.len();
        let (full, tail) = (p / 8, p % 8);
        let n = rows.count();
        let groups = n - n % 8;
        // SAFETY: as in f64_rows (c + 7 < n).
        unsafe {
            let mask = _mm256_cmpgt_epi32(
                _mm256_set1_epi32(tail as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            );
            let w_tail = _mm256_maskload_ps(w.as_ptr().add(8 * full), mask);
            let mut g_tail = if GRAD {
                _mm256_maskload_ps(g.as_ptr().add(8 * full), mask)
            } else {
                _mm256_setzero_ps()
            };
            let (mut squares, mut sums) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            let bias = _mm256_set1_ps(bias);
            // Where `hadd` leaves the rows (0, 2, 4, 6 | 1, 3, 5, 7), for
            // putting them back in order.
            let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
            let mut c = 0;
            while c < groups {
                let x: [*const f32; 8] = std::array::from_fn(|q| row_ptr(c + q));
                if ahead > 0 {
                    prefetch_lines(x[0], row_ptr(c + 8), ahead);
                }
                let mut acc = [_mm256_setzero_ps(); 8];
                for v in 0..full {
                    let wv = _mm256_loadu_ps(w.as_ptr().add(8 * v));
                    for (a, &x) in acc.iter_mut().zip(&x) {
                        *a = _mm256_fmadd_ps(_mm256_loadu_ps(x.add(8 * v)), wv, *a);
                    }
                }
                if tail > 0 {
                    let wv = w_tail;
                    for (a, &x) in acc.iter_mut().zip(&x) {
                        *a = _mm256_fmadd_ps(_mm256_maskload_ps(x.add(8 * full), mask), wv, *a);
                    }
                }
                // Pairwise over each row's 8 lanes, eight rows at once:
                // hᵢ = aᵢ + aᵢ₊₄ (rows two to a register), then
                // (h₀ + h₂) + (h₁ + h₃).
                let half = |a: __m256, b: __m256| {
                    _mm256_add_ps(
                        _mm256_permute2f128_ps::<0x20>(a, b),
                        _mm256_permute2f128_ps::<0x31>(a, b),
                    )
                };
                let quarter = |a: __m256, b: __m256| {
                    let (a, b) = (_mm256_castps_pd(a), _mm256_castps_pd(b));
                    _mm256_add_ps(
                        _mm256_castpd_ps(_mm256_unpacklo_pd(a, b)),
                        _mm256_castpd_ps(_mm256_unpackhi_pd(a, b)),
                    )
                };
                let (h01, h23) = (half(acc[0], acc[1]), half(acc[2], acc[3]));
                let (h45, h67) = (half(acc[4], acc[5]), half(acc[6], acc[7]));
                let dots = _mm256_hadd_ps(quarter(h01, h23), quarter(h45, h67));
                let dots = _mm256_permutevar8x32_ps(dots, order);
                let r = _mm256_sub_ps(
                    _mm256_add_ps(dots, bias),
                    _mm256_loadu_ps(targets.as_ptr().add(c)),
                );
                _mm256_storeu_ps(residual.as_mut_ptr().add(c), r);
                squares = _mm256_fmadd_ps(r, r, squares);
                sums = _mm256_add_ps(sums, r);
                if GRAD {
                    let rs = residual.as_ptr().add(c);
                    let rv: [__m256; 8] = std::array::from_fn(|q| _mm256_broadcast_ss(&*rs.add(q)));
                    for v in 0..full {
                        let gp = g.as_mut_ptr().add(8 * v);
                        let mut sum = _mm256_loadu_ps(gp);
                        for (&r, &x) in rv.iter().zip(&x) {
                            sum = _mm256_fmadd_ps(r, _mm256_loadu_ps(x.add(8 * v)), sum);
                        }
                        _mm256_storeu_ps(gp, sum);
                    }
                    if tail > 0 {
                        for (&r, &x) in rv.iter().zip(&x) {
                            let x = _mm256_maskload_ps(x.add(8 * full), mask);
                            g_tail = _mm256_fmadd_ps(r, x, g_tail);
                        }
                    }
                }
                c += 8;
            }
            if GRAD && tail > 0 {
                _mm256_maskstore_ps(g.as_mut_ptr().add(8 * full), mask, g_tail);
            }
            let mut lanes = Lanes::new();
            _mm256_storeu_ps(lanes.squares.as_mut_ptr(), squares);
            _mm256_storeu_ps(lanes.residuals.as_mut_ptr(), sums);
            (lanes, c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// Whether [`chunk`] runs the FMA kernels on this CPU.
    fn fma_kernels() -> bool {
        #[cfg(target_arch = "x86_64")]
        return std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma");
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// One chunk through the portable definition (fused where [`chunk`]
    /// runs the FMA kernels), and through [`chunk`] with the rows listed
    /// and as one block (`data`, the rows one after the other).
    #[allow(clippy::type_complexity)]
    fn both<F: Float, const L: usize, const GRAD: bool>(
        data: &[F],
        rows: &[&[F]],
        w: &[F],
        targets: &[F],
        g0: &[F],
    ) -> [(F, Vec<F>, Vec<F>, F); 3] {
        let bias = F::cast(0.3);
        let n = rows.len();
        let run = |how: usize| {
            let (mut r, mut g, mut gb) = (vec![F::zero(); n], g0.to_vec(), F::cast(0.5));
            let (sq0, out) = (F::one(), (&mut r[..], &mut g[..], &mut gb));
            let listed = Rows::Listed(rows);
            let sq = match how {
                0 if fma_kernels() => chunk_portable::<F, L, GRAD, true>(
                    sq0, listed, w, bias, targets, out.0, out.1, out.2,
                ),
                0 => chunk_portable::<F, L, GRAD, false>(
                    sq0, listed, w, bias, targets, out.0, out.1, out.2,
                ),
                1 => chunk::<F, GRAD>(sq0, listed, w, bias, targets, out.0, out.1, out.2),
                _ => {
                    let block = Rows::Block { data, n, ahead: 64 };
                    chunk::<F, GRAD>(sq0, block, w, bias, targets, out.0, out.1, out.2)
                }
            };
            (sq, r, g, gb)
        };
        [run(0), run(1), run(2)]
    }

    /// The dispatched kernel (AVX2 where the CPU has it) gives the portable
    /// definition's numbers to the bit — any NaN for a NaN — for every row
    /// length below the limit (0 included), every chunk size up to 32 rows,
    /// with and without the gradient, on ordinary values and on values
    /// sprinkled with NaN, ±∞, −0, subnormals and huge numbers; and on
    /// ordinary values, the definition is the plain sum to rounding.
    fn same_as_portable<F: Float, const L: usize>() {
        let mut rng = StdRng::seed_from_u64(7);
        let f = |v: F| <F as Float>::to_f64(v);
        let special = [
            F::nan(),
            F::infinity(),
            F::neg_infinity(),
            F::cast(-0.0),
            F::min_positive_value() * F::cast(0.25),
            F::max_value() * F::cast(0.5),
        ];
        for odd in [false, true] {
            for p in (0..SHORT_LEN).chain([100, 257, MAX_LEN - 1]) {
                for n in 1..=32 {
                    let mut value = |lo: f64, hi: f64| {
                        if odd && rng.random_range(0.0..1.0) < 0.05 {
                            special[rng.random_range(0..special.len())]
                        } else {
                            F::cast(rng.random_range(lo..hi))
                        }
                    };
                    let data: Vec<F> = (0..n * p).map(|_| value(-2.0, 2.0)).collect();
                    let w: Vec<F> = (0..p).map(|_| value(-1.0, 1.0)).collect();
                    let targets: Vec<F> = (0..n).map(|_| value(-3.0, 3.0)).collect();
                    let g0: Vec<F> = (0..p).map(|_| value(-1.0, 1.0)).collect();
                    let rows: Vec<&[F]> = (0..n).map(|i| &data[i * p..(i + 1) * p]).collect();
                    let same =
                        |a: F, b: F| a.is_nan() && b.is_nan() || f(a).to_bits() == f(b).to_bits();
                    let all_same = |a: &[F], b: &[F]| a.iter().zip(b).all(|(&a, &b)| same(a, b));
                    let with = both::<F, L, true>(&data, &rows, &w, &targets, &g0);
                    let without = both::<F, L, false>(&data, &rows, &w, &targets, &g0);
                    for runs in [&with, &without] {
                        let a = &runs[0];
                        for b in &runs[1..] {
                            assert!(same(a.0, b.0), "sq, p {p} n {n}");
                            assert!(all_same(&a.1, &b.1), "residuals, p {p} n {n}");
                            assert!(all_same(&a.2, &b.2), "gradient, p {p} n {n}");
                            assert!(same(a.3, b.3), "bias sum, p {p} n {n}");
                        }
                    }
                    // Without the gradient, g and its bias sum are untouched.
                    assert!(all_same(&without[0].2, &g0) && same(without[0].3, F::cast(0.5)));
                    if odd {
                        continue;
                    }
                    // The definition is the plain sum, to rounding:
                    // |error| ≤ (p + 2)·ε·(Σⱼ|xⱼwⱼ| + |b| + |y|).
                    let bias = f(F::cast(0.3));
                    for ((&row, &t), &r) in rows.iter().zip(&targets).zip(&with[0].1) {
                        let terms = row.iter().zip(&w).map(|(&x, &w)| f(x) * f(w));
                        let exact = terms.clone().sum::<f64>() + bias - f(t);
                        let size = terms.map(f64::abs).sum::<f64>() + bias + f(t).abs();
                        let tol = (p + 2) as f64 * f(F::epsilon()) * size;
                        assert!((f(r) - exact).abs() <= tol, "{} vs {exact}", f(r));
                    }
                }
            }
        }
    }

    #[test]
    fn kernel_is_the_portable_definition_f64() {
        same_as_portable::<f64, 4>();
    }

    #[test]
    fn kernel_is_the_portable_definition_f32() {
        same_as_portable::<f32, 8>();
    }
}
