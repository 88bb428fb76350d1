//! `elasticnet`: elastic-net regression on CSV files from the command line.
//!
//! ```text
//! elasticnet fit DATA.csv --target COL [--alpha A --l1-ratio R | --lambda1 L1 --lambda2 L2]
//!                [--standardize] [--no-intercept] [--solver cd|fista|gd]
//!                [--batch-size N --epochs E] [--out MODEL.json]
//! elasticnet predict MODEL.json DATA.csv [--out PRED.csv]
//! elasticnet path DATA.csv --target COL [--l1-ratio R] [--relax] [--plot PATH.svg] [--out COEFS.csv]
//! elasticnet cv DATA.csv --target COL [--l1-ratios 0.1,0.5,1] [--folds K] [--relax[=GAMMAS]]
//!               [--plot CV.svg] [--out MODEL.json]
//!
//! fit, path and cv also take [--weights COL] [--positive] [--penalty-factor NAME=V,...]
//!                             [--lower NAME=V,...] [--upper NAME=V,...]
//! ```
//!
//! Exit status: 0 on success, 2 when the input is rejected (a usage error,
//! a bad data or model file, an option out of range), 1 when the work
//! fails (an output cannot be written, training diverges). Every error is
//! one line on stderr; no output file is ever left half-written.

mod args;
mod commands;
mod error;
mod model_file;
mod output;
mod progress;
mod table;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use progress::Progress;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let progress = Progress::new(cli.quiet);
    let result = match &cli.command {
        Command::Fit(a) => commands::fit::run(a, &progress),
        Command::Predict(a) => commands::predict::run(a, &progress),
        Command::Path(a) => commands::path::run(a, &progress),
        Command::Cv(a) => commands::cv::run(a, &progress),
    };
    progress.clear();
    match result {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error.
            let _ = out.write_all(report.as_bytes()).and_then(|()| out.flush());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
