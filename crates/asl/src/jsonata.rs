//! JSONata expressions (`{% ... %}`) as Step Functions evaluates them: the language of
//! JSONata 2.0.6 (the `??` and `?:` operators of later versions are refused), with the Step
//! Functions functions `$partition`, `$range`, `$hash`, `$random`, `$uuid` and `$parse`, and
//! the reserved `$states` variable. Parsed once at definition time; every evaluation is
//! bounded in time, depth and sequence length, and runs where it cannot hold up other
//! executions (a blocking section on a multi-threaded runtime).

use crate::template::compile_items;
use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::parser::{Lexer, Token};
use jsonata_core::value::JValue;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Longest an expression may run.
const TIME_LIMIT_MS: u64 = 5_000;
/// Deepest evaluation stack.
const STACK_LIMIT: usize = 2_000;
/// Longest sequence an expression may build.
const SEQUENCE_LIMIT: usize = 1_000_000;
/// Longest expression text accepted.
const TEXT_LIMIT: usize = 100_000;
/// Deepest nesting of brackets, parentheses and braces in an expression (the parser
/// recurses once or more per level).
const NESTING_LIMIT: usize = 100;

/// A compiled expression (the text between `{%` and `%}`).
#[derive(Clone)]
pub(crate) struct Expr {
    /// The whole field value, `{% ... %}` included.
    pub source: Arc<str>,
    ast: Arc<AstNode>,
    /// The `$names` the text mentions: the only variables bound for an evaluation.
    names: Arc<[String]>,
    /// Reads `$states.result` / `$states.errorOutput` (allowed only in some fields).
    pub reads_result: bool,
    pub reads_error_output: bool,
}

/// Why a definition's expression is refused: AWS's diagnostic code and message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refused {
    pub code: &'static str,
    pub message: String,
}

const INVALID: &str = "INVALID_JSONATA_EXPRESSION";
const UNSUPPORTED: &str = "UNSUPPORTED_JSONATA_EXPRESSION";

fn invalid(message: impl Into<String>) -> Refused {
    Refused {
        code: INVALID,
        message: message.into(),
    }
}

/// A parser message without its JSONata code (`S0207: `), as AWS reports it.
fn without_code(m: &str) -> &str {
    let m = from_code(m);
    match m.split_once(": ") {
        Some((code, rest))
            if code.len() == 5
                && code.as_bytes()[0].is_ascii_uppercase()
                && code[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        _ => m,
    }
}

/// What an expression reads, found by walking its syntax tree.
#[derive(Default)]
struct Reads {
    result: bool,
    error_output: bool,
    /// The first reference to the input at the top level (`phone`, `$`, `$$`).
    top_level: Option<String>,
}

fn walk(node: &AstNode, top: bool, r: &mut Reads, depth: usize) {
    if depth > 500 {
        return;
    }
    let d = depth + 1;
    let note_top = |name: String, r: &mut Reads| {
        if top && r.top_level.is_none() {
            r.top_level = Some(name);
        }
    };
    match node {
        AstNode::Name(n) => note_top(n.clone(), r),
        AstNode::Variable(v) if v.is_empty() => note_top("$".into(), r),
        AstNode::ParentVariable(_) => note_top("$$".into(), r),
        AstNode::Path { steps } => walk_path(steps, top, r, d),
        AstNode::Binary { lhs, rhs, .. } => {
            walk(lhs, top, r, d);
            walk(rhs, top, r, d);
        }
        AstNode::Unary { operand, .. } => walk(operand, top, r, d),
        AstNode::Function { args, .. } => args.iter().for_each(|a| walk(a, top, r, d)),
        AstNode::Call { procedure, args } => {
            walk(procedure, top, r, d);
            args.iter().for_each(|a| walk(a, top, r, d));
        }
        // A function body reads whatever it is applied to.
        AstNode::Lambda { body, .. } => walk(body, false, r, d),
        AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
            items.iter().for_each(|a| walk(a, top, r, d))
        }
        AstNode::Object(pairs) => pairs.iter().for_each(|(k, v)| {
            walk(k, top, r, d);
            walk(v, top, r, d);
        }),
        AstNode::ObjectTransform { input, pattern } => {
            walk(input, top, r, d);
            pattern.iter().for_each(|(k, v)| {
                walk(k, false, r, d);
                walk(v, false, r, d);
            });
        }
        AstNode::Conditional {
            condition,
            then_branch,
            else_branch,
        } => {
            walk(condition, top, r, d);
            walk(then_branch, top, r, d);
            if let Some(e) = else_branch {
                walk(e, top, r, d);
            }
        }
        AstNode::FunctionApplication(f) => walk(f, top, r, d),
        AstNode::Sort { input, terms } => {
            walk(input, top, r, d);
            terms.iter().for_each(|(t, _)| walk(t, false, r, d));
        }
        AstNode::Transform {
            location,
            update,
            delete,
        } => {
            walk(location, false, r, d);
            walk(update, false, r, d);
            if let Some(x) = delete {
                walk(x, false, r, d);
            }
        }
        _ => {}
    }
}

