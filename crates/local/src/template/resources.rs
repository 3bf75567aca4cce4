//! One function per resource type the runtime serves: each turns a resolved resource into
//! its part of the [`Application`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::{
    api_id, intrinsic_error, key_required, rules, substitute, ActivityDef, ApiDef, ApiEvent,
    Application, FunctionDef, GatewayResponse, Resource, StateMachineDef, TableDef, TemplateError,
    IMPLICIT_API,
};
use crate::intrinsics::{scalar, IntrinsicError, Scope};

/// Adds what one resource contributes; types the runtime does not serve add nothing.
pub(super) fn collect(
    app: &mut Application,
    r: &Resource,
    scope: &Scope,
    base: &Path,
) -> Result<(), TemplateError> {
    match r.kind {
        "AWS::Serverless::Function" => {
            let f = function(r, scope)?;
            app.event_rules.extend(rules::function_rules(
                r.id,
                &f.arn,
                r.resolve(scope, "Events")?,
            )?);
            app.functions.push(f);
        }
        "AWS::Serverless::Api" => app.apis.push(serverless_api(r, scope)?),
        "AWS::DynamoDB::Table" => app.tables.push(dynamodb_table(r, scope)?),
        "AWS::Serverless::SimpleTable" => app.tables.push(simple_table(r, scope)?),
        "AWS::Serverless::StateMachine" => app.state_machines.push(state_machine(r, scope, base)?),
        "AWS::StepFunctions::Activity" => app.activities.push(activity(r, scope)?),
        "AWS::Events::Rule" => {
            let props = Value::Object(r.resolve_all(scope)?);
            app.event_rules.extend(rules::rule_resource(r.id, &props)?);
        }
        other => tracing::debug!(resource = %r.id, kind = other, "not modelled locally"),
    }
    Ok(())
}

/// `AWS::StepFunctions::Activity`: its name (`Name`, required by CloudFormation).
fn activity(r: &Resource, scope: &Scope) -> Result<ActivityDef, TemplateError> {
    let name = r
        .resolve(scope, "Name")?
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or_else(|| TemplateError::Shape(format!("{}: an activity needs a Name", r.id)))?;
    Ok(ActivityDef {
        logical_id: r.id.to_string(),
        name,
    })
}

/// `AWS::Serverless::Function`: its name and ARN, environment, limits and `Api` events.
fn function(r: &Resource, scope: &Scope) -> Result<FunctionDef, TemplateError> {
    let ids = scope.resources.get(r.id).cloned().unwrap_or_default();
    let name = scalar(&ids.reference).unwrap_or_else(|| r.id.to_string());
    let arn = ids
        .attributes
        .get("Arn")
        .and_then(scalar)
        .unwrap_or_default();
    let binary = r
        .declared
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|b| b.get("Binary"))
        .and_then(scalar);
    let environment = environment(r, scope)?;
    let events = api_events(r, scope)?;
    Ok(FunctionDef {
        logical_id: r.id.to_string(),
        name,
        arn,
        binary,
        environment,
        timeout_seconds: number_or(r.resolve(scope, "Timeout")?, 3),
        memory_mb: number_or(r.resolve(scope, "MemorySize")?, 128),
        events,
    })
}

fn number_or(v: Option<Value>, default: u64) -> u64 {
    v.and_then(|v| scalar(&v))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `Environment.Variables`, each value a string once resolved.
fn environment(r: &Resource, scope: &Scope) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut out = BTreeMap::new();
    let Some(env) = r.resolve(scope, "Environment")? else {
        return Ok(out);
    };
    let Some(Value::Object(vars)) = env.get("Variables") else {
        return Ok(out);
    };
    for (k, v) in vars {
        let s = scalar(v).ok_or_else(|| TemplateError::Intrinsic {
            resource: r.id.to_string(),
            property: format!("Environment.Variables.{k}"),
            source: IntrinsicError::Invalid {
                function: "Environment".into(),
                message: "value must be a string".into(),
            },
        })?;
        out.insert(k.clone(), s);
    }
    Ok(out)
}

/// The function's `Api` events; other event types are not served as routes.
fn api_events(r: &Resource, scope: &Scope) -> Result<Vec<ApiEvent>, TemplateError> {
    let mut events = Vec::new();
    let Some(Value::Object(declared)) = r.resolve(scope, "Events")? else {
        return Ok(events);
    };
    for (name, ev) in &declared {
        let ty = ev.get("Type").and_then(Value::as_str).unwrap_or("");
        if ty != "Api" {
            tracing::debug!(function = r.id, event = %name, kind = ty, "event type not served locally");
            continue;
        }
        let props = ev.get("Properties").cloned().unwrap_or(Value::Null);
        events.push(api_event(r.id, name, &props, scope)?);
    }
    Ok(events)
}

