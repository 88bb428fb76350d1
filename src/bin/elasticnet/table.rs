//! Reading numeric columns of a CSV file by name: all rows at once, or a
//! bounded number at a time.
//!
//! The first line is the header. Cells are trimmed; every selected cell
//! must parse as a finite number. Errors name the file, the line and the
//! column.
//!
//! The reading itself works on any [`Read`] ([`CsvFile::from_reader`],
//! [`CsvFile::rows_from`], [`read_rows`]), so that it can be fuzzed in
//! memory (`fuzz/fuzz_targets/csv.rs`).

use std::fs::File;
use std::io::{BufReader, Chain, Cursor, Read};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, Reader, ReaderBuilder, Trim};
use ndarray::{Array1, Array2};

use crate::error::{CliError, Result};
use crate::output::count;
use crate::progress::Progress;

/// A CSV file whose header has been read.
#[derive(Debug, Clone)]
pub struct CsvFile {
    path: PathBuf,
    header: Vec<String>,
}

/// The columns to read, by position, with their names.
#[derive(Debug, Clone)]
pub struct Selection {
    pub feature_names: Vec<String>,
    feature_idx: Vec<usize>,
    target_idx: Option<usize>,
    /// The column of sample weights ([`CsvFile::select_weighted`]).
    weight_idx: Option<usize>,
}

impl Selection {
    pub fn n_features(&self) -> usize {
        self.feature_idx.len()
    }
}

impl CsvFile {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<Self> {
        Self::from_reader(path, open_file(path)?)
    }

    /// Reads the header from `input`, the contents of `path` (which is
    /// only named in messages, and opened again by [`rows`](Self::rows)).
    pub fn from_reader(path: &Path, input: impl Read) -> Result<Self> {
        let mut file = Self {
            path: path.to_path_buf(),
            header: Vec::new(),
        };
        let mut reader = csv_reader(input, &file.name())?;
        let header = reader
            .headers()
            .map_err(|e| CliError::input(format!("{}: {}", file.name(), csv_message(&e))))?;
        file.header = header.iter().map(str::to_string).collect();
        if file.header.iter().all(String::is_empty) {
            return Err(CliError::input(format!(
                "{}: the file is empty (expected a header line, then rows)",
                file.name()
            )));
        }
        Ok(file)
    }

    /// The file's name as the user gave it.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// Whether the header has a column named `name`.
    pub fn has_column(&self, name: &str) -> bool {
        self.header.iter().any(|h| h == name)
    }

    /// The feature columns (default: every named column but the target;
    /// an unnamed column, such as the index pandas writes, is left out)
    /// and the target column, by name.
    pub fn select(&self, target: Option<&str>, features: Option<&[String]>) -> Result<Selection> {
        let target_idx = target.map(|t| self.column(t, "--target")).transpose()?;
        let feature_names: Vec<String> = match features {
            Some(list) => {
                if list.is_empty() || list.iter().any(|f| f.trim().is_empty()) {
                    return Err(CliError::input(
                        "--features needs a comma-separated list of column names",
                    ));
                }
                for (i, f) in list.iter().enumerate() {
                    if list[..i].contains(f) {
                        return Err(CliError::input(format!(
                            "--features names the column `{f}` twice"
                        )));
                    }
                    if Some(f.as_str()) == target {
                        return Err(CliError::input(format!(
                            "--features includes the target column `{f}`"
                        )));
                    }
                }
                list.to_vec()
            }
            None => self
                .header
                .iter()
                .filter(|h| !h.is_empty() && Some(h.as_str()) != target)
                .cloned()
                .collect(),
        };
        if feature_names.is_empty() {
            return Err(CliError::input(format!(
                "{}: no feature columns besides the target",
                self.name()
            )));
        }
        let feature_idx = feature_names
            .iter()
            .map(|f| self.column(f, "--features"))
            .collect::<Result<Vec<_>>>()?;
        Ok(Selection {
            feature_names,
            feature_idx,
            target_idx,
            weight_idx: None,
        })
    }

