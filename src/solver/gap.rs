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
use super::features::Projected;
use super::problem::Residual;
use crate::Float;

/// `P(w)` from `‖r‖²`: `½‖r‖² + Σⱼ vⱼ·(l1·|wⱼ| + ½·l2·wⱼ²)` (`w` inside its
/// bounds).
pub(crate) fn primal<F: Float>(w: ArrayView1<F>, r_norm2: F, pen: &Penalty<F>) -> F {
    let half = F::cast(0.5);
    let factor = &pen.features.factor;
    let penalty = w.iter().zip(factor).fold(F::zero(), |acc, (&wj, &v)| {
        if v == F::zero() || wj == F::zero() {
            acc
        } else {
            acc + v * (pen.l1_reg * wj.abs() + half * pen.l2_reg * wj * wj)
        }
    });
    half * r_norm2 + penalty
}

/// The duality gap at `w`, in kernel units (`m ×` the gap of `L`), plus the
/// rounding bound `res.slack` of the residual's norm.
///
/// For a dual point `θ`, `P(w) − D(θ)` with
/// `D(θ) = ỹᵀθ − ½‖θ‖² − Σⱼ gⱼ*(x̃ⱼᵀθ)` bounds `P(w) − P*` from above and is
/// zero exactly at the optimum: it is the solvers' stopping certificate.
/// `gⱼ*` is the convex conjugate of the coordinate's penalty (with its
/// bounds), `gⱼ*(s) = sup_{lo ≤ t ≤ hi} s·t − a|t| − ½b·t²` with
/// `a = vⱼ·l1`, `b = vⱼ·l2` — finite everywhere when `b > 0` or both bounds
/// are finite; otherwise finite only for `s` in `[−a, a]` on the unbounded
/// side(s).
///
/// Two dual points are tried and the smaller gap is returned; both are
/// valid upper bounds on `P(w) − P*`.
///
/// 1. **Fenchel–Young** with `θ = c·θ₀`: `θ₀` is the residual `r = ỹ − X̃w`,
///    projected (see [`Projection`](super::features::Projection)) so that it
///    is orthogonal to every unpenalized column, and `c ∈ (0, 1]` the largest
///    scaling that keeps every `gⱼ*(c·x̃ⱼᵀθ₀)` finite — or, when smaller
///    and better, the largest that also keeps the bounded sides of the
///    penalized coordinates at `|c·x̃ⱼᵀθ₀| ≤ vⱼ·l1`, where `gⱼ*` is finite but
///    grows as `(|s| − vⱼ·l1)·|bound|` (a loose bound of `1` on a coordinate
///    of size `1e-4`, just past its threshold after the projection, would
///    otherwise dominate the gap; F25). The gap is
///
///    `gap = ½‖r‖² + Σⱼ gⱼ(wⱼ) + ½c²‖θ₀‖² − c·ỹᵀθ₀ + Σⱼ gⱼ*(c·x̃ⱼᵀθ₀)`.
///
///    For the lasso this is scikit-learn's gap; when `l2 > 0`, `c = 1` and it
///    splits into non-negative per-coordinate terms
///    `gⱼ(wⱼ) + gⱼ*(zⱼ) − wⱼzⱼ`, which certifies ridge too.
/// 2. **Rescaled residual** (scikit-learn's `_cd_fast.pyx`; only for the
///    classic elastic net — factors 1, no bounds but `positive`): the
///    elastic net is a lasso on the augmented data `[X; √l2·I]`, `[y; 0]`,
///    whose dual feasible set is `‖X̃ᵀθ‖∞ ≤ l1`. With `z = Xᵀr` and
///    `a = z − l2·w`, take `θ = c·r̃` with `c = min(1, l1/‖a‖∞)`:
///
///    `gap = ½‖r‖²(1 + c²) − c·yᵀr + l1‖w‖₁ + ½·l2‖w‖²(1 + c²)`.
///
///    With `positive`, `‖a‖∞` becomes `max(maxⱼ aⱼ, 0)`.
///
/// Without a projection (none needed, or a singular unpenalized block), an
/// unpenalized coordinate with `zⱼ ≠ 0` forces `c = 0` and the gap is
/// `P(w)`: least squares is then certified only by a zero residual.
pub(crate) fn duality_gap<F: Float>(
    w: ArrayView1<F>,
    res: &Residual<F>,
    pen: &Penalty<F>,
    projected: Option<&Projected<F>>,
) -> F {
    let half = F::cast(0.5);
    let features = pen.features;
    let primal_value = primal(w, res.r_norm2, pen);
    let (z, theta_norm2, y_dot_theta) = match projected {
        Some(p) => (&p.z, p.theta_norm2, p.y_dot_theta),
        None => (&res.z, res.r_norm2, res.y_dot_r),
    };
    let skip = |j: usize| projected.is_some_and(|p| p.projected[j]);

    // (1) Fenchel–Young with θ = c·θ₀, for two scalings: `c_open`, the
    // largest that keeps every conjugate finite, and `c_pen ≤ c_open`,
    // which also brings every penalized coordinate's `|c·zⱼ|` down to
    // `vⱼ·l1` on a bounded side, where the conjugate is finite but grows
    // with the bound (`(|s| − a)·|bound|`).
    let mut c_open = F::one();
    let mut c_pen = F::one();
    for (j, &zj) in z.iter().enumerate() {
        if skip(j) {
            continue;
        }
        let v = features.factor[j];
        let (a, b) = (v * pen.l1_reg, v * pen.l2_reg);
        if b > F::zero() {
            continue;
        }
        let (bound, open) = if zj > F::zero() {
            (features.upper[j], features.upper[j] == F::infinity())
        } else {
            (features.lower[j], features.lower[j] == F::neg_infinity())
        };
        if open && zj.abs() * c_open > a {
            c_open = a / zj.abs();
        }
        if (open || a > F::zero()) && bound != F::zero() && zj.abs() * c_pen > a {
            c_pen = a / zj.abs();
        }
    }
    let gap_at = |c: F| {
        let mut conjugates = F::zero();
        for (j, &zj) in z.iter().enumerate() {
            if skip(j) {
                continue;
            }
            let v = features.factor[j];
            conjugates += conjugate(
                c * zj,
                v * pen.l1_reg,
                v * pen.l2_reg,
                features.lower[j],
                features.upper[j],
            );
        }
        primal_value + half * c * c * theta_norm2 - c * y_dot_theta + conjugates
    };
    let mut gap = gap_at(c_open);
    if c_pen < c_open {
        gap = gap.min(gap_at(c_pen));
    }

    // (2) rescaled residual, for the classic elastic net.
    if projected.is_none()
        && let Some((_, rescaled)) = rescaled_residual(w, res, pen)
    {
        gap = gap.min(rescaled);
    }
    gap.max(F::zero()) + res.slack
}

