//! Out-of-core training: [`train_batches`] against [`train`] and the exact
//! solver, [`evaluate_batches`] against whole-data computations,
//! [`ColumnStats`] against [`StandardScaler`], errors passed through and
//! models restored; `serde` round trips of the public types.

use std::ops::ControlFlow;

use elasticnet::{
    ColumnStats, ElasticLoss, ElasticNet, Error, L1Update, LearningRate, LinearModel,
    StandardScaler, StreamConfig, TrainConfig, datasets, evaluate_batches, metrics, train,
    train_batches, train_batches_with,
};
use ndarray::{Array2, ArrayView2, array, s};

type Batch = (Array2<f64>, Array2<f64>);

/// Consecutive batches of `size` rows.
fn chunks(x: ArrayView2<f64>, y: ArrayView2<f64>, size: usize) -> Vec<Batch> {
    (0..x.nrows())
        .step_by(size)
        .map(|start| {
            let end = (start + size).min(x.nrows());
            (
                x.slice(s![start..end, ..]).to_owned(),
                y.slice(s![start..end, ..]).to_owned(),
            )
        })
        .collect()
}

/// A factory that serves the same batches every epoch, rotated by the
/// epoch so that the order changes.
fn factory(
    batches: &[Batch],
) -> impl FnMut(usize) -> Result<Vec<Result<Batch, Error>>, Error> + '_ {
    move |epoch| {
        let n = batches.len();
        Ok((0..n)
            .map(|i| Ok(batches[(i + epoch * 7) % n].clone()))
            .collect())
    }
}

#[test]
fn one_full_batch_per_epoch_is_train_full_batch() {
    let d = datasets::make_regression(200, 6, 3, 0.5, 1);
    let loss = ElasticLoss::new(0.3, 0.2).unwrap();
    let lr = 0.05;
    let mut expected = LinearModel::zeros(6, 1);
    let config = TrainConfig {
        epochs: 40,
        learning_rate: LearningRate::Constant(lr),
        ..TrainConfig::default()
    };
    train(&mut expected, &loss, d.x.view(), d.y.view(), &config).unwrap();

    let mut model = LinearModel::zeros(6, 1);
    let all = chunks(d.x.view(), d.y.view(), 200);
    let stream = StreamConfig {
        epochs: 40,
        learning_rate: LearningRate::Constant(lr),
        ..StreamConfig::default()
    };
    let report = train_batches(&mut model, &loss, factory(&all), &stream).unwrap();
    assert_eq!(report.epochs_run, 40);
    assert_eq!(report.learning_rate, lr);
    for (a, b) in model.weight.iter().zip(&expected.weight) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
    }
    assert!((model.bias[0] - expected.bias[0]).abs() <= 1e-12 * (1.0 + expected.bias[0].abs()));
    // Exact zeros from the proximal step, as in `train`.
    let zeros = |m: &LinearModel| m.weight.iter().filter(|&&w| w == 0.0).count();
    assert_eq!(zeros(&model), zeros(&expected));
}

#[test]
fn mini_batches_reach_the_exact_objective_and_the_gap_certifies_it() {
    let d = datasets::make_regression(4000, 8, 4, 1.0, 3);
    let (alpha, l1_ratio) = (0.05, 0.7);
    let exact = ElasticNet::new(alpha, l1_ratio)
        .tol(1e-12)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    let loss = ElasticLoss::from_alpha(alpha, l1_ratio).unwrap();
    let batches = chunks(d.x.view(), d.y.view(), 500);
    let mut model = LinearModel::zeros(8, 1);
    let config = StreamConfig::default();
    let report = train_batches(&mut model, &loss, factory(&batches), &config).unwrap();
    assert_eq!(report.epochs_run, 10);
    // Auto: 1/(largest Σ‖(xᵢ, 1)‖²/b over batches + λ₂).
    let bound = batches
        .iter()
        .map(|(x, _)| x.iter().map(|v| v * v).sum::<f64>() / x.nrows() as f64 + 1.0)
        .fold(0.0, f64::max);
    assert!((report.learning_rate - 1.0 / (bound + loss.l2)).abs() < 1e-15);

    let eval = evaluate_batches(
        &model,
        &loss,
        batches.iter().cloned().map(Ok::<_, Error>),
        &config,
    )
    .unwrap();
    assert_eq!(eval.n_samples, 4000);
    let excess = eval.objective - exact.objective;
    assert!(excess >= -1e-9, "below the optimum by {excess}");
    assert!(
        excess <= 1e-2 * exact.objective,
        "{} vs {}",
        eval.objective,
        exact.objective
    );
    // The gap bounds the excess from above.
    assert!(
        eval.duality_gap >= excess - 1e-9,
        "{} < {excess}",
        eval.duality_gap
    );
    // The informative features are found.
    let truth = d.true_coef.as_ref().unwrap();
    for (w, t) in model.weight.iter().zip(truth) {
        if *t != 0.0 {
            assert!((w - t).abs() < 0.1 * t.abs(), "{w} vs {t}");
        }
    }
}

