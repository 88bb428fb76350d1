//! [`train`] and [`train_with`]: convergence to the closed-form ridge
//! solution, exact zeros of the proximal update (and none from the
//! subgradient update), determinism, early stopping, the callback, monotone
//! loss with the automatic step, and divergence.
//!
//! Problems are tiny so that thousands of epochs run in well under a second
//! in a debug build.

use std::ops::ControlFlow;

use elasticnet::{
    ElasticLoss, Error, L1Update, LearningRate, LinearModel, TrainConfig, datasets, train,
    train_with,
};
use ndarray::{Array2, ArrayView2, Axis, ShapeBuilder};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Solves `a·z = rhs` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut rhs: Vec<f64>) -> Vec<f64> {
    let n = rhs.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        rhs.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (t, s) in a[row].iter_mut().zip(&pivot_row).skip(col) {
                *t -= f * s;
            }
            rhs[row] -= f * rhs[col];
        }
    }
    let mut z = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|c| a[row][c] * z[c]).sum();
        z[row] = (rhs[row] - s) / a[row][row];
    }
    z
}

/// The minimiser of `1/(2m)‖y − Xw − b‖² + λ₂/2‖w‖²` (bias not penalised)
/// for one output column: centre, then `(XcᵀXc/m + λ₂I)w = Xcᵀyc/m`,
/// `b = ȳ − x̄ᵀw`.
fn ridge_closed_form(x: ArrayView2<f64>, y: &[f64], l2: f64) -> (Vec<f64>, f64) {
    let (m, p) = x.dim();
    let mf = m as f64;
    let x_mean: Vec<f64> = (0..p)
        .map(|j| (0..m).map(|i| x[[i, j]]).sum::<f64>() / mf)
        .collect();
    let y_mean = y.iter().sum::<f64>() / mf;
    let mut a = vec![vec![0.0; p]; p];
    let mut rhs = vec![0.0; p];
    for i in 0..m {
        for j in 0..p {
            let xij = x[[i, j]] - x_mean[j];
            rhs[j] += xij * (y[i] - y_mean) / mf;
            for l in 0..p {
                a[j][l] += xij * (x[[i, l]] - x_mean[l]) / mf;
            }
        }
    }
    for (j, row) in a.iter_mut().enumerate() {
        row[j] += l2;
    }
    let w = solve(a, rhs);
    let b = y_mean - x_mean.iter().zip(&w).map(|(u, v)| u * v).sum::<f64>();
    (w, b)
}

/// The largest eigenvalue of `AᵀA/m` with `A = [x 1]` for one feature:
/// the 2 × 2 matrix `[[mean x², mean x], [mean x, 1]]`.
fn lambda_max_one_feature(x: ArrayView2<f64>) -> f64 {
    let m = x.nrows() as f64;
    let a = x.iter().map(|v| v * v).sum::<f64>() / m;
    let b = x.iter().sum::<f64>() / m;
    let d = 1.0;
    (a + d) / 2.0 + (((a - d) / 2.0).powi(2) + b * b).sqrt()
}

/// 20 rows, 4 features, 2 outputs with different true weights.
fn ridge_data() -> (Array2<f64>, Array2<f64>) {
    let mut rng = StdRng::seed_from_u64(2024);
    let x = Array2::from_shape_simple_fn((20, 4), || rng.random_range(-2.0..2.0));
    let w_true = ndarray::array![[1.0, -2.0], [0.5, 0.0], [-1.5, 3.0], [0.0, 0.25]];
    let mut y = x.dot(&w_true);
    y.column_mut(0).mapv_inplace(|v| v + 1.5);
    y.column_mut(1).mapv_inplace(|v| v - 0.5);
    y.mapv_inplace(|v| v + rng.random_range(-0.5..0.5));
    (x, y)
}

