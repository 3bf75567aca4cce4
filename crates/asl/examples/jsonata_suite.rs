//! Runs the JSONata test suite (jsonata-js `test/test-suite`) through the engine's evaluator
//! and prints the pass rate; `scripts/jsonata-suite.sh` fetches the suite and runs this. A
//! measurement: exits 0 whatever the rate (2: no suite). `JSONATA_SUITE_SHOW=n` lists up to
//! n failing cases (default 40).
//!
//! As in the jsonata-js runner, the input is `data`, else the named `dataset` (`null`: none),
//! and a case expects `undefinedResult`, a `result` (deep equality, 1 and 1.0 alike), an
//! `error` (its `code`, and `message` if given) or a `code`. Not applied: `timelimit`/`depth`
//! (the evaluator's own bounds hold) and `error.token` (errors are messages here).

use asl::jsonata::evaluate_plain;
use serde_json::Value;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// An expression and its input (`None`: undefined).
type Input = (String, Option<Value>);
type Outcome = Result<Option<Value>, String>;

struct Case {
    /// `group/file.json`, and `[i]` when the file holds several cases.
    name: String,
    spec: Value,
    loaded: Result<Input, String>,
}

/// Reads a JSON file. serde_json (built without `float_roundtrip` in this workspace) may
/// read a decimal one unit in the last place off (`90.57000000000001` as `90.57`), so each
/// decimal literal is read again exactly, in document order (objects keep their order:
/// jsonata-core turns on serde_json's `preserve_order`).
fn read_json(path: &Path) -> Result<Value, String> {
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| failed(&e))?;
    let mut v: Value = serde_json::from_str(&text).map_err(|e| failed(&e))?;
    let (mut literals, mut in_string, mut escaped, mut start) = (Vec::new(), false, false, None);
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        let numeric = matches!(c, '0'..='9' | '.' | 'e' | 'E' | '+' | '-');
        if let (Some(s), false) = (start, numeric) {
            literals.push(&text[s..i]);
            start = None;
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '-' | '0'..='9' if !in_string && start.is_none() => start = Some(i),
            _ => {}
        }
    }
    // Each number takes the next literal if that is a decimal within a rounding step of it.
    fn exact<'t>(v: &mut Value, literals: &mut impl Iterator<Item = &'t str>) {
        match v {
            Value::Number(n) => {
                let (lit, near) = (literals.next().unwrap_or(""), n.as_f64().unwrap_or(0.0));
                let x: f64 = lit.parse().unwrap_or(f64::NAN);
                if lit.contains(['.', 'e', 'E']) && (x - near).abs() <= near.abs() * 1e-15 {
                    *n = serde_json::Number::from_f64(x).unwrap_or(n.clone());
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| exact(x, literals)),
            Value::Object(m) => m.values_mut().for_each(|x| exact(x, literals)),
            _ => {}
        }
    }
    exact(&mut v, &mut literals.into_iter());
    Ok(v)
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
    let mut v: Vec<PathBuf> = entries.map(|e| e.path()).collect();
    v.sort();
    v
}

fn load(spec: &Value, group_dir: &Path, suite: &Path) -> Result<Input, String> {
    let expr = match (spec.get("expr"), spec.get("expr-file")) {
        (_, Some(Value::String(f))) => {
            std::fs::read_to_string(group_dir.join(f)).map_err(|e| format!("{f}: {e}"))?
        }
        (Some(Value::String(e)), _) => e.clone(),
        _ => return Err("no expression".into()),
    };
    let datasets = suite.join("datasets");
    let data = match (spec.get("data"), spec.get("dataset")) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(Value::Null)) => None,
        (None, Some(Value::String(n))) => Some(read_json(&datasets.join(format!("{n}.json")))?),
        _ => return Err("no data and no dataset".into()),
    };
    Ok((expr, data))
}

