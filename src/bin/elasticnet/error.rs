//! The command line's error: a one-line message and an exit status.

use std::fmt;

/// What went wrong, which decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The input was rejected: a data or model file, or an option's value
    /// (exit status 2, as for a usage error).
    Input,
    /// The work itself failed: an output could not be written, training
    /// diverged (exit status 1).
    Failure,
}

/// An error to print as `error: {message}` on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub kind: Kind,
    pub message: String,
}

impl CliError {
    /// Rejected input (exit status 2).
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Input,
            message: one_line(message.into()),
        }
    }

    /// Failed work (exit status 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Failure,
            message: one_line(message.into()),
        }
    }

    /// The process exit status.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::Input => 2,
            Kind::Failure => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<elasticnet::Error> for CliError {
    fn from(e: elasticnet::Error) -> Self {
        use elasticnet::Error as E;
        match e {
            E::InvalidParameter { .. }
            | E::EmptyInput { .. }
            | E::ShapeMismatch { .. }
            | E::NonFinite { .. } => Self::input(e.to_string()),
            _ => Self::failure(e.to_string()),
        }
    }
}

/// Messages stay on one line whatever they quote.
fn one_line(message: String) -> String {
    if message.contains(['\n', '\r']) {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        message
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
