//! One execution's history, held compactly: each event as its AWS JSON text, one line
//! each, in a single buffer, deflated once the execution has ended (its events repeat the
//! same field names, so it shrinks to about a third). Payload trees (`serde_json::Value`)
//! are not kept; events are read back when asked for.

use asl::{EventType, HistoryEvent};

#[derive(Default)]
pub(crate) struct History {
    /// Events as JSON lines, oldest first (deflated when `packed`).
    buf: Vec<u8>,
    packed: bool,
    count: u32,
    last_id: u64,
    /// The id of the newest task answer (`TaskSucceeded`, `LambdaFunctionFailed` ...):
    /// SendTask* asks whether its task was answered, without decoding anything.
    last_answer: u64,
}

impl History {
    pub fn push(&mut self, ev: &HistoryEvent) {
        if self.packed {
            // Ended: nothing follows the last event. (Kept anyway, in the open form.)
            self.buf = self.text();
            self.packed = false;
        }
        if let Ok(line) = serde_json::to_vec(ev) {
            // Grown to fit while small (most histories are a few events), doubling beyond.
            if self.buf.len() < 8192 {
                self.buf.reserve_exact(line.len() + 1);
            }
            self.buf.extend_from_slice(&line);
            self.buf.push(b'\n');
            self.count += 1;
            self.last_id = self.last_id.max(ev.id);
            if matches!(
                ev.event_type,
                EventType::TaskSucceeded
                    | EventType::TaskFailed
                    | EventType::ActivitySucceeded
                    | EventType::ActivityFailed
                    | EventType::LambdaFunctionSucceeded
                    | EventType::LambdaFunctionFailed
            ) {
                self.last_answer = ev.id;
            }
        }
    }

    fn text(&self) -> Vec<u8> {
        if self.packed {
            miniz_oxide::inflate::decompress_to_vec(&self.buf).unwrap_or_default()
        } else {
            self.buf.clone()
        }
    }

    /// Every event, oldest first.
    pub fn events(&self) -> Vec<HistoryEvent> {
        self.text()
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect()
    }

    /// The id of the newest task answer, 0 if none.
    pub fn last_answer(&self) -> u64 {
        self.last_answer
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn last_id(&self) -> u64 {
        self.last_id
    }

    /// The execution has ended: the history is deflated (fast level; it is read rarely).
    pub fn close(&mut self) {
        if !self.packed && !self.buf.is_empty() {
            self.buf = miniz_oxide::deflate::compress_to_vec(&self.buf, 1);
            self.packed = true;
        }
        self.buf.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asl::{EventDetails, StateEnteredDetails};
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn events_come_back_as_they_went_in() {
        let mut h = History::default();
        assert!(h.is_empty());
        let ev = |id: u64, t: EventType| HistoryEvent {
            timestamp: chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + id as i64)
                .unwrap(),
            event_type: t,
            id,
            previous_event_id: id - 1,
            details: Some(EventDetails::StateEntered(StateEnteredDetails {
                name: Arc::from("P"),
                input: Arc::new(json!({"a": [1, "x\ny"]})),
                input_details: Default::default(),
            })),
        };
        let mut evs: Vec<HistoryEvent> = (1..=20)
            .map(|i| ev(i, EventType::PassStateEntered))
            .collect();
        evs[6].event_type = EventType::TaskSucceeded;
        for e in &evs {
            h.push(e);
        }
        assert_eq!(h.events(), evs);
        assert_eq!(h.last_id(), 20);
        assert_eq!(h.last_answer(), 7);
        h.close();
        assert!(h.packed);
        assert_eq!(h.events(), evs);
        // An event after the end still goes in (and the history stays readable).
        h.push(&ev(21, EventType::PassStateEntered));
        assert_eq!(h.events().len(), 21);
    }
}
