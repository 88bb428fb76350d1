//! ElasticNetPath: agreement with scikit-learn's `enet_path`, exact zeros at
//! `alpha_max`, screening that never changes the answer, and `fit` ==
//! path at one alpha.

mod common;

use common::{Spec, assert_kkt, case_data, load_json, objective, vector};
use elasticnet::{ElasticNet, ElasticNetPath, Error, datasets};
use ndarray::{Array1, Array2, Axis};

#[test]
fn paths_match_scikit_learn_enet_path() {
    let reference = load_json("path_reference.json");
    for case in reference["paths"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (x, y) = case_data(case);
        let l1_ratio = case["l1_ratio"].as_f64().unwrap();
        let standardize = case["standardize"].as_bool().unwrap();
        let want_alphas = vector(&case["alphas"]);
        let n_alphas = want_alphas.len();

        // The automatic grid is scikit-learn's.
        let auto = ElasticNetPath::new(l1_ratio)
            .n_alphas(n_alphas)
            .eps(case["eps"].as_f64().unwrap())
            .standardize(standardize)
            .max_iter(1)
            .fit(x.view(), y.view())
            .unwrap();
        for (a, b) in auto.alphas.iter().zip(want_alphas.iter()) {
            assert!((a - b).abs() <= 1e-12 * b, "{name}: grid {a} vs {b}");
        }

        let path = ElasticNetPath::new(l1_ratio)
            .alphas(want_alphas.to_vec())
            .standardize(standardize)
            .tol(1e-14)
            .max_iter(100_000)
            .fit(x.view(), y.view())
            .unwrap();
        let coefs = case["coefs"].as_array().unwrap();
        let intercepts = case["intercepts"].as_array().unwrap();
        let mut worst = 0.0_f64;
        for i in 0..n_alphas {
            assert!(path.converged[i], "{name}: alpha {i} did not converge");
            let want = common::matrix(&coefs[i]);
            let scale = want.iter().fold(1.0_f64, |a, v| a.max(v.abs()));
            for (got, w) in path.coefs.index_axis(Axis(0), i).iter().zip(want.iter()) {
                let e = (got - w).abs() / scale;
                worst = worst.max(e);
                assert!(e <= 1e-6, "{name}: alpha {i}: {got} vs {w}");
            }
            // b = ȳ − x̄ᵀw: a coefficient error e moves it by e·Σ|x̄ⱼ|.
            let b = vector(&intercepts[i]);
            let x_mean_l1 = x.mean_axis(Axis(0)).unwrap().mapv(f64::abs).sum();
            assert!(
                (path.intercepts[[i, 0]] - b[0]).abs() <= 1e-6 * scale * (1.0 + x_mean_l1),
                "{name}: intercept {i}: {} vs {}",
                path.intercepts[[i, 0]],
                b[0]
            );
        }
        eprintln!("{name}: worst coefficient error {worst:.2e}");
    }
}

#[test]
fn alpha_max_is_the_edge_of_the_all_zero_region() {
    let d = datasets::diabetes();
    let wide = datasets::make_regression(30, 90, 6, 0.5, 21);
    for (x, y, standardize) in [
        (&d.x, &d.y, true),
        (&d.x, &d.y, false),
        (&wide.x, &wide.y, false),
    ] {
        for l1_ratio in [1.0, 0.5, 0.1] {
            let grid = ElasticNetPath::new(l1_ratio)
                .n_alphas(2)
                .standardize(standardize)
                .max_iter(1)
                .fit(x.view(), y.view())
                .unwrap();
            let alpha_max = grid.alphas[0];
            let at = ElasticNet::new(alpha_max, l1_ratio)
                .standardize(standardize)
                .fit(x.view(), y.view())
                .unwrap();
            assert!(
                at.model.weight.iter().all(|&w| w == 0.0),
                "at alpha_max: {}",
                at.model.weight
            );
            let below = ElasticNet::new(alpha_max * (1.0 - 1e-6), l1_ratio)
                .standardize(standardize)
                .tol(1e-12)
                .fit(x.view(), y.view())
                .unwrap();
            assert!(
                below.model.weight.iter().any(|&w| w != 0.0),
                "just below alpha_max all coefficients are zero"
            );
            assert_eq!(grid.n_nonzero(0), 0);
        }
    }
}

/// With row weights on wide data (the column-major design, whose
/// correlations at `w = 0` come from the copy of `x`): at the weighted
/// path's `alpha_max` every coefficient is exactly zero, just below it
/// one is not.
#[test]
fn weighted_wide_alpha_max_is_the_edge_of_the_all_zero_region() {
    let wide = datasets::make_regression(30, 90, 6, 0.5, 21);
    let weights = Array1::from_shape_fn(30, |i| 0.5 + (i % 7) as f64 * 0.25);
    for standardize in [false, true] {
        for l1_ratio in [1.0, 0.5] {
            let grid = ElasticNetPath::new(l1_ratio)
                .n_alphas(2)
                .standardize(standardize)
                .max_iter(1)
                .fit_weighted(wide.x.view(), wide.y.view(), weights.view())
                .unwrap();
            let fit = |alpha: f64| {
                ElasticNet::new(alpha, l1_ratio)
                    .standardize(standardize)
                    .tol(1e-12)
                    .fit_weighted(wide.x.view(), wide.y.view(), weights.view())
                    .unwrap()
            };
            let at = fit(grid.alphas[0]);
            assert!(
                at.model.weight.iter().all(|&w| w == 0.0),
                "at alpha_max: {}",
                at.model.weight
            );
            let below = fit(grid.alphas[0] * (1.0 - 1e-6));
            assert!(below.model.weight.iter().any(|&w| w != 0.0));
        }
    }
}

