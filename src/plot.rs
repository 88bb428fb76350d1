//! SVG plots of training runs, regularization paths and cross-validation
//! (feature `plot`).
//!
//! Every function draws one picture and writes it as an SVG file, creating
//! the parent directory if it is missing. The drawing is done by
//! [`plotters`](https://docs.rs/plotters) in pure Rust: no system libraries
//! and no font files are needed, and text is left to whatever displays the
//! SVG (a browser, an image viewer, `rsvg-convert`).
//!
//! | function | the picture |
//! |----------|-------------|
//! | [`training_fits`] | the notebook's data and the fitted line at a few epochs |
//! | [`loss_curve`] | the loss after each epoch |
//! | [`coefficient_path`] | each coefficient against `log10(alpha)`, as glmnet's `plot(fit)` |
//! | [`cv_curve`] | the cross-validated MSE against `log10(alpha)`, as glmnet's `plot(cvfit)` |
//!
//! The inputs are checked like any user data: a wrong length is
//! [`Error::ShapeMismatch`], an empty input [`Error::EmptyInput`], a NaN or
//! infinity [`Error::NonFinite`], an alpha that is not positive (it has no
//! logarithm) [`Error::InvalidParameter`]. A failure to draw is
//! [`Error::Plot`] and a failure to write the file is [`Error::Io`].
//!
//! ```
//! use elasticnet::plot;
//! let losses = [4.0, 1.0, 0.5, 0.3, 0.25];
//! let path = std::env::temp_dir().join("elasticnet_doc_plot_module.svg");
//! plot::loss_curve(&path, &losses)?;
//! assert!(std::fs::read_to_string(&path)?.starts_with("<svg"));
//! # Ok::<(), elasticnet::Error>(())
//! ```

use std::fs;
use std::path::Path;

use ndarray::{ArrayView1, ArrayView2};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{Error, Float, Result, check};

/// Width and height of every plot, in pixels.
const SIZE: (u32, u32) = (900, 600);
const FONT: &str = "sans-serif";
/// The light and dark ends of the blue ramp of [`training_fits`].
const LIGHT_BLUE: RGBColor = RGBColor(158, 202, 225);
const DARK_BLUE: RGBColor = RGBColor(8, 48, 107);
const DATA_GREY: RGBColor = RGBColor(110, 110, 110);
const MEAN_RED: RGBColor = RGBColor(214, 39, 40);
const MARK_GREY: RGBColor = RGBColor(64, 64, 64);

