//! The four commands, and what their reports share.

pub mod cv;
pub mod fit;
pub mod path;
pub mod predict;
mod sgd;

use std::collections::BTreeMap;
use std::path::Path;

use elasticnet::{ColumnStats, LinearModel, StandardScaler, metrics};
use ndarray::{Array1, ArrayView1, ArrayView2};

use crate::args::{DataArgs, PerFeatureArgs};
use crate::error::{CliError, Result};
use crate::output::{count, short, sig, table};
use crate::table::{Selection, Table};

/// `fit DATA.csv: 442 rows × 10 features, target `target``, then
/// `, weights `w` (3 rows with weight 0)` with `--weights`.
fn data_line(
    command: &str,
    data: &DataArgs,
    n_rows: usize,
    weights: Option<&Array1<f64>>,
    selection: &Selection,
) -> String {
    let weights = match (&data.weights, weights) {
        (Some(name), Some(w)) => {
            let zeros = w.iter().filter(|&&v| v == 0.0).count();
            let zeros = match zeros {
                0 => String::new(),
                1 => " (1 row with weight 0)".into(),
                n => format!(" ({} rows with weight 0)", count(n)),
            };
            format!(", weights `{name}`{zeros}")
        }
        _ => String::new(),
    };
    format!(
        "{command} {}: {} row{} × {} feature{}, target `{}`{weights}\n",
        data.data.display(),
        count(n_rows),
        if n_rows == 1 { "" } else { "s" },
        selection.n_features(),
        if selection.n_features() == 1 { "" } else { "s" },
        data.target
    )
}

/// `--weights` (and the per-feature options) are not available in the
/// out-of-core mode: fails early, naming the first one given.
fn check_exact_only(data: &DataArgs, per_feature: &PerFeatureArgs) -> Result<()> {
    let given = [
        ("--weights", data.weights.is_some()),
        ("--penalty-factor", !per_feature.penalty_factor.is_empty()),
        ("--lower", !per_feature.lower.is_empty()),
        ("--upper", !per_feature.upper.is_empty()),
    ];
    match given.iter().find(|(_, g)| *g) {
        Some((flag, _)) => Err(CliError::input(format!(
            "{flag} is not supported with --batch-size (mini-batch SGD); \
             leave out --batch-size to fit with the exact solvers"
        ))),
        None => Ok(()),
    }
}

/// Penalty factors and bounds resolved against the selected features.
#[derive(Debug, Clone, Default)]
pub struct PerFeature {
    pub positive: bool,
    /// One factor per feature, when `--penalty-factor` was given.
    pub factor: Option<Array1<f64>>,
    /// Lower and upper bounds per feature, when `--lower` or `--upper` was
    /// given.
    pub bounds: Option<(Array1<f64>, Array1<f64>)>,
    names: Vec<String>,
}

impl PerFeature {
    /// Parses `--penalty-factor`, `--lower` and `--upper` (`NAME=V` lists)
    /// against the features of `selection`.
    pub fn resolve(a: &PerFeatureArgs, data: &DataArgs, selection: &Selection) -> Result<Self> {
        let names = &selection.feature_names;
        let parse = |flag: &str,
                     entries: &[String],
                     default: f64,
                     ok: fn(f64) -> bool,
                     range: &str|
         -> Result<Option<Array1<f64>>> {
            if entries.is_empty() {
                return Ok(None);
            }
            let mut values = Array1::from_elem(names.len(), default);
            let mut seen = vec![false; names.len()];
            for entry in entries {
                let (name, value) = entry
                    .rsplit_once('=')
                    .map(|(n, v)| (n.trim(), v.trim()))
                    .filter(|(n, _)| !n.is_empty())
                    .ok_or_else(|| {
                        CliError::input(format!(
                            "invalid {flag} `{entry}`: expected NAME=VALUE, a feature and a number, \
                             comma-separated"
                        ))
                    })?;
                let j = feature_index(flag, name, data, names)?;
                if seen[j] {
                    return Err(CliError::input(format!("{flag} names `{name}` twice")));
                }
                seen[j] = true;
                let v: f64 = value.parse().map_err(|_| {
                    CliError::input(format!(
                        "invalid {flag} {name}={value}: `{value}` is not a number"
                    ))
                })?;
                if !ok(v) {
                    let hint = if flag == "--penalty-factor" && v == f64::INFINITY {
                        " (to leave a feature out, leave it out of --features)"
                    } else {
                        ""
                    };
                    return Err(CliError::input(format!(
                        "invalid {flag} {name}={value}: expected a value in {range}{hint}"
                    )));
                }
                values[j] = v;
            }
            Ok(Some(values))
        };
        let factor = parse(
            "--penalty-factor",
            &a.penalty_factor,
            1.0,
            |v| v.is_finite() && v >= 0.0,
            "[0, inf)",
        )?;
        let lower = parse(
            "--lower",
            &a.lower,
            f64::NEG_INFINITY,
            |v| v <= 0.0,
            "[-inf, 0]",
        )?;
        let upper = parse("--upper", &a.upper, f64::INFINITY, |v| v >= 0.0, "[0, inf]")?;
        let p = names.len();
        let bounds = match (lower, upper) {
            (None, None) => None,
            (lo, hi) => Some((
                lo.unwrap_or_else(|| Array1::from_elem(p, f64::NEG_INFINITY)),
                hi.unwrap_or_else(|| Array1::from_elem(p, f64::INFINITY)),
            )),
        };
        Ok(Self {
            positive: a.positive,
            factor,
            bounds,
            names: names.clone(),
        })
    }