    /// As [`select`](Self::select), plus a column of sample weights
    /// (`--weights`), which is never a default feature and may be neither
    /// the target nor a listed feature.
    pub fn select_weighted(
        &self,
        target: Option<&str>,
        features: Option<&[String]>,
        weights: Option<&str>,
    ) -> Result<Selection> {
        let Some(w) = weights else {
            return self.select(target, features);
        };
        if Some(w) == target {
            return Err(CliError::input(format!(
                "--weights names the target column `{w}`"
            )));
        }
        if features.is_some_and(|list| list.iter().any(|f| f == w)) {
            return Err(CliError::input(format!(
                "--features includes the weights column `{w}`"
            )));
        }
        let weight_idx = self.column(w, "--weights")?;
        let defaults: Vec<String>;
        let features = match features {
            Some(list) => list,
            None => {
                defaults = self
                    .header
                    .iter()
                    .filter(|h| !h.is_empty() && Some(h.as_str()) != target && *h != w)
                    .cloned()
                    .collect();
                if defaults.is_empty() {
                    return Err(CliError::input(format!(
                        "{}: no feature columns besides the target and the weights",
                        self.name()
                    )));
                }
                &defaults
            }
        };
        let mut selection = self.select(target, Some(features))?;
        selection.weight_idx = Some(weight_idx);
        Ok(selection)
    }

    /// The position of column `name`, which must appear exactly once.
    fn column(&self, name: &str, option: &str) -> Result<usize> {
        let hits: Vec<usize> = (0..self.header.len())
            .filter(|&i| self.header[i] == name)
            .collect();
        match hits.as_slice() {
            [i] => Ok(*i),
            [] => {
                let hint = match self.header.as_slice() {
                    [only] if only.contains([';', '\t']) => {
                        " (the file seems not to be comma-separated)"
                    }
                    _ => "",
                };
                Err(CliError::input(format!(
                    "{}: no column `{name}` ({option}); the columns are {}{hint}",
                    self.name(),
                    listing(&self.header)
                )))
            }
            _ => Err(CliError::input(format!(
                "{}: the column `{name}` appears {} times in the header",
                self.name(),
                hits.len()
            ))),
        }
    }

    /// The rows of the file, from the first, reading the selected columns.
    pub fn rows(&self, selection: &Selection) -> Result<RowReader> {
        self.rows_from(open_file(&self.path)?, selection)
    }

    /// The rows of `input`, the file's contents from the start (header
    /// included), reading the selected columns.
    pub fn rows_from<R: Read>(&self, input: R, selection: &Selection) -> Result<RowReader<R>> {
        let mut reader = csv_reader(input, &self.name())?;
        let header = reader
            .headers()
            .map_err(|e| CliError::input(format!("{}: {}", self.name(), csv_message(&e))))?;
        if header.iter().ne(self.header.iter().map(String::as_str)) {
            return Err(CliError::input(format!(
                "{}: the header changed while the file was being read",
                self.name()
            )));
        }
        Ok(RowReader {
            reader,
            record: ByteRecord::new(),
            name: self.name(),
            header: self.header.clone(),
            selection: selection.clone(),
            rows_read: 0,
        })
    }
}

/// `path`, buffered, for [`csv_reader`].
fn open_file(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path)
        .map_err(|e| CliError::input(format!("cannot open {}: {e}", path.display())))?;
    Ok(BufReader::with_capacity(1 << 16, file))
}

/// The input of a [`csv_reader`]: its first 4 bytes, then the rest.
type Input<R> = Chain<Cursor<Vec<u8>>, R>;

/// A CSV reader of `input` (the contents of file `name`) that will read
/// the header first.
///
/// The csv crate strips a UTF-8 byte order mark only when its first read
/// brings the whole mark, and takes a first read of the mark alone for the
/// end of the input (F18): the first 4 bytes (or all, if fewer) are read
/// here and handed to it in one read, whatever pieces `input` gives.
fn csv_reader<R: Read>(mut input: R, name: &str) -> Result<Reader<Input<R>>> {
    let mut head = Vec::with_capacity(4);
    input
        .by_ref()
        .take(4)
        .read_to_end(&mut head)
        .map_err(|e| CliError::input(format!("cannot read {name}: {e}")))?;
    Ok(ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(Trim::All)
        .from_reader(Cursor::new(head).chain(input)))
}

/// Reads rows one at a time, keeping only the selected columns.
pub struct RowReader<R = BufReader<File>> {
    reader: Reader<Input<R>>,
    record: ByteRecord,
    name: String,
    header: Vec<String>,
    selection: Selection,
    rows_read: usize,
}

impl<R: Read> RowReader<R> {
    /// Appends the next row's features to `x` and its target (if selected)
    /// to `y`; `Ok(false)` at the end of the file.
    pub fn next_into(&mut self, x: &mut Vec<f64>, y: &mut Vec<f64>) -> Result<bool> {
        self.next_row(x, y, None)
    }

