//! Small dense kernels on contiguous slices, and a Cholesky solve.

use ndarray::{Array1, Array2, ArrayView1};

use crate::Float;

/// Independent partial sums of [`dot`]: enough for the vector adds to
/// overlap (16 `f64` are 4 AVX2 registers, 8 SSE2 ones).
const LANES: usize = 16;

/// Whether this CPU has AVX2 (std caches the answer: a load and a test).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// `aᵀb` over the shorter of the two, with [`LANES`] independent partial
/// sums added pairwise at the end. On CPUs with AVX2 the same code runs
/// compiled for it: the same operations in the same order on wider
/// vectors (no fused multiply-add), so the result is bit for bit the same.
#[inline]
pub(crate) fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    if a.len() >= LANES && has_avx2() {
        // SAFETY: the CPU running this has AVX2 (just detected).
        return unsafe { dot_avx2(a, b) };
    }
    dot_portable(a, b)
}

/// [`dot`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2<F: Float>(a: &[F], b: &[F]) -> F {
    dot_portable(a, b)
}

#[inline(always)]
fn dot_portable<F: Float>(a: &[F], b: &[F]) -> F {
    dot_lanes::<F, LANES>(a, b)
}

/// `aᵀb` over the shorter of the two with `L` independent partial sums,
/// added by [`pairwise_sum`].
#[inline(always)]
pub(crate) fn dot_lanes<F: Float, const L: usize>(a: &[F], b: &[F]) -> F {
    dot_lanes_by::<F, L, false>(a, b)
}

/// [`dot_lanes`], with `FUSED` each product added to its partial sum by a
/// fused multiply-add (`mul_add`: one rounding; slow where the CPU has no
/// FMA).
#[inline(always)]
pub(crate) fn dot_lanes_by<F: Float, const L: usize, const FUSED: bool>(a: &[F], b: &[F]) -> F {
    let add = |acc: F, u: F, v: F| {
        if FUSED {
            u.mul_add(v, acc)
        } else {
            acc + u * v
        }
    };
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (ca, cb) = (a.chunks_exact(L), b.chunks_exact(L));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [F::zero(); L];
    for (u, v) in ca.zip(cb) {
        let u: &[F; L] = u.try_into().expect("chunks_exact");
        let v: &[F; L] = v.try_into().expect("chunks_exact");
        for i in 0..L {
            acc[i] = add(acc[i], u[i], v[i]);
        }
    }
    for (a, (&u, &v)) in acc.iter_mut().zip(ra.iter().zip(rb)) {
        *a = add(*a, u, v);
    }
    pairwise_sum(acc)
}

/// The total of `L` partial sums (`L` a power of two), added pairwise:
/// `acc[i] += acc[i + L/2]`, then the same on the first half, and so on.
#[inline(always)]
pub(crate) fn pairwise_sum<F: Float, const L: usize>(mut acc: [F; L]) -> F {
    const { assert!(L.is_power_of_two()) };
    let mut width = L;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            let upper = acc[i + width];
            acc[i] += upper;
        }
    }
    acc[0]
}

/// `y ← y + alpha·x` (compiled for AVX2 where the CPU has it: the same
/// result).
#[inline]
pub(crate) fn axpy<F: Float>(alpha: F, x: &[F], y: &mut [F]) {
    debug_assert_eq!(x.len(), y.len());
    #[cfg(target_arch = "x86_64")]
    if x.len() >= LANES && has_avx2() {
        // SAFETY: the CPU running this has AVX2 (just detected).
        unsafe { axpy_avx2(alpha, x, y) };
        return;
    }
    axpy_portable(alpha, x, y);
}

/// [`axpy`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn axpy_avx2<F: Float>(alpha: F, x: &[F], y: &mut [F]) {
    axpy_portable(alpha, x, y);
}

#[inline(always)]
fn axpy_portable<F: Float>(alpha: F, x: &[F], y: &mut [F]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// The Cholesky factor `L` (lower triangular, `A = LLᵀ`) of a symmetric
/// positive definite `A` (n × n); `None` if `A` is not (numerically)
/// positive definite.
pub(crate) fn cholesky<F: Float>(a: &Array2<F>) -> Option<Array2<F>> {
    let n = a.nrows();
    let mut l = Array2::<F>::zeros((n, n));
    for j in 0..n {
        // L_jj = sqrt(A_jj − Σ_{k<j} L_jk²)
        let row_j = l.row(j).to_owned();
        let row_j = &row_j.as_slice().expect("standard layout")[..j];
        let d = a[[j, j]] - dot(row_j, row_j);
        if d.is_nan() || d <= F::epsilon() * a[[j, j]].abs() || d <= F::zero() {
            return None;
        }
        let ljj = d.sqrt();
        l[[j, j]] = ljj;
        // L_ij = (A_ij − Σ_{k<j} L_ik L_jk) / L_jj  for i > j
        for i in j + 1..n {
            let s = {
                let li = l.row(i);
                dot(&li.as_slice().expect("standard layout")[..j], row_j)
            };
            l[[i, j]] = (a[[i, j]] - s) / ljj;
        }
    }
    Some(l)
}

/// Solves `LLᵀz = b` given the Cholesky factor `L`: forward substitution
/// `Lu = b`, then back substitution `Lᵀz = u`.
pub(crate) fn cholesky_solve_factored<F: Float>(l: &Array2<F>, b: ArrayView1<F>) -> Array1<F> {
    let n = l.nrows();
    let mut u = b.to_owned();
    for i in 0..n {
        let li = l.row(i);
        let s = dot(
            &li.as_slice().expect("standard layout")[..i],
            &u.as_slice().expect("contiguous")[..i],
        );
        u[i] = (u[i] - s) / l[[i, i]];
    }
    let mut z = u;
    for i in (0..n).rev() {
        let mut s = z[i];
        for k in i + 1..n {
            s -= l[[k, i]] * z[k];
        }
        z[i] = s / l[[i, i]];
    }
    z
}

/// Solves `A·z = b` for symmetric positive definite `A` (n × n) by
/// Cholesky factorisation `A = LLᵀ`; `None` if `A` is not (numerically)
/// positive definite.
pub(crate) fn cholesky_solve<F: Float>(a: &Array2<F>, b: ArrayView1<F>) -> Option<Array1<F>> {
    cholesky(a).map(|l| cholesky_solve_factored(&l, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn dot_and_axpy_match_naive_sums() {
        let a: Vec<f64> = (0..11).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| 3.0 - i as f64).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert_eq!(dot(&a, &b), naive);
        let mut y = b.clone();
        axpy(2.0, &a, &mut y);
        for i in 0..11 {
            assert_eq!(y[i], b[i] + 2.0 * a[i]);
        }
    }

    #[test]
    fn cholesky_solves_a_spd_system() {
        // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], z = [1, −1, 2] → b = A z.
        let a: Array2<f64> = array![[4.0, 2.0, 0.0], [2.0, 5.0, 1.0], [0.0, 1.0, 3.0]];
        let z: Array1<f64> = array![1.0, -1.0, 2.0];
        let b = a.dot(&z);
        let got = cholesky_solve(&a, b.view()).unwrap();
        for i in 0..3 {
            assert!((got[i] - z[i]).abs() < 1e-14);
        }
        // Singular: rank one.
        let s: Array2<f64> = array![[1.0, 1.0], [1.0, 1.0]];
        assert!(cholesky_solve(&s, array![1.0, 1.0].view()).is_none());
    }
}
