//! `elasticnet cv`: k-fold cross-validation over alpha and l1_ratio (and,
//! with `--relax`, the relaxed lasso's gamma), as in
//! `examples/diabetes.rs`; the chosen model can be saved.

use elasticnet::{ElasticLoss, ElasticNetCv, ElasticNetPath, LinearModel, Path, RelaxedCv};

use super::{
    PerFeature, check_plot_available, coefficient_table, data_line, iterations, objective_value,
    penalty_line, preprocessing, r2, r2_label, standardization, with_per_feature,
};
use crate::args::CvArgs;
use crate::error::{CliError, Result};
use crate::model_file::{ModelFile, Objective, Training};
use crate::output::{check_destination, short, sig, table};
use crate::progress::Progress;
use crate::table::{CsvFile, read_all};

pub fn run(a: &CvArgs, progress: &Progress) -> Result<String> {
    check_plot_available(a.plot.as_deref())?;
    check_destination(a.plot.as_deref())?;
    check_destination(a.out.as_deref())?;
    let fit_intercept = !a.data.no_intercept;
    let mut builder = ElasticNetCv::new()
        .l1_ratios(a.l1_ratios.clone())
        .n_alphas(a.grid.n_alphas)
        .eps(a.grid.eps)
        .folds(a.folds)
        .seed(a.seed)
        .fit_intercept(fit_intercept)
        .standardize(a.data.standardize)
        .tol(a.solve.tol)
        .max_iter(a.solve.max_iter);
    if let Some(gammas) = &a.relax {
        builder = builder.relax(gammas.clone());
    }
    builder.validate()?;
    let file = CsvFile::open(&a.data.data)?;
    let selection = file.select_weighted(
        Some(&a.data.target),
        a.data.features.as_deref(),
        a.data.weights.as_deref(),
    )?;
    let per_feature = PerFeature::resolve(&a.per_feature, &a.data, &selection)?;
    let builder = with_per_feature!(builder, &per_feature);
    let data = read_all(&file, &selection, progress)?;
    let (x, y) = (
        data.x.view(),
        data.y.as_ref().expect("target selected").view(),
    );
    let w = data.w.as_ref().map(|w| w.view());
    let label = format!(
        "{}-fold cross-validation over {} l1_ratio(s) × {} alphas{}",
        a.folds,
        a.l1_ratios.len(),
        a.grid.n_alphas,
        match &a.relax {
            Some(g) => format!(" × {} gammas", g.len()),
            None => String::new(),
        }
    );
    let cv = progress
        .working(&label, || match w {
            Some(w) => builder.fit_weighted(x, y, w),
            None => builder.fit(x, y),
        })
        .map_err(|e| match e {
            elasticnet::Error::InvalidParameter {
                name: "sample_weight",
                ..
            } => CliError::input(format!(
                "--weights: a fold, or the rows outside it, has total weight 0; \
                 give more rows a positive weight, or use fewer --folds or another --seed ({e})"
            )),
            e => e.into(),
        })?;
    // A path on all the data with the settings of the folds' paths.
    let path_on_all = |l1_ratio: f64, alphas: Vec<f64>| -> Result<Path<f64>> {
        let builder = with_per_feature!(
            ElasticNetPath::new(l1_ratio)
                .alphas(alphas)
                .fit_intercept(fit_intercept)
                .standardize(a.data.standardize)
                .tol(a.solve.tol)
                .max_iter(a.solve.max_iter)
                .relax(a.relax.is_some()),
            &per_feature
        );
        Ok(match w {
            Some(w) => builder.fit_weighted(x, y, w)?,
            None => builder.fit(x, y)?,
        })
    };

    // Non-zeros at each l1_ratio's alpha_min, on all the data.
    let mut rows = Vec::with_capacity(cv.l1_ratios.len());
    let mut paths = Vec::with_capacity(cv.l1_ratios.len());
    for (r, &l1_ratio) in cv.l1_ratios.iter().enumerate() {
        let (i_min, i_1se) = cv.alpha_indices(r);
        let path = progress.working(&format!("path at l1_ratio = {l1_ratio}"), || {
            path_on_all(l1_ratio, cv.alphas.row(r).to_vec())
        })?;
        rows.push(vec![
            short(l1_ratio, 4),
            short(cv.alphas[[r, i_min]], 5),
            short(cv.alphas[[r, i_1se]], 5),
            mse_cell(cv.mse_mean[[r, i_min]], cv.mse_se[[r, i_min]]),
            path.n_nonzero(i_min).to_string(),
        ]);
        paths.push(path);
    }
    let r2_label = r2_label(w.is_some());
    let r2 = r2(y, cv.fit.predict(x)?.view(), w)?;
    let best_r = cv.chosen_index();
    let best_a = cv.alpha_indices(best_r).0;
    let cv_mse = cv.mse_mean[[best_r, best_a]];

    let mut report = data_line("cv", &a.data, x.nrows(), data.w.as_ref(), &selection);
    report += &format!(
        "{}-fold cross-validation (seed {}), {} alphas per l1_ratio; {}{}\n",
        a.folds,
        a.seed,
        a.grid.n_alphas,
        preprocessing(&a.data),
        if per_feature.positive {
            "; positive"
        } else {
            ""
        }
    );
    report += &per_feature.lines();
    report += "\n";
    report += &table(
        &["l1_ratio", "alpha_min", "alpha_1se", "CV MSE", "non-zeros"],
        &rows,
        false,
    );
    report += &format!(
        "\nchosen: {}; CV MSE {}\nrefit on all rows: {}, {}, duality gap {}, objective {}, {r2_label} {}\n",
        penalty_line(cv.alpha_min, cv.l1_ratio),
        mse_cell(cv_mse, cv.mse_se[[best_r, best_a]]),
        iterations(cv.fit.n_iter),
        if cv.fit.converged {
            "converged"
        } else {
            "NOT converged"
        },
        short(cv.fit.duality_gap, 3),
        short(cv.fit.objective, 8),
        short(r2, 6)
    );

    // The relaxed lasso: the best (l1_ratio, alpha) of each gamma, the
    // joint choice, and whether it beats the ordinary one.
    let relaxed = match &cv.relaxed {
        None => None,
        Some(rc) => {
            let mut rows = Vec::with_capacity(rc.gammas.len());
            for (g, &gamma) in rc.gammas.iter().enumerate() {
                let scores = rc.mse_mean.index_axis(ndarray::Axis(0), g);
                let mut best = (0, 0);
                for ((r, i), &v) in scores.indexed_iter() {
                    if v < scores[best] {
                        best = (r, i);
                    }
                }
                let (r, i) = best;
                let model = paths[r].relaxed_model(i, gamma)?;
                rows.push(vec![
                    short(gamma, 4),
                    short(cv.l1_ratios[r], 4),
                    short(cv.alphas[[r, i]], 5),
                    mse_cell(scores[best], rc.mse_se[[g, r, i]]),
                    model
                        .weight
                        .iter()
                        .filter(|&&v| v != 0.0)
                        .count()
                        .to_string(),
                ]);
            }
            // The library's joint choice: the least mean MSE over (gamma,
            // l1_ratio, alpha), ties to the first.
            let mut best = (0, 0, 0);
            for (gri, &v) in rc.mse_mean.indexed_iter() {
                if v < rc.mse_mean[best] {
                    best = gri;
                }
            }
            let (g, r, i) = best;
            debug_assert_eq!(
                (rc.gamma, rc.l1_ratio, rc.alpha),
                (rc.gammas[g], cv.l1_ratios[r], cv.alphas[[r, i]])
            );
            let relaxed_mse = rc.mse_mean[[g, r, i]];
            let better = relaxed_mse < cv_mse;
            // The relaxed choice again, as the library computes it, for
            // its convergence and the model file's record.
            let path =
                progress.working("relaxed refit", || path_on_all(rc.l1_ratio, vec![rc.alpha]))?;
            let refit_converged = path.relaxed.as_ref().is_some_and(|p| p.converged[0]);
            let r2_relaxed = super::r2(y, rc.model.predict(x)?.view(), w)?;
            report += "\nrelaxed lasso gamma·β + (1 − gamma)·β_LS (β_LS: the least-squares refit on \
                       β's non-zero features), the best (l1_ratio, alpha) per gamma:\n";
            report += &table(
                &["gamma", "l1_ratio", "alpha_min", "CV MSE", "non-zeros"],
                &rows,
                false,
            );
            report += &format!(
                "\nrelaxed choice: gamma = {}, {}; CV MSE {}\nrefit on all rows: least squares {}, {r2_label} {}\n",
                short(rc.gamma, 6),
                penalty_line(rc.alpha, rc.l1_ratio),
                mse_cell(relaxed_mse, rc.mse_se[[g, r, i]]),
                if refit_converged {
                    "converged"
                } else {
                    "NOT converged"
                },
                short(r2_relaxed, 6)
            );
            report += &if better {
                format!(
                    "model: the relaxed choice (gamma = {}), whose CV MSE is the lower\n",
                    short(rc.gamma, 6)
                )
            } else {
                "model: the ordinary choice (the relaxed one does not lower the CV MSE)\n".into()
            };
            Some(Relaxed {
                cv: rc,
                path,
                refit_converged,
                r2: r2_relaxed,
                better,
            })
        }
    };
    report += "\n";
    report += &match &relaxed {
        None => coefficient_table(&selection.feature_names, &cv.fit.model),
        Some(relaxed) => {
            two_coefficient_tables(&selection.feature_names, &cv.fit.model, &relaxed.cv.model)
        }
    };

    #[cfg(feature = "plot")]
    if let Some(dest) = &a.plot {
        super::plot_to(dest, |tmp| cv.plot(tmp))?;
        report += &format!("\nplot saved to {}\n", dest.display());
    }
    if let Some(out) = &a.out {
        let scaler = standardization(&a.data, &data)?;
        let (penalty_factor, lower, upper) = per_feature.record();
        let mut objective = Objective {
            loss: ElasticLoss::from_alpha(cv.alpha_min, cv.l1_ratio)?,
            alpha: cv.alpha_min,
            l1_ratio: cv.l1_ratio,
            fit_intercept,
            positive: per_feature.positive,
            standardize: a.data.standardize,
            penalty_factor,
            lower,
            upper,
            gamma: None,
        };
        let mut training = Training {
            method: "cross-validation".into(),
            data: file.name(),
            sample_weights: a.data.weights.clone(),
            n_samples: x.nrows(),
            n_iter: cv.fit.n_iter,
            converged: cv.fit.converged,
            objective_value: cv.fit.objective,
            duality_gap: cv.fit.duality_gap,
            r2,
        };
        let mut model = &cv.fit.model;
        if let Some(relaxed) = relaxed.as_ref().filter(|r| r.better) {
            let (rc, path) = (relaxed.cv, &relaxed.path);
            objective.loss = ElasticLoss::from_alpha(rc.alpha, rc.l1_ratio)?;
            objective.alpha = rc.alpha;
            objective.l1_ratio = rc.l1_ratio;
            objective.gamma = Some(rc.gamma);
            training.method = "relaxed cross-validation".into();
            training.n_iter = path.n_iter[0];
            training.converged = path.converged[0] && relaxed.refit_converged;
            training.objective_value = objective_value(
                &data,
                &path.model(0),
                rc.alpha,
                rc.l1_ratio,
                &per_feature,
                scaler.as_ref(),
            )?;
            training.duality_gap = path.duality_gaps[0];
            training.r2 = relaxed.r2;
            model = &rc.model;
        }
        ModelFile::new(
            &a.data.target,
            &selection.feature_names,
            model,
            objective,
            scaler,
            training,
        )
        .save(out)?;
        report += &format!(
            "\n{}model saved to {}\n",
            if relaxed.as_ref().is_some_and(|r| r.better) {
                "relaxed "
            } else {
                ""
            },
            out.display()
        );
    }
    Ok(report)
}

/// The relaxed choice of `cv --relax`, refit on all the data.
struct Relaxed<'a> {
    cv: &'a RelaxedCv<f64>,
    /// The single-alpha relaxed path the library refit it with (again).
    path: Path<f64>,
    refit_converged: bool,
    r2: f64,
    /// Whether its CV MSE is below the ordinary choice's.
    better: bool,
}

/// `2893.4 ± 120.5`.
fn mse_cell(mean: f64, se: f64) -> String {
    format!("{} ± {}", short(mean, 5), short(se, 3))
}

/// The coefficients of the ordinary and the relaxed choice side by side.
fn two_coefficient_tables(
    names: &[String],
    ordinary: &LinearModel<f64>,
    relaxed: &LinearModel<f64>,
) -> String {
    let mut rows: Vec<Vec<String>> = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            vec![
                name.clone(),
                sig(ordinary.weight[[j, 0]], 6),
                sig(relaxed.weight[[j, 0]], 6),
            ]
        })
        .collect();
    rows.push(vec![
        "(intercept)".into(),
        sig(ordinary.bias[0], 6),
        sig(relaxed.bias[0], 6),
    ]);
    table(&["feature", "coefficient", "relaxed"], &rows, true)
}