fn collect(suite: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for group_dir in sorted_entries(&suite.join("groups")) {
        let group = group_dir.file_name().unwrap().to_string_lossy().to_string();
        for file in sorted_entries(&group_dir) {
            let id = format!("{group}/{}", file.file_name().unwrap().to_string_lossy());
            if !id.ends_with(".json") {
                continue;
            }
            let specs = match read_json(&file) {
                Ok(Value::Array(items)) => items.into_iter().map(Ok).collect(),
                other => vec![other], // one case, or a file that cannot be read
            };
            let many = specs.len() > 1;
            for (i, spec) in specs.into_iter().enumerate() {
                let name = format!("{id}{}", if many { format!("[{i}]") } else { "".into() });
                let loaded = spec.clone().and_then(|s| load(&s, &group_dir, suite));
                let spec = spec.unwrap_or_default();
                cases.push(Case { name, spec, loaded });
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

/// Whether error message `m` carries `code`. U1001 is the jsonata-js runner's code for its own
/// time and depth box; the evaluator's bounds say D1011 (stack) or D1012 (time).
fn has_code(m: &str, code: &str, spec: &Value) -> bool {
    let boxed = spec.get("timelimit").is_some() && spec.get("depth").is_some();
    m.starts_with(code)
        || (boxed && code == "U1001" && (m.starts_with("D1011") || m.starts_with("D1012")))
}

/// `None` when the outcome is what the case expects, else what was expected.
fn judge(spec: &Value, got: &Outcome) -> Option<String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    // An error counts against `code` whatever else the case says (as a compile error does).
    if let (Err(m), Some(c)) = (got, text(spec.get("code"))) {
        return (!has_code(m, &c, spec)).then(|| format!("error {c}"));
    }
    if spec.get("undefinedResult").is_some() {
        return (!matches!(got, Ok(None))).then(|| "undefined".into());
    }
    if let Some(want) = spec.get("result") {
        return (!matches!(got, Ok(Some(v)) if same(v, want))).then(|| want.to_string());
    }
    if let Some(e) = spec.get("error") {
        let (code, message) = (text(e.get("code")), text(e.get("message")));
        let ok = got.as_ref().is_err_and(|m| {
            code.as_ref().is_none_or(|c| has_code(m, c, spec))
                && message.as_ref().is_none_or(|t| m.contains(t.as_str()))
        });
        return (!ok).then(|| format!("error {}", code.or(message).unwrap_or_default()));
    }
    let code = text(spec.get("code"));
    Some(code.map_or("(nothing to test)".into(), |c| format!("error {c}")))
}

/// Evaluates with a panic guard: a panic is this case's failure, not the run's end.
fn evaluate(spec: &Value, (expr, data): &Input) -> Outcome {
    let bindings = spec["bindings"].as_object().cloned().unwrap_or_default();
    let guarded = AssertUnwindSafe(|| evaluate_plain(expr, data.as_ref(), &bindings));
    catch_unwind(guarded).unwrap_or_else(|p| {
        let what = (p.downcast_ref::<String>().cloned())
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
        Err(format!("PANIC: {}", what.unwrap_or_default()))
    })
}

fn clip(s: &str, n: usize) -> String {
    let s = s.replace('\n', " ");
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn run(suite: &Path) {
    let show = std::env::var("JSONATA_SUITE_SHOW");
    let show_max: usize = show.map_or(40, |s| s.parse().unwrap_or(40));
    let cases = collect(suite);
    std::panic::set_hook(Box::new(|_| {})); // panics are reported with their case
    let (mut passed, mut loadable, mut shown) = (0, 0, 0);
    let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in &cases {
        let (expected, got) = match &case.loaded {
            Err(e) => (Some("a loadable case".into()), format!("not loaded: {e}")),
            Ok(input) => {
                loadable += 1;
                let outcome = evaluate(&case.spec, input);
                let got = match &outcome {
                    Ok(None) => "undefined".into(),
                    Ok(Some(v)) => v.to_string(),
                    Err(m) => format!("error: {m}"),
                };
                (judge(&case.spec, &outcome), got)
            }
        };
        let group = case.name.split('/').next().unwrap_or_default();
        let tally = groups.entry(group).or_default();
        tally.1 += 1;
        let Some(want) = expected else {
            (passed, tally.0) = (passed + 1, tally.0 + 1);
            continue;
        };
        if shown < show_max {
            shown += 1;
            let expr = case.loaded.as_ref().map_or("", |(e, _)| e.trim());
            println!("FAIL {}: {}", case.name, clip(expr, 100));
            println!("     expected: {}", clip(&want, 160));
            println!("     got:      {}", clip(&got, 160));
        }
    }
    let (total, failed) = (cases.len(), cases.len() - passed);
    if failed > shown {
        println!("... and {} more", failed - shown);
    }
    println!("\nGroups with failures (failed/total):");
    for (g, (p, n)) in groups.iter().filter(|(_, (p, n))| p != n) {
        println!("  {g:<36} {:>3}/{n}", n - p);
    }
    let rate = 100.0 * passed as f64 / total.max(1) as f64;
    println!(
        "\nJSONata 2.0.6 suite: {passed} of {total} cases passed ({rate:.1}%), {loadable} loadable"
    );
}

fn main() {
    let suite = PathBuf::from(std::env::args().nth(1).unwrap_or_default());
    if !suite.join("groups").is_dir() {
        eprintln!("usage: jsonata_suite <suite-dir> (jsonata-js test/test-suite, with groups/)");
        std::process::exit(2);
    }
    // Deeply nested expressions recurse deeply: give the evaluator a large stack.
    let worker = std::thread::Builder::new().stack_size(512 << 20);
    let runner = worker.spawn(move || run(&suite)).expect("a runner thread");
    if runner.join().is_err() {
        eprintln!("the runner stopped on a panic outside the evaluator");
    }
}
