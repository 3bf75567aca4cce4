//! Parallel and Map states: one attempt runs branches (or one item processor per item)
//! as nested machines, each writing its events after the attempt's `…StateStarted`.

use super::flow::{apply_io, ata_typed, ata_value, query_error};
use super::run::{AttemptCtx, Exec};
use crate::definition::{IoPath, Lang, Machine, MapSpec, Secs, State};
use crate::fault::Fault;
use crate::history::{EventDetails, EventType, MapIterationDetails, MapStartedDetails};
use crate::intrinsics::to_text;
use crate::jsonata::States;
use crate::paths::{Env, Path, Vars};
use serde_json::{json, Value};
use std::sync::Arc;

/// What every iteration of one Map attempt shares.
struct MapRun<'a> {
    st: &'a State,
    m: &'a MapSpec,
    /// The state's input after InputPath: what the ItemSelector reads.
    eff: Arc<Value>,
    env: Env,
    /// Whether the ItemSelector reads the context object (besides `$$.Map.Item`).
    uses_ctx: bool,
    /// Id of the `MapStateStarted` event each iteration's first event points back to.
    started: u64,
    vars: &'a Vars,
}

impl MapRun<'_> {
    /// One iteration's input: the item, or the ItemSelector evaluated with
    /// `$$.Map.Item` (JSONata: `$states.context.Map.Item`).
    fn item_input(&self, i: usize, item: Value) -> Result<Arc<Value>, Fault> {
        let m = self.m;
        if m.item_selector.is_none() && m.item_selector_ata.is_none() {
            return Ok(Arc::new(item));
        }
        let mut ctx = if self.uses_ctx {
            self.env.ctx.clone()
        } else {
            Value::Null
        };
        if let Some(o) = ctx.as_object_mut() {
            o.insert("Map".into(), json!({"Item": {"Index": i, "Value": item}}));
        }
        let item_env = Env {
            ctx,
            vars: self.env.vars.clone(),
            entered_id: self.env.entered_id,
        };
        match (&m.item_selector, &m.item_selector_ata) {
            (Some(t), _) => t.eval(&self.eff, &item_env).map(Arc::new),
            (None, Some(t)) => {
                let states = States::of(&self.eff, &item_env.ctx);
                ata_value(self.st, &item_env, "ItemSelector", t, &states).map(Arc::new)
            }
            (None, None) => Ok(Arc::new(item)),
        }
    }
}

/// `MaxConcurrencyPath`: a non-negative integer in the input. As on AWS, a number with a
/// fraction counts its whole part and a string holding an integer counts as that integer.
fn max_concurrency_at(p: &Path, eff: &Value, env: &Env) -> Result<usize, Fault> {
    let v = p
        .select(eff, env)
        .ok_or_else(|| Fault::runtime(p.no_results(eff, env)))?;
    let Some(c) = whole_number(&v) else {
        return Err(Fault::runtime(format!(
            "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: {}",
            to_text(&v),
            p.text
        )));
    };
    if c < 0 {
        return Err(Fault::runtime(format!(
            "Expected non-negative integer for MaxConcurrency, got '{c}' instead."
        )));
    }
    Ok(usize::try_from(c).unwrap_or(usize::MAX))
}

/// The integer a MaxConcurrencyPath value stands for: a number (its whole part) or a
/// string of an integer (`" 3"`, `"+3"`).
fn whole_number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        Value::String(s) => s.trim().replace('_', "").parse::<i64>().ok(),
        _ => None,
    }
}

