//! TestState: one state run once, with and without a mock, at each inspection level; the
//! answers are shaped as AWS answers them (output and inspection data as JSON text).

use crate::harness::*;
use serde_json::{json, Value};

async fn test_state(h: &Harness, body: Value) -> Value {
    h.call("TestState", body).await
}

async fn refused(h: &Harness, body: Value) -> (String, String) {
    let e = h.svc.handle("TestState", body).await.unwrap_err();
    (e.type_name().to_string(), e.message())
}

/// A JSON text member parsed back (AWS sends output and inspection data as JSON text).
fn parsed(v: &Value) -> Value {
    serde_json::from_str(v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))).unwrap()
}

fn inspection(out: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in out["inspectionData"].as_object().unwrap() {
        let v = match v {
            Value::String(_) => parsed(v),
            other => other.clone(),
        };
        m.insert(k.clone(), v);
    }
    Value::Object(m)
}

const HELLO: &str = r#"{"Value": "HelloWorld"}"#;

#[tokio::test]
async fn pass_state_at_each_level() {
    let h = Harness::start().await;
    let pass = json!({"Type": "Pass", "End": true}).to_string();
    let info = test_state(&h, json!({"definition": pass, "input": HELLO})).await;
    assert_eq!(
        info,
        json!({"output": "{\"Value\":\"HelloWorld\"}", "status": "SUCCEEDED"})
    );
    for level in ["DEBUG", "TRACE"] {
        let out = test_state(
            &h,
            json!({"definition": pass, "input": HELLO, "inspectionLevel": level}),
        )
        .await;
        let hello = json!({"Value": "HelloWorld"});
        assert_eq!(
            inspection(&out),
            json!({"input": hello, "afterInputPath": hello, "afterParameters": hello,
                   "afterResultSelector": hello, "afterResultPath": hello})
        );
    }
    // With Result: the result, not the steps before it.
    let with_result = json!({"Type": "Pass", "Result": {"resultKey": "result value"},
        "ResultPath": "$.modifiedData", "Next": "After"})
    .to_string();
    let out = test_state(
        &h,
        json!({"definition": with_result, "input": HELLO, "inspectionLevel": "DEBUG"}),
    )
    .await;
    assert_eq!(out["nextState"], "After");
    let r = json!({"resultKey": "result value"});
    let after = json!({"Value": "HelloWorld", "modifiedData": r});
    assert_eq!(
        inspection(&out),
        json!({"input": {"Value": "HelloWorld"}, "result": r, "afterResultSelector": r,
               "afterResultPath": after})
    );
    assert_eq!(parsed(&out["output"]), after);
}

#[tokio::test]
async fn choice_fail_succeed_and_wait_states() {
    let h = Harness::start().await;
    let choice = json!({"Type": "Choice", "Choices": [
        {"Variable": "$.value", "NumericGreaterThanEquals": 20, "Next": "ValueInTwenties"}],
        "Default": "Other"})
    .to_string();
    let input = r#"{"type": "Private", "value": 22}"#;
    let out = test_state(
        &h,
        json!({"definition": choice, "input": input, "inspectionLevel": "DEBUG"}),
    )
    .await;
    assert_eq!(out["nextState"], "ValueInTwenties");
    assert_eq!(out["status"], "SUCCEEDED");
    let v = json!({"type": "Private", "value": 22});
    assert_eq!(inspection(&out), json!({"input": v, "afterInputPath": v}));

    let fail = json!({"Type": "Fail", "Error": "SomeFailure",
        "Cause": "This state machines raises a 'SomeFailure' failure."})
    .to_string();
    let out = test_state(&h, json!({"definition": fail, "input": HELLO})).await;
    assert_eq!(
        out,
        json!({"error": "SomeFailure", "cause": "This state machines raises a 'SomeFailure' failure.",
               "status": "FAILED"})
    );
    let succeed = json!({"Type": "Succeed"}).to_string();
    let out = test_state(
        &h,
        json!({"definition": succeed, "input": HELLO, "inspectionLevel": "TRACE"}),
    )
    .await;
    let hello = json!({"Value": "HelloWorld"});
    assert_eq!(
        inspection(&out),
        json!({"input": hello, "afterInputPath": hello})
    );
    // A Wait does not wait (the clock stands still here).
    let wait = json!({"Type": "Wait", "Seconds": 3600, "Next": "Later"}).to_string();
    let out = test_state(&h, json!({"definition": wait, "input": HELLO})).await;
    assert_eq!(out["nextState"], "Later");
    assert_eq!(out["status"], "SUCCEEDED");
}

