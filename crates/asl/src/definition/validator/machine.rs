//! The checks on a machine as a whole (the top level, a Parallel branch or a Map item
//! processor): its fields, its state names, its start, a terminal state and reachability.

use super::*;

/// The fields a machine takes: the top level, or a branch / item processor.
fn allowed_machine_fields(top: bool) -> &'static [&'static str] {
    if top {
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
    }
}

/// The variable names the states of one scope assign, with where.
fn assigned_names(states: &Map<String, Value>, loc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |assign: Option<&Value>, at: String| {
        let Some(m) = assign.and_then(Value::as_object) else {
            return;
        };
        for k in m.keys() {
            let name = k.strip_suffix(".$").unwrap_or(k);
            out.push((name.to_string(), format!("{at}/Assign/{k}")));
        }
    };
    for (name, st) in states {
        let at = format!("{loc}/States/{name}");
        add(st.get("Assign"), at.clone());
        for (field, list) in [("Choices", st.get("Choices")), ("Catch", st.get("Catch"))] {
            let items = list.and_then(Value::as_array).into_iter().flatten();
            for (i, x) in items.enumerate() {
                add(x.get("Assign"), format!("{at}/{field}[{i}]"));
            }
        }
    }
    out
}

/// Whether some state ends the machine: `End: true`, Succeed or Fail.
fn has_terminal(states: &Map<String, Value>) -> bool {
    states.values().any(|st| {
        st.get("End") == Some(&Value::Bool(true))
            || matches!(
                st.get("Type").and_then(Value::as_str),
                Some("Succeed" | "Fail")
            )
    })
}

/// Which states a walk from `start` along every transition reaches.
fn reachable(states: &[State], start: usize) -> Vec<bool> {
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
    seen
}

impl Validator {
    pub(super) fn machine(&mut self, v: &Value, loc: &str, top: bool) -> Option<Machine> {
        let Some(obj) = v.as_object() else {
            self.err(SCHEMA, at(loc), "the state machine must be a JSON object");
            return None;
        };
        self.machine_fields(obj, loc, top);
        if top && !self.top_query_language(obj, loc) {
            return None;
        }
        let timeout_seconds = obj.get("TimeoutSeconds").and_then(|t| {
            let tloc = format!("{loc}/TimeoutSeconds");
            self.seconds(t, &tloc, "the state machine", "TimeoutSeconds", 1)
        });
        let (states_obj, start_name) = self.states_and_start(obj, loc);
        let states_obj = states_obj?;
        let index = self.state_index(states_obj, loc);
        let start = start_name.and_then(|s| self.start_index(s, &index, loc));
        let states = self.scope_states(states_obj, loc, &index);
        // Without a terminal state, AWS reports only that (no location), not which states
        // are unreachable.
        if !has_terminal(states_obj) {
            self.err(NO_TERMINAL, "", "Workflow has no terminal state");
            return None;
        }
        let start = start?;
        if states.len() != states_obj.len() {
            return None;
        }
        self.check_reachable(&states, start, loc);
        Some(Machine {
            start,
            states,
            index,
            timeout_seconds,
        })
    }

    /// Fields the machine does not take.
    fn machine_fields(&mut self, obj: &Map<String, Value>, loc: &str, top: bool) {
        let allowed = allowed_machine_fields(top);
        let level = if top { "the top level" } else { "this level" };
        for k in obj.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(
                    SCHEMA,
                    format!("{loc}/{k}"),
                    format!("field '{k}' is not supported at {level}"),
                );
            }
        }
    }

    /// The top level's `QueryLanguage`, every state's default; false if it is not valid.
    fn top_query_language(&mut self, obj: &Map<String, Value>, loc: &str) -> bool {
        let Some(q) = obj.get("QueryLanguage") else {
            return true;
        };
        match self.lang(q, &format!("{loc}/QueryLanguage")) {
            Some(l) => {
                self.top_lang = l;
                true
            }
            None => false,
        }
    }

    /// `States` (a non-empty object) and `StartAt` (a string); missing required fields
    /// are named together, as AWS names them.
    fn states_and_start<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        loc: &str,
    ) -> (Option<&'v Map<String, Value>>, Option<&'v str>) {
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
        let states = match obj.get("States") {
            Some(Value::Object(m)) if !m.is_empty() => Some(m),
            Some(_) => {
                let msg = "'States' must be a non-empty object";
                self.err(SCHEMA, format!("{loc}/States"), msg);
                None
            }
            None => None,
        };
        let start = match obj.get("StartAt") {
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
        (states, start)
    }

    /// State names to indices. Names are unique in the whole machine (branches and item
    /// processors included) and 1 to 80 characters long.
    fn state_index(&mut self, states: &Map<String, Value>, loc: &str) -> HashMap<Arc<str>, usize> {
        let mut index: HashMap<Arc<str>, usize> = HashMap::new();
        for (i, name) in states.keys().enumerate() {
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
                    here,
                    format!("Invalid State name: State '{name}' exceeds the 80-character limit allowed by the service"),
                );
            } else if name.is_empty() {
                let msg = "Invalid State name: a state name must not be empty";
                self.err(BAD_NAME, here, msg);
            }
            index.insert(Arc::from(name.as_str()), i);
        }
        index
    }

    /// The index of the `StartAt` state.
    fn start_index(
        &mut self,
        name: &str,
        index: &HashMap<Arc<str>, usize>,
        loc: &str,
    ) -> Option<usize> {
        let found = index.get(name).copied();
        if found.is_none() {
            self.err(
                MISSING_TARGET,
                format!("{loc}/StartAt"),
                format!("Missing 'Next' target: {name}"),
            );
        }
        found
    }

    /// The states of one variable scope. A state inside a Parallel branch or a Map
    /// iteration may not assign a variable an enclosing scope assigns.
    fn scope_states(
        &mut self,
        states: &Map<String, Value>,
        loc: &str,
        index: &HashMap<Arc<str>, usize>,
    ) -> Vec<State> {
        let assigned = assigned_names(states, loc);
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
        let mut out = Vec::with_capacity(states.len());
        for (name, sv) in states {
            let sloc = format!("{loc}/States/{name}");
            if let Some(s) = self.state(name, sv, &sloc, index) {
                out.push(s);
            }
        }
        self.outer_assigned.pop();
        out
    }

    /// Every state must be reachable from `StartAt`.
    fn check_reachable(&mut self, states: &[State], start: usize, loc: &str) {
        let seen = reachable(states, start);
        for (s, seen) in states.iter().zip(seen) {
            if !seen {
                self.err(
                    MISSING_TARGET,
                    format!("{loc}/States/{}", s.name),
                    format!("State \"{}\" is not reachable.", s.name),
                );
            }
        }
    }
}
