//! Task-token registry. A token is `base64url(execution ARN + "#" + TaskScheduled id)` plus an
//! HMAC tag, so it can be recomputed after a restart (same secret) but not forged.

use crate::error::TokenError;
use crate::task::TaskError;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// How many finished tokens are remembered to answer TaskTimedOut / TaskDoesNotExist.
const ENDED_CAPACITY: usize = 100_000;
const TAG_BYTES: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndReason {
    /// Answered: a later answer gets TaskDoesNotExist.
    Completed,
    /// Timed out, or the execution ended: a later answer gets TaskTimedOut.
    TimedOut,
}

pub(crate) type Answer = Result<Value, TaskError>;

struct Pending {
    tx: oneshot::Sender<Answer>,
    last_heartbeat_ms: Arc<AtomicI64>,
}

#[derive(Default)]
struct Ended {
    map: HashMap<String, EndReason>,
    order: VecDeque<String>,
}

pub(crate) struct Tokens {
    secret: Vec<u8>,
    pending: Mutex<HashMap<String, Pending>>,
    ended: Mutex<Ended>,
}

pub(crate) struct Registration {
    pub rx: oneshot::Receiver<Answer>,
    pub last_heartbeat_ms: Arc<AtomicI64>,
    pub guard: TokenGuard,
}

/// Ends the token when the waiting task goes away for any reason (answer, timeout, abort).
pub(crate) struct TokenGuard {
    tokens: Arc<Tokens>,
    key: String,
    pub reason: EndReason,
}

impl Drop for TokenGuard {
    fn drop(&mut self) {
        self.tokens.finish(&self.key, self.reason);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Short, non-reversible label for logs (a token is a secret).
pub(crate) fn token_label(token: &str) -> String {
    common::short_hash(token, 6)
}

impl Tokens {
    pub fn new(secret: Vec<u8>) -> Tokens {
        Tokens {
            secret,
            pending: Mutex::new(HashMap::new()),
            ended: Mutex::new(Ended::default()),
        }
    }

    fn tag(&self, key: &str) -> Vec<u8> {
        // HMAC accepts keys of any length, so new_from_slice cannot fail here.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        mac.update(key.as_bytes());
        mac.finalize().into_bytes()[..TAG_BYTES].to_vec()
    }

    pub fn key(exec_arn: &str, scheduled_event_id: u64) -> String {
        format!("{exec_arn}#{scheduled_event_id}")
    }

    pub fn token_for(&self, key: &str) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}", b.encode(key), b.encode(self.tag(key)))
    }

