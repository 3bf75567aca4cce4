//! Payload templates (Parameters, ResultSelector, ItemSelector, Pass Result is literal):
//! keys ending in `.$` take a path or an intrinsic call, compiled once.

use crate::fault::Fault;
use crate::intrinsics::{self, Call};
use crate::paths::{Env, Path};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) enum Template {
    /// No `.$` anywhere below: cloned as is.
    Literal(Value),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
    Path(Path),
    Call(Box<Call>),
}

/// A path-or-intrinsic expression (the value of a `.$` key, `ErrorPath`, ...).
pub(crate) fn compile_expr(s: &str) -> Result<Template, String> {
    if intrinsics::looks_like_call(s) {
        intrinsics::parse(s).map(|c| Template::Call(Box::new(c)))
    } else {
        Path::parse(s)
            .map(Template::Path)
            .ok_or_else(|| format!("'{s}' is not a valid JSONPath or intrinsic function call"))
    }
}

/// The items of an array template, each compiled at `loc[i]`; None when no item has
/// anything to evaluate (the array is then kept as plain JSON). Payload templates and
/// JSONata field values both compile arrays so.
pub(crate) fn compile_items<T, E>(
    a: &[Value],
    loc: &str,
    errs: &mut E,
    compile: impl Fn(&Value, &str, &mut E) -> T,
    is_literal: impl Fn(&T) -> bool,
) -> Option<Vec<T>> {
    let items: Vec<T> = a
        .iter()
        .enumerate()
        .map(|(i, x)| compile(x, &format!("{loc}[{i}]"), errs))
        .collect();
    (!items.iter().all(is_literal)).then_some(items)
}

/// An object template: a `name.$` key takes a path or an intrinsic call (the output key is
/// `name`); other values are templates themselves. The object as it is when nothing in it
/// is to be evaluated.
fn compile_object(
    v: &Value,
    m: &Map<String, Value>,
    loc: &str,
    errs: &mut Vec<(String, String)>,
) -> Template {
    let mut dynamic = false;
    let mut out = Vec::with_capacity(m.len());
    for (k, x) in m {
        let l = format!("{loc}/{k}");
        let entry = match k.strip_suffix(".$") {
            Some(name) => (name.to_string(), compile_dollar_field(k, x, loc, l, errs)),
            None => (k.clone(), Template::compile(x, &l, errs)),
        };
        dynamic |= k.ends_with(".$") || !entry.1.is_literal();
        out.push(entry);
    }
    if dynamic {
        Template::Object(out)
    } else {
        Template::Literal(v.clone())
    }
}

/// The value of a `name.$` key (at `l`, in the object at `loc`): a string holding a path
/// or an intrinsic call.
fn compile_dollar_field(
    k: &str,
    x: &Value,
    loc: &str,
    l: String,
    errs: &mut Vec<(String, String)>,
) -> Template {
    let Some(s) = x.as_str() else {
        errs.push((l, format!("the value for the field '{k}' must be a STRING")));
        return Template::Literal(Value::Null);
    };
    compile_expr(s).unwrap_or_else(|_| {
        // AWS's words, located at the object that holds the field.
        errs.push((loc.to_string(), format!("The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call")));
        Template::Literal(Value::Null)
    })
}

impl Template {
    /// `errs` receives (location suffix, message) for every bad `.$` entry.
    pub fn compile(v: &Value, loc: &str, errs: &mut Vec<(String, String)>) -> Template {
        match v {
            Value::Object(m) => compile_object(v, m, loc, errs),
            Value::Array(a) => {
                match compile_items(a, loc, errs, Template::compile, Template::is_literal) {
                    Some(items) => Template::Array(items),
                    None => Template::Literal(v.clone()),
                }
            }
            other => Template::Literal(other.clone()),
        }
    }

    fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    /// Whether evaluation may read the context object (so callers build it only then).
    pub fn uses_context(&self) -> bool {
        match self {
            Template::Literal(_) => false,
            Template::Object(m) => m.iter().any(|(_, t)| t.uses_context()),
            Template::Array(a) => a.iter().any(Template::uses_context),
            Template::Path(p) => p.context,
            Template::Call(_) => true,
        }
    }

    /// Evaluates a value given for the field `field` (`value.$`, `ErrorPath`): a path that
    /// selects nothing fails naming that field, as AWS words it.
    pub fn eval_as(&self, input: &Value, env: &Env, field: &str) -> Result<Value, Fault> {
        match self {
            Template::Path(p) => p.select(input, env).ok_or_else(|| {
                let from = match (&p.var, p.context) {
                    (Some(name), _) => env.vars.get(name).cloned().unwrap_or(Value::Null),
                    (None, true) => env.ctx.clone(),
                    (None, false) => input.clone(),
                };
                Fault::runtime(format!(
                    "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{from}'",
                    p.text
                ))
            }),
            other => other.eval(input, env),
        }
    }

    pub fn eval(&self, input: &Value, env: &Env) -> Result<Value, Fault> {
        Ok(match self {
            Template::Literal(v) => v.clone(),
            Template::Object(m) => {
                let mut out = Map::with_capacity(m.len());
                for (k, t) in m {
                    let v = match t {
                        Template::Path(_) => t.eval_as(input, env, &format!("{k}.$"))?,
                        _ => t.eval(input, env)?,
                    };
                    out.insert(k.clone(), v);
                }
                Value::Object(out)
            }
            Template::Array(a) => Value::Array(
                a.iter()
                    .map(|t| t.eval(input, env))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Path(p) => p.select(input, env).ok_or_else(|| {
                Fault::runtime(format!(
                    "The JSONPath '{}' could not be found in the input '{}'",
                    p.text,
                    if p.context { &env.ctx } else { input }
                ))
            })?,
            Template::Call(c) => c.eval(input, env)?,
        })
    }
}
