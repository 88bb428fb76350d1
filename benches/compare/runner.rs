//! The crate's side of `benches/compare/compare.py`: loads a problem written
//! by the script, runs one task a few times and prints one JSON line with
//! the wall-clock seconds of each run and where the coefficients went.
//!
//! ```text
//! cargo run --release --features rayon --example compare_runner -- \
//!     DIR TASK L1_RATIO ALPHA REPEATS THREADS TOL OUT
//! ```
//!
//! `DIR` holds `x.f64` (row-major, little-endian), `y.f64` and `shape.txt`
//! (`m p`), and `folds.txt` (the fold of each row, for `cv`). TASK is
//! `fit`, `fit_multi` (one fit of the k targets in `y_multi.f64`, m × k
//! row-major), `path` (100 alphas), `cv` (5 folds over the 100-alpha path),
//! `epoch` / `epoch32` (a `train` call of one full-batch epoch in f64 /
//! f32), `epochN` / `epochN_32` (of N epochs), `stream` / `stream32` (one
//! pass summing `x` in f64 / f32, the memory-bandwidth floor of an epoch)
//! or `epoch_floor` / `epoch_floor32` (each repeat: stream, 1 epoch, 41
//! epochs, stream; its time is the steady-state epoch, (41 − 1)/40, and
//! the JSON line adds each round's `floor`, the mean of its two streams,
//! and `ratio`, epoch / floor). THREADS is a thread count,
//! or several separated by `/` (`1/2`): each repeat then runs once with
//! each count, in alternating order, and the JSON line gives each count's
//! times under `by_threads`. OUT receives the coefficients of the last run
//! (`fit`: p values then the intercept; `fit_multi`: that line for each
//! target; `path`: n_alphas lines).
//!
//! With THREADS `1/2`, each `cv` run on 1 thread is followed by a *twin*
//! run: two independent 1-thread CVs at once, one per thread; the JSON
//! line gives their times under `twin`. `2 × one / twin` is how much
//! work of this very kind the host lets two threads do at that moment —
//! the ceiling of any 2-thread speed-up of it, serial parts or not.
//!
//! In those `cv` runs on 1 and 2 threads, every pool thread is pinned to
//! one of the first two CPUs the process may use (Linux; `COMPARE_PIN=0`
//! turns it off): the 2-thread pool's threads one to each, the twins one
//! to each, and the 1-thread runs on each CPU in turn (repeat `r` on the
//! `r mod 2`-th), so that the 1-thread time samples both. Unpinned, the
//! kernel sometimes put both threads of the 2-thread pool on one CPU: on
//! this 2-CPU virtual machine the second thread then started 1–4 ms late,
//! in 7–20% of the diabetes CV's 2-thread runs (none pinned). The JSON
//! line says `"pinned": true` when they were.

use std::io::Write;
use std::time::Instant;

use elasticnet::{
    ElasticLoss, ElasticNet, ElasticNetCv, ElasticNetPath, Float, LearningRate, LinearModel,
    TrainConfig, train,
};
use ndarray::{Array2, Axis};

/// The CPUs this process may run on, in increasing order (empty where
/// unknown).
#[cfg(target_os = "linux")]
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: an all-zero `cpu_set_t` is a valid (empty) set, and
    // `sched_getaffinity` writes no more than the size it is given.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    }
}

#[cfg(not(target_os = "linux"))]
fn allowed_cpus() -> Vec<usize> {
    Vec::new()
}

/// Pins the calling thread to `cpu`.
#[cfg(target_os = "linux")]
fn pin_current_thread(cpu: usize) {
    // SAFETY: as in `allowed_cpus`; `CPU_SET` stays within the set for
    // `cpu < CPU_SETSIZE`, which `allowed_cpus` ensures.
    let done = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    assert_eq!(done, 0, "pinning a thread to CPU {cpu}");
}

#[cfg(not(target_os = "linux"))]
fn pin_current_thread(_cpu: usize) {}

/// A pool of `threads` threads, thread `i` pinned to `cpus[i mod len]`
/// (unpinned when `cpus` is empty).
fn pool(threads: usize, cpus: &[usize]) -> rayon::ThreadPool {
    let mut builder = rayon::ThreadPoolBuilder::new().num_threads(threads);
    if !cpus.is_empty() {
        let cpus = cpus.to_vec();
        builder = builder.start_handler(move |i| pin_current_thread(cpus[i % cpus.len()]));
    }
    builder.build().expect("thread pool")
}

/// Reads little-endian `f64`s straight into their vector, 64 KiB at a
/// time, so that loading `x` costs its own size and no more (the peak
/// memory of a fit is measured on this process).
fn read_f64(path: &std::path::Path) -> Vec<f64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let len = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut out = Vec::with_capacity(len / 8);
    let mut buf = vec![0u8; 1 << 16];
    let mut filled = 0;
    loop {
        let n = file
            .read(&mut buf[filled..])
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        filled += n;
        let whole = filled / 8 * 8;
        out.extend(
            buf[..whole]
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
        );
        buf.copy_within(whole..filled, 0);
        filled -= whole;
        if n == 0 {
            break;
        }
    }
    out
}

