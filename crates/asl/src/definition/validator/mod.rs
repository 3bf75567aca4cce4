//! The checks CreateStateMachine makes, building the executable form as it goes.

use super::*;
use crate::choice;
use crate::template::compile_expr;
use serde_json::Map;

mod error_handling;
mod kinds;

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

/// The variable names the states of one scope assign, with where.
fn assigned_names(states: &Map<String, Value>, loc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |assign: Option<&Value>, at: String| {
        if let Some(m) = assign.and_then(Value::as_object) {
            for k in m.keys() {
                let name = k.strip_suffix(".$").unwrap_or(k);
                out.push((name.to_string(), format!("{at}/Assign/{k}")));
            }
        }
    };
    for (name, st) in states {
        let at = format!("{loc}/States/{name}");
        add(st.get("Assign"), at.clone());
        for (field, list) in [("Choices", st.get("Choices")), ("Catch", st.get("Catch"))] {
            for (i, x) in list
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                add(x.get("Assign"), format!("{at}/{field}[{i}]"));
            }
        }
    }
    out
}

/// The fields a state type takes in JSONata (besides `Type`, `Comment`, `QueryLanguage`).
fn allowed_jsonata_fields(t: &str) -> Option<&'static [&'static str]> {
    Some(match t {
        "Pass" => &["Next", "End", "Output", "Assign"],
        "Task" => &[
            "Next",
            "End",
            "Resource",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
        ],
        "Choice" => &["Choices", "Default", "Output", "Assign"],
        "Wait" => &["Next", "End", "Seconds", "Timestamp", "Output", "Assign"],
        "Succeed" => &["Output"],
        "Fail" => &["Error", "Cause"],
        "Parallel" => &[
            "Next",
            "End",
            "Branches",
            "Arguments",
            "Output",
            "Assign",
            "Retry",
            "Catch",
        ],
        "Map" => &[
            "Next",
            "End",
            "Items",
            "ItemSelector",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "Label",
            "ItemReader",
            "ResultWriter",
            "ItemBatcher",
            "Output",
            "Assign",
            "Retry",
            "Catch",
        ],
        _ => return None,
    })
}

/// Fields that only JSONPath states take.
const JSONPATH_ONLY: &[&str] = &[
    "Parameters",
    "InputPath",
    "OutputPath",
    "ResultPath",
    "ResultSelector",
    "Result",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
    "ErrorPath",
    "CausePath",
];

/// Fields that only JSONata states take.
const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items", "Condition"];

fn allowed_fields(t: &str) -> Option<&'static [&'static str]> {
    Some(match t {
        "Pass" => &[
            "Next",
            "Assign",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "Result",
        ],
        "Task" => &[
            "Next",
            "Assign",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "Resource",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
        ],
        "Choice" => &["InputPath", "OutputPath", "Choices", "Default", "Assign"],
        "Wait" => &[
            "Next",
            "Assign",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "Timestamp",
            "SecondsPath",
            "TimestampPath",
        ],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "Cause", "ErrorPath", "CausePath"],
        "Parallel" => &[
            "Next",
            "Assign",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "Branches",
        ],
        "Map" => &[
            "Next",
            "Assign",
            "End",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "ItemsPath",
            "ItemSelector",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCountPath",
            "Label",
            "ItemReader",
            "ResultWriter",
            "ItemBatcher",
        ],
        _ => return None,
    })
}

