//! `GET /status` (jobs newest first, by status, paginated; GSI Queries, never a Scan) and
//! `GET /jobs/{id}` (one job). Neither ever returns a task token.

use app_core::config::required;
use app_core::cursor::Cursor;
use app_core::domain::{JobId, JobSummary};
use app_core::dynamodb::DynamoJobStore;
use app_core::http::{self, json_response};
use app_core::listing::list_jobs;
use app_core::ports::{JobLister, JobReader, Upstream};
use app_core::requests::RequestError;
use app_core::schema::JobIndex;
use app_core::{Api, ApiError, ApiHandler, ConfigError, Env, JobStatus, JsonHandler};
use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use serde::Serialize;
use std::sync::Arc;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;
const QUERY_PARAMS: [&str; 3] = ["status", "limit", "next"];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("the `next` cursor is not valid for this listing ({0}); start again without it")]
    InvalidCursor(app_core::cursor::CursorError),
    #[error("no job with id {0}")]
    NotFound(String),
    #[error(transparent)]
    Upstream(#[from] Upstream),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Request(e) => e.into(),
            Error::InvalidCursor(_) => ApiError::bad_request("InvalidCursor", e.to_string()),
            Error::NotFound(_) => ApiError::not_found(e.to_string()),
            Error::Upstream(e) => ApiError::upstream(e.0),
        }
    }
}

#[derive(Serialize)]
struct Listing {
    items: Vec<JobSummary>,
    next: Option<String>,
}

pub struct Status<S> {
    store: S,
}

impl<S: JobReader + JobLister> Status<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// The store, for tests that inspect their fake.
    pub fn store(&self) -> &S {
        &self.store
    }

    async fn list(&self, req: &ApiGatewayProxyRequest) -> Result<ApiGatewayProxyResponse, Error> {
        let names = req.query_string_parameters.iter().map(|(k, _)| k).chain(
            req.multi_value_query_string_parameters
                .iter()
                .map(|(k, _)| k),
        );
        for name in names {
            if !QUERY_PARAMS.contains(&name) {
                return Err(RequestError::UnknownField(name.to_owned()).into());
            }
        }
        let index = match http::query_param(req, "status")? {
            None => JobIndex::Recent,
            Some(s) => JobIndex::Status(s.trim().to_ascii_uppercase().parse().map_err(|_| {
                RequestError::invalid("status", format!("must be one of {}", JobStatus::list()))
            })?),
        };
        let limit = match http::query_param(req, "limit")? {
            None => DEFAULT_LIMIT,
            Some(s) => s
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    RequestError::invalid(
                        "limit",
                        format!("must be an integer from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
        // An empty `next=` (a shell variable not yet set) is the first page, as no `next` is.
        let start = match http::query_param(req, "next")?.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(Cursor::decode(c, index).map_err(Error::InvalidCursor)?),
        };
        let page = list_jobs(&self.store, index, limit, start.as_ref()).await?;
        Ok(json_response(
            200,
            &Listing {
                items: page.items.iter().map(|j| j.summary()).collect(),
                next: page.next.map(|k| k.encode()),
            },
        ))
    }

    async fn get(&self, raw_id: &str) -> Result<ApiGatewayProxyResponse, Error> {
        let id = JobId::parse(raw_id).map_err(|e| RequestError::invalid("id", e))?;
        match self.store.get_job(&id).await? {
            Some(job) => Ok(json_response(200, &job.detail())),
            None => Err(Error::NotFound(id.to_string())),
        }
    }
}

#[async_trait]
impl<S: JobReader + JobLister> ApiHandler for Status<S> {
    async fn handle(&self, req: ApiGatewayProxyRequest) -> ApiGatewayProxyResponse {
        let (method, route) = http::route(&req);
        let result = if method != "GET" {
            return http::unknown_route(&req);
        } else if route == "/status" {
            self.list(&req).await
        } else if let Some(id) = http::job_route(&req, "") {
            self.get(&id).await
        } else {
            return http::unknown_route(&req);
        };
        result.unwrap_or_else(|e| {
            let e = ApiError::from(e);
            if e.status >= 500 {
                tracing::error!(error = %e, "status request failed");
            }
            e.to_response()
        })
    }
}

/// The handler with AWS clients, as `main.rs` and the local runtime use it.
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let table = required(env, "JOBS_TABLE")?;
    Ok(Arc::new(Api(Status::new(DynamoJobStore::new(sdk, table)))))
}
