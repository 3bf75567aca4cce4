//! A minimal Lambda Runtime API (the interface a `bootstrap` polls), enough to time a
//! process from spawn to its first `next` and to its first answer, and to feed it events.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

/// What one process did, measured from the instant the session was armed.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub first_next: Option<Duration>,
    pub first_answer: Option<Duration>,
    pub responses: usize,
    pub errors: usize,
    pub init_error: Option<String>,
    /// Per invocation: from the event handed out to the answer received.
    pub durations: Vec<Duration>,
    pub last_error: Option<String>,
}

struct Session {
    start: Instant,
    event: Bytes,
    remaining: usize,
    expected: usize,
    next_id: u64,
    issued: Option<(String, Instant)>,
    out: Outcome,
}

#[derive(Clone)]
struct Shared {
    session: Arc<Mutex<Option<Session>>>,
    done: Arc<Notify>,
    function_arn: Arc<Mutex<String>>,
}

pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Shared {
            session: Arc::new(Mutex::new(None)),
            done: Arc::new(Notify::new()),
            function_arn: Arc::new(Mutex::new(String::new())),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            addr,
            shared,
            server,
        })
    }

    /// Starts timing now: the next process to poll gets `event`, `invocations` times.
    pub fn arm(&self, event: Vec<u8>, invocations: usize, function_arn: &str) {
        if let Ok(mut a) = self.shared.function_arn.lock() {
            *a = function_arn.to_string();
        }
        if let Ok(mut s) = self.shared.session.lock() {
            *s = Some(Session {
                start: Instant::now(),
                event: Bytes::from(event),
                remaining: invocations,
                expected: invocations,
                next_id: 0,
                issued: None,
                out: Outcome::default(),
            });
        }
    }

    /// Waits until every invocation was answered (or init failed), at most `limit`.
    pub async fn wait(&self, limit: Duration) -> Outcome {
        let _ = tokio::time::timeout(limit, async {
            loop {
                let notified = self.shared.done.notified();
                if self.finished() {
                    return;
                }
                notified.await;
            }
        })
        .await;
        self.shared
            .session
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .map(|s| s.out)
            .unwrap_or_default()
    }

    fn finished(&self) -> bool {
        self.shared
            .session
            .lock()
            .ok()
            .and_then(|s| {
                s.as_ref().map(|s| {
                    s.out.init_error.is_some() || s.out.responses + s.out.errors >= s.expected
                })
            })
            .unwrap_or(true)
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Shared>) -> Response {
    let handed = {
        let Ok(mut guard) = shared.session.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        match guard.as_mut() {
            Some(s) => {
                let now = Instant::now();
                if s.out.first_next.is_none() {
                    s.out.first_next = Some(now - s.start);
                }
                if s.remaining == 0 {
                    None
                } else {
                    s.remaining -= 1;
                    s.next_id += 1;
                    let id = format!("bench-{:08}", s.next_id);
                    s.issued = Some((id.clone(), now));
                    Some((id, s.event.clone()))
                }
            }
            None => None,
        }
    };
    let Some((id, event)) = handed else {
        // Nothing more to hand out: hold the poll, as Lambda does while the sandbox is idle.
        tokio::time::sleep(Duration::from_secs(60)).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    };
    let arn = shared
        .function_arn
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    let mut headers = HeaderMap::new();
    let mut put = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    };
    put("lambda-runtime-aws-request-id", id);
    put("lambda-runtime-deadline-ms", deadline.to_string());
    put("lambda-runtime-invoked-function-arn", arn);
    put(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    put("content-type", "application/json".into());
    (StatusCode::OK, headers, event).into_response()
}

fn answered(shared: &Shared, id: &str, error: Option<String>) {
    let finished = {
        let Ok(mut guard) = shared.session.lock() else {
            return;
        };
        let Some(s) = guard.as_mut() else { return };
        let now = Instant::now();
        if s.out.first_answer.is_none() {
            s.out.first_answer = Some(now - s.start);
        }
        if let Some((issued_id, at)) = s.issued.take() {
            if issued_id == id {
                s.out.durations.push(now - at);
            }
        }
        match error {
            Some(e) => {
                s.out.errors += 1;
                s.out.last_error = Some(e);
            }
            None => s.out.responses += 1,
        }
        s.out.responses + s.out.errors >= s.expected
    };
    if finished {
        shared.done.notify_waiters();
    }
}

async fn response(State(shared): State<Shared>, Path(id): Path<String>) -> StatusCode {
    answered(&shared, &id, None);
    StatusCode::ACCEPTED
}

async fn error(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
    answered(&shared, &id, Some(text));
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Shared>, body: Bytes) -> StatusCode {
    if let Ok(mut guard) = shared.session.lock() {
        if let Some(s) = guard.as_mut() {
            s.out.init_error = Some(String::from_utf8_lossy(&body).chars().take(300).collect());
        }
    }
    shared.done.notify_waiters();
    StatusCode::ACCEPTED
}
