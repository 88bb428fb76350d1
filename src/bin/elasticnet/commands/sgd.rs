//! `elasticnet fit --batch-size N`: out-of-core training by mini-batch
//! proximal SGD, reading the file in chunks.
//!
//! 1. A first pass computes the column statistics (and checks every cell).
//! 2. Each epoch reads the file again through a shuffle buffer of a bounded
//!    number of rows, centres (with an intercept) and scales (with
//!    `--standardize`) each batch with the first pass's statistics, and
//!    hands it to [`train_batches_with`].
//! 3. A last pass measures the objective, a duality gap and R²
//!    ([`evaluate_batches`]).
//!
//! Memory holds the shuffle buffer (about 16 MB by default) and one batch,
//! whatever the file's size.

use std::ops::ControlFlow;

use elasticnet::{
    ColumnStats, L1Update, LearningRate, LinearModel, StandardScaler, StreamConfig,
    evaluate_batches, train_batches_with,
};
use ndarray::{Array1, Array2, ArrayView2};
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

use super::fit::Penalty;
use super::{PerFeature, coefficient_table, data_line, penalty_line, preprocessing};
use crate::args::FitArgs;
use crate::error::{CliError, Result};
use crate::model_file::{ModelFile, Training};
use crate::output::{count, short};
use crate::progress::Progress;
use crate::table::{CsvFile, RowReader, Selection, no_rows};

/// Values (rows × columns) read at a time by the statistics and evaluation
/// passes: 8 MB.
const PASS_VALUES: usize = 1 << 20;
/// Values held by the default shuffle buffer: 16 MB.
const SHUFFLE_VALUES: usize = 1 << 21;
/// The duality-gap tolerance a streamed model is certified against (the
/// exact solvers' default `tol`).
const CERTIFY_TOL: f64 = 1e-4;

