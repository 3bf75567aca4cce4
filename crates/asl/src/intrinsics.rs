//! Intrinsic functions (`States.Format(...)` etc.): parsed at definition time, evaluated
//! against the state input and the context object.

use crate::fault::Fault;
use crate::paths::{Env, Path};
use base64::Engine as _;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// String literal: `raw` keeps backslash escapes (States.Format needs `\{` vs `{`).
    Str {
        raw: String,
    },
    Lit(Value),
    Path(Path),
    Call(Box<Call>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Func {
    fn by_name(n: &str) -> Option<(Func, usize, usize)> {
        use Func::*;
        Some(match n {
            "States.Format" => (Format, 1, usize::MAX),
            "States.StringToJson" => (StringToJson, 1, 1),
            "States.JsonToString" => (JsonToString, 1, 1),
            "States.Array" => (Array, 0, usize::MAX),
            "States.ArrayPartition" => (ArrayPartition, 2, 2),
            "States.ArrayContains" => (ArrayContains, 2, 2),
            "States.ArrayRange" => (ArrayRange, 3, 3),
            "States.ArrayGetItem" => (ArrayGetItem, 2, 2),
            "States.ArrayLength" => (ArrayLength, 1, 1),
            "States.ArrayUnique" => (ArrayUnique, 1, 1),
            "States.Base64Encode" => (Base64Encode, 1, 1),
            "States.Base64Decode" => (Base64Decode, 1, 1),
            "States.Hash" => (Hash, 2, 2),
            "States.JsonMerge" => (JsonMerge, 3, 3),
            "States.MathRandom" => (MathRandom, 2, 3),
            "States.MathAdd" => (MathAdd, 2, 2),
            "States.StringSplit" => (StringSplit, 2, 2),
            "States.UUID" => (Uuid, 0, 0),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub name: String,
    func: Func,
    args: Vec<Arg>,
}

/// Whether a `.$` value is meant as an intrinsic call rather than a path.
pub(crate) fn looks_like_call(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
    /// How many calls enclose the one being read.
    depth: usize,
}

/// Deepest nesting of intrinsic calls a definition may use.
const MAX_NESTING: usize = 32;

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.s[self.i..].starts_with(' ') {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }

    fn call(&mut self) -> Result<Call, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!(
                "intrinsic functions are nested more than {MAX_NESTING} deep"
            ));
        }
        let c = self.call_here();
        self.depth -= 1;
        c
    }

    fn call_here(&mut self) -> Result<Call, String> {
        self.ws();
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '.' {
                self.i += 1;
            } else {
                break;
            }
        }
        let name = self.s[start..self.i].to_string();
        let Some((func, min, max)) = Func::by_name(&name) else {
            return Err(format!("unknown intrinsic function '{name}'"));
        };
        self.ws();
        if self.peek() != Some('(') {
            return Err(format!("expected '(' after {name}"));
        }
        self.i += 1;
        let mut args = Vec::new();
        self.ws();
        if self.peek() == Some(')') {
            self.i += 1;
        } else {
            loop {
                args.push(self.arg()?);
                self.ws();
                match self.peek() {
                    Some(',') => self.i += 1,
                    Some(')') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(format!("expected ',' or ')' in arguments of {name}")),
                }
            }
        }
        if args.len() < min || args.len() > max {
            return Err(format!(
                "{name} takes {} arguments, got {}",
                arity(min, max),
                args.len()
            ));
        }
        Ok(Call { name, func, args })
    }

    /// One argument: a string literal, a path, a number, `true`/`false`/`null`, or a
    /// nested call.
    fn arg(&mut self) -> Result<Arg, String> {
        self.ws();
        let rest = &self.s[self.i..];
        let (arg, used) = match self.peek() {
            Some('\'') => string_arg(rest)?,
            Some('$') => path_arg(rest)?,
            Some(c) if c.is_ascii_digit() || c == '-' => number_arg(rest)?,
            _ => {
                if let Some((arg, used)) = word_arg(rest) {
                    (arg, used)
                } else if rest.starts_with("States.") {
                    return Ok(Arg::Call(Box::new(self.call()?)));
                } else {
                    return Err(format!("unexpected argument at '{rest}'"));
                }
            }
        };
        self.i += used;
        Ok(arg)
    }
}

