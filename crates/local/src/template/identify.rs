//! Physical ids: what `Ref` and `Fn::GetAtt` answer for each resource, from its local
//! physical name, and for the resources SAM generates beside the declared ones.

use serde_json::Value;

use super::{api_id, Resource, TemplateError, ACCOUNT_ID, IMPLICIT_API};
use crate::intrinsics::{scalar, ResourceIds, Scope};

/// Identifies every resource. A physical name can depend on parameters and on other
/// resources' names, so names are resolved in rounds until nothing is left (or nothing
/// more resolves: the last error is then the answer).
pub(super) fn all(
    scope: &mut Scope,
    active: &[Resource],
    region: &str,
) -> Result<(), TemplateError> {
    let mut pending: Vec<&Resource> = active.iter().collect();
    let mut last_err = None;
    for _round in 0..=active.len() {
        let mut still = Vec::new();
        for r in pending {
            match identify(scope, r, region) {
                Ok(ids) => {
                    scope.resources.insert(r.id.to_string(), ids);
                }
                Err(e) => {
                    last_err = Some(e);
                    still.push(r);
                }
            }
        }
        if still.is_empty() {
            return Ok(());
        }
        pending = still;
    }
    last_err.map_or(Ok(()), Err)
}

/// What `Ref` / `Fn::GetAtt` answer for one resource.
fn identify(scope: &Scope, r: &Resource, region: &str) -> Result<ResourceIds, TemplateError> {
    let name_of = |property: &str| -> Result<Option<String>, TemplateError> {
        Ok(r.resolve(scope, property)?.and_then(|v| scalar(&v)))
    };
    Ok(match r.kind {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
            let name = name_of("FunctionName")?.unwrap_or_else(|| r.id.to_string());
            function_ids(name, region)
        }
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => {
            let name = name_of("TableName")?.unwrap_or_else(|| r.id.to_string());
            table_ids(name, region)
        }
        "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
            let name = name_of("Name")?
                .or(name_of("StateMachineName")?)
                .unwrap_or_else(|| r.id.to_string());
            state_machine_ids(name, region)
        }
        "AWS::StepFunctions::Activity" => {
            let name = name_of("Name")?.unwrap_or_else(|| r.id.to_string());
            activity_ids(name, region)
        }
        "AWS::Serverless::Api" => api_ids(r.id),
        other => {
            let service = other
                .split("::")
                .nth(1)
                .unwrap_or("unknown")
                .to_ascii_lowercase();
            modelled_elsewhere(r.id, &service, region)
        }
    })
}

fn function_ids(name: String, region: &str) -> ResourceIds {
    let arn = format!("arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}");
    ResourceIds {
        reference: Value::String(name),
        attributes: [("Arn".to_string(), Value::String(arn))].into(),
        any_attribute: None,
    }
}

fn table_ids(name: String, region: &str) -> ResourceIds {
    let arn = format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}");
    let stream = format!("{arn}/stream/1970-01-01T00:00:00.000");
    ResourceIds {
        reference: Value::String(name),
        attributes: [
            ("StreamArn".to_string(), Value::String(stream)),
            ("Arn".to_string(), Value::String(arn)),
        ]
        .into(),
        any_attribute: None,
    }
}

fn state_machine_ids(name: String, region: &str) -> ResourceIds {
    let arn = format!("arn:aws:states:{region}:{ACCOUNT_ID}:stateMachine:{name}");
    ResourceIds {
        reference: Value::String(arn.clone()),
        attributes: [
            ("Name".to_string(), Value::String(name)),
            ("Arn".to_string(), Value::String(arn)),
        ]
        .into(),
        any_attribute: None,
    }
}

/// `Ref` of an activity is its ARN, as for a state machine; `Fn::GetAtt` gives `Name`.
fn activity_ids(name: String, region: &str) -> ResourceIds {
    let arn = format!("arn:aws:states:{region}:{ACCOUNT_ID}:activity:{name}");
    ResourceIds {
        reference: Value::String(arn),
        attributes: [("Name".to_string(), Value::String(name))].into(),
        any_attribute: None,
    }
}

fn api_ids(logical_id: &str) -> ResourceIds {
    let api = api_id(logical_id);
    ResourceIds {
        attributes: [(
            "RootResourceId".to_string(),
            Value::String(format!("{api}root")),
        )]
        .into(),
        reference: Value::String(api),
        any_attribute: None,
    }
}

/// A resource the runtime does not serve: `Ref` answers its logical id, any attribute a
/// made-up ARN of its service.
fn modelled_elsewhere(id: &str, service: &str, region: &str) -> ResourceIds {
    let arn = format!("arn:aws:{service}:{region}:{ACCOUNT_ID}:{id}");
    ResourceIds {
        reference: Value::String(id.to_string()),
        attributes: [("Arn".to_string(), Value::String(arn.clone()))].into(),
        any_attribute: Some(arn),
    }
}

/// Adds the resources SAM generates, so references to them resolve: the implicit API, each
/// API's key, usage plan, usage plan key and deployment, each function's and state
/// machine's role. A declared resource of the same id keeps its own ids.
pub(super) fn add_generated(scope: &mut Scope, active: &[Resource], region: &str) {
    scope
        .resources
        .entry(IMPLICIT_API.into())
        .or_insert_with(|| api_ids(IMPLICIT_API));
    for r in active {
        for (id, service) in generated_beside(r) {
            scope
                .resources
                .entry(id.clone())
                .or_insert_with(|| modelled_elsewhere(&id, service, region));
        }
    }
}

/// The logical ids (and their services) SAM generates for one declared resource.
fn generated_beside(r: &Resource) -> Vec<(String, &'static str)> {
    match r.kind {
        "AWS::Serverless::Api" => ["ApiKey", "UsagePlan", "UsagePlanKey", "Deployment"]
            .iter()
            .map(|suffix| (format!("{}{suffix}", r.id), "apigateway"))
            .collect(),
        "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
            vec![(format!("{}Role", r.id), "iam")]
        }
        _ => Vec::new(),
    }
}