    /// As [`next_into`](Self::next_into), also appending the row's sample
    /// weight (if a weights column was selected; checked `≥ 0`) to `w`.
    pub fn next_weighted(
        &mut self,
        x: &mut Vec<f64>,
        y: &mut Vec<f64>,
        w: &mut Vec<f64>,
    ) -> Result<bool> {
        self.next_row(x, y, Some(w))
    }

    fn next_row(
        &mut self,
        x: &mut Vec<f64>,
        y: &mut Vec<f64>,
        w: Option<&mut Vec<f64>>,
    ) -> Result<bool> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| CliError::input(format!("{}: {}", self.name, csv_message(&e))))?;
        if !more {
            return Ok(false);
        }
        let line = self.record.position().map_or(0, |p| p.line());
        if self.record.len() != self.header.len() {
            return Err(CliError::input(format!(
                "{}: line {line} has {} fields, but the header has {}",
                self.name,
                self.record.len(),
                self.header.len()
            )));
        }
        for &j in &self.selection.feature_idx {
            x.push(self.cell(j, line)?);
        }
        if let Some(j) = self.selection.target_idx {
            y.push(self.cell(j, line)?);
        }
        if let (Some(j), Some(w)) = (self.selection.weight_idx, w) {
            let v = self.cell(j, line)?;
            if v < 0.0 {
                return Err(CliError::input(format!(
                    "{}: line {line}, column `{}`: the weight {v} is negative (weights must be ≥ 0)",
                    self.name, self.header[j]
                )));
            }
            w.push(v);
        }
        self.rows_read += 1;
        Ok(true)
    }

    /// Appends up to `max_rows` rows; returns how many were read (fewer
    /// only at the end of the file).
    pub fn read_chunk(
        &mut self,
        max_rows: usize,
        x: &mut Vec<f64>,
        y: &mut Vec<f64>,
    ) -> Result<usize> {
        let mut n = 0;
        while n < max_rows && self.next_into(x, y)? {
            n += 1;
        }
        Ok(n)
    }

    /// Rows read so far.
    pub fn rows_read(&self) -> usize {
        self.rows_read
    }

    /// The file's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parses field `j` of the current record.
    fn cell(&self, j: usize, line: u64) -> Result<f64> {
        let raw = &self.record[j];
        let fail = |what: String| {
            CliError::input(format!(
                "{}: line {line}, column `{}`: {what}",
                self.name, self.header[j]
            ))
        };
        let text = std::str::from_utf8(raw).map_err(|_| fail("not valid UTF-8 text".into()))?;
        if text.is_empty() {
            return Err(fail("empty cell, expected a number".into()));
        }
        let value: f64 = text
            .parse()
            .map_err(|_| fail(format!("`{}` is not a number", shorten(text))))?;
        if !value.is_finite() {
            return Err(fail(format!(
                "`{}` is not a finite number (NaN and infinity are not allowed)",
                shorten(text)
            )));
        }
        Ok(value)
    }
}

/// Every row of the selected columns.
pub struct Table {
    /// m × p.
    pub x: Array2<f64>,
    /// m × 1, when a target was selected.
    pub y: Option<Array2<f64>>,
    /// The sample weights, when a weights column was selected.
    pub w: Option<Array1<f64>>,
}

/// Reads every row of `file` into memory.
pub fn read_all(file: &CsvFile, selection: &Selection, progress: &Progress) -> Result<Table> {
    let weights_name = selection.weight_idx.map(|j| file.header[j].clone());
    read_rows(file.rows(selection)?, progress, weights_name.as_deref())
}

