//! The command line's CSV reader (`src/bin/elasticnet/table.rs`, compiled
//! into this crate from the binary's sources) on arbitrary bytes.
//!
//! The first [`CONTROL`] bytes choose the column selection and the way of
//! reading; the rest is the file. Each input is read
//!
//! * whole, with [`read_rows`] (what `fit`, `path` and `cv` do), from a
//!   slice;
//! * in chunks of 1 to 8 rows or 4096, with [`RowReader::read_chunk`] (what
//!   `sgd` and `predict` do), from a reader that hands out the bytes a few
//!   at a time (split reads), or from the slice;
//! * in one input in eight also from a real file, through
//!   [`CsvFile::open`] and [`read_all`];
//!
//! and checked against a reference reading of the same bytes written here
//! (the csv crate without header handling, and the documented rules: every
//! selected cell a finite number, every row as long as the header):
//!
//! * it never panics;
//! * every error is an input error on one line that names the file (and,
//!   for a bad row, the line the reference puts it on);
//! * the header is rejected exactly when it is not UTF-8 or has no name;
//!   the selection exactly when a name is absent, repeated in the header,
//!   given twice, blank, or the target is among the features;
//! * the rows are rejected exactly when the reference finds a bad row (or
//!   none), after as many good rows as the reference;
//! * otherwise the tables are bitwise the reference's: the selected
//!   columns in the order asked, finite, `m × p` and `m × 1`, with `m` the
//!   number of data rows and `rows_read` equal to it; chunks are never
//!   longer than asked and short only at the end.

use std::io::Read;
use std::path::Path;

use csv::{ByteRecord, ReaderBuilder, Trim};

use crate::error::{CliError, Kind};
use crate::progress::Progress;
use crate::table::{CsvFile, RowReader, Selection, Table, read_all, read_rows};

/// Bytes at the start of an input that are not part of the file.
pub const CONTROL: usize = 8;

/// The name the reader is given for the file (it only appears in messages).
const NAME: &str = "fuzz.csv";

/// A reader handing out `data` in reads of at most `piece` bytes (as a pipe
/// might), to exercise the csv crate's buffer boundaries.
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

/// splitmix64, to spread a few control bytes over column choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A column name that the header does not have (or has with different
/// spacing or case).
fn absent_name(header: &[String], rng: &mut Rng) -> String {
    let base = if header.is_empty() {
        "y".to_string()
    } else {
        header[rng.below(header.len())].clone()
    };
    match rng.below(6) {
        0 => "absent".into(),
        1 => String::new(),
        2 => " ".into(),
        3 => format!("{base} "),
        4 => format!(" {base}"),
        _ => base.to_uppercase() + "_",
    }
}

/// The target and feature names asked for, decoded from the control bytes
/// and the (reference) header.
#[derive(Debug)]
struct Request {
    target: Option<String>,
    features: Option<Vec<String>>,
    /// Rows per chunk.
    chunk: usize,
    /// Bytes per read for the chunked reading (`None`: the whole slice).
    piece: Option<usize>,
    /// Also read through a real file.
    via_file: bool,
}

fn request(c: &[u8; CONTROL], header: &[String]) -> Request {
    let mut rng = Rng(u64::from_le_bytes(*c));
    let n = header.len();
    let present = |rng: &mut Rng| header[rng.below(n)].clone();
    let target = match c[0] % 8 {
        0 | 1 => None,
        2 => Some(absent_name(header, &mut rng)),
        _ if n == 0 => Some("y".into()),
        _ => Some(present(&mut rng)),
    };
    let features = match c[1] % 8 {
        0..=2 => None,
        3 => Some(Vec::new()),
        4 => {
            // Present names plus an absent or blank one somewhere.
            let mut list: Vec<String> = (0..rng.below(3))
                .filter(|_| n > 0)
                .map(|_| present(&mut rng))
                .collect();
            let at = rng.below(list.len() + 1);
            list.insert(at, absent_name(header, &mut rng));
            Some(list)
        }
        _ if n == 0 => Some(vec!["a".into()]),
        _ => {
            // A sample of present names in any order: repeats, and the
            // target itself, happen now and then.
            let k = 1 + rng.below(n.min(8));
            Some((0..k).map(|_| present(&mut rng)).collect())
        }
    };
    let chunk = match c[2] % 16 {
        15 => 4096,
        k => 1 + usize::from(k % 8),
    };
    let piece = match c[3] % 4 {
        0 => None,
        _ => Some(1 + usize::from(c[3] >> 2) % 16),
    };
    Request {
        target,
        features,
        chunk,
        piece,
        via_file: c[4].is_multiple_of(8),
    }
}