pub fn run(
    a: &FitArgs,
    penalty: &Penalty,
    per_feature: &PerFeature,
    file: &CsvFile,
    selection: &Selection,
    batch_size: usize,
    progress: &Progress,
) -> Result<String> {
    if batch_size == 0 {
        return Err(CliError::input(
            "invalid --batch-size 0: expected at least 1",
        ));
    }
    let p = selection.n_features();
    let fit_intercept = !a.data.no_intercept;
    let config = StreamConfig {
        epochs: a.stream.epochs.unwrap_or(10),
        learning_rate: match a.stream.learning_rate {
            Some(lr) => LearningRate::Constant(lr),
            None => LearningRate::Auto,
        },
        l1_update: L1Update::Proximal,
        fit_intercept,
        positive: per_feature.positive,
        tol: None,
    };
    config.validate()?;

    // Pass 1: statistics.
    let (x_stats, y_stats) = scan(file, selection, progress)?;
    let n_rows = x_stats.n_samples();
    let prep = Prep::new(&x_stats, &y_stats, fit_intercept, a.data.standardize)?;

    // Epochs.
    let wanted = a
        .stream
        .shuffle_buffer
        .unwrap_or(SHUFFLE_VALUES / (p + 1))
        .max(batch_size);
    let buffer_rows = wanted.div_ceil(batch_size) * batch_size;
    let mut model = LinearModel::zeros(p, 1);
    let epochs = config.epochs;
    let train = train_batches_with(
        &mut model,
        &penalty.loss,
        |epoch| -> Result<Batches<'_>> {
            let seed = a
                .stream
                .seed
                .wrapping_add((epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            Ok(Batches {
                rows: file.rows(selection)?,
                batch_size,
                buffer_rows,
                shuffle: Some(StdRng::seed_from_u64(seed)),
                prep: &prep,
                progress,
                label: format!("epoch {}/{epochs}", epoch + 1),
                total: n_rows,
                buffer: Buffer::default(),
                done: false,
            })
        },
        &config,
        |epoch, _, loss| {
            progress.show(&format!(
                "epoch {}/{epochs} done: loss {}",
                epoch + 1,
                short(loss, 6)
            ));
            ControlFlow::Continue(())
        },
    )?;

    // Pass 3: evaluation.
    let eval_rows = (PASS_VALUES / (p + 1)).max(1);
    let eval = evaluate_batches(
        &model,
        &penalty.loss,
        Batches {
            rows: file.rows(selection)?,
            batch_size: eval_rows,
            buffer_rows: eval_rows,
            shuffle: None,
            prep: &prep,
            progress,
            label: "evaluating".into(),
            total: n_rows,
            buffer: Buffer::default(),
            done: false,
        },
        &config,
    )?;
    let original = prep.to_original(&model);
    let scale_y = y_stats.variance()[0]
        + if fit_intercept {
            0.0
        } else {
            y_stats.mean()[0].powi(2)
        };
    let certified = eval.duality_gap <= CERTIFY_TOL * scale_y;

    let mut report = data_line("fit", &a.data, n_rows, None, selection);
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
    report += &format!(
        "proximal SGD: {} epochs × {} batches of {} rows (shuffled {} rows at a time), learning rate {}{}\n",
        train.epochs_run,
        count(n_rows.div_ceil(batch_size)),
        count(batch_size),
        count(buffer_rows.min(n_rows)),
        short(train.learning_rate, 4),
        if a.stream.learning_rate.is_none() {
            " (automatic)"
        } else {
            ""
        }
    );
    report += &format!(
        "epoch losses (progressive): first {}, last {}\n",
        short(train.losses[0], 8),
        short(*train.losses.last().expect("at least one epoch"), 8)
    );
    report += &format!(
        "final pass: objective {}, duality gap {} ({} of the objective; {} the tolerance {CERTIFY_TOL}), R² {}\n\n",
        short(eval.objective, 8),
        short(eval.duality_gap, 3),
        percent(eval.duality_gap, eval.objective),
        if certified { "within" } else { "NOT within" },
        short(eval.r2, 6)
    );
    report += &coefficient_table(&selection.feature_names, &original);

    if let Some(out) = &a.out {
        let training = Training {
            method: "proximal sgd".into(),
            data: file.name(),
            sample_weights: None,
            n_samples: n_rows,
            n_iter: train.epochs_run,
            converged: certified,
            objective_value: eval.objective,
            duality_gap: eval.duality_gap,
            r2: eval.r2,
        };
        let model_file = ModelFile::new(
            &a.data.target,
            &selection.feature_names,
            &original,
            penalty.objective(a, per_feature),
            prep.scaler.clone(),
            training,
        );
        model_file.save(out)?;
        report += &format!("\nmodel saved to {}\n", out.display());
    }
    Ok(report)
}

/// `part` as a percentage of `whole` (`0.0123%`).
fn percent(part: f64, whole: f64) -> String {
    if part == 0.0 {
        return "0%".into();
    }
    format!("{}%", short(100.0 * part / whole, 3))
}

/// The first pass: statistics of the features and the target.
fn scan(
    file: &CsvFile,
    selection: &Selection,
    progress: &Progress,
) -> Result<(ColumnStats<f64>, ColumnStats<f64>)> {
    let p = selection.n_features();
    let chunk = (PASS_VALUES / (p + 1)).max(1);
    let mut rows = file.rows(selection)?;
    let mut x_stats = ColumnStats::new(p);
    let mut y_stats = ColumnStats::new(1);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    loop {
        x.clear();
        y.clear();
        let n = rows.read_chunk(chunk, &mut x, &mut y)?;
        if n == 0 {
            break;
        }
        x_stats.update(ArrayView2::from_shape((n, p), &x).expect("p per row"))?;
        y_stats.update(ArrayView2::from_shape((n, 1), &y).expect("one per row"))?;
        progress.tick(|| format!("reading {}: {} rows", rows.name(), count(rows.rows_read())));
    }
    if x_stats.n_samples() == 0 {
        return Err(no_rows(&file.name()));
    }
    Ok((x_stats, y_stats))
}

/// The affine map from the file's columns to what SGD sees:
/// `z = (x − centre)/scale`, `y − ȳ`.
struct Prep {
    center: Array1<f64>,
    scale: Array1<f64>,
    y_center: f64,
    /// The standardization, when `--standardize` (for the model file).
    scaler: Option<StandardScaler<f64>>,
}

impl Prep {
    fn new(
        x_stats: &ColumnStats<f64>,
        y_stats: &ColumnStats<f64>,
        fit_intercept: bool,
        standardize: bool,
    ) -> Result<Self> {
        let p = x_stats.mean().len();
        let scaler = standardize
            .then(|| x_stats.scaler(fit_intercept))
            .transpose()?;
        let (center, scale) = match &scaler {
            Some(s) => (s.mean.clone(), s.scale.clone()),
            None if fit_intercept => (x_stats.mean().to_owned(), Array1::ones(p)),
            None => (Array1::zeros(p), Array1::ones(p)),
        };
        Ok(Self {
            center,
            scale,
            y_center: if fit_intercept {
                y_stats.mean()[0]
            } else {
                0.0
            },
            scaler,
        })
    }

    /// The model on the file's scale: `W = w/scale`,
    /// `b = ȳ + b_z − centreᵀW`.
    fn to_original(&self, model: &LinearModel<f64>) -> LinearModel<f64> {
        let weight = &model.weight / &self.scale.view().insert_axis(ndarray::Axis(1));
        let bias = self.y_center + model.bias[0] - self.center.dot(&weight.column(0));
        LinearModel::from_parameters(weight, Array1::from_elem(1, bias))
    }
}

/// Rows read ahead, in the order they will be served.
#[derive(Default)]
struct Buffer {
    x: Vec<f64>,
    y: Vec<f64>,
    order: Vec<usize>,
    next: usize,
}

/// The batches of one pass over the file, as `train_batches` and
/// `evaluate_batches` take them.
struct Batches<'a> {
    rows: RowReader,
    batch_size: usize,
    /// Rows read (and shuffled) at a time; a multiple of `batch_size`.
    buffer_rows: usize,
    shuffle: Option<StdRng>,
    prep: &'a Prep,
    progress: &'a Progress,
    label: String,
    total: usize,
    buffer: Buffer,
    done: bool,
}

