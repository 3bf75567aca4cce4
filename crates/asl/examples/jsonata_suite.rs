//! Runs the JSONata test suite (jsonata-js, `test/test-suite`) through the engine's
//! evaluator and prints the pass rate. A measurement: it exits 0 whatever the rate, and 2
//! only when the suite folder is missing. `scripts/jsonata-suite.sh` fetches the suite into
//! `target/` and runs this; by hand:
//!
//! `cargo run --release -p asl --example jsonata_suite -- <suite-dir>`
//!
//! `JSONATA_SUITE_SHOW=n` prints up to n failing cases (default 40).
//!
//! What a case expects (as the jsonata-js runner reads it): `undefinedResult` (no value),
//! `result` (deep equality, numbers compared as numbers), `error` (an object whose `code`,
//! and `message` when given, must match) or `code` (the error code). Input is `data`, else
//! the dataset named by `dataset` (`null`: no input). `timelimit`/`depth` are not applied:
//! the evaluator's own bounds hold. An `error.token` cannot be checked (messages only).

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// A case ready to run, or the reason it could not be loaded.
struct Case {
    name: String,
    group: String,
    loaded: Result<Loaded, String>,
}

struct Loaded {
    expr: String,
    data: Option<Value>,
    bindings: Map<String, Value>,
    spec: Map<String, Value>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Fills in the expression and the input of one case spec.
fn load(spec: &Map<String, Value>, group_dir: &Path, suite: &Path) -> Result<Loaded, String> {
    let expr = match (spec.get("expr"), spec.get("expr-file")) {
        (_, Some(Value::String(f))) => std::fs::read_to_string(group_dir.join(f))
            .map_err(|e| format!("expr-file {f}: {e}"))?,
        (Some(Value::String(e)), _) => e.clone(),
        _ => return Err("no expression".into()),
    };
    let data = if let Some(d) = spec.get("data") {
        Some(d.clone())
    } else {
        match spec.get("dataset") {
            Some(Value::Null) => None,
            Some(Value::String(name)) => {
                Some(read_json(&suite.join("datasets").join(format!("{name}.json")))?)
            }
            _ => return Err("no data and no dataset".into()),
        }
    };
    let bindings = match spec.get("bindings") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    Ok(Loaded { expr, data, bindings, spec: spec.clone() })
}

fn collect(suite: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for group_dir in sorted_entries(&suite.join("groups")) {
        if !group_dir.is_dir() {
            continue;
        }
        let group = group_dir.file_name().unwrap().to_string_lossy().to_string();
        for file in sorted_entries(&group_dir) {
            if file.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let fname = file.file_name().unwrap().to_string_lossy().to_string();
            let specs = match read_json(&file) {
                Ok(Value::Array(items)) => items,
                Ok(one) => vec![one],
                Err(e) => {
                    let (name, loaded) = (format!("{group}/{fname}"), Err(e));
                    cases.push(Case { name, group: group.clone(), loaded });
                    continue;
                }
            };
            let several = specs.len() > 1;
            for (i, spec) in specs.iter().enumerate() {
                let name = if several { format!("{group}/{fname}[{i}]") } else { format!("{group}/{fname}") };
                let loaded = match spec {
                    Value::Object(m) => load(m, &group_dir, suite),
                    _ => Err("case is not an object".into()),
                };
                cases.push(Case { name, group: group.clone(), loaded });
            }
        }
    }
    cases
}

/// Deep equality where 1 and 1.0 are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

type Outcome = Result<Option<Value>, String>;

/// `None` when the outcome is what the case expects, else what was expected.
fn judge(spec: &Map<String, Value>, got: &Outcome) -> Option<String> {
    let code_of = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let expected_error = match spec.get("error") {
        Some(Value::Object(e)) => Some((code_of(e.get("code")), code_of(e.get("message")))),
        _ => code_of(spec.get("code")).map(|c| (Some(c), None)),
    };
    // A compile error counts against `code` whatever else the case says.
    if let (Err(m), Some(c)) = (got, code_of(spec.get("code"))) {
        return (!m.starts_with(&c)).then(|| format!("error {c}"));
    }
    if spec.contains_key("undefinedResult") {
        return (!matches!(got, Ok(None))).then(|| "undefined".into());
    }
    if let Some(want) = spec.get("result") {
        return (!matches!(got, Ok(Some(v)) if same(v, want))).then(|| want.to_string());
    }
    if let Some((code, message)) = expected_error {
        let ok = match got {
            Err(m) => {
                code.as_ref().is_none_or(|c| m.starts_with(c.as_str()))
                    && message.as_ref().is_none_or(|t| m.contains(t.as_str()))
            }
            Ok(_) => false,
        };
        let want = format!("error {}", code.or(message).unwrap_or_default());
        return (!ok).then_some(want);
    }
    Some("(nothing to test in this case)".into())
}

fn clip(s: &str, n: usize) -> String {
    let s = s.replace('\n', " ");
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn show(got: &Outcome) -> String {
    match got {
        Ok(None) => "undefined".into(),
        Ok(Some(v)) => v.to_string(),
        Err(m) => format!("error: {m}"),
    }
}

fn run(suite: &Path) {
    let show_max: usize =
        std::env::var("JSONATA_SUITE_SHOW").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let cases = collect(suite);
    // Quiet panics: a panic is reported as the case's failure, not on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let (mut passed, mut loadable, mut shown) = (0, 0, 0);
    let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in &cases {
        let tally = groups.entry(&case.group).or_default();
        tally.1 += 1;
        let (expected, got, expr) = match &case.loaded {
            Err(e) => (Some("a loadable case".to_string()), format!("not loaded: {e}"), ""),
            Ok(c) => {
                loadable += 1;
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    asl::jsonata::evaluate_plain(&c.expr, c.data.as_ref(), &c.bindings)
                }))
                .unwrap_or_else(|p| {
                    let what = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Err(format!("PANIC: {what}"))
                });
                (judge(&c.spec, &outcome), show(&outcome), c.expr.as_str())
            }
        };
        match expected {
            None => {
                passed += 1;
                tally.0 += 1;
            }
            Some(want) if shown < show_max => {
                shown += 1;
                println!("FAIL {}: {}", case.name, clip(expr.trim(), 100));
                println!("     expected: {}", clip(&want, 160));
                println!("     got:      {}", clip(&got, 160));
            }
            Some(_) => {}
        }
    }
    let failures = cases.len() - passed;
    if failures > shown {
        println!("... and {} more failing cases (JSONATA_SUITE_SHOW=n shows more)", failures - shown);
    }
    println!("\nGroups with failures (failed/total):");
    for (g, (p, n)) in groups.iter().filter(|(_, (p, n))| p != n) {
        println!("  {g:<36} {:>3}/{n}", n - p);
    }
    let total = cases.len();
    let rate = if total == 0 { 0.0 } else { 100.0 * passed as f64 / total as f64 };
    println!("\nJSONata 2.0.6 suite: {passed} of {total} cases passed ({rate:.1}%), {loadable} loadable");
}

fn main() {
    let Some(suite) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: jsonata_suite <suite-dir> (the jsonata-js test/test-suite folder)");
        std::process::exit(2);
    };
    if !suite.join("groups").is_dir() {
        eprintln!("no JSONata suite at {} (expected a groups/ folder)", suite.display());
        std::process::exit(2);
    }
    // Deeply nested expressions recurse deeply: give the evaluator a large stack.
    let worker = std::thread::Builder::new().stack_size(512 << 20).spawn(move || run(&suite));
    if worker.map(|h| h.join()).is_err() {
        eprintln!("the suite runner could not start");
    }
}
