//! ElasticNetCv: agreement with a direct fold-by-fold computation and with
//! the scikit-learn reference, the one-standard-error rule, determinism.

mod common;

use common::{load_json, matrix, vector};
use elasticnet::{ElasticNet, ElasticNetCv, ElasticNetPath, Error, StandardScaler, datasets};
use ndarray::{Array2, Axis};

fn fold_ids(reference: &serde_json::Value) -> Vec<usize> {
    reference["fold_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn cv_matches_the_scikit_learn_reference() {
    let reference = load_json("cv_reference.json");
    let d = datasets::diabetes();
    let cv = ElasticNetCv::new()
        .l1_ratios(vec![reference["l1_ratio"].as_f64().unwrap()])
        .n_alphas(reference["alphas"].as_array().unwrap().len())
        .eps(reference["eps"].as_f64().unwrap())
        .standardize(true)
        .fold_ids(fold_ids(&reference))
        .tol(1e-12)
        .max_iter(100_000)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    let alphas = vector(&reference["alphas"]);
    for (a, b) in cv.alphas.row(0).iter().zip(alphas.iter()) {
        assert!((a - b).abs() <= 1e-12 * b, "grid {a} vs {b}");
    }
    let mse = matrix(&reference["mse"]); // n_alphas × n_folds
    for ((a, f), want) in mse.indexed_iter() {
        let got = cv.mse_folds[[0, a, f]];
        // Held-out errors move to first order with the coefficients, which
        // a gap of tol·‖y‖²/m fixes to about sqrt(tol).
        assert!(
            (got - want).abs() <= 1e-6 * want,
            "mse[{a}, {f}]: {got} vs {want}"
        );
    }
    for (got, want) in cv
        .mse_mean
        .row(0)
        .iter()
        .zip(vector(&reference["mse_mean"]).iter())
    {
        assert!((got - want).abs() <= 1e-6 * want);
    }
    for (got, want) in cv
        .mse_se
        .row(0)
        .iter()
        .zip(vector(&reference["mse_se"]).iter())
    {
        assert!((got - want).abs() <= 1e-6 * want);
    }
    assert!(
        (cv.alpha_min - reference["alpha_min"].as_f64().unwrap()).abs() <= 1e-12 * cv.alpha_min
    );
    assert!(
        (cv.alpha_1se - reference["alpha_1se"].as_f64().unwrap()).abs() <= 1e-12 * cv.alpha_1se
    );
    let refit = matrix(&reference["refit_coef"]);
    let scale = refit.iter().fold(1.0_f64, |a, v| a.max(v.abs()));
    for (got, want) in cv.fit.model.weight.iter().zip(refit.iter()) {
        assert!((got - want).abs() <= 1e-5 * scale, "refit {got} vs {want}");
    }
}

/// The held-out MSE of every (l1_ratio, alpha, fold), recomputed with the
/// public API: scale on the training rows, fit, predict the held-out rows.
#[test]
fn cv_scores_match_a_direct_computation() {
    let d = datasets::make_regression(90, 12, 4, 2.0, 8);
    let fold_of: Vec<usize> = (0..90).map(|i| (i * 7) % 3).collect();
    let cv = ElasticNetCv::new()
        .l1_ratios(vec![0.3, 1.0])
        .n_alphas(8)
        .fold_ids(fold_of.clone())
        .tol(1e-12)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    for (r, &l1_ratio) in [0.3, 1.0].iter().enumerate() {
        // The grid is the full-data path's, to rounding: CV forms the
        // full-data Gram matrix from its fold sums (solver/folds.rs).
        let grid = ElasticNetPath::new(l1_ratio)
            .n_alphas(8)
            .max_iter(1)
            .fit(d.x.view(), d.y.view())
            .unwrap()
            .alphas;
        for (&got, &want) in cv.alphas.row(r).iter().zip(&grid) {
            assert!((got - want).abs() <= 1e-13 * want, "grid {got} vs {want}");
        }
        for fold in 0..3 {
            let train: Vec<usize> = (0..90).filter(|&i| fold_of[i] != fold).collect();
            let test: Vec<usize> = (0..90).filter(|&i| fold_of[i] == fold).collect();
            let (xt, yt) = (d.x.select(Axis(0), &train), d.y.select(Axis(0), &train));
            let (xv, yv) = (d.x.select(Axis(0), &test), d.y.select(Axis(0), &test));
            for (a, &alpha) in grid.iter().enumerate() {
                let fit = ElasticNet::new(alpha, l1_ratio)
                    .tol(1e-12)
                    .fit(xt.view(), yt.view())
                    .unwrap();
                let pred = fit.predict(xv.view()).unwrap();
                let mse = (&pred - &yv).mapv(|e| e * e).mean().unwrap();
                let got = cv.mse_folds[[r, a, fold]];
                assert!(
                    (got - mse).abs() <= 1e-6 * mse,
                    "({r}, {a}, {fold}): {got} vs {mse}"
                );
            }
        }
        // mean and standard error by hand.
        for a in 0..8 {
            let v: Vec<f64> = (0..3).map(|f| cv.mse_folds[[r, a, f]]).collect();
            let mean = v.iter().sum::<f64>() / 3.0;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0;
            assert!((cv.mse_mean[[r, a]] - mean).abs() <= 1e-12 * mean);
            assert!((cv.mse_se[[r, a]] - (var / 3.0).sqrt()).abs() <= 1e-9 * mean);
        }
    }
    // The choice: the global minimum and the one-standard-error rule.
    let (mut best, mut best_v) = ((0, 0), f64::INFINITY);
    for ((r, a), &v) in cv.mse_mean.indexed_iter() {
        if v < best_v {
            (best, best_v) = ((r, a), v);
        }
    }
    assert_eq!(cv.l1_ratio, [0.3, 1.0][best.0]);
    assert_eq!(cv.alpha_min, cv.alphas[[best.0, best.1]]);
    let limit = best_v + cv.mse_se[[best.0, best.1]];
    let one_se = (0..8).find(|&a| cv.mse_mean[[best.0, a]] <= limit).unwrap();
    assert_eq!(cv.alpha_1se, cv.alphas[[best.0, one_se]]);
    assert!(cv.alpha_1se >= cv.alpha_min);
    // The refit is the plain fit at the chosen point (on the Gram matrix
    // formed from the fold sums: equal to rounding, well within the tol).
    let refit = ElasticNet::new(cv.alpha_min, cv.l1_ratio)
        .tol(1e-12)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    let scale = refit
        .model
        .weight
        .iter()
        .fold(1.0_f64, |a, v| a.max(v.abs()));
    for (a, b) in cv.fit.model.weight.iter().zip(&refit.model.weight) {
        assert!((a - b).abs() <= 1e-9 * scale, "refit {a} vs {b}");
    }
    assert!((cv.fit.model.bias[0] - refit.model.bias[0]).abs() <= 1e-9 * scale);
    // The same support.
    for (a, b) in cv.fit.model.weight.iter().zip(&refit.model.weight) {
        assert_eq!(*a == 0.0, *b == 0.0);
    }
}

#[test]
fn same_seed_same_folds_and_standardization_uses_training_rows_only() {
    let d = datasets::diabetes();
    let run = |seed| {
        ElasticNetCv::new()
            .n_alphas(10)
            .standardize(true)
            .seed(seed)
            .fit(d.x.view(), d.y.view())
            .unwrap()
    };
    let (a, b, c) = (run(3), run(3), run(4));
    assert_eq!(a, b);
    assert_ne!(a.mse_folds, c.mse_folds);
    // Standardizing x beforehand with all rows leaks nothing into the grid
    // but changes fold statistics: the CV must standardize per fold, so a
    // pre-standardized input gives the same scores only up to that leak.
    let z = StandardScaler::fit(d.x.view())
        .unwrap()
        .transform(d.x.view())
        .unwrap();
    let pre = ElasticNetCv::new()
        .n_alphas(10)
        .standardize(true)
        .seed(3)
        .fit(z.view(), d.y.view())
        .unwrap();
    for (u, v) in pre.alphas.iter().zip(a.alphas.iter()) {
        assert!(
            (u - v).abs() <= 1e-12 * v,
            "the grid is scale invariant under standardize"
        );
    }
    assert_ne!(pre.mse_folds, a.mse_folds);
}

#[cfg(feature = "rayon")]
#[test]
fn parallel_and_serial_cv_are_bit_identical() {
    let d = datasets::make_regression(200, 30, 6, 1.0, 2);
    let y =
        ndarray::concatenate(Axis(1), &[d.y.view(), d.y.mapv(|v| -0.5 * v + 1.0).view()]).unwrap();
    let cv = ElasticNetCv::new()
        .l1_ratios(vec![0.2, 0.8])
        .n_alphas(20)
        .folds(4)
        .seed(9);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let serial = pool(1).install(|| cv.fit(d.x.view(), y.view()).unwrap());
    let parallel = pool(2).install(|| cv.fit(d.x.view(), y.view()).unwrap());
    assert_eq!(serial, parallel);
}

#[test]
fn bad_cv_settings_are_errors() {
    let d = datasets::diabetes();
    let name = |cv: ElasticNetCv| match cv.fit(d.x.view(), d.y.view()) {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(name(ElasticNetCv::new().folds(1)), "folds");
    assert_eq!(name(ElasticNetCv::new().folds(443)), "folds");
    assert_eq!(
        name(ElasticNetCv::new().l1_ratios(vec![0.5, 1.2])),
        "l1_ratios"
    );
    assert_eq!(name(ElasticNetCv::new().n_alphas(0)), "n_alphas");
    assert_eq!(name(ElasticNetCv::new().tol(-1.0)), "tol");
    assert_eq!(name(ElasticNetCv::new().fold_ids(vec![0; 442])), "fold_ids");
    assert!(matches!(
        ElasticNetCv::new()
            .l1_ratios(vec![])
            .fit(d.x.view(), d.y.view()),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        ElasticNetCv::new()
            .fold_ids(vec![0, 1])
            .fit(d.x.view(), d.y.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let nan = Array2::from_elem((442, 10), f64::NAN);
    assert!(matches!(
        ElasticNetCv::new().fit(nan.view(), d.y.view()),
        Err(Error::NonFinite { .. })
    ));
}