/// A path: `$states.result` / `$states.errorOutput` are what it reads of `$states`; only
/// its first step reads the input it is applied to.
fn walk_path(steps: &[jsonata_core::ast::PathStep], top: bool, r: &mut Reads, d: usize) {
    use jsonata_core::ast::Stage;
    if let (Some(AstNode::Variable(v)), Some(AstNode::Name(n))) = (
        steps.first().map(|s| &s.node),
        steps.get(1).map(|s| &s.node),
    ) {
        if v == "states" {
            r.result |= n == "result";
            r.error_output |= n == "errorOutput";
        }
    }
    for (i, st) in steps.iter().enumerate() {
        walk(&st.node, top && i == 0, r, d);
        for stage in &st.stages {
            if let Stage::Filter(f) = stage {
                walk(f, false, r, d);
            }
        }
    }
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expr({})", self.source)
    }
}

/// The expression inside a `{% ... %}` string, if the whole string is one.
pub(crate) fn inner(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}")
}

/// What an evaluation sees besides its variables: the `$states` object.
pub(crate) struct States<'a> {
    pub input: &'a Value,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
    pub context: &'a Value,
}

impl<'a> States<'a> {
    /// What a field sees before the state has a result: its input and the context.
    pub fn of(input: &'a Value, context: &'a Value) -> States<'a> {
        States {
            input,
            result: None,
            error_output: None,
            context,
        }
    }

    fn to_value(&self) -> JValue {
        let mut m = indexmap::IndexMap::new();
        m.insert("input".to_string(), to_jvalue(self.input));
        if let Some(r) = self.result {
            m.insert("result".to_string(), to_jvalue(r));
        }
        if let Some(e) = self.error_output {
            m.insert("errorOutput".to_string(), to_jvalue(e));
        }
        m.insert("context".to_string(), to_jvalue(self.context));
        JValue::object(m)
    }
}

impl Expr {
    /// Compiles bare JSONata text as the language itself takes it (no `{% %}`, no Step
    /// Functions restriction on reading the input at the top level): the JSONata test
    /// suite runs through this.
    fn compile_plain(text: &str) -> Result<Expr, Refused> {
        let names = guarded(|| check_tokens(text))
            .and_then(|r| r)
            .map_err(|m| invalid(from_code(&m)))?;
        let ast = guarded(|| jsonata_core::parser::parse(text).map_err(|e| e.to_string()))
            .and_then(|r| r)
            .map_err(|m| invalid(from_code(&m)))?;
        Ok(Expr {
            source: Arc::from(text),
            ast: Arc::new(ast),
            names: names.into(),
            reads_result: false,
            reads_error_output: false,
        })
    }

