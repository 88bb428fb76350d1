//! ElasticNet: hand-computed solutions, optimality certificates, agreement
//! between solvers, warm starts, and every bad hyper-parameter and input.

mod common;

use common::{Spec, assert_kkt};
use elasticnet::{ElasticNet, Error, LinearModel, Solver, datasets};
use ndarray::{Array2, Axis, array, concatenate};

const SOLVERS: [Solver; 3] = [
    Solver::CoordinateDescent,
    Solver::Fista,
    Solver::GradientDescent,
];

/// scikit-learn's `test_lasso_toy`: x = y = (−1, 0, 1). With the intercept,
/// ‖x‖² = 2 and xᵀy = 2, so w = max(2 − 3α, 0)/2 (m = 3).
#[test]
fn lasso_toy_matches_the_closed_form() {
    let x: Array2<f64> = array![[-1.0], [0.0], [1.0]];
    let y: Array2<f64> = array![[-1.0], [0.0], [1.0]];
    for (alpha, want) in [(1e-8, 1.0), (0.1, 0.85), (0.5, 0.25), (1.0, 0.0)] {
        for solver in SOLVERS {
            let fit = ElasticNet::lasso(alpha)
                .tol(1e-12)
                .max_iter(10_000)
                .solver(solver)
                .fit(x.view(), y.view())
                .unwrap();
            assert!(
                (fit.model.weight[[0, 0]] - want).abs() < 1e-7,
                "{solver:?} α={alpha}: {}",
                fit.model.weight
            );
            assert!(fit.model.bias[0].abs() < 1e-12);
            assert!(fit.converged);
        }
        // Predictions at T = (2, 3, 4) are w·T.
        let fit = ElasticNet::lasso(alpha)
            .tol(1e-12)
            .fit(x.view(), y.view())
            .unwrap();
        let pred = fit.predict(array![[2.0], [3.0], [4.0]].view()).unwrap();
        for (p, t) in pred.iter().zip([2.0, 3.0, 4.0]) {
            assert!((p - want * t).abs() < 1e-7);
        }
    }
}

/// scikit-learn's `test_enet_toy`: α = 0.5, l1_ratio = 0.3 on the same data;
/// in kernel units l1 = 3·0.15 = 0.45, l2 = 3·0.35 = 1.05, so
/// w = (2 − 0.45)/(2 + 1.05) = 1.55/3.05.
#[test]
fn enet_toy_matches_the_closed_form() {
    let x: Array2<f64> = array![[-1.0], [0.0], [1.0]];
    let y: Array2<f64> = array![[-1.0], [0.0], [1.0]];
    for solver in SOLVERS {
        let fit = ElasticNet::new(0.5, 0.3)
            .tol(1e-12)
            .solver(solver)
            .fit(x.view(), y.view())
            .unwrap();
        assert!(
            (fit.model.weight[[0, 0]] - 1.55 / 3.05).abs() < 1e-9,
            "{solver:?}"
        );
        // Objective by hand: 1/(2·3)·2·(1 − w)² + 0.15·w + 0.35/2·w².
        let w = 1.55 / 3.05;
        let objective = (1.0 - w) * (1.0 - w) / 3.0 + 0.15 * w + 0.175 * w * w;
        assert!((fit.objective - objective).abs() < 1e-12, "{solver:?}");
    }
}

/// scikit-learn's `test_lasso_zero`: all-zero data give a zero model.
#[test]
fn zero_data_give_a_zero_model() {
    let x = Array2::<f64>::zeros((3, 2));
    let y = Array2::<f64>::zeros((3, 1));
    for solver in SOLVERS {
        for l1_ratio in [0.0, 0.5, 1.0] {
            let fit = ElasticNet::new(0.1, l1_ratio)
                .solver(solver)
                .fit(x.view(), y.view())
                .unwrap();
            assert!(fit.model.weight.iter().all(|&w| w == 0.0));
            assert_eq!(fit.model.bias[0], 0.0);
            assert!(fit.converged);
            assert_eq!(fit.duality_gap, 0.0);
        }
    }
}

fn standardized_diabetes() -> (Array2<f64>, Array2<f64>) {
    let d = datasets::diabetes();
    let z = elasticnet::StandardScaler::fit(d.x.view())
        .unwrap()
        .transform(d.x.view())
        .unwrap();
    (z, d.y)
}