/// The sum of `values` in 32 independent partial sums, compiled for AVX2
/// where the CPU has it: the floor of an epoch, the fastest read of `x` we
/// could write. (ndarray's `sum`, 8 partial sums in SSE2, the floor until
/// 2026-11-29, read 2 000 000 × 20 values 15–25% slower in f64 and 30% in
/// f32 — a floor too easy to meet.)
fn stream_sum<T: Copy + Default + std::ops::Add<Output = T>>(values: &[T]) -> T {
    fn portable<T: Copy + Default + std::ops::Add<Output = T>>(values: &[T]) -> T {
        let mut acc = [T::default(); 32];
        let chunks = values.chunks_exact(32);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (a, &v) in acc.iter_mut().zip(chunk) {
                *a = *a + v;
            }
        }
        rest.iter()
            .chain(acc.iter())
            .fold(T::default(), |total, &v| total + v)
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn avx2<T: Copy + Default + std::ops::Add<Output = T>>(values: &[T]) -> T {
            portable(values)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU running this has AVX2 (just detected).
            return unsafe { avx2(values) };
        }
    }
    portable(values)
}

/// `epochs` epochs of `train` from zero weights, in f32 (`x32`, `y32`)
/// when `single`, else in f64.
#[allow(clippy::too_many_arguments)]
fn run_epochs(
    epochs: usize,
    single: bool,
    l1_ratio: f64,
    alpha: f64,
    x: &Array2<f64>,
    y: &Array2<f64>,
    x32: Option<&Array2<f32>>,
    y32: &Array2<f32>,
) -> elasticnet::Result<()> {
    /// The call itself, in `F`.
    fn epochs_in<F: Float>(
        epochs: usize,
        l1_ratio: f64,
        alpha: f64,
        x: &Array2<F>,
        y: &Array2<F>,
    ) -> elasticnet::Result<()> {
        let mut model = LinearModel::<F>::zeros(x.ncols(), 1);
        let loss = ElasticLoss::<F>::from_alpha(F::cast(alpha), F::cast(l1_ratio))?;
        let config = TrainConfig {
            epochs,
            learning_rate: LearningRate::Constant(F::cast(1e-3)),
            ..TrainConfig::default()
        };
        train(&mut model, &loss, x.view(), y.view(), &config)?;
        Ok(())
    }
    if single {
        let x32 = x32.expect("x32 made for an f32 task");
        epochs_in(epochs, l1_ratio, alpha, x32, y32)
    } else {
        epochs_in(epochs, l1_ratio, alpha, x, y)
    }
}

