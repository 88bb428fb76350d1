//! `Q += BᵀB` (upper triangle) for `f64` with AVX-512, when the CPU has it.
//!
//! The Gram matrix of a tall `x` is most of the cost of a fit, and the
//! generic matrix product (matrixmultiply, AVX2 at best) reaches about half
//! the speed of an AVX-512 BLAS on such CPUs. This kernel needs no packing:
//! the chunk `B` (c rows of a zero-padded row-major buffer whose row stride
//! is a multiple of 16) is read in place, and each 8 × 16 tile of `Q` from
//! the diagonal rightwards is
//!
//! `Q[i₀..i₀+8, j₀..j₀+16] += Σ_r B[r, i₀..i₀+8]ᵀ · B[r, j₀..j₀+16]`,
//!
//! 16 accumulator registers, each row `r` costing two loads, eight
//! broadcasts and sixteen fused multiply-adds (the last tile of a row of
//! tiles is 8 wide when that covers it). Entries below the diagonal are
//! left alone ([`mirror_upper`](super::problem::mirror_upper) completes
//! `Q`).

use std::any::Any;

use ndarray::Array2;

use crate::Float;

/// The width of a tile (two registers of 8 `f64`): the padded row stride of
/// `B` must be a multiple of it.
pub(crate) const PANEL: usize = 16;