#[test]
fn all_three_solvers_reach_the_same_objective() {
    let (x, y) = standardized_diabetes();
    let synth = datasets::make_regression(120, 30, 5, 1.0, 3);
    let wide = datasets::make_regression(30, 80, 5, 0.5, 4);
    let problems = [(x.clone(), y.clone()), (synth.x, synth.y), (wide.x, wide.y)];
    for (x, y) in &problems {
        for (alpha, l1_ratio) in [(0.5, 0.5), (0.1, 1.0), (1.0, 0.0), (2.0, 0.9)] {
            let objectives: Vec<f64> = SOLVERS
                .iter()
                .map(|&solver| {
                    let fit = ElasticNet::new(alpha, l1_ratio)
                        .tol(1e-12)
                        .max_iter(1_000_000)
                        .solver(solver)
                        .fit(x.view(), y.view())
                        .unwrap();
                    assert!(
                        fit.converged,
                        "{solver:?} did not converge at α={alpha}, ρ={l1_ratio}"
                    );
                    let spec = Spec {
                        alpha,
                        l1_ratio,
                        fit_intercept: true,
                        standardize: false,
                        positive: false,
                    };
                    assert_kkt(x.view(), y.view(), &fit.model, &spec, 1e-5);
                    fit.objective
                })
                .collect();
            for o in &objectives[1..] {
                assert!(
                    (o - objectives[0]).abs() <= 1e-6 * objectives[0].abs(),
                    "objectives {objectives:?} at α={alpha}, ρ={l1_ratio}"
                );
            }
        }
    }
}

#[test]
fn duality_gap_bounds_the_distance_to_a_tighter_solution() {
    let (x, y) = standardized_diabetes();
    let loose = ElasticNet::new(0.2, 0.7)
        .tol(1e-2)
        .fit(x.view(), y.view())
        .unwrap();
    let tight = ElasticNet::new(0.2, 0.7)
        .tol(1e-13)
        .fit(x.view(), y.view())
        .unwrap();
    let sub = loose.objective - tight.objective;
    assert!(sub >= -1e-9, "the tighter fit is worse");
    assert!(
        loose.duality_gap >= sub - 1e-9,
        "gap {} < suboptimality {sub}",
        loose.duality_gap
    );
    // The stopping rule holds: gap ≤ tol·‖y − ȳ‖²/m.
    let yc = &y - y.mean().unwrap();
    let threshold = 1e-2 * yc.mapv(|v| v * v).sum() / y.nrows() as f64;
    assert!(loose.converged && loose.duality_gap <= threshold);
}

#[test]
fn warm_start_from_the_solution_converges_in_one_sweep() {
    let d = datasets::diabetes();
    for (alpha, l1_ratio) in [(0.5, 1.0), (0.1, 0.5)] {
        let base = ElasticNet::new(alpha, l1_ratio)
            .standardize(true)
            .tol(1e-10);
        let cold = base.clone().fit(d.x.view(), d.y.view()).unwrap();
        assert!(cold.n_iter > 1);
        let warm = base
            .warm_start(&cold.model)
            .fit(d.x.view(), d.y.view())
            .unwrap();
        assert_eq!(warm.n_iter, 1);
        assert!(warm.converged);
        assert!((warm.objective - cold.objective).abs() <= 1e-10 * cold.objective);
    }
}

#[test]
fn max_iter_exhaustion_is_reported_not_an_error() {
    let d = datasets::diabetes();
    let fit = ElasticNet::lasso(0.01)
        .tol(1e-12)
        .max_iter(2)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    assert_eq!(fit.n_iter, 2);
    assert!(!fit.converged);
    assert!(fit.duality_gap > 0.0);
}

#[test]
fn multi_output_columns_are_independent_problems() {
    let a = datasets::make_regression(60, 8, 3, 0.5, 11);
    let b = datasets::make_regression(60, 8, 4, 0.5, 12);
    let y = concatenate(
        Axis(1),
        &[a.y.view(), b.x.dot(&b.true_coef.unwrap()).view()],
    )
    .unwrap();
    let joint = ElasticNet::new(0.3, 0.6)
        .tol(1e-12)
        .fit(a.x.view(), y.view())
        .unwrap();
    let mut objective = 0.0;
    for l in 0..2 {
        let yl = y.column(l).insert_axis(Axis(1));
        let single = ElasticNet::new(0.3, 0.6)
            .tol(1e-12)
            .fit(a.x.view(), yl)
            .unwrap();
        for j in 0..8 {
            assert!((joint.model.weight[[j, l]] - single.model.weight[[j, 0]]).abs() < 1e-9);
        }
        assert!((joint.model.bias[l] - single.model.bias[0]).abs() < 1e-9);
        objective += single.objective;
    }
    assert!((joint.objective - objective).abs() < 1e-9 * objective);
}

#[test]
fn positive_constrains_the_sign_and_satisfies_kkt() {
    let d = datasets::diabetes();
    let spec = Spec {
        alpha: 0.2,
        l1_ratio: 0.8,
        fit_intercept: true,
        standardize: true,
        positive: true,
    };
    for solver in SOLVERS {
        let fit = ElasticNet::new(spec.alpha, spec.l1_ratio)
            .standardize(true)
            .positive(true)
            .tol(1e-12)
            .max_iter(1_000_000)
            .solver(solver)
            .fit(d.x.view(), d.y.view())
            .unwrap();
        assert!(fit.model.weight.iter().all(|&w| w >= 0.0));
        assert!(
            fit.model.weight.iter().any(|&w| w == 0.0),
            "some coefficient should be clipped"
        );
        assert_kkt(d.x.view(), d.y.view(), &fit.model, &spec, 1e-6);
    }
}