#[test]
fn screening_never_changes_the_answer() {
    let d = datasets::diabetes();
    let wide = datasets::make_regression(40, 150, 8, 1.0, 5);
    for (x, y, standardize) in [(&d.x, &d.y, true), (&wide.x, &wide.y, false)] {
        for l1_ratio in [1.0, 0.5] {
            let base = ElasticNetPath::new(l1_ratio)
                .n_alphas(60)
                .standardize(standardize)
                .tol(1e-12)
                .max_iter(100_000);
            let screened = base.clone().fit(x.view(), y.view()).unwrap();
            let plain = base.screening(false).fit(x.view(), y.view()).unwrap();
            assert_eq!(screened.alphas, plain.alphas);
            for i in 0..screened.len() {
                assert!(screened.converged[i] && plain.converged[i]);
                let spec = Spec {
                    alpha: screened.alphas[i],
                    l1_ratio,
                    fit_intercept: true,
                    standardize,
                    positive: false,
                };
                // Both are certified: their objectives differ by at most the
                // sum of their duality gaps.
                let (a, b) = (screened.model(i), plain.model(i));
                let (la, lb) = (
                    objective(x.view(), y.view(), &a, &spec),
                    objective(x.view(), y.view(), &b, &spec),
                );
                let slack = screened.duality_gaps[i] + plain.duality_gaps[i] + 1e-12 * lb;
                assert!(
                    (la - lb).abs() <= slack,
                    "alpha {i}: objectives {la} vs {lb}"
                );
                assert_kkt(x.view(), y.view(), &a, &spec, 1e-5);
                // Same support.
                for (u, v) in a.weight.iter().zip(b.weight.iter()) {
                    assert_eq!(
                        *u == 0.0,
                        *v == 0.0,
                        "alpha {i}: support differs ({u} vs {v})"
                    );
                }
            }
        }
    }
}

#[test]
fn fit_is_a_path_of_one_alpha() {
    let d = datasets::diabetes();
    for l1_ratio in [1.0, 0.5, 0.0] {
        let fit = ElasticNet::new(0.3, l1_ratio)
            .standardize(true)
            .tol(1e-12)
            .fit(d.x.view(), d.y.view())
            .unwrap();
        let path = ElasticNetPath::new(l1_ratio)
            .alphas(vec![0.3])
            .standardize(true)
            .tol(1e-12)
            .fit(d.x.view(), d.y.view())
            .unwrap();
        let model = path.model(0);
        for (a, b) in fit.model.weight.iter().zip(model.weight.iter()) {
            assert!((a - b).abs() <= 1e-8 * a.abs().max(1.0), "{a} vs {b}");
        }
        assert!((fit.model.bias[0] - model.bias[0]).abs() <= 1e-8 * fit.model.bias[0].abs());
        assert!((fit.duality_gap - path.duality_gaps[0]).abs() <= 1e-8 * fit.objective);
    }
}

#[test]
fn multi_output_path_columns_are_independent() {
    let a = datasets::make_regression(50, 10, 3, 0.5, 1);
    let b = datasets::make_regression(50, 10, 5, 0.5, 2);
    let y = ndarray::concatenate(
        Axis(1),
        &[a.y.view(), a.x.dot(&b.true_coef.unwrap()).view()],
    )
    .unwrap();
    let alphas = vec![1.0, 0.3, 0.1, 0.03];
    let joint = ElasticNetPath::new(0.7)
        .alphas(alphas.clone())
        .tol(1e-12)
        .fit(a.x.view(), y.view())
        .unwrap();
    for l in 0..2 {
        let single = ElasticNetPath::new(0.7)
            .alphas(alphas.clone())
            .tol(1e-12)
            .fit(a.x.view(), y.column(l).insert_axis(Axis(1)))
            .unwrap();
        for i in 0..alphas.len() {
            for j in 0..10 {
                assert!((joint.coefs[[i, j, l]] - single.coefs[[i, j, 0]]).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn bad_path_parameters_are_errors() {
    let d = datasets::diabetes();
    let name = |p: ElasticNetPath| match p.fit(d.x.view(), d.y.view()) {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(name(ElasticNetPath::new(1.5)), "l1_ratio");
    assert_eq!(name(ElasticNetPath::new(1.0).n_alphas(0)), "n_alphas");
    assert_eq!(name(ElasticNetPath::new(1.0).eps(0.0)), "eps");
    assert_eq!(name(ElasticNetPath::new(1.0).eps(2.0)), "eps");
    assert_eq!(
        name(ElasticNetPath::new(1.0).alphas(vec![1.0, -1.0])),
        "alphas"
    );
    assert_eq!(
        name(ElasticNetPath::new(1.0).alphas(vec![f64::NAN])),
        "alphas"
    );
    assert_eq!(name(ElasticNetPath::new(1.0).tol(0.0)), "tol");
    assert_eq!(name(ElasticNetPath::new(1.0).max_iter(0)), "max_iter");
    assert!(matches!(
        ElasticNetPath::new(1.0)
            .alphas(vec![])
            .fit(d.x.view(), d.y.view()),
        Err(Error::EmptyInput { what: "alphas" })
    ));
    let short = Array2::<f64>::zeros((3, 10));
    assert!(matches!(
        ElasticNetPath::new(1.0).fit(short.view(), d.y.view()),
        Err(Error::ShapeMismatch { .. })
    ));
}
