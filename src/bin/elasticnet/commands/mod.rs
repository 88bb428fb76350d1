//! The four commands, and what their reports share.

pub mod cv;
pub mod fit;
pub mod path;
pub mod predict;
mod sgd;

use std::path::Path;

use elasticnet::{ColumnStats, LinearModel, StandardScaler};
use ndarray::ArrayView2;

use crate::args::DataArgs;
use crate::error::{CliError, Result};
use crate::output::{count, short, sig, table};
use crate::table::Selection;

/// `fit DATA.csv: 442 rows × 10 features, target `target``.
fn data_line(command: &str, data: &DataArgs, n_rows: usize, selection: &Selection) -> String {
    format!(
        "{command} {}: {} row{} × {} feature{}, target `{}`\n",
        data.data.display(),
        count(n_rows),
        if n_rows == 1 { "" } else { "s" },
        selection.n_features(),
        if selection.n_features() == 1 { "" } else { "s" },
        data.target
    )
}

/// `intercept, standardized` (what the fit does to the data).
fn preprocessing(data: &DataArgs) -> &'static str {
    match (data.no_intercept, data.standardize) {
        (false, false) => "intercept",
        (false, true) => "intercept, standardized",
        (true, false) => "no intercept",
        (true, true) => "no intercept, standardized (root mean square)",
    }
}

/// `alpha = 0.5, l1_ratio = 0.7 (lambda1 = 0.35, lambda2 = 0.15)`.
fn penalty_line(alpha: f64, l1_ratio: f64) -> String {
    format!(
        "alpha = {}, l1_ratio = {} (lambda1 = {}, lambda2 = {})",
        short(alpha, 6),
        short(l1_ratio, 6),
        short(alpha * l1_ratio, 6),
        short(alpha * (1.0 - l1_ratio), 6)
    )
}

/// `1 iteration`, `9 iterations`.
fn iterations(n: usize) -> String {
    format!("{n} iteration{}", if n == 1 { "" } else { "s" })
}

/// The coefficients of a one-output model, one line per feature, then the
/// intercept.
fn coefficient_table(names: &[String], model: &LinearModel<f64>) -> String {
    let mut rows: Vec<Vec<String>> = names
        .iter()
        .zip(model.weight.column(0))
        .map(|(name, &w)| vec![name.clone(), sig(w, 6)])
        .collect();
    rows.push(vec!["(intercept)".into(), sig(model.bias[0], 6)]);
    table(&["feature", "coefficient"], &rows, true)
}

/// The standardization a fit on `x` uses (the crate's rule), if any.
fn standardization(data: &DataArgs, x: ArrayView2<f64>) -> Result<Option<StandardScaler<f64>>> {
    if !data.standardize {
        return Ok(None);
    }
    let mut stats = ColumnStats::new(x.ncols());
    stats.update(x)?;
    Ok(Some(stats.scaler(!data.no_intercept)?))
}

/// Draws a plot into `dest` through a temporary file.
#[cfg(feature = "plot")]
fn plot_to(dest: &Path, draw: impl FnOnce(&Path) -> elasticnet::Result<()>) -> Result<()> {
    crate::output::write_via_temp(dest, |tmp| {
        draw(tmp).map_err(|e| CliError::failure(format!("cannot draw {}: {e}", dest.display())))
    })
}

/// Fails early when `--plot` cannot be honoured (before any work).
fn check_plot_available(plot: Option<&Path>) -> Result<()> {
    if plot.is_some() && !cfg!(feature = "plot") {
        return Err(CliError::input(
            "--plot needs the `plot` feature, and this elasticnet was built without it",
        ));
    }
    Ok(())
}