/// A string literal at the start of `rest` (which opens with its quote), kept raw (its
/// escapes are read when it is used); with the length it takes.
fn string_arg(rest: &str) -> Result<(Arg, usize), String> {
    let mut raw = String::new();
    let mut it = rest.char_indices().skip(1);
    while let Some((k, c)) = it.next() {
        match c {
            '\\' => {
                let Some((_, n)) = it.next() else {
                    return Err("unterminated string literal".into());
                };
                // The only escapes an intrinsic string has: \' \{ \} \\.
                if !matches!(n, '\'' | '{' | '}' | '\\') {
                    return Err(format!("illegal escape sequence '\\{n}'"));
                }
                raw.push('\\');
                raw.push(n);
            }
            '\'' => return Ok((Arg::Str { raw }, k + 1)),
            c => raw.push(c),
        }
    }
    Err("unterminated string literal".into())
}

/// A path at the start of `rest`: up to the `,` or `)` that ends the argument (not one
/// inside brackets or quotes).
fn path_arg(rest: &str) -> Result<(Arg, usize), String> {
    let mut depth = 0i32;
    let mut end = rest.len();
    let mut quote: Option<char> = None;
    for (k, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth -= 1,
            (None, ',' | ')') if depth <= 0 => {
                end = k;
                break;
            }
            _ => {}
        }
    }
    let text = rest[..end].trim_end();
    let p = Path::parse(text).ok_or_else(|| format!("invalid path '{text}'"))?;
    Ok((Arg::Path(p), end))
}

/// A JSON number at the start of `rest`.
fn number_arg(rest: &str) -> Result<(Arg, usize), String> {
    let end = rest
        .find(|ch: char| !(ch.is_ascii_digit() || matches!(ch, '-' | '+' | '.' | 'e' | 'E')))
        .unwrap_or(rest.len());
    let n: serde_json::Number = serde_json::from_str(&rest[..end])
        .map_err(|_| format!("invalid number '{}'", &rest[..end]))?;
    Ok((Arg::Lit(Value::Number(n)), end))
}

/// `true`, `false` or `null` at the start of `rest`.
fn word_arg(rest: &str) -> Option<(Arg, usize)> {
    [
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("null", Value::Null),
    ]
    .into_iter()
    .find(|(word, _)| rest.starts_with(word))
    .map(|(word, v)| (Arg::Lit(v), word.len()))
}

fn arity(min: usize, max: usize) -> String {
    if min == max {
        min.to_string()
    } else if max == usize::MAX {
        format!("at least {min}")
    } else {
        format!("{min} to {max}")
    }
}

/// Parses a whole `.$` value as one intrinsic call.
pub(crate) fn parse(s: &str) -> Result<Call, String> {
    let mut p = Parser { s, i: 0, depth: 0 };
    let c = p.call()?;
    p.ws();
    if p.i != s.len() {
        return Err(format!("unexpected text after {}(...)", c.name));
    }
    Ok(c)
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn as_int(v: &Value, what: &str, f: &str) -> Result<i64, Fault> {
    match v.as_i64() {
        Some(n) => Ok(n),
        None => match v.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Ok(x as i64),
            _ => Err(Fault::intrinsic(format!(
                "{f}: {what} must be an integer, got {v}"
            ))),
        },
    }
}

