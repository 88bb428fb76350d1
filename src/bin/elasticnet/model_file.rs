//! The model file: a fitted model as JSON, with what it needs to be used
//! and checked again.
//!
//! ```json
//! {
//!   "format": "elasticnet-model",
//!   "format_version": 1,
//!   "crate_version": "0.1.0",
//!   "target": "target",
//!   "features": ["age", "sex", …],
//!   "weights": [0.0, -22.1, …],
//!   "bias": -334.6,
//!   "objective": { "loss": {"l1": 0.35, "l2": 0.15}, "alpha": 0.5, "l1_ratio": 0.7,
//!                  "fit_intercept": true, "positive": false, "standardize": true },
//!   "standardization": { "mean": …, "scale": … },
//!   "training": { "method": "coordinate descent", "n_samples": 442, … }
//! }
//! ```
//!
//! `weights` are on the original scale of the features, one per name in
//! `features`, so that a prediction is `bias + Σ weights[j]·x[features[j]]`.
//! `objective.loss` is the library's [`ElasticLoss`] (`λ₁`, `λ₂`) and
//! `standardization` its [`StandardScaler`] (the centres and scales the
//! fit used, `null` without standardization), both in their `serde` form.
//!
//! Fits with per-feature settings or sample weights record them too, and
//! only then (files without them are as before, and older readers ignore
//! them): `objective.penalty_factor`, `objective.lower` and
//! `objective.upper` map feature names to the factors and finite bounds
//! that were given (unlisted features: factor 1, unbounded);
//! `objective.gamma` marks a relaxed-lasso model, `gamma·β + (1 −
//! gamma)·β_LS` at `alpha` and `l1_ratio`; `training.sample_weights` names
//! the weights column.

use std::collections::BTreeMap;
use std::path::Path;

use elasticnet::{ElasticLoss, LinearModel, StandardScaler};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};
use crate::output::AtomicFile;

/// The value of `format`.
pub const FORMAT: &str = "elasticnet-model";
/// The layout version this binary writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A saved model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub format_version: u32,
    /// The version of the crate that wrote the file.
    pub crate_version: String,
    pub target: String,
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub objective: Objective,
    pub standardization: Option<StandardScaler<f64>>,
    pub training: Training,
}

/// The objective the model minimises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// `λ₁` and `λ₂`.
    pub loss: ElasticLoss<f64>,
    /// The same penalty as `alpha = λ₁ + λ₂`, `l1_ratio = λ₁/alpha`.
    pub alpha: f64,
    pub l1_ratio: f64,
    pub fit_intercept: bool,
    pub positive: bool,
    /// Whether the penalty applies to standardized coefficients.
    pub standardize: bool,
    /// Penalty factors other than 1, by feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_factor: Option<BTreeMap<String, f64>>,
    /// Finite lower bounds (≤ 0) on the original-scale weights, by feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<BTreeMap<String, f64>>,
    /// Finite upper bounds (≥ 0) on the original-scale weights, by feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<BTreeMap<String, f64>>,
    /// A relaxed-lasso model: `gamma·β + (1 − gamma)·β_LS`, with `β` the
    /// fit of this objective and `β_LS` the least-squares refit on its
    /// features (`cv --relax`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
}

/// How the model was obtained (for the record; not needed to predict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// `coordinate descent`, `fista`, `gradient descent`,
    /// `cross-validation`, `relaxed cross-validation` or `proximal sgd`.
    pub method: String,
    /// The data file's name.
    pub data: String,
    /// The column of sample weights, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_weights: Option<String>,
    pub n_samples: usize,
    /// Iterations (epochs for `proximal sgd`).
    pub n_iter: usize,
    pub converged: bool,
    /// The objective at the solution and its duality gap (of the
    /// standardized problem with `standardize`; for a relaxed model, of the
    /// penalized fit `β` it was relaxed from).
    pub objective_value: f64,
    pub duality_gap: f64,
    /// R² on the training data.
    pub r2: f64,
}

impl ModelFile {
    /// A model file for a single-target model on the named features.
    pub fn new(
        target: &str,
        features: &[String],
        model: &LinearModel<f64>,
        objective: Objective,
        standardization: Option<StandardScaler<f64>>,
        training: Training,
    ) -> Self {
        Self {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").into(),
            target: target.into(),
            features: features.to_vec(),
            weights: model.weight.column(0).to_vec(),
            bias: model.bias[0],
            objective,
            standardization,
            training,
        }
    }

    /// The model, `p × 1`.
    pub fn model(&self) -> LinearModel<f64> {
        let p = self.weights.len();
        LinearModel::from_parameters(
            Array2::from_shape_vec((p, 1), self.weights.clone()).expect("p weights"),
            Array1::from_elem(1, self.bias),
        )
    }

    /// Writes the file (whole or not at all).
    pub fn save(&self, path: &Path) -> Result<()> {
        self.check()
            .map_err(|e| CliError::failure(format!("refusing to save a bad model: {e}")))?;
        let mut json = serde_json::to_string_pretty(self)
            .map_err(|e| CliError::failure(format!("cannot encode the model: {e}")))?;
        json.push('\n');
        let mut file = AtomicFile::create(path)?;
        file.write_all(json.as_bytes())?;
        file.commit()
    }

