use super::*;

fn opts() -> LoadOptions {
    LoadOptions {
        region: "eu-west-1".into(),
        stack_name: "demo".into(),
        parameters: vec![],
    }
}

const SMALL: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
  Ratio: {Type: String, Default: "0.5"}
  Mode: {Type: String, Default: external, AllowedValues: [external, auto]}
  Beat: {Type: Number, Default: 30, MinValue: 1, MaxValue: 100}
Conditions:
  IsAuto: !Equals [!Ref Mode, auto]
  NotAuto: !Not [{Condition: IsAuto}]
Globals:
  Function:
    Timeout: 7
    Environment:
      Variables:
        SHARED: g
        OVERRIDDEN: g
  Api:
    Auth:
      ApiKeyRequired: true
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-jobs"
      KeySchema: [{AttributeName: Id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: Id, AttributeType: S}]
      BillingMode: PAY_PER_REQUEST
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
  Fn1:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: fn-one}}
    Properties:
      Environment:
        Variables:
          OVERRIDDEN: own
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
          MACHINE: !Ref Machine
          MODE: !If [IsAuto, "yes", "no"]
          BEAT: !Ref Beat
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/jobs/{id}", Method: get}
        Open:
          Type: Api
          Properties: {Path: /open, Method: ANY}
        Public:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /health, Method: get, Auth: {ApiKeyRequired: false}}
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
  OnlyAuto:
    Type: AWS::Serverless::Function
    Condition: IsAuto
    Properties: {}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${AWS::StackName}-M"
      DefinitionUri: m.asl.json
      DefinitionSubstitutions:
        Fn: !GetAtt Fn1.Arn
        Beat: !Ref Beat
"#;

fn with_definition() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("m.asl.json"),
        r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${Fn}","HeartbeatSeconds":${Beat},"Comment":"${Other}","End":true}}}"#,
    )
    .expect("write");
    dir
}

#[test]
fn resolves_functions_apis_tables_and_machines() {
    let dir = with_definition();
    let app = parse(SMALL, dir.path(), &opts()).expect("parses");
    let f = app.function("Fn1").expect("function");
    assert_eq!(f.binary.as_deref(), Some("fn-one"));
    assert_eq!(f.timeout_seconds, 7);
    assert_eq!(f.arn, "arn:aws:lambda:eu-west-1:123456789012:function:Fn1");
    let env = &f.environment;
    assert_eq!(env["SHARED"], "g");
    assert_eq!(env["OVERRIDDEN"], "own");
    assert_eq!(env["TABLE"], "demo-jobs");
    assert_eq!(
        env["TABLE_ARN"],
        "arn:aws:dynamodb:eu-west-1:123456789012:table/demo-jobs"
    );
    assert_eq!(
        env["MACHINE"],
        "arn:aws:states:eu-west-1:123456789012:stateMachine:demo-M"
    );
    assert_eq!(env["MODE"], "no");
    assert_eq!(env["BEAT"], "30");
    assert_eq!(
        f.events.len(),
        3,
        "only Api events are served: {:?}",
        f.events
    );
    let event = |name: &str| {
        f.events
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("event {name}: {:?}", f.events))
    };
    let get = event("Get");
    assert_eq!(
        (get.method.as_str(), get.path.as_str(), get.api.as_str()),
        ("GET", "/jobs/{id}", "Api")
    );
    assert!(
        get.api_key_required,
        "Globals.Api.Auth applies to explicit APIs too"
    );
    let open = event("Open");
    assert_eq!(open.api, IMPLICIT_API);
    assert!(
        open.api_key_required,
        "Globals.Api.Auth applies to the implicit API"
    );
    let public = event("Public");
    assert!(
        !public.api_key_required,
        "an event's own ApiKeyRequired: false overrides the API-wide true"
    );
    assert!(
        app.function("OnlyAuto").is_none(),
        "Condition false removes the resource"
    );

    let api = app
        .apis
        .iter()
        .find(|a| a.logical_id == "Api")
        .expect("api");
    assert_eq!(api.stage, "dev");
    let implicit = app
        .apis
        .iter()
        .find(|a| a.logical_id == IMPLICIT_API)
        .expect("implicit");
    assert_eq!(implicit.stage, "Prod");

    assert_eq!(app.tables[0].name, "demo-jobs");
    assert_eq!(app.tables[0].properties["TableName"], "demo-jobs");

    let m = &app.state_machines[0];
    assert_eq!(m.name, "demo-M");
    let def: Value = serde_json::from_str(&m.definition).expect("substituted JSON");
    assert_eq!(
        def["States"]["A"]["Resource"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn1"
    );
    assert_eq!(def["States"]["A"]["HeartbeatSeconds"], 30);
    assert_eq!(
        def["States"]["A"]["Comment"], "${Other}",
        "unknown keys stay as written"
    );
}