/// Parses JSON text as Step Functions reads it: the literal `-0` is the integer 0 (serde
/// reads it as the float -0.0, which would print as `-0.0`).
pub fn parse_json_text(s: &str) -> Result<Value, serde_json::Error> {
    fn fix(v: &mut Value) {
        match v {
            Value::Number(n) if n.as_f64().is_some_and(|x| x == 0.0 && x.is_sign_negative()) => {
                *v = Value::from(0)
            }
            Value::Array(a) => a.iter_mut().for_each(fix),
            Value::Object(m) => m.values_mut().for_each(fix),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_str(s)?;
    if s.contains("-0") {
        fix(&mut v);
    }
    Ok(v)
}

/// A number rounded as Java's `Math.round` rounds it (half up: 2.5 is 3, -2.5 is -2).
fn java_round(v: &Value, what: &str, f: &str) -> Result<i64, Fault> {
    if let Some(n) = v.as_i64() {
        return Ok(n);
    }
    match v.as_f64() {
        Some(x) if x.is_finite() && x.abs() < 9.0e18 => Ok((x + 0.5).floor() as i64),
        _ => Err(Fault::intrinsic(format!(
            "{f}: {what} must be a number, got {v}"
        ))),
    }
}

fn as_str<'v>(v: &'v Value, what: &str, f: &str) -> Result<&'v str, Fault> {
    v.as_str()
        .ok_or_else(|| Fault::intrinsic(format!("{f}: {what} must be a string, got {v}")))
}

fn as_arr<'v>(v: &'v Value, what: &str, f: &str) -> Result<&'v Vec<Value>, Fault> {
    v.as_array()
        .ok_or_else(|| Fault::intrinsic(format!("{f}: {what} must be an array, got {v}")))
}

/// A value as text: a string as it is, anything else as JSON.
pub(crate) fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Call {
    pub fn eval(&self, input: &Value, env: &Env) -> Result<Value, Fault> {
        let f = self.name.as_str();
        let vals = self.arg_values(input, env)?;
        use Func::*;
        match self.func {
            Format => format(&self.format_template(&vals[0], f)?, &vals[1..]),
            StringToJson => string_to_json(f, &vals),
            JsonToString => Ok(Value::String(vals[0].to_string())),
            Array => Ok(Value::Array(vals)),
            ArrayPartition => array_partition(f, &vals),
            ArrayContains => {
                let a = as_arr(&vals[0], "the first argument", f)?;
                Ok(Value::Bool(a.contains(&vals[1])))
            }
            ArrayRange => array_range(f, &vals),
            ArrayGetItem => array_get_item(f, &vals),
            ArrayLength => Ok(Value::from(as_arr(&vals[0], "the argument", f)?.len())),
            ArrayUnique => array_unique(f, &vals),
            Base64Encode => {
                let s = as_str(&vals[0], "the argument", f)?;
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(s),
                ))
            }
            Base64Decode => base64_decode(f, &vals),
            Hash => {
                let data = to_text(&vals[0]);
                let algo = as_str(&vals[1], "the algorithm", f)?;
                hash(&data, algo).map(Value::String)
            }
            JsonMerge => json_merge(f, &vals),
            MathRandom => math_random(f, &vals),
            MathAdd => math_add(f, &vals),
            StringSplit => string_split(f, &vals),
            Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        }
    }

    /// The arguments' values, in order (nested calls evaluated first).
    fn arg_values(&self, input: &Value, env: &Env) -> Result<Vec<Value>, Fault> {
        let mut vals = Vec::with_capacity(self.args.len());
        for a in &self.args {
            vals.push(match a {
                Arg::Str { raw } => Value::String(unescape(raw)),
                Arg::Lit(v) => v.clone(),
                Arg::Path(p) => p.select(input, env).ok_or_else(|| {
                    Fault::runtime(format!(
                        "The JsonPath argument for the field '{}' could not be found in the input",
                        p.text
                    ))
                })?,
                Arg::Call(c) => c.eval(input, env)?,
            });
        }
        Ok(vals)
    }

    /// States.Format's template: the raw text of a literal (its escapes are read while
    /// formatting), or the value of a path or call with its backslashes escaped.
    fn format_template(&self, first: &Value, f: &str) -> Result<String, Fault> {
        match &self.args[0] {
            Arg::Str { raw } => Ok(raw.clone()),
            _ => Ok(as_str(first, "the template", f)?.replace('\\', "\\\\")),
        }
    }
}

