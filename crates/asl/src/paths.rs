//! ASL paths: JSONPath queries (InputPath, OutputPath, `.$` values, Choice variables) and
//! reference paths (ResultPath), compiled once at parse time.

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// The variables an execution has assigned, shared until one is written.
pub(crate) type Vars = std::sync::Arc<Map<String, Value>>;

/// What a path may read besides the state input: the context object (`$$`) and the
/// variables (`$name`).
pub(crate) struct Env {
    pub ctx: Value,
    pub vars: Vars,
    /// The id of the state's Entered event (JSONata error causes name it).
    pub entered_id: u64,
}

impl Env {
    #[cfg(test)]
    pub fn new(ctx: Value, vars: &Vars) -> Env {
        Env {
            ctx,
            vars: vars.clone(),
            entered_id: 0,
        }
    }
}

/// A path usable for reading. Simple dotted/indexed paths skip the general JSONPath engine.
#[derive(Debug, Clone)]
pub(crate) struct Path {
    pub text: String,
    /// Starts with `$$`: reads the context object.
    pub context: bool,
    /// Starts with `$name`: reads that variable.
    pub var: Option<String>,
    kind: PathKind,
}

/// A variable name as Step Functions accepts it: a letter or `_`, then letters, digits
/// and `_` (at most 80 characters).
pub(crate) fn valid_var_name(n: &str) -> bool {
    let mut cs = n.chars();
    matches!(cs.next(), Some(c) if c.is_alphabetic() || c == '_')
        && cs.all(|c| c.is_alphanumeric() || c == '_')
        && n.chars().count() <= 80
}

/// Splits `$name.rest` into the variable name and the rest.
fn split_var(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix('$')?;
    let end = body.find(['.', '[']).unwrap_or(body.len());
    let (name, rest) = body.split_at(end);
    valid_var_name(name).then_some((name, rest))
}

#[derive(Debug, Clone)]
enum PathKind {
    Simple(Vec<Seg>),
    /// General JSONPath; `definite` = a single node is expected (no wildcard/filter/slice).
    Query {
        path: JsonPath,
        definite: bool,
    },
}

/// Parses `$`, `.name`, `['name']`, `["name"]`, `[n]` sequences.
pub(crate) fn parse_segments(rest: &str) -> Option<Vec<Seg>> {
    let b = rest.as_bytes();
    let mut i = 0;
    let mut segs = Vec::new();
    while i < b.len() {
        match b[i] {
            b'.' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && !matches!(b[j], b'.' | b'[') {
                    j += 1;
                }
                let name = &rest[start..j];
                if name.is_empty()
                    || name.chars().any(|c| {
                        c.is_whitespace()
                            || matches!(
                                c,
                                '*' | '?' | '@' | ',' | ':' | ']' | '(' | ')' | '$' | '\'' | '"'
                            )
                    })
                {
                    return None;
                }
                segs.push(Seg::Key(name.to_string()));
                i = j;
            }
            b'[' if matches!(b.get(i + 1), Some(b'\'' | b'"')) => {
                let (name, end) = quoted_name(rest, i + 1)?;
                if b.get(end) != Some(&b']') {
                    return None;
                }
                segs.push(Seg::Key(name));
                i = end + 1;
            }
            b'[' => {
                let close = rest[i..].find(']')? + i;
                let inner = &rest[i + 1..close];
                if !inner.is_empty() && inner.bytes().all(|c| c.is_ascii_digit()) {
                    segs.push(Seg::Index(inner.parse().ok()?));
                } else {
                    return None;
                }
                i = close + 1;
            }
            _ => return None,
        }
    }
    Some(segs)
}

/// A quoted name in brackets (`['a\'b']`, `["a"]`) from its opening quote at `open`:
/// the name with its escapes read as Jayway JsonPath (AWS's) reads them (`\'`, `\"`,
/// `\\`, `\n`, `\t`, `\r`, `\f`, `\b`, `\uXXXX`; any other escaped character stands
/// for itself), and the index just past the closing quote.
fn quoted_name(rest: &str, open: usize) -> Option<(String, usize)> {
    let quote = rest[open..].chars().next()?;
    let mut out = String::new();
    let mut chars = rest[open + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'f' => out.push('\u{c}'),
                    'b' => out.push('\u{8}'),
                    'u' => {
                        let hex: String =
                            (0..4).filter_map(|_| chars.next().map(|x| x.1)).collect();
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => out.push(other),
                }
            }
            c if c == quote => return Some((out, open + 1 + k + 1)),
            c => out.push(c),
        }
    }
    None
}