fn main() -> elasticnet::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert_eq!(
        args.len(),
        8,
        "usage: DIR TASK L1_RATIO ALPHA REPEATS THREADS TOL OUT"
    );
    let dir = std::path::PathBuf::from(&args[0]);
    let task = args[1].as_str();
    let l1_ratio: f64 = args[2].parse().expect("l1_ratio");
    let alpha: f64 = args[3].parse().expect("alpha");
    let repeats: usize = args[4].parse().expect("repeats");
    // One thread count, or several separated by `/` ("1/2"): each repeat
    // then runs the task once with each, alternating which goes first, so
    // that the counts are compared under the same load (a shared machine's
    // load drifts between processes, and within one).
    let thread_counts: Vec<usize> = args[5]
        .split('/')
        .map(|t| t.parse().expect("threads"))
        .collect();
    let tol: f64 = args[6].parse().expect("tol");
    let out = std::path::PathBuf::from(&args[7]);

    let shape = std::fs::read_to_string(dir.join("shape.txt")).expect("shape.txt");
    let dims: Vec<usize> = shape
        .split_whitespace()
        .map(|v| v.parse().expect("m p"))
        .collect();
    let (m, p) = (dims[0], dims[1]);
    let x = Array2::from_shape_vec((m, p), read_f64(&dir.join("x.f64"))).expect("x shape");
    let y = Array2::from_shape_vec((m, 1), read_f64(&dir.join("y.f64"))).expect("y shape");
    let x32 = if task.ends_with("32") {
        Some(x.mapv(|v| v as f32))
    } else {
        None
    };
    let y32 = y.mapv(|v| v as f32);
    // `fit_multi`: the k targets of `y_multi.f64` (m × k, row-major).
    let y_multi = (task == "fit_multi").then(|| {
        let values = read_f64(&dir.join("y_multi.f64"));
        let k = values.len() / m;
        Array2::from_shape_vec((m, k), values).expect("y_multi shape")
    });

    // The folds the script gave scikit-learn (PredefinedSplit), read before
    // the clock starts (the script builds its splitter before timing too).
    let fold_ids: Option<Vec<usize>> = (task == "cv").then(|| {
        std::fs::read_to_string(dir.join("folds.txt"))
            .expect("folds.txt")
            .split_whitespace()
            .map(|v| v.parse().expect("a fold number"))
            .collect()
    });
    // `cv` on 1 and 2 threads: the CPUs its pools are pinned to (see the
    // module docs), none otherwise.
    let paired_cv = task == "cv" && thread_counts.len() > 1;
    let pin: Vec<usize> = if paired_cv && std::env::var("COMPARE_PIN").map_or(true, |v| v != "0") {
        let cpus = allowed_cpus();
        if cpus.len() >= 2 {
            cpus[..2].to_vec()
        } else {
            Vec::new()
        }
    } else {
        Vec::new()
    };
    // The pools of each thread count; repeat `r` uses the `r mod len`-th.
    // Pinned, a single thread gets one pool per CPU.
    let pools: Vec<Vec<rayon::ThreadPool>> = thread_counts
        .iter()
        .map(|&threads| {
            if threads == 1 && !pin.is_empty() {
                pin.iter().map(|&cpu| pool(1, &[cpu])).collect()
            } else {
                vec![pool(threads, &pin)]
            }
        })
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(repeats); pools.len()];
    // Two 1-thread pools for the twin runs (one on each pinned CPU), and
    // their times.
    let twin_pools: Vec<rayon::ThreadPool> = if paired_cv {
        (0..2)
            .map(|i| pool(1, pin.get(i).map(std::slice::from_ref).unwrap_or(&[])))
            .collect()
    } else {
        Vec::new()
    };
    let mut twin_times: Vec<f64> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut extra = String::new();
    // `epoch_floor`: a task's own measure of a round, and its floors and
    // ratios so far.
    let mut measured: Option<f64> = None;
    let (mut round_floor, mut round_ratio) = (Vec::new(), Vec::new());
    let list = |t: &[f64]| {
        let v: Vec<String> = t.iter().map(|t| format!("{t:e}")).collect();
        format!("[{}]", v.join(", "))
    };
    let n_pools = pools.len();
    let order = (0..repeats)
        .flat_map(|r| (0..n_pools).map(move |i| (r, if r % 2 == 0 { i } else { n_pools - 1 - i })));
    for (r, which) in order {
        let pool = &pools[which][r % pools[which].len()];
        let start = Instant::now();
        lines.clear();
        match task {
            "fit" => {
                let fit = pool.install(|| {
                    ElasticNet::new(alpha, l1_ratio)
                        .tol(tol)
                        .max_iter(100_000)
                        .fit(x.view(), y.view())
                })?;
                let mut v: Vec<String> =
                    fit.model.weight.iter().map(|w| format!("{w:e}")).collect();
                v.push(format!("{:e}", fit.model.bias[0]));
                lines.push(v.join(" "));
                extra = format!(
                    "\"n_iter\": {}, \"converged\": {}",
                    fit.n_iter, fit.converged
                );
            }
            "fit_multi" => {
                let y_multi = y_multi.as_ref().expect("y_multi read for fit_multi");
                let fit = pool.install(|| {
                    ElasticNet::new(alpha, l1_ratio)
                        .tol(tol)
                        .max_iter(100_000)
                        .fit(x.view(), y_multi.view())
                })?;
                for (column, bias) in fit.model.weight.columns().into_iter().zip(&fit.model.bias) {
                    let mut v: Vec<String> = column.iter().map(|w| format!("{w:e}")).collect();
                    v.push(format!("{bias:e}"));
                    lines.push(v.join(" "));
                }
                extra = format!(
                    "\"n_iter\": {}, \"converged\": {}",
                    fit.n_iter, fit.converged
                );
            }
            "path" => {
                let path = pool.install(|| {
                    ElasticNetPath::new(l1_ratio)
                        .tol(tol)
                        .max_iter(100_000)
                        .fit(x.view(), y.view())
                })?;
                for i in 0..path.len() {
                    let mut v: Vec<String> = vec![format!("{:e}", path.alphas[i])];
                    v.extend(
                        path.coefs
                            .index_axis(Axis(0), i)
                            .iter()
                            .map(|w| format!("{w:e}")),
                    );
                    v.push(format!("{:e}", path.intercepts[[i, 0]]));
                    lines.push(v.join(" "));
                }
                let all = path.converged.iter().all(|&c| c);
                extra = format!(
                    "\"n_iter\": {}, \"converged\": {all}",
                    path.n_iter.iter().sum::<usize>()
                );
            }
            "cv" => {
                let fold_ids = fold_ids.as_ref().expect("folds.txt read for cv");
                let run = || {
                    ElasticNetCv::new()
                        .l1_ratios(vec![l1_ratio])
                        .fold_ids(fold_ids.clone())
                        .tol(tol)
                        .max_iter(100_000)
                        .fit(x.view(), y.view())
                };
                let cv = pool.install(run)?;
                if !twin_pools.is_empty() && thread_counts[which] == 1 {
                    measured = Some(start.elapsed().as_secs_f64());
                    let twin = Instant::now();
                    // One CV on each 1-thread pool's (already running)
                    // thread: the second spawned into its pool, the first
                    // installed in its own while this thread waits.
                    let mut second = None;
                    twin_pools[1].in_place_scope(|s| {
                        s.spawn(|_| second = Some(run()));
                        twin_pools[0].install(run).expect("twin CV");
                    });
                    second.expect("twin run").expect("twin CV");
                    twin_times.push(twin.elapsed().as_secs_f64());
                }
                lines.push(format!(
                    "{:e} {:e}",
                    cv.alpha_min,
                    cv.mse_mean
                        .row(0)
                        .iter()
                        .cloned()
                        .fold(f64::INFINITY, f64::min)
                ));
                extra = format!("\"alpha_min\": {:e}", cv.alpha_min);
            }
            "epoch_floor" | "epoch_floor32" => {
                // One epoch in steady state against the floor, in this
                // process and this round: stream x, a call of 1 epoch, a
                // call of 41, stream x again; the epoch is (41 − 1)/40, the
                // floor the mean of the two streams. (A shared machine's
                // memory bandwidth drifts by 25% between processes; within
                // one round both see the same.)
                let single = task.ends_with("32");
                let stream = || -> f64 {
                    let start = Instant::now();
                    let s = match &x32 {
                        Some(x32) if single => {
                            f64::from(stream_sum(x32.as_slice().expect("row-major x")))
                        }
                        _ => stream_sum(x.as_slice().expect("row-major x")),
                    };
                    std::hint::black_box(s);
                    start.elapsed().as_secs_f64()
                };
                let epochs = |n: usize| -> elasticnet::Result<f64> {
                    let start = Instant::now();
                    run_epochs(n, single, l1_ratio, alpha, &x, &y, x32.as_ref(), &y32)?;
                    Ok(start.elapsed().as_secs_f64())
                };
                let before = stream();
                let one = epochs(1)?;
                let many = epochs(41)?;
                let after = stream();
                let floor = (before + after) / 2.0;
                let epoch = (many - one) / 40.0;
                round_floor.push(floor);
                round_ratio.push(epoch / floor);
                measured = Some(epoch);
                extra = format!(
                    "\"floor\": {}, \"ratio\": {}",
                    list(&round_floor),
                    list(&round_ratio)
                );
            }
            task if task.starts_with("epoch") => {
                // `epoch` / `epoch32`: one epoch of `train`; `epochN` /
                // `epochN_32`: N epochs (the script takes the difference
                // to report the steady-state cost of one).
                let rest = &task["epoch".len()..];
                let (count, single) = match rest.split_once('_') {
                    Some((n, "32")) => (n, true),
                    _ if rest == "32" => ("", true),
                    _ => (rest, false),
                };
                let epochs = if count.is_empty() {
                    1
                } else {
                    count.parse().expect("epochN: N a number")
                };
                run_epochs(epochs, single, l1_ratio, alpha, &x, &y, x32.as_ref(), &y32)?;
            }
            "stream" => {
                let s: f64 = stream_sum(x.as_slice().expect("row-major x"));
                extra = format!("\"sum\": {s:e}");
            }
            "stream32" => {
                let x32 = x32.as_ref().expect("x32 made for stream32");
                let s: f32 = stream_sum(x32.as_slice().expect("row-major x"));
                extra = format!("\"sum\": {s:e}");
            }
            other => panic!("unknown task {other}"),
        }
        times[which].push(measured.take().unwrap_or(start.elapsed().as_secs_f64()));
    }
    let mut file = std::fs::File::create(&out).expect("output file");
    for line in &lines {
        writeln!(file, "{line}").expect("write");
    }
    let by_threads: Vec<String> = thread_counts
        .iter()
        .zip(&times)
        .map(|(n, t)| format!("\"{n}\": {}", list(t)))
        .collect();
    if !twin_times.is_empty() {
        extra = format!("{extra}, \"twin\": {}", list(&twin_times));
    }
    if paired_cv {
        let pinned = !pin.is_empty();
        extra = format!("{extra}, \"pinned\": {pinned}");
    }
    let sep = if extra.is_empty() { "" } else { ", " };
    println!(
        "{{\"times\": {}, \"by_threads\": {{{}}}{sep}{extra}}}",
        list(&times[0]),
        by_threads.join(", ")
    );
    Ok(())
}
