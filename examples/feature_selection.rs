//! The notebook's intuition made measurable: on data where only 5 of 50
//! features matter, which features do Lasso, Ridge and the elastic net keep,
//! and how well does each predict new data?
//!
//! Each model's `alpha` is chosen by 5-fold cross-validation on the training
//! rows; the test rows are used only for the final score.
//!
//! Run: `cargo run --release --example feature_selection`

use elasticnet::{ElasticNetCv, Result, datasets, metrics};
use ndarray::s;

fn main() -> Result<()> {
    let (n_train, n_test, n_features, n_informative) = (200, 1000, 50, 5);
    let data = datasets::make_regression(n_train + n_test, n_features, n_informative, 5.0, 42);
    let (x_train, y_train) = (
        data.x.slice(s![..n_train, ..]),
        data.y.slice(s![..n_train, ..]),
    );
    let (x_test, y_test) = (
        data.x.slice(s![n_train.., ..]),
        data.y.slice(s![n_train.., ..]),
    );
    let truth = data
        .true_coef
        .as_ref()
        .expect("synthetic data know their coefficients");
    let informative: Vec<usize> = (0..n_features).filter(|&j| truth[[j, 0]] != 0.0).collect();

    println!(
        "{n_train} training rows, {n_test} test rows, {n_features} features; the informative ones: {informative:?}\n"
    );
    println!(
        "{:<12} {:>9} {:>6} {:>9} {:>9} {:>10}",
        "model", "alpha", "kept", "true pos", "false pos", "test MSE"
    );
    for (name, l1_ratio) in [("Lasso", 1.0), ("ElasticNet", 0.5), ("Ridge", 0.0)] {
        let cv = ElasticNetCv::new()
            .l1_ratios(vec![l1_ratio])
            .seed(7)
            .fit(x_train, y_train)?;
        let w = &cv.fit.model.weight;
        let kept: Vec<usize> = (0..n_features).filter(|&j| w[[j, 0]] != 0.0).collect();
        let true_pos = kept.iter().filter(|j| informative.contains(j)).count();
        let test_mse = metrics::mse(y_test, cv.fit.predict(x_test)?.view())?;
        println!(
            "{name:<12} {:>9.4} {:>6} {:>9} {:>9} {:>10.2}",
            cv.alpha_min,
            kept.len(),
            true_pos,
            kept.len() - true_pos,
            test_mse
        );
    }
    println!(
        "\nThe noise variance is {:.1}: a perfect model would score about that.",
        5.0_f64 * 5.0
    );
    println!("Lasso and the elastic net set most useless coefficients to exactly 0;");
    println!("Ridge shrinks them but keeps all {n_features}.");
    Ok(())
}