/// One `Api` event. Its key requirement is its own `Auth.ApiKeyRequired` for now; the API's
/// default is applied once every API is known.
fn api_event(
    function: &str,
    name: &str,
    props: &Value,
    scope: &Scope,
) -> Result<ApiEvent, TemplateError> {
    let path = props.get("Path").and_then(scalar).ok_or_else(|| {
        TemplateError::Shape(format!("{function}.Events.{name}: Api event without Path"))
    })?;
    let method = props
        .get("Method")
        .and_then(scalar)
        .unwrap_or_else(|| "any".into())
        .to_ascii_uppercase();
    let api = match props.get("RestApiId") {
        None => IMPLICIT_API.to_string(),
        Some(v) => api_logical_id(scope, v).ok_or_else(|| {
            TemplateError::Shape(format!(
                "{function}.Events.{name}: RestApiId does not name an AWS::Serverless::Api"
            ))
        })?,
    };
    let own_api_key_required = key_required(props.get("Auth"));
    Ok(ApiEvent {
        name: name.to_string(),
        path,
        method,
        api,
        api_key_required: own_api_key_required.unwrap_or(false),
        own_api_key_required,
    })
}

/// RestApiId resolves to the API's id; map it back to the logical id.
fn api_logical_id(scope: &Scope, v: &Value) -> Option<String> {
    let s = scalar(v)?;
    scope
        .resources
        .iter()
        .find(|(id, r)| scalar(&r.reference).as_deref() == Some(s.as_str()) || **id == s)
        .map(|(id, _)| id.clone())
}

/// `AWS::Serverless::Api`: stage, key requirement and customised error responses.
fn serverless_api(r: &Resource, scope: &Scope) -> Result<ApiDef, TemplateError> {
    let stage = r
        .resolve(scope, "StageName")?
        .and_then(|v| scalar(&v))
        .unwrap_or_else(|| "Prod".into());
    let auth = r.resolve(scope, "Auth")?;
    let responses = r.resolve(scope, "GatewayResponses")?;
    Ok(api_def(r.id, stage, auth.as_ref(), responses.as_ref()))
}

/// The API SAM creates for `Api` events without `RestApiId`, configured by `Globals.Api`.
pub(super) fn implicit_api(
    globals: Option<&Map<String, Value>>,
    scope: &Scope,
) -> Result<ApiDef, TemplateError> {
    let global = |property: &str| -> Result<Option<Value>, TemplateError> {
        match globals.and_then(|g| g.get(property)) {
            None => Ok(None),
            Some(v) => scope.resolve(v).map_err(|source| {
                intrinsic_error(IMPLICIT_API, &format!("Globals.Api.{property}"), source)
            }),
        }
    };
    let auth = global("Auth")?;
    let responses = global("GatewayResponses")?;
    Ok(api_def(
        IMPLICIT_API,
        "Prod".into(),
        auth.as_ref(),
        responses.as_ref(),
    ))
}

fn api_def(
    logical_id: &str,
    stage: String,
    auth: Option<&Value>,
    responses: Option<&Value>,
) -> ApiDef {
    ApiDef {
        logical_id: logical_id.to_string(),
        id: api_id(logical_id),
        stage,
        api_key_required: key_required(auth).unwrap_or(false),
        gateway_responses: gateway_responses(responses),
    }
}

/// `GatewayResponses` by response type; header values lose the quotes of their
/// static-value form (`"'*'"`).
fn gateway_responses(v: Option<&Value>) -> BTreeMap<String, GatewayResponse> {
    let Some(Value::Object(m)) = v else {
        return BTreeMap::new();
    };
    m.iter()
        .map(|(kind, r)| (kind.clone(), gateway_response(r)))
        .collect()
}

fn gateway_response(r: &Value) -> GatewayResponse {
    let status = r
        .get("StatusCode")
        .and_then(scalar)
        .and_then(|s| s.parse().ok());
    let template = r
        .get("ResponseTemplates")
        .and_then(|t| t.get("application/json"))
        .and_then(scalar);
    let headers = r
        .get("ResponseParameters")
        .and_then(|p| p.get("Headers"))
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((k.clone(), unquoted(&scalar(v)?).to_string())))
                .collect()
        })
        .unwrap_or_default();
    GatewayResponse {
        status,
        template,
        headers,
    }
}