    fn decode(&self, token: &str) -> Result<String, TokenError> {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (k, t) = token.split_once('.').ok_or(TokenError::InvalidToken)?;
        let key = b.decode(k).map_err(|_| TokenError::InvalidToken)?;
        let tag = b.decode(t).map_err(|_| TokenError::InvalidToken)?;
        let key = String::from_utf8(key).map_err(|_| TokenError::InvalidToken)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).map_err(|_| TokenError::InvalidToken)?;
        mac.update(key.as_bytes());
        mac.verify_truncated_left(&tag)
            .map_err(|_| TokenError::InvalidToken)?;
        if tag.len() != TAG_BYTES {
            return Err(TokenError::InvalidToken);
        }
        Ok(key)
    }

    pub fn register(self: &Arc<Self>, key: String, now_ms: i64) -> Registration {
        let (tx, rx) = oneshot::channel();
        let hb = Arc::new(AtomicI64::new(now_ms));
        lock(&self.ended).map.remove(&key);
        lock(&self.pending).insert(
            key.clone(),
            Pending {
                tx,
                last_heartbeat_ms: hb.clone(),
            },
        );
        Registration {
            rx,
            last_heartbeat_ms: hb,
            guard: TokenGuard {
                tokens: self.clone(),
                key,
                reason: EndReason::TimedOut,
            },
        }
    }

    fn unknown(&self, key: &str) -> TokenError {
        match lock(&self.ended).map.get(key) {
            Some(EndReason::TimedOut) => TokenError::TaskTimedOut,
            _ => TokenError::TaskDoesNotExist,
        }
    }

    pub fn answer(&self, token: &str, answer: Answer) -> Result<(), TokenError> {
        let key = self.decode(token)?;
        let pending = lock(&self.pending).remove(&key);
        match pending {
            Some(p) => {
                self.remember(key, EndReason::Completed);
                // The receiver may be gone if the task is ending concurrently; the answer is
                // then simply too late, which AWS also reports as success to the caller.
                let _ = p.tx.send(answer);
                tracing::debug!(token = %token_label(token), "task token answered");
                Ok(())
            }
            None => Err(self.unknown(&key)),
        }
    }

    /// The tokens an execution's tasks wait on now, by the id of their `TaskScheduled` event.
    pub fn pending_for(&self, exec_arn: &str) -> Vec<(u64, String)> {
        let prefix = format!("{exec_arn}#");
        let mut out: Vec<(u64, String)> = lock(&self.pending)
            .keys()
            .filter_map(|k| {
                let id = k.strip_prefix(&prefix)?.parse().ok()?;
                Some((id, self.token_for(k)))
            })
            .collect();
        out.sort_unstable();
        out
    }

    pub fn heartbeat(&self, token: &str, now_ms: i64) -> Result<(), TokenError> {
        let key = self.decode(token)?;
        match lock(&self.pending).get(&key) {
            Some(p) => {
                p.last_heartbeat_ms.store(now_ms, Ordering::Relaxed);
                Ok(())
            }
            None => Err(self.unknown(&key)),
        }
    }

    fn finish(&self, key: &str, reason: EndReason) {
        if lock(&self.pending).remove(key).is_some() {
            self.remember(key.to_string(), reason);
        }
    }

    fn remember(&self, key: String, reason: EndReason) {
        let mut e = lock(&self.ended);
        if e.map.insert(key.clone(), reason).is_none() {
            e.order.push_back(key);
        }
        while e.order.len() > ENDED_CAPACITY {
            if let Some(old) = e.order.pop_front() {
                e.map.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_answers() {
        let t = Arc::new(Tokens::new(b"secret".to_vec()));
        assert_eq!(
            t.answer("garbage", Ok(Value::Null)),
            Err(TokenError::InvalidToken)
        );
        let other = Tokens::new(b"other".to_vec()).token_for("arn#3");
        assert_eq!(
            t.answer(&other, Ok(Value::Null)),
            Err(TokenError::InvalidToken)
        );
        let unknown = t.token_for("arn#9");
        assert_eq!(
            t.answer(&unknown, Ok(Value::Null)),
            Err(TokenError::TaskDoesNotExist)
        );
        let mut reg = t.register(Tokens::key("arn", 5), 0);
        let tok1 = t.token_for(&Tokens::key("arn", 5));
        let _other_exec = t.register(Tokens::key("arn2", 3), 0);
        assert_eq!(t.pending_for("arn"), vec![(5, tok1.clone())]);
        assert_eq!(t.heartbeat(&tok1, 10), Ok(()));
        assert_eq!(t.answer(&tok1, Ok(Value::Bool(true))), Ok(()));
        assert_eq!(reg.rx.try_recv().unwrap(), Ok(Value::Bool(true)));
        assert_eq!(
            t.answer(&tok1, Ok(Value::Null)),
            Err(TokenError::TaskDoesNotExist)
        );
        assert_eq!(
            t.pending_for("arn"),
            vec![],
            "an answered task no longer waits"
        );
        let reg2 = t.register(Tokens::key("arn", 7), 0);
        let tok = t.token_for(&Tokens::key("arn", 7));
        drop(reg2);
        assert_eq!(
            t.answer(&tok, Ok(Value::Null)),
            Err(TokenError::TaskTimedOut)
        );
        assert_eq!(t.heartbeat(&tok, 1), Err(TokenError::TaskTimedOut));
    }

    #[test]
    fn memory_of_ended_tokens_is_bounded() {
        let t = Arc::new(Tokens::new(b"s".to_vec()));
        for i in 0..(ENDED_CAPACITY as u64 + 10) {
            drop(t.register(Tokens::key("arn", i), 0));
        }
        assert_eq!(lock(&t.ended).map.len(), ENDED_CAPACITY);
        assert!(lock(&t.pending).is_empty());
        // The oldest ones are forgotten (unknown), the recent ones still time out.
        let first = t.token_for(&Tokens::key("arn", 0));
        assert_eq!(
            t.answer(&first, Ok(Value::Null)),
            Err(TokenError::TaskDoesNotExist)
        );
        let last = t.token_for(&Tokens::key("arn", ENDED_CAPACITY as u64 + 9));
        assert_eq!(
            t.answer(&last, Ok(Value::Null)),
            Err(TokenError::TaskTimedOut)
        );
    }
}
