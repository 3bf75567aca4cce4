//! Task states' resources, performed as Step Functions would: Lambda (optimised integration
//! and plain function ARNs) and DynamoDB, with AWS's result shapes and error names.

use std::sync::Arc;

use asl::{TaskCall, TaskError, TaskResources};
use local_dynamodb::{Dynamo, DynamoError};
use serde_json::{json, Value};

use crate::lambda::{InvokeError, LambdaRegistry};

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
const DYNAMODB_OPTIMISED: &str = "arn:aws:states:::dynamodb:";
const DYNAMODB_SDK: &str = "arn:aws:states:::aws-sdk:dynamodb:";

pub struct LocalResources {
    lambdas: Arc<LambdaRegistry>,
    dynamo: Arc<Dynamo>,
}

impl LocalResources {
    pub fn new(lambdas: Arc<LambdaRegistry>, dynamo: Arc<Dynamo>) -> Self {
        LocalResources { lambdas, dynamo }
    }

    async fn lambda_invoke(&self, call: &TaskCall) -> Result<Value, TaskError> {
        let function = call
            .parameters
            .get("FunctionName")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                TaskError::new(
                    "States.Runtime",
                    format!(
                        "The field 'FunctionName' is required by {} in state '{}'",
                        call.resource, call.state_name
                    ),
                )
            })?;
        let payload = call
            .parameters
            .get("Payload")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let request_id = uuid::Uuid::new_v4().to_string();
        let _busy = self.lambdas.clock().busy();
        match self.lambdas.invoke(function, payload).await {
            Ok(out) => Ok(json!({
                "ExecutedVersion": "$LATEST",
                "Payload": out,
                "SdkHttpMetadata": {
                    "AllHttpHeaders": {
                        "X-Amz-Executed-Version": ["$LATEST"],
                        "x-amzn-Remapped-Content-Length": ["0"],
                        "Connection": ["keep-alive"],
                        "x-amzn-RequestId": [request_id],
                        "Content-Type": ["application/json"],
                    },
                    "HttpHeaders": {
                        "Connection": "keep-alive",
                        "Content-Type": "application/json",
                        "X-Amz-Executed-Version": "$LATEST",
                        "x-amzn-Remapped-Content-Length": "0",
                        "x-amzn-RequestId": request_id,
                    },
                    "HttpStatusCode": 200
                },
                "SdkResponseMetadata": {"RequestId": request_id},
                "StatusCode": 200
            })),
            Err(e) => Err(lambda_error(&e, &request_id)),
        }
    }

    async fn plain_lambda(&self, call: &TaskCall) -> Result<Value, TaskError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let _busy = self.lambdas.clock().busy();
        self.lambdas
            .invoke(&call.base_resource, call.parameters.clone())
            .await
            .map_err(|e| lambda_error(&e, &request_id))
    }

    async fn dynamodb(&self, operation: &str, call: &TaskCall) -> Result<Value, TaskError> {
        let op = pascal_case(operation);
        self.dynamo
            .handle(&op, call.parameters.clone())
            .await
            .map_err(|e| dynamo_error(&e))
    }
}

/// Lambda errors as Step Functions reports them: a function error keeps its `errorType` as
/// the Error and the error JSON as the Cause; a missing function is Lambda's exception.
fn lambda_error(e: &InvokeError, request_id: &str) -> TaskError {
    match e {
        InvokeError::NotFound(name) => TaskError::new(
            "Lambda.ResourceNotFoundException",
            format!(
                "Function not found: {name} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {request_id}; Proxy: null)"
            ),
        ),
        InvokeError::Function(d) => TaskError::new(
            d.error_type.clone(),
            json!({"errorType": d.error_type, "errorMessage": d.error_message, "trace": []})
                .to_string(),
        ),
    }
}

/// `DynamoDB.<Exception>` with the SDK-style message Step Functions puts in the Cause.
fn dynamo_error(e: &DynamoError) -> TaskError {
    let short = e
        .type_name()
        .rsplit('#')
        .next()
        .unwrap_or("DynamoDbException");
    TaskError::new(
        format!("DynamoDB.{short}"),
        format!(
            "{} (Service: DynamoDb, Status Code: {}, Request ID: {})",
            e.message(),
            e.http_status(),
            uuid::Uuid::new_v4().simple()
        ),
    )
}

fn pascal_case(op: &str) -> String {
    let mut c = op.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

#[async_trait::async_trait]
impl TaskResources for LocalResources {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        let base = call.base_resource.as_str();
        if base == LAMBDA_INVOKE {
            return self.lambda_invoke(&call).await;
        }
        if base.starts_with("arn:aws:lambda:") {
            return self.plain_lambda(&call).await;
        }
        if let Some(op) = base
            .strip_prefix(DYNAMODB_OPTIMISED)
            .filter(|op| matches!(*op, "putItem" | "getItem" | "updateItem" | "deleteItem"))
            .or_else(|| base.strip_prefix(DYNAMODB_SDK))
        {
            return self.dynamodb(op, &call).await;
        }
        Err(TaskError::new(
            "States.Runtime",
            format!(
                "The resource '{}' of state '{}' is not available in the local runtime (it serves Lambda functions of the template, arn:aws:states:::lambda:invoke and arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem)",
                call.resource, call.state_name
            ),
        ))
    }
}

#[cfg(test)]
mod tests;
