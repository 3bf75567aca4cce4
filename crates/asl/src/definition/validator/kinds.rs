//! The fields particular to Task, Choice, Wait, Parallel and Map states.

use super::*;

impl Validator {
    pub(super) fn task_kind(
        &mut self,
        obj: &Map<String, Value>,
        sloc: &str,
        who: &str,
    ) -> Option<Kind> {
        Some({
            let resource = match obj.get("Resource") {
                Some(Value::String(r)) if r.starts_with("arn:") => r.clone(),
                Some(_) => {
                    self.err(
                        BAD_RESOURCE,
                        format!("{sloc}/Resource"),
                        format!("{who}: 'Resource' must be an ARN string"),
                    );
                    String::new()
                }
                None => {
                    self.err(
                        SCHEMA,
                        sloc.to_string(),
                        "These fields are required: [Resource]",
                    );
                    String::new()
                }
            };
            let (pattern, base) = IntegrationPattern::of(&resource);
            let base = base.to_string();
            let timeout = self.secs_field(obj, "TimeoutSeconds", sloc, who);
            let heartbeat = self.secs_field(obj, "HeartbeatSeconds", sloc, who);
            if let (Some(Secs::Fixed(t)), Some(Secs::Fixed(h))) = (&timeout, &heartbeat) {
                if h >= t {
                    self.err(
                        SCHEMA,
                        format!("{sloc}/HeartbeatSeconds"),
                        format!("{who}: 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'"),
                    );
                }
            }
            let credentials = obj
                .get("Credentials")
                .map(|c| self.template(c, &format!("{sloc}/Credentials")));
            Kind::Task(TaskSpec {
                resource,
                base,
                pattern,
                timeout,
                heartbeat,
                credentials,
            })
        })
    }

