//! Bad input at every entry point of the foundation (DESIGN §5): each case
//! is a specific [`Error`] variant — never a panic, never a silent NaN — and
//! a failed call leaves the model untouched.

use elasticnet::{
    ElasticLoss, Error, LearningRate, LinearModel, StandardScaler, TrainConfig, TrainReport,
    metrics, train,
};
use ndarray::{Array2, array};

fn data() -> (Array2<f64>, Array2<f64>) {
    let x = array![[1.0, 2.0], [0.5, -1.0], [3.0, 0.0], [-2.0, 1.5]];
    let y = array![[1.0], [2.0], [0.0], [-1.0]];
    (x, y)
}

/// Runs `train` on a fresh zero model and checks that the model is
/// unchanged afterwards.
fn train_on(
    x: &Array2<f64>,
    y: &Array2<f64>,
    loss: &ElasticLoss<f64>,
    config: &TrainConfig<f64>,
) -> elasticnet::Result<TrainReport<f64>> {
    let mut model = LinearModel::zeros(x.ncols(), y.ncols());
    let before = model.clone();
    let result = train(&mut model, loss, x.view(), y.view(), config);
    if result.is_err() {
        assert_eq!(model, before, "a failed train must not touch the model");
    }
    result
}

fn ok_loss() -> ElasticLoss<f64> {
    ElasticLoss::new(0.1, 0.1).unwrap()
}

fn with(config: TrainConfig<f64>) -> elasticnet::Result<TrainReport<f64>> {
    let (x, y) = data();
    train_on(&x, &y, &ok_loss(), &config)
}

/// `Err(InvalidParameter)` naming `name`; returns the stored value.
#[track_caller]
fn expect_invalid<T: std::fmt::Debug>(result: elasticnet::Result<T>, name: &str) -> f64 {
    match result {
        Err(Error::InvalidParameter {
            name: got, value, ..
        }) => {
            assert_eq!(got, name);
            value
        }
        other => panic!("expected InvalidParameter {{ name: {name:?} }}, got {other:?}"),
    }
}

// --- train: the data -----------------------------------------------------

