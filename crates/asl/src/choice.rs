//! Choice rules: compiled comparison trees.

use crate::fault::Fault;
use crate::paths::{Env, Path};
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Num,
    Bool,
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
    Matches,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the ASL operator names
pub(crate) enum Test {
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Lit(Value),
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare {
        var: Path,
        kind: Kind,
        cmp: Cmp,
        operand: Operand,
    },
    Test {
        var: Path,
        test: Test,
        expect: bool,
    },
}

const COMPARATORS: &[(&str, Kind, Cmp)] = &[
    ("StringEquals", Kind::Str, Cmp::Eq),
    ("StringLessThan", Kind::Str, Cmp::Lt),
    ("StringGreaterThan", Kind::Str, Cmp::Gt),
    ("StringLessThanEquals", Kind::Str, Cmp::Le),
    ("StringGreaterThanEquals", Kind::Str, Cmp::Ge),
    ("StringMatches", Kind::Str, Cmp::Matches),
    ("NumericEquals", Kind::Num, Cmp::Eq),
    ("NumericLessThan", Kind::Num, Cmp::Lt),
    ("NumericGreaterThan", Kind::Num, Cmp::Gt),
    ("NumericLessThanEquals", Kind::Num, Cmp::Le),
    ("NumericGreaterThanEquals", Kind::Num, Cmp::Ge),
    ("BooleanEquals", Kind::Bool, Cmp::Eq),
    ("TimestampEquals", Kind::Time, Cmp::Eq),
    ("TimestampLessThan", Kind::Time, Cmp::Lt),
    ("TimestampGreaterThan", Kind::Time, Cmp::Gt),
    ("TimestampLessThanEquals", Kind::Time, Cmp::Le),
    ("TimestampGreaterThanEquals", Kind::Time, Cmp::Ge),
];

const TESTS: &[(&str, Test)] = &[
    ("IsNull", Test::IsNull),
    ("IsPresent", Test::IsPresent),
    ("IsNumeric", Test::IsNumeric),
    ("IsString", Test::IsString),
    ("IsBoolean", Test::IsBoolean),
    ("IsTimestamp", Test::IsTimestamp),
];

