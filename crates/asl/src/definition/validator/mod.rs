//! The checks CreateStateMachine makes, building the executable form as it goes.

use super::*;
use crate::choice;
use crate::template::compile_expr;
use serde_json::Map;

mod error_handling;
mod kinds;
mod machine;
mod state;

const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";
const MISSING_TARGET: &str = "MISSING_TRANSITION_TARGET";
const NO_TERMINAL: &str = "MISSING_END_STATE";
const DUPLICATE: &str = "DUPLICATE_STATE_NAME";
const BAD_NAME: &str = "INVALID_STATE_NAME";
const BAD_RESOURCE: &str = "INVALID_RESOURCE";
const MAX_SECONDS: u64 = 99_999_999;

/// A machine's own location: `/` for the top level.
fn at(loc: &str) -> String {
    if loc.is_empty() {
        "/".to_string()
    } else {
        loc.to_string()
    }
}

/// Validates `value` (parsed from `text`, which is also scanned for repeated keys).
pub(super) fn check(text: &str, value: &Value) -> Result<Machine, Vec<Diagnostic>> {
    let mut v = Validator {
        diags: Vec::new(),
        names: HashMap::new(),
        top_lang: Lang::JsonPath,
        cur_lang: Lang::JsonPath,
        outer_assigned: Vec::new(),
    };
    for loc in crate::dupkeys::duplicate_keys(text) {
        let parent_is_states = loc
            .rsplit_once('/')
            .is_some_and(|(p, _)| p.ends_with("/States"));
        let (code, what) = if parent_is_states {
            (DUPLICATE, "state name")
        } else {
            (SCHEMA, "field")
        };
        let name = loc.rsplit('/').next().unwrap_or("");
        v.err(
            code,
            loc.clone(),
            format!("{what} '{name}' appears more than once"),
        );
    }
    match v.machine(value, "", true) {
        Some(m) if v.diags.is_empty() => Ok(m),
        _ => Err(v.diags),
    }
}

/// What of `$states` a JSONata field may read besides `input` and `context`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Access {
    pub result: bool,
    pub error_output: bool,
}

