//! [`ElasticNetPath::fit`] (100 alphas, `eps = 1e-3`) and 5-fold
//! [`ElasticNetCv::fit`] of the lasso (`l1_ratio = 1`) on the problems of
//! `benches/fit.rs`:
//!
//! * **tall**: 100 000 × 100, the Gram layout (`XᵀX` formed once per path,
//!   once per training fold for CV);
//! * **wide**: 500 × 5 000, the residual layout (a column-major copy of `x`).
//!
//! Columns are correlated, `x_j = 0.5·x_{j−1} + N(0, 1)`, with 10 (tall) or
//! 20 (wide) non-zero true coefficients and noise `σ = 5`. The data are
//! built once, outside the timing loop. Every timed path (and the refit of
//! every CV run) is checked to have converged at every alpha, and the
//! iteration counts of each case are printed once.
//!
//! Both problems are used at full size. A single run of the wide path or
//! wide CV takes seconds, so criterion falls back to flat sampling (10
//! samples of one run each, plus a warm-up run) and warns that the target
//! time is exceeded; `cargo bench --bench path_cv -- tall` runs only the
//! tall cases.
//!
//! With the `rayon` feature, the `threads` group times the tall CV and a
//! fit of four targets in pools of 1 and 2 threads.
//!
//! ```text
//! cargo bench --bench path_cv
//! cargo bench --features rayon --bench path_cv -- threads
//! ```

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

mod common;

use common::{config, correlated_regression};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use elasticnet::datasets::Dataset;
use elasticnet::{ElasticNetCv, ElasticNetPath};

/// Correlation between neighbouring columns (AR(1) across features).
/// The lasso only, to keep the run short.
const L1_RATIO: f64 = 1.0;
const N_FOLDS: usize = 5;

/// Times `iters` calls of `run`; passes each result to `check` (outside
/// the timed region).
fn time_checked<T>(iters: u64, run: impl Fn() -> T, check: impl Fn(&T)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let result = run();
        total += start.elapsed();
        check(&result);
    }
    total
}

fn path(c: &mut Criterion, problems: &[(&str, &Dataset<f64>)]) {
    let mut group = c.benchmark_group("path");
    let estimator = ElasticNetPath::new(L1_RATIO);
    for &(name, data) in problems {
        let reported = Cell::new(false);
        let parameter = format!("l1_ratio={L1_RATIO},n_alphas=100");
        group.bench_with_input(BenchmarkId::new(name, parameter), data, |b, d| {
            b.iter_custom(|iters| {
                time_checked(
                    iters,
                    || {
                        estimator
                            .fit(black_box(d.x.view()), black_box(d.y.view()))
                            .expect("valid data and settings")
                    },
                    |path| {
                        let stuck: Vec<usize> =
                            (0..path.len()).filter(|&i| !path.converged[i]).collect();
                        assert!(
                            stuck.is_empty(),
                            "path/{name}: alphas {stuck:?} not converged"
                        );
                        if !reported.replace(true) {
                            let total: usize = path.n_iter.iter().sum();
                            let most = path.n_iter.iter().max().copied().unwrap_or(0);
                            eprintln!(
                                "path/{name}: all {} alphas converged, n_iter total {total}, \
                                 at most {most}; {} non-zero at the smallest alpha",
                                path.len(),
                                path.n_nonzero(path.len() - 1)
                            );
                        }
                    },
                )
            });
        });
    }
    group.finish();
}

fn cv(c: &mut Criterion, problems: &[(&str, &Dataset<f64>)]) {
    let mut group = c.benchmark_group("cv");
    let estimator = ElasticNetCv::new().l1_ratios(vec![L1_RATIO]).folds(N_FOLDS);
    for &(name, data) in problems {
        let reported = Cell::new(false);
        let parameter = format!("l1_ratio={L1_RATIO},folds={N_FOLDS}");
        group.bench_with_input(BenchmarkId::new(name, parameter), data, |b, d| {
            b.iter_custom(|iters| {
                time_checked(
                    iters,
                    || {
                        estimator
                            .fit(black_box(d.x.view()), black_box(d.y.view()))
                            .expect("valid data and settings")
                    },
                    |cv| {
                        assert!(
                            cv.fit.converged,
                            "cv/{name}: refit not converged in {} iterations",
                            cv.fit.n_iter
                        );
                        if !reported.replace(true) {
                            eprintln!(
                                "cv/{name}: refit converged, n_iter = {}, alpha_min = {:.4}",
                                cv.fit.n_iter, cv.alpha_min
                            );
                        }
                    },
                )
            });
        });
    }
    group.finish();
}

/// With `rayon`: the tall CV and a fit of four targets at once (the tall
/// `x`, `y` and three more sparse linear models of it), each in a pool of
/// 1 and of 2 threads — the CV's folds and the targets' fits run in
/// parallel, so the ratio of the two is the scaling.
#[cfg(feature = "rayon")]
fn threads(c: &mut Criterion, tall: &Dataset<f64>) {
    use elasticnet::ElasticNet;
    use ndarray::{Array1, Array2, Axis};

    let (m, p) = tall.x.dim();
    let mut targets = Array2::zeros((m, 4));
    targets.column_mut(0).assign(&tall.y.column(0));
    for k in 1..4 {
        let coef = Array1::from_shape_fn(p, |j| {
            if (j * 7 + k * 13) % 10 == 0 {
                (k + j % 5) as f64 - 2.5
            } else {
                0.0
            }
        });
        let noise = correlated_regression(m, 1, 1, 10 + k as u64).y;
        let column = tall.x.dot(&coef) + noise.index_axis(Axis(1), 0);
        targets.column_mut(k).assign(&column);
    }
    let cv = ElasticNetCv::new().l1_ratios(vec![L1_RATIO]).folds(N_FOLDS);
    let fit = ElasticNet::new(0.1, L1_RATIO);
    let mut group = c.benchmark_group("threads");
    for n in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("thread pool");
        group.bench_with_input(BenchmarkId::new("cv_tall", n), &n, |b, _| {
            b.iter(|| {
                pool.install(|| cv.fit(black_box(tall.x.view()), black_box(tall.y.view())))
                    .expect("valid data and settings")
            });
        });
        group.bench_with_input(BenchmarkId::new("fit_tall_4_targets", n), &n, |b, _| {
            b.iter(|| {
                pool.install(|| fit.fit(black_box(tall.x.view()), black_box(targets.view())))
                    .expect("valid data and settings")
            });
        });
    }
    group.finish();
}

fn path_cv(c: &mut Criterion) {
    let tall = correlated_regression(100_000, 100, 10, 1);
    let wide = correlated_regression(500, 5_000, 20, 2);
    let problems = [("tall_100000x100", &tall), ("wide_500x5000", &wide)];
    path(c, &problems);
    cv(c, &problems);
    #[cfg(feature = "rayon")]
    threads(c, &tall);
}

criterion_group! {
    name = benches;
    config = config();
    targets = path_cv
}
criterion_main!(benches);