#[test]
fn full_batch_auto_reaches_the_closed_form_ridge_solution() {
    let (x, y) = ridge_data();
    for l2 in [0.0, 0.1, 1.0] {
        let mut model = LinearModel::zeros(4, 2);
        let loss = ElasticLoss::new(0.0, l2).unwrap();
        let config = TrainConfig {
            epochs: 5000,
            ..TrainConfig::default()
        };
        let report = train(&mut model, &loss, x.view(), y.view(), &config).unwrap();
        assert_eq!(report.epochs_run, 5000);
        for k in 0..2 {
            let yk: Vec<f64> = y.column(k).to_vec();
            let (w, b) = ridge_closed_form(x.view(), &yk, l2);
            for (j, wj) in w.iter().enumerate() {
                assert!(
                    (model.weight[[j, k]] - wj).abs() <= 1e-6,
                    "l2 = {l2}: w[{j},{k}] = {} vs closed form {wj}",
                    model.weight[[j, k]]
                );
            }
            assert!(
                (model.bias[k] - b).abs() <= 1e-6,
                "l2 = {l2}: b[{k}] = {} vs closed form {b}",
                model.bias[k]
            );
        }
    }
}

#[test]
fn auto_learning_rate_is_one_over_the_lipschitz_constant() {
    let data = datasets::seed_example(3);
    let l2 = 0.25;
    let lipschitz = lambda_max_one_feature(data.x.view()) + l2;
    let mut model = LinearModel::zeros(1, 1);
    let loss = ElasticLoss::new(0.0, l2).unwrap();
    let config = TrainConfig {
        epochs: 1,
        ..TrainConfig::default()
    };
    let report = train(&mut model, &loss, data.x.view(), data.y.view(), &config).unwrap();
    // A safe step (at most 1/L), and not needlessly small.
    assert!(report.learning_rate <= 1.0 / lipschitz);
    assert!(report.learning_rate >= 0.95 / lipschitz);

    let config = TrainConfig {
        epochs: 1,
        learning_rate: LearningRate::Constant(0.125),
        ..TrainConfig::default()
    };
    let report = train(&mut model, &loss, data.x.view(), data.y.view(), &config).unwrap();
    assert_eq!(report.learning_rate, 0.125);
}

/// The notebook's data set trained the notebook's way recovers the line, in
/// `f32` too; the answer is the least-squares fit computed here.
#[test]
fn seed_example_trains_to_least_squares_in_f32() {
    let data = datasets::seed_example(5);
    let y: Vec<f64> = data.y.column(0).to_vec();
    let (w, b) = ridge_closed_form(data.x.view(), &y, 0.0);
    let d32 = data.cast::<f32>();
    let mut model = LinearModel::<f32>::zeros(1, 1);
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let config = TrainConfig {
        epochs: 300,
        ..TrainConfig::default()
    };
    train(&mut model, &loss, d32.x.view(), d32.y.view(), &config).unwrap();
    assert!((f64::from(model.weight[[0, 0]]) - w[0]).abs() < 1e-4);
    assert!((f64::from(model.bias[0]) - b).abs() < 1e-4);
}

/// Lasso data: 3 informative features out of 8, so 5 columns are pure noise.
fn lasso_data() -> datasets::Dataset<f64> {
    datasets::make_regression(60, 8, 3, 0.5, 3)
}

fn lasso_config(l1_update: L1Update) -> TrainConfig<f64> {
    TrainConfig {
        epochs: 3000,
        l1_update,
        ..TrainConfig::default()
    }
}