    /// `penalty factors: b = 0, c = 2 (1 for the others)` and
    /// `bounds: a ≥ 0, -1 ≤ b ≤ 2` lines, for what was given.
    pub fn lines(&self) -> String {
        let mut out = String::new();
        if let Some(v) = &self.factor {
            let listed: Vec<String> = self
                .names
                .iter()
                .zip(v)
                .filter(|(_, v)| **v != 1.0)
                .map(|(n, v)| format!("{n} = {}", short(*v, 6)))
                .collect();
            if !listed.is_empty() {
                out += &format!(
                    "penalty factors: {} (1 for the others)\n",
                    listed.join(", ")
                );
            }
        }
        if let Some((lo, hi)) = &self.bounds {
            let listed: Vec<String> = self
                .names
                .iter()
                .zip(lo.iter().zip(hi))
                .filter_map(|(n, (&l, &h))| match (l.is_finite(), h.is_finite()) {
                    (true, true) => Some(format!("{} ≤ {n} ≤ {}", short(l, 6), short(h, 6))),
                    (true, false) => Some(format!("{n} ≥ {}", short(l, 6))),
                    (false, true) => Some(format!("{n} ≤ {}", short(h, 6))),
                    (false, false) => None,
                })
                .collect();
            if !listed.is_empty() {
                out += &format!("bounds: {}\n", listed.join(", "));
            }
        }
        out
    }

