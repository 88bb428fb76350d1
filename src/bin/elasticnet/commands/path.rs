//! `elasticnet path`: the regularization path, as a table and a plot.

use elasticnet::{ElasticNetPath, metrics};

use super::{check_plot_available, data_line, preprocessing};
use crate::args::PathArgs;
use crate::error::Result;
use crate::output::{check_destination, short, table};
use crate::progress::Progress;
use crate::table::{CsvFile, read_all};

pub fn run(a: &PathArgs, progress: &Progress) -> Result<String> {
    check_plot_available(a.plot.as_deref())?;
    check_destination(a.plot.as_deref())?;
    let builder = ElasticNetPath::new(a.l1_ratio)
        .n_alphas(a.grid.n_alphas)
        .eps(a.grid.eps)
        .fit_intercept(!a.data.no_intercept)
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
    let path = progress.working(&format!("path of {} alphas", a.grid.n_alphas), || {
        builder.fit(x, y)
    })?;

    let mut rows = Vec::with_capacity(path.len());
    for i in 0..path.len() {
        let r2 = metrics::r2(y, path.model(i).predict(x)?.view())?;
        rows.push(vec![
            short(path.alphas[i], 5),
            path.n_nonzero(i).to_string(),
            short(r2, 4),
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
        ]);
    }
    let mut report = data_line("path", &a.data, x.nrows(), &selection);
    report += &format!(
        "l1_ratio = {}; {}; {} alphas from alpha_max down to {} × alpha_max\n\n",
        short(a.l1_ratio, 6),
        preprocessing(&a.data),
        path.len(),
        short(a.grid.eps, 3)
    );
    report += &table(
        &["alpha", "non-zeros", "R²", "duality gap", "iterations"],
        &rows,
        false,
    );

    #[cfg(feature = "plot")]
    if let Some(dest) = &a.plot {
        super::plot_to(dest, |tmp| path.plot(tmp, 0, &selection.feature_names))?;
        report += &format!("\nplot saved to {}\n", dest.display());
    }
    Ok(report)
}
