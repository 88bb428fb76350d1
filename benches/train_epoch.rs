//! One full-batch epoch of [`elasticnet::train`] on a 100 000 × 100 problem
//! (tall) and a 2 000 000 × 20 one (narrow: short rows, a different
//! kernel), in `f64` and `f32`, against the floor of streaming `x` once
//! from memory.
//!
//! * `train_epoch/floor_*`: one read of every element of `x` (its sum,
//!   which ndarray computes with independent accumulators, so the time is
//!   the memory traffic, not the additions). An epoch has to read `x` at
//!   least once, so `epoch / floor` is how far an epoch is from the
//!   hardware's limit.
//! * `train_epoch/f64`, `train_epoch/f32`: `train` with `epochs: 1` — the
//!   whole call, input checks and the loss reported after the step
//!   included.
//! * `train_10_epochs/*`: `train` with `epochs: 10`; its throughput is per
//!   epoch (`10·m·p` elements per call), the steady-state cost of an
//!   epoch inside a longer run.
//!
//! Throughput is reported in elements of `x` per second (per epoch).
//!
//! ```text
//! cargo bench --bench train_epoch
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use elasticnet::datasets::{self, Dataset};
use elasticnet::{ElasticLoss, Float, LearningRate, LinearModel, TrainConfig, train};

/// The shapes measured, `(samples, features)`.
const SHAPES: [(usize, usize); 2] = [(100_000, 100), (2_000_000, 20)];

/// Settings shared by every benchmark in this file: few samples of a slow
/// (tens of milliseconds) routine, so the whole run stays around a minute.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

fn train_epoch(c: &mut Criterion) {
    for (n_samples, n_features) in SHAPES {
        let data = datasets::make_regression(n_samples, n_features, 10, 1.0, 0);
        let data32 = data.cast::<f32>();
        let size = format!("{n_samples}x{n_features}");
        let elements = (n_samples * n_features) as u64;

        let mut group = c.benchmark_group("train_epoch");
        group.throughput(Throughput::Elements(elements));
        group.bench_with_input(BenchmarkId::new("floor_f64", &size), &data, |b, d| {
            b.iter(|| stream(black_box(d)));
        });
        group.bench_with_input(BenchmarkId::new("floor_f32", &size), &data32, |b, d| {
            b.iter(|| stream(black_box(d)));
        });
        group.bench_with_input(BenchmarkId::new("f64", &size), &data, |b, d| {
            b.iter(|| run(black_box(d), 1));
        });
        group.bench_with_input(BenchmarkId::new("f32", &size), &data32, |b, d| {
            b.iter(|| run(black_box(d), 1));
        });
        group.finish();

        let mut group = c.benchmark_group("train_10_epochs");
        group.throughput(Throughput::Elements(10 * elements));
        group.bench_with_input(BenchmarkId::new("f64", &size), &data, |b, d| {
            b.iter(|| run(black_box(d), 10));
        });
        group.bench_with_input(BenchmarkId::new("f32", &size), &data32, |b, d| {
            b.iter(|| run(black_box(d), 10));
        });
        group.finish();
    }
}

/// The memory floor of an epoch: every element of `x` read once.
fn stream<F: Float>(data: &Dataset<F>) -> F {
    data.x.sum()
}

/// Trains a zero model for `epochs` full-batch epochs and returns it.
fn run<F: Float>(data: &Dataset<F>, epochs: usize) -> LinearModel<F> {
    let mut model = LinearModel::zeros(data.x.ncols(), data.y.ncols());
    let loss = ElasticLoss {
        l1: F::zero(),
        l2: F::zero(),
    };
    let config = TrainConfig {
        epochs,
        learning_rate: LearningRate::Constant(F::cast(1e-3)),
        ..TrainConfig::default()
    };
    train(&mut model, &loss, data.x.view(), data.y.view(), &config)
        .expect("valid data and settings");
    model
}

criterion_group! {
    name = benches;
    config = config();
    targets = train_epoch
}
criterion_main!(benches);