fn string_to_json(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let s = as_str(&vals[0], "the argument", f)?;
    // An empty or blank string is null, as on AWS.
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    parse_json_text(s).map_err(|e| Fault::intrinsic(format!("{f}: invalid JSON: {e}")))
}

fn array_partition(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let a = as_arr(&vals[0], "the first argument", f)?;
    let n = as_int(&vals[1], "the chunk size", f)?;
    if n <= 0 {
        return Err(Fault::intrinsic(format!(
            "{f}: the chunk size must be positive"
        )));
    }
    Ok(Value::Array(
        a.chunks(n as usize)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    ))
}

/// States.ArrayRange: start to end (inclusive) by step, at most 1000 items.
fn array_range(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let start = as_int(&vals[0], "the start", f)?;
    let end = as_int(&vals[1], "the end", f)?;
    let step = as_int(&vals[2], "the step", f)?;
    if step == 0 {
        return Err(Fault::intrinsic(format!("{f}: the step must not be 0")));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0 && x <= end) || (step < 0 && x >= end) {
        if out.len() >= 1000 {
            return Err(Fault::intrinsic(format!(
                "{f}: the range has more than 1000 items"
            )));
        }
        out.push(Value::from(x));
        match x.checked_add(step) {
            Some(n) => x = n,
            None => break,
        }
    }
    Ok(Value::Array(out))
}

fn array_get_item(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let a = as_arr(&vals[0], "the first argument", f)?;
    let i = as_int(&vals[1], "the index", f)?;
    usize::try_from(i)
        .ok()
        .and_then(|i| a.get(i))
        .cloned()
        .ok_or_else(|| Fault::intrinsic(format!("{f}: index {i} is out of bounds")))
}

fn array_unique(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let a = as_arr(&vals[0], "the argument", f)?;
    let mut out: Vec<Value> = Vec::new();
    for v in a {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(Value::Array(out))
}

fn base64_decode(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let s = as_str(&vals[0], "the argument", f)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| Fault::intrinsic(format!("{f}: invalid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| Fault::intrinsic(format!("{f}: the decoded data is not UTF-8")))
}

/// States.JsonMerge: the second object's keys over the first's (shallow merge only).
fn json_merge(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let a = vals[0]
        .as_object()
        .ok_or_else(|| Fault::intrinsic(format!("{f}: the first argument must be an object")))?;
    let b = vals[1]
        .as_object()
        .ok_or_else(|| Fault::intrinsic(format!("{f}: the second argument must be an object")))?;
    if vals[2] != Value::Bool(false) {
        return Err(Fault::intrinsic(format!(
            "{f}: only shallow merge (false) is supported"
        )));
    }
    let mut out: Map<String, Value> = a.clone();
    for (k, v) in b {
        out.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(out))
}

/// States.MathRandom: start (inclusive) to end (exclusive); with a seed, the number
/// java.util.Random gives. Non-integer bounds are rounded, as Java's Math.round rounds them.
fn math_random(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    use rand::Rng;
    let start = java_round(&vals[0], "the start", f)?;
    let end = java_round(&vals[1], "the end", f)?;
    if end <= start {
        return Err(Fault::intrinsic(format!(
            "{f}: the end must be greater than the start"
        )));
    }
    let span = i32::try_from(end - start)
        .map_err(|_| Fault::intrinsic(format!("{f}: the range is larger than 2^31")))?;
    let n = match vals.get(2) {
        Some(seed) => {
            let seed = java_round(seed, "the seed", f)?;
            i64::from(crate::java_random::JavaRandom::new(seed).next_int(span))
        }
        None => i64::from(rand::rng().random_range(0..span)),
    };
    Ok(Value::from(start + n))
}

/// States.MathAdd: each argument rounded on its own (Java's Math.round), then added.
fn math_add(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let a = java_round(&vals[0], "the first argument", f)?;
    let b = java_round(&vals[1], "the second argument", f)?;
    a.checked_add(b)
        .map(Value::from)
        .ok_or_else(|| Fault::intrinsic(format!("{f}: overflow")))
}

fn string_split(f: &str, vals: &[Value]) -> Result<Value, Fault> {
    let s = as_str(&vals[0], "the string", f)?;
    let d = as_str(&vals[1], "the delimiters", f)?;
    Ok(Value::Array(
        s.split(|c| d.contains(c))
            .filter(|p| !p.is_empty())
            .map(|p| Value::String(p.to_string()))
            .collect(),
    ))
}

/// How States.Format prints a value: strings as they are, objects and arrays the way
/// Java prints maps and lists (`{a=1, b=[x, true]}`), not as JSON.
fn java_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(java_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{k}={}", java_text(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn format(template: &str, args: &[Value]) -> Result<Value, Fault> {
    let mut out = String::with_capacity(template.len());
    let mut it = template.chars().peekable();
    let mut used = 0;
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(n) = it.next() {
                    out.push(n);
                }
            }
            '{' if it.peek() == Some(&'}') => {
                it.next();
                let Some(v) = args.get(used) else {
                    return Err(Fault::intrinsic(
                        "States.Format: more placeholders than arguments",
                    ));
                };
                out.push_str(&java_text(v));
                used += 1;
            }
            '{' | '}' => {
                return Err(Fault::intrinsic(format!(
                    "States.Format: unescaped '{c}' in the template"
                )))
            }
            c => out.push(c),
        }
    }
    if used != args.len() {
        return Err(Fault::intrinsic(
            "States.Format: the number of arguments does not match the placeholders",
        ));
    }
    Ok(Value::String(out))
}