fn lambda_task() -> Value {
    json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"}, "ResultPath": "$.result",
        "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2,
                   "MaxAttempts": 3, "BackoffRate": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "HandleError"}],
        "Next": "Done"})
}

#[tokio::test]
async fn a_mocked_task_succeeds_retries_and_is_caught() {
    let h = Harness::start().await;
    let def = lambda_task().to_string();
    let out = test_state(
        &h,
        json!({"definition": def, "input": "{\"a\":1}", "inspectionLevel": "DEBUG",
               "mock": {"result": "{\"StatusCode\":200,\"Payload\":\"hi\"}"}}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    assert_eq!(out["nextState"], "Done");
    assert_eq!(
        parsed(&out["output"]),
        json!({"a": 1, "result": {"body": "hi"}})
    );
    assert_eq!(
        inspection(&out),
        json!({"input": {"a": 1}, "afterInputPath": {"a": 1},
               "afterParameters": {"FunctionName": "f", "Payload": {"a": 1}},
               "result": {"StatusCode": 200, "Payload": "hi"},
               "afterResultSelector": {"body": "hi"},
               "afterResultPath": {"a": 1, "result": {"body": "hi"}}})
    );
    // The real integration is not called.
    assert!(h.fake.calls.lock().unwrap().is_empty());

    let throttled =
        json!({"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "slow"}});
    let out = test_state(
        &h,
        json!({"definition": def, "input": "{}", "inspectionLevel": "DEBUG", "mock": throttled,
               "stateConfiguration": {"retrierRetryCount": 2}}),
    )
    .await;
    assert_eq!(out["status"], "RETRIABLE");
    assert_eq!(out["error"], "Lambda.TooManyRequestsException");
    assert_eq!(out["cause"], "slow");
    assert!(out.get("output").is_none());
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 8})
    );
    // Retries used up: the catcher takes it.
    let out = test_state(
        &h,
        json!({"definition": def, "input": "{}", "inspectionLevel": "DEBUG", "mock": throttled,
               "stateConfiguration": {"retrierRetryCount": 3}}),
    )
    .await;
    assert_eq!(out["status"], "CAUGHT_ERROR");
    assert_eq!(out["nextState"], "HandleError");
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"catchIndex": 0})
    );
    assert_eq!(
        parsed(&out["output"]),
        json!({"error": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow"}})
    );
    // At INFO there is no inspection data.
    let out = test_state(&h, json!({"definition": def, "mock": throttled})).await;
    assert_eq!(out["status"], "RETRIABLE");
    assert!(out.get("inspectionData").is_none());
}

#[tokio::test]
async fn jsonata_state_with_variables_and_a_whole_machine_with_state_name() {
    let h = Harness::start().await;
    let def = json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Assign": {"doubled": "{% $x * 2 %}"},
        "Output": {"sum": "{% $x + $states.input.n %}"}, "End": true})
    .to_string();
    let out = test_state(
        &h,
        json!({"definition": def, "input": "{\"n\": 1}", "variables": "{\"x\": 20}",
               "inspectionLevel": "DEBUG"}),
    )
    .await;
    assert_eq!(parsed(&out["output"]), json!({"sum": 21}));
    assert_eq!(
        inspection(&out),
        json!({"input": {"n": 1}, "variables": {"x": 20, "doubled": 40}})
    );
    let machine = json!({"StartAt": "State0", "States": {
        "State0": {"Type": "Pass", "Next": "State1"},
        "State1": {"Type": "Fail", "Error": "SomeFailure", "Cause": "why"}}})
    .to_string();
    let out = test_state(
        &h,
        json!({"definition": machine, "stateName": "State0", "input": HELLO}),
    )
    .await;
    assert_eq!(out["nextState"], "State1");
    // The context names the state "StateName", as AWS's TestState does.
    let named = json!({"StartAt": "State0", "QueryLanguage": "JSONata", "States": {
        "State0": {"Type": "Pass", "Output": "{% $states.context.State.Name %}", "End": true}}})
    .to_string();
    let out = test_state(&h, json!({"definition": named, "stateName": "State0"})).await;
    assert_eq!(out["output"], "\"StateName\"");
    let out = test_state(
        &h,
        json!({"definition": machine, "stateName": "State1", "input": HELLO}),
    )
    .await;
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "SomeFailure");
    let (ty, msg) = refused(
        &h,
        json!({"definition": machine, "stateName": "Nope", "input": HELLO}),
    )
    .await;
    assert_eq!(
        (ty.as_str(), msg.as_str()),
        ("ValidationException", "State not found in definition")
    );
}