/// The dual scaling `c` and the gap of dual point (2) of [`duality_gap`]
/// (scikit-learn's rescaled residual, without the rounding slack), for the
/// classic elastic net only (factors 1, no bounds but `positive`):
/// `θ = c·(r, −√l2·w)` is feasible for the augmented lasso, which
/// [gap-safe screening](super::cd) needs.
pub(crate) fn rescaled_residual<F: Float>(
    w: ArrayView1<F>,
    res: &Residual<F>,
    pen: &Penalty<F>,
) -> Option<(F, F)> {
    let features = pen.features;
    if !features.classic {
        return None;
    }
    let half = F::cast(0.5);
    let (l1, l2) = (pen.l1_reg, pen.l2_reg);
    let positive = features.lower.iter().all(|&lo| lo == F::zero());
    let (l1norm, l2norm2) = norms(w);
    let mut dual_norm = F::zero();
    for (&zj, &wj) in res.z.iter().zip(w.iter()) {
        let a = zj - l2 * wj;
        let a = if positive { a } else { a.abs() };
        dual_norm = dual_norm.max(a);
    }
    let c = if dual_norm > l1 {
        l1 / dual_norm
    } else {
        F::one()
    };
    let c2 = F::one() + c * c;
    let gap = half * res.r_norm2 * c2 - c * res.y_dot_r + l1 * l1norm + half * l2 * l2norm2 * c2;
    Some((c, gap))
}

