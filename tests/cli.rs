//! The `elasticnet` binary on small CSV files: every command, the model
//! file, out-of-core training, progress, and every kind of bad input with
//! its one-line message and exit status 2 (and no output file left
//! behind).

use std::path::{Path, PathBuf};
use std::process::Command;

use elasticnet::{ElasticNet, ElasticNetCv, ElasticNetPath};
use ndarray::{Array1, Array2, array};
use serde_json::Value;

const DIABETES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/diabetes.csv");

/// The outcome of one run of the binary.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_elasticnet"))
        .args(args)
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs and expects success with nothing on stderr (which is not a
/// terminal here, so no progress either).
fn ok(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.code, 0, "{args:?} failed: {}", r.stderr);
    assert_eq!(
        r.stderr, "",
        "stderr must stay quiet when it is not a terminal"
    );
    r.stdout
}

/// Runs and expects rejected input: exit status 2, one line on stderr
/// containing every piece of `needles`, nothing on stdout.
fn rejected(args: &[&str], needles: &[&str]) {
    let r = run(args);
    assert_eq!(r.code, 2, "{args:?}: {r:?}");
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    for needle in needles {
        assert!(r.stderr.contains(needle), "`{needle}` not in: {}", r.stderr);
    }
    assert_eq!(r.stdout, "");
}

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(d: &Path, name: &str, text: &str) -> String {
    let path = d.join(name);
    std::fs::write(&path, text).unwrap();
    s(&path)
}

/// `args` with `--plot plot` when the binary can draw (feature `plot`).
fn with_plot<'a>(args: &[&'a str], plot: &'a str) -> Vec<&'a str> {
    if cfg!(feature = "plot") {
        cat(args, &["--plot", plot])
    } else {
        args.to_vec()
    }
}

/// `a` then `b`.
fn cat<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<&'a str> {
    [a, b].concat()
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// `y = 2a − b + 0.5c + 1 + noise` on `n` rows, with an id column and a
/// constant column `k`.
fn linear_csv(n: usize) -> String {
    let mut text = String::from("id,a,b,c,k,y\n");
    for i in 0..n {
        let a = (i % 7) as f64;
        let b = ((i * 3) % 11) as f64 - 5.0;
        let c = ((i * 5) % 13) as f64 / 4.0;
        let noise = ((i * 37) % 13) as f64 / 10.0 - 0.6;
        let y = 2.0 * a - b + 0.5 * c + 1.0 + noise;
        text.push_str(&format!("row{i},{a},{b},{c},3.25,{y}\n"));
    }
    text
}

fn json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn weights(model: &Value) -> Vec<f64> {
    model["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect()
}

/// The numbers of the `prediction` column.
fn predictions(text: &str) -> Vec<f64> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("prediction"));
    lines.map(|l| l.parse().unwrap()).collect()
}

/// No temporary file is left in `d`.
fn no_temp_files(d: &Path) {
    for entry in std::fs::read_dir(d).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.ends_with(".tmp"), "left behind: {name}");
    }
}

#[test]
fn fit_prints_the_coefficients_and_saves_a_checked_model_file() {
    let d = dir("fit");
    let data = write(&d, "train.csv", &linear_csv(60));
    let model = s(&d.join("model.json"));
    let out = ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "a,b,c",
        "--alpha",
        "0.01",
        "--l1-ratio",
        "0.5",
        "--out",
        &model,
    ]);
    for needle in [
        "60 rows × 3 features, target `y`",
        "alpha = 0.01, l1_ratio = 0.5 (lambda1 = 0.005, lambda2 = 0.005)",
        "coordinate descent:",
        "iterations, converged, duality gap",
        "R² 0.9",
        "feature",
        "coefficient",
        "(intercept)",
        "model saved to",
    ] {
        assert!(out.contains(needle), "`{needle}` not in:\n{out}");
    }
    let lines: Vec<&str> = out.lines().collect();
    let a = lines.iter().find(|l| l.starts_with("a ")).unwrap();
    let w_a: f64 = a.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((w_a - 2.0).abs() < 0.1, "{a}");

    let m = json(&model);
    assert_eq!(m["format"], "elasticnet-model");
    assert_eq!(m["format_version"], 1);
    assert_eq!(m["crate_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["target"], "y");
    assert_eq!(m["features"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(weights(&m).len(), 3);
    assert_eq!(m["objective"]["loss"]["l1"], 0.005);
    assert_eq!(m["objective"]["fit_intercept"], true);
    assert_eq!(m["standardization"], Value::Null);
    assert_eq!(m["training"]["method"], "coordinate descent");
    assert_eq!(m["training"]["n_samples"], 60);
    assert_eq!(m["training"]["converged"], true);
}

#[test]
fn fit_options_reach_the_model() {
    let d = dir("fit_options");
    let data = write(&d, "train.csv", &linear_csv(80));
    // λ₁ = 0.3, λ₂ = 0.2 is alpha = 0.5, l1_ratio = 0.6.
    let by_lambda = s(&d.join("lambda.json"));
    let by_alpha = s(&d.join("alpha.json"));
    ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "a,b,c",
        "--lambda1",
        "0.3",
        "--lambda2",
        "0.2",
        "--tol",
        "1e-10",
        "--out",
        &by_lambda,
    ]);
    ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "a,b,c",
        "--alpha",
        "0.5",
        "--l1-ratio",
        "0.6",
        "--tol",
        "1e-10",
        "--out",
        &by_alpha,
    ]);
    let (l, a) = (json(&by_lambda), json(&by_alpha));
    assert_eq!(l["objective"]["alpha"], 0.5);
    for (x, y) in weights(&l).iter().zip(weights(&a)) {
        assert!((x - y).abs() < 1e-8, "{x} vs {y}");
    }

    // Standardized, no intercept, positive, FISTA, features in a chosen order.
    let model = s(&d.join("options.json"));
    let out = ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "c,b,a",
        "--standardize",
        "--no-intercept",
        "--positive",
        "--solver",
        "fista",
        "--alpha",
        "0.1",
        "--out",
        &model,
    ]);
    assert!(
        out.contains("no intercept, standardized (root mean square); positive"),
        "{out}"
    );
    assert!(out.contains("fista:"), "{out}");
    let m = json(&model);
    assert_eq!(m["features"], serde_json::json!(["c", "b", "a"]));
    assert_eq!(m["bias"], 0.0);
    assert!(weights(&m).iter().all(|&w| w >= 0.0));
    assert_eq!(m["training"]["method"], "fista");
    assert_eq!(
        m["standardization"]["mean"]["data"],
        serde_json::json!([0.0, 0.0, 0.0])
    );
    assert_eq!(m["objective"]["positive"], true);
}