#[test]
fn proximal_training_gives_exact_zeros_and_satisfies_kkt() {
    let data = lasso_data();
    let true_coef = data.true_coef.clone().unwrap();
    let (l1, l2) = (0.5, 0.01);
    let loss = ElasticLoss::new(l1, l2).unwrap();
    let mut model = LinearModel::zeros(8, 1);
    train(
        &mut model,
        &loss,
        data.x.view(),
        data.y.view(),
        &lasso_config(L1Update::Proximal),
    )
    .unwrap();

    for j in 0..8 {
        if true_coef[[j, 0]] == 0.0 {
            assert_eq!(
                model.weight[[j, 0]],
                0.0,
                "noise feature {j} should be exactly 0"
            );
        } else {
            assert!(model.weight[[j, 0]] != 0.0, "informative feature {j}");
            assert_eq!(
                model.weight[[j, 0]].signum(),
                true_coef[[j, 0]].signum(),
                "sign of feature {j}"
            );
        }
    }

    // Optimality (KKT) certificate, computed here: with r = y − ŷ and
    // c_j = x_jᵀr/m, c_j = λ₁·sign(w_j) + λ₂·w_j where w_j ≠ 0 and |c_j| ≤ λ₁
    // where w_j = 0; and Σr = 0 (the unpenalised bias).
    let r = &data.y - &(data.x.dot(&model.weight) + &model.bias);
    let m = data.x.nrows() as f64;
    assert!(r.sum().abs() / m <= 1e-9, "mean residual {}", r.sum() / m);
    for j in 0..8 {
        let c = data.x.column(j).dot(&r.column(0)) / m;
        let w = model.weight[[j, 0]];
        if w == 0.0 {
            assert!(c.abs() <= l1 + 1e-9, "feature {j}: |c| = {} > λ₁", c.abs());
        } else {
            let expected = l1 * w.signum() + l2 * w;
            assert!(
                (c - expected).abs() <= 1e-8,
                "feature {j}: c = {c} vs {expected}"
            );
        }
    }
}

#[test]
fn subgradient_training_leaves_noise_weights_non_zero() {
    let data = lasso_data();
    let true_coef = data.true_coef.clone().unwrap();
    let loss = ElasticLoss::new(0.5, 0.01).unwrap();
    let mut proximal = LinearModel::zeros(8, 1);
    let prox_report = train(
        &mut proximal,
        &loss,
        data.x.view(),
        data.y.view(),
        &lasso_config(L1Update::Proximal),
    )
    .unwrap();
    let mut sub = LinearModel::zeros(8, 1);
    let sub_report = train(
        &mut sub,
        &loss,
        data.x.view(),
        data.y.view(),
        &lasso_config(L1Update::Subgradient),
    )
    .unwrap();
    let noise: Vec<usize> = (0..8).filter(|&j| true_coef[[j, 0]] == 0.0).collect();
    assert_eq!(noise.len(), 5);
    for &j in &noise {
        assert_eq!(proximal.weight[[j, 0]], 0.0);
        assert!(
            sub.weight[[j, 0]] != 0.0,
            "subgradient steps should hover around 0, not reach it (feature {j})"
        );
    }
    // The proximal run reaches the minimum; the subgradient one cannot do
    // better.
    let prox_final = *prox_report.losses.last().unwrap();
    let sub_final = *sub_report.losses.last().unwrap();
    assert!(prox_final <= sub_final, "{prox_final} vs {sub_final}");
}

fn minibatch_run(seed: u64) -> (LinearModel<f64>, elasticnet::TrainReport<f64>) {
    let data = datasets::make_regression(50, 3, 2, 0.3, 11);
    let mut model = LinearModel::new(3, 1, &mut StdRng::seed_from_u64(1));
    let loss = ElasticLoss::new(0.05, 0.01).unwrap();
    let config = TrainConfig {
        epochs: 30,
        learning_rate: LearningRate::Constant(0.05),
        batch_size: Some(16),
        seed,
        ..TrainConfig::default()
    };
    let report = train(&mut model, &loss, data.x.view(), data.y.view(), &config).unwrap();
    (model, report)
}

#[test]
fn same_seed_same_result_different_seed_different_result() {
    let (a, ra) = minibatch_run(7);
    let (b, rb) = minibatch_run(7);
    assert_eq!(a.weight, b.weight);
    assert_eq!(a.bias, b.bias);
    assert_eq!(ra.losses, rb.losses);
    assert_eq!(ra, rb);
    let (c, rc) = minibatch_run(8);
    assert_ne!(a.weight, c.weight);
    assert_ne!(ra.losses, rc.losses);
}

#[test]
fn batch_size_at_least_m_is_full_batch() {
    let data = datasets::make_regression(30, 2, 2, 0.3, 4);
    let loss = ElasticLoss::new(0.1, 0.1).unwrap();
    let run = |batch_size| {
        let mut model = LinearModel::zeros(2, 1);
        let config = TrainConfig {
            epochs: 20,
            batch_size,
            seed: 9,
            ..TrainConfig::default()
        };
        let report = train(&mut model, &loss, data.x.view(), data.y.view(), &config).unwrap();
        (model, report)
    };
    let full = run(None);
    assert_eq!(run(Some(30)), full);
    assert_eq!(run(Some(1000)), full);
    assert_ne!(run(Some(29)).0.weight, full.0.weight);
}

