//! The command line's options (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use elasticnet::Solver;

/// Elastic-net regression (OLS, ridge, lasso and everything between) on CSV
/// files: fit a model, predict with it, trace the regularization path,
/// choose the penalty by cross-validation.
///
/// Progress is shown on stderr when it is a terminal. Exit status: 0 on
/// success, 2 for rejected input (options, data or model files), 1 when
/// the work fails (an output cannot be written, training diverges).
#[derive(Debug, Parser)]
#[command(name = "elasticnet", version)]
pub struct Cli {
    /// Show no progress on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit one model: print its coefficients, R², iterations and duality
    /// gap; save it with --out. With --batch-size, train out of core by
    /// mini-batch proximal SGD, reading the file in chunks.
    Fit(FitArgs),
    /// Predict with a saved model; the file must have the model's feature
    /// columns (by name, in any order).
    Predict(PredictArgs),
    /// The regularization path: one fit per alpha, from the all-zero model
    /// down, with the number of non-zero coefficients and R².
    Path(PathArgs),
    /// Choose alpha (and l1_ratio) by k-fold cross-validation and refit on
    /// all the data.
    Cv(CvArgs),
}

/// The data file and how to read and preprocess it.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The CSV file: a header line, then one row per sample.
    #[arg(value_name = "DATA.csv")]
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// The feature columns, comma-separated [default: every named column
    /// but the target].
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Standardize the features inside the fit (the penalty then applies to
    /// standardized coefficients; coefficients are reported on the original
    /// scale).
    #[arg(long)]
    pub standardize: bool,
    /// Fit no intercept.
    #[arg(long)]
    pub no_intercept: bool,
    /// A column of sample weights (each ≥ 0, not all 0): a row's squared
    /// error counts with its weight, means and standardization are
    /// weighted, and a weight of 0 is the same as leaving the row out.
    /// Never a default feature; not with --batch-size.
    #[arg(long, value_name = "COL")]
    pub weights: Option<String>,
}

/// Per-feature penalty factors and coefficient bounds, by feature name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Per-feature penalty and bounds")]
pub struct PerFeatureArgs {
    /// Constrain every coefficient to be ≥ 0 (a lower bound of 0 for every
    /// feature; with --lower, the larger lower bound wins).
    #[arg(long)]
    pub positive: bool,
    /// Penalty factors NAME=V,... (V ≥ 0): feature NAME's penalty is
    /// multiplied by V, 0 leaves it unpenalized; unlisted features get 1.
    /// Used as given, not rescaled to sum to p as glmnet does.
    #[arg(long, value_name = "NAME=V,...", value_delimiter = ',')]
    pub penalty_factor: Vec<String>,
    /// Lower bounds NAME=V,... on the coefficients (original scale), each V
    /// in [-inf, 0]; unlisted features are unbounded below.
    #[arg(long, value_name = "NAME=V,...", value_delimiter = ',')]
    pub lower: Vec<String>,
    /// Upper bounds NAME=V,... on the coefficients (original scale), each V
    /// in [0, inf]; unlisted features are unbounded above.
    #[arg(long, value_name = "NAME=V,...", value_delimiter = ',')]
    pub upper: Vec<String>,
}

/// Stopping rule of the exact solvers.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// Duality-gap tolerance, relative to the variance of the target
    /// [default: 1e-4].
    #[arg(long, allow_negative_numbers = true, conflicts_with = "batch_size")]
    pub tol: Option<f64>,
    /// Iterations at most [default: 1000].
    #[arg(long, conflicts_with = "batch_size")]
    pub max_iter: Option<usize>,
}

impl SolveArgs {
    pub fn tol(&self) -> f64 {
        self.tol.unwrap_or(1e-4)
    }
    pub fn max_iter(&self) -> usize {
        self.max_iter.unwrap_or(1000)
    }
}

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Penalty strength: λ₁ = alpha·l1_ratio, λ₂ = alpha·(1 − l1_ratio)
    /// (scikit-learn's ElasticNet) [default: 1].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["lambda1", "lambda2"])]
    pub alpha: Option<f64>,
    /// Share of L1 in the penalty: 1 is the lasso, 0 ridge [default: 0.5].
    #[arg(long, allow_negative_numbers = true, conflicts_with_all = ["lambda1", "lambda2"])]
    pub l1_ratio: Option<f64>,
    /// The L1 penalty λ₁ directly [default: 0].
    #[arg(long, allow_negative_numbers = true)]
    pub lambda1: Option<f64>,
    /// The L2 penalty λ₂ directly (the objective has λ₂/2·Σw²) [default: 0].
    #[arg(long, allow_negative_numbers = true)]
    pub lambda2: Option<f64>,
    /// The exact solver [default: cd].
    #[arg(long, value_enum, conflicts_with = "batch_size")]
    pub solver: Option<SolverArg>,
    #[command(flatten)]
    pub solve: SolveArgs,
    /// Save the model as JSON.
    #[arg(long, value_name = "MODEL.json")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub per_feature: PerFeatureArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