    pub(super) fn choice_kind(
        &mut self,
        obj: &Map<String, Value>,
        sloc: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Option<Kind> {
        let mut choices = Vec::new();
        match obj.get("Choices").and_then(Value::as_array) {
            Some(a) if !a.is_empty() => {
                for (i, r) in a.iter().enumerate() {
                    let rl = format!("{sloc}/Choices[{i}]");
                    choices.extend(self.choice_rule(r, &rl, who, index));
                }
            }
            _ => self.err(
                SCHEMA,
                format!("{sloc}/Choices"),
                format!("{who}: 'Choices' must be a non-empty array"),
            ),
        }
        let default = obj
            .get("Default")
            .and_then(|d| self.target(d, &format!("{sloc}/Default"), who, "Default", index));
        Some(Kind::Choice { choices, default })
    }

    /// One rule of `Choices` (at `rl`): its test in the state's query language, its
    /// Assign, Output and target.
    fn choice_rule(
        &mut self,
        r: &Value,
        rl: &str,
        who: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Option<ChoiceRule> {
        let lang = self.cur_lang;
        let (test, output) = match (lang, r.as_object()) {
            (Lang::Jsonata, Some(o)) => self.jsonata_choice_test(o, rl, who),
            _ => (self.jsonpath_choice_test(r, rl, who), None),
        };
        let assign = r
            .get("Assign")
            .and_then(|x| self.assign(x, &format!("{rl}/Assign"), who, lang, Access::default()));
        let next = match r.get("Next") {
            Some(n) => self.target(n, &format!("{rl}/Next"), who, "Next", index),
            None => {
                self.err(SCHEMA, rl, "These fields are required: [Next]");
                None
            }
        };
        Some(ChoiceRule {
            test: test?,
            next: next?,
            assign,
            output,
        })
    }

    /// A JSONata rule: its `Condition` (required) and `Output`.
    fn jsonata_choice_test(
        &mut self,
        o: &Map<String, Value>,
        rl: &str,
        who: &str,
    ) -> (Option<ChoiceTest>, Option<crate::jsonata::Template>) {
        const FIELDS: [&str; 5] = ["Condition", "Next", "Assign", "Output", "Comment"];
        for k in o.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            self.err(SCHEMA, rl, format!("The QueryLanguage is set to 'JSONata', but field '{k}' is only supported for the 'JSONPath' QueryLanguage"));
        }
        let test = match o.get("Condition") {
            Some(c) => {
                let t = self.ata(c, &format!("{rl}/Condition"), "Condition");
                Some(ChoiceTest::Condition(t))
            }
            None => {
                let msg = format!("{who}: every JSONata choice rule needs 'Condition'");
                self.err(SCHEMA, rl, msg);
                None
            }
        };
        let output = o
            .get("Output")
            .map(|x| self.ata(x, &format!("{rl}/Output"), "Output"));
        (test, output)
    }

    /// A JSONPath rule (its `Assign` aside), compiled by [`choice::compile`].
    fn jsonpath_choice_test(&mut self, r: &Value, rl: &str, who: &str) -> Option<ChoiceTest> {
        let mut errs = Vec::new();
        let stripped = match r.as_object() {
            Some(o) if o.contains_key("Assign") => {
                let mut o = o.clone();
                o.remove("Assign");
                Value::Object(o)
            }
            _ => r.clone(),
        };
        let rule = choice::compile(&stripped, rl, &mut errs);
        for (l, m) in errs {
            self.err(SCHEMA, l, format!("{who}: {m}"));
        }
        rule.map(ChoiceTest::Rule)
    }

    pub(super) fn wait_kind(
        &mut self,
        obj: &Map<String, Value>,
        sloc: &str,
        who: &str,
    ) -> Option<Kind> {
        Some({
            let present: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
                .into_iter()
                .filter(|f| obj.contains_key(*f))
                .collect();
            if present.len() != 1 {
                self.err(SCHEMA, sloc.to_string(), format!(
                    "{who}: exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' is required, found {}",
                    if present.is_empty() { "none".to_string() } else { present.join(", ") }
                ));
                return None;
            }
            let f = present[0];
            let fv = &obj[f];
            let fl = format!("{sloc}/{f}");
            if self.cur_lang == Lang::Jsonata {
                match (f, fv) {
                    ("Seconds", Value::String(_)) => {
                        return Some(Kind::Wait(WaitSpec::SecondsAta(self.ata(fv, &fl, f))))
                    }
                    ("Timestamp", Value::String(s)) if crate::jsonata::inner(s).is_some() => {
                        return Some(Kind::Wait(WaitSpec::TimestampAta(self.ata(fv, &fl, f))))
                    }
                    _ => {}
                }
            }
            match f {
                "Seconds" => Kind::Wait(WaitSpec::Seconds(self.seconds(fv, &fl, who, f, 0)?)),
                "Timestamp" => match fv.as_str().and_then(choice::parse_timestamp) {
                    Some(t) => Kind::Wait(WaitSpec::Timestamp(t.with_timezone(&chrono::Utc))),
                    None => {
                        self.err(SCHEMA, fl, "String does not match RFC3339 timestamp");
                        return None;
                    }
                },
                "SecondsPath" => Kind::Wait(WaitSpec::SecondsPath(self.path(fv, &fl, who, f)?)),
                _ => Kind::Wait(WaitSpec::TimestampPath(self.path(fv, &fl, who, f)?)),
            }
        })
    }

    pub(super) fn parallel_kind(
        &mut self,
        obj: &Map<String, Value>,
        sloc: &str,
        who: &str,
    ) -> Option<Kind> {
        Some({
            let mut branches = Vec::new();
            match obj.get("Branches").and_then(Value::as_array) {
                Some(a) if !a.is_empty() => {
                    for (i, b) in a.iter().enumerate() {
                        if let Some(m) = self.machine(b, &format!("{sloc}/Branches[{i}]"), false) {
                            branches.push(Arc::new(m));
                        }
                    }
                }
                _ => self.err(
                    SCHEMA,
                    format!("{sloc}/Branches"),
                    format!("{who}: 'Branches' must be a non-empty array"),
                ),
            }
            Kind::Parallel { branches }
        })
    }

    pub(super) fn map_kind(
        &mut self,
        obj: &Map<String, Value>,
        sloc: &str,
        who: &str,
        parameters: &Option<Template>,
    ) -> Option<Kind> {
        let lang = self.cur_lang;
        let processor = self.map_processor(obj, sloc, who);
        if obj.contains_key("ItemSelector") && obj.contains_key("Parameters") {
            self.err(
                SCHEMA,
                format!("{sloc}/Parameters"),
                format!("{who}: use either 'ItemSelector' or 'Parameters', not both"),
            );
        }
        let items_path = match obj.get("ItemsPath") {
            None => IoPath::Root,
            Some(p) => self
                .path(p, &format!("{sloc}/ItemsPath"), who, "ItemsPath")
                .map(IoPath::Path)
                .unwrap_or(IoPath::Root),
        };
        // The item processor's states may have changed it.
        self.cur_lang = lang;
        let items = obj
            .get("Items")
            .map(|x| self.ata(x, &format!("{sloc}/Items"), "Items"));
        let max_concurrency = self.max_concurrency(obj, sloc, who);
        // Parameters on a Map is the legacy name of ItemSelector.
        let (item_selector, item_selector_ata) = match (lang, obj.get("ItemSelector")) {
            (Lang::Jsonata, Some(p)) => (
                None,
                Some(self.ata(p, &format!("{sloc}/ItemSelector"), "ItemSelector")),
            ),
            (_, p) => (
                p.map(|p| self.template(p, &format!("{sloc}/ItemSelector"))),
                None,
            ),
        };
        let item_selector = item_selector.or_else(|| parameters.clone());
        let processor = processor?;
        let unsupported = ["ItemReader", "ResultWriter", "ItemBatcher"]
            .into_iter()
            .find(|f| obj.contains_key(*f));
        Some(Kind::Map(MapSpec {
            processor: Arc::new(processor),
            items_path,
            item_selector,
            items,
            item_selector_ata,
            max_concurrency,
            unsupported,
        }))
    }

    /// The machine each item runs: `ItemProcessor`, or its legacy name `Iterator`.
    fn map_processor(
        &mut self,
        obj: &Map<String, Value>,
        sloc: &str,
        who: &str,
    ) -> Option<Machine> {
        let (field, proc_v) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", Some(p)),
            (None, Some(p)) => ("Iterator", Some(p)),
            (Some(_), Some(_)) => {
                self.err(
                    SCHEMA,
                    format!("{sloc}/Iterator"),
                    format!("{who}: use either 'ItemProcessor' or 'Iterator', not both"),
                );
                ("ItemProcessor", None)
            }
            (None, None) => {
                self.err(
                    SCHEMA,
                    sloc.to_string(),
                    "These fields are required: [ItemProcessor]",
                );
                ("ItemProcessor", None)
            }
        };
        proc_v.and_then(|p| self.machine(p, &format!("{sloc}/{field}"), false))
    }

    /// `MaxConcurrency` (a non-negative integer, or a JSONata expression) or
    /// `MaxConcurrencyPath`.
    fn max_concurrency(&mut self, obj: &Map<String, Value>, sloc: &str, who: &str) -> Option<Secs> {
        let field_loc = format!("{sloc}/MaxConcurrency");
        match self.field_or_path(obj, "MaxConcurrency", sloc, who) {
            Given::Value(v @ Value::String(_)) if self.cur_lang == Lang::Jsonata => {
                Some(Secs::Ata(self.ata(v, &field_loc, "MaxConcurrency")))
            }
            Given::Value(v) => {
                let n = v.as_u64();
                if n.is_none() {
                    let msg = format!("{who}: 'MaxConcurrency' must be a non-negative integer");
                    self.err(SCHEMA, field_loc, msg);
                }
                n.map(Secs::Fixed)
            }
            Given::Path(p, path_field) => {
                let loc = format!("{sloc}/{path_field}");
                self.path(p, &loc, who, &path_field).map(Secs::Path)
            }
            Given::Neither => None,
        }
    }
}