impl Exec {
    /// One attempt of a Parallel state: every branch on the effective input, each in its
    /// own copy of the variables; the branches' outputs in order.
    pub(super) async fn parallel_attempt(
        &self,
        at: AttemptCtx<'_>,
        branches: &[Arc<Machine>],
        prev: &mut u64,
    ) -> Result<Value, Fault> {
        let st = at.st;
        let env = self.env(st, at.entered, at.retry, None, at.vars);
        let eff = self.effective_input(st, at.input, &env)?;
        let started = self.emit(prev, EventType::ParallelStateStarted, None);
        // A redriven Parallel state runs only the branches that had not succeeded.
        let done = self.redrive.take_done(&st.name).unwrap_or_default();
        let futs = branches.iter().enumerate().map(|(i, b)| {
            let eff = eff.clone();
            let kept = done.get(&(i as u64)).cloned();
            // Each branch reads the outer variables; what it assigns stays inside it.
            let mut scope = at.vars.clone();
            async move {
                if let Some(out) = kept {
                    return Ok(Arc::new(out));
                }
                let mut p = started;
                self.run_machine(b, eff, &mut p, false, None, &mut scope)
                    .await
            }
        });
        // `ParallelStateFailed` is written once retries are over (run_with_retry).
        let outs = futures::future::try_join_all(futs).await?;
        self.emit(prev, EventType::ParallelStateSucceeded, None);
        Ok(Value::Array(
            outs.into_iter().map(Arc::unwrap_or_clone).collect(),
        ))
    }

    /// The array a Map state iterates over.
    pub(super) fn map_items(
        &self,
        st: &State,
        m: &crate::definition::MapSpec,
        input: &Arc<Value>,
        env: &Env,
    ) -> Result<Vec<Value>, Fault> {
        let items = match (st.lang, &m.items_path, &m.items) {
            (Lang::Jsonata, _, Some(t)) => {
                let states = States::of(input, &env.ctx);
                ata_typed(st, env, "Items", t, &states, "array")?
            }
            (Lang::Jsonata, _, None) => match &**input {
                v @ Value::Array(_) => v.clone(),
                other => {
                    return Err(query_error(
                        st,
                        env,
                        None,
                        format!("Map state input must be an array but was: {other}"),
                    ))
                }
            },
            (Lang::JsonPath, IoPath::Path(p), _) => {
                let eff = apply_io(&st.input_path, input, env)?;
                p.select(&eff, env).ok_or_else(|| {
                    Fault::runtime(format!(
                        "Invalid path '{}' : The ItemsPath could not be found in the input",
                        p.text
                    ))
                })?
            }
            (Lang::JsonPath, _, _) => (*apply_io(&st.input_path, input, env)?).clone(),
        };
        match items {
            Value::Array(items) => Ok(items),
            other if st.lang == Lang::Jsonata => Err(Fault::new(
                crate::fault::QUERY_EVALUATION,
                format!(
                    "The Items of the Map state '{}' must evaluate to a JSON array, got {other}",
                    st.name
                ),
            )),
            // AWS's words (a recorded TestState answer): the ItemsPath, `$` when absent.
            _ => {
                let path = match &m.items_path {
                    IoPath::Path(p) => p.text.as_str(),
                    _ => "$",
                };
                Err(Fault::runtime(format!(
                    "Reference path \"{path}\" must point to array."
                )))
            }
        }
    }

    /// One attempt of a Map state: `MapStateStarted` with the item count, the
    /// iterations (at most `MaxConcurrency` at a time), then `MapStateSucceeded`.
    pub(super) async fn map_attempt(
        &self,
        at: AttemptCtx<'_>,
        m: &MapSpec,
        prev: &mut u64,
    ) -> Result<Value, Fault> {
        let st = at.st;
        let env = self.env(st, at.entered, at.retry, None, at.vars);
        if let Some(f) = m.unsupported {
            return Err(Fault::runtime(format!(
                "Map state '{}': '{f}' (distributed Map) is not supported by this engine; only inline Map runs locally",
                st.name
            )));
        }
        let eff = apply_io(&st.input_path, at.input, &env)?;
        let items = self.map_items(st, m, at.input, &env)?;
        let n = items.len();
        let conc = match self.max_concurrency(st, m, &eff, &env)? {
            0 => n.max(1),
            c => c,
        };
        let started = self.emit(
            prev,
            EventType::MapStateStarted,
            Some(EventDetails::MapStateStarted(MapStartedDetails {
                length: n as u64,
            })),
        );
        let uses_ctx = m.item_selector.as_ref().is_some_and(|t| t.uses_context())
            || m.item_selector_ata.is_some();
        let run = MapRun {
            st,
            m,
            eff,
            env,
            uses_ctx,
            started,
            vars: at.vars,
        };
        // A redriven Map state runs only the iterations that had not succeeded.
        let done = self.redrive.take_done(&st.name).unwrap_or_default();
        let results = self.run_iterations(&run, items, conc, done).await?;
        self.emit(prev, EventType::MapStateSucceeded, None);
        Ok(Value::Array(results))
    }