#[test]
fn parameter_overrides_and_conditions() {
    let dir = with_definition();
    let mut o = opts();
    o.parameters = vec![
        ("Mode".into(), "auto".into()),
        ("Stage".into(), "v9".into()),
    ];
    let app = parse(SMALL, dir.path(), &o).expect("parses");
    assert_eq!(app.function("Fn1").expect("fn").environment["MODE"], "yes");
    assert!(app.function("OnlyAuto").is_some());
    assert_eq!(
        app.apis
            .iter()
            .find(|a| a.logical_id == "Api")
            .map(|a| a.stage.as_str()),
        Some("v9")
    );

    o.parameters = vec![("Nope".into(), "x".into())];
    assert!(
        matches!(parse(SMALL, dir.path(), &o), Err(TemplateError::UnknownParameter(p)) if p == "Nope")
    );
}

#[test]
fn unknown_intrinsic_names_resource_and_property() {
    let dir = with_definition();
    let bad = SMALL.replace("OVERRIDDEN: own", "OVERRIDDEN: !ImportValue other-stack");
    let err = parse(&bad, dir.path(), &opts()).expect_err("must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("Fn1") && msg.contains("Environment") && msg.contains("Fn::ImportValue"),
        "{msg}"
    );
}

#[test]
fn missing_parameter_default_is_an_error() {
    let t = "Parameters:\n  X: {Type: String}\nResources:\n  T: {Type: AWS::SNS::Topic}\n";
    assert!(
        matches!(parse(t, Path::new("."), &opts()), Err(TemplateError::MissingParameter(p)) if p == "X")
    );
}

#[test]
fn missing_definition_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = parse(SMALL, dir.path(), &opts()).expect_err("no definition file");
    assert!(matches!(err, TemplateError::Definition { .. }), "{err}");
}

#[test]
fn reads_the_project_template() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    if !path.exists() {
        return;
    }
    let app = load(&path, &opts()).expect("the real template loads");
    assert!(!app.functions.is_empty());
    for m in &app.state_machines {
        let v: Value =
            serde_json::from_str(&m.definition).expect("definitions are JSON after substitution");
        assert!(v.get("StartAt").is_some());
        assert!(!m.definition.contains("${JobsTable}"));
    }
    for f in &app.functions {
        for e in &f.events {
            assert!(e.api_key_required, "every route needs the key: {}", e.path);
        }
    }
    // The status tracker hears about the three machines' executions, and only theirs.
    let rule = app
        .event_rules
        .iter()
        .find(|r| r.name == "StatusEventsFunction.Events.ExecutionStatusChange")
        .expect("the status-change rule");
    let tracker = app.function("StatusEventsFunction").expect("tracker");
    assert_eq!(rule.target, tracker.arn);
    let mut arns: Vec<&str> = rule.pattern["detail"]["stateMachineArn"]
        .as_array()
        .expect("machine filter")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    arns.sort();
    let mut machines: Vec<&str> = app.state_machines.iter().map(|m| m.arn.as_str()).collect();
    machines.sort();
    assert_eq!(arns, machines);
    assert_eq!(rule.pattern["source"], serde_json::json!(["aws.states"]));
}