/// The reference reading of a file: what the reader must return.
#[derive(Debug)]
enum Expected {
    /// The header is rejected (not UTF-8, or no named column).
    BadHeader,
    /// The selection is rejected.
    BadSelection,
    /// `good` rows, then a bad one starting on `line` (or, for `line ==
    /// None`, no rows at all).
    BadRows { good: usize, line: Option<u64> },
    /// The selected values, row by row: features, then the target.
    Rows(Vec<Vec<f64>>),
}

/// Every record of `text`, the header included, read by the csv crate with
/// the reader's settings but no header handling.
fn records(text: &[u8]) -> Vec<ByteRecord> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .from_reader(text);
    let mut out = Vec::new();
    let mut record = ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .expect("byte records never fail on a slice")
    {
        out.push(record.clone());
    }
    out
}

/// The header's names, or `None` when they are not UTF-8.
///
/// The csv crate trims the header of Unicode whitespace (`str::trim`) but
/// the cells of ASCII whitespace only (a vertical tab or a no-break space
/// stays in a cell, which is then not a number).
fn header_names(records: &[ByteRecord]) -> Option<Vec<String>> {
    match records.first() {
        None => Some(Vec::new()),
        Some(r) => r
            .iter()
            .map(|f| std::str::from_utf8(f).ok().map(|t| t.trim().to_string()))
            .collect(),
    }
}

/// The positions of the selected columns, features then target, when the
/// selection is valid.
fn columns(header: &[String], req: &Request) -> Option<Vec<usize>> {
    let once = |name: &str| {
        let hits: Vec<usize> = (0..header.len()).filter(|&i| header[i] == name).collect();
        (hits.len() == 1).then(|| hits[0])
    };
    let target = match &req.target {
        Some(t) => Some(once(t)?),
        None => None,
    };
    let names: Vec<&str> = match &req.features {
        Some(list) => {
            let fine = !list.is_empty()
                && list.iter().enumerate().all(|(i, f)| {
                    !f.trim().is_empty() && !list[..i].contains(f) && Some(f) != req.target.as_ref()
                });
            if !fine {
                return None;
            }
            list.iter().map(String::as_str).collect()
        }
        None => header
            .iter()
            .map(String::as_str)
            .filter(|h| !h.is_empty() && Some(*h) != req.target.as_deref())
            .collect(),
    };
    if names.is_empty() {
        return None;
    }
    let mut idx = names
        .iter()
        .map(|f| once(f))
        .collect::<Option<Vec<usize>>>()?;
    idx.extend(target);
    Some(idx)
}

/// A cell as the documentation describes it: UTF-8 text of a finite
/// number (already trimmed by the csv crate).
fn cell(raw: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(raw).ok()?;
    let v: f64 = text.parse().ok()?;
    v.is_finite().then_some(v)
}

fn expected(records: &[ByteRecord], req: &Request) -> Expected {
    let Some(header) = header_names(records) else {
        return Expected::BadHeader;
    };
    if header.iter().all(String::is_empty) {
        return Expected::BadHeader;
    }
    let Some(idx) = columns(&header, req) else {
        return Expected::BadSelection;
    };
    let mut rows = Vec::new();
    for r in &records[1..] {
        let row = (r.len() == header.len())
            .then(|| {
                idx.iter()
                    .map(|&j| cell(&r[j]))
                    .collect::<Option<Vec<f64>>>()
            })
            .flatten();
        match row {
            Some(row) => rows.push(row),
            None => {
                return Expected::BadRows {
                    good: rows.len(),
                    line: Some(r.position().expect("records have positions").line()),
                };
            }
        }
    }
    if rows.is_empty() {
        return Expected::BadRows {
            good: 0,
            line: None,
        };
    }
    Expected::Rows(rows)
}