/// The notebook's picture: the data of a one-feature problem as points, and
/// the fitted line `ŷ = w·x + b` of each `(epoch, w, b)` snapshot in `fits`,
/// coloured from light (first snapshot) to dark (last), with the legend
/// `epoch N`.
///
/// `x` and `y` are the single feature and the target (for a
/// [`Dataset`](crate::datasets::Dataset), `data.x.column(0)` and
/// `data.y.column(0)`). `fits` may be empty (then only the data is drawn);
/// collect it with the callback of [`train_with`](crate::train_with).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `x` and `y` differ in length,
/// [`Error::EmptyInput`] if they are empty, [`Error::NonFinite`] for a NaN or
/// infinity in `x`, `y` or `fits` (whose `row` is the snapshot and `col` 1 for
/// the weight, 2 for the bias), [`Error::Io`] if the file cannot be written,
/// [`Error::Plot`] if drawing fails.
///
/// ```
/// use std::ops::ControlFlow;
/// use elasticnet::{ElasticLoss, LinearModel, TrainConfig, datasets, plot, train_with};
///
/// let data = datasets::seed_example(42);
/// let mut model = LinearModel::zeros(1, 1);
/// let mut fits = vec![(0, 0.0, 0.0)];
/// train_with(&mut model, &ElasticLoss::new(0.0, 0.0)?, data.x.view(), data.y.view(),
///     &TrainConfig { epochs: 30, ..TrainConfig::default() }, |epoch, m, _| {
///         if (epoch + 1) % 10 == 0 {
///             fits.push((epoch + 1, m.weight[[0, 0]], m.bias[0]));
///         }
///         ControlFlow::Continue(())
///     })?;
/// let path = std::env::temp_dir().join("elasticnet_doc_training_fits.svg");
/// plot::training_fits(&path, data.x.column(0), data.y.column(0), &fits)?;
/// assert!(std::fs::read_to_string(&path)?.contains("epoch 30"));
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn training_fits<F: Float>(
    path: impl AsRef<Path>,
    x: ArrayView1<F>,
    y: ArrayView1<F>,
    fits: &[(usize, F, F)],
) -> Result<()> {
    same_len("y vs x", x.len(), y.len())?;
    check_vector("x", x)?;
    check_vector("y", y)?;
    for (row, &(_, w, b)) in fits.iter().enumerate() {
        for (col, v) in [(1, w), (2, b)] {
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: "fits",
                    row,
                    col,
                });
            }
        }
    }
    let x = to_vec(x);
    let y = to_vec(y);
    let fits: Vec<(usize, f64, f64)> = fits
        .iter()
        .map(|&(e, w, b)| (e, w.to_f64(), b.to_f64()))
        .collect();

    let (x_lo, x_hi) = padded(min(&x), max(&x));
    // The y range holds the data and every fitted line over the x range.
    let line_ends = fits
        .iter()
        .flat_map(|&(_, w, b)| [w * x_lo + b, w * x_hi + b]);
    let y_all: Vec<f64> = y.iter().copied().chain(line_ends).collect();
    let (y_lo, y_hi) = padded(min(&y_all), max(&y_all));

    render(path.as_ref(), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Fitted line during training", (FONT, 26))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("x")
            .y_desc("y")
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 14))
            .x_label_formatter(&|v| fmt_num(*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(
                x.iter()
                    .zip(&y)
                    .map(|(&a, &b)| Circle::new((a, b), 3, DATA_GREY.mix(0.6).filled())),
            )
            .map_err(plot_err)?
            .label("data")
            .legend(|(px, py)| Circle::new((px + 10, py), 3, DATA_GREY.mix(0.6).filled()));
        let n = fits.len();
        for (i, &(epoch, w, b)) in fits.iter().enumerate() {
            let t = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                1.0
            };
            let style = ramp(t).stroke_width(2);
            chart
                .draw_series(LineSeries::new(
                    [(x_lo, w * x_lo + b), (x_hi, w * x_hi + b)],
                    style,
                ))
                .map_err(plot_err)?
                .label(format!("epoch {epoch}"))
                .legend(move |(px, py)| PathElement::new([(px, py), (px + 20, py)], style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// The loss after each epoch (`losses[e]` after epoch `e`, counted from 0 as
/// in [`TrainReport::losses`](crate::TrainReport::losses)).
///
/// The y axis is logarithmic when the losses are all positive and the
/// largest is more than 100 times the smallest (they span more than two
/// decades); linear otherwise.
///
/// # Errors
///
/// [`Error::EmptyInput`] if `losses` is empty, [`Error::NonFinite`] for a
/// NaN or infinity (`row` is the epoch), [`Error::Io`] if the file cannot be
/// written, [`Error::Plot`] if drawing fails.
///
/// ```
/// use elasticnet::plot;
/// let losses: Vec<f64> = (0..50).map(|e| 10.0 * 0.8_f64.powi(e) + 0.01).collect();
/// let path = std::env::temp_dir().join("elasticnet_doc_loss_curve.svg");
/// plot::loss_curve(&path, &losses)?;
/// assert!(std::fs::read_to_string(&path)?.contains("loss"));
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn loss_curve<F: Float>(path: impl AsRef<Path>, losses: &[F]) -> Result<()> {
    check_vector("losses", ArrayView1::from(losses))?;
    let points: Vec<(f64, f64)> = losses
        .iter()
        .enumerate()
        .map(|(e, &l)| (e as f64, l.to_f64()))
        .collect();
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    let (lo, hi) = (min(&values), max(&values));
    let (x_lo, x_hi) = padded(0.0, (points.len() - 1) as f64);

    render(path.as_ref(), |root| {
        let builder = || {
            let mut b = ChartBuilder::on(root);
            b.caption("Training loss", (FONT, 26))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(70);
            b
        };
        if is_log_scale(lo, hi) {
            // Pad by a factor rather than an offset so the bottom stays > 0.
            let chart = builder()
                .build_cartesian_2d(x_lo..x_hi, (lo / 1.5..hi * 1.5).log_scale())
                .map_err(plot_err)?;
            draw_loss(chart, &points, "loss (log scale)")
        } else {
            let (y_lo, y_hi) = padded(lo.min(0.0), hi);
            let chart = builder()
                .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
                .map_err(plot_err)?;
            draw_loss(chart, &points, "loss")
        }
    })
}

/// Whether [`loss_curve`] uses a logarithmic y axis for losses in
/// `[lo, hi]`.
fn is_log_scale(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi / lo > 100.0
}

/// The body of [`loss_curve`], generic over a linear or logarithmic y axis.
fn draw_loss<DB, Y>(
    mut chart: ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    points: &[(f64, f64)],
    y_desc: &str,
) -> Result<()>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 14))
        // Epochs are whole numbers: no label on a tick between two.
        .x_label_formatter(&|v| {
            if v.fract() == 0.0 {
                fmt_num(*v)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| fmt_num(*v))
        .draw()
        .map_err(plot_err)?;
    let style = DARK_BLUE.stroke_width(2);
    chart
        .draw_series(LineSeries::new(points.iter().copied(), style))
        .map_err(plot_err)?;
    // Markers when there are few epochs (a single epoch is only a marker).
    if points.len() <= 30 {
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 3, DARK_BLUE.filled())),
            )
            .map_err(plot_err)?;
    }
    Ok(())
}