#[test]
fn evaluation_matches_whole_data_computations() {
    let d = datasets::diabetes();
    let (x, y) = (d.x.view(), d.y.view());
    for (fit_intercept, positive) in [(true, false), (false, false), (true, true)] {
        let fit = ElasticNet::new(0.3, 0.6)
            .fit_intercept(fit_intercept)
            .positive(positive)
            .tol(1e-12)
            .max_iter(100_000)
            .fit(x, y)
            .unwrap();
        let loss = ElasticLoss::from_alpha(0.3, 0.6).unwrap();
        let config = StreamConfig {
            fit_intercept,
            positive,
            ..StreamConfig::default()
        };
        let batches = chunks(x, y, 37);
        let eval = evaluate_batches(
            &fit.model,
            &loss,
            batches.iter().cloned().map(Ok::<_, Error>),
            &config,
        )
        .unwrap();
        let pred = fit.model.predict(x).unwrap();
        assert!((eval.objective - fit.objective).abs() < 1e-9 * fit.objective);
        assert!(
            (eval.objective - loss.value(y, pred.view(), fit.model.weight.view())).abs()
                < 1e-9 * fit.objective
        );
        assert!(
            eval.duality_gap <= 1e-9 * fit.objective,
            "gap {} at the optimum",
            eval.duality_gap
        );
        assert!((eval.mse - metrics::mse(y, pred.view()).unwrap()).abs() < 1e-9 * eval.mse);
        assert!((eval.r2 - metrics::r2(y, pred.view()).unwrap()).abs() < 1e-12);

        // Away from the optimum the gap still bounds the excess, and a bad
        // bias is charged for.
        let mut off = fit.model.clone();
        off.weight *= 0.9;
        if fit_intercept {
            off.bias[0] += 3.0;
        }
        let eval_off = evaluate_batches(
            &off,
            &loss,
            batches.iter().cloned().map(Ok::<_, Error>),
            &config,
        )
        .unwrap();
        let excess = eval_off.objective - fit.objective;
        assert!(excess > 0.0);
        assert!(
            eval_off.duality_gap >= excess * (1.0 - 1e-9),
            "{} < {excess}",
            eval_off.duality_gap
        );
    }
}

#[test]
fn no_intercept_keeps_the_bias_and_positive_keeps_weights_non_negative() {
    let d = datasets::make_regression(600, 5, 5, 0.1, 4);
    let batches = chunks(d.x.view(), d.y.view(), 60);
    let loss = ElasticLoss::new(0.01, 0.0).unwrap();
    let mut model = LinearModel::zeros(5, 1);
    let config = StreamConfig {
        epochs: 5,
        fit_intercept: false,
        positive: true,
        ..StreamConfig::default()
    };
    train_batches(&mut model, &loss, factory(&batches), &config).unwrap();
    assert_eq!(model.bias[0], 0.0);
    assert!(model.weight.iter().all(|&w| w >= 0.0));
    let truth = d.true_coef.as_ref().unwrap();
    for (w, t) in model.weight.iter().zip(truth) {
        if *t < 0.0 {
            assert_eq!(*w, 0.0);
        }
    }
}

