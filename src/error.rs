//! The crate's one error type.

use std::fmt;

/// Everything that can go wrong in a call a user makes with their data.
///
/// Values that caused the error are stored as `f64` whatever the model's
/// float type, so nothing is lost in the report. The enum is
/// `#[non_exhaustive]`: match the variants you handle and keep a `_` arm.
///
/// ```
/// use elasticnet::{ElasticLoss, Error};
/// match ElasticLoss::<f64>::new(-1.0, 0.0) {
///     Err(Error::InvalidParameter { name, value, .. }) => {
///         assert_eq!(name, "l1");
///         assert_eq!(value, -1.0);
///     }
///     other => panic!("expected InvalidParameter, got {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is outside its documented range (negative penalty,
    /// `l1_ratio` outside `[0, 1]`, a non-positive learning rate or `tol`,
    /// zero `max_iter` or epochs, …).
    InvalidParameter {
        /// The parameter's name, as in the API (`"alpha"`, `"l1_ratio"`, …).
        name: &'static str,
        /// The value that was given.
        value: f64,
        /// The accepted range, in interval notation (`"[0, 1]"`, `"(0, inf)"`).
        expected: &'static str,
    },
    /// An input has no rows or no columns where some are needed.
    EmptyInput {
        /// Which input (`"x"`, `"y"`, …).
        what: &'static str,
    },
    /// Two inputs (or an input and a model) do not fit together.
    ShapeMismatch {
        /// What was compared (`"rows of y vs rows of x"`, …).
        what: &'static str,
        /// The shape that was needed.
        expected: Vec<usize>,
        /// The shape that was given.
        found: Vec<usize>,
    },
    /// An input holds NaN or an infinity.
    NonFinite {
        /// Which input (`"x"`, `"y"`, …).
        what: &'static str,
        /// Row of the first offending value.
        row: usize,
        /// Column of the first offending value.
        col: usize,
    },
    /// Training diverged: the loss or the weights stopped being finite, or the
    /// loss grew beyond `1e8` times the larger of its starting value and
    /// the loss of the all-zero model (usually a learning
    /// rate that is too large). The model keeps the weights it had before
    /// the epoch that diverged.
    Diverged {
        /// The epoch (counted from 0) whose update diverged.
        epoch: usize,
        /// The loss that epoch produced (may be infinite or NaN).
        loss: f64,
    },
    /// A solver produced non-finite coefficients (the data are too badly
    /// scaled for the floating-point type). Nothing is returned.
    NonFiniteSolution {
        /// Iterations run before the failure was detected.
        n_iter: usize,
    },
    /// Writing an output file (a plot, say) failed.
    Io(std::io::Error),
    /// Drawing a plot failed.
    Plot(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => write!(
                f,
                "invalid `{name}` = {value}: expected a value in {expected}"
            ),
            Error::EmptyInput { what } => write!(f, "`{what}` is empty"),
            Error::ShapeMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "shape mismatch in {what}: expected {expected:?}, found {found:?}"
            ),
            Error::NonFinite { what, row, col } => write!(
                f,
                "`{what}` holds a NaN or infinite value at row {row}, column {col}"
            ),
            Error::Diverged { epoch, loss } => write!(
                f,
                "training diverged at epoch {epoch} (loss = {loss}): the learning rate \
                 is too large for these data; try a smaller one"
            ),
            Error::NonFiniteSolution { n_iter } => write!(
                f,
                "the solver produced non-finite coefficients after {n_iter} iterations; \
                 the data may be too badly scaled (try `standardize(true)`)"
            ),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Plot(msg) => write!(f, "plotting failed: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