#[test]
fn predict_finds_the_features_by_name_and_writes_whole_files() {
    let d = dir("predict");
    let data = write(&d, "train.csv", &linear_csv(50));
    let model = s(&d.join("model.json"));
    ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "a,b,c",
        "--alpha",
        "0.05",
        "--out",
        &model,
    ]);
    let m = json(&model);
    let (w, b) = (weights(&m), m["bias"].as_f64().unwrap());

    // Columns in another order, an extra one, no target: to stdout.
    let other = write(&d, "new.csv", "c,extra,b,a\n1,x,2,3\n0.5,y,-1,4\n");
    let got = predictions(&ok(&["predict", &model, &other]));
    let expected = [
        b + w[0] * 3.0 + w[1] * 2.0 + w[2] * 1.0,
        b + w[0] * 4.0 - w[1] + w[2] * 0.5,
    ];
    assert_eq!(got.len(), 2);
    for (g, e) in got.iter().zip(expected) {
        assert!((g - e).abs() <= 1e-12 * e.abs().max(1.0), "{g} vs {e}");
    }

    // To a file, scored against the target when the file has it.
    let pred = s(&d.join("pred.csv"));
    let out = ok(&["predict", &model, &data, "--out", &pred]);
    assert!(out.contains("50 predictions of `y` written to"), "{out}");
    assert!(out.contains("R² 0.9"), "{out}");
    assert_eq!(
        predictions(&std::fs::read_to_string(&pred).unwrap()).len(),
        50
    );
    no_temp_files(&d);
}

#[test]
fn path_prints_a_table_and_draws_the_plot() {
    let d = dir("path");
    let data = write(&d, "train.csv", &linear_csv(60));
    let plot = s(&d.join("path.svg"));
    let out = ok(&with_plot(
        &[
            "path",
            &data,
            "--target",
            "y",
            "--features",
            "a,b,c",
            "--l1-ratio",
            "0.5",
            "--n-alphas",
            "6",
            "--standardize",
        ],
        &plot,
    ));
    assert!(
        out.contains("l1_ratio = 0.5; intercept, standardized; 6 alphas"),
        "{out}"
    );
    let header = out.lines().position(|l| l.contains("non-zeros")).unwrap();
    let rows: Vec<&str> = out
        .lines()
        .skip(header + 1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), 6, "{out}");
    assert_eq!(
        rows[0].split_whitespace().nth(1),
        Some("0"),
        "all zero at alpha_max"
    );
    assert_eq!(rows[5].split_whitespace().nth(1), Some("3"));
    if cfg!(feature = "plot") {
        assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    }
    no_temp_files(&d);
}

#[cfg(not(feature = "plot"))]
#[test]
fn plots_need_the_plot_feature() {
    rejected(
        &["path", DIABETES, "--target", "target", "--plot", "p.svg"],
        &["--plot needs the `plot` feature"],
    );
}

#[test]
fn cv_on_diabetes_then_predict_gives_the_library_predictions() {
    let d = dir("cv");
    let model = s(&d.join("model.json"));
    let plot = s(&d.join("cv.svg"));
    let out = ok(&with_plot(
        &[
            "cv",
            DIABETES,
            "--target",
            "target",
            "--standardize",
            "--l1-ratios",
            "0.1,0.5,1",
            "--folds",
            "5",
            "--n-alphas",
            "30",
            "--seed",
            "3",
            "--out",
            &model,
        ],
        &plot,
    ));
    for needle in [
        "5-fold cross-validation (seed 3), 30 alphas per l1_ratio",
        "alpha_min",
        "alpha_1se",
        "CV MSE",
        "chosen: alpha =",
        "bmi",
        "model saved to",
    ] {
        assert!(out.contains(needle), "`{needle}` not in:\n{out}");
    }
    if cfg!(feature = "plot") {
        assert!(out.contains("plot saved to"));
        let svg = std::fs::read_to_string(&plot).unwrap();
        assert!(svg.contains("alpha_1se"));
    }
    let m = json(&model);
    assert_eq!(m["training"]["method"], "cross-validation");
    assert_eq!(
        m["standardization"]["scale"]["data"]
            .as_array()
            .unwrap()
            .len(),
        10
    );

    let got = predictions(&ok(&["predict", &model, DIABETES]));
    let data = elasticnet::datasets::diabetes();
    let cv = ElasticNetCv::new()
        .l1_ratios(vec![0.1, 0.5, 1.0])
        .folds(5)
        .n_alphas(30)
        .seed(3)
        .standardize(true)
        .fit(data.x.view(), data.y.view())
        .unwrap();
    assert_eq!(m["objective"]["alpha"].as_f64().unwrap(), cv.alpha_min);
    let expected = cv.fit.predict(data.x.view()).unwrap();
    assert_eq!(got.len(), 442);
    for (g, e) in got.iter().zip(expected.column(0)) {
        assert!((g - e).abs() <= 1e-12 * e.abs(), "{g} vs {e}");
    }
}

