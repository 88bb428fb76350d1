//! Small dense kernels on contiguous slices, and a Cholesky solve.

use ndarray::{Array1, Array2, ArrayView1};

use crate::Float;

/// `aᵀb`, with four independent accumulators so the loop vectorises.
#[inline]
pub(crate) fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [F::zero(); 4];
    let chunks = n / 4;
    for c in 0..chunks {
        let i = 4 * c;
        acc[0] += a[i] * b[i];
        acc[1] += a[i + 1] * b[i + 1];
        acc[2] += a[i + 2] * b[i + 2];
        acc[3] += a[i + 3] * b[i + 3];
    }
    let mut tail = F::zero();
    for i in 4 * chunks..n {
        tail += a[i] * b[i];
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `y ← y + alpha·x`.
#[inline]
pub(crate) fn axpy<F: Float>(alpha: F, x: &[F], y: &mut [F]) {
    debug_assert_eq!(x.len(), y.len());
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
