//! The states that run in one step: Pass, Succeed, Fail, Choice and Wait. Task, Parallel
//! and Map run attempts under their Retry and Catch fields (`retry.rs`).

use super::flow::{apply_io, ata_typed, ata_value, eval_assign, query_error, store};
use super::run::{Entered, Exec, TaskResume, Transition};
use crate::definition::{ChoiceTest, Kind, Lang, State, Text, WaitSpec};
use crate::fault::Fault;
use crate::intrinsics::to_text;
use crate::jsonata::{self, States};
use crate::paths::{Env, Path, Vars};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A JSONata field's value, as the state's `$states.input` reads `input`.
fn ata_on(
    st: &State,
    env: &Env,
    t: &jsonata::Template,
    field: &str,
    input: &Value,
) -> Result<Value, Fault> {
    let states = States::of(input, &env.ctx);
    ata_value(st, env, field, t, &states)
}

impl Exec {
    /// Runs one entered state: the output and the transition it takes.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn run_state(
        &self,
        st: &State,
        input: Arc<Value>,
        prev: &mut u64,
        entered: Entered,
        tres: Option<Box<TaskResume>>,
        vars: &mut Vars,
        top: bool,
    ) -> Result<Transition, Fault> {
        if matches!(
            st.kind,
            Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_)
        ) {
            // Boxed: the task/parallel/map futures are large and would otherwise make every
            // waiting execution (a Wait state) pay for their size.
            return Box::pin(self.run_with_retry(st, input, prev, entered, tres, vars)).await;
        }
        let env = self.env(st, entered, 0, None, vars);
        match &st.kind {
            Kind::Pass { result } => self.pass_state(st, result, &input, &env, vars),
            Kind::Succeed => self.succeed_state(st, &input, &env, vars),
            Kind::Fail { error, cause } => Err(fail_fault(st, error, cause, &input, &env)?),
            Kind::Choice { .. } => self.choice_state(st, &input, entered, &env, vars),
            Kind::Wait(w) => {
                self.wait_state(st, w, &input, entered, &env, vars, top)
                    .await
            }
            Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_) => {
                Err(Fault::runtime("internal: not a one-step state"))
            }
        }
    }

    /// Pass: `Result`, or the (Parameters of the) input, concluded as any result.
    fn pass_state(
        &self,
        st: &State,
        result: &Option<Arc<Value>>,
        input: &Arc<Value>,
        env: &Env,
        vars: &mut Vars,
    ) -> Result<Transition, Fault> {
        let eff = apply_io(&st.input_path, input, env)?;
        self.inspect(|i| i.after_input_path = Some((*eff).clone()));
        // Shared, not copied: the Result literal and an unchanged input are Arcs.
        let res = match (result, &st.parameters) {
            (Some(r), _) => r.clone(),
            (None, Some(p)) => Arc::new(p.eval(&eff, env)?),
            (None, None) => eff,
        };
        self.inspect(|i| i.after_parameters = Some((*res).clone()));
        let (output, assigned) = self.conclude(st, input, res, env, vars, false)?;
        Ok(Transition::new(output, st.next, assigned))
    }

    /// Succeed: the input through InputPath and OutputPath (JSONata: `Output`).
    fn succeed_state(
        &self,
        st: &State,
        input: &Arc<Value>,
        env: &Env,
        vars: &mut Vars,
    ) -> Result<Transition, Fault> {
        let eff = apply_io(&st.input_path, input, env)?;
        let (output, assigned) = match st.lang {
            Lang::JsonPath => (apply_io(&st.output_path, &eff, env)?, None),
            Lang::Jsonata => self.conclude(st, input, eff, env, vars, false)?,
        };
        Ok(Transition::new(output, None, assigned))
    }

    /// Choice: the matched rule's (or the state's) Assign and Output, and its target.
    fn choice_state(
        &self,
        st: &State,
        input: &Arc<Value>,
        entered: Entered,
        env: &Env,
        vars: &mut Vars,
    ) -> Result<Transition, Fault> {
        let Kind::Choice { choices, .. } = &st.kind else {
            return Err(Fault::runtime("internal: not a Choice state"));
        };
        let (next, rule) = self.choose(st, input, entered, vars)?;
        let eff = apply_io(&st.input_path, input, env)?;
        let (assign, output) = match rule.map(|i| &choices[i]) {
            Some(c) if st.lang == Lang::Jsonata || c.assign.is_some() => {
                (c.assign.as_ref(), c.output.as_ref().or(st.output.as_ref()))
            }
            _ => (st.assign.as_ref(), st.output.as_ref()),
        };
        let states = States::of(&eff, &env.ctx);
        let assigned = match assign {
            Some(a) => Some(eval_assign(st, a, env, &states)?),
            None => None,
        };
        let output = match (st.lang, output) {
            (Lang::Jsonata, Some(o)) => Arc::new(ata_value(st, env, "Output", o, &states)?),
            (Lang::Jsonata, None) => eff,
            (Lang::JsonPath, _) => apply_io(&st.output_path, &eff, env)?,
        };
        store(vars, &assigned);
        Ok(Transition::new(output, next, assigned))
    }

    /// The rule a Choice state takes: (next state, the matched rule's index).
    pub(super) fn choose(
        &self,
        st: &State,
        input: &Arc<Value>,
        entered: Entered,
        vars: &Vars,
    ) -> Result<(Option<usize>, Option<usize>), Fault> {
        let Kind::Choice { choices, default } = &st.kind else {
            return Ok((st.next, None));
        };
        let env = self.env(st, entered, 0, None, vars);
        let eff = apply_io(&st.input_path, input, &env)?;
        for (i, c) in choices.iter().enumerate() {
            if rule_matches(st, &c.test, &eff, &env)? {
                return Ok((Some(c.next), Some(i)));
            }
        }
        match default {
            Some(d) => Ok((Some(*d), None)),
            None => Err(Fault::new(
                "States.NoChoiceMatched",
                format!(
                    "No Choice Rules matched and no Default was specified in state '{}'",
                    st.name
                ),
            )),
        }
    }

    /// Wait: sleeps on the clock until the target time (a long top-level wait parks the
    /// execution instead), then passes its input on.
    #[allow(clippy::too_many_arguments)]
    async fn wait_state(
        &self,
        st: &State,
        w: &WaitSpec,
        input: &Arc<Value>,
        entered: Entered,
        env: &Env,
        vars: &mut Vars,
        top: bool,
    ) -> Result<Transition, Fault> {
        let eff = apply_io(&st.input_path, input, env)?;
        let target = wait_target(st, w, &eff, entered, env)?;
        self.wait_until(entered, target, top).await?;
        let (output, assigned) = match st.lang {
            Lang::JsonPath => {
                let assigned = match &st.assign {
                    Some(a) => {
                        let states = States::of(&eff, &env.ctx);
                        Some(eval_assign(st, a, env, &states)?)
                    }
                    None => None,
                };
                store(vars, &assigned);
                (apply_io(&st.output_path, &eff, env)?, assigned)
            }
            Lang::Jsonata => self.conclude(st, input, eff, env, vars, false)?,
        };
        Ok(Transition::new(output, st.next, assigned))
    }

    /// Sleeps until `target`. A delay past 2^31 seconds is refused, as AWS refuses it; a
    /// top-level wait long enough for the observer to park it ends the run here.
    async fn wait_until(
        &self,
        entered: Entered,
        target: DateTime<Utc>,
        top: bool,
    ) -> Result<(), Fault> {
        // The range ends before its last second: a target at the edge fails too.
        if target >= crate::clock::plus_seconds(entered.at, crate::limits::WAIT_SECONDS) {
            return Err(Fault::runtime("Wait state delay is too long."));
        }
        if self.shared.skip_next.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let now = self.engine.clock.now();
        if top
            && target > crate::clock::plus_seconds(now, crate::observer::PARK_AFTER_SECONDS)
            && self.observer.parks()
        {
            return Err(Fault::park(target));
        }
        if target > now {
            let shared = &self.shared;
            let skipped = shared.skip.notified();
            let mut skipped = std::pin::pin!(skipped);
            skipped.as_mut().enable();
            shared.waits.fetch_add(1, Ordering::SeqCst);
            tokio::select! {
                _ = self.engine.clock.sleep_until(target) => {}
                _ = skipped => {}
            }
            shared.waits.fetch_sub(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Whether one Choice rule matches the (effective) input.
fn rule_matches(st: &State, test: &ChoiceTest, eff: &Arc<Value>, env: &Env) -> Result<bool, Fault> {
    let t = match test {
        ChoiceTest::Rule(rule) => return rule.eval(eff, env),
        ChoiceTest::Condition(t) => t,
    };
    match ata_on(st, env, t, "Condition", eff)? {
        Value::Bool(b) => Ok(b),
        other => {
            let what = format!(
                "The JSONata expression '{}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {other}",
                t.source().unwrap_or_default(),
                jsonata::type_name(&other)
            );
            Err(query_error(st, env, Some("Condition"), what))
        }
    }
}

/// Fail: the error and cause it raises (literal, path, intrinsic or JSONata).
fn fail_fault(
    st: &State,
    error: &Option<Text>,
    cause: &Option<Text>,
    input: &Arc<Value>,
    env: &Env,
) -> Result<Fault, Fault> {
    let text = |t: &Option<Text>, field: &str| -> Result<String, Fault> {
        let v = match t {
            None => return Ok(String::new()),
            Some(Text::Lit(s)) => return Ok(s.clone()),
            Some(Text::Expr(e)) => e.eval_as(input, env, &format!("{field}Path"))?,
            Some(Text::Ata(t)) => ata_on(st, env, t, field, input)?,
        };
        Ok(to_text(&v))
    };
    Ok(Fault::new(text(error, "Error")?, text(cause, "Cause")?))
}

/// The time a Wait state waits for, from whichever field it has.
fn wait_target(
    st: &State,
    w: &WaitSpec,
    eff: &Arc<Value>,
    entered: Entered,
    env: &Env,
) -> Result<DateTime<Utc>, Fault> {
    Ok(match w {
        WaitSpec::Seconds(s) => {
            crate::clock::plus_seconds(entered.at, i64::try_from(*s).unwrap_or(i64::MAX))
        }
        WaitSpec::Timestamp(t) => *t,
        WaitSpec::SecondsPath(p) => seconds_path_target(p, eff, entered, env)?,
        WaitSpec::TimestampPath(p) => timestamp_path_target(p, eff, env)?,
        WaitSpec::SecondsAta(t) => {
            let states = States::of(eff, &env.ctx);
            let v = ata_typed(st, env, "Seconds", t, &states, "integer")?;
            crate::clock::plus_seconds(entered.at, v.as_i64().unwrap_or(i64::MAX))
        }
        WaitSpec::TimestampAta(t) => {
            let v = ata_on(st, env, t, "Timestamp", eff)?;
            match v.as_str().and_then(crate::choice::parse_timestamp) {
                Some(t) => t.with_timezone(&Utc),
                None => {
                    let what = format!("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}", to_text(&v));
                    return Err(query_error(st, env, Some("Timestamp"), what));
                }
            }
        }
    })
}

/// `SecondsPath`: a non-negative whole number of seconds after the state's entry.
fn seconds_path_target(
    p: &Path,
    eff: &Arc<Value>,
    entered: Entered,
    env: &Env,
) -> Result<DateTime<Utc>, Fault> {
    let Some(v) = p.select(eff, env) else {
        return Err(Fault::runtime(format!(
            "The SecondsPath parameter does not reference an input value: {}",
            p.text
        )));
    };
    match (v.as_i64(), v.as_f64()) {
        (Some(n), _) if n >= 0 => Ok(crate::clock::plus_seconds(entered.at, n)),
        (Some(_), _) => Err(Fault::runtime(format!(
            "The SecondsPath parameter references a negative value: {} == {}",
            p.text,
            to_text(&v)
        ))),
        _ => Err(Fault::runtime(format!(
            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
            p.text,
            to_text(&v)
        ))),
    }
}

/// `TimestampPath`: an ISO-8601 date-time with offset.
fn timestamp_path_target(p: &Path, eff: &Arc<Value>, env: &Env) -> Result<DateTime<Utc>, Fault> {
    let Some(v) = p.select(eff, env) else {
        return Err(Fault::runtime(format!(
            "The TimestampPath parameter does not reference an input value: {}",
            p.text
        )));
    };
    match v.as_str().and_then(crate::choice::parse_timestamp) {
        Some(t) => Ok(t.with_timezone(&Utc)),
        None => Err(Fault::runtime(format!(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
            p.text,
            to_text(&v)
        ))),
    }
}