/// Is `|next − prev| ≤ tol·|prev|`, the documented stopping rule?
fn tol_met(prev: f64, next: f64, tol: f64) -> bool {
    (next - prev).abs() <= tol * prev.abs()
}

#[test]
fn early_stopping_with_tol() {
    let data = datasets::seed_example(1);
    let loss = ElasticLoss::new(0.01, 0.01).unwrap();
    let mut model = LinearModel::zeros(1, 1);
    let initial = loss.value(
        data.y.view(),
        model.forward(data.x.view()).view(),
        model.weight.view(),
    );
    let tol = 1e-9;
    let config = TrainConfig {
        epochs: 100_000,
        tol: Some(tol),
        ..TrainConfig::default()
    };
    let mut calls = 0;
    let report = train_with(
        &mut model,
        &loss,
        data.x.view(),
        data.y.view(),
        &config,
        |_, _, _| {
            calls += 1;
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert!(report.converged);
    assert!(report.epochs_run < config.epochs);
    assert!(report.epochs_run > 1);
    assert_eq!(report.losses.len(), report.epochs_run);
    assert_eq!(
        calls, report.epochs_run,
        "the callback runs after every epoch"
    );
    // The rule holds at the last epoch and at no earlier one.
    let mut all = vec![initial];
    all.extend(&report.losses);
    let n = all.len();
    assert!(tol_met(all[n - 2], all[n - 1], tol));
    for pair in all[..n - 1].windows(2) {
        assert!(!tol_met(pair[0], pair[1], tol), "stopped too late");
    }
}

#[test]
fn callback_break_stops_and_sees_every_epoch() {
    let data = datasets::make_regression(40, 3, 2, 0.5, 2);
    let loss = ElasticLoss::new(0.1, 0.2).unwrap();
    let mut model = LinearModel::zeros(3, 1);
    let config = TrainConfig {
        epochs: 50,
        ..TrainConfig::default()
    };
    let mut seen = Vec::new();
    let report = train_with(
        &mut model,
        &loss,
        data.x.view(),
        data.y.view(),
        &config,
        |epoch, m, l| {
            // The loss handed over is L on all rows for the model handed over.
            let own = loss.value(
                data.y.view(),
                m.forward(data.x.view()).view(),
                m.weight.view(),
            );
            assert!(
                (own - l).abs() <= 1e-12 * own,
                "epoch {epoch}: {l} vs {own}"
            );
            seen.push((epoch, l));
            if epoch == 4 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .unwrap();
    assert_eq!(report.epochs_run, 5);
    assert!(!report.converged);
    assert_eq!(report.losses.len(), 5);
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(seen.iter().map(|s| s.1).collect::<Vec<_>>(), report.losses);
}

#[test]
fn auto_full_batch_loss_never_increases() {
    let data = datasets::make_regression(40, 5, 2, 1.0, 5);
    for (l1, l2, update) in [
        (0.0, 0.0, L1Update::Proximal),
        (0.3, 0.05, L1Update::Proximal),
        (2.0, 0.0, L1Update::Proximal),
    ] {
        let loss = ElasticLoss::new(l1, l2).unwrap();
        let mut model = LinearModel::new(5, 1, &mut StdRng::seed_from_u64(3));
        let initial = loss.value(
            data.y.view(),
            model.forward(data.x.view()).view(),
            model.weight.view(),
        );
        let config = TrainConfig {
            epochs: 300,
            l1_update: update,
            ..TrainConfig::default()
        };
        let report = train(&mut model, &loss, data.x.view(), data.y.view(), &config).unwrap();
        assert_eq!(report.losses.len(), 300);
        let mut prev = initial;
        for (e, &l) in report.losses.iter().enumerate() {
            // Monotone in exact arithmetic; allow the rounding of evaluating L.
            assert!(
                l <= prev * (1.0 + 1e-13),
                "l1 = {l1}, l2 = {l2}: loss went up at epoch {e}: {prev} -> {l}"
            );
            prev = l;
        }
        assert!(report.losses[299] < initial);
    }
}

#[test]
fn huge_learning_rate_diverges_at_epoch_zero_and_keeps_weights() {
    let data = datasets::seed_example(0);
    let start = LinearModel::new(1, 1, &mut StdRng::seed_from_u64(4));
    let mut model = start.clone();
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let config = TrainConfig {
        epochs: 100,
        learning_rate: LearningRate::Constant(1e6),
        ..TrainConfig::default()
    };
    match train(&mut model, &loss, data.x.view(), data.y.view(), &config) {
        Err(Error::Diverged { epoch, loss }) => {
            assert_eq!(epoch, 0);
            assert!(!loss.is_finite() || loss > 1e8, "loss {loss}");
        }
        other => panic!("expected Diverged, got {other:?}"),
    }
    assert!(model.weight.iter().all(|v| v.is_finite()));
    assert!(model.bias.iter().all(|v| v.is_finite()));
    assert_eq!(model.weight, start.weight);
    assert_eq!(model.bias, start.bias);
}

/// A step of 2.5/λmax grows the error along the top eigenvector by 1.5 per
/// epoch, so the run diverges after some epochs; the model must then hold
/// exactly what a run stopped one epoch earlier leaves.
#[test]
fn divergence_keeps_the_last_finite_weights() {
    let data = datasets::seed_example(0);
    let lr = 2.5 / lambda_max_one_feature(data.x.view());
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let config = TrainConfig {
        epochs: 1000,
        learning_rate: LearningRate::Constant(lr),
        ..TrainConfig::default()
    };
    let mut model = LinearModel::zeros(1, 1);
    let epoch = match train(&mut model, &loss, data.x.view(), data.y.view(), &config) {
        Err(Error::Diverged { epoch, .. }) => epoch,
        other => panic!("expected Diverged, got {other:?}"),
    };
    assert!(epoch > 3 && epoch < 100, "diverged at epoch {epoch}");
    assert!(model.weight.iter().all(|v| v.is_finite()));
    assert!(model.bias.iter().all(|v| v.is_finite()));

    let mut shorter = LinearModel::zeros(1, 1);
    let short_config = TrainConfig {
        epochs: epoch,
        ..config.clone()
    };
    let report = train(
        &mut shorter,
        &loss,
        data.x.view(),
        data.y.view(),
        &short_config,
    )
    .unwrap();
    assert_eq!(report.epochs_run, epoch);
    assert_eq!(model.weight, shorter.weight);
    assert_eq!(model.bias, shorter.bias);
}

/// The subgradient update's allowance for its bounded jitter around 0
/// (`lr·λ₁²·p·k` in the divergence threshold) does not hide a genuine blow
/// up: a step far beyond `2/L` still diverges, within a few epochs, and
/// keeps the weights from before the epoch that diverged.
#[test]
fn subgradient_with_a_huge_step_still_diverges() {
    let data = datasets::seed_example(0);
    let loss = ElasticLoss::new(0.1, 0.0).unwrap();
    let config = TrainConfig {
        epochs: 100,
        learning_rate: LearningRate::Constant(1e3),
        l1_update: L1Update::Subgradient,
        ..TrainConfig::default()
    };
    let mut model = LinearModel::zeros(1, 1);
    let epoch = match train(&mut model, &loss, data.x.view(), data.y.view(), &config) {
        Err(Error::Diverged { epoch, .. }) => epoch,
        other => panic!("expected Diverged, got {other:?}"),
    };
    assert!(epoch < 5, "diverged only at epoch {epoch}");
    assert!(model.is_finite());
}

/// Mini-batch divergence restores the weights from before the whole epoch.
#[test]
fn minibatch_divergence_keeps_weights_from_before_the_epoch() {
    let data = datasets::seed_example(0);
    let start = LinearModel::<f64>::zeros(1, 1);
    let mut model = start.clone();
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    let config = TrainConfig {
        epochs: 10,
        learning_rate: LearningRate::Constant(1e3),
        batch_size: Some(10),
        ..TrainConfig::default()
    };
    let err = train(&mut model, &loss, data.x.view(), data.y.view(), &config).unwrap_err();
    assert!(matches!(err, Error::Diverged { epoch: 0, .. }), "{err:?}");
    assert_eq!(model.weight, start.weight);
    assert_eq!(model.bias, start.bias);
}

/// Each output is its own problem: training on two outputs at once gives
/// the same columns as training on each alone.
#[test]
fn outputs_are_independent_problems() {
    let (x, y) = ridge_data();
    let loss = ElasticLoss::new(0.2, 0.1).unwrap();
    let config = TrainConfig {
        epochs: 200,
        ..TrainConfig::default()
    };
    let mut both = LinearModel::zeros(4, 2);
    train(&mut both, &loss, x.view(), y.view(), &config).unwrap();
    for k in 0..2 {
        let yk = y.column(k).to_owned().insert_axis(Axis(1));
        let mut one = LinearModel::zeros(4, 1);
        train(&mut one, &loss, x.view(), yk.view(), &config).unwrap();
        for j in 0..4 {
            assert!((one.weight[[j, 0]] - both.weight[[j, k]]).abs() <= 1e-12);
        }
        assert!((one.bias[0] - both.bias[k]).abs() <= 1e-12);
    }
}

/// One high-leverage row makes single-row batches far more curved than the
/// whole data set; the automatic step must stay stable for every batch size.
#[test]
fn auto_learning_rate_is_stable_with_mini_batches_and_a_high_leverage_row() {
    let mut xs: Vec<f64> = (0..20).map(|i| i as f64 * 0.03).collect();
    xs.push(30.0);
    let x = Array2::from_shape_vec((21, 1), xs.clone()).unwrap();
    let y = Array2::from_shape_vec((21, 1), xs.iter().map(|v| 2.0 * v + 1.0).collect()).unwrap();
    let loss = ElasticLoss::new(0.0, 0.0).unwrap();
    for batch in [1, 4, 21] {
        let mut model = LinearModel::<f64>::zeros(1, 1);
        let config = TrainConfig {
            epochs: 200,
            batch_size: Some(batch),
            ..TrainConfig::default()
        };
        let report = train(&mut model, &loss, x.view(), y.view(), &config)
            .unwrap_or_else(|e| panic!("batch {batch}: {e}"));
        assert!(
            report.losses[199] < report.losses[0],
            "batch {batch} did not learn"
        );
        assert!(
            (model.weight[[0, 0]] - 2.0).abs() < 0.1,
            "batch {batch}: w = {}",
            model.weight
        );
    }
}

/// `train` reads `x` and `y` in place whatever their memory layout (rows
/// with unit column stride directly, other layouts one row at a time): a
/// column-major `x`, a column slice of a wider array, every other column,
/// and a column-major `y` give the run of the row-major data, full batch and
/// mini-batch, proximal and subgradient.
#[test]
fn memory_layouts_give_the_same_run() {
    let (x, y) = ridge_data();
    let column_major = |a: &Array2<f64>| {
        let mut c = Array2::zeros(a.raw_dim().f());
        c.assign(a);
        c
    };
    let x_cols = column_major(&x);
    let wide = ndarray::concatenate![Axis(1), x, x]; // x then a copy
    let x_slice = wide.slice(ndarray::s![.., ..4]); // row stride 8
    let spread = {
        let mut s = Array2::zeros((x.nrows(), 8));
        for j in 0..4 {
            s.column_mut(2 * j).assign(&x.column(j));
        }
        s
    };
    let x_every_other = spread.slice(ndarray::s![.., ..;2]); // column stride 2
    let y_cols = column_major(&y);
    assert!(x_cols.as_slice().is_none() && y_cols.as_slice().is_none());
    let loss = ElasticLoss::new(0.05, 0.1).unwrap();
    for (batch_size, l1_update) in [
        (None, L1Update::Proximal),
        (Some(6), L1Update::Proximal),
        (None, L1Update::Subgradient),
    ] {
        // A constant step: the automatic one (power iteration through
        // ndarray's products) may round differently for another layout.
        let config = TrainConfig {
            epochs: 40,
            learning_rate: LearningRate::Constant(0.05),
            batch_size,
            l1_update,
            seed: 3,
            ..TrainConfig::default()
        };
        let run = |x: ArrayView2<f64>, y: ArrayView2<f64>| {
            let mut model = LinearModel::zeros(4, 2);
            let report = train(&mut model, &loss, x, y, &config).unwrap();
            (model.weight, model.bias, report.losses)
        };
        let expected = run(x.view(), y.view());
        for (name, got) in [
            ("column-major x", run(x_cols.view(), y.view())),
            ("column slice", run(x_slice, y.view())),
            ("column stride 2", run(x_every_other, y.view())),
            ("column-major y", run(x.view(), y_cols.view())),
        ] {
            assert_eq!(got, expected, "{name}, {batch_size:?}, {l1_update:?}");
        }
    }
}

/// The first epoch's pass over the data also checks it: a NaN or an infinity
/// anywhere in `x` or `y` is `NonFinite` naming it, with its position, for
/// every learning rate and batch size, and before any error in the
/// settings; the model is untouched.
#[test]
fn non_finite_data_is_found_by_the_first_pass() {
    let (x, y) = ridge_data();
    let start = LinearModel::new(4, 2, &mut StdRng::seed_from_u64(5));
    for (what, row, col, value) in [
        ("x", 7, 2, f64::NAN),
        ("x", 19, 3, f64::INFINITY),
        ("x", 0, 0, f64::NEG_INFINITY),
        ("y", 11, 1, f64::NAN),
        ("y", 3, 0, f64::INFINITY),
    ] {
        let (mut x, mut y) = (x.clone(), y.clone());
        match what {
            "x" => x[[row, col]] = value,
            _ => y[[row, col]] = value,
        }
        for (learning_rate, batch_size, epochs) in [
            (LearningRate::Constant(0.01), None, 3),
            (LearningRate::Auto, None, 3),
            (LearningRate::Constant(0.01), Some(5), 3),
            (LearningRate::Constant(0.01), None, 0), // invalid settings too
        ] {
            let config = TrainConfig {
                epochs,
                learning_rate,
                batch_size,
                ..TrainConfig::default()
            };
            let mut model = start.clone();
            let loss = ElasticLoss::new(0.1, 0.1).unwrap();
            let err = train(&mut model, &loss, x.view(), y.view(), &config).unwrap_err();
            assert!(
                matches!(err, Error::NonFinite { what: w, row: r, col: c }
                    if w == what && r == row && c == col),
                "{what}[{row}, {col}] = {value}, {config:?}: {err:?}"
            );
            assert_eq!(model, start);
        }
    }
}

/// After `train`, `weight_grad` and `bias_grad` hold the gradient of the
/// last step: the data term's (computed here with `forward` / `backward` at
/// the weights before that step) plus `λ₂W`.
#[test]
fn gradients_after_train_are_those_of_the_last_step() {
    let (x, y) = ridge_data();
    let loss = ElasticLoss::new(0.0, 0.3).unwrap();
    let config = TrainConfig {
        epochs: 7,
        learning_rate: LearningRate::Constant(0.05),
        ..TrainConfig::default()
    };
    let mut before_last = LinearModel::zeros(4, 2);
    let short = TrainConfig {
        epochs: 6,
        ..config.clone()
    };
    train(&mut before_last, &loss, x.view(), y.view(), &short).unwrap();
    let mut model = LinearModel::zeros(4, 2);
    train(&mut model, &loss, x.view(), y.view(), &config).unwrap();

    let upstream = loss.grad_output(y.view(), before_last.forward(x.view()).view());
    before_last.backward(x.view(), upstream.view());
    let expected = &before_last.weight_grad + &(&before_last.weight * loss.l2);
    for (a, b) in model.weight_grad.iter().zip(&expected) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
    }
    for (a, b) in model.bias_grad.iter().zip(&before_last.bias_grad) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
    }
}