    /// `(penalty_factor, lower, upper)` for the model file: the factors
    /// other than 1 and the finite bounds, by name.
    #[allow(clippy::type_complexity)]
    pub fn record(
        &self,
    ) -> (
        Option<BTreeMap<String, f64>>,
        Option<BTreeMap<String, f64>>,
        Option<BTreeMap<String, f64>>,
    ) {
        let keep = |values: Option<&Array1<f64>>, keep: fn(f64) -> bool| {
            values.map(|v| {
                self.names
                    .iter()
                    .zip(v)
                    .filter(|(_, v)| keep(**v))
                    .map(|(n, v)| (n.clone(), *v))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        let nonempty = |m: Option<BTreeMap<String, f64>>| m.filter(|m| !m.is_empty());
        (
            nonempty(keep(self.factor.as_ref(), |v| v != 1.0)),
            nonempty(keep(self.bounds.as_ref().map(|b| &b.0), f64::is_finite)),
            nonempty(keep(self.bounds.as_ref().map(|b| &b.1), f64::is_finite)),
        )
    }

    /// The factor of each feature (1 when none were given).
    fn factors(&self) -> Array1<f64> {
        self.factor
            .clone()
            .unwrap_or_else(|| Array1::ones(self.names.len()))
    }
}

/// Applies a [`PerFeature`] to an `ElasticNet`, `ElasticNetPath` or
/// `ElasticNetCv` builder.
macro_rules! with_per_feature {
    ($builder:expr, $pf:expr) => {{
        let pf: &$crate::commands::PerFeature = $pf;
        let mut b = $builder.positive(pf.positive);
        if let Some(f) = &pf.factor {
            b = b.penalty_factor(f.clone());
        }
        if let Some((lo, hi)) = &pf.bounds {
            b = b.bounds(lo.clone(), hi.clone());
        }
        b
    }};
}
use with_per_feature;

/// The position of feature `name` for `flag`, or an error that says what
/// `name` is instead.
fn feature_index(flag: &str, name: &str, data: &DataArgs, names: &[String]) -> Result<usize> {
    if let Some(j) = names.iter().position(|n| n == name) {
        return Ok(j);
    }
    let what = if name == data.target {
        format!("the target `{name}`, not a feature")
    } else if data.weights.as_deref() == Some(name) {
        format!("the weights column `{name}`, not a feature")
    } else {
        let listed: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
        let more = if names.len() > 12 {
            format!(" and {} more", names.len() - 12)
        } else {
            String::new()
        };
        format!(
            "`{name}`, which is not a feature; the features are {}{more}",
            listed.join(", ")
        )
    };
    Err(CliError::input(format!("{flag} names {what}")))
}

/// R² of `pred` against `y` (weighted by `w`, if given: `1 −
/// Σwᵢrᵢ²/Σwᵢ(yᵢ − ȳ_w)²`).
fn r2(y: ArrayView2<f64>, pred: ArrayView2<f64>, w: Option<ArrayView1<f64>>) -> Result<f64> {
    let Some(w) = w else {
        return Ok(metrics::r2(y, pred)?);
    };
    let (y, pred) = (y.column(0), pred.column(0));
    let total = w.sum();
    let mean = w.dot(&y) / total;
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for ((&wi, &yi), &pi) in w.iter().zip(&y).zip(&pred) {
        ss_res += wi * (yi - pi) * (yi - pi);
        ss_tot += wi * (yi - mean) * (yi - mean);
    }
    Ok(if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    })
}

/// `R²` or `weighted R²`.
fn r2_label(weighted: bool) -> &'static str {
    if weighted { "weighted R²" } else { "R²" }
}

/// The objective of a one-output model: `1/(2Σw)·Σwᵢrᵢ² +
/// Σⱼ vⱼ·(λ₁|w̃ⱼ| + λ₂/2·w̃ⱼ²)`, with `w̃ⱼ` the weight on the scale the
/// penalty applies to (times the standardization's scale), as
/// `Fit::objective` reports it.
fn objective_value(
    table: &Table,
    model: &LinearModel<f64>,
    alpha: f64,
    l1_ratio: f64,
    per_feature: &PerFeature,
    scaler: Option<&StandardScaler<f64>>,
) -> Result<f64> {
    let y = table.y.as_ref().expect("target selected").column(0);
    let pred = model.predict(table.x.view())?;
    let (mut sq, mut total) = (0.0, 0.0);
    for (i, (&yi, &pi)) in y.iter().zip(pred.column(0)).enumerate() {
        let wi = table.w.as_ref().map_or(1.0, |w| w[i]);
        sq += wi * (yi - pi) * (yi - pi);
        total += wi;
    }
    let (l1, l2) = (alpha * l1_ratio, alpha * (1.0 - l1_ratio));
    let factors = per_feature.factors();
    let mut penalty = 0.0;
    for (j, &wj) in model.weight.column(0).iter().enumerate() {
        let t = wj * scaler.map_or(1.0, |s| s.scale[j]);
        penalty += factors[j] * (l1 * t.abs() + 0.5 * l2 * t * t);
    }
    Ok(sq / (2.0 * total) + penalty)
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

/// The standardization a fit on `x` uses (the crate's rule), if any; with
/// weights, the weighted means and standard deviations (or root mean
/// squares without an intercept).
fn standardization(data: &DataArgs, table: &Table) -> Result<Option<StandardScaler<f64>>> {
    if !data.standardize {
        return Ok(None);
    }
    let x = table.x.view();
    let Some(w) = &table.w else {
        let mut stats = ColumnStats::new(x.ncols());
        stats.update(x)?;
        return Ok(Some(stats.scaler(!data.no_intercept)?));
    };
    let total = w.sum();
    let center = !data.no_intercept;
    let mut mean = Array1::zeros(x.ncols());
    let mut scale = Array1::ones(x.ncols());
    for (j, col) in x.columns().into_iter().enumerate() {
        let mu = if center { w.dot(&col) / total } else { 0.0 };
        let var = w
            .iter()
            .zip(&col)
            .map(|(&wi, &v)| wi * (v - mu) * (v - mu))
            .sum::<f64>()
            / total;
        let big = col.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
        let sd = var.sqrt();
        mean[j] = mu;
        if sd > 1e-10 * big && sd.is_finite() {
            scale[j] = sd;
        }
    }
    Ok(Some(StandardScaler { mean, scale }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use elasticnet::ElasticNet;
    use ndarray::{Array2, array};

    /// `objective_value` (the record of a relaxed model) is the library's
    /// `Fit::objective`, with weights, factors and standardization.
    #[test]
    fn the_objective_is_the_libraries() {
        let m = 40;
        let x = Array2::from_shape_fn((m, 3), |(i, j)| {
            ((i * (j + 3) * 7919) % 97) as f64 / 10.0 + j as f64
        });
        let y = Array2::from_shape_fn((m, 1), |(i, _)| {
            2.0 * x[[i, 0]] - x[[i, 1]] + ((i * 31) % 11) as f64 / 5.0
        });
        let w = Array1::from_shape_fn(m, |i| [0.0, 1.0, 2.5][i % 3]);
        let factor = array![1.0, 0.0, 2.0];
        for (standardize, no_intercept) in [(false, false), (true, false), (true, true)] {
            let fit = ElasticNet::new(0.3, 0.7)
                .standardize(standardize)
                .fit_intercept(!no_intercept)
                .tol(1e-12)
                .penalty_factor(factor.clone())
                .fit_weighted(x.view(), y.view(), w.view())
                .unwrap();
            let data = DataArgs {
                data: "d.csv".into(),
                target: "y".into(),
                features: None,
                standardize,
                no_intercept,
                weights: Some("w".into()),
            };
            let table = Table {
                x: x.clone(),
                y: Some(y.clone()),
                w: Some(w.clone()),
            };
            let per_feature = PerFeature {
                factor: Some(factor.clone()),
                names: vec!["a".into(), "b".into(), "c".into()],
                ..PerFeature::default()
            };
            let scaler = standardization(&data, &table).unwrap();
            let value =
                objective_value(&table, &fit.model, 0.3, 0.7, &per_feature, scaler.as_ref())
                    .unwrap();
            assert!(
                (value - fit.objective).abs() <= 1e-9 * fit.objective,
                "{standardize}, {no_intercept}: {value} vs {}",
                fit.objective
            );
        }
    }
}