impl Validator {
    fn err(&mut self, code: &str, loc: impl Into<String>, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, loc, msg));
    }

    fn machine(&mut self, v: &Value, loc: &str, top: bool) -> Option<Machine> {
        let Some(obj) = v.as_object() else {
            self.err(SCHEMA, at(loc), "the state machine must be a JSON object");
            return None;
        };
        let allowed: &[&str] = if top {
            &[
                "Comment",
                "StartAt",
                "States",
                "TimeoutSeconds",
                "Version",
                "QueryLanguage",
            ]
        } else {
            &["Comment", "StartAt", "States", "ProcessorConfig"]
        };
        for k in obj.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(
                    SCHEMA,
                    format!("{loc}/{k}"),
                    format!(
                        "field '{k}' is not supported at {}",
                        if top { "the top level" } else { "this level" }
                    ),
                );
            }
        }
        if top {
            if let Some(q) = obj.get("QueryLanguage") {
                match self.lang(q, &format!("{loc}/QueryLanguage")) {
                    Some(l) => self.top_lang = l,
                    None => return None,
                }
            }
        }
        let timeout_seconds = match obj.get("TimeoutSeconds") {
            None => None,
            Some(t) => self.seconds(
                t,
                &format!("{loc}/TimeoutSeconds"),
                "the state machine",
                "TimeoutSeconds",
                1,
            ),
        };
        // Missing required fields are named together, as AWS names them.
        let missing: Vec<&str> = ["States", "StartAt"]
            .into_iter()
            .filter(|f| !obj.contains_key(*f))
            .collect();
        if !missing.is_empty() {
            self.err(
                SCHEMA,
                at(loc),
                format!("These fields are required: [{}]", missing.join(", ")),
            );
        }
        let states_obj = match obj.get("States") {
            Some(Value::Object(m)) if !m.is_empty() => Some(m),
            Some(_) => {
                self.err(
                    SCHEMA,
                    format!("{loc}/States"),
                    "'States' must be a non-empty object",
                );
                None
            }
            None => None,
        };
        let start_name = match obj.get("StartAt") {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.err(
                    SCHEMA,
                    format!("{loc}/StartAt"),
                    "'StartAt' must be a string",
                );
                None
            }
            None => None,
        };
        let states_obj = states_obj?;
        let mut index: HashMap<Arc<str>, usize> = HashMap::new();
        for (i, name) in states_obj.keys().enumerate() {
            let here = format!("{loc}/States/{name}");
            if let Some(first) = self.names.insert(name.clone(), here.clone()) {
                self.err(
                    DUPLICATE,
                    here.clone(),
                    format!("state name '{name}' is already used at {first}"),
                );
            }
            if name.chars().count() > 80 {
                self.err(
                    BAD_NAME,
                    format!("{loc}/States/{name}"),
                    format!("Invalid State name: State '{name}' exceeds the 80-character limit allowed by the service"),
                );
            } else if name.is_empty() {
                self.err(
                    BAD_NAME,
                    format!("{loc}/States/{name}"),
                    "Invalid State name: a state name must not be empty",
                );
            }
            index.insert(Arc::from(name.as_str()), i);
        }
        let start = match start_name {
            Some(s) => match index.get(s) {
                Some(&i) => Some(i),
                None => {
                    self.err(
                        MISSING_TARGET,
                        format!("{loc}/StartAt"),
                        format!("Missing 'Next' target: {s}"),
                    );
                    None
                }
            },
            None => None,
        };
        let assigned = assigned_names(states_obj, loc);
        for (name, at) in &assigned {
            if self.outer_assigned.iter().any(|outer| outer.contains(name)) {
                self.err(
                    SCHEMA,
                    at.clone(),
                    format!("The variable '{name}' is assigned in an outer scope: a state inside a Parallel branch or a Map iteration cannot assign a variable with the same name"),
                );
            }
        }
        self.outer_assigned
            .push(assigned.into_iter().map(|(n, _)| n).collect());
        let mut states = Vec::with_capacity(states_obj.len());
        for (name, sv) in states_obj {
            let sloc = format!("{loc}/States/{name}");
            if let Some(s) = self.state(name, sv, &sloc, &index) {
                states.push(s);
            }
        }
        self.outer_assigned.pop();
        // A terminal state: `End: true`, Succeed or Fail. Without one, AWS reports only
        // that (no location), not which states are unreachable.
        let terminal = states_obj.values().any(|st| {
            st.get("End") == Some(&Value::Bool(true))
                || matches!(
                    st.get("Type").and_then(Value::as_str),
                    Some("Succeed" | "Fail")
                )
        });
        if !terminal {
            self.err(NO_TERMINAL, "", "Workflow has no terminal state");
            return None;
        }
        let start = start?;
        if states.len() != states_obj.len() {
            return None;
        }
        let mut seen = vec![false; states.len()];
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let s = &states[i];
            stack.extend(s.next);
            stack.extend(s.catch.iter().map(|c| c.next));
            if let Kind::Choice { choices, default } = &s.kind {
                stack.extend(choices.iter().map(|c| c.next));
                stack.extend(*default);
            }
        }
        for (i, s) in states.iter().enumerate() {
            if !seen[i] {
                self.err(
                    MISSING_TARGET,
                    format!("{loc}/States/{}", s.name),
                    format!("State \"{}\" is not reachable.", s.name),
                );
            }
        }
        Some(Machine {
            start,
            states,
            index,
            timeout_seconds,
        })
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

    fn secs_field(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        sloc: &str,
        who: &str,
    ) -> Option<Secs> {
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.get(&path_field)) {
            (Some(_), Some(_)) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: only one of '{field}' and '{path_field}' is allowed"),
                );
                None
            }
            (Some(v), None) if self.cur_lang == Lang::Jsonata && v.is_string() => {
                Some(Secs::Ata(self.ata(v, &format!("{sloc}/{field}"), field)))
            }
            (Some(v), None) => self
                .seconds(v, &format!("{sloc}/{field}"), who, field, 1)
                .map(Secs::Fixed),
            (None, Some(p)) => self
                .path(p, &format!("{sloc}/{path_field}"), who, &path_field)
                .map(Secs::Path),
            (None, None) => None,
        }
    }

    fn text(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        sloc: &str,
        who: &str,
    ) -> Option<Text> {
        let path_field = format!("{field}Path");
        match (obj.get(field), obj.get(&path_field)) {
            (Some(_), Some(_)) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: only one of '{field}' and '{path_field}' is allowed"),
                );
                None
            }
            (Some(v @ Value::String(s)), None) => Some(
                if self.cur_lang == Lang::Jsonata && crate::jsonata::inner(s).is_some() {
                    Text::Ata(self.ata(v, &format!("{sloc}/{field}"), field))
                } else {
                    Text::Lit(s.clone())
                },
            ),
            (Some(_), None) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/{field}"),
                    format!("{who}: '{field}' must be a string"),
                );
                None
            }
            (None, Some(p)) => {
                match p.as_str().map(compile_expr) {
                    Some(Ok(t)) => Some(Text::Expr(t)),
                    _ => {
                        self.err(SCHEMA, format!("{sloc}/{path_field}"), format!("{who}: '{path_field}' must be a valid JSONPath or intrinsic function"));
                        None
                    }
                }
            }
            (None, None) => None,
        }
    }

    fn state(
        &mut self,
        name: &str,
        v: &Value,
        sloc: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Option<State> {
        let who = format!("State '{name}'");
        let who = who.as_str();
        let Some(obj) = v.as_object() else {
            self.err(SCHEMA, sloc, format!("{who} must be an object"));
            return None;
        };
        let Some(ty) = obj.get("Type").and_then(Value::as_str) else {
            match obj.get("Type") {
                None => self.err(SCHEMA, sloc, "These fields are required: [Type]"),
                Some(_) => self.err(
                    SCHEMA,
                    format!("{sloc}/Type"),
                    "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
                ),
            }
            return None;
        };
        let lang = match obj.get("QueryLanguage") {
            None => self.top_lang,
            Some(q) => match self.lang(q, &format!("{sloc}/QueryLanguage")) {
                Some(Lang::JsonPath) if self.top_lang == Lang::Jsonata => {
                    self.err(
                        SCHEMA,
                        sloc,
                        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                    );
                    return None;
                }
                Some(l) => l,
                None => return None,
            },
        };
        self.cur_lang = lang;
        let allowed = match lang {
            Lang::JsonPath => allowed_fields(ty),
            Lang::Jsonata => allowed_jsonata_fields(ty),
        };
        let Some(allowed) = allowed else {
            self.err(
                SCHEMA,
                format!("{sloc}/Type"),
                "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
            );
            return None;
        };
        for k in obj.keys() {
            if k == "Type"
                || k == "Comment"
                || k == "QueryLanguage"
                || allowed.contains(&k.as_str())
            {
                continue;
            }
            let only_in = match lang {
                Lang::Jsonata if JSONPATH_ONLY.contains(&k.as_str()) => {
                    Some(("JSONata", "JSONPath"))
                }
                Lang::JsonPath if JSONATA_ONLY.contains(&k.as_str()) => {
                    Some(("JSONPath", "JSONata"))
                }
                _ => None,
            };
            if let Some((is, only)) = only_in {
                self.err(
                    SCHEMA,
                    sloc,
                    format!("The QueryLanguage is set to '{is}', but field '{k}' is only supported for the '{only}' QueryLanguage"),
                );
            } else {
                self.err(SCHEMA, sloc, format!("Field '{k}' is not supported"));
            }
        }
        let before = self.diags.len();
        let input_path = self.io_path(obj, "InputPath", sloc, who);
        let output_path = self.io_path(obj, "OutputPath", sloc, who);
        let result_path =
            self.result_path(obj.get("ResultPath"), &format!("{sloc}/ResultPath"), who);
        let parameters = obj
            .get("Parameters")
            .map(|p| self.template(p, &format!("{sloc}/Parameters")));
        let result_selector = obj
            .get("ResultSelector")
            .map(|p| self.template(p, &format!("{sloc}/ResultSelector")));
        let arguments = obj
            .get("Arguments")
            .map(|p| self.ata(p, &format!("{sloc}/Arguments"), "Arguments"));
        let access = Access {
            result: matches!(ty, "Task" | "Parallel" | "Map"),
            error_output: false,
        };
        let output = obj
            .get("Output")
            .map(|p| self.ata_with(p, &format!("{sloc}/Output"), "Output", access));
        let assign = obj
            .get("Assign")
            .and_then(|p| self.assign(p, &format!("{sloc}/Assign"), who, lang, access));
        let retry = obj
            .get("Retry")
            .map(|r| self.retry(r, sloc, who))
            .unwrap_or_default();
        let catch = obj
            .get("Catch")
            .map(|c| self.catch(c, sloc, who, index, lang))
            .unwrap_or_default();
        let terminal_type = matches!(ty, "Choice" | "Succeed" | "Fail");
        let end = obj.get("End");
        if let Some(e) = end {
            if !e.is_boolean() {
                self.err(
                    SCHEMA,
                    format!("{sloc}/End"),
                    format!("{who}: 'End' must be a boolean"),
                );
            }
        }
        let is_end = end == Some(&Value::Bool(true));
        let next = match obj.get("Next") {
            Some(n) => {
                if is_end {
                    self.err(
                        SCHEMA,
                        format!("{sloc}/Next"),
                        format!("{who}: 'Next' and 'End' cannot both be present"),
                    );
                }
                self.target(n, &format!("{sloc}/Next"), who, "Next", index)
            }
            None => {
                if !terminal_type && !is_end {
                    self.err(
                        SCHEMA,
                        sloc.to_string(),
                        format!("{who}: either 'Next' or 'End': true is required"),
                    );
                }
                None
            }
        };
        let kind = match ty {
            "Pass" => Kind::Pass {
                result: obj.get("Result").cloned().map(Arc::new),
            },
            "Succeed" => Kind::Succeed,
            "Fail" => Kind::Fail {
                error: self.text(obj, "Error", sloc, who),
                cause: self.text(obj, "Cause", sloc, who),
            },
            "Task" => self.task_kind(obj, sloc, who)?,
            "Choice" => self.choice_kind(obj, sloc, who, index)?,
            "Wait" => self.wait_kind(obj, sloc, who)?,
            "Parallel" => self.parallel_kind(obj, sloc, who)?,
            "Map" => self.map_kind(obj, sloc, who, &parameters)?,
            _ => return None,
        };
        self.cur_lang = lang;
        if self.diags.len() != before {
            return None;
        }
        let parameters = if matches!(kind, Kind::Map(_)) {
            None
        } else {
            parameters
        };
        let needs_ctx = parameters.as_ref().is_some_and(Template::uses_context)
            || lang == Lang::Jsonata
            || matches!(&assign, Some(Assign::Path(t)) if t.uses_context())
            || result_selector.as_ref().is_some_and(Template::uses_context)
            || matches!(&kind, Kind::Map(m) if m.item_selector.as_ref().is_some_and(Template::uses_context))
            || matches!(&kind, Kind::Task(t) if t.credentials.is_some())
            || matches!(&kind, Kind::Fail { .. } | Kind::Choice { .. })
            || [&input_path, &output_path]
                .iter()
                .any(|p| matches!(p, IoPath::Path(p) if p.context));
        Some(State {
            name: Arc::from(name),
            kind,
            input_path,
            output_path,
            result_path,
            parameters,
            result_selector,
            next,
            retry,
            catch,
            needs_ctx,
            lang,
            arguments,
            output,
            assign,
        })
    }
}
