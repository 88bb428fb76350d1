//! Gradients of [`ElasticLoss`] and [`LinearModel::backward`] against central
//! finite differences of the loss itself, in `f64` and `f32`, for one and for
//! several outputs; the subgradient at `w = 0`; and one loss worked out by
//! hand.
//!
//! The data term is quadratic in `(W, b, ŷ)` and the penalty is linear plus
//! quadratic away from the L1 kink, so a central difference is exact up to
//! rounding: the tolerances only have to absorb floating-point error.

use approx::assert_relative_eq;
use elasticnet::{ElasticLoss, Float, LinearModel};
use ndarray::{Array1, Array2, array};
use proptest::prelude::*;

/// One random problem: `x` (m × p), `y` (m × k), weights with
/// `|w| ∈ [0.1, 1]` (away from the kink), bias, penalties.
#[derive(Debug, Clone)]
struct Case {
    m: usize,
    p: usize,
    k: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    w: Vec<f64>,
    b: Vec<f64>,
    l1: f64,
    l2: f64,
}

fn case(k: usize) -> impl Strategy<Value = Case> {
    (1usize..=6, 1usize..=4).prop_flat_map(move |(m, p)| {
        (
            prop::collection::vec(-1.0..1.0f64, m * p),
            prop::collection::vec(-1.0..1.0f64, m * k),
            prop::collection::vec((0.1..1.0f64, any::<bool>()), p * k),
            prop::collection::vec(-1.0..1.0f64, k),
            0.0..1.0f64,
            0.0..1.0f64,
        )
            .prop_map(move |(x, y, w, b, l1, l2)| Case {
                m,
                p,
                k,
                x,
                y,
                w: w.into_iter()
                    .map(|(a, neg)| if neg { -a } else { a })
                    .collect(),
                b,
                l1,
                l2,
            })
    })
}

/// Tolerances of one float type: finite-difference step, absolute and
/// relative tolerance.
#[derive(Clone, Copy)]
struct Tol {
    h: f64,
    eps: f64,
    rel: f64,
}

const TOL_F64: Tol = Tol {
    h: 1e-4,
    eps: 1e-6,
    rel: 1e-6,
};
const TOL_F32: Tol = Tol {
    h: 1e-2,
    eps: 5e-3,
    rel: 1e-2,
};

fn mat<F: Float>(rows: usize, cols: usize, v: &[f64]) -> Array2<F> {
    Array2::from_shape_vec((rows, cols), v.iter().map(|&a| F::cast(a)).collect()).unwrap()
}

/// Central differences of `f` at `at`, one coordinate at a time, computed in
/// `F`; the step actually taken (`(a + h) − (a − h)` after rounding) is the
/// denominator.
fn central_diff<F: Float>(at: &[F], h: F, f: impl Fn(&[F]) -> F) -> Vec<f64> {
    let mut v = at.to_vec();
    (0..v.len())
        .map(|i| {
            let orig = v[i];
            let (plus, minus) = (orig + h, orig - h);
            v[i] = plus;
            let f_plus = f(&v);
            v[i] = minus;
            let f_minus = f(&v);
            v[i] = orig;
            (f_plus - f_minus).to_f64() / (plus - minus).to_f64()
        })
        .collect()
}

fn assert_close(
    what: &str,
    analytic: impl IntoIterator<Item = f64>,
    numeric: &[f64],
    tol: Tol,
) -> Result<(), TestCaseError> {
    let analytic: Vec<f64> = analytic.into_iter().collect();
    prop_assert_eq!(analytic.len(), numeric.len(), "{}: lengths differ", what);
    for (i, (&a, &n)) in analytic.iter().zip(numeric).enumerate() {
        prop_assert!(
            approx::relative_eq!(a, n, epsilon = tol.eps, max_relative = tol.rel),
            "{what}[{i}]: analytic {a} vs finite difference {n}"
        );
    }
    Ok(())
}

fn to_f64s<F: Float>(a: impl IntoIterator<Item = F>) -> Vec<f64> {
    a.into_iter().map(Float::to_f64).collect()
}

