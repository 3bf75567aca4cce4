use crate::{Config, Error};
use app_core::domain::{format_timestamp, ExecutionName, JobId, Pattern};
use app_core::http::{self, json_response};
use app_core::ports::{
    execution_arn, ExecutionStarter, JobRecorder, NewJob, StartError, StartRequest,
};
use app_core::requests::{execution_name, Limits, StartCallback, StartJob, StartWaitUntil};
use app_core::{ApiError, ApiHandler, Clock};
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// The start routes over their ports: who starts executions, who records jobs, the clock.
pub struct StartExecution<S, R, C> {
    config: Config,
    starter: S,
    recorder: R,
    clock: C,
}

/// Everything a route decided before calling Step Functions.
struct Plan {
    pattern: Pattern,
    state_machine_arn: String,
    name: ExecutionName,
    input: Value,
    start_action_at: DateTime<Utc>,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    execution_arn: String,
    job_id: String,
    /// `None` when the execution already existed: we did not start it now.
    start_date: Option<String>,
    status_url: String,
    message: String,
}

impl<S, R, C> StartExecution<S, R, C>
where
    S: ExecutionStarter,
    R: JobRecorder,
    C: Clock,
{
    pub fn new(config: Config, starter: S, recorder: R, clock: C) -> Self {
        Self {
            config,
            starter,
            recorder,
            clock,
        }
    }

    /// The ports, for tests that inspect their fakes.
    pub fn ports(&self) -> (&S, &R, &C) {
        (&self.starter, &self.recorder, &self.clock)
    }

    fn plan(&self, route: &str, req: &ApiGatewayProxyRequest) -> Result<Plan, Error> {
        let now = self.clock.now();
        let limits = Limits {
            now,
            max_ahead_days: self.config.max_ahead_days,
        };
        let body = http::body_json(req)?;
        let key = http::header(req, "idempotency-key");
        let plan = match route {
            "/start" => {
                let r = StartWaitUntil::parse(body, limits)?;
                let name = execution_name(key, r.name.as_ref())?;
                Plan {
                    pattern: Pattern::WaitUntil,
                    state_machine_arn: self.config.wait_until_arn.clone(),
                    input: r.execution_input(name.as_str()),
                    start_action_at: r.start_at,
                    message: format!(
                        "Task {:?} scheduled for {} as job {name}.",
                        r.task_name,
                        format_timestamp(r.start_at)
                    ),
                    name,
                }
            }
            "/jobs" => {
                let r = StartJob::parse(body, limits)?;
                let name = execution_name(key, r.name.as_ref())?;
                Plan {
                    pattern: Pattern::Waitable,
                    state_machine_arn: self.config.waitable_arn.clone(),
                    input: r.execution_input(name.as_str()),
                    start_action_at: r.start_timestamp,
                    message: format!(
                        "Job Id {name} started successfully. For additional information on process status use GET /status."
                    ),
                    name,
                }
            }
            _ => {
                let r = StartCallback::parse(body)?;
                let name = execution_name(key, r.name.as_ref())?;
                let mode = r.mode.unwrap_or(self.config.callback_mode);
                Plan {
                    pattern: Pattern::Callback,
                    state_machine_arn: self.config.callback_arn.clone(),
                    input: r.execution_input(name.as_str(), self.config.callback_mode),
                    start_action_at: now,
                    message: format!(
                        "Callback job {name} started in {} mode; complete it with POST /jobs/{name}/success or /failure.",
                        mode.as_str()
                    ),
                    name,
                }
            }
        };
        Ok(plan)
    }

    async fn start(
        &self,
        route: &str,
        req: &ApiGatewayProxyRequest,
    ) -> Result<ApiGatewayProxyResponse, Error> {
        let plan = self.plan(route, req)?;
        let job_id = JobId::from(plan.name.clone());
        let status_url = format!("{}/jobs/{job_id}", http::base_url(req));
        let request = StartRequest {
            state_machine_arn: plan.state_machine_arn.clone(),
            name: plan.name.clone(),
            input: plan.input.to_string(),
        };
        match self.starter.start_execution(&request).await {
            Ok(started) => {
                tracing::info!(job_id = %job_id, execution_arn = %started.execution_arn, pattern = %plan.pattern, "execution started");
                let job = NewJob {
                    id: job_id.clone(),
                    pattern: plan.pattern,
                    start_action_at: plan.start_action_at,
                    execution_arn: started.execution_arn.clone(),
                    at: self.clock.now(),
                };
                // The execution runs either way; a missing record only degrades
                // `GET /jobs/{id}` until the machine writes its own status.
                if let Err(e) = self.recorder.record_job(&job).await {
                    tracing::warn!(job_id = %job_id, error = %e, "could not record the job");
                }
                Ok(json_response(
                    202,
                    &Answer {
                        execution_arn: started.execution_arn,
                        job_id: job_id.to_string(),
                        start_date: Some(format_timestamp(started.start_date)),
                        status_url,
                        message: plan.message,
                    },
                ))
            }
            Err(StartError::AlreadyExists) => {
                let arn = execution_arn(&plan.state_machine_arn, &plan.name);
                tracing::info!(job_id = %job_id, execution_arn = %arn, "execution already exists");
                Ok(json_response(
                    200,
                    &Answer {
                        execution_arn: arn,
                        job_id: job_id.to_string(),
                        start_date: None,
                        status_url,
                        message: format!(
                            "An execution named {job_id} already exists (same name, different input or already finished); nothing new was started."
                        ),
                    },
                ))
            }
            Err(StartError::Upstream(e)) => Err(e.into()),
        }
    }
}

#[async_trait]
impl<S, R, C> ApiHandler for StartExecution<S, R, C>
where
    S: ExecutionStarter,
    R: JobRecorder,
    C: Clock,
{
    async fn handle(&self, req: ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
        let (method, route) = http::route(&req);
        let route = route.to_owned();
        if method != "POST" || !matches!(route.as_str(), "/start" | "/jobs" | "/callbacks") {
            return http::unknown_route(&req);
        }
        match self.start(&route, &req).await {
            Ok(resp) => resp,
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