#[test]
fn train_rejects_row_mismatch() {
    let (x, _) = data();
    let y = array![[1.0], [2.0], [3.0]];
    match train_on(&x, &y, &ok_loss(), &TrainConfig::default()) {
        Err(Error::ShapeMismatch {
            expected, found, ..
        }) => {
            assert_eq!(expected[0], 4);
            assert_eq!(found[0], 3);
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
}

#[test]
fn train_rejects_empty_x() {
    let x = Array2::<f64>::zeros((0, 2));
    let y = Array2::<f64>::zeros((0, 1));
    assert!(matches!(
        train_on(&x, &y, &ok_loss(), &TrainConfig::default()),
        Err(Error::EmptyInput { what: "x" })
    ));
    // No features at all is empty too.
    let x = Array2::<f64>::zeros((4, 0));
    let (_, y) = data();
    assert!(matches!(
        train_on(&x, &y, &ok_loss(), &TrainConfig::default()),
        Err(Error::EmptyInput { what: "x" })
    ));
}

#[test]
fn train_rejects_empty_y() {
    let (x, _) = data();
    let y = Array2::<f64>::zeros((4, 0));
    assert!(matches!(
        train_on(&x, &y, &ok_loss(), &TrainConfig::default()),
        Err(Error::EmptyInput { what: "y" })
    ));
}

#[test]
fn train_rejects_nan_in_x() {
    let (mut x, y) = data();
    x[[2, 1]] = f64::NAN;
    match train_on(&x, &y, &ok_loss(), &TrainConfig::default()) {
        Err(Error::NonFinite { what, row, col }) => assert_eq!((what, row, col), ("x", 2, 1)),
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn train_rejects_infinity_in_y() {
    let (x, mut y) = data();
    y[[3, 0]] = f64::NEG_INFINITY;
    match train_on(&x, &y, &ok_loss(), &TrainConfig::default()) {
        Err(Error::NonFinite { what, row, col }) => assert_eq!((what, row, col), ("y", 3, 0)),
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn train_rejects_a_model_of_the_wrong_shape() {
    let (x, y) = data();
    for (p, k) in [(3, 1), (2, 2), (1, 1)] {
        let mut model = LinearModel::zeros(p, k);
        let before = model.clone();
        let result = train(
            &mut model,
            &ok_loss(),
            x.view(),
            y.view(),
            &TrainConfig::default(),
        );
        assert!(
            matches!(result, Err(Error::ShapeMismatch { .. })),
            "{p}×{k}: {result:?}"
        );
        assert_eq!(model, before);
    }
}

#[test]
fn train_rejects_a_bias_of_the_wrong_length() {
    let (x, y) = data();
    let mut model = LinearModel::zeros(2, 1);
    model.bias = array![0.0, 0.0];
    let before = model.clone();
    let result = train(
        &mut model,
        &ok_loss(),
        x.view(),
        y.view(),
        &TrainConfig::default(),
    );
    match result {
        Err(Error::ShapeMismatch {
            expected, found, ..
        }) => assert_ne!(expected, found, "the error must show what differs"),
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    assert_eq!(model, before);
}

#[test]
fn train_rejects_a_model_with_non_finite_weights() {
    let (x, y) = data();
    let mut model = LinearModel::zeros(2, 1);
    model.weight[[1, 0]] = f64::NAN;
    let result = train(
        &mut model,
        &ok_loss(),
        x.view(),
        y.view(),
        &TrainConfig::default(),
    );
    assert!(matches!(result, Err(Error::NonFinite { .. })), "{result:?}");
}

// --- train: the penalties (public fields, so train validates again) -------

#[test]
fn train_rejects_negative_l1_set_directly() {
    let (x, y) = data();
    let loss = ElasticLoss { l1: -0.5, l2: 0.0 };
    let value = expect_invalid(train_on(&x, &y, &loss, &TrainConfig::default()), "l1");
    assert_eq!(value, -0.5);
}

#[test]
fn train_rejects_nan_l2_set_directly() {
    let (x, y) = data();
    let loss = ElasticLoss {
        l1: 0.0,
        l2: f64::NAN,
    };
    let value = expect_invalid(train_on(&x, &y, &loss, &TrainConfig::default()), "l2");
    assert!(value.is_nan());
}

#[test]
fn train_rejects_infinite_l1_set_directly() {
    let (x, y) = data();
    let loss = ElasticLoss {
        l1: f64::INFINITY,
        l2: 0.0,
    };
    expect_invalid(train_on(&x, &y, &loss, &TrainConfig::default()), "l1");
}

// --- ElasticLoss constructors ---------------------------------------------

#[test]
fn loss_new_rejects_negative_l1() {
    assert_eq!(expect_invalid(ElasticLoss::new(-1.0, 0.0), "l1"), -1.0);
}

#[test]
fn loss_new_rejects_bad_l2() {
    expect_invalid(ElasticLoss::new(0.0, -1e-12), "l2");
    expect_invalid(ElasticLoss::new(0.0, f64::INFINITY), "l2");
    expect_invalid(ElasticLoss::<f32>::new(0.0, f32::NAN), "l2");
}

#[test]
fn loss_new_accepts_zero_penalties() {
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    assert_eq!((loss.l1, loss.l2), (0.0, 0.0));
}

#[test]
fn from_alpha_rejects_negative_alpha() {
    assert_eq!(
        expect_invalid(ElasticLoss::from_alpha(-1.0, 0.5), "alpha"),
        -1.0
    );
}

#[test]
fn from_alpha_rejects_nan_alpha() {
    expect_invalid(ElasticLoss::from_alpha(f64::NAN, 0.5), "alpha");
}

#[test]
fn from_alpha_rejects_l1_ratio_above_one() {
    assert_eq!(
        expect_invalid(ElasticLoss::from_alpha(1.0, 1.5), "l1_ratio"),
        1.5
    );
}

#[test]
fn from_alpha_rejects_negative_l1_ratio() {
    expect_invalid(ElasticLoss::from_alpha(1.0, -0.1), "l1_ratio");
}

#[test]
fn from_alpha_rejects_nan_l1_ratio() {
    expect_invalid(ElasticLoss::from_alpha(1.0, f64::NAN), "l1_ratio");
}

#[test]
fn from_alpha_accepts_the_closed_interval() {
    assert!(ElasticLoss::from_alpha(1.0, 0.0).is_ok());
    assert!(ElasticLoss::from_alpha(1.0, 1.0).is_ok());
    assert!(ElasticLoss::from_alpha(0.0, 0.5).is_ok());
}

// --- TrainConfig -----------------------------------------------------------

#[test]
fn learning_rate_zero_is_rejected() {
    let config = TrainConfig {
        learning_rate: LearningRate::Constant(0.0),
        ..TrainConfig::default()
    };
    assert_eq!(expect_invalid(with(config), "learning_rate"), 0.0);
}

#[test]
fn learning_rate_negative_is_rejected() {
    let config = TrainConfig {
        learning_rate: LearningRate::Constant(-1.0),
        ..TrainConfig::default()
    };
    assert_eq!(expect_invalid(with(config), "learning_rate"), -1.0);
}

#[test]
fn learning_rate_nan_is_rejected() {
    let config = TrainConfig {
        learning_rate: LearningRate::Constant(f64::NAN),
        ..TrainConfig::default()
    };
    expect_invalid(with(config), "learning_rate");
}

#[test]
fn learning_rate_infinite_is_rejected() {
    let config = TrainConfig {
        learning_rate: LearningRate::Constant(f64::INFINITY),
        ..TrainConfig::default()
    };
    expect_invalid(with(config), "learning_rate");
}

#[test]
fn zero_epochs_is_rejected() {
    let config = TrainConfig {
        epochs: 0,
        ..TrainConfig::default()
    };
    expect_invalid(with(config), "epochs");
}

#[test]
fn zero_batch_size_is_rejected() {
    let config = TrainConfig {
        batch_size: Some(0),
        ..TrainConfig::default()
    };
    expect_invalid(with(config), "batch_size");
}

#[test]
fn tol_zero_is_rejected() {
    let config = TrainConfig {
        tol: Some(0.0),
        ..TrainConfig::default()
    };
    assert_eq!(expect_invalid(with(config), "tol"), 0.0);
}

#[test]
fn tol_negative_is_rejected() {
    let config = TrainConfig {
        tol: Some(-1.0),
        ..TrainConfig::default()
    };
    assert_eq!(expect_invalid(with(config), "tol"), -1.0);
}

#[test]
fn tol_nan_is_rejected() {
    let config = TrainConfig {
        tol: Some(f64::NAN),
        ..TrainConfig::default()
    };
    expect_invalid(with(config), "tol");
}

#[test]
fn boundary_values_of_the_config_are_accepted() {
    let config = TrainConfig {
        epochs: 1,
        learning_rate: LearningRate::Constant(1e-3),
        batch_size: Some(1),
        tol: Some(1e-300),
        ..TrainConfig::default()
    };
    let report = with(config).unwrap();
    assert_eq!(report.epochs_run, 1);
}

#[test]
fn display_names_the_parameter() {
    let err = ElasticLoss::from_alpha(1.0, 1.5).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("l1_ratio"), "{msg}");
    assert!(msg.contains("1.5"), "{msg}");
    assert!(msg.contains("[0, 1]"), "{msg}");

    let err = with(TrainConfig {
        learning_rate: LearningRate::Constant(-1.0),
        ..TrainConfig::default()
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("learning_rate"), "{msg}");
    assert!(msg.contains("-1"), "{msg}");

    let (mut x, y) = data();
    x[[1, 0]] = f64::NAN;
    let msg = train_on(&x, &y, &ok_loss(), &TrainConfig::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains('x') && msg.contains("row 1"), "{msg}");
}

#[test]
fn errors_are_std_errors() {
    let err: Box<dyn std::error::Error + Send + Sync> =
        Box::new(ElasticLoss::new(-1.0, 0.0).unwrap_err());
    assert!(err.to_string().contains("l1"));
}

// --- predict ---------------------------------------------------------------

#[test]
fn predict_rejects_wrong_columns() {
    let model = LinearModel::<f64>::zeros(2, 1);
    match model.predict(array![[1.0, 2.0, 3.0]].view()) {
        Err(Error::ShapeMismatch {
            expected, found, ..
        }) => {
            assert_eq!(expected[1], 2);
            assert_eq!(found[1], 3);
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
}

#[test]
fn predict_rejects_nan_input() {
    let model = LinearModel::<f64>::zeros(2, 1);
    match model.predict(array![[1.0, 2.0], [f64::NAN, 0.0]].view()) {
        Err(Error::NonFinite { what, row, col }) => assert_eq!((what, row, col), ("x", 1, 0)),
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn predict_rejects_empty_input() {
    let model = LinearModel::<f64>::zeros(2, 1);
    assert!(matches!(
        model.predict(Array2::zeros((0, 2)).view()),
        Err(Error::EmptyInput { what: "x" })
    ));
}

#[test]
fn predict_rejects_an_inconsistent_model() {
    // The fields are public: a bias of the wrong length is the user's doing,
    // so it is an error, not a panic in the broadcast.
    let mut model = LinearModel::<f64>::zeros(2, 1);
    model.bias = array![1.0, 2.0, 3.0];
    assert!(matches!(
        model.predict(array![[1.0, 2.0]].view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut model = LinearModel::<f64>::zeros(2, 1);
    model.weight[[0, 0]] = f64::INFINITY;
    assert!(matches!(
        model.predict(array![[1.0, 2.0]].view()),
        Err(Error::NonFiniteSolution { .. })
    ));
}

#[test]
fn predict_is_forward_on_good_input() {
    let model = LinearModel::from_parameters(array![[2.0, 0.0], [-1.0, 1.0]], array![0.5, -0.5]);
    let x = array![[1.0, 1.0], [3.0, -2.0]];
    // [1·2 + 1·(−1) + 0.5, 1·0 + 1·1 − 0.5] = [1.5, 0.5]
    // [3·2 − 2·(−1) + 0.5, 3·0 − 2·1 − 0.5] = [8.5, −2.5]
    assert_eq!(
        model.predict(x.view()).unwrap(),
        array![[1.5, 0.5], [8.5, -2.5]]
    );
}

// --- StandardScaler --------------------------------------------------------

#[test]
fn scaler_fit_rejects_empty() {
    assert!(matches!(
        StandardScaler::fit(Array2::<f64>::zeros((0, 3)).view()),
        Err(Error::EmptyInput { what: "x" })
    ));
    assert!(matches!(
        StandardScaler::fit(Array2::<f64>::zeros((3, 0)).view()),
        Err(Error::EmptyInput { what: "x" })
    ));
}

#[test]
fn scaler_fit_rejects_nan() {
    let x = array![[1.0, 2.0], [3.0, f64::NAN]];
    match StandardScaler::fit(x.view()) {
        Err(Error::NonFinite { what, row, col }) => assert_eq!((what, row, col), ("x", 1, 1)),
        other => panic!("expected NonFinite, got {other:?}"),
    }
}

#[test]
fn scaler_transform_rejects_wrong_columns() {
    let scaler = StandardScaler::fit(array![[1.0, 2.0], [3.0, 4.0]].view()).unwrap();
    let wrong = array![[1.0, 2.0, 3.0]];
    assert!(matches!(
        scaler.transform(wrong.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        scaler.inverse_transform(wrong.view()),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn scaler_transform_rejects_infinity() {
    let scaler = StandardScaler::fit(array![[1.0, 2.0], [3.0, 4.0]].view()).unwrap();
    assert!(matches!(
        scaler.transform(array![[f64::INFINITY, 0.0]].view()),
        Err(Error::NonFinite { what: "x", .. })
    ));
}

// --- metrics ---------------------------------------------------------------

#[test]
fn metrics_reject_mismatched_shapes() {
    let a = array![[1.0], [2.0], [3.0]];
    for b in [
        array![[1.0], [2.0]],
        array![[1.0, 2.0, 3.0]],
        array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]],
    ] {
        assert!(matches!(
            metrics::mse(a.view(), b.view()),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            metrics::r2(a.view(), b.view()),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}

#[test]
fn metrics_reject_empty_and_non_finite() {
    let e = Array2::<f64>::zeros((0, 1));
    assert!(matches!(
        metrics::mse(e.view(), e.view()),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        metrics::r2(e.view(), e.view()),
        Err(Error::EmptyInput { .. })
    ));
    let a = array![[1.0], [2.0]];
    let nan = array![[1.0], [f64::NAN]];
    assert!(matches!(
        metrics::mse(a.view(), nan.view()),
        Err(Error::NonFinite {
            what: "y_pred",
            row: 1,
            col: 0
        })
    ));
    assert!(matches!(
        metrics::r2(nan.view(), a.view()),
        Err(Error::NonFinite {
            what: "y_true",
            row: 1,
            col: 0
        })
    ));
}
