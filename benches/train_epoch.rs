//! One full-batch epoch of [`elasticnet::train`] on a 100 000 × 100 problem,
//! in `f64` and `f32`.
//!
//! An epoch of `train` with `epochs: 1` is: the input checks (a pass over
//! `x` and `y`), the loss of the starting model (one product `x·W`), the
//! gradient step (one product `xᵀG`) and the loss after it (another `x·W`).
//! Throughput is reported in elements of `x` per second.
//!
//! ```text
//! cargo bench --bench train_epoch
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use elasticnet::datasets::{self, Dataset};
use elasticnet::{ElasticLoss, Float, LearningRate, LinearModel, TrainConfig, train};

const N_SAMPLES: usize = 100_000;
const N_FEATURES: usize = 100;

/// Settings shared by every benchmark in this file: few samples of a slow
/// (tens of milliseconds) routine, so the whole run stays under a minute.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

fn train_epoch(c: &mut Criterion) {
    let data = datasets::make_regression(N_SAMPLES, N_FEATURES, 10, 1.0, 0);
    let data32 = data.cast::<f32>();

    let mut group = c.benchmark_group("train_epoch");
    group.throughput(Throughput::Elements((N_SAMPLES * N_FEATURES) as u64));
    let size = format!("{N_SAMPLES}x{N_FEATURES}");
    group.bench_with_input(BenchmarkId::new("f64", &size), &data, |b, d| {
        b.iter(|| one_epoch(black_box(d)));
    });
    group.bench_with_input(BenchmarkId::new("f32", &size), &data32, |b, d| {
        b.iter(|| one_epoch(black_box(d)));
    });
    group.finish();
}

/// Trains a zero model for one full-batch epoch and returns it.
fn one_epoch<F: Float>(data: &Dataset<F>) -> LinearModel<F> {
    let mut model = LinearModel::zeros(data.x.ncols(), data.y.ncols());
    let loss = ElasticLoss {
        l1: F::zero(),
        l2: F::zero(),
    };
    let config = TrainConfig {
        epochs: 1,
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