/// A field that can be given as a value (`Seconds`) or as a path (`SecondsPath`).
enum Given<'v> {
    Value(&'v Value),
    /// The path's value and the path field's name.
    Path(&'v Value, String),
    Neither,
}

struct Validator {
    diags: Vec<Diagnostic>,
    /// Every state name seen so far with its location: names are unique in the whole
    /// machine, branches and item processors included (ASL spec).
    names: HashMap<String, String>,
    /// The machine's `QueryLanguage`: every state's default, branches' included.
    top_lang: Lang,
    /// The language of the state being read.
    cur_lang: Lang,
    /// The variable names each enclosing scope assigns (outermost first): an inner
    /// scope (Parallel branch, Map iteration) may not assign the same names.
    outer_assigned: Vec<std::collections::HashSet<String>>,
}

impl Validator {
    fn err(&mut self, code: &str, loc: impl Into<String>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, loc, msg));
    }

    fn lang(&mut self, q: &Value, loc: &str) -> Option<Lang> {
        match q.as_str() {
            Some("JSONPath") => Some(Lang::JsonPath),
            Some("JSONata") => Some(Lang::Jsonata),
            _ => {
                self.err(
                    SCHEMA,
                    loc,
                    format!("Value is not a valid QueryLanguage: {q}. Valid values are JSONPath and JSONata"),
                );
                None
            }
        }
    }

    /// A JSONata field value (JSON with `{% %}` expressions anywhere inside).
    fn ata(&mut self, v: &Value, loc: &str, field: &str) -> crate::jsonata::Template {
        self.ata_with(v, loc, field, Access::default())
    }

    /// A JSONata field value whose expressions may read what `access` allows of
    /// `$states` (`result` only in a Task, Parallel or Map state's Output and Assign,
    /// `errorOutput` only in a catcher's).
    fn ata_with(
        &mut self,
        v: &Value,
        loc: &str,
        field: &str,
        access: Access,
    ) -> crate::jsonata::Template {
        let mut errs = Vec::new();
        let t = crate::jsonata::Template::compile(v, loc, &mut errs);
        for (l, r) in errs {
            self.err(r.code, l, r.message);
        }
        let (result, error_output) = t.reads();
        for (reads, allowed, name) in [
            (result, access.result, "$states.result"),
            (error_output, access.error_output, "$states.errorOutput"),
        ] {
            if reads && !allowed {
                self.err(
                    "UNSUPPORTED_JSONATA_EXPRESSION",
                    loc,
                    format!("The variable '{name}' is not available in the field '{field}'"),
                );
            }
        }
        t
    }

    /// An `Assign` object in the state's language; variable names are checked.
    fn assign(
        &mut self,
        v: &Value,
        loc: &str,
        who: &str,
        lang: Lang,
        access: Access,
    ) -> Option<Assign> {
        let Some(m) = v.as_object() else {
            self.err(SCHEMA, loc, format!("{who}: 'Assign' must be an object"));
            return None;
        };
        for k in m.keys() {
            let name = match lang {
                Lang::JsonPath => k.strip_suffix(".$").unwrap_or(k),
                Lang::Jsonata => k,
            };
            if !crate::paths::valid_var_name(name) {
                self.err(
                    SCHEMA,
                    format!("{loc}/{k}"),
                    format!("{who}: '{name}' is not a valid variable name: it must start with a letter or '_', go on with letters, digits or '_', and be at most 80 characters"),
                );
            } else if name == "states" {
                self.err(
                    SCHEMA,
                    format!("{loc}/{k}"),
                    format!("{who}: the variable name 'states' is reserved"),
                );
            }
        }
        Some(match lang {
            Lang::JsonPath => Assign::Path(self.template(v, loc)),
            Lang::Jsonata => Assign::Ata(self.ata_with(v, loc, "Assign", access)),
        })
    }

    fn seconds(&mut self, v: &Value, loc: &str, who: &str, field: &str, min: u64) -> Option<u64> {
        match v.as_u64() {
            Some(n) if n >= min && n <= MAX_SECONDS => Some(n),
            _ => {
                self.err(
                    SCHEMA,
                    loc,
                    format!("{who}: '{field}' must be an integer between {min} and {MAX_SECONDS}"),
                );
                None
            }
        }
    }

    fn path(&mut self, v: &Value, loc: &str, who: &str, field: &str) -> Option<Path> {
        match v.as_str().and_then(Path::parse) {
            Some(p) => Some(p),
            None => {
                self.err(
                    SCHEMA,
                    loc,
                    format!("{who}: the value for the field '{field}' must be a valid JSONPath"),
                );
                None
            }
        }
    }

    fn io_path(&mut self, obj: &Map<String, Value>, field: &str, sloc: &str, who: &str) -> IoPath {
        match obj.get(field) {
            None => IoPath::Root,
            Some(Value::Null) => IoPath::Null,
            Some(v) => self
                .path(v, &format!("{sloc}/{field}"), who, field)
                .map(IoPath::Path)
                .unwrap_or(IoPath::Root),
        }
    }

    fn result_path(&mut self, v: Option<&Value>, loc: &str, who: &str) -> ResultPathSpec {
        match v {
            None => ResultPathSpec::Replace,
            Some(Value::Null) => ResultPathSpec::Discard,
            Some(v) => match v.as_str().and_then(RefPath::parse) {
                Some(r) => ResultPathSpec::Ref(r),
                None => {
                    self.err(SCHEMA, loc, format!("{who}: the value for the field 'ResultPath' must be a valid reference path"));
                    ResultPathSpec::Replace
                }
            },
        }
    }

    fn template(&mut self, v: &Value, loc: &str) -> Template {
        let mut errs = Vec::new();
        let t = Template::compile(v, loc, &mut errs);
        for (l, m) in errs {
            self.err(SCHEMA, l, m);
        }
        t
    }

    fn target(
        &mut self,
        v: &Value,
        loc: &str,
        who: &str,
        field: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Option<usize> {
        match v.as_str() {
            Some(n) => match index.get(n) {
                Some(&i) => Some(i),
                None => {
                    self.err(MISSING_TARGET, loc, format!("Missing 'Next' target: {n}"));
                    None
                }
            },
            None => {
                self.err(
                    SCHEMA,
                    loc,
                    format!("{who}: '{field}' must be a state name"),
                );
                None
            }
        }
    }

    /// Which of `field` and `{field}Path` the state has; both is an error (and counts
    /// as neither).
    fn field_or_path<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        field: &str,
        sloc: &str,
        who: &str,
    ) -> Given<'v> {
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.get(&path_field)) {
            (Some(_), Some(_)) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: only one of '{field}' and '{path_field}' is allowed"),
                );
                Given::Neither
            }
            (Some(v), None) => Given::Value(v),
            (None, Some(p)) => Given::Path(p, path_field),
            (None, None) => Given::Neither,
        }
    }

    fn secs_field(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        sloc: &str,
        who: &str,
    ) -> Option<Secs> {
        match self.field_or_path(obj, field, sloc, who) {
            Given::Value(v) if self.cur_lang == Lang::Jsonata && v.is_string() => {
                Some(Secs::Ata(self.ata(v, &format!("{sloc}/{field}"), field)))
            }
            Given::Value(v) => self
                .seconds(v, &format!("{sloc}/{field}"), who, field, 1)
                .map(Secs::Fixed),
            Given::Path(p, path_field) => self
                .path(p, &format!("{sloc}/{path_field}"), who, &path_field)
                .map(Secs::Path),
            Given::Neither => None,
        }
    }

    fn text(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        sloc: &str,
        who: &str,
    ) -> Option<Text> {
        match self.field_or_path(obj, field, sloc, who) {
            Given::Value(v @ Value::String(s)) => Some(
                if self.cur_lang == Lang::Jsonata && crate::jsonata::inner(s).is_some() {
                    Text::Ata(self.ata(v, &format!("{sloc}/{field}"), field))
                } else {
                    Text::Lit(s.clone())
                },
            ),
            Given::Value(_) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: '{field}' must be a string"),
                );
                None
            }
            Given::Path(p, path_field) => {
                match p.as_str().map(compile_expr) {
                    Some(Ok(t)) => Some(Text::Expr(t)),
                    _ => {
                        self.err(SCHEMA, format!("{sloc}/{path_field}"), format!("{who}: '{path_field}' must be a valid JSONPath or intrinsic function"));
                        None
                    }
                }
            }
            Given::Neither => None,
        }
    }
}