/// A regularization path, as glmnet's `plot(fit)`: one line per feature
/// showing its coefficient against `log10(alpha)`, with the largest alpha
/// (every coefficient 0) on the left, so that the model grows from left to
/// right. Each line is labelled with its feature name at its right end
/// (labels that would overlap are pushed apart; with more than 40 features
/// the lines are left unlabelled, as in glmnet). The number of non-zero
/// coefficients is printed along the top axis.
///
/// `coefs` is `n_alphas × p`: row `i` holds the coefficients at `alphas[i]`.
/// For a path of `k` outputs (`n_alphas × p × k`), pass one output, e.g.
/// `path.coefs.index_axis(Axis(2), 0)`. The alphas need not be sorted.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `coefs` does not have one row per alpha and
/// one column per feature name, [`Error::EmptyInput`] if there is no alpha
/// or no feature, [`Error::NonFinite`] for a NaN or infinity,
/// [`Error::InvalidParameter`] for an alpha that is not positive (it has no
/// logarithm), [`Error::Io`] if the file cannot be written, [`Error::Plot`]
/// if drawing fails.
///
/// ```
/// use elasticnet::plot;
/// use ndarray::array;
/// let alphas = array![1.0, 0.1, 0.01];
/// let coefs = array![[0.0, 0.0], [0.5, 0.0], [0.9, -0.4]];
/// let path = std::env::temp_dir().join("elasticnet_doc_coefficient_path.svg");
/// plot::coefficient_path(&path, alphas.view(), coefs.view(), &["bmi", "s5"])?;
/// assert!(std::fs::read_to_string(&path)?.contains("bmi"));
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn coefficient_path<F: Float, S: AsRef<str>>(
    path: impl AsRef<Path>,
    alphas: ArrayView1<F>,
    coefs: ArrayView2<F>,
    feature_names: &[S],
) -> Result<()> {
    check_alphas(alphas)?;
    if coefs.dim() != (alphas.len(), feature_names.len()) {
        return Err(Error::ShapeMismatch {
            what: "coefs vs (alphas, feature_names)",
            expected: vec![alphas.len(), feature_names.len()],
            found: vec![coefs.nrows(), coefs.ncols()],
        });
    }
    check::matrix("coefs", coefs)?;

    // Rows sorted by decreasing alpha, i.e. increasing u = −log10(alpha).
    let mut order: Vec<usize> = (0..alphas.len()).collect();
    order.sort_by(|&a, &b| alphas[b].to_f64().total_cmp(&alphas[a].to_f64()));
    let u: Vec<f64> = order.iter().map(|&i| -alphas[i].to_f64().log10()).collect();
    let nonzero: Vec<usize> = order
        .iter()
        .map(|&i| coefs.row(i).iter().filter(|c| **c != F::zero()).count())
        .collect();
    let (x_lo, x_hi) = padded_if_flat(u[0], u[u.len() - 1]);
    let all: Vec<f64> = coefs.iter().map(|&c| c.to_f64()).collect();
    let (y_lo, y_hi) = padded(min(&all).min(0.0), max(&all).max(0.0));
    // The non-zero count at the alpha nearest to a tick of the top axis.
    let count_at = |t: &f64| {
        let nearest = (0..u.len())
            .min_by(|&a, &b| (u[a] - t).abs().total_cmp(&(u[b] - t).abs()))
            .unwrap_or(0);
        nonzero[nearest].to_string()
    };

    render(path.as_ref(), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Coefficient path", (FONT, 26))
            .margin(15)
            .margin_right(80)
            .x_label_area_size(45)
            .top_x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(plot_err)?
            .set_secondary_coord(x_lo..x_hi, y_lo..y_hi);
        chart
            .configure_mesh()
            .x_desc("log10(alpha)")
            .y_desc("coefficient")
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 14))
            .x_label_formatter(&|v| fmt_num(-*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .draw()
            .map_err(plot_err)?;
        chart
            .configure_secondary_axes()
            .x_desc("non-zero coefficients")
            .axis_desc_style((FONT, 16))
            .label_style((FONT, 14))
            .x_label_formatter(&count_at)
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                [(x_lo, 0.0), (x_hi, 0.0)],
                DATA_GREY.mix(0.5),
            ))
            .map_err(plot_err)?;
        for j in 0..feature_names.len() {
            let points: Vec<(f64, f64)> = order
                .iter()
                .zip(&u)
                .map(|(&i, &ui)| (ui, coefs[[i, j]].to_f64()))
                .collect();
            chart
                .draw_series(LineSeries::new(points, category(j).stroke_width(2)))
                .map_err(plot_err)?;
        }
        if feature_names.len() > MAX_PATH_LABELS {
            return Ok(());
        }
        // Names at the right ends of the lines, in the right margin, pushed
        // apart where they would overlap.
        let last = order[order.len() - 1];
        let ends: Vec<(i32, i32)> = (0..feature_names.len())
            .map(|j| chart.backend_coord(&(u[u.len() - 1], coefs[[last, j]].to_f64())))
            .collect();
        let (_, rows) = chart.plotting_area().get_pixel_range();
        let wanted: Vec<i32> = ends.iter().map(|e| e.1).collect();
        let placed = spread_labels(&wanted, LABEL_GAP, rows.start, rows.end);
        for (j, name) in feature_names.iter().enumerate() {
            let colour = category(j);
            let style = TextStyle::from((FONT, 13).into_font())
                .color(&colour)
                .pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(name.as_ref(), (ends[j].0 + 6, placed[j]), style))
                .map_err(plot_err)?;
        }
        Ok(())
    })
}