    /// Compiles a `{% ... %}` string, refusing what Step Functions refuses: syntax
    /// errors, operators newer than JSONata 2.0.6, and references to the input at the top
    /// level of the expression (`$states.input` is the way to read it).
    pub fn compile(source: &str) -> Result<Expr, Refused> {
        let Some(text) = inner(source) else {
            return Err(invalid("a JSONata expression must be enclosed in {% %}"));
        };
        if text.len() > TEXT_LIMIT {
            return Err(invalid(format!(
                "the expression is longer than {TEXT_LIMIT} characters"
            )));
        }
        if text.trim().is_empty() {
            return Err(invalid("Empty expression"));
        }
        let names = guarded(|| check_tokens(text))
            .and_then(|r| r)
            .map_err(|m| invalid(without_code(&m)))?;
        let ast = guarded(|| jsonata_core::parser::parse(text).map_err(|e| e.to_string()))
            .and_then(|r| r)
            .map_err(|m| invalid(without_code(&m)))?;
        let mut reads = Reads::default();
        walk(&ast, true, &mut reads, 0);
        if let Some(name) = reads.top_level {
            return Err(Refused {
                code: UNSUPPORTED,
                message: format!("Reference to '{name}' at the top level is not supported."),
            });
        }
        Ok(Expr {
            source: Arc::from(source),
            ast: Arc::new(ast),
            names: names.into(),
            reads_result: reads.result,
            reads_error_output: reads.error_output,
        })
    }

    /// Evaluates; `Ok(None)` when the result is undefined (no value).
    /// The expression text between the delimiters, trimmed.
    pub fn text(&self) -> &str {
        inner(&self.source).map(str::trim).unwrap_or(&self.source)
    }

    pub fn eval(
        &self,
        states: &States<'_>,
        vars: &Map<String, Value>,
    ) -> Result<Option<Value>, Refusal> {
        let run = || self.eval_here(states, vars);
        // A long evaluation must not hold a runtime worker that other executions and
        // requests need: on a multi-threaded runtime, hand the worker's queue to another.
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(run)
            }
            _ => run(),
        }
    }

    fn eval_here(
        &self,
        states: &States<'_>,
        vars: &Map<String, Value>,
    ) -> Result<Option<Value>, Refusal> {
        let mut ctx = Context::new();
        for name in self.names.iter() {
            if name == "states" {
                ctx.bind(name.clone(), states.to_value());
            } else if let Some(v) = vars.get(name) {
                ctx.bind(name.clone(), to_jvalue(v));
            }
        }
        self.run(ctx, to_jvalue(states.input))
    }

    /// Runs the expression with the bounds and the Step Functions functions.
    fn run(&self, ctx: Context, data: JValue) -> Result<Option<Value>, Refusal> {
        let options = EvaluatorOptions {
            timeout_ms: Some(TIME_LIMIT_MS),
            max_stack_depth: Some(STACK_LIMIT),
            max_sequence_length: Some(SEQUENCE_LIMIT),
            ..Default::default()
        };
        guarded(|| {
            let mut ev = Evaluator::with_options(ctx, options);
            register_functions(&mut ev).map_err(|e| Refusal::Error(e.to_string()))?;
            let out = ev
                .evaluate(&self.ast, &data)
                .map_err(|e| Refusal::Error(message(&e)))?;
            from_jvalue(&out)
        })
        .map_err(Refusal::Error)
        .and_then(|r| r)
    }
}

/// A field value in a JSONata state: JSON whose strings may be `{% %}` expressions, at
/// any depth of objects and arrays.
#[derive(Debug, Clone)]
pub(crate) enum Template {
    Literal(Value),
    Expr(Expr),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
}

/// Why a field could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// The expression, as AWS quotes it (trimmed, without `{% %}`).
    pub source: String,
    /// The field path: `Output`, `Output/result`, `Arguments/list[0]`.
    pub location: String,
    pub kind: FailureKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FailureKind {
    /// The whole expression produced no value.
    Undefined,
    /// The evaluator raised an error (its message, with its JSONata code).
    Threw(String),
    /// The value is a function, which is not JSON.
    Unsupported,
}