#[test]
fn streaming_fit_reaches_the_exact_objective() {
    let d = dir("stream");
    let data = write(&d, "train.csv", &linear_csv(3000));
    let exact = s(&d.join("exact.json"));
    let streamed = s(&d.join("streamed.json"));
    let common = [
        "--target",
        "y",
        "--features",
        "a,b,c,k",
        "--alpha",
        "0.05",
        "--standardize",
    ];
    let mut args = vec!["fit", data.as_str()];
    args.extend(common);
    ok(&[args.as_slice(), &["--tol", "1e-10", "--out", &exact]].concat());
    let out = ok(&[
        args.as_slice(),
        &[
            "--batch-size",
            "200",
            "--epochs",
            "8",
            "--shuffle-buffer",
            "1000",
            "--out",
            &streamed,
        ],
    ]
    .concat());
    assert!(
        out.contains("proximal SGD: 8 epochs × 15 batches of 200 rows (shuffled 1,000 rows"),
        "{out}"
    );
    assert!(out.contains("final pass: objective"), "{out}");
    let (e, s) = (json(&exact), json(&streamed));
    let (oe, os) = (
        e["training"]["objective_value"].as_f64().unwrap(),
        s["training"]["objective_value"].as_f64().unwrap(),
    );
    assert!(
        os >= oe * (1.0 - 1e-9) && os <= oe * 1.01,
        "streamed {os} vs exact {oe}"
    );
    assert!(s["training"]["duality_gap"].as_f64().unwrap() >= os - oe - 1e-9);
    assert_eq!(s["training"]["method"], "proximal sgd");
    assert_eq!(s["training"]["n_iter"], 8);
    let ws = weights(&s);
    assert_eq!(ws[3], 0.0, "the constant column keeps a zero coefficient");
    for (a, b) in ws.iter().zip(weights(&e)) {
        assert!((a - b).abs() < 0.05, "{a} vs {b}");
    }
    assert_eq!(s["standardization"]["scale"]["data"][3], 1.0);
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let d = dir("progress");
    let data = write(&d, "train.csv", &linear_csv(500));
    let args = [
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "a,b,c",
        "--batch-size",
        "50",
        "--epochs",
        "2",
    ];
    // Not a terminal: quiet (checked by `ok`).
    ok(&args);
    // A terminal, through `script` (util-linux), where available.
    let has_script = Command::new("script").arg("--version").output().is_ok();
    if !has_script {
        eprintln!("skipping the terminal half: no `script`");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_elasticnet");
    let on_tty = |extra: &str| -> String {
        let cmd = format!("{bin} {extra} {} > /dev/null", args.join(" "));
        let out = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let shown = on_tty("");
    assert!(shown.contains("epoch 2/2"), "{shown:?}");
    assert!(!on_tty("--quiet").contains("epoch"));
}

#[test]
fn bad_data_is_one_line_and_exit_status_2() {
    let d = dir("bad_data");
    let good = write(&d, "good.csv", "a,b,y\n1,2,3\n4,5,6\n7,8,10\n");
    let fit = |file: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["fit".into(), file.into(), "--target".into(), "y".into()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let check = |args: Vec<String>, needles: &[&str]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rejected(&args, needles);
    };
    rejected(
        &["fit", &good, "--target", "nope"],
        &["good.csv", "no column `nope` (--target)", "`a`, `b`, `y`"],
    );
    check(
        fit(&good, &["--features", "a,zz"]),
        &["no column `zz` (--features)"],
    );
    let text = write(&d, "text.csv", "a,b,y\n1,2,3\n4,5,6\n7,abc,10\n");
    check(
        fit(&text, &[]),
        &["text.csv: line 4, column `b`: `abc` is not a number"],
    );
    let blank = write(&d, "blank.csv", "a,b,y\n1,,3\n");
    check(fit(&blank, &[]), &["line 2, column `b`: empty cell"]);
    let ragged = write(&d, "ragged.csv", "a,b,y\n1,2,3\n4,5\n");
    check(
        fit(&ragged, &[]),
        &["ragged.csv: line 3 has 2 fields, but the header has 3"],
    );
    let empty = write(&d, "empty.csv", "");
    check(fit(&empty, &[]), &["empty.csv: the file is empty"]);
    let header_only = write(&d, "header.csv", "a,b,y\n");
    check(fit(&header_only, &[]), &["header.csv: no data rows"]);
    for (name, cell) in [
        ("nan.csv", "NaN"),
        ("inf.csv", "inf"),
        ("huge.csv", "1e400"),
    ] {
        let f = write(&d, name, &format!("a,b,y\n1,2,3\n4,{cell},6\n"));
        check(
            fit(&f, &[]),
            &[&format!(
                "line 3, column `b`: `{cell}` is not a finite number"
            )],
        );
    }
    // The same in the out-of-core mode, and in the other commands.
    check(
        fit(&text, &["--batch-size", "2"]),
        &["line 4, column `b`: `abc` is not a number"],
    );
    rejected(
        &["path", &ragged, "--target", "y"],
        &["line 3 has 2 fields"],
    );
    rejected(&["cv", &text, "--target", "y"], &["line 4, column `b`"]);
    rejected(
        &["fit", &s(&d.join("missing.csv")), "--target", "y"],
        &["cannot open", "missing.csv"],
    );
    // A non-numeric column that is not used is fine.
    ok(&[
        "fit",
        &text,
        "--target",
        "y",
        "--features",
        "a",
        "--alpha",
        "0",
    ]);
}

#[test]
fn bad_options_are_exit_status_2() {
    let d = dir("bad_options");
    let data = write(&d, "train.csv", &linear_csv(30));
    let base = ["fit", data.as_str(), "--target", "y", "--features", "a,b"];
    rejected(&cat(&base, &["--alpha", "-1"]), &["invalid `alpha` = -1"]);
    rejected(
        &cat(&base, &["--l1-ratio", "1.5"]),
        &["invalid `l1_ratio` = 1.5", "[0, 1]"],
    );
    rejected(
        &cat(&base, &["--lambda1", "-0.1"]),
        &["invalid --lambda1 = -0.1"],
    );
    rejected(&cat(&base, &["--batch-size", "0"]), &["--batch-size 0"]);
    rejected(
        &cat(&base, &["--batch-size", "5", "--epochs", "0"]),
        &["epochs"],
    );
    rejected(
        &cat(&base, &["--batch-size", "5", "--learning-rate", "0"]),
        &["learning_rate"],
    );
    rejected(
        &["fit", &data, "--target", "y", "--features", "a,a"],
        &["twice"],
    );
    rejected(
        &["fit", &data, "--target", "y", "--features", "a,y"],
        &["includes the target"],
    );
    rejected(
        &[
            "cv",
            &data,
            "--target",
            "y",
            "--folds",
            "1",
            "--features",
            "a",
        ],
        &["folds"],
    );
    rejected(
        &[
            "path",
            &data,
            "--target",
            "y",
            "--l1-ratio",
            "2",
            "--features",
            "a",
        ],
        &["l1_ratio"],
    );
    let nowhere = s(&d.join("no/such/dir/model.json"));
    rejected(&cat(&base, &["--out", &nowhere]), &["does not exist"]);
    // Usage errors (clap): also status 2.
    for args in [
        cat(&base, &["--alpha", "1", "--lambda1", "1"]),
        cat(&base, &["--epochs", "3"]),
        cat(&base, &["--batch-size", "10", "--solver", "cd"]),
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    }
}

#[test]
fn bad_model_files_are_rejected_and_leave_no_output() {
    let d = dir("bad_models");
    let data = write(&d, "train.csv", &linear_csv(40));
    let model = s(&d.join("model.json"));
    ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "a,b,c",
        "--out",
        &model,
    ]);
    let pred = d.join("pred.csv");
    std::fs::write(&pred, "old content\n").unwrap();
    let pred = s(&pred);

    // A file from another feature set.
    let other = write(&d, "other.csv", "a,b,d\n1,2,3\n");
    rejected(
        &["predict", &model, &other, "--out", &pred],
        &[
            "other.csv: no column `c`",
            "fitted on the features `a`, `b`, `c`",
        ],
    );

    // Bad data half-way through: the old output stays, no temporary file.
    let mut rows = String::from("a,b,c\n");
    for i in 0..100 {
        rows.push_str(&format!("{i},1,2\n"));
    }
    rows.push_str("1,oops,2\n");
    let late = write(&d, "late.csv", &rows);
    rejected(
        &["predict", &model, &late, "--out", &pred],
        &["line 102, column `b`"],
    );
    assert_eq!(std::fs::read_to_string(&pred).unwrap(), "old content\n");
    no_temp_files(&d);

    // Files that are not (valid) models.
    let m = json(&model);
    let edit = |name: &str, change: &dyn Fn(&mut Value)| -> String {
        let mut v = m.clone();
        change(&mut v);
        write(&d, name, &serde_json::to_string(&v).unwrap())
    };
    let cases: Vec<(String, &str)> = vec![
        (
            write(&d, "garbage.json", "{ not json"),
            "not a JSON model file",
        ),
        (
            write(&d, "other.json", "{\"weights\": [1]}"),
            "not an elasticnet model file",
        ),
        (
            edit("future.json", &|v| v["format_version"] = 2.into()),
            "model file format 2",
        ),
        (
            edit("old.json", &|v| v["crate_version"] = "9.0.0".into()),
            "written by elasticnet 9.0.0",
        ),
        (
            edit("short.json", &|v| {
                v["weights"] = serde_json::json!([1.0, 2.0])
            }),
            "2 weights for 3 features",
        ),
        (
            edit("missing.json", &|v| {
                v.as_object_mut().unwrap().remove("bias");
            }),
            "missing field `bias`",
        ),
        (
            edit("penalty.json", &|v| {
                v["objective"]["loss"]["l1"] = (-1.0).into()
            }),
            "invalid `l1`",
        ),
        (
            edit("mismatch.json", &|v| v["objective"]["alpha"] = 7.0.into()),
            "do not match",
        ),
        (
            edit("scaler.json", &|v| {
                v["objective"]["standardize"] = true.into()
            }),
            "no standardization",
        ),
    ];
    for (file, needle) in cases {
        rejected(&["predict", &file, &data, "--out", &pred], &[needle]);
    }
    assert_eq!(std::fs::read_to_string(&pred).unwrap(), "old content\n");
    rejected(
        &["predict", &s(&d.join("none.json")), &data],
        &["cannot read"],
    );
}