fn unquoted(v: &str) -> &str {
    let v = v.trim();
    v.strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .unwrap_or(v)
}

/// `AWS::DynamoDB::Table`: the resolved properties, `TableName` always set.
fn dynamodb_table(r: &Resource, scope: &Scope) -> Result<TableDef, TemplateError> {
    let mut p = r.resolve_all(scope)?;
    let name = table_name(r.id, &p);
    p.insert("TableName".into(), Value::String(name.clone()));
    Ok(TableDef {
        logical_id: r.id.to_string(),
        name,
        properties: Value::Object(p),
    })
}

/// `AWS::Serverless::SimpleTable` expands to a one-key, on-demand table.
fn simple_table(r: &Resource, scope: &Scope) -> Result<TableDef, TemplateError> {
    let p = r.resolve_all(scope)?;
    let name = table_name(r.id, &p);
    let key = p.get("PrimaryKey");
    let key_name = key
        .and_then(|k| k.get("Name"))
        .and_then(scalar)
        .unwrap_or_else(|| "id".into());
    let key_type = match key.and_then(|k| k.get("Type")).and_then(Value::as_str) {
        Some("Number") => "N",
        Some("Binary") => "B",
        _ => "S",
    };
    Ok(TableDef {
        logical_id: r.id.to_string(),
        properties: json!({
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": key_name, "AttributeType": key_type}],
            "KeySchema": [{"AttributeName": key_name, "KeyType": "HASH"}],
        }),
        name,
    })
}

fn table_name(id: &str, p: &Map<String, Value>) -> String {
    p.get("TableName")
        .and_then(scalar)
        .unwrap_or_else(|| id.to_string())
}

/// `AWS::Serverless::StateMachine`: its definition (file or inline) with
/// `DefinitionSubstitutions` applied.
fn state_machine(
    r: &Resource,
    scope: &Scope,
    base: &Path,
) -> Result<StateMachineDef, TemplateError> {
    let ids = scope.resources.get(r.id).cloned().unwrap_or_default();
    let arn = scalar(&ids.reference).unwrap_or_default();
    let name = ids
        .attributes
        .get("Name")
        .and_then(scalar)
        .unwrap_or_else(|| r.id.to_string());
    let raw = definition_text(r, scope, base)?;
    let subs = definition_substitutions(r, scope)?;
    let kind = r
        .resolve(scope, "Type")?
        .and_then(|v| scalar(&v))
        .unwrap_or_else(|| "STANDARD".into());
    Ok(StateMachineDef {
        logical_id: r.id.to_string(),
        name,
        arn,
        definition: substitute(&raw, &subs),
        kind,
    })
}

/// The definition as written: the file `DefinitionUri` names, else `Definition` as JSON.
fn definition_text(r: &Resource, scope: &Scope, base: &Path) -> Result<String, TemplateError> {
    let id = r.id;
    if let Some(uri) = r.resolve(scope, "DefinitionUri")? {
        let rel = scalar(&uri).ok_or_else(|| {
            TemplateError::Shape(format!(
                "state machine {id}: DefinitionUri must be a local path (S3 locations are not read locally)"
            ))
        })?;
        let path = base.join(&rel);
        return std::fs::read_to_string(&path).map_err(|source| TemplateError::Definition {
            resource: id.to_string(),
            path,
            source,
        });
    }
    match r.resolve(scope, "Definition")? {
        Some(def) => Ok(def.to_string()),
        None => Err(TemplateError::Shape(format!(
            "state machine {id} has neither DefinitionUri nor Definition"
        ))),
    }
}

fn definition_substitutions(
    r: &Resource,
    scope: &Scope,
) -> Result<Vec<(String, String)>, TemplateError> {
    let mut subs = Vec::new();
    let Some(Value::Object(m)) = r.resolve(scope, "DefinitionSubstitutions")? else {
        return Ok(subs);
    };
    for (k, v) in m {
        let s = scalar(&v).ok_or_else(|| TemplateError::Intrinsic {
            resource: r.id.to_string(),
            property: format!("DefinitionSubstitutions.{k}"),
            source: IntrinsicError::Invalid {
                function: "DefinitionSubstitutions".into(),
                message: "value must be a string, number or boolean".into(),
            },
        })?;
        subs.push((k, s));
    }
    Ok(subs)
}
