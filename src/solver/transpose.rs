//! Copying a block of columns of a row-major matrix into column-major
//! order: `dst[c·m + i] = src[i·p + j₀ + c]`.
//!
//! The dense design of a wide `x` starts with this copy (every column made
//! contiguous for the coordinate updates), and element by element it runs
//! well below memory speed: each value is a separate strided load and
//! store. With AVX2, 4 × 4 tiles of `f64` are transposed in registers —
//! four loads of four values from four rows, four unpacks and four lane
//! permutations, four stores of four values down four columns.

use std::any::TypeId;
use std::mem::MaybeUninit;

use crate::Float;

/// Writes `dst[c·m + i] = src[i·p + j0 + c]` for `i < m`, `c < width`
/// (`src` row-major with `p` columns, `dst` `width` contiguous columns of
/// `m` values) — every one of those `width·m` values, so `dst` may start
/// uninitialized: the `set_len` of `column_major_copy`
/// (`src/solver/problem.rs`) relies on this, and the test below starts
/// from NaN everywhere.
pub(crate) fn copy_columns<F: Float>(
    src: &[F],
    p: usize,
    j0: usize,
    width: usize,
    m: usize,
    dst: &mut [MaybeUninit<F>],
) {
    let fits = |n: Option<usize>, len: usize| n.is_some_and(|n| n <= len);
    assert!(
        fits(j0.checked_add(width), p)
            && fits(m.checked_mul(p), src.len())
            && fits(width.checked_mul(m), dst.len())
    );
    #[cfg(target_arch = "x86_64")]
    {
        if TypeId::of::<F>() == TypeId::of::<f64>() && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `F` is `f64` (same type, same layout), so the slices
            // are reinterpreted as what they are; AVX2 was just detected;
            // the bounds were asserted above and are all the kernel reads
            // and writes.
            unsafe {
                let s = std::slice::from_raw_parts(src.as_ptr().cast::<f64>(), src.len());
                let d = std::slice::from_raw_parts_mut(
                    dst.as_mut_ptr().cast::<MaybeUninit<f64>>(),
                    dst.len(),
                );
                avx2::copy_columns(s, p, j0, width, m, d);
            }
            return;
        }
    }
    copy_columns_portable(src, p, j0, width, m, dst, 0, 0);
}

/// The side of the square tiles of the portable copy.
const TILE: usize = 16;

/// The portable copy, from row `i_start` and column `c_start` on (the
/// vector kernel leaves it the edges): tile by tile, `TILE` rows of
/// `TILE` columns, so that the writes go down each column (a row at a
/// time, they would stride through memory and alias in the cache).
#[allow(clippy::too_many_arguments)]
fn copy_columns_portable<F: Float>(
    src: &[F],
    p: usize,
    j0: usize,
    width: usize,
    m: usize,
    dst: &mut [MaybeUninit<F>],
    i_start: usize,
    c_start: usize,
) {
    if i_start >= m && c_start >= width {
        return;
    }
    for i0 in (0..m).step_by(TILE) {
        let i1 = (i0 + TILE).min(m);
        for c0 in (0..width).step_by(TILE) {
            let c1 = (c0 + TILE).min(width);
            for c in c0..c1 {
                // Only what the caller left: rows from i_start on, or
                // columns from c_start on.
                let lo = if c >= c_start { i0 } else { i0.max(i_start) };
                if lo >= i1 {
                    continue;
                }
                let column = &mut dst[c * m + lo..c * m + i1];
                for (d, i) in column.iter_mut().zip(lo..i1) {
                    d.write(src[i * p + j0 + c]);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        _mm256_loadu_pd, _mm256_permute2f128_pd, _mm256_storeu_pd, _mm256_unpackhi_pd,
        _mm256_unpacklo_pd,
    };
    use std::mem::MaybeUninit;

    /// [`copy_columns`](super::copy_columns) with 4 × 4 register
    /// transposes; the rows and columns past the last multiple of 4 by
    /// the portable copy.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2; `src.len() ≥ m·p`, `j0 + width ≤ p`,
    /// `dst.len() ≥ width·m`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn copy_columns(
        src: &[f64],
        p: usize,
        j0: usize,
        width: usize,
        m: usize,
        dst: &mut [MaybeUninit<f64>],
    ) {
        let (m4, w4) = (m / 4 * 4, width / 4 * 4);
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr().cast::<f64>());
        for i in (0..m4).step_by(4) {
            for c in (0..w4).step_by(4) {
                // SAFETY: rows i..i+4 < m and columns j0+c..j0+c+4 ≤ p are
                // inside src; columns c..c+4 < width, rows i..i+4 < m are
                // inside dst.
                unsafe {
                    let at = s.add(i * p + j0 + c);
                    let r0 = _mm256_loadu_pd(at);
                    let r1 = _mm256_loadu_pd(at.add(p));
                    let r2 = _mm256_loadu_pd(at.add(2 * p));
                    let r3 = _mm256_loadu_pd(at.add(3 * p));
                    // [a0 b0 a2 b2], [a1 b1 a3 b3], [c0 d0 c2 d2], [c1 d1 c3 d3]
                    let t0 = _mm256_unpacklo_pd(r0, r1);
                    let t1 = _mm256_unpackhi_pd(r0, r1);
                    let t2 = _mm256_unpacklo_pd(r2, r3);
                    let t3 = _mm256_unpackhi_pd(r2, r3);
                    let out = d.add(c * m + i);
                    _mm256_storeu_pd(out, _mm256_permute2f128_pd(t0, t2, 0x20));
                    _mm256_storeu_pd(out.add(m), _mm256_permute2f128_pd(t1, t3, 0x20));
                    _mm256_storeu_pd(out.add(2 * m), _mm256_permute2f128_pd(t0, t2, 0x31));
                    _mm256_storeu_pd(out.add(3 * m), _mm256_permute2f128_pd(t1, t3, 0x31));
                }
            }
        }
        super::copy_columns_portable(src, p, j0, width, m, dst, m4, w4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape around the tile sizes (no rows, no columns included),
    /// against the plain definition, starting from NaN everywhere.
    #[test]
    fn copies_every_value_to_its_place() {
        for (m, p) in [
            (0, 5),
            (1, 1),
            (3, 5),
            (4, 4),
            (7, 9),
            (17, 33),
            (20, 8),
            (33, 70),
        ] {
            let src: Vec<f64> = (0..m * p).map(|k| k as f64 * 0.5 - 3.0).collect();
            let src32: Vec<f32> = src.iter().map(|&v| v as f32).collect();
            for (j0, width) in [(0, p), (p / 3, p - p / 3), (p - 1, 1), (p, 0)] {
                let mut dst = vec![MaybeUninit::new(f64::NAN); width * m];
                copy_columns(&src, p, j0, width, m, &mut dst);
                let mut dst32 = vec![MaybeUninit::new(f32::NAN); width * m];
                copy_columns(&src32, p, j0, width, m, &mut dst32);
                // SAFETY: every value was initialized (to NaN) above.
                let (dst, dst32): (Vec<f64>, Vec<f32>) = unsafe {
                    (
                        dst.into_iter().map(|v| v.assume_init()).collect(),
                        dst32.into_iter().map(|v| v.assume_init()).collect(),
                    )
                };
                for c in 0..width {
                    for i in 0..m {
                        assert_eq!(dst[c * m + i], src[i * p + j0 + c], "{m}×{p} j0 {j0}");
                        assert_eq!(dst32[c * m + i], src32[i * p + j0 + c]);
                    }
                }
            }
        }
    }
}