/// Out-of-core training.
#[derive(Debug, Args)]
#[command(next_help_heading = "Out of core (mini-batch proximal SGD)")]
pub struct StreamArgs {
    /// Train by mini-batch proximal SGD on batches of N rows, reading the
    /// file in chunks (memory stays bounded whatever its size).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Passes over the file [default: 10].
    #[arg(long, value_name = "E", requires = "batch_size")]
    pub epochs: Option<usize>,
    /// Step size [default: automatic, 1/(largest batch curvature bound + λ₂)].
    #[arg(
        long,
        value_name = "LR",
        allow_negative_numbers = true,
        requires = "batch_size"
    )]
    pub learning_rate: Option<f64>,
    /// Rows read ahead and shuffled before being cut into batches
    /// [default: about 16 MB of rows].
    #[arg(long, value_name = "ROWS", requires = "batch_size")]
    pub shuffle_buffer: Option<usize>,
    /// Seed of the shuffling.
    #[arg(long, default_value_t = 0, requires = "batch_size")]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SolverArg {
    /// Coordinate descent.
    Cd,
    /// FISTA (accelerated proximal gradient).
    Fista,
    /// Proximal gradient descent.
    Gd,
}

impl SolverArg {
    pub fn solver(self) -> Solver {
        match self {
            SolverArg::Cd => Solver::CoordinateDescent,
            SolverArg::Fista => Solver::Fista,
            SolverArg::Gd => Solver::GradientDescent,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SolverArg::Cd => "coordinate descent",
            SolverArg::Fista => "fista",
            SolverArg::Gd => "gradient descent",
        }
    }
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model saved by `fit --out` or `cv --out`.
    #[arg(value_name = "MODEL.json")]
    pub model: PathBuf,
    /// The CSV file with the model's feature columns.
    #[arg(value_name = "DATA.csv")]
    pub data: PathBuf,
    /// Write the predictions here [default: stdout].
    #[arg(long, value_name = "PRED.csv")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Share of L1 in the penalty (1: the lasso path).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub l1_ratio: f64,
    #[command(flatten)]
    pub grid: GridArgs,
    #[command(flatten)]
    pub solve: PathSolveArgs,
    /// Also compute the relaxed lasso: at each alpha, the unpenalized
    /// least-squares refit on the features the penalized fit selected
    /// (glmnet's relax = TRUE); adds its R² to the table and its
    /// coefficients to --out.
    #[arg(long)]
    pub relax: bool,
    /// Draw the coefficient path as SVG.
    #[arg(long, value_name = "PATH.svg")]
    pub plot: Option<PathBuf>,
    /// Write the coefficients as CSV: one row per alpha (and, with --relax,
    /// one more per alpha for the refit), columns alpha, model
    /// (`penalized` or `relaxed`), (intercept) and one per feature.
    #[arg(long, value_name = "COEFS.csv")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub per_feature: PerFeatureArgs,
}

/// The alpha grid.
#[derive(Debug, Args)]
pub struct GridArgs {
    /// Alphas in the grid, log-spaced from alpha_max down.
    #[arg(long, default_value_t = 100)]
    pub n_alphas: usize,
    /// alpha_min / alpha_max.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub eps: f64,
}

/// Stopping rule of the path and CV fits.
#[derive(Debug, Args)]
pub struct PathSolveArgs {
    /// Duality-gap tolerance of every fit, relative to the variance of the
    /// target.
    #[arg(long, default_value_t = 1e-4, allow_negative_numbers = true)]
    pub tol: f64,
    /// Iterations at most per fit.
    #[arg(long, default_value_t = 1000)]
    pub max_iter: usize,
}

#[derive(Debug, Args)]
pub struct CvArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The l1_ratios to compare, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1",
        allow_negative_numbers = true
    )]
    pub l1_ratios: Vec<f64>,
    /// Number of folds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed of the row shuffle that makes the folds.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub grid: GridArgs,
    #[command(flatten)]
    pub solve: PathSolveArgs,
    /// Also cross-validate the relaxed lasso gamma·β + (1 − gamma)·β_LS
    /// (β_LS: the least-squares refit on β's features) at these gammas
    /// [default: 0,0.25,0.5,0.75,1], choosing (gamma, l1_ratio, alpha)
    /// jointly as glmnet's cv.glmnet(relax = TRUE). --out then saves
    /// whichever of the two choices has the lower CV MSE.
    #[arg(
        long,
        value_name = "GAMMAS",
        num_args = 0..=1,
        require_equals = true,
        value_delimiter = ',',
        default_missing_value = "0,0.25,0.5,0.75,1",
        allow_negative_numbers = true
    )]
    pub relax: Option<Vec<f64>>,
    /// Draw the cross-validation curve of the chosen l1_ratio as SVG.
    #[arg(long, value_name = "CV.svg")]
    pub plot: Option<PathBuf>,
    /// Save the model refit at the chosen (l1_ratio, alpha_min) as JSON
    /// (with --relax, the relaxed model when its CV MSE is lower).
    #[arg(long, value_name = "MODEL.json")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub per_feature: PerFeatureArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