#[test]
fn parameter_constraints_are_checked() {
    let dir = with_definition();
    for (k, v) in [
        ("Mode", "sometimes"),
        ("Beat", "0"),
        ("Beat", "101"),
        ("Beat", "many"),
    ] {
        let mut o = opts();
        o.parameters = vec![(k.into(), v.into())];
        let err = parse(SMALL, dir.path(), &o).expect_err("refused");
        assert!(
            matches!(&err, TemplateError::InvalidParameter { name, .. } if name == k),
            "{k}={v}: {err}"
        );
    }
}

/// Two explicit APIs (one keyed, one open) and the implicit one (open through Globals), each
/// with a route that follows its API and one that says the opposite.
const ROUTE_KEYS: &str = r#"
Globals:
  Api:
    Auth:
      ApiKeyRequired: false
Resources:
  Keyed:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1, Auth: {ApiKeyRequired: true}}
  Open:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        KeyedDefault: {Type: Api, Properties: {RestApiId: !Ref Keyed, Path: /a, Method: get}}
        KeyedOptOut: {Type: Api, Properties: {RestApiId: !Ref Keyed, Path: /b, Method: get, Auth: {ApiKeyRequired: false}}}
        OpenDefault: {Type: Api, Properties: {RestApiId: !Ref Open, Path: /c, Method: get}}
        OpenOptIn: {Type: Api, Properties: {RestApiId: !Ref Open, Path: /d, Method: get, Auth: {ApiKeyRequired: true}}}
        ImplicitDefault: {Type: Api, Properties: {Path: /e, Method: get}}
        ImplicitOptIn: {Type: Api, Properties: {Path: /f, Method: get, Auth: {ApiKeyRequired: "true"}}}
"#;

#[test]
fn an_events_own_api_key_setting_overrides_its_api_in_both_directions() {
    let app = parse(ROUTE_KEYS, Path::new("."), &opts()).expect("parses");
    let routes = crate::apigw::ApiGateway::routes_from(&app);
    let keyed = |path: &str| {
        routes
            .iter()
            .find(|r| r.resource == path)
            .unwrap_or_else(|| panic!("route {path}: {routes:?}"))
            .api_key_required
    };
    assert!(keyed("/a"), "a keyed API's route needs the key");
    assert!(!keyed("/b"), "ApiKeyRequired: false on the event opens it");
    assert!(!keyed("/c"), "an open API's route needs no key");
    assert!(keyed("/d"), "ApiKeyRequired: true on the event keys it");
    assert!(!keyed("/e"), "Globals.Api leaves the implicit API open");
    assert!(keyed("/f"), "the event keys its route of the implicit API");
}

#[test]
fn activities_are_read_and_referenced_by_arn() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Approval:
    Type: AWS::StepFunctions::Activity
    Properties:
      Name: !Sub "${AWS::StackName}-Approval"
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: uses-activity
      Definition:
        StartAt: Work
        States:
          Work: {Type: Task, Resource: "${ApprovalArn}", End: true}
      DefinitionSubstitutions:
        ApprovalArn: !Ref Approval
        ApprovalName: !GetAtt Approval.Name
"#;
    let app = parse(text, Path::new("."), &opts()).unwrap();
    assert_eq!(
        app.activities,
        [ActivityDef {
            logical_id: "Approval".into(),
            name: "demo-Approval".into()
        }]
    );
    assert!(app.state_machines[0]
        .definition
        .contains("arn:aws:states:eu-west-1:123456789012:activity:demo-Approval"));
    let nameless = "Resources:\n  A:\n    Type: AWS::StepFunctions::Activity\n";
    assert!(parse(nameless, Path::new("."), &opts()).is_err());
}
