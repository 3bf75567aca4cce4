//! The one error type of the service. Its variants are the AWS `__type` names because
//! SDK clients dispatch on them: they are part of the interface, not decoration.

use axum::http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SfnError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Serialization(String),
    #[error("{0}")]
    UnknownOperation(String),
    #[error("{0}")]
    MissingRequiredParameter(String),
    #[error("{0}")]
    InvalidArn(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("{0}")]
    InvalidExecutionInput(String),
    #[error("{0}")]
    InvalidOutput(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    InvalidLoggingConfiguration(String),
    #[error("{0}")]
    StateMachineDoesNotExist(String),
    #[error("{0}")]
    StateMachineAlreadyExists(String),
    #[error("{0}")]
    StateMachineDeleting(String),
    #[error("{0}")]
    StateMachineTypeNotSupported(String),
    #[error("{0}")]
    ExecutionDoesNotExist(String),
    #[error("{0}")]
    ExecutionAlreadyExists(String),
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    #[error("{0}")]
    ActivityDoesNotExist(String),
    #[error("{0}")]
    TaskDoesNotExist(String),
    #[error("{0}")]
    TaskTimedOut(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    Internal(String),
    /// The request body is over the size the service reads (HTTP 413).
    #[error("{0}")]
    RequestEntityTooLarge(String),
}

impl SfnError {
    /// The `__type` value of the JSON 1.0 error body.
    pub fn type_name(&self) -> &'static str {
        match self {
            SfnError::Validation(_) => "ValidationException",
            SfnError::Serialization(_) => "SerializationException",
            SfnError::UnknownOperation(_) => "UnknownOperationException",
            SfnError::MissingRequiredParameter(_) => "MissingRequiredParameter",
            SfnError::InvalidArn(_) => "InvalidArn",
            SfnError::InvalidName(_) => "InvalidName",
            SfnError::InvalidDefinition(_) => "InvalidDefinition",
            SfnError::InvalidExecutionInput(_) => "InvalidExecutionInput",
            SfnError::InvalidOutput(_) => "InvalidOutput",
            SfnError::InvalidToken(_) => "InvalidToken",
            SfnError::InvalidLoggingConfiguration(_) => "InvalidLoggingConfiguration",
            SfnError::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            SfnError::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            SfnError::StateMachineDeleting(_) => "StateMachineDeleting",
            SfnError::StateMachineTypeNotSupported(_) => "StateMachineTypeNotSupported",
            SfnError::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            SfnError::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            SfnError::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            SfnError::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            SfnError::TaskDoesNotExist(_) => "TaskDoesNotExist",
            SfnError::TaskTimedOut(_) => "TaskTimedOut",
            SfnError::ResourceNotFound(_) => "ResourceNotFound",
            SfnError::Internal(_) => "InternalFailure",
            SfnError::RequestEntityTooLarge(_) => "RequestEntityTooLargeException",
        }
    }

    pub fn message(&self) -> String {
        self.to_string()
    }

    /// AWS answers every client mistake with 400; only our own failures are 500.
    pub fn status(&self) -> StatusCode {
        match self {
            SfnError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            SfnError::RequestEntityTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// AWS's wording for a constraint on one request member.
    pub(crate) fn constraint(value: &str, member: &str, constraint: &str) -> SfnError {
        SfnError::Validation(format!(
            "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ))
    }

    pub(crate) fn null(member: &str) -> SfnError {
        SfnError::constraint("null", member, "Member must not be null")
    }
}

impl aws_json::AwsError for SfnError {
    fn type_name(&self) -> &str {
        SfnError::type_name(self)
    }

    fn message(&self) -> String {
        SfnError::message(self)
    }

    fn status(&self) -> StatusCode {
        SfnError::status(self)
    }
}

impl From<asl::TokenError> for SfnError {
    fn from(e: asl::TokenError) -> Self {
        match e {
            asl::TokenError::InvalidToken => {
                SfnError::InvalidToken("Invalid Token: 'Invalid token'".into())
            }
            asl::TokenError::TaskDoesNotExist => SfnError::TaskDoesNotExist(
                "Task Does Not Exist: the task token does not match a waiting task".into(),
            ),
            asl::TokenError::TaskTimedOut => SfnError::TaskTimedOut(
                "Task Timed Out: the task for this token has timed out or its execution has ended"
                    .into(),
            ),
        }
    }
}