impl Failure {
    /// The sentence AWS writes after "An error occurred while executing the state ...".
    pub fn describe(&self) -> String {
        let head = format!(
            "The JSONata expression '{}' specified for the field '{}'",
            self.source, self.location
        );
        match &self.kind {
            FailureKind::Undefined => format!("{head} returned nothing (undefined)."),
            FailureKind::Threw(m) => format!("{head} threw an error during evaluation. {m}"),
            FailureKind::Unsupported => format!("{head} returned an unsupported result type."),
        }
    }
}

/// JSON type names as AWS prints them in "Expected 'array', but was 'number'".
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Template {
    fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    /// `errs` receives (location, refusal) for every malformed expression.
    pub fn compile(v: &Value, loc: &str, errs: &mut Vec<(String, Refused)>) -> Template {
        match v {
            Value::String(s) if inner(s).is_some() => match Expr::compile(s) {
                Ok(e) => Template::Expr(e),
                Err(m) => {
                    errs.push((loc.to_string(), m));
                    Template::Literal(Value::Null)
                }
            },
            // Opened but not closed: a validation error, not a literal.
            Value::String(s) if s.starts_with("{%") => {
                errs.push((
                    loc.to_string(),
                    invalid("a JSONata expression must start with '{%' and end with '%}'"),
                ));
                Template::Literal(Value::Null)
            }
            Value::Object(m) => {
                let items: Vec<(String, Template)> = m
                    .iter()
                    .map(|(k, x)| (k.clone(), Template::compile(x, &format!("{loc}/{k}"), errs)))
                    .collect();
                if items.iter().all(|(_, t)| t.is_literal()) {
                    Template::Literal(v.clone())
                } else {
                    Template::Object(items)
                }
            }
            Value::Array(a) => {
                match compile_items(a, loc, errs, Template::compile, Template::is_literal) {
                    Some(items) => Template::Array(items),
                    None => Template::Literal(v.clone()),
                }
            }
            other => Template::Literal(other.clone()),
        }
    }

    /// Whether some expression reads `$states.result` / `$states.errorOutput`.
    pub fn reads(&self) -> (bool, bool) {
        match self {
            Template::Literal(_) => (false, false),
            Template::Expr(e) => (e.reads_result, e.reads_error_output),
            Template::Object(m) => m.iter().fold((false, false), |(a, b), (_, t)| {
                let (x, y) = t.reads();
                (a || x, b || y)
            }),
            Template::Array(v) => v.iter().fold((false, false), |(a, b), t| {
                let (x, y) = t.reads();
                (a || x, b || y)
            }),
        }
    }

    /// The one expression the field is, if it is one (for error texts).
    pub fn source(&self) -> Option<String> {
        match self {
            Template::Expr(e) => Some(e.text().to_string()),
            _ => None,
        }
    }

    /// Evaluates every expression. An expression with no value (undefined) is an error
    /// wherever it stands; inside an object an expression builds, JSONata itself leaves
    /// out an undefined field.
    pub fn eval(
        &self,
        field: &str,
        states: &States<'_>,
        vars: &Map<String, Value>,
    ) -> Result<Value, Failure> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Expr(e) => {
                let fail = |kind| Failure {
                    source: e.text().to_string(),
                    location: field.to_string(),
                    kind,
                };
                match e.eval(states, vars) {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => Err(fail(FailureKind::Undefined)),
                    Err(Refusal::Function) => Err(fail(FailureKind::Unsupported)),
                    Err(Refusal::Error(m)) => Err(fail(FailureKind::Threw(m))),
                }
            }
            Template::Object(m) => {
                let mut out = Map::with_capacity(m.len());
                for (k, t) in m {
                    out.insert(k.clone(), t.eval(&format!("{field}/{k}"), states, vars)?);
                }
                Ok(Value::Object(out))
            }
            Template::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, t) in a.iter().enumerate() {
                    out.push(t.eval(&format!("{field}[{i}]"), states, vars)?);
                }
                Ok(Value::Array(out))
            }
        }
    }
}

/// Why an expression gave no JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    Error(String),
    Function,
}

