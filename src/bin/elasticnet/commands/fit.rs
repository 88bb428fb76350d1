//! `elasticnet fit`: one exact fit (or, with `--batch-size`, out-of-core
//! SGD), its coefficients, and the model file.

use elasticnet::{ElasticLoss, ElasticNet};

use super::{
    PerFeature, check_exact_only, coefficient_table, data_line, iterations, penalty_line,
    preprocessing, r2, r2_label, sgd, standardization, with_per_feature,
};
use crate::args::{FitArgs, SolverArg};
use crate::error::{CliError, Result};
use crate::model_file::{ModelFile, Objective, Training};
use crate::output::{check_destination, short};
use crate::progress::Progress;
use crate::table::{CsvFile, read_all};

/// The penalty, in both parameterisations.
#[derive(Debug, Clone, Copy)]
pub struct Penalty {
    pub alpha: f64,
    pub l1_ratio: f64,
    pub loss: ElasticLoss<f64>,
}

impl Penalty {
    /// From `--alpha/--l1-ratio` (default 1 and 0.5, scikit-learn's) or
    /// `--lambda1/--lambda2` (default 0 each).
    pub fn from_args(a: &FitArgs) -> Result<Self> {
        if a.lambda1.is_some() || a.lambda2.is_some() {
            let l1 = a.lambda1.unwrap_or(0.0);
            let l2 = a.lambda2.unwrap_or(0.0);
            for (flag, v) in [("--lambda1", l1), ("--lambda2", l2)] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(CliError::input(format!(
                        "invalid {flag} = {v}: expected a value in [0, inf)"
                    )));
                }
            }
            let alpha = l1 + l2;
            let l1_ratio = if alpha > 0.0 { l1 / alpha } else { 1.0 };
            Ok(Self {
                alpha,
                l1_ratio,
                loss: ElasticLoss::new(l1, l2)?,
            })
        } else {
            let alpha = a.alpha.unwrap_or(1.0);
            let l1_ratio = a.l1_ratio.unwrap_or(0.5);
            Ok(Self {
                alpha,
                l1_ratio,
                loss: ElasticLoss::from_alpha(alpha, l1_ratio)?,
            })
        }
    }

    pub fn objective(&self, a: &FitArgs, per_feature: &PerFeature) -> Objective {
        let (penalty_factor, lower, upper) = per_feature.record();
        Objective {
            loss: self.loss,
            alpha: self.alpha,
            l1_ratio: self.l1_ratio,
            fit_intercept: !a.data.no_intercept,
            positive: per_feature.positive,
            standardize: a.data.standardize,
            penalty_factor,
            lower,
            upper,
            gamma: None,
        }
    }
}

pub fn run(a: &FitArgs, progress: &Progress) -> Result<String> {
    let penalty = Penalty::from_args(a)?;
    check_destination(a.out.as_deref())?;
    if a.stream.batch_size.is_some() {
        check_exact_only(&a.data, &a.per_feature)?;
    }
    let file = CsvFile::open(&a.data.data)?;
    let selection = file.select_weighted(
        Some(&a.data.target),
        a.data.features.as_deref(),
        a.data.weights.as_deref(),
    )?;
    let per_feature = PerFeature::resolve(&a.per_feature, &a.data, &selection)?;
    if let Some(batch_size) = a.stream.batch_size {
        return sgd::run(
            a,
            &penalty,
            &per_feature,
            &file,
            &selection,
            batch_size,
            progress,
        );
    }
    let solver = a.solver.unwrap_or(SolverArg::Cd);
    let estimator = with_per_feature!(
        ElasticNet::new(penalty.alpha, penalty.l1_ratio)
            .fit_intercept(!a.data.no_intercept)
            .standardize(a.data.standardize)
            .tol(a.solve.tol())
            .max_iter(a.solve.max_iter())
            .solver(solver.solver()),
        &per_feature
    );
    estimator.validate()?;
    let data = read_all(&file, &selection, progress)?;
    let (x, y) = (
        data.x.view(),
        data.y.as_ref().expect("target selected").view(),
    );
    let w = data.w.as_ref().map(|w| w.view());

    let fit = progress.working(&format!("fitting ({})", solver.name()), || match w {
        Some(w) => estimator.fit_weighted(x, y, w),
        None => estimator.fit(x, y),
    })?;
    let r2 = r2(y, fit.predict(x)?.view(), w)?;

    let mut report = data_line("fit", &a.data, x.nrows(), data.w.as_ref(), &selection);
    report += &format!(
        "penalty: {}; {}{}\n",
        penalty_line(penalty.alpha, penalty.l1_ratio),
        preprocessing(&a.data),
        if per_feature.positive {
            "; positive"
        } else {
            ""
        }
    );
    report += &per_feature.lines();
    report += &format!(
        "{}: {}, {}, duality gap {}\n",
        solver.name(),
        iterations(fit.n_iter),
        if fit.converged {
            "converged"
        } else {
            "NOT converged (raise --max-iter or --tol)"
        },
        short(fit.duality_gap, 3)
    );
    report += &format!(
        "objective {}, {} {}\n\n",
        short(fit.objective, 8),
        r2_label(w.is_some()),
        short(r2, 6)
    );
    report += &coefficient_table(&selection.feature_names, &fit.model);

    if let Some(out) = &a.out {
        let training = Training {
            method: solver.name().into(),
            data: file.name(),
            sample_weights: a.data.weights.clone(),
            n_samples: x.nrows(),
            n_iter: fit.n_iter,
            converged: fit.converged,
            objective_value: fit.objective,
            duality_gap: fit.duality_gap,
            r2,
        };
        let model = ModelFile::new(
            &a.data.target,
            &selection.feature_names,
            &fit.model,
            penalty.objective(a, &per_feature),
            standardization(&a.data, &data)?,
            training,
        );
        model.save(out)?;
        report += &format!("\nmodel saved to {}\n", out.display());
    }
    Ok(report)
}