/// ASL timestamps: RFC 3339 with an uppercase `T` and a zone.
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    if !s.contains('T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

/// Compiles one rule; `top` rules must have `Next` (checked by the caller), nested ones must not.
pub(crate) fn compile(v: &Value, loc: &str, errs: &mut Vec<(String, String)>) -> Option<Rule> {
    let Some(m) = v.as_object() else {
        errs.push((loc.to_string(), "a Choice rule must be an object".into()));
        return None;
    };
    let mut found: Vec<Rule> = Vec::new();
    let mut ops = 0;
    for (k, val) in m {
        let (is_op, rule) = compile_field(m, loc, k, val, errs);
        ops += usize::from(is_op);
        found.extend(rule);
    }
    if ops != 1 {
        errs.push((
            loc.to_string(),
            format!("a Choice rule must have exactly one comparison operator or And/Or/Not, found {ops}"),
        ));
        return None;
    }
    if found.len() == 1
        && !matches!(found[0], Rule::Compare { .. } | Rule::Test { .. })
        && m.contains_key("Variable")
    {
        errs.push((
            format!("{loc}/Variable"),
            "'Variable' is not allowed with And/Or/Not".into(),
        ));
    }
    found.pop()
}

/// What one field of a rule object contributes: whether it is an operator (a rule has
/// exactly one), and the rule it makes when it is a valid one.
fn compile_field(
    m: &Map<String, Value>,
    loc: &str,
    k: &str,
    val: &Value,
    errs: &mut Vec<(String, String)>,
) -> (bool, Option<Rule>) {
    let l = format!("{loc}/{k}");
    match k {
        "Next" | "Comment" | "Variable" => (false, None),
        "And" | "Or" => (true, compile_list(k, val, &l, errs)),
        "Not" => (
            true,
            compile_nested(val, &l, errs).map(|r| Rule::Not(Box::new(r))),
        ),
        name => {
            if let Some(made) = compile_comparison(m, loc, name, val, errs) {
                return (true, made);
            }
            if let Some(&(_, test)) = TESTS.iter().find(|(n, _)| *n == name) {
                let Some(expect) = val.as_bool() else {
                    errs.push((l, format!("the value of '{name}' must be a boolean")));
                    return (true, None);
                };
                let rule = variable(m, loc, errs).map(|var| Rule::Test { var, test, expect });
                return (true, rule);
            }
            errs.push((l, format!("'{name}' is not a valid Choice rule field")));
            (false, None)
        }
    }
}

/// `And` / `Or` (at `l`): a non-empty array of nested rules.
fn compile_list(k: &str, val: &Value, l: &str, errs: &mut Vec<(String, String)>) -> Option<Rule> {
    let Some(a) = val.as_array().filter(|a| !a.is_empty()) else {
        errs.push((
            l.to_string(),
            format!("'{k}' must be a non-empty array of rules"),
        ));
        return None;
    };
    let rules: Vec<Rule> = a
        .iter()
        .enumerate()
        .filter_map(|(i, r)| compile_nested(r, &format!("{l}/{i}"), errs))
        .collect();
    Some(if k == "And" {
        Rule::And(rules)
    } else {
        Rule::Or(rules)
    })
}

/// A comparison (`StringEquals`, `NumericLessThanPath` ...): None if `name` is not one;
/// otherwise the rule, when its operand and `Variable` are valid.
fn compile_comparison(
    m: &Map<String, Value>,
    loc: &str,
    name: &str,
    val: &Value,
    errs: &mut Vec<(String, String)>,
) -> Option<Option<Rule>> {
    let (base, is_path) = match name.strip_suffix("Path") {
        Some(b) => (b, true),
        None => (name, false),
    };
    let &(_, kind, cmp) = COMPARATORS.iter().find(|(n, ..)| *n == base)?;
    let l = format!("{loc}/{name}");
    if is_path && cmp == Cmp::Matches {
        errs.push((l, format!("'{name}' is not a valid comparison operator")));
        return Some(None);
    }
    let operand = match is_path {
        true => path_operand(name, val, l, errs),
        false => literal_operand(name, kind, val, l, errs),
    };
    let Some(operand) = operand else {
        return Some(None);
    };
    Some(variable(m, loc, errs).map(|var| Rule::Compare {
        var,
        kind,
        cmp,
        operand,
    }))
}

/// The operand of a `…Path` comparison: a JSONPath.
fn path_operand(
    name: &str,
    val: &Value,
    l: String,
    errs: &mut Vec<(String, String)>,
) -> Option<Operand> {
    match val.as_str().and_then(Path::parse) {
        Some(p) => Some(Operand::Path(p)),
        None => {
            errs.push((l, format!("the value of '{name}' must be a valid JSONPath")));
            None
        }
    }
}

/// The literal operand of a comparison: of the comparison's type.
fn literal_operand(
    name: &str,
    kind: Kind,
    val: &Value,
    l: String,
    errs: &mut Vec<(String, String)>,
) -> Option<Operand> {
    let (ok, want) = match kind {
        Kind::Str => (val.is_string(), "a string"),
        Kind::Num => (val.is_number(), "a number"),
        Kind::Bool => (val.is_boolean(), "a boolean"),
        Kind::Time => (
            val.as_str().and_then(parse_timestamp).is_some(),
            "an RFC 3339 timestamp string",
        ),
    };
    if !ok {
        errs.push((l, format!("the value of '{name}' must be {want}")));
        return None;
    }
    Some(Operand::Lit(val.clone()))
}

fn compile_nested(v: &Value, loc: &str, errs: &mut Vec<(String, String)>) -> Option<Rule> {
    if v.get("Next").is_some() {
        errs.push((
            format!("{loc}/Next"),
            "a nested Choice rule must not have 'Next'".into(),
        ));
    }
    compile(v, loc, errs)
}

fn variable(
    m: &serde_json::Map<String, Value>,
    loc: &str,
    errs: &mut Vec<(String, String)>,
) -> Option<Path> {
    match m.get("Variable") {
        None => {
            errs.push((
                loc.to_string(),
                "a comparison needs a 'Variable' field".into(),
            ));
            None
        }
        Some(v) => match v.as_str().and_then(Path::parse) {
            Some(p) => Some(p),
            None => {
                errs.push((
                    format!("{loc}/Variable"),
                    "'Variable' must be a valid JSONPath".into(),
                ));
                None
            }
        },
    }
}

/// `*` matches any run of characters; `\*` and `\\` are literal.
fn string_matches(s: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum T {
        C(char),
        Star,
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => toks.push(T::C(it.next().unwrap_or('\\'))),
            '*' => toks.push(T::Star),
            c => toks.push(T::C(c)),
        }
    }
    let s: Vec<char> = s.chars().collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if j < toks.len() && toks[j] == T::C(s[i]) {
            i += 1;
            j += 1;
        } else if j < toks.len() && toks[j] == T::Star {
            star = Some((j, i));
            j += 1;
        } else if let Some((sj, si)) = star {
            j = sj + 1;
            i = si + 1;
            star = Some((sj, si + 1));
        } else {
            return false;
        }
    }
    while j < toks.len() && toks[j] == T::Star {
        j += 1;
    }
    j == toks.len()
}