/// Evaluates bare JSONata `text` against `data` (`None`: no input) with `bindings` as
/// variables, through the same evaluator, bounds and functions as the engine; for
/// measuring against the JSONata test suite. `Err` carries the error message, which
/// starts with the JSONata error code when there is one.
pub fn evaluate_plain(
    text: &str,
    data: Option<&Value>,
    bindings: &Map<String, Value>,
) -> Result<Option<Value>, String> {
    let e = Expr::compile_plain(text).map_err(|r| r.message)?;
    let mut ctx = Context::new();
    for (k, v) in bindings {
        ctx.bind(k.clone(), to_jvalue(v));
    }
    let data = data.map(to_jvalue).unwrap_or(JValue::Undefined);
    e.run(ctx, data).map_err(|r| match r {
        Refusal::Error(m) => m,
        Refusal::Function => "the result is a function".into(),
    })
}

/// Runs the library's parser or evaluator so that a panic inside it (a bug, on some input)
/// is an error for that expression, never a crash of the request or the execution.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| "the JSONata library failed on this expression".to_string())
}

fn message(e: &EvaluatorError) -> String {
    from_code(e.message()).to_string()
}

/// The message from its JSONata error code on (`T1006: ...`), dropping a wrapper's
/// prefix such as "Invalid syntax: ".
fn from_code(m: &str) -> &str {
    let b = m.as_bytes();
    (0..b.len().saturating_sub(6))
        .find(|&i| {
            (i == 0 || b[i - 1] == b' ')
                && b[i].is_ascii_uppercase()
                && b[i + 1..i + 5].iter().all(u8::is_ascii_digit)
                && b[i + 5] == b':'
        })
        .map_or(m, |i| &m[i..])
}

/// Scans the tokens: refuses operators JSONata 2.0.6 does not have and collects `$names`.
fn check_tokens(text: &str) -> Result<Vec<String>, String> {
    let mut lx = Lexer::new(text.to_string());
    let mut names: Vec<String> = Vec::new();
    let mut prev_close_paren = false;
    // Inside a function signature (`function($a)<a<s>s?:s>`), `?:` is an optional
    // parameter, not an operator; signatures nest `<...>`.
    let mut signature_depth = 0usize;
    let mut nesting = 0usize;
    loop {
        let t = lx.next_token().map_err(|e| e.to_string())?;
        match &t {
            Token::LeftParen | Token::LeftBracket | Token::LeftBrace => {
                nesting += 1;
                if nesting > NESTING_LIMIT {
                    return Err(format!(
                        "the expression nests brackets more than {NESTING_LIMIT} deep"
                    ));
                }
            }
            Token::RightParen | Token::RightBracket | Token::RightBrace => {
                nesting = nesting.saturating_sub(1)
            }
            Token::Eof => break,
            Token::QuestionQuestion => return Err(
                "the operator '??' is not part of JSONata 2.0.6 (the version Step Functions runs)"
                    .into(),
            ),
            Token::QuestionColon if signature_depth == 0 => return Err(
                "the operator '?:' is not part of JSONata 2.0.6 (the version Step Functions runs)"
                    .into(),
            ),
            Token::LessThan if prev_close_paren || signature_depth > 0 => signature_depth += 1,
            Token::GreaterThan if signature_depth > 0 => signature_depth -= 1,
            Token::Variable(n) if !names.iter().any(|x| x == n) => names.push(n.clone()),
            _ => {}
        }
        prev_close_paren = matches!(t, Token::RightParen);
    }
    Ok(names)
}

/// JSON into the evaluator's values.
pub(crate) fn to_jvalue(v: &Value) -> JValue {
    match v {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::from(s.as_str()),
        Value::Array(a) => JValue::array(a.iter().map(to_jvalue).collect()),
        Value::Object(m) => {
            JValue::object(m.iter().map(|(k, v)| (k.clone(), to_jvalue(v))).collect())
        }
    }
}

