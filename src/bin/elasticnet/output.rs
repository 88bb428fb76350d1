//! Writing output files whole or not at all, and formatting numbers.
//!
//! Every file is written to a temporary file in the destination's
//! directory and renamed over the destination only once complete, so an
//! error (or a crash) never leaves a half-written output behind.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{CliError, Result};

/// A file being written under a temporary name, renamed into place by
/// [`commit`](Self::commit) and removed if dropped uncommitted.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `dest`.
    pub fn create(dest: &Path) -> Result<Self> {
        let tmp = temp_path(dest)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| write_error(dest, &e))?;
        Ok(Self {
            dest: dest.to_path_buf(),
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The writer of the temporary file.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("not yet committed")
    }

    /// Writes `bytes`.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let dest = self.dest.clone();
        self.writer()
            .write_all(bytes)
            .map_err(|e| write_error(&dest, &e))
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<()> {
        let writer = self.writer.take().expect("committed once");
        let file = writer
            .into_inner()
            .map_err(|e| write_error(&self.dest, e.error()))?;
        file.sync_all().map_err(|e| write_error(&self.dest, &e))?;
        drop(file);
        fs::rename(&self.tmp, &self.dest).map_err(|e| write_error(&self.dest, &e))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(feature = "plot")]
/// Runs `write(tmp)`, which must create the file `tmp`, then renames it to
/// `dest`; on error `tmp` is removed and `dest` is left as it was.
pub fn write_via_temp(dest: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = temp_path(dest)?;
    let result =
        write(&tmp).and_then(|()| fs::rename(&tmp, dest).map_err(|e| write_error(dest, &e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Checks, before any work, that `dest` can be written in principle (its
/// directory exists and it is not a directory itself).
pub fn check_destination(dest: Option<&Path>) -> Result<()> {
    dest.map_or(Ok(()), |d| temp_path(d).map(drop))
}

/// `dir/.name.PID.N.tmp` beside `dest`, whose directory must exist.
fn temp_path(dest: &Path) -> Result<PathBuf> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = dest
        .file_name()
        .ok_or_else(|| CliError::input(format!("{}: not a file name", dest.display())))?;
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(CliError::input(format!(
            "cannot write {}: the directory {} does not exist",
            dest.display(),
            dir.display()
        )));
    }
    if dest.is_dir() {
        return Err(CliError::input(format!(
            "cannot write {}: it is a directory",
            dest.display()
        )));
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(dir.join(format!(
        ".{}.{}.{n}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )))
}

fn write_error(dest: &Path, e: &std::io::Error) -> CliError {
    CliError::failure(format!("cannot write {}: {e}", dest.display()))
}

/// `1234567` as `1,234,567`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `v` with about `digits` significant digits: fixed notation for
/// moderate magnitudes, scientific otherwise; exact zeros as `0`.
pub fn sig(v: f64, digits: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exponent = v.abs().log10().floor() as i32;
    if (-4..9).contains(&exponent) {
        let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.prec$e}", prec = digits.saturating_sub(1))
    }
}

/// `v` with at most `digits` significant digits and no trailing zeros
/// (`0.5`, `0.15`, `1.2e-7`), for parameters and summaries.
pub fn short(v: f64, digits: usize) -> String {
    let s = sig(v, digits);
    match s.split_once('e') {
        Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
        None => trim_zeros(&s).to_string(),
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A table with a header row and right-aligned columns two spaces apart;
/// with `names_first`, the first column (names) is left-aligned.
pub fn table(header: &[&str], rows: &[Vec<String>], names_first: bool) -> String {
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate().take(n) {
            let pad = width[i] - cell.chars().count();
            if i == 0 && names_first {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            } else {
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(sig(0.0, 6), "0");
        assert_eq!(sig(152.133484, 6), "152.133");
        assert_eq!(sig(-0.000123456, 3), "-0.000123");
        assert_eq!(sig(1.5e-7, 3), "1.50e-7");
        assert_eq!(short(0.15000000000000002, 6), "0.15");
        assert_eq!(short(1.5e-7, 3), "1.5e-7");
        assert_eq!(short(100.0, 6), "100");
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing_behind() {
        let dir = std::env::temp_dir().join(format!("elasticnet-out-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("a.csv");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert!(fs::read_dir(&dir).unwrap().next().is_none());
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"whole").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "whole");
        fs::remove_dir_all(&dir).unwrap();
    }
}