impl Batches<'_> {
    /// Reads the next buffer of rows; `false` at the end of the file.
    fn refill(&mut self) -> Result<bool> {
        let b = &mut self.buffer;
        b.x.clear();
        b.y.clear();
        let n = self.rows.read_chunk(self.buffer_rows, &mut b.x, &mut b.y)?;
        b.order.clear();
        b.order.extend(0..n);
        if let Some(rng) = &mut self.shuffle {
            b.order.shuffle(rng);
        }
        b.next = 0;
        let (label, read, total) = (&self.label, self.rows.rows_read(), self.total);
        self.progress
            .tick(|| format!("{label}: {} / {} rows", count(read), count(total)));
        Ok(n > 0)
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<(Array2<f64>, Array2<f64>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.next == self.buffer.order.len() {
            if self.done {
                return None;
            }
            match self.refill() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let b = &mut self.buffer;
        let end = (b.next + self.batch_size).min(b.order.len());
        let picked = &b.order[b.next..end];
        b.next = end;
        let p = self.prep.center.len();
        let mut x = Array2::zeros((picked.len(), p));
        let mut y = Array2::zeros((picked.len(), 1));
        for (i, &r) in picked.iter().enumerate() {
            let src = &b.x[r * p..(r + 1) * p];
            for (j, (dst, &v)) in x.row_mut(i).iter_mut().zip(src).enumerate() {
                *dst = (v - self.prep.center[j]) / self.prep.scale[j];
            }
            y[[i, 0]] = b.y[r] - self.prep.y_center;
        }
        Some(Ok((x, y)))
    }
}