#[tokio::test]
async fn mocked_parallel_and_map_states() {
    let h = Harness::start().await;
    let parallel = json!({"Type": "Parallel", "ResultPath": "$.parallelResult", "End": true,
        "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
            {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": true}}}]})
    .to_string();
    let result = r#"[{"branch1": "result"}, {"branch2": "result"}]"#;
    let out = test_state(
        &h,
        json!({"definition": parallel, "input": "{\"parallelInput\": 1}",
               "inspectionLevel": "DEBUG", "mock": {"result": result}}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    let r = json!([{"branch1": "result"}, {"branch2": "result"}]);
    assert_eq!(
        inspection(&out),
        json!({"input": {"parallelInput": 1}, "afterResultSelector": r,
               "afterResultPath": {"parallelInput": 1, "parallelResult": r}})
    );
    let (ty, msg) = refused(
        &h,
        json!({"definition": parallel, "mock": {"result": "[1]"}}),
    )
    .await;
    assert_eq!(ty, "ValidationException");
    assert_eq!(
        msg,
        "Mocked result must contain the same number of items as number of Parallel branches."
    );
    let (ty, _) = refused(&h, json!({"definition": parallel})).await;
    assert_eq!(ty, "InvalidDefinition");

    let map = json!({"Type": "Map", "ItemsPath": "$.Values", "ToleratedFailureCount": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}},
        "Retry": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 1}],
        "End": true})
    .to_string();
    let input = r#"{"Values": ["first", "second", "third"]}"#;
    let below = test_state(
        &h,
        json!({"definition": map, "input": input, "inspectionLevel": "DEBUG",
               "mock": {"result": "[1,1,1]"},
               "stateConfiguration": {"mapIterationFailureCount": 1}}),
    )
    .await;
    assert_eq!(below["status"], "SUCCEEDED");
    assert_eq!(below["output"], "[1,1,1]");
    assert_eq!(below["inspectionData"]["toleratedFailureCount"], 1);
    assert_eq!(below["inspectionData"]["maxConcurrency"], 0);
    let above = test_state(
        &h,
        json!({"definition": map, "input": input, "inspectionLevel": "DEBUG",
               "mock": {"result": "[1,1,1]"},
               "stateConfiguration": {"mapIterationFailureCount": 2}}),
    )
    .await;
    assert_eq!(above["status"], "RETRIABLE");
    assert_eq!(above["error"], "States.ExceedToleratedFailureThreshold");
    assert_eq!(
        above["cause"],
        "The specified tolerated failure threshold was exceeded"
    );
    assert_eq!(above["inspectionData"]["errorDetails"]["retryIndex"], 0);
}

#[tokio::test]
async fn invalid_requests_are_refused_as_aws_refuses_them() {
    let h = Harness::start().await;
    let pass = json!({"Type": "Pass", "End": true}).to_string();
    let task = lambda_task().to_string();
    let cases = [
        (
            json!({"definition": pass, "mock": {"result": "{}"}}),
            "ValidationException",
            "State type 'Pass' is not supported when a mock is specified",
        ),
        (
            json!({"definition": task, "mock": {"result": "{}", "errorOutput": {"error": "E"}}}),
            "ValidationException",
            "A test mock should have only one of the following fields: [result, errorOutput].",
        ),
        (
            json!({"definition": task, "revealSecrets": true, "mock": {"result": "{}"}}),
            "ValidationException",
            "TestState does not support RevealSecrets when a mock is specified.",
        ),
        (
            json!({"definition": task, "mock": {"result": "not json"}}),
            "ValidationException",
            "Mocked result must be valid JSON",
        ),
        (
            json!({"definition": task}),
            "ValidationException",
            "RoleArn must be specified when testing a Task state",
        ),
        (
            json!({"definition": task, "mock": {"result": "{\"StatusCode\": \"200\"}"}}),
            "ValidationException",
            "Mock result schema validation error: Field 'StatusCode' must be a number",
        ),
        (
            json!({"definition": task, "mock": {"result": "{}"}, "context": "{\"Map\": {}}"}),
            "ValidationException",
            "Invalid Context object provided: 'Map' field is not supported when mocking a Context object",
        ),
        (
            json!({"definition": task, "mock": {"result": "{}"}, "context": "{\"Pokedex\": {}}"}),
            "ValidationException",
            "Invalid Context object provided: Field 'Pokedex' is not allowed",
        ),
        (
            json!({"definition": pass, "inspectionLevel": "LOUD"}),
            "ValidationException",
            "1 validation error detected: Value 'LOUD' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]",
        ),
    ];
    for (body, ty, msg) in cases {
        let (t, m) = refused(&h, body.clone()).await;
        assert_eq!((t.as_str(), m.as_str()), (ty, msg), "{body}");
    }
    let (t, m) = refused(&h, json!({"definition": "{\"Type\": \"Nope\"}"})).await;
    assert_eq!(t, "InvalidDefinition");
    assert!(m.starts_with("Invalid State Machine Definition: '"), "{m}");
    assert!(m.contains("/States/StateName/Type"), "{m}");
}

#[tokio::test]
async fn without_a_mock_a_task_calls_the_real_integration_and_sees_the_given_context() {
    let h = Harness::start().await;
    let echo = json!({"Type": "Task", "Resource": "arn:aws:states:::test:echo",
        "Parameters": {"v.$": "$.v", "exec.$": "$$.Execution.Id"}, "End": true})
    .to_string();
    let out = test_state(
        &h,
        json!({"definition": echo, "input": "{\"v\": 3}", "roleArn": ROLE}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    let o = parsed(&out["output"]);
    assert_eq!(o["v"], 3);
    assert!(
        o["exec"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:states:us-east-1:123456789012:express:"),
        "{o}"
    );
    assert_eq!(*h.fake.calls.lock().unwrap(), vec!["StateName"]);
    // A given context object is used as is (with a mock).
    let ctx = json!({"Execution": {"Id": "arn:aws:states:::execution:M:e1"}}).to_string();
    let out = test_state(
        &h,
        json!({"definition": echo, "input": "{\"v\": 4}", "mock": {"result": "{\"ok\": 1}"},
               "context": ctx}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED");
    // A mocked callback task completes with its mock.
    let cb =
        json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody": {"TaskToken.$": "$$.Task.Token"}},
        "ResultPath": "$.SQS", "Next": "NEXT_STATE"})
        .to_string();
    let out = test_state(
        &h,
        json!({"definition": cb, "input": "{}", "inspectionLevel": "DEBUG",
               "mock": {"result": "{\"pokemon\": [\"pikachu\"]}"},
               "context": "{\"Task\": {\"Token\": \"abcd123\"}}"}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["nextState"], "NEXT_STATE");
    let i = inspection(&out);
    assert_eq!(i["afterParameters"]["MessageBody"]["TaskToken"], "abcd123");
    assert_eq!(
        i["afterResultPath"],
        json!({"SQS": {"pokemon": ["pikachu"]}})
    );
}

#[tokio::test]
async fn jsonata_map_and_task_see_the_test_context_and_report_their_handlers() {
    let h = Harness::start().await;
    let map = json!({"Type": "Map", "QueryLanguage": "JSONata",
        "Items": "{% $states.input.Values %}",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work", "States": {"Work": {"Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "w"}, "End": true}}},
        "Output": "{% $states %}", "ToleratedFailureCount": 1, "End": true})
    .to_string();
    let out = test_state(
        &h,
        json!({"definition": map, "input": "{\"Values\": [1, 2]}", "inspectionLevel": "DEBUG",
               "roleArn": ROLE, "mock": {"result": "[1, 1]"}}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(
        inspection(&out),
        json!({"input": {"Values": [1, 2]}, "toleratedFailureCount": 1, "maxConcurrency": 0})
    );
    let states = parsed(&out["output"]);
    assert_eq!(states["result"], json!([1, 1]));
    let ctx = &states["context"];
    assert_eq!(ctx["State"]["Name"], "StateName");
    assert_eq!(ctx["State"]["RetryCount"], 0);
    assert_eq!(ctx["Execution"]["RoleArn"], ROLE);
    assert_eq!(ctx["Execution"]["Input"], json!({"Values": [1, 2]}));
    let id = ctx["Execution"]["Id"].as_str().unwrap();
    let machine = ctx["StateMachine"]["Name"].as_str().unwrap();
    assert!(id.starts_with(&format!(
        "arn:aws:states:us-east-1:123456789012:express:{machine}:"
    )));

    let task = json!({"Type": "Task", "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "foo", "Payload": "bar"},
        "Retry": [{"ErrorEquals": ["MockException"], "IntervalSeconds": 1, "MaxAttempts": 5,
                   "BackoffRate": 2.0}],
        "Catch": [{"ErrorEquals": ["MockException"], "Output": "{% $states.errorOutput %}",
                   "Next": "HandleMockError"}],
        "End": true})
    .to_string();
    let mock = json!({"errorOutput": {"error": "MockException", "cause": "mocked"}});
    let out = test_state(
        &h,
        json!({"definition": task, "inspectionLevel": "DEBUG", "mock": mock,
               "stateConfiguration": {"retrierRetryCount": 4}}),
    )
    .await;
    assert_eq!(out["status"], "RETRIABLE");
    assert_eq!(
        inspection(&out),
        json!({"input": {}, "afterArguments": {"FunctionName": "foo", "Payload": "bar"},
               "errorDetails": {"retryIndex": 0, "retryBackoffIntervalSeconds": 16}})
    );
    let out = test_state(
        &h,
        json!({"definition": task, "inspectionLevel": "DEBUG", "mock": mock,
               "stateConfiguration": {"retrierRetryCount": 5}}),
    )
    .await;
    assert_eq!(out["status"], "CAUGHT_ERROR");
    assert_eq!(out["nextState"], "HandleMockError");
    assert_eq!(
        out["inspectionData"]["errorDetails"],
        json!({"catchIndex": 0})
    );
    assert_eq!(
        parsed(&out["output"]),
        json!({"Error": "MockException", "Cause": "mocked"})
    );
}

#[tokio::test]
async fn a_mocked_jsonpath_map_still_reads_its_items() {
    let h = Harness::start().await;
    let map = json!({"Type": "Map", "ItemsPath": "$$.Execution.Input.values", "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true})
    .to_string();
    let ctx = json!({"Execution": {"Input": {"values": ["a", "b"]}}}).to_string();
    let out = test_state(
        &h,
        json!({"definition": map, "input": "[\"x\"]", "inspectionLevel": "DEBUG",
               "mock": {"result": "[\"A\", \"B\"]"}, "context": ctx}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(
        inspection(&out),
        json!({"input": ["x"], "afterInputPath": ["x"], "afterResultSelector": ["A", "B"],
               "afterResultPath": ["A", "B"], "afterItemsPath": ["a", "b"], "maxConcurrency": 1})
    );
    let bad = map.replace("$$.Execution.Input.values", "$");
    let out = test_state(
        &h,
        json!({"definition": bad, "input": "{\"not\": \"an array\"}", "inspectionLevel": "DEBUG",
               "mock": {"result": "[]"}}),
    )
    .await;
    assert_eq!(
        out,
        json!({"error": "States.Runtime", "cause": "Reference path \"$\" must point to array.",
               "inspectionData": {"input": "{\"not\":\"an array\"}",
                                  "afterInputPath": "{\"not\":\"an array\"}"},
               "status": "FAILED"})
    );
}

#[tokio::test]
async fn a_mocked_map_with_an_item_reader_takes_its_items_from_the_mock() {
    let h = Harness::start().await;
    let map = json!({"Type": "Map", "MaxConcurrency": 1,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true})
    .to_string();
    let out = test_state(
        &h,
        json!({"definition": map, "input": "{\"Bucket\": \"b\", \"Key\": \"k\"}",
               "inspectionLevel": "DEBUG", "mock": {"result": "[1, 4, 9]"},
               "stateConfiguration": {"mapItemReaderData": "[1, 2, 3]"}}),
    )
    .await;
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], "[1,4,9]");
    assert_eq!(out["inspectionData"]["maxConcurrency"], 1);
    assert!(
        out["inspectionData"].get("afterItemsPath").is_none(),
        "{out}"
    );
}

#[tokio::test]
async fn an_output_over_the_payload_limit_fails_the_state() {
    let h = Harness::start().await;
    let big = "x".repeat(200 * 1024);
    let pass = json!({"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": true})
        .to_string();
    let out = test_state(
        &h,
        json!({"definition": pass, "input": json!({"s": big}).to_string()}),
    )
    .await;
    assert_eq!(out["status"], "FAILED", "{}", &out.to_string()[..200]);
    assert_eq!(out["error"], "States.DataLimitExceeded");
    assert!(out.get("output").is_none());
}