/// Most features [`coefficient_path`] labels by name.
const MAX_PATH_LABELS: usize = 40;
/// Least vertical distance between two line labels, in pixels.
const LABEL_GAP: i32 = 12;

/// Moves labels wanted at heights `wanted` (pixels, down the page) so that
/// they are at least `gap` apart, changing the order of none and keeping
/// them within `[top, bottom]` when they fit.
fn spread_labels(wanted: &[i32], gap: i32, top: i32, bottom: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i]);
    let mut placed = wanted.to_vec();
    // Downwards: each label at least `gap` below the one above it.
    let mut floor = top;
    for &i in &order {
        placed[i] = placed[i].max(floor);
        floor = placed[i] + gap;
    }
    // Upwards: back inside the bottom edge, keeping the gaps.
    let mut ceiling = bottom;
    for &i in order.iter().rev() {
        placed[i] = placed[i].min(ceiling);
        ceiling = placed[i] - gap;
    }
    placed
}

/// A cross-validation curve, as glmnet's `plot(cvfit)`: the mean held-out
/// MSE at each alpha with error bars of ± one standard error, against
/// `log10(alpha)` (largest alpha on the left), and dashed vertical lines at
/// `alpha_min` (the smallest mean MSE) and `alpha_1se` (the largest alpha
/// whose mean MSE is within one standard error of that minimum).
///
/// For a cross-validation over several `l1_ratio`s, pass one row of each
/// table (`alphas.row(i)`, `mse_mean.row(i)`, `mse_se.row(i)`).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `mse_mean` or `mse_se` does not have one
/// entry per alpha, [`Error::EmptyInput`] if there is no alpha,
/// [`Error::NonFinite`] for a NaN or infinity, [`Error::InvalidParameter`]
/// for an alpha (in `alphas`, `alpha_min` or `alpha_1se`) that is not
/// positive or a negative standard error, [`Error::Io`] if the file cannot
/// be written, [`Error::Plot`] if drawing fails.
///
/// ```
/// use elasticnet::plot;
/// use ndarray::array;
/// let alphas = array![1.0, 0.3, 0.1, 0.03, 0.01];
/// let mean = array![9.0, 5.0, 3.0, 2.8, 2.9];
/// let se = array![0.5, 0.4, 0.3, 0.3, 0.3];
/// let path = std::env::temp_dir().join("elasticnet_doc_cv_curve.svg");
/// plot::cv_curve(&path, alphas.view(), mean.view(), se.view(), 0.03, 0.1)?;
/// assert!(std::fs::read_to_string(&path)?.contains("alpha_1se"));
/// # Ok::<(), elasticnet::Error>(())
/// ```
pub fn cv_curve<F: Float>(
    path: impl AsRef<Path>,
    alphas: ArrayView1<F>,
    mse_mean: ArrayView1<F>,
    mse_se: ArrayView1<F>,
    alpha_min: F,
    alpha_1se: F,
) -> Result<()> {
    check_alphas(alphas)?;
    same_len("mse_mean vs alphas", alphas.len(), mse_mean.len())?;
    same_len("mse_se vs alphas", alphas.len(), mse_se.len())?;
    check::finite_vector("mse_mean", mse_mean)?;
    check::finite_vector("mse_se", mse_se)?;
    for &se in mse_se {
        check::non_negative("mse_se", se)?;
    }
    check::positive("alpha_min", alpha_min)?;
    check::positive("alpha_1se", alpha_1se)?;

    let u: Vec<f64> = alphas.iter().map(|&a| -a.to_f64().log10()).collect();
    let u_min = -alpha_min.to_f64().log10();
    let u_1se = -alpha_1se.to_f64().log10();
    let marks: Vec<f64> = u.iter().copied().chain([u_min, u_1se]).collect();
    let (x_lo, x_hi) = padded(min(&marks), max(&marks));
    let bars: Vec<(f64, f64, f64)> = mse_mean
        .iter()
        .zip(mse_se)
        .map(|(&m, &s)| {
            let (m, s) = (m.to_f64(), s.to_f64());
            (m - s, m, m + s)
        })
        .collect();
    let lows: Vec<f64> = bars.iter().map(|b| b.0).collect();
    let highs: Vec<f64> = bars.iter().map(|b| b.2).collect();
    let (y_lo, y_hi) = padded(min(&lows), max(&highs));

    render(path.as_ref(), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Cross-validation", (FONT, 26))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("log10(alpha)")
            .y_desc("mean squared error")
            .axis_desc_style((FONT, 18))
            .label_style((FONT, 14))
            .x_label_formatter(&|v| fmt_num(-*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(u.iter().zip(&bars).map(|(&x, &(lo, mid, hi))| {
                ErrorBar::new_vertical(x, lo, mid, hi, DATA_GREY.stroke_width(1), 6)
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(
                u.iter()
                    .zip(&bars)
                    .map(|(&x, &(_, mid, _))| Circle::new((x, mid), 3, MEAN_RED.filled())),
            )
            .map_err(plot_err)?
            .label("mean MSE ± 1 SE")
            .legend(|(px, py)| Circle::new((px + 10, py), 3, MEAN_RED.filled()));
        // alpha_min: long grey dashes; alpha_1se: short blue ones.
        for (name, alpha, ux, colour, dash) in [
            ("alpha_min", alpha_min, u_min, MARK_GREY, 6),
            ("alpha_1se", alpha_1se, u_1se, category(0), 3),
        ] {
            let style = colour.stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    [(ux, y_lo), (ux, y_hi)],
                    dash,
                    4,
                    style,
                ))
                .map_err(plot_err)?
                .label(format!("{name} = {}", fmt_num(alpha.to_f64())))
                .legend(move |(px, py)| {
                    EmptyElement::at((px, py))
                        + PathElement::new([(0, 0), (dash, 0)], style)
                        + PathElement::new([(dash + 4, 0), (2 * dash + 4, 0)], style)
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

// --- helpers ---------------------------------------------------------------

/// Draws into an SVG string with `draw`, then writes it to `path` (creating
/// the parent directory).
fn render<D>(path: &Path, draw: D) -> Result<()>
where
    D: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
{
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, svg)?;
    Ok(())
}

/// The legend box of every plot.
fn legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    X: Ranged,
    Y: Ranged,
{
    chart
        .configure_series_labels()
        .position(position)
        .margin(10)
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(plot_err)
}

/// The colour of line `j` of a plot with several categories (matplotlib's
/// `tab10`, repeated after 10).
fn category(j: usize) -> RGBColor {
    const TAB10: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    TAB10[j % TAB10.len()]
}

fn plot_err<E: std::fmt::Display>(e: E) -> Error {
    Error::Plot(e.to_string())
}

/// Colour at `t ∈ [0, 1]` on the ramp from light to dark blue.
fn ramp(t: f64) -> RGBColor {
    let mix = |a: u8, b: u8| {
        let (a, b) = (f64::from(a), f64::from(b));
        (a + (b - a) * t).round() as u8
    };
    RGBColor(
        mix(LIGHT_BLUE.0, DARK_BLUE.0),
        mix(LIGHT_BLUE.1, DARK_BLUE.1),
        mix(LIGHT_BLUE.2, DARK_BLUE.2),
    )
}

fn same_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what,
            expected: vec![expected],
            found: vec![found],
        })
    }
}

/// Non-empty and finite.
fn check_vector<F: Float>(what: &'static str, v: ArrayView1<F>) -> Result<()> {
    if v.is_empty() {
        return Err(Error::EmptyInput { what });
    }
    check::finite_vector(what, v)
}

/// Non-empty, finite and positive (they go through a logarithm).
fn check_alphas<F: Float>(alphas: ArrayView1<F>) -> Result<()> {
    check_vector("alphas", alphas)?;
    for &a in alphas {
        check::positive("alphas", a)?;
    }
    Ok(())
}

fn to_vec<F: Float>(v: ArrayView1<F>) -> Vec<f64> {
    v.iter().map(|&e| e.to_f64()).collect()
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// `[lo, hi]` widened by 5% on each side (or by 1 around a single value).
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    if span > 0.0 {
        (lo - 0.05 * span, hi + 0.05 * span)
    } else {
        let half = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - half, hi + half)
    }
}

/// `[lo, hi]` unchanged, unless it is a single value.
fn padded_if_flat(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo { (lo, hi) } else { padded(lo, hi) }
}

/// A tick label: at most 4 significant digits, no `-0`, exponent notation
/// for very small or large magnitudes.
fn fmt_num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let magnitude = v.abs().log10().floor() as i32;
    let scale = 10f64.powi(3 - magnitude);
    let rounded = (v * scale).round() / scale;
    if !(-3..5).contains(&magnitude) {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, array};

    /// A fresh path in the temp directory, inside a sub-directory that does
    /// not exist yet (so the tests also check that it is created).
    fn temp_svg(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("elasticnet-plot-{}", std::process::id()));
        let _ = fs::remove_dir_all(dir.join(name));
        dir.join(name).join("plot.svg")
    }

    /// The start of a data line: series are drawn 2 px wide, axes and ticks 1 px.
    const SERIES_LINE: &str = "stroke-width=\"2\" points=";

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    /// The text of every `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..t.find("</text>")?];
                Some(body.trim().to_string())
            })
            .collect()
    }

    #[test]
    fn training_fits_draws_points_lines_and_legend() {
        let x = array![-1.0, 0.0, 1.0, 2.0];
        let y = array![-1.0, 1.0, 3.0, 5.0];
        let fits = [(0, 0.0, 0.0), (10, 1.0, 0.5), (20, 2.0, 1.0)];
        let path = temp_svg("fits");
        training_fits(&path, x.view(), y.view(), &fits).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        let labels = texts(&svg);
        for e in ["epoch 0", "epoch 10", "epoch 20", "data"] {
            assert!(labels.iter().any(|t| t == e), "missing {e}: {labels:?}");
        }
        // 4 data points + 1 legend marker.
        assert_eq!(count(&svg, "<circle"), 5);
        // One 2-px line per fit and one per legend sample (axes are 1 px).
        assert_eq!(count(&svg, SERIES_LINE), 6);
        // Light to dark: the first fit is the light end, the last the dark.
        assert!(svg.contains("stroke=\"#9ECAE1\""), "{svg}");
        assert!(svg.contains("stroke=\"#08306B\""));
    }

    #[test]
    fn training_fits_rejects_bad_input() {
        let path = temp_svg("fits_bad");
        let x = array![1.0, 2.0];
        let err = training_fits(&path, x.view(), array![1.0].view(), &[]).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { .. }), "{err:?}");
        let empty = Array1::<f64>::zeros(0);
        let err = training_fits(&path, empty.view(), empty.view(), &[]).unwrap_err();
        assert!(matches!(err, Error::EmptyInput { what: "x" }), "{err:?}");
        let err = training_fits(&path, x.view(), array![1.0, f64::NAN].view(), &[]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFinite {
                    what: "y",
                    row: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        let fits = [(0, 1.0, 0.0), (1, 1.0, f64::INFINITY)];
        let err = training_fits(&path, x.view(), x.view(), &fits).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFinite {
                    what: "fits",
                    row: 1,
                    col: 2
                }
            ),
            "{err:?}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn loss_curve_switches_to_log_scale_beyond_two_decades() {
        let steep: Vec<f64> = (0..40).map(|e| 1e3 * 0.7f64.powi(e)).collect();
        let path = temp_svg("loss_log");
        loss_curve(&path, &steep).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        assert!(texts(&svg).iter().any(|t| t == "loss (log scale)"));
        assert_eq!(count(&svg, SERIES_LINE), 1);
        assert_eq!(count(&svg, "<circle"), 0); // more than 30 epochs: no markers

        let flat = [5.0f32, 4.0, 3.5, 3.4];
        let path = temp_svg("loss_lin");
        loss_curve(&path, &flat).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        let labels = texts(&svg);
        assert!(labels.iter().any(|t| t == "loss"));
        assert!(!labels.iter().any(|t| t == "loss (log scale)"));
        assert_eq!(count(&svg, "<circle"), 4);
    }

    #[test]
    fn loss_curve_handles_one_epoch_and_rejects_bad_input() {
        let path = temp_svg("loss_one");
        loss_curve(&path, &[2.0]).unwrap();
        assert_eq!(count(&fs::read_to_string(&path).unwrap(), "<circle"), 1);
        let err = loss_curve::<f64>(&path, &[]).unwrap_err();
        assert!(
            matches!(err, Error::EmptyInput { what: "losses" }),
            "{err:?}"
        );
        let err = loss_curve(&path, &[1.0, f64::NAN]).unwrap_err();
        assert!(matches!(err, Error::NonFinite { row: 1, .. }), "{err:?}");
    }

    #[test]
    fn coefficient_path_labels_lines_and_counts_nonzeros() {
        // Unsorted alphas on purpose: 0.01 comes first.
        let alphas = array![0.01, 1.0, 0.1];
        let coefs = array![[0.9, -0.4, 0.1], [0.0, 0.0, 0.0], [0.5, 0.0, 0.0]];
        let names = ["bmi", "s5", "age"];
        let path = temp_svg("coef_path");
        coefficient_path(&path, alphas.view(), coefs.view(), &names).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        let labels = texts(&svg);
        for name in names {
            // Once, at the end of its line.
            assert_eq!(labels.iter().filter(|t| *t == name).count(), 1, "{name}");
        }
        assert!(labels.iter().any(|t| t == "non-zero coefficients"));
        // Top-axis ticks show the counts 0 (alpha = 1), 1, 3.
        for n in ["0", "3"] {
            assert!(labels.iter().any(|t| t == n), "no count {n}: {labels:?}");
        }
        // One line per feature.
        assert_eq!(count(&svg, SERIES_LINE), names.len());
        // The x axis runs from log10(alpha) = 0 on the left to −2 on the right.
        assert!(labels.iter().any(|t| t == "-2"));
        assert!(labels.iter().any(|t| t == "log10(alpha)"));
    }

    #[test]
    fn coefficient_path_pushes_overlapping_labels_apart() {
        // "b" and "c" end at the same coefficient.
        let alphas = array![1.0, 0.1];
        let coefs = array![[0.0, 0.0, 0.0], [1.0, 0.5, 0.5]];
        let path = temp_svg("coef_labels");
        coefficient_path(&path, alphas.view(), coefs.view(), &["a", "b", "c"]).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        let y_of = |name: &str| -> i32 {
            let tag = svg
                .split("<text")
                .find(|t| t.contains(&format!(">\n{name}\n</text>")))
                .unwrap_or_else(|| panic!("no label {name}"));
            let y = tag.split("y=\"").nth(1).unwrap();
            y[..y.find('"').unwrap()].parse().unwrap()
        };
        let (a, b, c) = (y_of("a"), y_of("b"), y_of("c"));
        assert!(a < b, "a ({a}) ends above b ({b})");
        assert!((c - b).abs() >= LABEL_GAP, "b at {b}, c at {c}");
    }

    #[test]
    fn spread_labels_keeps_order_gaps_and_bounds() {
        assert_eq!(spread_labels(&[50, 10, 200], 12, 0, 300), vec![50, 10, 200]);
        assert_eq!(
            spread_labels(&[100, 100, 100], 12, 0, 300),
            vec![100, 112, 124]
        );
        assert_eq!(spread_labels(&[300, 295, 0], 10, 0, 300), vec![300, 290, 0]);
        assert_eq!(spread_labels(&[-5], 10, 0, 300), vec![0]);
    }

    #[test]
    fn coefficient_path_rejects_bad_input() {
        let path = temp_svg("coef_bad");
        let alphas = array![1.0, 0.1];
        let coefs = Array2::<f64>::zeros((2, 2));
        let err = coefficient_path(&path, alphas.view(), coefs.view(), &["a"]).unwrap_err();
        assert!(matches!(err, Error::ShapeMismatch { .. }), "{err:?}");
        let err = coefficient_path(&path, array![1.0, 0.0].view(), coefs.view(), &["a", "b"])
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { name: "alphas", .. }),
            "{err:?}"
        );
        let mut bad = coefs.clone();
        bad[[1, 0]] = f64::NAN;
        let err = coefficient_path(&path, alphas.view(), bad.view(), &["a", "b"]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFinite {
                    what: "coefs",
                    row: 1,
                    col: 0
                }
            ),
            "{err:?}"
        );
        let none = Array1::<f64>::zeros(0);
        let err =
            coefficient_path(&path, none.view(), Array2::zeros((0, 1)).view(), &["a"]).unwrap_err();
        assert!(
            matches!(err, Error::EmptyInput { what: "alphas" }),
            "{err:?}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn cv_curve_draws_error_bars_and_both_alphas() {
        let alphas = array![1.0f32, 0.3, 0.1, 0.03, 0.01];
        let mean = array![9.0f32, 5.0, 3.0, 2.8, 2.9];
        let se = array![0.5f32, 0.4, 0.3, 0.3, 0.3];
        let path = temp_svg("cv");
        cv_curve(&path, alphas.view(), mean.view(), se.view(), 0.03, 0.1).unwrap();
        let svg = fs::read_to_string(&path).unwrap();
        let labels = texts(&svg);
        assert!(labels.iter().any(|t| t == "alpha_min = 0.03"), "{labels:?}");
        assert!(labels.iter().any(|t| t == "alpha_1se = 0.1"), "{labels:?}");
        // Five red means and their legend marker.
        assert_eq!(count(&svg, "fill=\"#D62728\""), 6);
        // Each error bar is three grey segments (bar and two caps).
        assert_eq!(
            count(&svg, "<line opacity=\"1\" stroke=\"#6E6E6E\""),
            3 * alphas.len()
        );
        // Each dashed line is drawn as many short dashes.
        assert!(count(&svg, "stroke=\"#404040\"") > 10); // alpha_min
        assert!(count(&svg, "stroke=\"#1F77B4\"") > 10); // alpha_1se
    }

    #[test]
    fn cv_curve_rejects_bad_input() {
        let path = temp_svg("cv_bad");
        let a = array![1.0, 0.1];
        let err = cv_curve(&path, a.view(), array![1.0].view(), a.view(), 1.0, 1.0).unwrap_err();
        assert!(matches!(
            err,
            Error::ShapeMismatch {
                what: "mse_mean vs alphas",
                ..
            }
        ));
        let err = cv_curve(
            &path,
            a.view(),
            a.view(),
            array![0.1, -0.1].view(),
            1.0,
            1.0,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter { name: "mse_se", .. }
        ));
        let err = cv_curve(&path, a.view(), a.view(), a.view(), 0.0, 1.0).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "alpha_min",
                ..
            }
        ));
        let err = cv_curve(
            &path,
            a.view(),
            array![f64::INFINITY, 1.0].view(),
            a.view(),
            1.0,
            1.0,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::NonFinite {
                what: "mse_mean",
                row: 0,
                ..
            }
        ));
        assert!(!path.exists());
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(0.30000000000000004), "0.3");
        assert_eq!(fmt_num(-1.5), "-1.5");
        assert_eq!(fmt_num(1234.5678), "1235");
        assert_eq!(fmt_num(1e-5), "1e-5");
        assert_eq!(fmt_num(2.5e6), "2.5e6");
    }
}