/// Reads every remaining row of `rows` into memory; `weights_name` names
/// the weights column (for the error when every weight is 0).
pub fn read_rows<R: Read>(
    mut rows: RowReader<R>,
    progress: &Progress,
    weights_name: Option<&str>,
) -> Result<Table> {
    let (mut x, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
    let start = rows.rows_read();
    while rows.next_weighted(&mut x, &mut y, &mut w)? {
        let n = rows.rows_read();
        if n.is_multiple_of(4096) {
            progress.tick(|| format!("reading {}: {} rows", rows.name(), count(n)));
        }
    }
    let m = rows.rows_read() - start;
    if m == 0 {
        return Err(no_rows(rows.name()));
    }
    let p = rows.selection.n_features();
    let x = Array2::from_shape_vec((m, p), x).expect("p values per row");
    let y = rows
        .selection
        .target_idx
        .map(|_| Array2::from_shape_vec((m, 1), y).expect("one target per row"));
    let w = match rows.selection.weight_idx {
        Some(_) if w.iter().all(|&v| v == 0.0) => {
            return Err(CliError::input(format!(
                "{}: every weight in the column `{}` is 0 (--weights needs a positive weight somewhere)",
                rows.name(),
                weights_name.unwrap_or("?")
            )));
        }
        Some(_) => Some(Array1::from(w)),
        None => None,
    };
    Ok(Table { x, y, w })
}

/// The error for a file with a header and no rows.
pub fn no_rows(name: &str) -> CliError {
    CliError::input(format!("{name}: no data rows after the header"))
}

/// The csv crate's message for `e`, on one line.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => match pos {
            Some(p) => format!("line {}: not valid UTF-8 text", p.line()),
            None => "not valid UTF-8 text".into(),
        },
        _ => e.to_string(),
    }
}

/// `a, b, c` (the first 12 names, then how many more).
fn listing(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
    let mut text = shown.join(", ");
    if names.len() > 12 {
        text.push_str(&format!(" and {} more", names.len() - 12));
    }
    text
}

/// At most 40 characters of a cell, for messages.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(40).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("elasticnet-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_selected_columns_in_any_order_with_quotes_and_crlf() {
        let path = write(
            "ok.csv",
            "id,a,b,y\r\nx1,1,\"2.5\",3\r\n\r\nx2, 4 ,5e0,-6\r\n",
        );
        let file = CsvFile::open(&path).unwrap();
        let sel = file
            .select(Some("y"), Some(&["b".into(), "a".into()]))
            .unwrap();
        let t = read_all(&file, &sel, &Progress::new(true)).unwrap();
        assert_eq!(t.x, ndarray::array![[2.5, 1.0], [5.0, 4.0]]);
        assert_eq!(t.y.unwrap(), ndarray::array![[3.0], [-6.0]]);
    }

    /// A reader handing out its bytes `piece` at a time, as a pipe may.
    struct Pieces<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.data.len().min(self.piece).min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn byte_order_mark_is_dropped_however_the_bytes_arrive() {
        // F18 (fuzz target `csv`): the csv crate strips the mark only when
        // the first read brings all of it, and takes a first read of the
        // mark alone for the end of the input ("the file is empty").
        let text = "\u{feff}a,y\r\n1,2\r\n".as_bytes();
        for piece in 1..=text.len() {
            let input = || Pieces { data: text, piece };
            let file = CsvFile::from_reader(Path::new("bom.csv"), input())
                .unwrap_or_else(|e| panic!("{piece}-byte reads: {e}"));
            let sel = file
                .select(Some("y"), None)
                .unwrap_or_else(|e| panic!("{piece}-byte reads: {e}"));
            assert_eq!(sel.feature_names, ["a"], "{piece}-byte reads");
            let rows = file.rows_from(input(), &sel).unwrap();
            let t = read_rows(rows, &Progress::new(true), None).unwrap();
            assert_eq!(t.x, ndarray::array![[1.0]]);
            assert_eq!(t.y.unwrap(), ndarray::array![[2.0]]);
        }
    }

    #[test]
    fn unnamed_columns_are_not_default_features() {
        // pandas' `to_csv` writes the index as an unnamed first column.
        let path = write("pandas.csv", ",a,y\n0,1,2\n1,3,4\n");
        let file = CsvFile::open(&path).unwrap();
        let sel = file.select(Some("y"), None).unwrap();
        assert_eq!(sel.feature_names, ["a"]);
        let path = write("semicolons.csv", "a;y\n1;2\n");
        let e = CsvFile::open(&path)
            .unwrap()
            .select(Some("y"), None)
            .unwrap_err();
        assert!(e.message.contains("not to be comma-separated"), "{e}");
    }

    #[test]
    fn selection_errors_name_the_problem() {
        let path = write("dup.csv", "a,a,b,y\n1,2,3,4\n");
        let file = CsvFile::open(&path).unwrap();
        let e = file.select(Some("y"), None).unwrap_err();
        assert!(e.message.contains("`a` appears 2 times"), "{e}");
        let e = file
            .select(Some("y"), Some(&["b".into(), "y".into()]))
            .unwrap_err();
        assert!(e.message.contains("includes the target"), "{e}");
        let e = file.select(Some("z"), Some(&["b".into()])).unwrap_err();
        assert!(e.message.contains("no column `z` (--target)"), "{e}");
    }
}
