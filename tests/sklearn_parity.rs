//! Agreement with scikit-learn on the reference problems written by
//! `tests/data/generate_reference.py` (see that script for how each case was
//! solved and certified).

mod common;

use common::{Spec, assert_kkt, case_data, load_json, matrix, vector};
use elasticnet::{ElasticNet, Solver};

/// Relative error `|a − b| / max(1, |b|)`.
fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

#[test]
fn elastic_net_matches_scikit_learn_on_every_reference_case() {
    let reference = load_json("enet_reference.json");
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 25, "expected the full reference set");
    let mut worst: (f64, String) = (0.0, String::new());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (x, y) = case_data(case);
        let spec = Spec {
            alpha: case["alpha"].as_f64().unwrap(),
            l1_ratio: case["l1_ratio"].as_f64().unwrap(),
            fit_intercept: case["fit_intercept"].as_bool().unwrap(),
            standardize: case["standardize"].as_bool().unwrap(),
            positive: case["positive"].as_bool().unwrap(),
        };
        let want_coef = matrix(&case["coef"]);
        let want_intercept = vector(&case["intercept"]);
        let want_objective = case["objective"].as_f64().unwrap();
        let fit = ElasticNet::new(spec.alpha, spec.l1_ratio)
            .fit_intercept(spec.fit_intercept)
            .standardize(spec.standardize)
            .positive(spec.positive)
            .tol(1e-14)
            .max_iter(1_000_000)
            .solver(Solver::CoordinateDescent)
            .fit(x.view(), y.view())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            fit.converged,
            "{name}: not converged (gap {})",
            fit.duality_gap
        );
        let err = rel(fit.objective, want_objective);
        assert!(
            err <= 1e-12,
            "{name}: objective {} vs {want_objective}",
            fit.objective
        );
        // A gap g allows gradient errors up to about sqrt(2·λmax·g).
        assert_kkt(x.view(), y.view(), &fit.model, &spec, 1e-5);
        if case["unique_coef"].as_bool().unwrap() {
            // Coefficients are determined up to ~sqrt(gap); compare them on
            // the scale of the largest one.
            let scale = want_coef.iter().fold(1.0_f64, |a, v| a.max(v.abs()));
            for (got, want) in fit.model.weight.iter().zip(want_coef.iter()) {
                let e = (got - want).abs() / scale;
                assert!(e <= 1e-6, "{name}: coefficient {got} vs {want}");
                if e > worst.0 {
                    worst = (e, name.to_string());
                }
                // Exact zeros where scikit-learn has them (except on the
                // knife edge alpha = alpha_max, see below).
                if *want == 0.0 && !name.ends_with("at_alpha_max") {
                    assert_eq!(*got, 0.0, "{name}: expected an exact zero");
                }
            }
            for (got, want) in fit.model.bias.iter().zip(want_intercept.iter()) {
                assert!(
                    rel(*got, *want) <= 1e-6,
                    "{name}: intercept {got} vs {want}"
                );
            }
        } else {
            // Duplicated columns under a pure lasso: only the sum of the
            // duplicates' coefficients is determined.
            let dup: Vec<usize> = case["duplicate_columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let got: f64 = dup.iter().map(|&j| fit.model.weight[[j, 0]]).sum();
            let want: f64 = dup.iter().map(|&j| want_coef[[j, 0]]).sum();
            assert!(
                rel(got, want) <= 1e-6,
                "{name}: duplicate sum {got} vs {want}"
            );
        }
    }
    eprintln!(
        "worst relative coefficient error: {:.2e} ({})",
        worst.0, worst.1
    );
}

#[test]
fn all_zero_at_and_above_alpha_max() {
    let reference = load_json("enet_reference.json");
    for case in reference["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if !name.contains("alpha_max") {
            continue;
        }
        let (x, y) = case_data(case);
        let fit = ElasticNet::new(
            case["alpha"].as_f64().unwrap(),
            case["l1_ratio"].as_f64().unwrap(),
        )
        .standardize(case["standardize"].as_bool().unwrap())
        .tol(1e-12)
        .fit(x.view(), y.view())
        .unwrap();
        // At exactly alpha_max the largest correlation equals λ₁ up to
        // rounding (numpy and we sum in different orders): zero to 1e-12.
        // Above it, exact zeros.
        let bound = if name.contains("2x") { 0.0 } else { 1e-12 };
        assert!(
            fit.model.weight.iter().all(|&w| w.abs() <= bound),
            "{name}: {}",
            fit.model.weight
        );
        assert!((fit.model.bias[0] - y.mean().unwrap()).abs() < 1e-9);
    }
}
