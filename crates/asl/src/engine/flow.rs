//! How data flows through one state: input and output paths, ResultPath, templates,
//! JSONata fields and `Assign`, with the errors AWS reports for each.

use super::run::Exec;
use crate::definition::{Assign, IoPath, Lang, ResultPathSpec, Secs, State};
use crate::fault::Fault;
use crate::jsonata::{self, States};
use crate::paths::{Env, Vars};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The variables a state assigned, if it has an `Assign`.
pub(crate) type Assigned = Option<Map<String, Value>>;

/// `States.QueryEvaluationError` with the cause AWS writes: which state (and the id of
/// its Entered event), then what went wrong.
pub(crate) fn query_error(st: &State, env: &Env, location: Option<&str>, what: String) -> Fault {
    Fault::query(
        &st.name,
        location.map(str::to_string),
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {what}",
            st.name, env.entered_id
        ),
    )
}

/// Evaluates a JSONata field.
pub(crate) fn ata_value(
    st: &State,
    env: &Env,
    field: &str,
    t: &jsonata::Template,
    states: &States<'_>,
) -> Result<Value, Fault> {
    t.eval(field, states, &env.vars)
        .map_err(|f| query_error(st, env, Some(&f.location), f.describe()))
}

/// Evaluates a JSONata field that must give a value of one JSON type.
pub(crate) fn ata_typed(
    st: &State,
    env: &Env,
    field: &str,
    t: &jsonata::Template,
    states: &States<'_>,
    expected: &str,
) -> Result<Value, Fault> {
    let v = ata_value(st, env, field, t, states)?;
    let got = jsonata::type_name(&v);
    let ok = got == expected || (expected == "integer" && v.is_u64());
    if ok {
        return Ok(v);
    }
    let what = match t.source() {
        Some(src) => format!(
            "The JSONata expression '{src}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{got}' for value: {v}"
        ),
        None => format!(
            "The value of the field '{field}' has an unexpected type. Expected '{expected}', but was '{got}' for value: {v}"
        ),
    };
    Err(query_error(st, env, Some(field), what))
}

/// Applies an `Assign` field: evaluated against `input` and `result` (JSONPath: `$` is
/// `result`), with the variables as they were before the state.
pub(crate) fn eval_assign(
    st: &State,
    assign: &Assign,
    env: &Env,
    states: &States<'_>,
) -> Result<Map<String, Value>, Fault> {
    let v = match assign {
        Assign::Path(t) => t.eval(states.result.unwrap_or(states.input), env)?,
        Assign::Ata(t) => ata_value(st, env, "Assign", t, states)?,
    };
    match v {
        Value::Object(m) => {
            check_assigned(st, &env.vars, &m)?;
            Ok(m)
        }
        _ => Ok(Map::new()),
    }
}

/// Checks assigned variables against Step Functions' size limits (one variable and one
/// `Assign` at most 256 KiB, all variables of the scope at most 10 MiB).
pub(crate) fn check_assigned(
    st: &State,
    vars: &Vars,
    assigned: &Map<String, Value>,
) -> Result<(), Fault> {
    use crate::limits::{json_size, ALL_VARIABLES_BYTES, VARIABLE_BYTES};
    let too_big = |what: String| {
        Fault::new(
            crate::fault::DATA_LIMIT,
            format!("The state '{}' assigned {what}", st.name),
        )
    };
    let mut together = 0usize;
    for (k, v) in assigned {
        let n = json_size(v, VARIABLE_BYTES);
        if n > VARIABLE_BYTES {
            return Err(too_big(format!(
                "the variable '{k}' a value larger than the maximum of {VARIABLE_BYTES} bytes"
            )));
        }
        together += n;
    }
    if together > VARIABLE_BYTES {
        return Err(too_big(format!(
            "variables whose values together exceed the maximum of {VARIABLE_BYTES} bytes for one Assign"
        )));
    }
    // The scope after this Assign, counted without building it: what the scope holds plus what
    // is assigned (an overwritten variable counts twice, erring on the safe side).
    if json_size(&**vars, ALL_VARIABLES_BYTES) + together > ALL_VARIABLES_BYTES {
        return Err(too_big(format!(
            "variables that together exceed the maximum of {ALL_VARIABLES_BYTES} bytes for an execution"
        )));
    }
    Ok(())
}

/// Stores assigned variables in the current scope.
pub(crate) fn store(vars: &mut Vars, assigned: &Option<Map<String, Value>>) {
    if let Some(a) = assigned {
        let m = Arc::make_mut(vars);
        for (k, v) in a {
            m.insert(k.clone(), v.clone());
        }
    }
}

