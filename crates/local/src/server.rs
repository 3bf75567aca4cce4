//! The HTTP/1.1 server of both ports, with limits a server left running needs: a client must
//! send a request's headers within [`ClientTimeouts::headers`] (also the longest an idle
//! keep-alive connection is kept) and its body within [`ClientTimeouts::body`]. Half a
//! request never holds a connection, or a handler, for ever.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// Largest body read before routing: DynamoDB's 16 MB request limit, plus a byte so the
/// services' own limits (all smaller) still decide.
const MAX_BUFFERED: usize = 16 * 1024 * 1024 + 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientTimeouts {
    pub headers: Duration,
    pub body: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        Self {
            headers: Duration::from_secs(30),
            body: Duration::from_secs(60),
        }
    }
}

/// How a port words the refusals it makes itself (a body too slow or too large).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// API Gateway routes: `{"error", "message"}`.
    Api,
    /// The AWS endpoint: `{"__type", "message"}`.
    Aws,
}

fn refusal(dialect: Dialect, status: StatusCode, kind: &str, message: &str) -> Response {
    match dialect {
        Dialect::Api => {
            let body = serde_json::json!({"error": kind, "message": message});
            let mut r = (status, body.to_string()).into_response();
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            r
        }
        Dialect::Aws => aws_json::Reply::PLAIN.error(&crate::aws_endpoint::EndpointRefusal {
            status,
            type_name: format!("{kind}Exception"),
            message: message.to_string(),
        }),
    }
}

/// Reads the whole body within the deadline before the request is routed.
async fn read_body(dialect: Dialect, limit: Duration, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(limit, read_capped(body)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(_)) => refusal(
            dialect,
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "the request body is too large",
        ),
        Err(_) => refusal(
            dialect,
            StatusCode::REQUEST_TIMEOUT,
            "RequestTimeout",
            &format!(
                "the request body did not arrive within {} s",
                limit.as_secs_f64()
            ),
        ),
    }
}

/// The body, up to `MAX_BUFFERED` bytes. A larger one is read to its end and dropped (up to
/// `DRAIN_CAP` in all), so the client finishes sending and reads the refusal instead of
/// seeing its connection cut mid-request.
async fn read_capped(body: Body) -> Result<axum::body::Bytes, ()> {
    const DRAIN_CAP: usize = 64 * 1024 * 1024;
    let mut stream = body.into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(|_| ())?;
        seen += chunk.len();
        if seen <= MAX_BUFFERED {
            buf.extend_from_slice(&chunk);
        } else if seen > DRAIN_CAP {
            return Err(());
        }
    }
    if seen > MAX_BUFFERED {
        return Err(());
    }
    Ok(buf.into())
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves `router` on `listener` until `stop` turns true.
pub fn spawn(
    listener: TcpListener,
    router: axum::Router,
    dialect: Dialect,
    timeouts: ClientTimeouts,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let router = router.layer(axum::middleware::from_fn(move |req, next| {
        read_body(dialect, timeouts.body, req, next)
    }));
    tokio::spawn(async move {
        loop {
            let (stream, addr) = tokio::select! {
                _ = stopped(&mut stop) => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, do not spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let router = router.clone();
            let mut stop = stop.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(addr));
                        // `x-local-fsync: 1`: this request's changes reach the disk before
                        // the reply (see local_state::with_fsync).
                        let fsync = req
                            .headers()
                            .get("x-local-fsync")
                            .is_some_and(|v| v == "1" || v == "true");
                        local_state::with_fsync(fsync, router.clone().oneshot(req.map(Body::new)))
                    });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(timeouts.headers)
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, peer = %addr, "connection ended");
                        }
                    }
                    _ = stopped(&mut stop) => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                    }
                }
            });
        }
    })
}