    /// Reads and checks a model file.
    pub fn load(path: &Path) -> Result<Self> {
        let name = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::input(format!("cannot read {name}: {e}")))?;
        // The format tag first, so that another JSON file gets a clear message.
        let tag: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| CliError::input(format!("{name}: not a JSON model file: {e}")))?;
        if tag.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(CliError::input(format!(
                "{name}: not an elasticnet model file (no \"format\": \"{FORMAT}\")"
            )));
        }
        match tag.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(CliError::input(format!(
                    "{name}: model file format {v}, but this elasticnet {} reads format {FORMAT_VERSION}",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            None => {
                return Err(CliError::input(format!(
                    "{name}: the model file has no format_version"
                )));
            }
        }
        let file: Self = serde_json::from_value(tag)
            .map_err(|e| CliError::input(format!("{name}: malformed model file: {e}")))?;
        file.check()
            .map_err(|e| CliError::input(format!("{name}: {e}")))?;
        Ok(file)
    }

    /// Checks that the parts agree with each other and with this binary.
    fn check(&self) -> std::result::Result<(), String> {
        let ours = env!("CARGO_PKG_VERSION");
        if !compatible(&self.crate_version, ours) {
            return Err(format!(
                "written by elasticnet {}, which is not compatible with this elasticnet {ours}",
                self.crate_version
            ));
        }
        let p = self.features.len();
        if p == 0 {
            return Err("the model has no features".into());
        }
        for (i, f) in self.features.iter().enumerate() {
            if self.features[..i].contains(f) {
                return Err(format!("the feature `{f}` is listed twice"));
            }
        }
        if self.weights.len() != p {
            return Err(format!("{} weights for {p} features", self.weights.len()));
        }
        if let Some(j) = self.weights.iter().position(|w| !w.is_finite()) {
            return Err(format!(
                "the weight of `{}` is not finite",
                self.features[j]
            ));
        }
        if !self.bias.is_finite() {
            return Err("the bias is not finite".into());
        }
        let o = &self.objective;
        o.loss.validate().map_err(|e| e.to_string())?;
        if !(o.alpha.is_finite() && o.alpha >= 0.0 && (0.0..=1.0).contains(&o.l1_ratio)) {
            return Err(format!(
                "alpha = {} and l1_ratio = {} are out of range",
                o.alpha, o.l1_ratio
            ));
        }
        let (l1, l2) = (o.alpha * o.l1_ratio, o.alpha * (1.0 - o.l1_ratio));
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
        if !close(l1, o.loss.l1) || !close(l2, o.loss.l2) {
            return Err(format!(
                "alpha = {} and l1_ratio = {} do not match l1 = {} and l2 = {}",
                o.alpha, o.l1_ratio, o.loss.l1, o.loss.l2
            ));
        }
        if !o.fit_intercept && self.bias != 0.0 {
            return Err("a model without intercept has a non-zero bias".into());
        }
        if o.positive && self.weights.iter().any(|&w| w < 0.0) {
            return Err("a model with positive weights has a negative weight".into());
        }
        if let Some(g) = o.gamma
            && !(0.0..=1.0).contains(&g)
        {
            return Err(format!("gamma = {g} is out of [0, 1]"));
        }
        let weight_of = |what: &str, name: &str| -> std::result::Result<f64, String> {
            self.features
                .iter()
                .position(|f| f == name)
                .map(|j| self.weights[j])
                .ok_or_else(|| format!("the {what} names `{name}`, which is not a feature"))
        };
        // Bounds hold on the original scale up to the rounding of the
        // standardized solver's `w/scale`.
        let slack = |bound: f64, w: f64| 1e-9 * bound.abs().max(w.abs());
        for (name, &v) in o.penalty_factor.iter().flatten() {
            weight_of("penalty_factor", name)?;
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!(
                    "the penalty factor of `{name}` is {v}, not in [0, inf)"
                ));
            }
        }
        for (name, &lo) in o.lower.iter().flatten() {
            let w = weight_of("lower bounds", name)?;
            if !(lo.is_finite() && lo <= 0.0) {
                return Err(format!(
                    "the lower bound of `{name}` is {lo}, not in [-inf, 0]"
                ));
            }
            if w < lo - slack(lo, w) {
                return Err(format!("the weight of `{name}` is below its lower bound"));
            }
        }
        for (name, &hi) in o.upper.iter().flatten() {
            let w = weight_of("upper bounds", name)?;
            if !(hi.is_finite() && hi >= 0.0) {
                return Err(format!(
                    "the upper bound of `{name}` is {hi}, not in [0, inf]"
                ));
            }
            if w > hi + slack(hi, w) {
                return Err(format!("the weight of `{name}` is above its upper bound"));
            }
        }
        match &self.standardization {
            Some(s) => {
                if !o.standardize {
                    return Err("standardization is given, but standardize is false".into());
                }
                if s.mean.len() != p || s.scale.len() != p {
                    return Err(format!(
                        "the standardization has {} means and {} scales for {p} features",
                        s.mean.len(),
                        s.scale.len()
                    ));
                }
                if s.mean.iter().any(|v| !v.is_finite())
                    || s.scale.iter().any(|v| !(v.is_finite() && *v > 0.0))
                {
                    return Err("the standardization has a non-finite mean or a scale ≤ 0".into());
                }
            }
            None if o.standardize => {
                return Err("standardize is true, but no standardization is given".into());
            }
            None => {}
        }
        Ok(())
    }
}

/// Whether a file written by version `theirs` can be read by `ours`: the
/// same major version (the same minor version before 1.0).
fn compatible(theirs: &str, ours: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split(['.', '-', '+']);
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    match (parse(theirs), parse(ours)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compatible_within_a_release_line() {
        assert!(compatible("0.1.0", "0.1.7"));
        assert!(compatible("0.1.3-beta", "0.1.0"));
        assert!(!compatible("0.2.0", "0.1.0"));
        assert!(compatible("1.4.0", "1.0.0"));
        assert!(!compatible("2.0.0", "1.9.0"));
        assert!(!compatible("banana", "0.1.0"));
    }
}
