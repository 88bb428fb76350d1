//! Quick start: the seed notebook's experiment, end to end.
//!
//! 1. Fit a line to noisy points with gradient descent, watching the fit
//!    improve every 10 epochs (the notebook's picture), and plot the loss.
//! 2. Train the same model on the diabetes data without a penalty, with L2
//!    only and with L1 only, and compare the coefficients: L2 shrinks all of
//!    them, L1 sets some to exactly 0.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```
//!
//! The plots are written to `target/plots/`.

use std::ops::ControlFlow;
use std::path::Path;

use elasticnet::{
    ElasticLoss, LearningRate, LinearModel, StandardScaler, TrainConfig, datasets, metrics, plot,
    train, train_with,
};
use ndarray::{Array2, ArrayView2};
use rand::{SeedableRng, rngs::StdRng};

fn main() -> elasticnet::Result<()> {
    let out_dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/target/plots"));
    fit_a_line(out_dir)?;
    compare_penalties()
}

/// Part 1: the notebook's loop on `y = 2x + 1 + noise`.
fn fit_a_line(out_dir: &Path) -> elasticnet::Result<()> {
    println!("== 1. Fitting y = 2x + 1 + noise by gradient descent ==\n");
    let data = datasets::seed_example(42);
    let mut model = LinearModel::new(1, 1, &mut StdRng::seed_from_u64(0));
    let loss = ElasticLoss::new(0.01, 0.01)?;
    let config = TrainConfig {
        epochs: 100,
        learning_rate: LearningRate::Constant(0.02),
        ..TrainConfig::default()
    };

    // (epoch, w, b): the starting line, then one snapshot every 10 epochs.
    let mut fits = vec![(0, model.weight[[0, 0]], model.bias[0])];
    let report = train_with(
        &mut model,
        &loss,
        data.x.view(),
        data.y.view(),
        &config,
        |epoch, model, loss| {
            let done = epoch + 1; // epochs completed
            if done % 10 == 0 {
                println!("epoch {done:>3}   loss {loss:.4}");
                fits.push((done, model.weight[[0, 0]], model.bias[0]));
            }
            ControlFlow::Continue(())
        },
    )?;

    let fits_path = out_dir.join("quickstart_fits.svg");
    let loss_path = out_dir.join("quickstart_loss.svg");
    plot::training_fits(&fits_path, data.x.column(0), data.y.column(0), &fits)?;
    plot::loss_curve(&loss_path, &report.losses)?;

    println!(
        "\nlearned: y = {:.3}·x + {:.3}",
        model.weight[[0, 0]],
        model.bias[0]
    );
    println!(
        "true:    y = {:.3}·x + {:.3}",
        datasets::SEED_WEIGHT,
        datasets::SEED_BIAS
    );
    println!(
        "\nplots: {}\n       {}",
        fits_path.display(),
        loss_path.display()
    );
    Ok(())
}

/// Part 2: no penalty vs L2 vs L1 on the (standardized) diabetes data.
fn compare_penalties() -> elasticnet::Result<()> {
    println!("\n== 2. No penalty vs L2 vs L1 on the diabetes data ==\n");
    let data = datasets::diabetes();
    // Standardize so that one penalty weighs every feature alike.
    let x = StandardScaler::fit(data.x.view())?.transform(data.x.view())?;
    let y = data.y.view();

    let penalties = [
        ("none", ElasticLoss::new(0.0, 0.0)?),
        ("L2: λ₂ = 1", ElasticLoss::new(0.0, 1.0)?),
        ("L1: λ₁ = 5", ElasticLoss::new(5.0, 0.0)?),
    ];
    let config = TrainConfig {
        epochs: 20_000,
        learning_rate: LearningRate::Auto,
        tol: Some(1e-12),
        ..TrainConfig::default()
    };

    let mut models = Vec::new();
    for (_, loss) in &penalties {
        let mut model = LinearModel::zeros(x.ncols(), 1);
        train(&mut model, loss, x.view(), y, &config)?;
        models.push(model);
    }

    print!("{:<8}", "feature");
    for (name, _) in &penalties {
        print!("{name:>14}");
    }
    println!();
    for (j, feature) in data.feature_names.iter().enumerate() {
        print!("{feature:<8}");
        for model in &models {
            print!("{:>14}", coef(model.weight[[j, 0]]));
        }
        println!();
    }
    print!("{:<8}", "non-zero");
    for model in &models {
        print!("{:>14}", model.weight.iter().filter(|&&w| w != 0.0).count());
    }
    println!();
    print!("{:<8}", "MSE");
    for model in &models {
        print!("{:>14.1}", mse(model, x.view(), y)?);
    }
    println!("\n\n(0 = exactly zero; coefficients are per standard deviation of each feature)");
    Ok(())
}

/// A coefficient for the table: exact zeros as `0`, the rest to 2 decimals.
fn coef(w: f64) -> String {
    if w == 0.0 {
        "0".to_string()
    } else {
        format!("{w:.2}")
    }
}

/// Mean squared error of `model` on `(x, y)`.
fn mse(model: &LinearModel, x: ArrayView2<f64>, y: ArrayView2<f64>) -> elasticnet::Result<f64> {
    let y_hat: Array2<f64> = model.predict(x)?;
    metrics::mse(y, y_hat.view())
}