#[test]
fn failed_fits_leave_existing_outputs_alone() {
    let d = dir("atomic");
    let model = d.join("model.json");
    std::fs::write(&model, "keep me").unwrap();
    let bad = write(&d, "bad.csv", "a,y\n1,2\n2,x\n");
    rejected(
        &["fit", &bad, "--target", "y", "--out", &s(&model)],
        &["`x` is not a number"],
    );
    rejected(
        &["cv", &bad, "--target", "y", "--out", &s(&model)],
        &["`x` is not a number"],
    );
    assert_eq!(std::fs::read_to_string(&model).unwrap(), "keep me");
    no_temp_files(&d);
}

/// A small deterministic generator (64-bit LCG) for test data.
struct Lcg(u64);

impl Lcg {
    /// Uniform in [-1, 1).
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Generated data: the CSV text (an unnamed index, the features `x1`, …,
/// `w`, `y`) and
/// the same numbers as arrays. `y = Σ coef[j]·x_j + 1 + noise`; the weights
/// cycle through 0, 1, 2, 0.5, 3.
struct Generated {
    text: String,
    x: Array2<f64>,
    y: Array2<f64>,
    w: Array1<f64>,
}

fn generated(n: usize, coef: &[f64], noise: f64, seed: u64) -> Generated {
    let p = coef.len();
    let names: Vec<String> = (1..=p).map(|j| format!("x{j}")).collect();
    let mut rng = Lcg(seed);
    // The first column is unnamed, as the index pandas writes.
    let mut text = format!(",{},w,y\n", names.join(","));
    let (mut x, mut y, mut w) = (
        Array2::zeros((n, p)),
        Array2::zeros((n, 1)),
        Array1::zeros(n),
    );
    for i in 0..n {
        let mut target = 1.0 + noise * rng.next();
        let mut cells = vec![i.to_string()];
        for j in 0..p {
            let v = 2.0 * rng.next() + j as f64 * 0.25;
            x[[i, j]] = v;
            target += coef[j] * v;
            cells.push(v.to_string());
        }
        w[i] = [0.0, 1.0, 2.0, 0.5, 3.0][i % 5];
        y[[i, 0]] = target;
        cells.push(w[i].to_string());
        cells.push(target.to_string());
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    Generated { text, x, y, w }
}

/// The rows of a `path --out` CSV for `model` (`penalized` or `relaxed`):
/// alpha, intercept, coefficients.
fn path_rows(csv_text: &str, model: &str) -> Vec<(f64, f64, Vec<f64>)> {
    csv_text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|cells| cells[1] == model)
        .map(|cells| {
            let num = |c: &str| c.parse::<f64>().unwrap();
            (
                num(cells[0]),
                num(cells[2]),
                cells[3..].iter().map(|c| num(c)).collect(),
            )
        })
        .collect()
}

/// The coefficient printed for `feature` (second column of its line).
fn printed(out: &str, feature: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.split_whitespace().next() == Some(feature))
        .unwrap_or_else(|| panic!("no line for `{feature}` in:\n{out}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn fit_with_weights_penalty_factors_and_bounds_gives_the_library_fit() {
    let d = dir("fit_per_feature");
    let g = generated(90, &[2.0, -1.0, 0.5, 0.0], 0.5, 1);
    let data = write(&d, "train.csv", &g.text);
    let model = s(&d.join("model.json"));
    let out = ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--weights",
        "w",
        "--alpha",
        "0.2",
        "--standardize",
        "--penalty-factor",
        "x2=0,x3=2.5",
        "--lower",
        "x1=0",
        "--upper",
        "x1=1.5,x4=inf",
        "--upper",
        "x3=0.25",
        "--tol",
        "1e-10",
        "--out",
        &model,
    ]);
    for needle in [
        "90 rows × 4 features, target `y`, weights `w` (18 rows with weight 0)",
        "penalty factors: x2 = 0, x3 = 2.5 (1 for the others)",
        "bounds: 0 ≤ x1 ≤ 1.5, x3 ≤ 0.25",
        "weighted R² 0.",
    ] {
        assert!(out.contains(needle), "`{needle}` not in:\n{out}");
    }
    let inf = f64::INFINITY;
    let fit = ElasticNet::new(0.2, 0.5)
        .standardize(true)
        .tol(1e-10)
        .penalty_factor(array![1.0, 0.0, 2.5, 1.0])
        .bounds(array![0.0, -inf, -inf, -inf], array![1.5, inf, 0.25, inf])
        .fit_weighted(g.x.view(), g.y.view(), g.w.view())
        .unwrap();
    let m = json(&model);
    assert_eq!(weights(&m), fit.model.weight.column(0).to_vec());
    assert_eq!(m["bias"].as_f64().unwrap(), fit.model.bias[0]);
    assert_eq!(weights(&m)[0], 1.5, "x1 at its upper bound");
    for (j, name) in ["x1", "x2", "x3", "x4"].iter().enumerate() {
        let (p, e) = (printed(&out, name), fit.model.weight[[j, 0]]);
        assert!(
            (p - e).abs() <= 1e-5 * e.abs().max(1e-3),
            "{name}: {p} vs {e}"
        );
    }
    assert_eq!(m["training"]["objective_value"], fit.objective);
    assert_eq!(m["training"]["sample_weights"], "w");
    let o = &m["objective"];
    assert_eq!(
        o["penalty_factor"],
        serde_json::json!({"x2": 0.0, "x3": 2.5})
    );
    assert_eq!(o["lower"], serde_json::json!({"x1": 0.0}));
    assert_eq!(o["upper"], serde_json::json!({"x1": 1.5, "x3": 0.25}));
    assert!(o.get("gamma").is_none());
    // The weights column is not a default feature.
    assert_eq!(m["features"], serde_json::json!(["x1", "x2", "x3", "x4"]));

    // The model file is checked against its bounds and names.
    let pred = s(&d.join("pred.csv"));
    ok(&["predict", &model, &data, "--out", &pred]);
    let edit = |name: &str, change: &dyn Fn(&mut Value)| -> String {
        let mut v = m.clone();
        change(&mut v);
        write(&d, name, &serde_json::to_string(&v).unwrap())
    };
    for (file, needle) in [
        (
            edit("above.json", &|v| v["weights"][0] = 1.6.into()),
            "the weight of `x1` is above its upper bound",
        ),
        (
            edit("unknown.json", &|v| {
                v["objective"]["penalty_factor"]["zz"] = 1.0.into()
            }),
            "names `zz`, which is not a feature",
        ),
        (
            edit("bad_lower.json", &|v| {
                v["objective"]["lower"]["x2"] = 1.0.into()
            }),
            "the lower bound of `x2` is 1",
        ),
    ] {
        rejected(&["predict", &file, &data], &[needle]);
    }
    // Files without the new fields still load (and are written as before).
    let plain = s(&d.join("plain.json"));
    ok(&[
        "fit",
        &data,
        "--target",
        "y",
        "--features",
        "x1,x2",
        "--out",
        &plain,
    ]);
    let p = json(&plain);
    for key in ["penalty_factor", "lower", "upper", "gamma"] {
        assert!(p["objective"].get(key).is_none(), "{key}");
    }
    assert!(p["training"].get("sample_weights").is_none());
}

#[test]
fn a_zero_weight_is_the_same_as_dropping_the_row() {
    let d = dir("zero_weight");
    let g = generated(70, &[1.5, -2.0, 0.0], 0.8, 2);
    let all = write(&d, "all.csv", &g.text);
    // The same file without the rows of weight 0.
    let mut lines = g.text.lines();
    let mut kept = format!("{}\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        if g.w[i] != 0.0 {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    let dropped = write(&d, "dropped.csv", &kept);
    let common = [
        "--target",
        "y",
        "--weights",
        "w",
        "--standardize",
        "--tol",
        "1e-12",
    ];
    let close = |a: &[f64], b: &[f64], what: &str| {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x - y).abs() <= 1e-8 * x.abs().max(1.0),
                "{what}: {x} vs {y}"
            );
        }
    };
    let (m_all, m_dropped) = (s(&d.join("all.json")), s(&d.join("dropped.json")));
    for (file, model) in [(&all, &m_all), (&dropped, &m_dropped)] {
        ok(&cat(
            &[
                "fit",
                file,
                "--alpha",
                "0.05",
                "--l1-ratio",
                "0.9",
                "--out",
                model,
            ],
            &common,
        ));
    }
    let (a, b) = (json(&m_all), json(&m_dropped));
    close(&weights(&a), &weights(&b), "fit weights");
    close(
        &[a["bias"].as_f64().unwrap()],
        &[b["bias"].as_f64().unwrap()],
        "bias",
    );
    let scale = |m: &Value| -> Vec<f64> {
        m["standardization"]["scale"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    close(&scale(&a), &scale(&b), "weighted standardization");

    let (p_all, p_dropped) = (s(&d.join("all.csv.out")), s(&d.join("dropped.csv.out")));
    for (file, out) in [(&all, &p_all), (&dropped, &p_dropped)] {
        ok(&cat(
            &["path", file, "--n-alphas", "6", "--relax", "--out", out],
            &common,
        ));
    }
    let (ta, tb) = (
        std::fs::read_to_string(&p_all).unwrap(),
        std::fs::read_to_string(&p_dropped).unwrap(),
    );
    for model in ["penalized", "relaxed"] {
        let (ra, rb) = (path_rows(&ta, model), path_rows(&tb, model));
        assert_eq!(ra.len(), 6);
        for ((alpha_a, b_a, w_a), (alpha_b, b_b, w_b)) in ra.iter().zip(&rb) {
            close(&[*alpha_a, *b_a], &[*alpha_b, *b_b], model);
            close(w_a, w_b, model);
        }
    }
}

#[test]
fn path_relax_writes_the_library_coefficients() {
    let d = dir("path_relax");
    let g = generated(60, &[3.0, 0.0, -1.0, 0.0, 0.5], 1.0, 3);
    let data = write(&d, "train.csv", &g.text);
    let coefs = s(&d.join("coefs.csv"));
    let out = ok(&[
        "path",
        &data,
        "--target",
        "y",
        "--features",
        "x1,x2,x3,x4,x5",
        "--weights",
        "w",
        "--n-alphas",
        "7",
        "--penalty-factor",
        "x5=0",
        "--positive",
        "--upper",
        "x1=2",
        "--relax",
        "--out",
        &coefs,
    ]);
    for needle in [
        "l1_ratio = 1; intercept; positive; 7 alphas",
        "penalty factors: x5 = 0",
        "bounds: x1 ≤ 2",
        "relaxed weighted R²",
        "coefficients written to",
    ] {
        assert!(out.contains(needle), "`{needle}` not in:\n{out}");
    }
    let inf = f64::INFINITY;
    let path = ElasticNetPath::new(1.0)
        .n_alphas(7)
        .penalty_factor(array![1.0, 1.0, 1.0, 1.0, 0.0])
        .positive(true)
        .bounds(Array1::from_elem(5, -inf), array![2.0, inf, inf, inf, inf])
        .relax(true)
        .fit_weighted(g.x.view(), g.y.view(), g.w.view())
        .unwrap();
    let text = std::fs::read_to_string(&coefs).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("alpha,model,(intercept),x1,x2,x3,x4,x5")
    );
    let relaxed = path.relaxed.as_ref().unwrap();
    for (model, c, b) in [
        ("penalized", &path.coefs, &path.intercepts),
        ("relaxed", &relaxed.coefs, &relaxed.intercepts),
    ] {
        let rows = path_rows(&text, model);
        assert_eq!(rows.len(), 7, "{model}");
        for (i, (alpha, bias, w)) in rows.iter().enumerate() {
            assert_eq!(*alpha, path.alphas[i]);
            assert_eq!(*bias, b[[i, 0]], "{model} {i}");
            assert_eq!(w, &c.slice(ndarray::s![i, .., 0]).to_vec(), "{model} {i}");
        }
    }
    // The unpenalized feature is in at alpha_max, and the bounds hold.
    let first = &path_rows(&text, "penalized")[0].2;
    assert_ne!(first[4], 0.0);
    assert!(first[..4].iter().all(|&v| v == 0.0));
    for (_, _, w) in path_rows(&text, "relaxed") {
        assert!(w.iter().all(|&v| v >= 0.0) && w[0] <= 2.0, "{w:?}");
    }

    // Without --relax: the penalized rows only.
    ok(&[
        "path",
        &data,
        "--target",
        "y",
        "--features",
        "x1,x2",
        "--n-alphas",
        "3",
        "--out",
        &coefs,
    ]);
    let text = std::fs::read_to_string(&coefs).unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(path_rows(&text, "relaxed").is_empty());
    no_temp_files(&d);
}