    /// `MaxConcurrency(Path)`; 0 (the default) runs every iteration at once.
    fn max_concurrency(
        &self,
        st: &State,
        m: &MapSpec,
        eff: &Value,
        env: &Env,
    ) -> Result<usize, Fault> {
        let fixed = match &m.max_concurrency {
            None => return Ok(0),
            Some(Secs::Path(p)) => return max_concurrency_at(p, eff, env),
            Some(s) => self.number_field(st, s, eff, env, "MaxConcurrency")?,
        };
        match fixed.and_then(|v| v.as_u64()) {
            Some(c) => Ok(usize::try_from(c).unwrap_or(usize::MAX)),
            None => Err(Fault::runtime(format!(
                "The MaxConcurrency of the Map state '{}' must be a non-negative integer",
                st.name
            ))),
        }
    }

    /// Runs the iterations, `conc` at a time, but for those `done` already has the
    /// output of; the first failure ends the attempt (the iterations still running are
    /// dropped).
    async fn run_iterations(
        &self,
        run: &MapRun<'_>,
        items: Vec<Value>,
        conc: usize,
        mut done: std::collections::HashMap<u64, Value>,
    ) -> Result<Vec<Value>, Fault> {
        use futures::StreamExt;
        let mut results: Vec<Value> = vec![Value::Null; items.len()];
        let todo: Vec<(usize, Value)> = items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| match done.remove(&(i as u64)) {
                Some(out) => {
                    results[i] = out;
                    None
                }
                None => Some((i, item)),
            })
            .collect();
        let mut stream = futures::stream::iter(todo)
            .map(|(i, item)| self.map_iteration(run, i, item))
            .buffer_unordered(conc);
        while let Some((i, r)) = stream.next().await {
            // `MapStateFailed` is written once retries are over (run_with_retry).
            results[i] = Arc::unwrap_or_clone(r?);
        }
        Ok(results)
    }

    /// One iteration: `MapIterationStarted`, the item processor on the item's input (in
    /// its own copy of the variables), then `MapIterationSucceeded` or `…Failed`.
    async fn map_iteration(
        &self,
        run: &MapRun<'_>,
        i: usize,
        item: Value,
    ) -> (usize, Result<Arc<Value>, Fault>) {
        let mut scope = run.vars.clone();
        let mut p = run.started;
        let it = MapIterationDetails {
            name: run.st.name.clone(),
            index: i as u64,
        };
        self.emit(
            &mut p,
            EventType::MapIterationStarted,
            Some(EventDetails::MapIterationStarted(it.clone())),
        );
        let r = match run.item_input(i, item) {
            Ok(inp) => {
                self.run_machine(&run.m.processor, inp, &mut p, false, None, &mut scope)
                    .await
            }
            Err(f) => Err(f),
        };
        let (ty, details) = match &r {
            Ok(_) => (
                EventType::MapIterationSucceeded,
                EventDetails::MapIterationSucceeded(it),
            ),
            Err(_) => (
                EventType::MapIterationFailed,
                EventDetails::MapIterationFailed(it),
            ),
        };
        self.emit(&mut p, ty, Some(details));
        (i, r)
    }
}