/// Every error is rejected input, on one line, naming the file.
fn check_error(e: &CliError, what: &str) {
    assert_eq!(e.kind, Kind::Input, "{what}: {e}");
    assert!(!e.message.contains(['\n', '\r']), "{what}: {e:?}");
    assert!(
        e.message.starts_with(NAME) || e.message.starts_with("--features"),
        "{what}: the message names no file: {e}"
    );
}

/// A bad row's error names its line.
fn check_row_error(e: &CliError, line: Option<u64>, what: &str) {
    check_error(e, what);
    match line {
        Some(line) => {
            let prefix = format!("{NAME}: line {line}");
            let rest = e.message.strip_prefix(&prefix);
            assert!(
                rest.is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_digit())),
                "{what}: expected an error on line {line}: {e}"
            );
        }
        None => assert!(e.message.contains("no data rows"), "{what}: {e}"),
    }
}

/// The table must be the reference's rows, bit for bit.
fn check_table(t: &Table, sel: &Selection, has_target: bool, rows: &[Vec<f64>], what: &str) {
    let p = sel.n_features();
    assert_eq!(t.x.dim(), (rows.len(), p), "{what}: x shape");
    assert_eq!(t.y.is_some(), has_target, "{what}: y present");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), p + usize::from(has_target));
        for (j, want) in row[..p].iter().enumerate() {
            assert!(t.x[[i, j]].is_finite());
            assert_eq!(t.x[[i, j]].to_bits(), want.to_bits(), "{what}: x[{i}, {j}]");
        }
        if let Some(y) = &t.y {
            assert_eq!(y.dim(), (rows.len(), 1), "{what}: y shape");
            assert!(y[[i, 0]].is_finite());
            assert_eq!(y[[i, 0]].to_bits(), row[p].to_bits(), "{what}: y[{i}]");
        }
    }
}

/// Reads `rows` in chunks of `chunk` and checks every step against the
/// reference.
fn check_chunks<R: Read>(mut rows: RowReader<R>, chunk: usize, exp: &Expected, p: usize, k: usize) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut total = 0;
    let mut ended = false;
    loop {
        match rows.read_chunk(chunk, &mut x, &mut y) {
            Ok(n) => {
                assert!(n <= chunk, "a chunk of {n} rows for {chunk} asked");
                assert!(!ended || n == 0, "rows after a short chunk");
                total += n;
                assert_eq!(rows.rows_read(), total, "rows_read");
                assert_eq!(x.len(), total * p, "x values");
                assert_eq!(y.len(), total * k, "y values");
                assert!(x.iter().chain(&y).all(|v| v.is_finite()));
                if n == 0 {
                    break;
                }
                ended = n < chunk;
            }
            Err(e) => {
                let Expected::BadRows { good, line } = exp else {
                    panic!("chunks: unexpected error {e}; expected {exp:?}")
                };
                assert!(
                    line.is_some(),
                    "chunks: a row error for a file without rows: {e}"
                );
                check_row_error(&e, *line, "chunks");
                assert_eq!(
                    rows.rows_read(),
                    *good,
                    "chunks: rows read before the error"
                );
                return;
            }
        }
    }
    match exp {
        Expected::Rows(want) => {
            assert_eq!(total, want.len(), "chunks: row count");
            let got: Vec<f64> = (0..total)
                .flat_map(|i| x[i * p..(i + 1) * p].iter().chain(&y[i * k..(i + 1) * k]))
                .copied()
                .collect();
            let want: Vec<f64> = want.iter().flatten().copied().collect();
            assert!(
                got.iter()
                    .map(|v| v.to_bits())
                    .eq(want.iter().map(|v| v.to_bits())),
                "chunks: values differ"
            );
        }
        Expected::BadRows {
            good: 0,
            line: None,
        } => assert_eq!(total, 0),
        _ => panic!("chunks: read {total} rows; expected {exp:?}"),
    }
}

