//! Request shapes of the Step Functions adapter and its error mapping (aws-smithy-mocks).

use app_core::domain::{ExecutionName, TaskToken};
use app_core::ports::{CallbackError, ExecutionStarter, StartError, StartRequest, TaskCallbacks};
use app_core::sfn::SfnClient;
use aws_sdk_sfn::operation::send_task_failure::{
    SendTaskFailureError, SendTaskFailureInput, SendTaskFailureOutput,
};
use aws_sdk_sfn::operation::send_task_heartbeat::{
    SendTaskHeartbeatError, SendTaskHeartbeatOutput,
};
use aws_sdk_sfn::operation::send_task_success::{
    SendTaskSuccessError, SendTaskSuccessInput, SendTaskSuccessOutput,
};
use aws_sdk_sfn::operation::start_execution::{
    StartExecutionError, StartExecutionInput, StartExecutionOutput,
};
use aws_sdk_sfn::types::error::{
    ExecutionAlreadyExists, InvalidOutput, InvalidToken, StateMachineDoesNotExist,
    TaskDoesNotExist, TaskTimedOut,
};
use aws_sdk_sfn::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use std::sync::{Arc, Mutex};

const ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Waitable";
const TOKEN: &str = "AAAA-token-for-mock-tests";

fn request() -> StartRequest {
    StartRequest {
        state_machine_arn: ARN.into(),
        name: ExecutionName::parse("job-1").unwrap(),
        input: r#"{"jobId":"job-1"}"#.into(),
    }
}

fn token() -> TaskToken {
    TaskToken::new(TOKEN).unwrap()
}

#[tokio::test]
async fn start_execution_sends_arn_name_input() {
    let seen: Arc<Mutex<Vec<StartExecutionInput>>> = Default::default();
    let s = seen.clone();
    let rule = mock!(Client::start_execution)
        .match_requests(move |r| {
            s.lock().unwrap().push(r.clone());
            true
        })
        .then_output(|| {
            StartExecutionOutput::builder()
                .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Waitable:job-1")
                .start_date(aws_smithy_types::DateTime::from_millis(1_767_225_600_123))
                .build()
                .unwrap()
        });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&rule]));
    let started = sfn.start_execution(&request()).await.unwrap();
    assert_eq!(
        started.execution_arn,
        "arn:aws:states:us-east-1:123456789012:execution:Waitable:job-1"
    );
    assert_eq!(started.start_date.timestamp_millis(), 1_767_225_600_123);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].state_machine_arn(), Some(ARN));
    assert_eq!(seen[0].name(), Some("job-1"));
    assert_eq!(seen[0].input(), Some(r#"{"jobId":"job-1"}"#));
}

#[tokio::test]
async fn start_execution_errors() {
    let exists = mock!(Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(
            ExecutionAlreadyExists::builder().message("exists").build(),
        )
    });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&exists]));
    assert_eq!(
        sfn.start_execution(&request()).await,
        Err(StartError::AlreadyExists)
    );

    let missing = mock!(Client::start_execution).then_error(|| {
        StartExecutionError::StateMachineDoesNotExist(
            StateMachineDoesNotExist::builder()
                .message("no machine")
                .build(),
        )
    });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&missing]));
    match sfn.start_execution(&request()).await {
        Err(StartError::Upstream(e)) => assert!(e.0.contains("StartExecution"), "{e}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn send_task_success_and_failure_shapes() {
    let success_seen: Arc<Mutex<Vec<SendTaskSuccessInput>>> = Default::default();
    let failure_seen: Arc<Mutex<Vec<SendTaskFailureInput>>> = Default::default();
    let (s1, s2) = (success_seen.clone(), failure_seen.clone());
    let success = mock!(Client::send_task_success)
        .match_requests(move |r| {
            s1.lock().unwrap().push(r.clone());
            true
        })
        .then_output(|| SendTaskSuccessOutput::builder().build());
    let failure = mock!(Client::send_task_failure)
        .match_requests(move |r| {
            s2.lock().unwrap().push(r.clone());
            true
        })
        .then_output(|| SendTaskFailureOutput::builder().build());
    let heartbeat = mock!(Client::send_task_heartbeat)
        .match_requests(|r| r.task_token() == Some(TOKEN))
        .then_output(|| SendTaskHeartbeatOutput::builder().build());
    let sfn = SfnClient::from_client(mock_client!(
        aws_sdk_sfn,
        RuleMode::MatchAny,
        [&success, &failure, &heartbeat]
    ));
    sfn.send_success(&token(), r#"{"ok":true}"#).await.unwrap();
    sfn.send_failure(&token(), Some("Rejected"), Some("because"))
        .await
        .unwrap();
    sfn.send_failure(&token(), None, None).await.unwrap();
    sfn.send_heartbeat(&token()).await.unwrap();
    assert_eq!(heartbeat.num_calls(), 1);
    let s = success_seen.lock().unwrap();
    assert_eq!(s[0].task_token(), Some(TOKEN));
    assert_eq!(s[0].output(), Some(r#"{"ok":true}"#));
    let f = failure_seen.lock().unwrap();
    assert_eq!(
        (f[0].task_token(), f[0].error(), f[0].cause()),
        (Some(TOKEN), Some("Rejected"), Some("because"))
    );
    assert_eq!((f[1].error(), f[1].cause()), (None, None));
}

#[tokio::test]
async fn token_errors_are_mapped() {
    let timed_out = mock!(Client::send_task_success).then_error(|| {
        SendTaskSuccessError::TaskTimedOut(
            TaskTimedOut::builder().message("Task Timed Out").build(),
        )
    });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&timed_out]));
    assert_eq!(
        sfn.send_success(&token(), "{}").await,
        Err(CallbackError::TaskTimedOut("Task Timed Out".into()))
    );

    let invalid_output = mock!(Client::send_task_success).then_error(|| {
        SendTaskSuccessError::InvalidOutput(InvalidOutput::builder().message("bad").build())
    });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&invalid_output]));
    assert_eq!(
        sfn.send_success(&token(), "{}").await,
        Err(CallbackError::InvalidOutput("bad".into()))
    );

    let invalid = mock!(Client::send_task_failure).then_error(|| {
        SendTaskFailureError::InvalidToken(InvalidToken::builder().message("Invalid token").build())
    });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&invalid]));
    assert_eq!(
        sfn.send_failure(&token(), None, None).await,
        Err(CallbackError::InvalidToken("Invalid token".into()))
    );

    let gone = mock!(Client::send_task_heartbeat).then_error(|| {
        SendTaskHeartbeatError::TaskDoesNotExist(
            TaskDoesNotExist::builder().message("gone").build(),
        )
    });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&gone]));
    assert_eq!(
        sfn.send_heartbeat(&token()).await,
        Err(CallbackError::TaskDoesNotExist("gone".into()))
    );

    let throttled = mock!(Client::send_task_heartbeat).then_error(|| {
        SendTaskHeartbeatError::generic(
            aws_sdk_sfn::error::ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("slow down")
                .build(),
        )
    });
    let sfn = SfnClient::from_client(mock_client!(aws_sdk_sfn, [&throttled]));
    match sfn.send_heartbeat(&token()).await {
        Err(CallbackError::Upstream(e)) => assert!(e.0.contains("SendTaskHeartbeat"), "{e}"),
        other => panic!("unexpected {other:?}"),
    }
}