pub(crate) fn apply_io(p: &IoPath, v: &Arc<Value>, ctx: &Env) -> Result<Arc<Value>, Fault> {
    match p {
        IoPath::Root => Ok(v.clone()),
        IoPath::Null => Ok(Arc::new(Value::Object(Map::new()))),
        IoPath::Path(path) => path
            .select(v, ctx)
            .map(Arc::new)
            .ok_or_else(|| Fault::runtime(path.no_results(v, ctx))),
    }
}

pub(crate) fn apply_result_path(
    rp: &ResultPathSpec,
    input: &Arc<Value>,
    result: Arc<Value>,
) -> Result<Arc<Value>, Fault> {
    match rp {
        ResultPathSpec::Replace => Ok(result),
        ResultPathSpec::Discard => Ok(input.clone()),
        ResultPathSpec::Ref(r) => r
            .set((**input).clone(), Arc::unwrap_or_clone(result))
            .map(Arc::new)
            .map_err(|e| Fault::runtime(format!("Unable to apply ResultPath: {e}"))),
    }
}

impl Exec {
    /// Finishes a state that produced `result` from `input`: JSONPath applies
    /// ResultSelector (when `select`), ResultPath and OutputPath; JSONata evaluates
    /// `Output` (default: `result`). `Assign` is evaluated beside them, against the
    /// variables from before the state, and stored afterwards.
    pub(crate) fn conclude(
        &self,
        st: &State,
        input: &Arc<Value>,
        result: Arc<Value>,
        env: &Env,
        vars: &mut Vars,
        select: bool,
    ) -> Result<(Arc<Value>, Assigned), Fault> {
        let (output, assigned) = match st.lang {
            Lang::JsonPath => {
                self.inspect(|i| i.result = Some((*result).clone()));
                let result = match (&st.result_selector, select) {
                    (Some(sel), true) => Arc::new(sel.eval(&result, env)?),
                    _ => result,
                };
                self.inspect(|i| i.after_result_selector = Some((*result).clone()));
                let assigned = match &st.assign {
                    Some(a) => Some(eval_assign(
                        st,
                        a,
                        env,
                        &States {
                            input,
                            result: Some(&result),
                            error_output: None,
                            context: &env.ctx,
                        },
                    )?),
                    None => None,
                };
                let out = apply_result_path(&st.result_path, input, result)?;
                self.inspect(|i| i.after_result_path = Some((*out).clone()));
                (apply_io(&st.output_path, &out, env)?, assigned)
            }
            Lang::Jsonata => {
                self.inspect(|i| i.result = Some((*result).clone()));
                let states = States {
                    input,
                    result: Some(&result),
                    error_output: None,
                    context: &env.ctx,
                };
                let assigned = match &st.assign {
                    Some(a) => Some(eval_assign(st, a, env, &states)?),
                    None => None,
                };
                let output = match &st.output {
                    Some(o) => Arc::new(ata_value(st, env, "Output", o, &states)?),
                    None => result.clone(),
                };
                (output, assigned)
            }
        };
        store(vars, &assigned);
        Ok((output, assigned))
    }

    /// The input a Parallel state's branches (or a Task) receive: JSONPath InputPath and
    /// Parameters, or JSONata Arguments (default: the state input).
    pub(crate) fn effective_input(
        &self,
        st: &State,
        input: &Arc<Value>,
        env: &Env,
    ) -> Result<Arc<Value>, Fault> {
        match st.lang {
            Lang::JsonPath => {
                let eff = apply_io(&st.input_path, input, env)?;
                self.inspect(|i| i.after_input_path = Some((*eff).clone()));
                let params = match &st.parameters {
                    Some(p) => Arc::new(p.eval(&eff, env)?),
                    None => eff,
                };
                self.inspect(|i| i.after_parameters = Some((*params).clone()));
                Ok(params)
            }
            Lang::Jsonata => match &st.arguments {
                Some(a) => {
                    let states = States::of(input, &env.ctx);
                    let args = Arc::new(ata_value(st, env, "Arguments", a, &states)?);
                    self.inspect(|i| i.after_arguments = Some((*args).clone()));
                    Ok(args)
                }
                None => Ok(input.clone()),
            },
        }
    }

    /// Seconds from a JSONPath or JSONata field (`TimeoutSeconds`, `MaxConcurrency` ...).
    pub(crate) fn number_field(
        &self,
        st: &State,
        s: &Secs,
        eff: &Value,
        env: &Env,
        field: &str,
    ) -> Result<Option<Value>, Fault> {
        Ok(match s {
            Secs::Fixed(n) => Some(Value::from(*n)),
            Secs::Path(p) => p.select(eff, env),
            Secs::Ata(t) => {
                let states = States::of(eff, &env.ctx);
                Some(ata_typed(st, env, field, t, &states, "integer")?)
            }
        })
    }
}