/// Every gradient check on one case, in float type `F`.
fn check_gradients<F: Float>(c: &Case, tol: Tol) -> Result<(), TestCaseError> {
    let x: Array2<F> = mat(c.m, c.p, &c.x);
    let y: Array2<F> = mat(c.m, c.k, &c.y);
    let w: Array2<F> = mat(c.p, c.k, &c.w);
    let b: Array1<F> = c.b.iter().map(|&v| F::cast(v)).collect();
    let loss = ElasticLoss::new(F::cast(c.l1), F::cast(c.l2)).unwrap();
    let plain = ElasticLoss::new(F::zero(), F::zero()).unwrap();
    let h = F::cast(tol.h);
    let model = LinearModel::from_parameters(w.clone(), b.clone());
    let y_hat = model.forward(x.view());

    // ∂L/∂ŷ: grad_output against the loss as a function of the predictions.
    let g_out = loss.grad_output(y.view(), y_hat.view());
    prop_assert_eq!(g_out.dim(), (c.m, c.k));
    let numeric = central_diff(y_hat.as_slice().unwrap(), h, |v| {
        loss.value(y.view(), mat_of(c.m, c.k, v).view(), w.view())
    });
    assert_close("grad_output", to_f64s(g_out.iter().copied()), &numeric, tol)?;

    // backward(x, grad_output): the gradient of the data term wrt W and b.
    let mut back = model.clone();
    back.backward(x.view(), g_out.view());
    let data_w = central_diff(w.as_slice().unwrap(), h, |v| {
        let m = LinearModel::from_parameters(mat_of(c.p, c.k, v), b.clone());
        plain.value(y.view(), m.forward(x.view()).view(), m.weight.view())
    });
    assert_close(
        "weight_grad",
        to_f64s(back.weight_grad.iter().copied()),
        &data_w,
        tol,
    )?;
    let data_b = central_diff(b.as_slice().unwrap(), h, |v| {
        let m = LinearModel::from_parameters(w.clone(), Array1::from(v.to_vec()));
        plain.value(y.view(), m.forward(x.view()).view(), m.weight.view())
    });
    assert_close(
        "bias_grad",
        to_f64s(back.bias_grad.iter().copied()),
        &data_b,
        tol,
    )?;

    // grad_penalty against the penalty alone (y_pred = y_true: no data term).
    let g_pen = loss.grad_penalty(w.view());
    let pen_w = central_diff(w.as_slice().unwrap(), h, |v| {
        loss.value(y.view(), y.view(), mat_of(c.p, c.k, v).view())
    });
    assert_close("grad_penalty", to_f64s(g_pen.iter().copied()), &pen_w, tol)?;

    // The full gradient of `value` wrt W and b:
    // ∂L/∂W = xᵀ·grad_output + grad_penalty, ∂L/∂b = column sums of grad_output.
    let full_w_analytic = x.t().dot(&g_out) + &g_pen;
    let full_w = central_diff(w.as_slice().unwrap(), h, |v| {
        let m = LinearModel::from_parameters(mat_of(c.p, c.k, v), b.clone());
        loss.value(y.view(), m.forward(x.view()).view(), m.weight.view())
    });
    assert_close(
        "dL/dW",
        to_f64s(full_w_analytic.iter().copied()),
        &full_w,
        tol,
    )?;
    let full_b = central_diff(b.as_slice().unwrap(), h, |v| {
        let m = LinearModel::from_parameters(w.clone(), Array1::from(v.to_vec()));
        loss.value(y.view(), m.forward(x.view()).view(), m.weight.view())
    });
    assert_close(
        "dL/db",
        to_f64s(back.bias_grad.iter().copied()),
        &full_b,
        tol,
    )?;
    Ok(())
}

/// Every entry of `a` (in logical order) within `1e-15` of `expected`.
fn all_close<D: ndarray::Dimension>(a: &ndarray::Array<f64, D>, expected: &[f64]) {
    let got: Vec<f64> = a.iter().copied().collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(expected) {
        assert_relative_eq!(*g, *e, epsilon = 1e-15);
    }
}

fn mat_of<F: Float>(rows: usize, cols: usize, v: &[F]) -> Array2<F> {
    Array2::from_shape_vec((rows, cols), v.to_vec()).unwrap()
}