fn get<'a>(mut v: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    for s in segs {
        v = match (s, v) {
            (Seg::Key(k), Value::Object(m)) => m.get(k)?,
            (Seg::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Most segments a path may have (`$.a.b[0]` has three).
pub(crate) const MAX_SEGMENTS: usize = 100;
/// Most filter expressions (`?(...)`) nested in one another in a JSONPath query: each
/// level multiplies the work of the query parser.
const MAX_FILTER_NESTING: usize = 4;
/// Most brackets and parentheses nested in one another in a JSONPath query.
const MAX_BRACKET_NESTING: usize = 16;

/// Whether a general JSONPath query is small enough to parse and run in bounded time.
fn query_is_bounded(body: &str) -> bool {
    let mut depth = 0usize;
    let mut filters: Vec<usize> = Vec::new();
    let mut prev = ' ';
    for c in body.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                if depth > MAX_BRACKET_NESTING {
                    return false;
                }
                if c == '(' && prev == '?' {
                    filters.push(depth);
                    if filters.len() > MAX_FILTER_NESTING {
                        return false;
                    }
                }
            }
            ']' | ')' => {
                if filters.last() == Some(&depth) {
                    filters.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        prev = c;
    }
    true
}

impl Path {
    pub fn parse(text: &str) -> Option<Path> {
        let mut var = None;
        let (context, body) = if let Some(r) = text.strip_prefix("$$") {
            (true, r)
        } else if let Some((name, rest)) = split_var(text) {
            var = Some(name.to_string());
            (false, rest)
        } else if let Some(r) = text.strip_prefix('$') {
            (false, r)
        } else {
            return None;
        };
        if let Some(segs) = parse_segments(body) {
            if segs.len() > MAX_SEGMENTS {
                return None;
            }
            return Some(Path {
                text: text.to_string(),
                context,
                var,
                kind: PathKind::Simple(segs),
            });
        }
        if !query_is_bounded(body) || body.len() > 4096 {
            return None;
        }
        let q = format!("${body}");
        let path = JsonPath::parse(&q).ok()?;
        let definite = !(body.contains('*')
            || body.contains("..")
            || body.contains('?')
            || body.contains(':')
            || body.contains(','));
        Some(Path {
            text: text.to_string(),
            context,
            var,
            kind: PathKind::Query { path, definite },
        })
    }

    /// AWS's words (Jayway JsonPath's) for this path selecting nothing: a missing last step
    /// is "No results for path", a missing step before it "Missing property in path".
    pub fn no_results(&self, input: &Value, env: &Env) -> String {
        let head = format!("Invalid path '{}' :", self.text);
        let PathKind::Simple(segs) = &self.kind else {
            return format!("{head} No results for path: {}", self.text);
        };
        let root = match &self.var {
            Some(name) => env.vars.get(name),
            None if self.context => Some(&env.ctx),
            None => Some(input),
        };
        let mut shown = String::from("$");
        let mut at = root;
        for (i, s) in segs.iter().enumerate() {
            match s {
                Seg::Key(k) => shown.push_str(&format!("['{k}']")),
                Seg::Index(n) => shown.push_str(&format!("[{n}]")),
            }
            at = at.and_then(|v| get(v, std::slice::from_ref(s)));
            if at.is_none() {
                return if i + 1 == segs.len() {
                    format!("{head} No results for path: {shown}")
                } else {
                    format!("{head} Missing property in path {shown}")
                };
            }
        }
        format!("{head} No results for path: {shown}")
    }

    /// Selects from `input` (or `ctx` for `$$` paths). `None` when a definite path matches
    /// nothing; indefinite paths always give an array.
    pub fn select(&self, input: &Value, env: &Env) -> Option<Value> {
        let root = match &self.var {
            Some(name) => env.vars.get(name)?,
            None if self.context => &env.ctx,
            None => input,
        };
        match &self.kind {
            PathKind::Simple(segs) => get(root, segs).cloned(),
            PathKind::Query { path, definite } => {
                let nodes = path.query(root).all();
                if *definite {
                    nodes.first().map(|v| (*v).clone())
                } else {
                    Some(Value::Array(nodes.into_iter().cloned().collect()))
                }
            }
        }
    }
}

/// A ResultPath: where to put a result inside the state input.
#[derive(Debug, Clone)]
pub(crate) struct RefPath {
    segs: Vec<Seg>,
}

impl RefPath {
    pub fn parse(text: &str) -> Option<RefPath> {
        let body = text.strip_prefix('$')?;
        if body.starts_with('$') {
            return None;
        }
        let segs = parse_segments(body)?;
        (segs.len() <= MAX_SEGMENTS).then_some(RefPath { segs })
    }

    /// Puts `value` at the path inside `target`, creating objects on the way. Fails when
    /// an intermediate value exists and is not an object (AWS: States.Runtime).
    pub fn set(&self, target: Value, value: Value) -> Result<Value, String> {
        if self.segs.is_empty() {
            return Ok(value);
        }
        let mut root = target;
        if !root.is_object() && !matches!(self.segs.first(), Some(Seg::Index(_))) {
            if root.is_null() {
                root = Value::Object(Map::new());
            } else {
                return Err("the state input is not a JSON object".into());
            }
        }
        let mut cur = &mut root;
        let last = self.segs.len() - 1;
        for (n, s) in self.segs.iter().enumerate() {
            match s {
                Seg::Key(k) => {
                    let m = match cur {
                        Value::Object(m) => m,
                        _ => return Err(format!("cannot set field '{k}' on a non-object value")),
                    };
                    if n == last {
                        m.insert(k.clone(), value);
                        return Ok(root);
                    }
                    let e = m
                        .entry(k.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if e.is_null() {
                        *e = Value::Object(Map::new());
                    }
                    cur = e;
                }
                Seg::Index(i) => {
                    let a = match cur {
                        Value::Array(a) => a,
                        _ => return Err(format!("cannot set index {i} on a non-array value")),
                    };
                    let Some(slot) = a.get_mut(*i) else {
                        return Err(format!("index {i} is out of bounds"));
                    };
                    if n == last {
                        *slot = value;
                        return Ok(root);
                    }
                    cur = slot;
                }
            }
        }
        Ok(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn simple_and_query_paths() {
        let v = json!({"a": {"b": [1, 2, {"c": 3}]}, "x-y": 1});
        let p = Path::parse("$.a.b[2].c").unwrap();
        assert_eq!(
            p.select(&v, &Env::new(Value::Null, &Vars::default())),
            Some(json!(3))
        );
        assert_eq!(
            Path::parse("$.x-y")
                .unwrap()
                .select(&v, &Env::new(Value::Null, &Vars::default())),
            Some(json!(1))
        );
        assert_eq!(
            Path::parse("$.a.b[*]")
                .unwrap()
                .select(&v, &Env::new(Value::Null, &Vars::default())),
            Some(json!([1, 2, {"c": 3}]))
        );
        assert_eq!(
            Path::parse("$.nope")
                .unwrap()
                .select(&v, &Env::new(Value::Null, &Vars::default())),
            None
        );
        assert!(Path::parse("a.b").is_none());
        assert!(Path::parse("$.a[").is_none());
        // Bounded: too many segments, too deep filters.
        assert!(Path::parse(&format!("${}", ".a".repeat(MAX_SEGMENTS + 1))).is_none());
        assert!(RefPath::parse(&format!("${}", ".a".repeat(MAX_SEGMENTS + 1))).is_none());
        assert!(Path::parse("$.a[?(@.b[?(@.c == 1)])]").is_some());
        let deep = format!("$.a{}{}", "[?(@.b".repeat(5), ")]".repeat(5));
        assert!(Path::parse(&deep).is_none());
    }

    #[test]
    fn reference_path_set() {
        let r = RefPath::parse("$.a.b").unwrap();
        assert_eq!(
            r.set(json!({"z": 1}), json!(5)).unwrap(),
            json!({"z": 1, "a": {"b": 5}})
        );
        assert!(r.set(json!({"a": 3}), json!(5)).is_err());
        assert!(RefPath::parse("$.a[*]").is_none());
        assert_eq!(
            RefPath::parse("$")
                .unwrap()
                .set(json!(1), json!(2))
                .unwrap(),
            json!(2)
        );
    }
}
