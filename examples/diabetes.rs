//! Choosing the penalty on real data: the raw diabetes data (10 features on
//! very different scales), standardized inside every fit, with paths and
//! 10-fold cross-validation over four `l1_ratio`s — glmnet's `cv.glmnet`
//! workflow.
//!
//! Prints, per `l1_ratio`, the CV-best alpha, the one-standard-error alpha,
//! its CV MSE and how many features it keeps, and a last line for the
//! relaxed lasso (glmnet's `relax = TRUE`: the penalized fit blended with a
//! least-squares refit on its features, `gamma` chosen by the same CV);
//! then the chosen model's
//! coefficients on the original scale. Writes the coefficient path and the
//! CV curve under `target/plots/`.
//!
//! Run: `cargo run --release --example diabetes`

use std::path::PathBuf;

use elasticnet::{ElasticNetCv, ElasticNetPath, Result, datasets};

fn main() -> Result<()> {
    let data = datasets::diabetes();
    let (x, y) = (data.x.view(), data.y.view());
    let l1_ratios = vec![0.1, 0.5, 0.9, 1.0];
    let cv = ElasticNetCv::new()
        .l1_ratios(l1_ratios.clone())
        .folds(10)
        .seed(0)
        .standardize(true)
        .tol(1e-8)
        .relax(vec![0.0, 0.25, 0.5, 0.75, 1.0])
        .fit(x, y)?;

    println!("10-fold CV on diabetes (442 × 10), standardized inside each fit\n");
    println!(
        "{:>8} {:>10} {:>10} {:>12} {:>10}",
        "l1_ratio", "alpha_min", "alpha_1se", "CV MSE", "non-zeros"
    );
    for (r, &l1_ratio) in l1_ratios.iter().enumerate() {
        let (i_min, i_1se) = cv.alpha_indices(r);
        let grid = cv.alphas.row(r).to_vec();
        let path = ElasticNetPath::new(l1_ratio)
            .alphas(grid)
            .standardize(true)
            .tol(1e-8)
            .fit(x, y)?;
        println!(
            "{:>8} {:>10.4} {:>10.4} {:>8.1} ± {:<5.1} {:>4}",
            l1_ratio,
            cv.alphas[[r, i_min]],
            cv.alphas[[r, i_1se]],
            cv.mse_mean[[r, i_min]],
            cv.mse_se[[r, i_min]],
            path.n_nonzero(i_min)
        );
    }
    if let Some(relaxed) = &cv.relaxed {
        let r = l1_ratios
            .iter()
            .position(|&v| v == relaxed.l1_ratio)
            .expect("a candidate");
        let a = cv
            .alphas
            .row(r)
            .iter()
            .position(|&v| v == relaxed.alpha)
            .expect("on the grid");
        let g = relaxed
            .gammas
            .iter()
            .position(|&v| v == relaxed.gamma)
            .expect("a candidate");
        let non_zeros = relaxed.model.weight.iter().filter(|&&w| w != 0.0).count();
        println!(
            "{:>8} {:>10.4} {:>10} {:>8.1} ± {:<5.1} {:>4}   relaxed, gamma = {}",
            relaxed.l1_ratio,
            relaxed.alpha,
            "",
            relaxed.mse_mean[[g, r, a]],
            relaxed.mse_se[[g, r, a]],
            non_zeros,
            relaxed.gamma
        );
    }

    println!(
        "\nchosen: l1_ratio = {}, alpha = {:.4} (objective {:.3}, duality gap {:.1e}, {} iterations)",
        cv.l1_ratio, cv.alpha_min, cv.fit.objective, cv.fit.duality_gap, cv.fit.n_iter
    );
    println!("coefficients on the original scale:");
    for (name, w) in data.feature_names.iter().zip(cv.fit.model.weight.column(0)) {
        let shown = if *w == 0.0 {
            "0".to_string()
        } else {
            format!("{w:.4}")
        };
        println!("  {name:>4} {shown:>10}");
    }
    println!("  intercept {:.4}", cv.fit.model.bias[0]);

    #[cfg(feature = "plot")]
    {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/plots");
        let path = ElasticNetPath::new(cv.l1_ratio)
            .standardize(true)
            .fit(x, y)?;
        let path_file = dir.join("diabetes_path.svg");
        let cv_file = dir.join("diabetes_cv.svg");
        path.plot(&path_file, 0, &data.feature_names)?;
        cv.plot(&cv_file)?;
        println!(
            "\nplots: {}\n       {}",
            path_file.display(),
            cv_file.display()
        );
    }
    #[cfg(not(feature = "plot"))]
    let _ = PathBuf::new();
    Ok(())
}