/// The evaluator's values back into JSON: whole numbers print without a fraction, as
/// JavaScript prints them; functions and non-finite numbers cannot be JSON.
pub(crate) fn from_jvalue(v: &JValue) -> Result<Option<Value>, Refusal> {
    fn conv(v: &JValue, depth: usize) -> Result<Value, Refusal> {
        if depth > 2 * crate::limits::NESTING {
            return Err(Refusal::Error("the result is nested too deeply".into()));
        }
        Ok(match v {
            JValue::Null | JValue::Undefined => Value::Null,
            JValue::Bool(b) => Value::Bool(*b),
            JValue::Number(n) => number(*n).map_err(Refusal::Error)?,
            JValue::String(s) => Value::String(s.to_string()),
            JValue::Array(a) => Value::Array(
                a.iter()
                    .filter(|x| !matches!(x, JValue::Undefined))
                    .map(|x| conv(x, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            JValue::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m.iter() {
                    if !matches!(x, JValue::Undefined) {
                        out.insert(k.clone(), conv(x, depth + 1)?);
                    }
                }
                Value::Object(out)
            }
            JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => {
                return Err(Refusal::Function)
            }
        })
    }
    match v {
        JValue::Undefined => Ok(None),
        other => conv(other, 0).map(Some),
    }
}

pub(crate) fn number(n: f64) -> Result<Value, String> {
    if !n.is_finite() {
        return Err("D1001: Number out of range".into());
    }
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        // -0 prints as 0, as JSON.stringify prints it.
        return Ok(Value::from(n as i64));
    }
    Ok(serde_json::Number::from_f64(n)
        .map(Value::Number)
        .unwrap_or(Value::Null))
}

fn arg_error(f: &str, what: &str) -> EvaluatorError {
    EvaluatorError::TypeError(format!("T0410: Argument of function ${f} {what}"))
}

fn finite(v: Option<&JValue>, f: &str, which: &str) -> Result<f64, EvaluatorError> {
    match v {
        Some(JValue::Number(n)) if n.is_finite() => Ok(*n),
        _ => Err(arg_error(f, &format!("'{which}' must be a number"))),
    }
}

/// The Step Functions additions to the JSONata library.
fn register_functions(ev: &mut Evaluator) -> Result<(), EvaluatorError> {
    ev.register_fn("partition", sf_partition)?;
    ev.register_fn("range", sf_range)?;
    ev.register_fn("hash", sf_hash)?;
    ev.register_fn_override("random", sf_random)?;
    // Step Functions does not offer $eval.
    ev.register_fn_override("eval", |_args: &[JValue]| {
        Err(EvaluatorError::TypeError(
            "T1006: Attempted to invoke a non-function".into(),
        ))
    })?;
    ev.register_fn("uuid", |_args: &[JValue]| {
        Ok(JValue::from(uuid::Uuid::new_v4().to_string()))
    })?;
    ev.register_fn("parse", sf_parse)?;
    Ok(())
}

/// `$partition(array, size)`: the array in chunks of `size`.
fn sf_partition(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let items = match args.first() {
        Some(JValue::Array(a)) => a.iter().cloned().collect::<Vec<_>>(),
        Some(JValue::Undefined) | None => return Ok(JValue::Undefined),
        Some(other) => vec![other.clone()],
    };
    let size = finite(args.get(1), "partition", "size")?.floor();
    if size < 1.0 || size.fract() != 0.0 {
        return Err(arg_error("partition", "'size' must be a positive integer"));
    }
    let size = size as usize;
    Ok(JValue::array(
        items
            .chunks(size)
            .map(|c| JValue::array(c.to_vec()))
            .collect(),
    ))
}

/// `$range(start, end, step)`: at most 1000 numbers. Integer parameters are rounded
/// down, as Step Functions documents.
fn sf_range(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let start = finite(args.first(), "range", "start")?.floor();
    let end = finite(args.get(1), "range", "end")?.floor();
    let step = finite(args.get(2), "range", "step")?.floor();
    if step == 0.0 {
        return Ok(JValue::array(Vec::new()));
    }
    let count = ((end - start) / step).floor();
    if count >= 1000.0 {
        return Err(EvaluatorError::EvaluationError(
            "$range: the range has more than 1000 items".into(),
        ));
    }
    let mut out = Vec::new();
    if count >= 0.0 {
        for i in 0..=(count as usize) {
            out.push(JValue::Number(start + step * i as f64));
        }
    }
    // A one-item sequence is its item, as JSONata sequences collapse.
    Ok(match out.len() {
        1 => out.remove(0),
        _ => JValue::array(out),
    })
}

/// `$hash(data, algorithm)`: the digest as hex.
fn sf_hash(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let data = match args.first() {
        Some(JValue::String(s)) => s.to_string(),
        Some(JValue::Undefined) | None => return Ok(JValue::Undefined),
        _ => return Err(arg_error("hash", "'data' must be a string")),
    };
    let algo = match args.get(1) {
        Some(JValue::String(s)) => s.to_string(),
        _ => return Err(arg_error("hash", "'algorithm' must be a string")),
    };
    crate::intrinsics::hash_hex(&data, &algo)
        .map(JValue::from)
        .ok_or_else(|| {
            EvaluatorError::EvaluationError(format!(
                "$hash: unsupported algorithm '{algo}' (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"
            ))
        })
}

/// `$random([seed])`: with a seed, the number java.util.Random gives. A seed that is not
/// a number, or a second argument, does not match the function's signature (`<n?:n>`).
fn sf_random(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    if args.len() > 1 {
        return Err(signature_error("random", 2));
    }
    Ok(JValue::Number(match args.first() {
        None | Some(JValue::Undefined) => rand::random::<f64>(),
        Some(JValue::Number(n)) if n.is_finite() => {
            crate::java_random::JavaRandom::new(n.floor() as i64).next_double()
        }
        _ => return Err(signature_error("random", 1)),
    }))
}

/// JSONata's T0410, as AWS words it: argument `index` (from 1) of `$f` has the wrong type.
fn signature_error(f: &str, index: usize) -> EvaluatorError {
    EvaluatorError::TypeError(format!(
        "T0410: Argument {index} of function \"{f}\" does not match function signature"
    ))
}

/// `$parse(json)`: the value the JSON text holds.
fn sf_parse(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let text = match args.first() {
        Some(JValue::String(s)) => s.to_string(),
        Some(JValue::Undefined) | None => return Ok(JValue::Undefined),
        _ => return Err(arg_error("parse", "'json' must be a string")),
    };
    let v: Value = crate::intrinsics::parse_json_text(&text).map_err(|e| {
        EvaluatorError::EvaluationError(format!("$parse: the string is not valid JSON: {e}"))
    })?;
    Ok(to_jvalue(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(src: &str, input: Value) -> Result<Option<Value>, Refusal> {
        let e = Expr::compile(src).map_err(|r| Refusal::Error(r.message))?;
        let ctx = json!({});
        e.eval(&States::of(&input, &ctx), &Map::new())
    }

    #[test]
    fn evaluates_against_states_and_returns_json_numbers() {
        assert_eq!(
            ev("{% $states.input.a + 1 %}", json!({"a": 2})),
            Ok(Some(json!(3)))
        );
        assert_eq!(
            ev("{% $states.input.a * 1.5 %}", json!({"a": 3})),
            Ok(Some(json!(4.5)))
        );
        assert_eq!(ev("{% $states.input.nope %}", json!({})), Ok(None));
        assert_eq!(ev("{% -0 %}", json!({})), Ok(Some(json!(0))));
    }

    #[test]
    fn refuses_newer_operators_and_bad_syntax() {
        let refused = |s: &str| Expr::compile(s).unwrap_err();
        assert!(refused("{% $x ?? 1 %}").message.contains("2.0.6"));
        assert!(refused("{% $x ?: 1 %}").message.contains("2.0.6"));
        assert_eq!(refused("{% $x + %}").code, INVALID);
        assert_eq!(
            refused("{% $x + %}").message,
            "Unexpected end of expression"
        );
        assert_eq!(refused("{%  %}").code, INVALID);
        assert!(Expr::compile("{% function($x)<n:n>{ $x } %}").is_ok());
        assert!(Expr::compile("{% λ($a, $s)<a<s>s?:s>{ $join($a, $s) } %}").is_ok());
        assert_eq!(from_code("Invalid syntax: T1006: x"), "T1006: x");
        assert_eq!(from_code("no code here"), "no code here");
        assert_eq!(
            refused("{% phone %}").message,
            "Reference to 'phone' at the top level is not supported."
        );
        assert_eq!(refused("{% $count(items) %}").code, UNSUPPORTED);
        assert_eq!(refused("{% $ %}").code, UNSUPPORTED);
        assert!(Expr::compile("{% $states.input.items[price > 3].name %}").is_ok());
        assert!(Expr::compile("{% $map($states.input.a, function($v){ $v.x }) %}").is_ok());
        let e = Expr::compile("{% $states.result.x & $states.errorOutput %}").unwrap();
        assert!(e.reads_result && e.reads_error_output);
    }

    #[test]
    fn step_functions_functions() {
        assert_eq!(
            ev("{% $partition([1,2,3,4,5], 2) %}", json!({})),
            Ok(Some(json!([[1, 2], [3, 4], [5]])))
        );
        assert_eq!(
            ev("{% $range(0, 10, 2) %}", json!({})),
            Ok(Some(json!([0, 2, 4, 6, 8, 10])))
        );
        assert_eq!(
            ev("{% $range(0, 10, 3) %}", json!({})),
            Ok(Some(json!([0, 3, 6, 9])))
        );
        assert_eq!(ev("{% $range(1, 9, 9) %}", json!({})), Ok(Some(json!(1))));
        assert_eq!(
            ev("{% $range(1, -2, -1) %}", json!({})),
            Ok(Some(json!([1, 0, -1, -2])))
        );
        assert_eq!(
            ev("{% $random(42) %}", json!({})),
            Ok(Some(json!(0.7275636800328681)))
        );
        assert!(
            matches!(ev("{% $eval('1+1') %}", json!({})), Err(Refusal::Error(m)) if m.contains("T1006"))
        );
        assert_eq!(
            ev("{% $hash('a', 'SHA-256') %}", json!({})),
            Ok(Some(json!(
                "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
            )))
        );
        assert_eq!(
            ev("{% $parse('{\"x\": [1]}') %}", json!({})),
            Ok(Some(json!({"x": [1]})))
        );
        assert_eq!(
            ev("{% $random(7) = $random(7) %}", json!({})),
            Ok(Some(json!(true)))
        );
        let r = ev("{% $random() %}", json!({})).unwrap().unwrap();
        assert!((0.0..1.0).contains(&r.as_f64().unwrap()));
        let u = ev("{% $uuid() %}", json!({})).unwrap().unwrap();
        assert_eq!(u.as_str().unwrap().len(), 36);
    }

    #[test]
    fn hostile_expressions_are_refused_or_bounded_on_a_small_stack() {
        // Runs where a runtime worker runs: a 2 MiB stack.
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| {
                let long_chain = format!("{{% {} %}}", vec!["1"; 20_000].join(" + "));
                let _ = Expr::compile(&long_chain);
                let nested = format!("{{% {}1{} %}}", "(".repeat(5_000), ")".repeat(5_000));
                assert!(Expr::compile(&nested).is_err());
                let arrays = format!("{{% {}1{} %}}", "[".repeat(99), "]".repeat(99));
                assert!(ev(&arrays, json!({})).is_ok());
                let calls = format!("{{% {}1{} %}}", "$abs(".repeat(99), ")".repeat(99));
                assert!(ev(&calls, json!({})).is_ok());
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn runaway_evaluations_stop_with_an_error() {
        let e = ev(
            "{% ($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000)) %}",
            json!({}),
        );
        assert!(e.is_err(), "{e:?}");
        let e = ev("{% [1..10000000] %}", json!({}));
        assert!(e.is_err(), "{e:?}");
    }
}