#[test]
fn f32_fits_agree_with_f64() {
    let d = datasets::diabetes();
    let f64_fit = ElasticNet::new(0.5, 0.5)
        .standardize(true)
        .tol(1e-10)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    let d32 = d.cast::<f32>();
    let f32_fit = ElasticNet::<f32>::new(0.5, 0.5)
        .standardize(true)
        .tol(1e-6)
        .fit(d32.x.view(), d32.y.view())
        .unwrap();
    assert!(f32_fit.converged);
    // A gap of tol·‖y‖²/m bounds the objective error; coefficients are only
    // determined to about its square root.
    let rel = (f64::from(f32_fit.objective) - f64_fit.objective).abs() / f64_fit.objective;
    assert!(
        rel <= 1e-5,
        "objective {} vs {}",
        f32_fit.objective,
        f64_fit.objective
    );
    for (a, b) in f64_fit.model.weight.iter().zip(f32_fit.model.weight.iter()) {
        assert!(
            (a - f64::from(*b)).abs() <= 1e-2 * (1.0 + a.abs()),
            "{a} vs {b}"
        );
    }
}

// --- every bad hyper-parameter and input -----------------------------------

fn small() -> (Array2<f64>, Array2<f64>) {
    (
        array![[1.0, 2.0], [3.0, 1.0], [0.0, 5.0]],
        array![[1.0], [2.0], [3.0]],
    )
}

fn invalid_parameter(result: elasticnet::Result<elasticnet::Fit>) -> &'static str {
    match result {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn bad_hyper_parameters_name_themselves() {
    let (x, y) = small();
    let fit = |e: ElasticNet| e.fit(x.view(), y.view());
    assert_eq!(invalid_parameter(fit(ElasticNet::new(-1.0, 0.5))), "alpha");
    assert_eq!(
        invalid_parameter(fit(ElasticNet::new(f64::NAN, 0.5))),
        "alpha"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::new(f64::INFINITY, 0.5))),
        "alpha"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::new(1.0, 1.5))),
        "l1_ratio"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::new(1.0, -0.1))),
        "l1_ratio"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::new(1.0, f64::NAN))),
        "l1_ratio"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::lasso(1.0).tol(0.0))),
        "tol"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::lasso(1.0).tol(-1e-4))),
        "tol"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::lasso(1.0).tol(f64::NAN))),
        "tol"
    );
    assert_eq!(
        invalid_parameter(fit(ElasticNet::lasso(1.0).max_iter(0))),
        "max_iter"
    );
    // The boundaries of the ranges are accepted.
    assert!(fit(ElasticNet::new(0.0, 0.0)).is_ok());
    assert!(fit(ElasticNet::new(1.0, 1.0).max_iter(1)).is_ok());
    let msg = fit(ElasticNet::new(1.0, 2.0)).unwrap_err().to_string();
    assert!(msg.contains("l1_ratio") && msg.contains("[0, 1]"), "{msg}");
}

#[test]
fn bad_inputs_are_errors() {
    let (x, y) = small();
    let enet = ElasticNet::new(0.1, 0.5);
    assert!(matches!(
        enet.fit(x.view(), y.slice(ndarray::s![..2, ..])),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut nan_x = x.clone();
    nan_x[[1, 0]] = f64::NAN;
    assert!(matches!(
        enet.fit(nan_x.view(), y.view()),
        Err(Error::NonFinite {
            what: "x",
            row: 1,
            col: 0
        })
    ));
    let mut inf_y = y.clone();
    inf_y[[2, 0]] = f64::INFINITY;
    assert!(matches!(
        enet.fit(x.view(), inf_y.view()),
        Err(Error::NonFinite {
            what: "y",
            row: 2,
            col: 0
        })
    ));
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        enet.fit(empty.view(), Array2::zeros((0, 1)).view()),
        Err(Error::EmptyInput { .. })
    ));
    let no_features = Array2::<f64>::zeros((3, 0));
    assert!(matches!(
        enet.fit(no_features.view(), y.view()),
        Err(Error::EmptyInput { what: "x" })
    ));
    let wrong = LinearModel::<f64>::zeros(3, 1);
    assert!(matches!(
        enet.clone().warm_start(&wrong).fit(x.view(), y.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut nan_model = LinearModel::<f64>::zeros(2, 1);
    nan_model.weight[[0, 0]] = f64::NAN;
    assert!(matches!(
        enet.clone().warm_start(&nan_model).fit(x.view(), y.view()),
        Err(Error::NonFinite { .. })
    ));
    // Predicting with the wrong number of columns.
    let fit = enet.fit(x.view(), y.view()).unwrap();
    assert!(matches!(
        fit.predict(array![[1.0]].view()),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<ElasticNet<f64>>();
    check::<ElasticNet<f32>>();
    check::<elasticnet::Fit<f64>>();
    check::<Solver>();
}