/// At coordinates where `w = 0`: `grad_penalty` is `λ₂·0 + λ₁·sign(0) = 0`,
/// which lies in the subdifferential `[−λ₁, λ₁]`, and the one-sided
/// difference quotients of the penalty are `+λ₁` (right) and `−λ₁` (left),
/// up to the `λ₂·h/2` of the quadratic term.
fn check_subgradient_at_zero<F: Float>(
    c: &Case,
    zeros: &[bool],
    tol: Tol,
) -> Result<(), TestCaseError> {
    let mut wv = c.w.clone();
    for (w, &z) in wv.iter_mut().zip(zeros) {
        if z {
            *w = 0.0;
        }
    }
    let w: Array2<F> = mat(c.p, c.k, &wv);
    let y: Array2<F> = mat(1, 1, &[0.0]);
    let loss = ElasticLoss::new(F::cast(c.l1), F::cast(c.l2)).unwrap();
    let penalty = |w: &Array2<F>| loss.value(y.view(), y.view(), w.view());
    let g = loss.grad_penalty(w.view());
    let h = F::cast(tol.h);
    let l1 = F::cast(c.l1).to_f64();
    for (i, &z) in zeros.iter().enumerate() {
        if !z {
            continue;
        }
        let (r, col) = (i / c.k, i % c.k);
        prop_assert_eq!(g[[r, col]], F::zero(), "grad_penalty at w = 0");
        prop_assert!(g[[r, col]].to_f64().abs() <= l1);
        let base = penalty(&w);
        let mut wp = w.clone();
        wp[[r, col]] = h;
        let right = (penalty(&wp) - base).to_f64() / h.to_f64();
        let mut wm = w.clone();
        wm[[r, col]] = -h;
        let left = (base - penalty(&wm)).to_f64() / h.to_f64();
        // The quadratic part adds ±λ₂·h/2 to the quotients.
        let slack = tol.eps + c.l2 * tol.h;
        prop_assert!(
            approx::relative_eq!(right, l1, epsilon = slack, max_relative = tol.rel),
            "right quotient {right} vs λ₁ = {l1}"
        );
        prop_assert!(
            approx::relative_eq!(left, -l1, epsilon = slack, max_relative = tol.rel),
            "left quotient {left} vs −λ₁ = {}",
            -l1
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn gradients_match_finite_differences_f64_one_output(c in case(1)) {
        check_gradients::<f64>(&c, TOL_F64)?;
    }

    #[test]
    fn gradients_match_finite_differences_f64_three_outputs(c in case(3)) {
        check_gradients::<f64>(&c, TOL_F64)?;
    }

    #[test]
    fn gradients_match_finite_differences_f32_one_output(c in case(1)) {
        check_gradients::<f32>(&c, TOL_F32)?;
    }

    #[test]
    fn gradients_match_finite_differences_f32_three_outputs(c in case(3)) {
        check_gradients::<f32>(&c, TOL_F32)?;
    }

    #[test]
    fn subgradient_at_zero_f64(
        c in case(3),
        zeros in prop::collection::vec(any::<bool>(), 12),
    ) {
        let zeros = &zeros[..c.p * c.k];
        check_subgradient_at_zero::<f64>(&c, zeros, Tol { h: 1e-6, ..TOL_F64 })?;
    }

    #[test]
    fn subgradient_at_zero_f32(
        c in case(1),
        zeros in prop::collection::vec(any::<bool>(), 4),
    ) {
        let zeros = &zeros[..c.p * c.k];
        check_subgradient_at_zero::<f32>(&c, zeros, TOL_F32)?;
    }
}

/// A 3-point, 2-feature example worked out by hand with exact rationals.
///
/// ```text
/// x = [[1, 2], [0, 1], [2, 0]],  W = [1.5, −0.5]ᵀ,  b = 0.5,  y = [2, 0, 3]
/// ŷ = xW + b = [1.5 − 1 + 0.5, −0.5 + 0.5, 3 + 0.5] = [1, 0, 3.5]
/// y − ŷ = [1, 0, −0.5];  Σ(y − ŷ)² = 1 + 0 + 1/4 = 5/4
/// data term = 1/(2·3) · 5/4 = 5/24
/// λ₁ = 1/4:  λ₁·Σ|W| = 1/4 · (3/2 + 1/2) = 1/2 = 12/24
/// λ₂ = 1/2:  λ₂/2·ΣW² = 1/4 · (9/4 + 1/4) = 5/8 = 15/24
/// L = (5 + 12 + 15)/24 = 32/24 = 4/3
///
/// grad_output = (ŷ − y)/3 = [−1/3, 0, 1/6]
/// xᵀ·G = [1·(−1/3) + 0·0 + 2·(1/6), 2·(−1/3) + 1·0 + 0·(1/6)] = [0, −2/3]
/// grad_penalty = λ₁·sign(W) + λ₂·W = [1/4 + 3/4, −1/4 − 1/4] = [1, −1/2]
/// ∂L/∂W = [1, −2/3 − 1/2] = [1, −7/6];  ∂L/∂b = −1/3 + 0 + 1/6 = −1/6
/// ```
#[test]
fn three_point_loss_by_hand() {
    let x = array![[1.0, 2.0], [0.0, 1.0], [2.0, 0.0]];
    let y = array![[2.0], [0.0], [3.0]];
    let mut model = LinearModel::from_parameters(array![[1.5], [-0.5]], array![0.5]);
    let loss = ElasticLoss::new(0.25, 0.5).unwrap();

    let y_hat = model.forward(x.view());
    assert_eq!(y_hat, array![[1.0], [0.0], [3.5]]);
    let value = loss.value(y.view(), y_hat.view(), model.weight.view());
    assert_relative_eq!(value, 4.0 / 3.0, max_relative = 1e-15);

    let g = loss.grad_output(y.view(), y_hat.view());
    all_close(&g, &[-1.0 / 3.0, 0.0, 1.0 / 6.0]);
    model.backward(x.view(), g.view());
    all_close(&model.weight_grad, &[0.0, -2.0 / 3.0]);
    all_close(&model.bias_grad, &[-1.0 / 6.0]);
    let g_pen = loss.grad_penalty(model.weight.view());
    assert_eq!(g_pen, array![[1.0], [-0.5]]);
    all_close(&(&model.weight_grad + &g_pen), &[1.0, -7.0 / 6.0]);

    // step(lr): W − lr·weight_grad, b − lr·bias_grad (data gradient only).
    model.step(0.5);
    all_close(&model.weight, &[1.5, -0.5 + 1.0 / 3.0]);
    all_close(&model.bias, &[0.5 + 1.0 / 12.0]);
}

/// Several outputs add up: the loss of a 2-output problem is the sum of the
/// two 1-output losses, each with its own column of W.
///
/// ```text
/// y = [[1, 0], [3, −2]], ŷ = [[0, 0], [1, 1]], W = [[2, −1]], λ₁ = 1, λ₂ = 2
/// column 1: (1² + 2²)/(2·2) + 1·2 + 2/2·4 = 5/4 + 2 + 4 = 29/4
/// column 2: (0² + 3²)/(2·2) + 1·1 + 2/2·1 = 9/4 + 1 + 1 = 17/4
/// total 46/4 = 23/2
/// ```
#[test]
fn multi_output_loss_is_the_sum_of_columns() {
    let y = array![[1.0, 0.0], [3.0, -2.0]];
    let y_hat = array![[0.0, 0.0], [1.0, 1.0]];
    let w = array![[2.0, -1.0]];
    let loss = ElasticLoss::new(1.0, 2.0).unwrap();
    assert_eq!(loss.value(y.view(), y_hat.view(), w.view()), 23.0 / 2.0);
    let col = |j: usize| {
        loss.value(
            y.column(j).insert_axis(ndarray::Axis(1)),
            y_hat.column(j).insert_axis(ndarray::Axis(1)),
            w.column(j).insert_axis(ndarray::Axis(1)),
        )
    };
    assert_eq!(col(0), 29.0 / 4.0);
    assert_eq!(col(1), 17.0 / 4.0);
}

/// `from_alpha` is `λ₁ = alpha·l1_ratio`, `λ₂ = alpha·(1 − l1_ratio)`, and the
/// end points are the pure Lasso and the pure Ridge.
#[test]
fn from_alpha_maps_to_l1_l2() {
    let loss = ElasticLoss::from_alpha(0.5, 0.25).unwrap();
    assert_eq!((loss.l1, loss.l2), (0.125, 0.375));
    let lasso = ElasticLoss::from_alpha(3.0, 1.0).unwrap();
    assert_eq!((lasso.l1, lasso.l2), (3.0, 0.0));
    let ridge = ElasticLoss::<f32>::from_alpha(3.0, 0.0).unwrap();
    assert_eq!((ridge.l1, ridge.l2), (0.0, 3.0));
}

/// The prox is soft-thresholding by `lr·λ₁`, and it is the minimiser of
/// `½(v − w)² + lr·λ₁|v|`: check it against a fine grid search.
#[test]
fn prox_is_soft_thresholding() {
    let loss = ElasticLoss::new(0.6, 5.0).unwrap();
    let lr = 0.5; // threshold 0.3 (λ₂ plays no part)
    let mut w: Array2<f64> = array![[1.0, -1.0], [0.3, -0.3], [0.29, 0.0], [-2.5, 0.31]];
    let before = w.clone();
    loss.prox(&mut w, lr);
    let t: f64 = 0.3;
    for (&a, &p) in before.iter().zip(w.iter()) {
        let expected = if a.abs() <= t {
            0.0
        } else {
            a - t * a.signum()
        };
        assert_relative_eq!(p, expected, epsilon = 1e-15);
        // grid search for argmin ½(v − a)² + t|v| on a 1e-4 grid
        let best = (-40_000..=40_000)
            .map(|i| f64::from(i) * 1e-4)
            .min_by(|u, v| {
                let f = |v: f64| 0.5 * (v - a) * (v - a) + t * v.abs();
                f(*u).total_cmp(&f(*v))
            })
            .unwrap();
        assert!(
            (best - p).abs() <= 1e-4,
            "prox({a}) = {p}, grid minimiser {best}"
        );
    }
    assert_eq!(w[[2, 0]], 0.0);
    assert_eq!(w[[1, 0]], 0.0);
    assert_eq!(w[[1, 1]], 0.0);
}
