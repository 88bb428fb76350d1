//! [`ElasticNet::fit`] with the default solver (coordinate descent,
//! `tol = 1e-4`) on a tall and a wide problem, at two alphas and two
//! `l1_ratio`s each, plus the tall problem in `f32` at one setting.
//!
//! * **tall**: 100 000 × 100, the Gram layout (`XᵀX` formed once per fit);
//! * **wide**: 500 × 5 000, the residual layout (a column-major copy of `x`).
//!
//! Columns are correlated, `x_j = 0.5·x_{j−1} + N(0, 1)`, with 10 (tall) or
//! 20 (wide) non-zero true coefficients and noise `σ = 5` (see
//! [`correlated_regression`]). `alpha` is `0.1·alpha_max` or
//! `0.01·alpha_max`, `alpha_max` being the first alpha of
//! [`ElasticNetPath`]'s automatic grid. The data and `alpha_max` are built
//! once, outside the timing loop. Every timed fit is checked to have
//! converged, and the iteration count of each case is printed once.
//!
//! ```text
//! cargo bench --bench fit
//! ```

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

mod common;

use common::{config, correlated_regression};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use elasticnet::datasets::Dataset;
use elasticnet::{ElasticNet, ElasticNetPath, Fit, Float};

/// `alpha / alpha_max` of the timed fits.
const ALPHA_FRACTIONS: [f64; 2] = [0.1, 0.01];
const L1_RATIOS: [f64; 2] = [1.0, 0.5];

/// `alpha_max` at `l1_ratio`: the first alpha of the automatic grid.
fn alpha_max<F: Float>(data: &Dataset<F>, l1_ratio: F) -> F {
    ElasticNetPath::new(l1_ratio)
        .n_alphas(1)
        .max_iter(1)
        .fit(data.x.view(), data.y.view())
        .expect("valid data and settings")
        .alphas[0]
}

/// Times `iters` fits; checks each one (outside the timed region) and
/// prints the iteration count of the first.
fn time_fits<F: Float>(
    estimator: &ElasticNet<F>,
    data: &Dataset<F>,
    label: &str,
    reported: &Cell<bool>,
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let fit: Fit<F> = estimator
            .fit(black_box(data.x.view()), black_box(data.y.view()))
            .expect("valid data and settings");
        total += start.elapsed();
        assert!(
            fit.converged,
            "{label}: not converged in {} iterations",
            fit.n_iter
        );
        if !reported.replace(true) {
            let nonzero = fit.model.weight.iter().filter(|&&w| w != F::zero()).count();
            eprintln!(
                "{label}: converged, n_iter = {}, {nonzero} non-zero coefficients",
                fit.n_iter
            );
        }
    }
    total
}

fn fit(c: &mut Criterion) {
    let tall = correlated_regression(100_000, 100, 10, 1);
    let wide = correlated_regression(500, 5_000, 20, 2);

    let mut group = c.benchmark_group("fit");
    for (name, data) in [("tall_100000x100", &tall), ("wide_500x5000", &wide)] {
        for l1_ratio in L1_RATIOS {
            let top = alpha_max(data, l1_ratio);
            for fraction in ALPHA_FRACTIONS {
                let estimator = ElasticNet::new(fraction * top, l1_ratio);
                let (function, parameter) = (
                    format!("{name}_f64"),
                    format!("l1_ratio={l1_ratio},alpha={fraction}max"),
                );
                let label = format!("fit/{function}/{parameter}");
                let reported = Cell::new(false);
                let id = BenchmarkId::new(function, parameter);
                group.bench_with_input(id, data, |b, d| {
                    b.iter_custom(|iters| time_fits(&estimator, d, &label, &reported, iters));
                });
            }
        }
    }

    let tall32 = tall.cast::<f32>();
    drop(tall);
    let (l1_ratio, fraction) = (1.0_f32, 0.01_f32);
    let estimator = ElasticNet::new(fraction * alpha_max(&tall32, l1_ratio), l1_ratio);
    let (function, parameter) = (
        "tall_100000x100_f32",
        format!("l1_ratio={l1_ratio},alpha={fraction}max"),
    );
    let label = format!("fit/{function}/{parameter}");
    let reported = Cell::new(false);
    group.bench_with_input(BenchmarkId::new(function, parameter), &tall32, |b, d| {
        b.iter_custom(|iters| time_fits(&estimator, d, &label, &reported, iters));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = fit
}
criterion_main!(benches);
