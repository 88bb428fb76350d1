//! `elasticnet path`: the regularization path (and, with `--relax`, its
//! least-squares refits), as a table, a plot and a CSV of coefficients.

use std::path::Path as FsPath;

use elasticnet::{ElasticNetPath, Path};

use super::{
    PerFeature, check_plot_available, data_line, preprocessing, r2, r2_label, with_per_feature,
};
use crate::args::PathArgs;
use crate::error::{CliError, Result};
use crate::output::{AtomicFile, check_destination, short, table};
use crate::progress::Progress;
use crate::table::{CsvFile, read_all};

pub fn run(a: &PathArgs, progress: &Progress) -> Result<String> {
    check_plot_available(a.plot.as_deref())?;
    check_destination(a.plot.as_deref())?;
    check_destination(a.out.as_deref())?;
    let builder = ElasticNetPath::new(a.l1_ratio)
        .n_alphas(a.grid.n_alphas)
        .eps(a.grid.eps)
        .fit_intercept(!a.data.no_intercept)
        .standardize(a.data.standardize)
        .tol(a.solve.tol)
        .max_iter(a.solve.max_iter)
        .relax(a.relax);
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
    let path = progress.working(&format!("path of {} alphas", a.grid.n_alphas), || match w {
        Some(w) => builder.fit_weighted(x, y, w),
        None => builder.fit(x, y),
    })?;

    let mut rows = Vec::with_capacity(path.len());
    for i in 0..path.len() {
        let r2_i = r2(y, path.model(i).predict(x)?.view(), w)?;
        let mut row = vec![
            short(path.alphas[i], 5),
            path.n_nonzero(i).to_string(),
            short(r2_i, 4),
            short(path.duality_gaps[i], 2),
            format!(
                "{}{}",
                path.n_iter[i],
                if path.converged[i] {
                    ""
                } else {
                    " (not converged)"
                }
            ),
        ];
        if let Some(relaxed) = &path.relaxed {
            let refit = path.relaxed_model(i, 0.0)?;
            row.push(format!(
                "{}{}",
                short(r2(y, refit.predict(x)?.view(), w)?, 4),
                if relaxed.converged[i] {
                    ""
                } else {
                    " (not converged)"
                }
            ));
        }
        rows.push(row);
    }
    let mut report = data_line("path", &a.data, x.nrows(), data.w.as_ref(), &selection);
    report += &format!(
        "l1_ratio = {}; {}{}; {} alphas from alpha_max down to {} × alpha_max\n",
        short(a.l1_ratio, 6),
        preprocessing(&a.data),
        if per_feature.positive {
            "; positive"
        } else {
            ""
        },
        path.len(),
        short(a.grid.eps, 3)
    );
    report += &per_feature.lines();
    if a.relax {
        report += "relaxed: the least-squares refit on each alpha's non-zero features\n";
    }
    report += "\n";
    let label = r2_label(w.is_some());
    let relaxed_label = format!("relaxed {label}");
    let mut header = vec!["alpha", "non-zeros", label, "duality gap", "iterations"];
    if a.relax {
        header.push(&relaxed_label);
    }
    report += &table(&header, &rows, false);

    #[cfg(feature = "plot")]
    if let Some(dest) = &a.plot {
        super::plot_to(dest, |tmp| path.plot(tmp, 0, &selection.feature_names))?;
        report += &format!("\nplot saved to {}\n", dest.display());
    }
    if let Some(dest) = &a.out {
        write_coefficients(dest, &path, &selection.feature_names)?;
        report += &format!("\ncoefficients written to {}\n", dest.display());
    }
    Ok(report)
}

/// The path's coefficients as CSV: `alpha,model,(intercept),<features>`,
/// the penalized fits first, then the relaxed refits (`model` says which),
/// every number written so that it reads back exactly.
fn write_coefficients(dest: &FsPath, path: &Path<f64>, names: &[String]) -> Result<()> {
    let fail = |e: csv::Error| CliError::failure(format!("cannot write {}: {e}", dest.display()));
    let mut file = AtomicFile::create(dest)?;
    {
        let mut out = csv::Writer::from_writer(file.writer());
        let mut header = vec!["alpha", "model", "(intercept)"];
        header.extend(names.iter().map(String::as_str));
        out.write_record(&header).map_err(fail)?;
        let mut blocks = vec![("penalized", &path.coefs, &path.intercepts)];
        if let Some(r) = &path.relaxed {
            blocks.push(("relaxed", &r.coefs, &r.intercepts));
        }
        for (model, coefs, intercepts) in blocks {
            for i in 0..path.len() {
                let mut record = vec![
                    path.alphas[i].to_string(),
                    model.to_string(),
                    intercepts[[i, 0]].to_string(),
                ];
                record.extend(
                    coefs
                        .slice(ndarray::s![i, .., 0])
                        .iter()
                        .map(f64::to_string),
                );
                out.write_record(&record).map_err(fail)?;
            }
        }
        out.flush()
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", dest.display())))?;
    }
    file.commit()
}