fn ord_ok(cmp: Cmp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match cmp {
        Cmp::Eq => o == Equal,
        Cmp::Lt => o == Less,
        Cmp::Gt => o == Greater,
        Cmp::Le => o != Greater,
        Cmp::Ge => o != Less,
        Cmp::Matches => false,
    }
}

impl Rule {
    pub fn eval(&self, input: &Value, env: &Env) -> Result<bool, Fault> {
        match self {
            Rule::And(rs) => {
                for r in rs {
                    if !r.eval(input, env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rs) => {
                for r in rs {
                    if r.eval(input, env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(r) => Ok(!r.eval(input, env)?),
            Rule::Test { var, test, expect } => {
                let v = var.select(input, env);
                let got = match test {
                    Test::IsPresent => v.is_some(),
                    Test::IsNull => matches!(v, Some(Value::Null)),
                    Test::IsNumeric => matches!(v, Some(Value::Number(_))),
                    Test::IsString => matches!(v, Some(Value::String(_))),
                    Test::IsBoolean => matches!(v, Some(Value::Bool(_))),
                    Test::IsTimestamp => v
                        .as_ref()
                        .and_then(|v| v.as_str())
                        .and_then(parse_timestamp)
                        .is_some(),
                };
                Ok(got == *expect)
            }
            Rule::Compare {
                var,
                kind,
                cmp,
                operand,
            } => {
                let v = var.select(input, env).ok_or_else(|| {
                    Fault::runtime(format!("Invalid path '{}': The choice state's condition path references an invalid value.", var.text))
                })?;
                let rhs = match operand {
                    Operand::Lit(x) => x.clone(),
                    Operand::Path(p) => p.select(input, env).ok_or_else(|| {
                        Fault::runtime(format!("Invalid path '{}': The choice state's condition path references an invalid value.", p.text))
                    })?,
                };
                Ok(match kind {
                    Kind::Str => match (v.as_str(), rhs.as_str()) {
                        (Some(a), Some(b)) if *cmp == Cmp::Matches => string_matches(a, b),
                        (Some(a), Some(b)) => ord_ok(*cmp, a.cmp(b)),
                        _ => false,
                    },
                    Kind::Num => match (v.as_f64(), rhs.as_f64()) {
                        (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(|o| ord_ok(*cmp, o)),
                        _ => false,
                    },
                    Kind::Bool => match (v.as_bool(), rhs.as_bool()) {
                        (Some(a), Some(b)) => a == b,
                        _ => false,
                    },
                    Kind::Time => match (
                        v.as_str().and_then(parse_timestamp),
                        rhs.as_str().and_then(parse_timestamp),
                    ) {
                        (Some(a), Some(b)) => ord_ok(*cmp, a.cmp(&b)),
                        _ => false,
                    },
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("a*b", "a\\*b"));
        assert!(!string_matches("axb", "a\\*b"));
        assert!(string_matches("", "*"));
        assert!(!string_matches("abc", "*d"));
    }
}
