//! Retry and Catch fields: error names, backoff settings, fallback transitions.

use super::*;

const RETRIER_FIELDS: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
];
const CATCHER_FIELDS_JSONPATH: &[&str] =
    &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"];
const CATCHER_FIELDS_JSONATA: &[&str] = &["ErrorEquals", "Next", "Output", "Assign", "Comment"];

impl Validator {
    fn error_equals(&mut self, obj: &Map<String, Value>, loc: &str, who: &str) -> Vec<String> {
        let list: Vec<String> = match obj.get("ErrorEquals").and_then(Value::as_array) {
            Some(a) if !a.is_empty() && a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => {
                self.err(
                    SCHEMA,
                    format!("{loc}/ErrorEquals"),
                    format!("{who}: 'ErrorEquals' must be a non-empty array of strings"),
                );
                return Vec::new();
            }
        };
        if list.iter().any(|e| e == "States.ALL") && list.len() > 1 {
            self.err(
                SCHEMA,
                format!("{loc}/ErrorEquals"),
                format!("{who}: 'States.ALL' must appear alone in 'ErrorEquals'"),
            );
        }
        list
    }

    pub(super) fn retry(&mut self, v: &Value, sloc: &str, who: &str) -> Vec<Retrier> {
        let loc = format!("{sloc}/Retry");
        let Some(a) = v.as_array() else {
            self.err(SCHEMA, loc, format!("{who}: 'Retry' must be an array"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, r) in a.iter().enumerate() {
            let rl = format!("{loc}[{i}]");
            let Some(o) = r.as_object() else {
                self.err(SCHEMA, rl, format!("{who}: a retrier must be an object"));
                continue;
            };
            self.unknown_fields(o, RETRIER_FIELDS, &rl, who, "a retrier");
            let errors = self.error_equals(o, &rl, who);
            self.all_comes_last(&errors, i + 1 == a.len(), &rl, who, "a retrier");
            out.push(self.retrier(o, errors, &rl, who));
        }
        out
    }

    /// A retrier's backoff settings, with AWS's defaults (1 s, 3 attempts, rate 2.0).
    fn retrier(
        &mut self,
        o: &Map<String, Value>,
        errors: Vec<String>,
        rl: &str,
        who: &str,
    ) -> Retrier {
        let interval = match o.get("IntervalSeconds") {
            None => 1,
            Some(x) => {
                let loc = format!("{rl}/IntervalSeconds");
                self.seconds(x, &loc, who, "IntervalSeconds", 1)
                    .unwrap_or(1)
            }
        };
        let max_attempts = match o.get("MaxAttempts").map(|x| x.as_u64()) {
            None => 3,
            Some(Some(n)) if n <= MAX_SECONDS => n as u32,
            Some(_) => {
                let msg = format!("{who}: 'MaxAttempts' must be a non-negative integer");
                self.err(SCHEMA, format!("{rl}/MaxAttempts"), msg);
                0
            }
        };
        let backoff = match o.get("BackoffRate").map(|x| x.as_f64()) {
            None => 2.0,
            Some(Some(b)) if b >= 1.0 => b,
            Some(_) => {
                let msg = format!("{who}: 'BackoffRate' must be a number >= 1.0");
                self.err(SCHEMA, format!("{rl}/BackoffRate"), msg);
                1.0
            }
        };
        let max_delay = o.get("MaxDelaySeconds").and_then(|x| {
            let loc = format!("{rl}/MaxDelaySeconds");
            self.seconds(x, &loc, who, "MaxDelaySeconds", 1)
        });
        let full_jitter = match o.get("JitterStrategy") {
            None => false,
            Some(Value::String(s)) if s == "FULL" => true,
            Some(Value::String(s)) if s == "NONE" => false,
            Some(_) => {
                let msg = format!("{who}: 'JitterStrategy' must be FULL or NONE");
                self.err(SCHEMA, format!("{rl}/JitterStrategy"), msg);
                false
            }
        };
        Retrier {
            errors,
            interval,
            max_attempts,
            backoff,
            max_delay,
            full_jitter,
        }
    }

    /// Fields a retrier or catcher (`what`) does not take.
    fn unknown_fields(
        &mut self,
        o: &Map<String, Value>,
        allowed: &[&str],
        loc: &str,
        who: &str,
        what: &str,
    ) {
        for k in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.err(
                SCHEMA,
                format!("{loc}/{k}"),
                format!("{who}: field '{k}' is not supported in {what}"),
            );
        }
    }

    /// `States.ALL` only in the last retrier (or catcher).
    fn all_comes_last(&mut self, errors: &[String], last: bool, loc: &str, who: &str, what: &str) {
        if errors.iter().any(|e| e == "States.ALL") && !last {
            self.err(
                SCHEMA,
                format!("{loc}/ErrorEquals"),
                format!("{who}: {what} with 'States.ALL' must be the last one"),
            );
        }
    }

    pub(super) fn catch(
        &mut self,
        v: &Value,
        sloc: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
        lang: Lang,
    ) -> Vec<Catcher> {
        let loc = format!("{sloc}/Catch");
        let Some(a) = v.as_array() else {
            self.err(SCHEMA, loc, format!("{who}: 'Catch' must be an array"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in a.iter().enumerate() {
            let cl = format!("{loc}[{i}]");
            let Some(o) = c.as_object() else {
                self.err(SCHEMA, cl, format!("{who}: a catcher must be an object"));
                continue;
            };
            let allowed = match lang {
                Lang::JsonPath => CATCHER_FIELDS_JSONPATH,
                Lang::Jsonata => CATCHER_FIELDS_JSONATA,
            };
            self.unknown_fields(o, allowed, &cl, who, "a catcher");
            let errors = self.error_equals(o, &cl, who);
            self.all_comes_last(&errors, i + 1 == a.len(), &cl, who, "a catcher");
            out.extend(self.catcher(o, errors, &cl, who, index, lang));
        }
        out
    }

    /// A catcher's output (ResultPath or Output), variables and target.
    fn catcher(
        &mut self,
        o: &Map<String, Value>,
        errors: Vec<String>,
        cl: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
        lang: Lang,
    ) -> Option<Catcher> {
        let result_path = self.result_path(o.get("ResultPath"), &format!("{cl}/ResultPath"), who);
        let access = Access {
            result: false,
            error_output: true,
        };
        let output = o
            .get("Output")
            .map(|x| self.ata_with(x, &format!("{cl}/Output"), "Output", access));
        let assign = o
            .get("Assign")
            .and_then(|x| self.assign(x, &format!("{cl}/Assign"), who, lang, access));
        let next = match o.get("Next") {
            Some(n) => self.target(n, &format!("{cl}/Next"), who, "Next", index),
            None => {
                self.err(SCHEMA, cl, "These fields are required: [Next]");
                None
            }
        };
        Some(Catcher {
            errors,
            next: next?,
            result_path,
            output,
            assign,
        })
    }
}
