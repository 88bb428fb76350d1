//! `Q += BᵀB` (upper triangle) for `f64` with AVX-512, when the CPU has it.
//!
//! The Gram matrix of a tall `x` is most of the cost of a fit, and the
//! generic matrix product (matrixmultiply, AVX2 at best) reaches about half
//! the speed of an AVX-512 BLAS on such CPUs. This kernel needs no packing:
//! the chunk `B` (c rows of a zero-padded row-major buffer whose row stride
//! is a multiple of 16) is read in place, and each 8 × 16 tile of `Q` on or
//! above the diagonal is
//!
//! `Q[i₀..i₀+8, j₀..j₀+16] += Σ_r B[r, i₀..i₀+8]ᵀ · B[r, j₀..j₀+16]`,
//!
//! 16 accumulator registers, each row `r` costing two loads, eight
//! broadcasts and sixteen fused multiply-adds. Entries below the diagonal
//! are left alone ([`mirror_upper`](super::problem::mirror_upper)
//! completes `Q`).

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
        __m512d, _MM_HINT_T1, _mm_prefetch, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_set1_pd,
        _mm512_setzero_pd, _mm512_storeu_pd,
    };

    use super::PANEL;

    /// Rows of a tile.
    const MR: usize = 8;

    /// `q[i·p + j] += Σ_r b[r·stride + i]·b[r·stride + j]` for `j ≥ i`,
    /// `i, j < p`, `r < rows`; meanwhile the `lines` 64-byte lines from
    /// `next` are prefetched into L2, one every other row of the tiles.
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
        let base = b.as_ptr();
        // The next line to prefetch, and whether this row asks for it (a
        // row in two does).
        let (mut line, mut tick) = (0, false);
        let mut i0 = 0;
        while i0 < p {
            // i₀ + MR ≤ stride: i₀ is a multiple of MR below p ≤ stride, and
            // MR divides PANEL, which divides stride.
            let mut j0 = i0 / PANEL * PANEL;
            while j0 < p {
                let mut acc: [__m512d; 2 * MR] = [_mm512_setzero_pd(); 2 * MR];
                for r in 0..rows {
                    if line < lines {
                        tick = !tick;
                        if tick {
                            // A hint: it reads nothing and cannot fault.
                            _mm_prefetch::<_MM_HINT_T1>(next.wrapping_add(64 * line).cast());
                            line += 1;
                        }
                    }
                    // SAFETY: r < rows and j₀ + PANEL ≤ stride, i₀ + MR ≤
                    // stride: every address is within b[..rows·stride].
                    unsafe {
                        let row = base.add(r * stride);
                        let lo = _mm512_loadu_pd(row.add(j0));
                        let hi = _mm512_loadu_pd(row.add(j0 + 8));
                        for a in 0..MR {
                            let x = _mm512_set1_pd(*row.add(i0 + a));
                            acc[2 * a] = _mm512_fmadd_pd(x, lo, acc[2 * a]);
                            acc[2 * a + 1] = _mm512_fmadd_pd(x, hi, acc[2 * a + 1]);
                        }
                    }
                }
                let mut tile = [0.0f64; PANEL];
                for a in 0..MR {
                    let i = i0 + a;
                    if i >= p {
                        break;
                    }
                    // SAFETY: `tile` holds PANEL = 16 values, two stores of 8.
                    unsafe {
                        _mm512_storeu_pd(tile.as_mut_ptr(), acc[2 * a]);
                        _mm512_storeu_pd(tile.as_mut_ptr().add(8), acc[2 * a + 1]);
                    }
                    let row = &mut q[i * p..(i + 1) * p];
                    for (t, &v) in tile.iter().enumerate() {
                        let j = j0 + t;
                        if j >= i && j < p {
                            row[j] += v;
                        }
                    }
                }
                j0 += PANEL;
            }
            i0 += MR;
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