#[test]
fn cv_relax_reports_both_choices_and_saves_the_better_one() {
    let d = dir("cv_relax");
    // Sparse truth among noise features: the relaxed lasso should win.
    let g = generated(120, &[3.0, -2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 1.0, 4);
    let data = write(&d, "train.csv", &g.text);
    let model = s(&d.join("model.json"));
    let args = [
        "cv",
        data.as_str(),
        "--target",
        "y",
        "--features",
        "x1,x2,x3,x4,x5,x6,x7,x8",
        "--weights",
        "w",
        "--n-alphas",
        "25",
        "--folds",
        "4",
        "--seed",
        "7",
        "--penalty-factor",
        "x1=0.5",
    ];
    let out = ok(&cat(&args, &["--relax", "--out", &model]));
    let cv = ElasticNetCv::new()
        .n_alphas(25)
        .folds(4)
        .seed(7)
        .penalty_factor(array![0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
        .relax(vec![0.0, 0.25, 0.5, 0.75, 1.0])
        .fit_weighted(g.x.view(), g.y.view(), g.w.view())
        .unwrap();
    let rc = cv.relaxed.as_ref().unwrap();
    let r = cv.chosen_index();
    let ordinary_mse = cv.mse_mean[[r, cv.alpha_indices(r).0]];
    let relaxed_mse = rc.mse_mean.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(
        relaxed_mse < ordinary_mse,
        "the data should favour the relaxed lasso"
    );
    for needle in [
        "the best (l1_ratio, alpha) per gamma",
        "gamma  l1_ratio  alpha_min",
        &format!("relaxed choice: gamma = {}", rc.gamma),
        "model: the relaxed choice",
        "relaxed model saved to",
    ] {
        assert!(out.contains(needle), "`{needle}` not in:\n{out}");
    }
    assert!(
        out.lines().any(|l| l
            .split_whitespace()
            .eq(["feature", "coefficient", "relaxed"])),
        "{out}"
    );
    let m = json(&model);
    assert_eq!(weights(&m), rc.model.weight.column(0).to_vec());
    assert_eq!(m["bias"].as_f64().unwrap(), rc.model.bias[0]);
    assert_eq!(m["objective"]["gamma"].as_f64().unwrap(), rc.gamma);
    assert_eq!(m["objective"]["alpha"].as_f64().unwrap(), rc.alpha);
    assert_eq!(m["objective"]["l1_ratio"].as_f64().unwrap(), rc.l1_ratio);
    assert_eq!(m["training"]["method"], "relaxed cross-validation");
    assert_eq!(m["training"]["converged"], true);
    assert_eq!(
        m["objective"]["penalty_factor"],
        serde_json::json!({"x1": 0.5})
    );
    let got = predictions(&ok(&["predict", &model, &data]));
    let expected = rc.model.predict(g.x.view()).unwrap();
    for (p, e) in got.iter().zip(expected.column(0)) {
        assert!((p - e).abs() <= 1e-12 * e.abs().max(1.0), "{p} vs {e}");
    }

    // With gamma = 1 alone the relaxed scores are the ordinary ones: the
    // ordinary choice is kept.
    let out = ok(&cat(&args, &["--relax=1", "--out", &model]));
    assert!(out.contains("model: the ordinary choice"), "{out}");
    let cv1 = ElasticNetCv::new()
        .n_alphas(25)
        .folds(4)
        .seed(7)
        .penalty_factor(array![0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
        .fit_weighted(g.x.view(), g.y.view(), g.w.view())
        .unwrap();
    let m = json(&model);
    assert_eq!(weights(&m), cv1.fit.model.weight.column(0).to_vec());
    assert_eq!(m["training"]["method"], "cross-validation");
    assert!(m["objective"].get("gamma").is_none());
    assert_eq!(m["training"]["objective_value"], cv1.fit.objective);
}

#[test]
fn cv_positive_and_bounds_reach_the_model() {
    let d = dir("cv_bounds");
    let g = generated(80, &[2.0, -1.0, 0.5], 0.5, 5);
    let data = write(&d, "train.csv", &g.text);
    let model = s(&d.join("model.json"));
    let out = ok(&[
        "cv",
        &data,
        "--target",
        "y",
        "--features",
        "x1,x2,x3",
        "--positive",
        "--upper",
        "x1=1",
        "--standardize",
        "--n-alphas",
        "15",
        "--out",
        &model,
    ]);
    assert!(out.contains("intercept, standardized; positive"), "{out}");
    let inf = f64::INFINITY;
    let cv = ElasticNetCv::new()
        .n_alphas(15)
        .standardize(true)
        .positive(true)
        .bounds(Array1::from_elem(3, -inf), array![1.0, inf, inf])
        .fit(g.x.view(), g.y.view())
        .unwrap();
    let m = json(&model);
    assert_eq!(weights(&m), cv.fit.model.weight.column(0).to_vec());
    assert_eq!(weights(&m)[0], 1.0);
    assert_eq!(weights(&m)[1], 0.0);
    assert_eq!(m["objective"]["positive"], true);
    assert_eq!(m["objective"]["upper"], serde_json::json!({"x1": 1.0}));
}

#[test]
fn bad_weights_and_per_feature_options_are_exit_status_2() {
    let d = dir("bad_per_feature");
    let g = generated(20, &[1.0, 2.0], 0.1, 6);
    let data = write(&d, "train.csv", &g.text);
    let base = ["fit", data.as_str(), "--target", "y", "--features", "x1,x2"];
    for (extra, needles) in [
        (
            vec!["--penalty-factor", "zz=1"],
            vec![
                "--penalty-factor names `zz`, which is not a feature",
                "`x1`, `x2`",
            ],
        ),
        (
            vec!["--lower", "y=-1"],
            vec!["--lower names the target `y`"],
        ),
        (
            vec!["--upper", "x3=1"],
            vec!["--upper names `x3`, which is not a feature"],
        ),
        (
            vec!["--penalty-factor", "x1=abc"],
            vec!["invalid --penalty-factor x1=abc: `abc` is not a number"],
        ),
        (
            vec!["--penalty-factor", "x1=-1"],
            vec!["invalid --penalty-factor x1=-1", "[0, inf)"],
        ),
        (
            vec!["--penalty-factor", "x1"],
            vec!["invalid --penalty-factor `x1`: expected NAME=VALUE"],
        ),
        (
            vec!["--lower", "x1=0.5"],
            vec!["invalid --lower x1=0.5", "[-inf, 0]"],
        ),
        (
            vec!["--upper", "x2=-inf"],
            vec!["invalid --upper x2=-inf", "[0, inf]"],
        ),
        (vec!["--lower", "x1=nan"], vec!["invalid --lower x1=nan"]),
        (
            vec!["--lower", "x1=-1,x1=-2"],
            vec!["--lower names `x1` twice"],
        ),
        (
            vec!["--weights", "y"],
            vec!["--weights names the target column `y`"],
        ),
        (
            vec!["--weights", "x1"],
            vec!["--features includes the weights column `x1`"],
        ),
        (
            vec!["--weights", "nope"],
            vec!["no column `nope` (--weights)"],
        ),
        (
            vec!["--weights", "w", "--penalty-factor", "w=0"],
            vec!["--penalty-factor names the weights column `w`"],
        ),
        (
            vec!["--weights", "w", "--batch-size", "5"],
            vec!["--weights is not supported with --batch-size"],
        ),
        (
            vec!["--upper", "x1=1", "--batch-size", "5"],
            vec!["--upper is not supported with --batch-size"],
        ),
    ] {
        let needles: Vec<&str> = needles.to_vec();
        rejected(&cat(&base, &extra), &needles);
    }
    let negative = write(&d, "negative.csv", "a,w,y\n1,1,2\n2,-0.5,3\n3,1,5\n");
    rejected(
        &["fit", &negative, "--target", "y", "--weights", "w"],
        &["negative.csv: line 3, column `w`: the weight -0.5 is negative"],
    );
    let zeros = write(&d, "zeros.csv", "a,w,y\n1,0,2\n2,0,3\n3,0,5\n");
    for command in ["fit", "path", "cv"] {
        rejected(
            &[command, &zeros, "--target", "y", "--weights", "w"],
            &["every weight in the column `w` is 0"],
        );
    }
    let mut sparse = String::from("a,w,y\n");
    for i in 0..20 {
        sparse.push_str(&format!("{i},{},{}\n", if i == 0 { 1 } else { 0 }, i * i));
    }
    let sparse = write(&d, "sparse.csv", &sparse);
    rejected(
        &["cv", &sparse, "--target", "y", "--weights", "w"],
        &["--weights: a fold, or the rows outside it, has total weight 0"],
    );
    let nan = write(&d, "nan.csv", "a,w,y\n1,NaN,2\n2,1,3\n3,1,5\n");
    rejected(
        &["path", &nan, "--target", "y", "--weights", "w"],
        &["line 2, column `w`: `NaN` is not a finite number"],
    );
    // The same checks in the other commands, and --relax's gammas.
    rejected(
        &[
            "path",
            &data,
            "--target",
            "y",
            "--features",
            "x1,x2",
            "--lower",
            "x3=-1",
        ],
        &["--lower names `x3`, which is not a feature"],
    );
    rejected(
        &[
            "cv",
            &data,
            "--target",
            "y",
            "--features",
            "x1,x2",
            "--relax=0,2",
        ],
        &["invalid `gammas` = 2"],
    );
    for args in [
        vec!["cv", &data, "--target", "y", "--relax=x"],
        vec!["cv", &data, "--target", "y", "--relax", "0.5"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    }
}