/// Adds the upper triangle of `BᵀB` to `gram` (p × p, standard layout) for
/// `B` the first `rows` rows and `p` columns of `buf`, whose columns `p..`
/// are zero and whose width is a multiple of [`PANEL`]. Returns `false`,
/// doing nothing, unless `F` is `f64` and the CPU has AVX-512F (the caller
/// then uses the generic product).
///
/// `next` (possibly empty) is what the caller reads next, the rows of `x`
/// of its next chunk: the kernel asks for it to be fetched into the L2
/// cache while it computes, a line every other row of its first tiles, so
/// that the caller's next read comes from cache (a hint, with no effect
/// on the result). A tall fit's time had been a quarter that read, with
/// nothing computed during it.
pub(crate) fn add_upper_gram_fast<F: Float>(
    buf: &Array2<F>,
    rows: usize,
    p: usize,
    gram: &mut Array2<F>,
    next: &[F],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let lines = std::mem::size_of_val(next) / 64;
        let next = next.as_ptr().cast::<u8>();
        let b = (buf as &dyn Any).downcast_ref::<Array2<f64>>();
        let q = (gram as &mut dyn Any).downcast_mut::<Array2<f64>>();
        if let (Some(b), Some(q)) = (b, q)
            && std::arch::is_x86_feature_detected!("avx512f")
        {
            let stride = b.ncols();
            let shapes_fit = stride.is_multiple_of(PANEL)
                && stride >= p
                && rows <= b.nrows()
                && q.dim() == (p, p);
            if let (true, Some(b), Some(q)) = (shapes_fit, b.as_slice(), q.as_slice_mut()) {
                // SAFETY: AVX-512F was just detected; `b` holds `rows` rows
                // of `stride` values and `q` p × p values, which is all the
                // kernel reads and writes (see its bounds).
                unsafe { avx512::upper_gram(b, rows, stride, p, q, (next, lines)) };
                return true;
            }
        }
    }
    let _ = (buf, rows, p, gram, next);
    false
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        _MM_HINT_T1, _mm_prefetch, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_set1_pd,
        _mm512_setzero_pd, _mm512_storeu_pd,
    };

    use super::PANEL;

    /// Rows of a tile.
    const MR: usize = 8;

    /// `q[i·p + j] += Σ_r b[r·stride + i]·b[r·stride + j]` for `j ≥ i`,
    /// `i, j < p`, `r < rows`; meanwhile the `lines` 64-byte lines from
    /// `next` are prefetched into L2, one every other row of the tiles.
    ///
    /// The tiles of rows `i₀..i₀+8` start at column `i₀`, 16 columns wide,
    /// and the last is 8 wide when no more than 8 columns are left: for
    /// `p = 100`, 42 tiles of 16 and 7 of 8 in place of 55 of 16 starting
    /// at multiples of 16: a sixth fewer cycles by count (an 8-wide tile
    /// costs a little over half a 16-wide one); the tall path took 9 %
    /// less time (median of 16 alternated rounds).
    ///
    /// # Safety
    ///
    /// The CPU must have AVX-512F; `b.len() ≥ rows·stride`, `stride` a
    /// multiple of [`PANEL`] with `stride ≥ p`, `q.len() ≥ p·p`.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn upper_gram(
        b: &[f64],
        rows: usize,
        stride: usize,
        p: usize,
        q: &mut [f64],
        (next, lines): (*const u8, usize),
    ) {
        assert!(b.len() >= rows * stride && stride.is_multiple_of(PANEL) && stride >= p);
        assert!(q.len() >= p * p);
        let mut ahead = Prefetch {
            next,
            lines,
            line: 0,
            tick: false,
        };
        let mut i0 = 0;
        while i0 < p {
            let mut j0 = i0;
            while j0 < p {
                // Bounds: i₀ and j₀ are multiples of 8 below p. A 16-wide
                // tile has j₀ ≤ p − 9, so j₀ + 16 ≤ 8·⌈p/8⌉ ≤ stride; an
                // 8-wide one j₀ + 8 ≤ 8·⌈p/8⌉; and i₀ + MR ≤ 8·⌈p/8⌉.
                if p - j0 > 8 {
                    // SAFETY: as above, and the caller's guarantees.
                    unsafe { tile::<2>(b, rows, stride, p, q, (i0, j0), &mut ahead) };
                    j0 += 16;
                } else {
                    // SAFETY: as above, and the caller's guarantees.
                    unsafe { tile::<1>(b, rows, stride, p, q, (i0, j0), &mut ahead) };
                    j0 += 8;
                }
            }
            i0 += MR;
        }
    }

    /// The lines of `next` to fetch into L2 while the tiles are computed,
    /// one every other row.
    struct Prefetch {
        next: *const u8,
        lines: usize,
        /// The next line to prefetch, and whether this row asks for it.
        line: usize,
        tick: bool,
    }

    /// `q[i][j] += Σ_r b[r][i]·b[r][j]` for the tile `i₀ ≤ i < i₀ + 8`,
    /// `j₀ ≤ j < j₀ + 8·W`, on and above the diagonal and below `p`, in
    /// `8·W` accumulator registers: per row of `b`, `W` loads, eight
    /// broadcasts and `8·W` fused multiply-adds.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX-512F; `b.len() ≥ rows·stride`, `i₀ + 8 ≤
    /// stride`, `j₀ + 8·W ≤ stride`, `q.len() ≥ p·p`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn tile<const W: usize>(
        b: &[f64],
        rows: usize,
        stride: usize,
        p: usize,
        q: &mut [f64],
        (i0, j0): (usize, usize),
        ahead: &mut Prefetch,
    ) {
        let base = b.as_ptr();
        let mut acc = [[_mm512_setzero_pd(); W]; MR];
        for r in 0..rows {
            if ahead.line < ahead.lines {
                ahead.tick = !ahead.tick;
                if ahead.tick {
                    // A hint: it reads nothing and cannot fault.
                    _mm_prefetch::<_MM_HINT_T1>(ahead.next.wrapping_add(64 * ahead.line).cast());
                    ahead.line += 1;
                }
            }
            // SAFETY: r < rows, j₀ + 8·W ≤ stride and i₀ + MR ≤ stride:
            // every address is within b[..rows·stride].
            unsafe {
                let row = base.add(r * stride);
                let mut cols = [_mm512_setzero_pd(); W];
                for (w, c) in cols.iter_mut().enumerate() {
                    *c = _mm512_loadu_pd(row.add(j0 + 8 * w));
                }
                for (a, acc) in acc.iter_mut().enumerate() {
                    let x = _mm512_set1_pd(*row.add(i0 + a));
                    for (acc, &c) in acc.iter_mut().zip(&cols) {
                        *acc = _mm512_fmadd_pd(x, c, *acc);
                    }
                }
            }
        }
        let mut values = [0.0f64; 8];
        for (a, acc) in acc.iter().enumerate() {
            let i = i0 + a;
            if i >= p {
                break;
            }
            let row = &mut q[i * p..(i + 1) * p];
            for (w, &acc) in acc.iter().enumerate() {
                // SAFETY: `values` holds 8 values, one store of 8.
                unsafe { _mm512_storeu_pd(values.as_mut_ptr(), acc) };
                for (t, &v) in values.iter().enumerate() {
                    let j = j0 + 8 * w + t;
                    if j >= i && j < p {
                        row[j] += v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::s;

    /// The kernel's upper triangle equals the plain sum of products (when
    /// the CPU has AVX-512; otherwise it declines), for widths that are and
    /// are not multiples of the tile sizes, with and without lines to
    /// prefetch (a few, and more than the rows can ask for).
    #[test]
    fn fast_gram_matches_the_plain_sums() {
        let ahead = vec![1.0f64; 4096];
        let cases = [
            (37usize, 5usize, 0),
            (256, 16, 100),
            (100, 33, 4096),
            (7, 100, 40),
            // Widths at the edge of the padded stride (106 of 112) and
            // just over a multiple of 8.
            (50, 106, 0),
            (9, 9, 0),
            (20, 24, 64),
        ];
        for &(rows, p, next) in &cases {
            let stride = p.div_ceil(PANEL) * PANEL;
            let mut buf = Array2::<f64>::zeros((rows + 3, stride));
            for i in 0..rows + 3 {
                for j in 0..p {
                    buf[[i, j]] = ((i * 31 + j * 17) % 23) as f64 * 0.37 - 3.0 + j as f64 * 0.01;
                }
            }
            let mut gram = Array2::<f64>::from_elem((p, p), 0.5);
            let fast = add_upper_gram_fast(&buf, rows, p, &mut gram, &ahead[..next]);
            #[cfg(target_arch = "x86_64")]
            let has = std::arch::is_x86_feature_detected!("avx512f");
            #[cfg(not(target_arch = "x86_64"))]
            let has = false;
            assert_eq!(fast, has);
            if !fast {
                continue;
            }
            let b = buf.slice(s![..rows, ..p]);
            let want = b.t().dot(&b);
            for i in 0..p {
                for j in 0..p {
                    let got = gram[[i, j]];
                    if j >= i {
                        let w = want[[i, j]] + 0.5;
                        assert!(
                            (got - w).abs() <= 1e-12 * w.abs().max(1.0),
                            "{i},{j}: {got} vs {w}"
                        );
                    } else {
                        assert_eq!(got, 0.5, "below the diagonal is left alone");
                    }
                }
            }
        }
        // f32 always declines.
        let buf = Array2::<f32>::zeros((4, 16));
        let mut gram = Array2::<f32>::zeros((3, 3));
        assert!(!add_upper_gram_fast(&buf, 4, 3, &mut gram, &[]));
    }
}
