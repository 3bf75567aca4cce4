//! Retry and Catch fields: error names, backoff settings, fallback transitions.

use super::*;

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
            for k in o.keys() {
                if ![
                    "ErrorEquals",
                    "IntervalSeconds",
                    "MaxAttempts",
                    "BackoffRate",
                    "MaxDelaySeconds",
                    "JitterStrategy",
                    "Comment",
                ]
                .contains(&k.as_str())
                {
                    self.err(
                        SCHEMA,
                        format!("{rl}/{k}"),
                        format!("{who}: field '{k}' is not supported in a retrier"),
                    );
                }
            }
            let errors = self.error_equals(o, &rl, who);
            if errors.iter().any(|e| e == "States.ALL") && i + 1 != a.len() {
                self.err(
                    SCHEMA,
                    format!("{rl}/ErrorEquals"),
                    format!("{who}: a retrier with 'States.ALL' must be the last one"),
                );
            }
            let interval = match o.get("IntervalSeconds") {
                None => 1,
                Some(x) => self
                    .seconds(
                        x,
                        &format!("{rl}/IntervalSeconds"),
                        who,
                        "IntervalSeconds",
                        1,
                    )
                    .unwrap_or(1),
            };
            let max_attempts = match o.get("MaxAttempts") {
                None => 3,
                Some(x) => match x.as_u64() {
                    Some(n) if n <= MAX_SECONDS => n as u32,
                    _ => {
                        self.err(
                            SCHEMA,
                            format!("{rl}/MaxAttempts"),
                            format!("{who}: 'MaxAttempts' must be a non-negative integer"),
                        );
                        0
                    }
                },
            };
            let backoff = match o.get("BackoffRate") {
                None => 2.0,
                Some(x) => match x.as_f64() {
                    Some(b) if b >= 1.0 => b,
                    _ => {
                        self.err(
                            SCHEMA,
                            format!("{rl}/BackoffRate"),
                            format!("{who}: 'BackoffRate' must be a number >= 1.0"),
                        );
                        1.0
                    }
                },
            };
            let max_delay = o.get("MaxDelaySeconds").and_then(|x| {
                self.seconds(
                    x,
                    &format!("{rl}/MaxDelaySeconds"),
                    who,
                    "MaxDelaySeconds",
                    1,
                )
            });
            let full_jitter = match o.get("JitterStrategy") {
                None => false,
                Some(Value::String(s)) if s == "FULL" => true,
                Some(Value::String(s)) if s == "NONE" => false,
                Some(_) => {
                    self.err(
                        SCHEMA,
                        format!("{rl}/JitterStrategy"),
                        format!("{who}: 'JitterStrategy' must be FULL or NONE"),
                    );
                    false
                }
            };
            out.push(Retrier {
                errors,
                interval,
                max_attempts,
                backoff,
                max_delay,
                full_jitter,
            });
        }
        out
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
            let allowed: &[&str] = match lang {
                Lang::JsonPath => &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"],
                Lang::Jsonata => &["ErrorEquals", "Next", "Output", "Assign", "Comment"],
            };
            for k in o.keys() {
                if !allowed.contains(&k.as_str()) {
                    self.err(
                        SCHEMA,
                        format!("{cl}/{k}"),
                        format!("{who}: field '{k}' is not supported in a catcher"),
                    );
                }
            }
            let errors = self.error_equals(o, &cl, who);
            if errors.iter().any(|e| e == "States.ALL") && i + 1 != a.len() {
                self.err(
                    SCHEMA,
                    format!("{cl}/ErrorEquals"),
                    format!("{who}: a catcher with 'States.ALL' must be the last one"),
                );
            }
            let result_path =
                self.result_path(o.get("ResultPath"), &format!("{cl}/ResultPath"), who);
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
                    self.err(SCHEMA, cl.clone(), "These fields are required: [Next]");
                    None
                }
            };
            if let Some(next) = next {
                out.push(Catcher {
                    errors,
                    next,
                    result_path,
                    output,
                    assign,
                });
            }
        }
        out
    }
}
