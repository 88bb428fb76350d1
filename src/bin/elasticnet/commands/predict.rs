//! `elasticnet predict`: predictions of a saved model, read and written a
//! chunk at a time.

use std::io::{ErrorKind, Write};

use elasticnet::ColumnStats;
use ndarray::{Array2, ArrayView2};

use crate::args::PredictArgs;
use crate::error::{CliError, Result};
use crate::model_file::ModelFile;
use crate::output::{AtomicFile, count, short};
use crate::progress::Progress;
use crate::table::{CsvFile, no_rows};

/// Values read at a time: 8 MB.
const CHUNK_VALUES: usize = 1 << 20;

/// Where predictions go.
enum Sink {
    File(AtomicFile),
    Stdout(std::io::StdoutLock<'static>),
}

impl Sink {
    /// Writes `text`; `Ok(false)` when stdout was closed (`| head`).
    fn write(&mut self, text: &str) -> Result<bool> {
        match self {
            Sink::File(f) => f.write_all(text.as_bytes()).map(|()| true),
            Sink::Stdout(out) => match out.write_all(text.as_bytes()) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
                Err(e) => Err(CliError::failure(format!("cannot write to stdout: {e}"))),
            },
        }
    }
}

pub fn run(a: &PredictArgs, progress: &Progress) -> Result<String> {
    let saved = ModelFile::load(&a.model)?;
    let file = CsvFile::open(&a.data)?;
    let missing: Vec<String> = saved
        .features
        .iter()
        .filter(|f| !file.has_column(f))
        .map(|f| format!("`{f}`"))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::input(format!(
            "{}: no column {} — the model in {} was fitted on the features {}",
            file.name(),
            missing.join(", "),
            a.model.display(),
            saved
                .features
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // With the target in the file (and the predictions in a file), report
    // how well the model does.
    let score = a.out.is_some() && file.has_column(&saved.target);
    let target = score.then_some(saved.target.as_str());
    let selection = file.select(target, Some(&saved.features))?;
    let model = saved.model();
    let p = saved.features.len();

    let mut sink = match &a.out {
        Some(path) => Sink::File(AtomicFile::create(path)?),
        None => Sink::Stdout(std::io::stdout().lock()),
    };
    if !sink.write("prediction\n")? {
        return Ok(String::new());
    }
    let mut rows = file.rows(&selection)?;
    let chunk = (CHUNK_VALUES / (p + 1)).max(1);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut text = String::new();
    let mut y_stats = ColumnStats::new(1);
    let mut squared_error = 0.0;
    loop {
        x.clear();
        y.clear();
        let n = rows.read_chunk(chunk, &mut x, &mut y)?;
        if n == 0 {
            break;
        }
        let xs = ArrayView2::from_shape((n, p), &x).expect("p per row");
        let predictions: Array2<f64> = model.predict(xs)?;
        text.clear();
        for (i, &v) in predictions.column(0).iter().enumerate() {
            text.push_str(&format!("{v}\n"));
            if score {
                squared_error += (y[i] - v) * (y[i] - v);
            }
        }
        if score {
            y_stats.update(ArrayView2::from_shape((n, 1), &y).expect("one per row"))?;
        }
        if !sink.write(&text)? {
            return Ok(String::new());
        }
        progress.tick(|| format!("predicting: {} rows", count(rows.rows_read())));
    }
    let m = rows.rows_read();
    if m == 0 {
        return Err(no_rows(&file.name()));
    }
    match sink {
        Sink::File(f) => f.commit()?,
        Sink::Stdout(mut out) => {
            if let Err(e) = out.flush()
                && e.kind() != ErrorKind::BrokenPipe
            {
                return Err(CliError::failure(format!("cannot write to stdout: {e}")));
            }
            return Ok(String::new());
        }
    }
    let out = a.out.as_ref().expect("a file sink");
    let mut report = format!(
        "{} predictions of `{}` written to {}\n",
        count(m),
        saved.target,
        out.display()
    );
    if score {
        let mse = squared_error / m as f64;
        let ss_tot = y_stats.variance()[0] * m as f64;
        let r2 = if ss_tot > 0.0 {
            1.0 - squared_error / ss_tot
        } else if squared_error == 0.0 {
            1.0
        } else {
            0.0
        };
        report += &format!(
            "on {}: R² {}, MSE {}\n",
            file.name(),
            short(r2, 6),
            short(mse, 6)
        );
    }
    Ok(report)
}