/// Opens, selects and reads whole: returns the selection when the rows
/// should then be read.
fn check_whole<R: Read>(
    open: impl Fn() -> R,
    req: &Request,
    exp: &Expected,
    what: &str,
) -> Option<(CsvFile, Selection)> {
    let file = match CsvFile::from_reader(Path::new(NAME), open()) {
        Err(e) => {
            assert!(
                matches!(exp, Expected::BadHeader),
                "{what}: open: {e}; expected {exp:?}"
            );
            check_error(&e, what);
            return None;
        }
        Ok(file) => file,
    };
    assert!(
        !matches!(exp, Expected::BadHeader),
        "{what}: header accepted"
    );
    let sel = match file.select(req.target.as_deref(), req.features.as_deref()) {
        Err(e) => {
            assert!(
                matches!(exp, Expected::BadSelection),
                "{what}: select: {e}; expected {exp:?}"
            );
            check_error(&e, what);
            return None;
        }
        Ok(sel) => sel,
    };
    assert!(
        !matches!(exp, Expected::BadSelection),
        "{what}: selection accepted"
    );
    if let Some(list) = &req.features {
        assert_eq!(&sel.feature_names, list, "{what}: feature names");
    }
    let rows = file.rows_from(open(), &sel).expect("the header read again");
    match (read_rows(rows, &Progress::new(true), None), exp) {
        (Ok(t), Expected::Rows(want)) => check_table(&t, &sel, req.target.is_some(), want, what),
        (Err(e), Expected::BadRows { line, .. }) => check_row_error(&e, *line, what),
        (got, _) => panic!("{what}: {:?}; expected {exp:?}", got.map(|t| t.x.dim())),
    }
    Some((file, sel))
}

/// The `csv` fuzz target: see the module documentation.
pub fn csv(bytes: &[u8]) {
    let mut control = [0u8; CONTROL];
    let split = bytes.len().min(CONTROL);
    control[..split].copy_from_slice(&bytes[..split]);
    let text = &bytes[split..];

    let records = records(text);
    let header = header_names(&records).unwrap_or_default();
    let req = request(&control, &header);
    let exp = expected(&records, &req);
    if std::env::var_os("FUZZ_SHOW").is_some() {
        eprintln!(
            "csv: text = b\"{}\"\n{req:#?}\n{exp:?}",
            text.escape_ascii()
        );
    }

    let Some((file, sel)) = check_whole(|| text, &req, &exp, "whole") else {
        return;
    };
    let (p, k) = (sel.n_features(), usize::from(req.target.is_some()));
    match req.piece {
        None => check_chunks(file.rows_from(text, &sel).unwrap(), req.chunk, &exp, p, k),
        Some(piece) => {
            let pieces = || Pieces { data: text, piece };
            // The header must come out the same however the bytes arrive.
            check_whole(pieces, &req, &exp, "pieces");
            let rows = file
                .rows_from(pieces(), &sel)
                .expect("the header read again");
            check_chunks(rows, req.chunk, &exp, p, k);
        }
    }
    if req.via_file {
        let path = std::env::temp_dir().join(format!("elasticnet-fuzz-{}.csv", std::process::id()));
        std::fs::write(&path, text).expect("a temporary file");
        let file = CsvFile::open(&path).expect("the header read again");
        let sel = file
            .select(req.target.as_deref(), req.features.as_deref())
            .expect("the same selection");
        match (read_all(&file, &sel, &Progress::new(true)), &exp) {
            (Ok(t), Expected::Rows(want)) => check_table(&t, &sel, k == 1, want, "file"),
            (Err(e), Expected::BadRows { .. }) => {
                assert!(e.message.starts_with(&file.name()), "file: {e}");
            }
            (got, _) => panic!("file: {:?}; expected {exp:?}", got.map(|t| t.x.dim())),
        }
    }
}