fn hash(data: &str, algo: &str) -> Result<String, Fault> {
    hash_hex(data, algo).ok_or_else(|| {
        Fault::intrinsic(format!(
            "States.Hash: unsupported algorithm '{algo}' (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"
        ))
    })
}

/// The hex digest of `data` with one of the algorithms Step Functions offers.
pub(crate) fn hash_hex(data: &str, algo: &str) -> Option<String> {
    use sha2::Digest;
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    Some(match algo {
        "MD5" => hex(&md5::Md5::digest(data.as_bytes())),
        "SHA-1" => hex(&sha1::Sha1::digest(data.as_bytes())),
        "SHA-256" => hex(&sha2::Sha256::digest(data.as_bytes())),
        "SHA-384" => hex(&sha2::Sha384::digest(data.as_bytes())),
        "SHA-512" => hex(&sha2::Sha512::digest(data.as_bytes())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(s: &str, input: Value) -> Result<Value, Fault> {
        parse(s).unwrap().eval(
            &input,
            &crate::paths::Env::new(json!({}), &Default::default()),
        )
    }

    #[test]
    fn nested_and_escaped() {
        assert_eq!(
            ev(
                "States.Format('Hi \\{{}\\} \\'x\\'', States.ArrayLength($.a))",
                json!({"a": [1, 2]})
            )
            .unwrap(),
            json!("Hi {2} 'x'")
        );
        assert!(parse("States.Nope(1)").is_err());
        assert!(parse("States.UUID(1)").is_err());
        assert_eq!(
            ev("States.StringSplit('a,b,,c', ',')", json!({})).unwrap(),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            ev("States.Hash('input data', 'SHA-1')", json!({})).unwrap(),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            ev("States.ArrayRange(1, 9, 2)", json!({})).unwrap(),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(ev("States.Format('{}', 1)", json!({})).unwrap(), json!("1"));
        assert_eq!(
            ev("States.Format('{} {}', 1)", json!({}))
                .unwrap_err()
                .error,
            "States.IntrinsicFailure"
        );
    }
}
