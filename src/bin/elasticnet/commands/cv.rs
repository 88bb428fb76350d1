//! `elasticnet cv`: k-fold cross-validation over alpha and l1_ratio, as in
//! `examples/diabetes.rs`; the refit model can be saved.

use elasticnet::{ElasticLoss, ElasticNetCv, ElasticNetPath, metrics};

use super::{
    check_plot_available, coefficient_table, data_line, iterations, penalty_line, preprocessing,
    standardization,
};
use crate::args::CvArgs;
use crate::error::Result;
use crate::model_file::{ModelFile, Objective, Training};
use crate::output::{check_destination, short, table};
use crate::progress::Progress;
use crate::table::{CsvFile, read_all};

pub fn run(a: &CvArgs, progress: &Progress) -> Result<String> {
    check_plot_available(a.plot.as_deref())?;
    check_destination(a.plot.as_deref())?;
    check_destination(a.out.as_deref())?;
    let fit_intercept = !a.data.no_intercept;
    let builder = ElasticNetCv::new()
        .l1_ratios(a.l1_ratios.clone())
        .n_alphas(a.grid.n_alphas)
        .eps(a.grid.eps)
        .folds(a.folds)
        .seed(a.seed)
        .fit_intercept(fit_intercept)
        .standardize(a.data.standardize)
        .tol(a.solve.tol)
        .max_iter(a.solve.max_iter);
    builder.validate()?;
    let file = CsvFile::open(&a.data.data)?;
    let selection = file.select(Some(&a.data.target), a.data.features.as_deref())?;
    let data = read_all(&file, &selection, progress)?;
    let (x, y) = (
        data.x.view(),
        data.y.as_ref().expect("target selected").view(),
    );
    let label = format!(
        "{}-fold cross-validation over {} l1_ratio(s) × {} alphas",
        a.folds,
        a.l1_ratios.len(),
        a.grid.n_alphas
    );
    let cv = progress.working(&label, || builder.fit(x, y))?;

    // Non-zeros at each l1_ratio's alpha_min, on all the data.
    let mut rows = Vec::with_capacity(cv.l1_ratios.len());
    for (r, &l1_ratio) in cv.l1_ratios.iter().enumerate() {
        let (i_min, i_1se) = cv.alpha_indices(r);
        let path = progress.working(&format!("path at l1_ratio = {l1_ratio}"), || {
            ElasticNetPath::new(l1_ratio)
                .alphas(cv.alphas.row(r).to_vec())
                .fit_intercept(fit_intercept)
                .standardize(a.data.standardize)
                .tol(a.solve.tol)
                .max_iter(a.solve.max_iter)
                .fit(x, y)
        })?;
        rows.push(vec![
            short(l1_ratio, 4),
            short(cv.alphas[[r, i_min]], 5),
            short(cv.alphas[[r, i_1se]], 5),
            format!(
                "{} ± {}",
                short(cv.mse_mean[[r, i_min]], 5),
                short(cv.mse_se[[r, i_min]], 3)
            ),
            path.n_nonzero(i_min).to_string(),
        ]);
    }
    let r2 = metrics::r2(y, cv.fit.predict(x)?.view())?;

    let mut report = data_line("cv", &a.data, x.nrows(), &selection);
    report += &format!(
        "{}-fold cross-validation (seed {}), {} alphas per l1_ratio; {}\n\n",
        a.folds,
        a.seed,
        a.grid.n_alphas,
        preprocessing(&a.data)
    );
    report += &table(
        &["l1_ratio", "alpha_min", "alpha_1se", "CV MSE", "non-zeros"],
        &rows,
        false,
    );
    report += &format!(
        "\nchosen: {}\nrefit on all rows: {}, {}, duality gap {}, objective {}, R² {}\n\n",
        penalty_line(cv.alpha_min, cv.l1_ratio),
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
    report += &coefficient_table(&selection.feature_names, &cv.fit.model);

    #[cfg(feature = "plot")]
    if let Some(dest) = &a.plot {
        super::plot_to(dest, |tmp| cv.plot(tmp))?;
        report += &format!("\nplot saved to {}\n", dest.display());
    }
    if let Some(out) = &a.out {
        let objective = Objective {
            loss: ElasticLoss::from_alpha(cv.alpha_min, cv.l1_ratio)?,
            alpha: cv.alpha_min,
            l1_ratio: cv.l1_ratio,
            fit_intercept,
            positive: false,
            standardize: a.data.standardize,
        };
        let training = Training {
            method: "cross-validation".into(),
            data: file.name(),
            n_samples: x.nrows(),
            n_iter: cv.fit.n_iter,
            converged: cv.fit.converged,
            objective_value: cv.fit.objective,
            duality_gap: cv.fit.duality_gap,
            r2,
        };
        ModelFile::new(
            &a.data.target,
            &selection.feature_names,
            &cv.fit.model,
            objective,
            standardization(&a.data, x)?,
            training,
        )
        .save(out)?;
        report += &format!("\nmodel saved to {}\n", out.display());
    }
    Ok(report)
}