/// `g*(s) = sup_{lo ≤ t ≤ hi} s·t − a·|t| − ½·b·t²` for `a, b ≥ 0`,
/// `lo ≤ 0 ≤ hi`: the better of the two half-lines `t ≥ 0` and `t ≤ 0`.
/// On a side with `b = 0` and no bound the supremum is `+∞` when `|s| > a`;
/// callers scale `s` so that this happens at most by rounding, which is
/// ignored (treated as `|s| = a`).
fn conjugate<F: Float>(s: F, a: F, b: F, lo: F, hi: F) -> F {
    let side = |t: F, bound: F| -> F {
        if t <= F::zero() || bound == F::zero() {
            F::zero()
        } else if b > F::zero() {
            let best = (t / b).min(bound);
            t * best - F::cast(0.5) * b * best * best
        } else if bound.is_finite() {
            t * bound
        } else {
            F::zero()
        }
    };
    side(s - a, hi).max(side(-s - a, -lo))
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
    use crate::solver::features::FeaturePenalty;
    use ndarray::array;

    /// One feature, x = (1, 1), y = (1, 1): P(w) = ½·2(1 − w)² + v·(l1|w| + ½l2w²),
    /// minimised over [lo, hi] at w* = clip((2 − v·l1)/(2 + v·l2), lo, hi)
    /// for v·l1 < 2.
    fn residual(w: f64) -> Residual<f64> {
        let r = [1.0 - w, 1.0 - w];
        Residual {
            z: array![r[0] + r[1]],
            r_norm2: r[0] * r[0] + r[1] * r[1],
            y_dot_r: r[0] + r[1],
            r: None,
            slack: 0.0,
        }
    }

    #[test]
    fn gap_is_zero_at_the_optimum_and_bounds_suboptimality() {
        for (v, lo, hi) in [
            (1.0, f64::NEG_INFINITY, f64::INFINITY),
            (0.5, f64::NEG_INFINITY, f64::INFINITY),
            (1.0, 0.0, 0.3),
            (2.0, -1.0, 0.2),
            (1.0, 0.0, f64::INFINITY),
        ] {
            let features = FeaturePenalty::from_kernel(array![v], array![lo], array![hi]);
            for (l1, l2) in [(0.5, 0.0), (0.5, 1.0), (0.0, 1.0), (0.7, 0.3)] {
                let pen = Penalty {
                    l1_reg: l1,
                    l2_reg: l2,
                    features: &features,
                };
                let w_star = ((2.0 - v * l1) / (2.0 + v * l2)).clamp(lo, hi);
                let p_star = primal(array![w_star].view(), residual(w_star).r_norm2, &pen);
                let gap = duality_gap(array![w_star].view(), &residual(w_star), &pen, None);
                assert!(
                    gap.abs() < 1e-12,
                    "gap {gap} at the optimum for v {v}, [{lo}, {hi}], {l1}, {l2}"
                );
                for w in [0.0, 0.2, w_star + 0.1, w_star - 0.3] {
                    if w < lo || w > hi {
                        continue;
                    }
                    let res = residual(w);
                    let sub = primal(array![w].view(), res.r_norm2, &pen) - p_star;
                    let gap = duality_gap(array![w].view(), &res, &pen, None);
                    assert!(
                        gap >= sub - 1e-12,
                        "gap {gap} < suboptimality {sub} at w = {w}"
                    );
                }
            }
        }
    }

    /// A loose finite bound must not inflate the gap of a point just past
    /// its threshold (F25): at `w = 0` with `z = 2` and `l1 = 2(1 − 1e-12)`
    /// the optimum is `w* = 1e-12` and `P(0) − P* = 1e-24`, but with `c = 1`
    /// the conjugate pays `(z − l1)·hi = 2e-12·1e12 = 2`; scaling `c` down
    /// to `l1/z` certifies `w = 0` to the rounding of `P`.
    #[test]
    fn a_loose_bound_does_not_inflate_the_gap_at_the_threshold() {
        let features =
            FeaturePenalty::from_kernel(array![1.0], array![f64::NEG_INFINITY], array![1e12]);
        let pen = Penalty {
            l1_reg: 2.0 * (1.0 - 1e-12),
            l2_reg: 0.0,
            features: &features,
        };
        let gap = duality_gap(array![0.0].view(), &residual(0.0), &pen, None);
        assert!((0.0..1e-10).contains(&gap), "gap {gap}");
    }
}
