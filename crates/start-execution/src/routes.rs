use crate::Config;
use app_core::domain::Pattern;
use app_core::http::{self, json_response};
use app_core::ports::{ExecutionStarter, JobRecorder};
use app_core::start::JobStarter;
use app_core::{ApiError, ApiHandler, Clock};
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use std::sync::Arc;

/// The start routes over their ports: who starts executions, who records jobs, the clock.
pub struct StartExecution<S, R, C> {
    service: JobStarter,
    ports: (Arc<S>, Arc<R>, Arc<C>),
}

impl<S, R, C> StartExecution<S, R, C>
where
    S: ExecutionStarter + 'static,
    R: JobRecorder + 'static,
    C: Clock,
{
    pub fn new(config: Config, starter: S, recorder: R, clock: C) -> Self {
        let ports = (Arc::new(starter), Arc::new(recorder), Arc::new(clock));
        let service = JobStarter::new(config, ports.0.clone(), ports.1.clone(), ports.2.clone());
        Self { service, ports }
    }

    /// The ports, for tests that inspect their fakes.
    pub fn ports(&self) -> (&S, &R, &C) {
        (&self.ports.0, &self.ports.1, &self.ports.2)
    }
}

/// The pattern each start route starts.
fn pattern_of(route: &str) -> Option<Pattern> {
    match route {
        "/start" => Some(Pattern::WaitUntil),
        "/jobs" => Some(Pattern::Waitable),
        "/callbacks" => Some(Pattern::Callback),
        _ => None,
    }
}

#[async_trait]
impl<S, R, C> ApiHandler for StartExecution<S, R, C>
where
    S: ExecutionStarter + 'static,
    R: JobRecorder + 'static,
    C: Clock,
{
    async fn handle(&self, req: ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
        let (method, route) = http::route(&req);
        let Some(pattern) = pattern_of(route).filter(|_| method == "POST") else {
            return http::unknown_route(&req);
        };
        match self.service.serve(pattern, &req).await {
            Ok(reply) => json_response(reply.status, &reply.answer),
            Err(e) => {
                let e = ApiError::from(e);
                if e.status >= 500 {
                    tracing::error!(error = %e, "start failed");
                }
                e.to_response()
            }
        }
    }
}
