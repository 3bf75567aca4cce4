//! The checks on one state: its type, query language and fields, the fields every type
//! shares, its transition, then the fields particular to its type (`kinds.rs`).

use super::*;

/// The fields a state type takes besides `Type`, `Comment` and `QueryLanguage`: in both
/// query languages, in JSONPath only, in JSONata only.
type TypeFields = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// The fields of a state type (None for an unknown type).
fn type_fields(t: &str) -> Option<TypeFields> {
    Some(match t {
        "Pass" => (
            &["Next", "End", "Assign"],
            &[
                "InputPath",
                "OutputPath",
                "ResultPath",
                "Parameters",
                "Result",
            ],
            &["Output"],
        ),
        "Task" => (
            &[
                "Next",
                "End",
                "Assign",
                "Resource",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Credentials",
            ],
            &[
                "InputPath",
                "OutputPath",
                "ResultPath",
                "Parameters",
                "ResultSelector",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            &["Arguments", "Output"],
        ),
        "Choice" => (
            &["Choices", "Default", "Assign"],
            &["InputPath", "OutputPath"],
            &["Output"],
        ),
        "Wait" => (
            &["Next", "End", "Assign", "Seconds", "Timestamp"],
            &["InputPath", "OutputPath", "SecondsPath", "TimestampPath"],
            &["Output"],
        ),
        "Succeed" => (&[], &["InputPath", "OutputPath"], &["Output"]),
        "Fail" => (&["Error", "Cause"], &["ErrorPath", "CausePath"], &[]),
        "Parallel" => (
            &["Next", "End", "Assign", "Retry", "Catch", "Branches"],
            &[
                "InputPath",
                "OutputPath",
                "ResultPath",
                "Parameters",
                "ResultSelector",
            ],
            &["Arguments", "Output"],
        ),
        "Map" => (
            &[
                "Next",
                "End",
                "Assign",
                "Retry",
                "Catch",
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
            ],
            &[
                "InputPath",
                "OutputPath",
                "ResultPath",
                "Parameters",
                "ResultSelector",
                "ItemsPath",
                "MaxConcurrencyPath",
                "ToleratedFailurePercentagePath",
                "ToleratedFailureCountPath",
            ],
            &["Items", "Output"],
        ),
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

/// For a field the state's query language does not take but the other one does: (the
/// language set, the language the field belongs to).
fn only_in_other_language(k: &str, lang: Lang) -> Option<(&'static str, &'static str)> {
    match lang {
        Lang::Jsonata if JSONPATH_ONLY.contains(&k) => Some(("JSONata", "JSONPath")),
        Lang::JsonPath if JSONATA_ONLY.contains(&k) => Some(("JSONPath", "JSONata")),
        _ => None,
    }
}

/// The fields every state type reads besides its own (paths, templates, JSONata fields,
/// Assign, Retry and Catch), before they are put together into a [`State`].
struct CommonFields {
    input_path: IoPath,
    output_path: IoPath,
    result_path: ResultPathSpec,
    parameters: Option<Template>,
    result_selector: Option<Template>,
    arguments: Option<crate::jsonata::Template>,
    output: Option<crate::jsonata::Template>,
    assign: Option<Assign>,
    retry: Vec<Retrier>,
    catch: Vec<Catcher>,
}

/// A path field of the state's type that reads `$$` (ItemsPath, SecondsPath,
/// TimestampPath, TimeoutSecondsPath, HeartbeatSecondsPath).
fn reads_context_by_path(kind: &Kind) -> bool {
    use crate::definition::{Secs, WaitSpec};
    let secs = |s: &Option<Secs>| matches!(s, Some(Secs::Path(p)) if p.context);
    match kind {
        Kind::Map(m) => matches!(&m.items_path, IoPath::Path(p) if p.context),
        Kind::Wait(WaitSpec::SecondsPath(p) | WaitSpec::TimestampPath(p)) => p.context,
        Kind::Task(t) => secs(&t.timeout) || secs(&t.heartbeat),
        _ => false,
    }
}

impl CommonFields {
    /// The state, with whether it needs the context object (`$$`) built when it runs.
    fn into_state(self, name: &str, kind: Kind, next: Option<usize>, lang: Lang) -> State {
        // On a Map state, Parameters is the legacy name of ItemSelector (in the MapSpec).
        let parameters = match kind {
            Kind::Map(_) => None,
            _ => self.parameters,
        };
        let needs_ctx = parameters.as_ref().is_some_and(Template::uses_context)
            || lang == Lang::Jsonata
            || matches!(&self.assign, Some(Assign::Path(t)) if t.uses_context())
            || self
                .result_selector
                .as_ref()
                .is_some_and(Template::uses_context)
            || matches!(&kind, Kind::Map(m) if m.item_selector.as_ref().is_some_and(Template::uses_context))
            || matches!(&kind, Kind::Task(t) if t.credentials.is_some())
            || matches!(&kind, Kind::Fail { .. } | Kind::Choice { .. })
            || [&self.input_path, &self.output_path]
                .iter()
                .any(|p| matches!(p, IoPath::Path(p) if p.context))
            || reads_context_by_path(&kind);
        State {
            name: Arc::from(name),
            kind,
            input_path: self.input_path,
            output_path: self.output_path,
            result_path: self.result_path,
            parameters,
            result_selector: self.result_selector,
            next,
            retry: self.retry,
            catch: self.catch,
            needs_ctx,
            lang,
            arguments: self.arguments,
            output: self.output,
            assign: self.assign,
        }
    }
}

const BAD_TYPE: &str = "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]";

impl Validator {
    pub(super) fn state(
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
        let ty = self.state_type(obj, sloc)?;
        let lang = self.state_lang(obj, sloc)?;
        self.cur_lang = lang;
        self.state_fields(obj, ty, lang, sloc)?;
        let before = self.diags.len();
        let common = self.common_fields(obj, ty, lang, sloc, who, index);
        let next = self.next_field(obj, ty, sloc, who, index);
        let kind = self.state_kind(obj, ty, sloc, who, index, &common.parameters)?;
        self.cur_lang = lang;
        if self.diags.len() != before {
            return None;
        }
        Some(common.into_state(name, kind, next, lang))
    }

    /// `Type`: required, a string.
    fn state_type<'v>(&mut self, obj: &'v Map<String, Value>, sloc: &str) -> Option<&'v str> {
        let ty = obj.get("Type");
        match ty {
            None => self.err(SCHEMA, sloc, "These fields are required: [Type]"),
            Some(Value::String(_)) => {}
            Some(_) => self.err(SCHEMA, format!("{sloc}/Type"), BAD_TYPE),
        }
        ty.and_then(Value::as_str)
    }

    /// The state's `QueryLanguage` (default: the machine's). A JSONata machine cannot have
    /// JSONPath states.
    fn state_lang(&mut self, obj: &Map<String, Value>, sloc: &str) -> Option<Lang> {
        let Some(q) = obj.get("QueryLanguage") else {
            return Some(self.top_lang);
        };
        match self.lang(q, &format!("{sloc}/QueryLanguage"))? {
            Lang::JsonPath if self.top_lang == Lang::Jsonata => {
                self.err(
                    SCHEMA,
                    sloc,
                    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                );
                None
            }
            l => Some(l),
        }
    }

    /// Fields the state type does not take in its query language; None for an unknown type.
    fn state_fields(
        &mut self,
        obj: &Map<String, Value>,
        ty: &str,
        lang: Lang,
        sloc: &str,
    ) -> Option<()> {
        let Some((both, jsonpath, jsonata)) = type_fields(ty) else {
            self.err(SCHEMA, format!("{sloc}/Type"), BAD_TYPE);
            return None;
        };
        let own = match lang {
            Lang::JsonPath => jsonpath,
            Lang::Jsonata => jsonata,
        };
        let always = ["Type", "Comment", "QueryLanguage"];
        for k in obj.keys() {
            if [&always[..], both, own]
                .iter()
                .any(|l| l.contains(&k.as_str()))
            {
                continue;
            }
            let msg = match only_in_other_language(k, lang) {
                Some((is, only)) => format!("The QueryLanguage is set to '{is}', but field '{k}' is only supported for the '{only}' QueryLanguage"),
                None => format!("Field '{k}' is not supported"),
            };
            self.err(SCHEMA, sloc, msg);
        }
        Some(())
    }

    fn common_fields(
        &mut self,
        obj: &Map<String, Value>,
        ty: &str,
        lang: Lang,
        sloc: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> CommonFields {
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
        CommonFields {
            input_path,
            output_path,
            result_path,
            parameters,
            result_selector,
            arguments,
            output,
            assign,
            retry,
            catch,
        }
    }

    /// `End` (a boolean) and `Next` (a state name): one of them, except for Choice,
    /// Succeed and Fail.
    fn next_field(
        &mut self,
        obj: &Map<String, Value>,
        ty: &str,
        sloc: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Option<usize> {
        let end = obj.get("End");
        if end.is_some_and(|e| !e.is_boolean()) {
            let msg = format!("{who}: 'End' must be a boolean");
            self.err(SCHEMA, format!("{sloc}/End"), msg);
        }
        let is_end = end == Some(&Value::Bool(true));
        let Some(n) = obj.get("Next") else {
            if !matches!(ty, "Choice" | "Succeed" | "Fail") && !is_end {
                let msg = format!("{who}: either 'Next' or 'End': true is required");
                self.err(SCHEMA, sloc.to_string(), msg);
            }
            return None;
        };
        if is_end {
            let msg = format!("{who}: 'Next' and 'End' cannot both be present");
            self.err(SCHEMA, format!("{sloc}/Next"), msg);
        }
        self.target(n, &format!("{sloc}/Next"), who, "Next", index)
    }

    /// The fields particular to the state's type.
    fn state_kind(
        &mut self,
        obj: &Map<String, Value>,
        ty: &str,
        sloc: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
        parameters: &Option<Template>,
    ) -> Option<Kind> {
        Some(match ty {
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
            "Map" => self.map_kind(obj, sloc, who, parameters)?,
            _ => return None,
        })
    }
}
