//! The primal objective and the duality gap of the kernel problem.
//!
//! The kernel problem (one target column, see [`Problem`](super::problem::Problem)) is
//!
//! `P(w) = ½‖y − Xw‖² + l1·‖w‖₁ + ½·l2·‖w‖²`   (plus `w ≥ 0` when positive).
//!
//! Its duality gap `P(w) − D(θ)` for a dual point `θ` built from the
//! residual `r = y − Xw` bounds the suboptimality `P(w) − P*` from above, and
//! is zero exactly at the optimum: it is the solvers' stopping certificate.

use ndarray::ArrayView1;

use super::Penalty;
use super::problem::Residual;
use crate::Float;

/// `P(w)` from `‖r‖²`.
pub(crate) fn primal<F: Float>(w: ArrayView1<F>, r_norm2: F, pen: &Penalty<F>) -> F {
    let (l1norm, l2norm2) = norms(w);
    F::cast(0.5) * r_norm2 + pen.l1_reg * l1norm + F::cast(0.5) * pen.l2_reg * l2norm2
}

/// The duality gap at `w`, in kernel units (`m ×` the gap of `L`).
///
/// Two dual points are tried and the smaller gap is returned; both are valid
/// upper bounds on `P(w) − P*`.
///
/// 1. **Rescaled residual** (scikit-learn's `_cd_fast.pyx`): the elastic net
///    is a lasso on the augmented data `[X; √l2·I]`, `[y; 0]`, whose dual
///    feasible set is `‖X̃ᵀθ‖∞ ≤ l1`. With `z = Xᵀr` and
///    `a = z − l2·w` (the augmented correlations), take `θ = c·r̃` with
///    `c = min(1, l1/‖a‖∞)`:
///
///    `gap = ½‖r‖²(1 + c²) − c·yᵀr + l1‖w‖₁ + ½·l2‖w‖²(1 + c²)`.
///
///    With `positive`, `‖a‖∞` becomes `max(maxⱼ aⱼ, 0)`.
/// 2. **Fenchel–Young** (when `l2 > 0`): with `θ = r` the dual is smooth and
///    the gap splits into non-negative per-coordinate terms
///
///    `gap = Σⱼ [ l1|wⱼ| + ½·l2·wⱼ² − wⱼzⱼ + (|zⱼ| − l1)₊² / (2·l2) ]`
///
///    (`(zⱼ − l1)₊` with `positive`). Unlike (1), this one certifies ridge
///    (`l1 = 0`), where (1) degenerates to `gap = P(w)`.
///
/// For `l1 = l2 = 0` (least squares) neither applies and the gap is `P(w)`
/// unless the residual is orthogonal to every column.
pub(crate) fn duality_gap<F: Float>(w: ArrayView1<F>, res: &Residual<F>, pen: &Penalty<F>) -> F {
    let half = F::cast(0.5);
    let (l1norm, l2norm2) = norms(w);
    let l1 = pen.l1_reg;
    let l2 = pen.l2_reg;

    // (1) rescaled residual.
    let mut dual_norm = F::zero();
    for (&zj, &wj) in res.z.iter().zip(w.iter()) {
        let a = zj - l2 * wj;
        let a = if pen.positive { a } else { a.abs() };
        dual_norm = dual_norm.max(a);
    }
    let c = if dual_norm > l1 {
        l1 / dual_norm
    } else {
        F::one()
    };
    let c2 = F::one() + c * c;
    let gap_rescaled =
        half * res.r_norm2 * c2 - c * res.y_dot_r + l1 * l1norm + half * l2 * l2norm2 * c2;

    // (2) Fenchel–Young, when the dual is smooth.
    let mut gap = gap_rescaled;
    if l2 > F::zero() {
        let mut fy = F::zero();
        for (&zj, &wj) in res.z.iter().zip(w.iter()) {
            let zz = if pen.positive { zj } else { zj.abs() };
            let excess = (zz - l1).max(F::zero());
            fy += l1 * wj.abs() + half * l2 * wj * wj - wj * zj + excess * excess / (l2 + l2);
        }
        gap = gap.min(fy);
    }
    gap.max(F::zero())
}

/// `(‖w‖₁, ‖w‖²)`.
fn norms<F: Float>(w: ArrayView1<F>) -> (F, F) {
    w.iter().fold((F::zero(), F::zero()), |(a, b), &v| {
        (a + v.abs(), b + v * v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// One feature, x = (1, 1), y = (1, 1): P(w) = ½·2(1 − w)² + l1|w| + ½l2w²,
    /// minimised at w* = (2 − l1)/(2 + l2) for l1 < 2.
    fn residual(w: f64) -> Residual<f64> {
        let r = [1.0 - w, 1.0 - w];
        Residual {
            z: array![r[0] + r[1]],
            r_norm2: r[0] * r[0] + r[1] * r[1],
            y_dot_r: r[0] + r[1],
            r: None,
        }
    }

    #[test]
    fn gap_is_zero_at_the_optimum_and_bounds_suboptimality() {
        for (l1, l2) in [(0.5, 0.0), (0.5, 1.0), (0.0, 1.0), (1.5, 0.3)] {
            let pen = Penalty {
                l1_reg: l1,
                l2_reg: l2,
                positive: false,
            };
            let w_star = (2.0 - l1) / (2.0 + l2);
            let p_star = primal(array![w_star].view(), residual(w_star).r_norm2, &pen);
            let gap = duality_gap(array![w_star].view(), &residual(w_star), &pen);
            assert!(gap.abs() < 1e-12, "gap {gap} at the optimum for {l1}, {l2}");
            for w in [0.0, 0.2, w_star + 0.1, -0.3] {
                let res = residual(w);
                let sub = primal(array![w].view(), res.r_norm2, &pen) - p_star;
                let gap = duality_gap(array![w].view(), &res, &pen);
                assert!(
                    gap >= sub - 1e-12,
                    "gap {gap} < suboptimality {sub} at w = {w}"
                );
            }
        }
    }
}