#[test]
fn tolerance_and_callback_stop_early() {
    let d = datasets::make_regression(300, 3, 3, 0.1, 5);
    let batches = chunks(d.x.view(), d.y.view(), 100);
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let mut model = LinearModel::zeros(3, 1);
    let config = StreamConfig {
        epochs: 1000,
        tol: Some(1e-3),
        ..StreamConfig::default()
    };
    let report = train_batches(&mut model, &loss, factory(&batches), &config).unwrap();
    assert!(report.converged && report.epochs_run < 1000);

    let mut model = LinearModel::zeros(3, 1);
    let mut calls = 0;
    let report = train_batches_with(
        &mut model,
        &loss,
        factory(&batches),
        &StreamConfig::default(),
        |epoch, _, _| {
            calls += 1;
            if epoch == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .unwrap();
    assert_eq!((report.epochs_run, calls, report.converged), (3, 3, false));
}

/// A reader's own error type: the library's errors convert into it.
#[derive(Debug, PartialEq)]
enum ReadError {
    BadLine(usize),
    Library(String),
}

impl From<Error> for ReadError {
    fn from(e: Error) -> Self {
        ReadError::Library(e.to_string())
    }
}

#[test]
fn a_reader_error_passes_through_and_the_model_is_restored() {
    let d = datasets::make_regression(200, 2, 2, 0.1, 6);
    let batches = chunks(d.x.view(), d.y.view(), 50);
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let mut model = LinearModel::zeros(2, 1);
    let mut after_first_epoch = None;
    let result = train_batches_with(
        &mut model,
        &loss,
        |epoch| -> Result<Vec<Result<Batch, ReadError>>, ReadError> {
            let mut items: Vec<_> = batches.iter().cloned().map(Ok).collect();
            if epoch == 1 {
                items.insert(2, Err(ReadError::BadLine(77)));
            }
            Ok(items)
        },
        &StreamConfig::default(),
        |_, m, _| {
            after_first_epoch.get_or_insert_with(|| m.clone());
            ControlFlow::Continue(())
        },
    );
    assert_eq!(result.unwrap_err(), ReadError::BadLine(77));
    let expected = after_first_epoch.unwrap();
    assert_eq!((model.weight, model.bias), (expected.weight, expected.bias));

    // The library's own errors arrive converted.
    let mut model = LinearModel::zeros(3, 1);
    let result = train_batches(
        &mut model,
        &loss,
        |_| Ok::<_, ReadError>(batches.iter().cloned().map(Ok)),
        &StreamConfig::default(),
    );
    match result {
        Err(ReadError::Library(msg)) => assert!(msg.contains("columns of a batch's x"), "{msg}"),
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn bad_batches_and_settings_are_errors() {
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let config = StreamConfig::default();
    let run = |batches: Vec<Batch>, config: &StreamConfig| {
        let mut model = LinearModel::zeros(1, 1);
        let result = train_batches(
            &mut model,
            &loss,
            |_| Ok::<_, Error>(batches.clone().into_iter().map(Ok)),
            config,
        );
        (result, model)
    };
    let (r, _) = run(vec![(array![[f64::NAN]], array![[1.0]])], &config);
    assert!(matches!(
        r,
        Err(Error::NonFinite {
            what: "batch x",
            row: 0,
            col: 0
        })
    ));
    let (r, _) = run(vec![(array![[1.0]], array![[1.0, 2.0]])], &config);
    assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
    let (r, _) = run(vec![(array![[1.0], [2.0]], array![[1.0]])], &config);
    assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
    let empty = (Array2::zeros((0, 1)), Array2::zeros((0, 1)));
    let (r, _) = run(vec![empty.clone()], &config);
    assert!(matches!(r, Err(Error::EmptyInput { what: "batches" })));
    let (r, _) = run(vec![empty, (array![[1.0]], array![[2.0]])], &config);
    assert!(r.is_ok(), "empty batches are skipped");
    let bad = StreamConfig {
        learning_rate: LearningRate::Constant(-1.0),
        ..StreamConfig::default()
    };
    let (r, _) = run(vec![(array![[1.0]], array![[2.0]])], &bad);
    assert!(matches!(
        r,
        Err(Error::InvalidParameter {
            name: "learning_rate",
            ..
        })
    ));

    // Divergence names the epoch and leaves the weights of its start.
    let x = array![[10.0], [20.0], [30.0]];
    let y = array![[1.0], [2.0], [3.0]];
    let steep = StreamConfig {
        learning_rate: LearningRate::Constant(1.0),
        epochs: 50,
        l1_update: L1Update::Subgradient,
        ..StreamConfig::default()
    };
    let (r, model) = run(vec![(x, y)], &steep);
    match r {
        Err(Error::Diverged { epoch, .. }) => assert!(epoch > 0),
        other => panic!("expected divergence, got {other:?}"),
    }
    assert!(model.is_finite());
}

#[test]
fn column_stats_in_chunks_equal_the_scaler_on_all_rows() {
    let d = datasets::diabetes();
    let mut x = d.x.clone();
    x.column_mut(1).fill(0.1); // a constant column
    let mut stats = ColumnStats::new(10);
    let mut start = 0;
    for size in [1, 7, 100, 3, 200, 1000] {
        let end = (start + size).min(442);
        stats.update(x.slice(s![start..end, ..])).unwrap();
        start = end;
    }
    assert_eq!(stats.n_samples(), 442);
    let chunked = stats.scaler(true).unwrap();
    let whole = StandardScaler::fit(x.view()).unwrap();
    for j in 0..10 {
        assert!((chunked.mean[j] - whole.mean[j]).abs() <= 1e-13 * whole.mean[j].abs());
        assert!((chunked.scale[j] - whole.scale[j]).abs() <= 1e-12 * whole.scale[j]);
    }
    assert_eq!(chunked.mean[1], 0.1, "a constant column's mean is exact");
    assert_eq!(chunked.scale[1], 1.0);
    // Without centring: the root mean square.
    let rms = stats.scaler(false).unwrap();
    let expected = (x.column(0).mapv(|v| v * v).sum() / 442.0).sqrt();
    assert_eq!(rms.mean[0], 0.0);
    assert!((rms.scale[0] - expected).abs() < 1e-12 * expected);

    assert!(matches!(
        ColumnStats::<f64>::new(2).scaler(true),
        Err(Error::EmptyInput { .. })
    ));
    let mut stats = ColumnStats::new(2);
    assert!(matches!(
        stats.update(array![[1.0, f64::INFINITY]].view()),
        Err(Error::NonFinite { row: 0, col: 1, .. })
    ));
    assert!(matches!(
        stats.update(array![[1.0]].view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert_eq!(stats.n_samples(), 0);
}

#[cfg(feature = "serde")]
#[test]
fn public_types_round_trip_through_json() {
    use elasticnet::{Fit, Solver};
    let d = datasets::diabetes();
    let fit = ElasticNet::lasso(1.0)
        .standardize(true)
        .fit(d.x.view(), d.y.view())
        .unwrap();
    let json = serde_json::to_string(&fit).unwrap();
    // Exact: `serde_json` parses floats correctly rounded (`float_roundtrip`).
    let back: Fit = serde_json::from_str(&json).unwrap();
    assert_eq!(back, fit);
    let scaler = StandardScaler::fit(d.x.view()).unwrap();
    let back: StandardScaler =
        serde_json::from_str(&serde_json::to_string(&scaler).unwrap()).unwrap();
    assert_eq!(back, scaler);
    let loss = ElasticLoss::new(0.5, 0.25).unwrap();
    assert_eq!(
        serde_json::to_string(&loss).unwrap(),
        r#"{"l1":0.5,"l2":0.25}"#
    );
    let solver: Solver = serde_json::from_str(r#""Fista""#).unwrap();
    assert_eq!(solver, Solver::Fista);
}
