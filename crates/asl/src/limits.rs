//! Step Functions' payload and variable size limits.

use serde_json::Value;

/// Largest state input/output, task result and execution input/output (256 KiB).
pub(crate) const PAYLOAD_BYTES: usize = 256 * 1024;
/// Largest single variable, and all the values of one `Assign` together (256 KiB).
pub(crate) const VARIABLE_BYTES: usize = 256 * 1024;
/// All the variables one execution holds at a time (10 MiB).
pub(crate) const ALL_VARIABLES_BYTES: usize = 10 * 1024 * 1024;

/// Longest delay a Wait state accepts, in seconds (2^31 - 1).
pub(crate) const WAIT_SECONDS: i64 = i32::MAX as i64;
/// Most events one execution's history holds; the execution fails when it gets there.
pub(crate) const HISTORY_EVENTS: u64 = 25_000;
/// Deepest nesting of arrays and objects in a state output: what the journal can read
/// back (serde_json's limit) and what a recursive walk handles on any stack.
pub(crate) const NESTING: usize = 120;

/// The cause of `States.DataLimitExceeded` for a state or task result over
/// [`PAYLOAD_BYTES`], naming the state or the task's resource.
pub(crate) fn result_too_large(who: &str) -> String {
    format!("The state/task '{who}' returned a result with a size exceeding the maximum number of bytes service limit.")
}

/// Whether `v` nests arrays and objects deeper than [`NESTING`]. Iterative, so any
/// depth is safe to check.
pub(crate) fn too_deep(v: &Value) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    while let Some((x, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match x {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(m) => Box::new(m.values()),
            _ => continue,
        };
        if d + 1 > NESTING {
            return true;
        }
        stack.extend(children.map(|c| (c, d + 1)));
    }
    false
}

/// The size of `v` as compact JSON; counting stops at the first write past `limit`, so
/// the answer is exact up to `limit` and only "larger" beyond it.
pub(crate) fn json_size(v: &impl serde::Serialize, limit: usize) -> usize {
    struct Counter {
        n: usize,
        limit: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.n += buf.len();
            if self.n > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter { n: 0, limit };
    let _ = serde_json::to_writer(&mut c, v);
    c.n
}

/// Whether `v` is larger than `limit` bytes as JSON.
pub(crate) fn exceeds(v: &Value, limit: usize) -> bool {
    json_size(v, limit) > limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nesting_is_measured_without_recursion() {
        let mut v = json!(1);
        for _ in 0..NESTING {
            v = json!([v]);
        }
        assert!(!too_deep(&v));
        assert!(too_deep(&json!({ "k": v })));
        assert!(!too_deep(&json!({"a": [1, {"b": 2}], "c": "x"})));
    }

    #[test]
    fn measures_compact_json_and_stops_past_the_limit() {
        assert_eq!(json_size(&json!({"a": [1, 2]}), 100), 11);
        assert!(!exceeds(&json!("x".repeat(10)), 12));
        assert!(exceeds(&json!("x".repeat(11)), 12));
        let big = json!(["y".repeat(1_000), "z".repeat(1_000_000)]);
        assert!(exceeds(&big, 1000));
    }
}
