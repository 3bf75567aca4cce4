//! Warm invocation cost of each handler in-process: the linked `json_handler` called the way
//! the local runtime calls it, its AWS calls answered by the in-process local runtime over
//! loopback (the handler crates keep their in-memory fakes private to their tests).

use std::time::Instant;

use local::RunningRuntime;
use serde_json::Value;

use crate::coldstart::Target;
use crate::stats::{us, Spread};
use crate::table::Row;

const CALLS: usize = 500;

pub async fn rows(local: &RunningRuntime, targets: &[Target], rows: &mut Vec<Row>) {
    for t in targets {
        let figure = format!(
            "{} warm in-process invoke (json_handler, AWS calls to local)",
            t.binary
        );
        let Ok(event) = serde_json::from_slice::<Value>(&t.event) else {
            rows.push(Row::missing(
                figure,
                format!("{} is not JSON", t.event_name),
            ));
            continue;
        };
        let mut samples = Vec::with_capacity(CALLS);
        let mut errors = 0;
        for i in 0..CALLS + 20 {
            let t0 = Instant::now();
            let r = local.lambdas.invoke(&t.function_name, event.clone()).await;
            let d = t0.elapsed();
            if r.is_err() {
                errors += 1;
            }
            if i >= 20 {
                samples.push(us(d));
            }
        }
        match Spread::of(&samples) {
            Some(s) => rows.push(Row::new(
                figure,
                format!(
                    "{:.0} µs median, {:.0} µs p95{}",
                    s.median,
                    s.p95,
                    if errors > 0 {
                        format!(" ({errors} error answers)")
                    } else {
                        String::new()
                    }
                ),
            )),
            None => rows.push(Row::missing(figure, "no samples")),
        }
    }
}
