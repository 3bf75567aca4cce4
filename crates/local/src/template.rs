//! Reads the SAM template `sam deploy` uses and turns it into what the local runtime serves:
//! functions (with resolved environment), API routes, tables and state machine definitions.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::intrinsics::{scalar, yaml_to_json, IntrinsicError, ResourceIds, Scope};

pub mod rules;

/// The fixed local account (docs/contracts.md).
pub const ACCOUNT_ID: &str = "123456789012";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid YAML: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("template: {0}")]
    Shape(String),
    #[error("parameter {0} has no Default; pass --param {0}=VALUE")]
    MissingParameter(String),
    #[error("--param {0}: the template declares no such parameter")]
    UnknownParameter(String),
    #[error("parameter {name}: {message}")]
    InvalidParameter { name: String, message: String },
    #[error("resource {resource}, property {property}: {source}")]
    Intrinsic {
        resource: String,
        property: String,
        source: IntrinsicError,
    },
    #[error("condition {condition}: {source}")]
    Condition {
        condition: String,
        source: IntrinsicError,
    },
    #[error("state machine {resource}: cannot read definition {path}: {source}")]
    Definition {
        resource: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where the template is and the deploy-time inputs `sam deploy` would have.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub region: String,
    pub stack_name: String,
    /// `--param Name=Value` overrides (as `--parameter-overrides`).
    pub parameters: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiEvent {
    /// Event name in the template (`StartWaitUntil`).
    pub name: String,
    pub path: String,
    /// Upper case; `ANY` for any method.
    pub method: String,
    /// Logical id of the API (the implicit `ServerlessRestApi` when not given).
    pub api: String,
    /// Whether the route needs the API key: the event's own `Auth.ApiKeyRequired` when it
    /// sets one (`false` included), else its API's `Auth` default.
    pub api_key_required: bool,
    /// The event's own `Auth.ApiKeyRequired`, if it says.
    pub own_api_key_required: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub logical_id: String,
    pub name: String,
    pub arn: String,
    /// `Metadata.BuildProperties.Binary` (the cargo bin, which equals the crate name).
    pub binary: Option<String>,
    pub environment: BTreeMap<String, String>,
    pub timeout_seconds: u64,
    pub memory_mb: u64,
    pub events: Vec<ApiEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiDef {
    pub logical_id: String,
    pub id: String,
    pub stage: String,
    pub api_key_required: bool,
    /// `GatewayResponses` by response type (`MISSING_AUTHENTICATION_TOKEN`, `DEFAULT_4XX`...).
    pub gateway_responses: BTreeMap<String, GatewayResponse>,
}

/// A customised API Gateway error response.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    /// The `application/json` template (`$context.*` variables are filled in).
    pub template: Option<String>,
    pub headers: BTreeMap<String, String>,
}

fn gateway_responses(v: Option<&Value>) -> BTreeMap<String, GatewayResponse> {
    let mut out = BTreeMap::new();
    let Some(Value::Object(m)) = v else {
        return out;
    };
    for (kind, r) in m {
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
                    .filter_map(|(k, v)| {
                        let v = scalar(v)?;
                        let v = v.trim();
                        let v = v
                            .strip_prefix('\'')
                            .and_then(|x| x.strip_suffix('\''))
                            .unwrap_or(v);
                        Some((k.clone(), v.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(
            kind.clone(),
            GatewayResponse {
                status,
                template,
                headers,
            },
        );
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub logical_id: String,
    pub name: String,
    /// Resolved CloudFormation `Properties` (with `TableName` set), for `Dynamo::apply_table_template`.
    pub properties: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateMachineDef {
    pub logical_id: String,
    pub name: String,
    pub arn: String,
    /// Definition text with `DefinitionSubstitutions` applied.
    pub definition: String,
    pub kind: String,
}

/// An EventBridge rule on the default bus with one Lambda target: a function's
/// `EventBridgeRule`/`CloudWatchEvent` event, or one target of an `AWS::Events::Rule`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRule {
    /// `Function.Event` or `Rule.TargetId`, for logs.
    pub name: String,
    /// The resolved `EventPattern`.
    pub pattern: Value,
    /// The target function's ARN (or name), as the registry looks it up.
    pub target: String,
    /// `Input`: a constant JSON payload instead of the event.
    pub input: Option<Value>,
    /// `InputPath`: the part of the event (`$.detail`) sent instead of all of it.
    pub input_path: Option<String>,
}

/// The application as the template describes it, every intrinsic resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub region: String,
    pub stack_name: String,
    pub functions: Vec<FunctionDef>,
    pub apis: Vec<ApiDef>,
    pub tables: Vec<TableDef>,
    pub state_machines: Vec<StateMachineDef>,
    /// Enabled rules of the default event bus that target a function.
    pub event_rules: Vec<EventRule>,
    /// Outputs that resolved (the others reference resources the runtime does not model).
    pub outputs: BTreeMap<String, String>,
}

impl Application {
    pub fn function(&self, key: &str) -> Option<&FunctionDef> {
        self.functions
            .iter()
            .find(|f| f.logical_id == key || f.name == key || f.arn == key)
    }
}

pub const IMPLICIT_API: &str = "ServerlessRestApi";

/// Loads and resolves `template_path`.
pub fn load(template_path: &Path, opts: &LoadOptions) -> Result<Application, TemplateError> {
    let text = std::fs::read_to_string(template_path).map_err(|source| TemplateError::Read {
        path: template_path.to_path_buf(),
        source,
    })?;
    let base = template_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    parse(&text, &base, opts).map_err(|e| match e {
        TemplateError::Yaml { message, .. } => TemplateError::Yaml {
            path: template_path.to_path_buf(),
            message,
        },
        other => other,
    })
}

/// Parses template text; `base` is the folder `DefinitionUri` is relative to.
pub fn parse(text: &str, base: &Path, opts: &LoadOptions) -> Result<Application, TemplateError> {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| TemplateError::Yaml {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
    let doc = yaml_to_json(&yaml).map_err(|message| TemplateError::Yaml {
        path: PathBuf::new(),
        message,
    })?;
    let root = doc
        .as_object()
        .ok_or_else(|| TemplateError::Shape("the template is not a mapping".into()))?;
    let resources = root
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or_else(|| TemplateError::Shape("no Resources section".into()))?;

    let mut scope = Scope {
        pseudo: pseudo_parameters(opts),
        parameters: parameters(root.get("Parameters"), &opts.parameters)?,
        mappings: match root.get("Mappings") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        },
        ..Scope::default()
    };
    evaluate_conditions(&mut scope, root.get("Conditions"))?;

    let globals = root.get("Globals").and_then(Value::as_object);
    let global = |kind: &str| {
        globals
            .and_then(|g| g.get(kind))
            .cloned()
            .unwrap_or(Value::Object(Map::new()))
    };

    // Resources whose Condition is false do not exist.
    let mut active: Vec<(&String, &Map<String, Value>)> = Vec::new();
    for (id, r) in resources {
        let Some(r) = r.as_object() else {
            return Err(TemplateError::Shape(format!(
                "resource {id} is not a mapping"
            )));
        };
        if let Some(c) = r.get("Condition").and_then(Value::as_str) {
            let on = scope
                .condition(c)
                .map_err(|source| TemplateError::Intrinsic {
                    resource: id.clone(),
                    property: "Condition".into(),
                    source,
                })?;
            if !on {
                continue;
            }
        }
        active.push((id, r));
    }

    let kind_of = |r: &Map<String, Value>| {
        r.get("Type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let props_of = |id: &str, r: &Map<String, Value>| -> Map<String, Value> {
        let mut p = r
            .get("Properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let g = match kind_of(r).as_str() {
            "AWS::Serverless::Function" => Some(global("Function")),
            "AWS::Serverless::Api" => Some(global("Api")),
            "AWS::Serverless::StateMachine" => Some(global("StateMachine")),
            "AWS::Serverless::SimpleTable" => Some(global("SimpleTable")),
            _ => None,
        };
        if let Some(Value::Object(g)) = g {
            p = merge_globals(&g, &p);
        }
        let _ = id;
        p
    };

    // Physical names can depend on parameters and on other resources' names, so they are
    // resolved in rounds until nothing changes.
    let region = &opts.region;
    let mut pending: Vec<(&String, &Map<String, Value>)> = active.clone();
    let mut last_err = None;
    for _round in 0..=active.len() {
        let mut still = Vec::new();
        for (id, r) in pending {
            match identify(&scope, id, &kind_of(r), &props_of(id, r), region) {
                Ok(ids) => {
                    scope.resources.insert(id.clone(), ids);
                }
                Err(e) => {
                    last_err = Some(e);
                    still.push((id, r));
                }
            }
        }
        if still.is_empty() {
            last_err = None;
            break;
        }
        pending = still;
    }
    if let Some(e) = last_err {
        return Err(e);
    }
    add_implicit_resources(&mut scope, &active, &kind_of, region);

    let mut app = Application {
        region: region.clone(),
        stack_name: opts.stack_name.clone(),
        functions: Vec::new(),
        apis: Vec::new(),
        tables: Vec::new(),
        state_machines: Vec::new(),
        event_rules: Vec::new(),
        outputs: BTreeMap::new(),
    };
    let mut implicit_api_needed = false;
    for (id, r) in &active {
        let props = props_of(id, r);
        let resolve = |property: &str| -> Result<Option<Value>, TemplateError> {
            match props.get(property) {
                None => Ok(None),
                Some(v) => scope.resolve(v).map_err(|source| TemplateError::Intrinsic {
                    resource: id.to_string(),
                    property: property.to_string(),
                    source,
                }),
            }
        };
        match kind_of(r).as_str() {
            "AWS::Serverless::Function" => {
                let f = function(id, r, &resolve, &scope)?;
                implicit_api_needed |= f.events.iter().any(|e| e.api == IMPLICIT_API);
                app.event_rules
                    .extend(rules::function_rules(id, &f.arn, resolve("Events")?)?);
                app.functions.push(f);
            }
            "AWS::Serverless::Api" => {
                let stage = resolve("StageName")?
                    .and_then(|v| scalar(&v))
                    .unwrap_or_else(|| "Prod".into());
                let auth = resolve("Auth")?;
                app.apis.push(ApiDef {
                    logical_id: id.to_string(),
                    id: api_id(id),
                    stage,
                    api_key_required: key_required(auth.as_ref()).unwrap_or(false),
                    gateway_responses: gateway_responses(resolve("GatewayResponses")?.as_ref()),
                });
            }
            "AWS::DynamoDB::Table" => {
                let mut p = match resolve_all(&scope, id, &props)? {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                let name = table_name(id, &p);
                p.insert("TableName".into(), Value::String(name.clone()));
                app.tables.push(TableDef {
                    logical_id: id.to_string(),
                    name,
                    properties: Value::Object(p),
                });
            }
            "AWS::Serverless::SimpleTable" => {
                let p = match resolve_all(&scope, id, &props)? {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                let name = table_name(id, &p);
                app.tables.push(TableDef {
                    logical_id: id.to_string(),
                    properties: simple_table(&name, &p),
                    name,
                });
            }
            "AWS::Serverless::StateMachine" => {
                app.state_machines
                    .push(state_machine(id, &resolve, &scope, base)?);
            }
            "AWS::Events::Rule" => {
                let p = resolve_all(&scope, id, &props)?;
                app.event_rules.extend(rules::rule_resource(id, &p)?);
            }
            other => tracing::debug!(resource = %id, kind = other, "not modelled locally"),
        }
    }
    if implicit_api_needed && !app.apis.iter().any(|a| a.logical_id == IMPLICIT_API) {
        let g = global("Api");
        let auth = g
            .get("Auth")
            .map(|a| scope.resolve(a))
            .transpose()
            .map_err(|source| TemplateError::Intrinsic {
                resource: IMPLICIT_API.into(),
                property: "Globals.Api.Auth".into(),
                source,
            })?
            .flatten();
        let responses = g
            .get("GatewayResponses")
            .map(|a| scope.resolve(a))
            .transpose()
            .map_err(|source| TemplateError::Intrinsic {
                resource: IMPLICIT_API.into(),
                property: "Globals.Api.GatewayResponses".into(),
                source,
            })?
            .flatten();
        app.apis.push(ApiDef {
            logical_id: IMPLICIT_API.into(),
            id: api_id(IMPLICIT_API),
            stage: "Prod".into(),
            api_key_required: key_required(auth.as_ref()).unwrap_or(false),
            gateway_responses: gateway_responses(responses.as_ref()),
        });
    }
    // An event's own Auth.ApiKeyRequired wins; otherwise its API's default applies.
    for f in &mut app.functions {
        for e in &mut f.events {
            if let Some(api) = app.apis.iter().find(|a| a.logical_id == e.api) {
                e.api_key_required = e.own_api_key_required.unwrap_or(api.api_key_required);
            }
        }
    }
    if let Some(Value::Object(outs)) = root.get("Outputs") {
        for (k, o) in outs {
            if let Some(Ok(Some(v))) = o.get("Value").map(|v| scope.resolve(v)) {
                if let Some(s) = scalar(&v) {
                    app.outputs.insert(k.clone(), s);
                }
            }
        }
    }
    Ok(app)
}

fn resolve_all(
    scope: &Scope,
    id: &str,
    props: &Map<String, Value>,
) -> Result<Value, TemplateError> {
    let mut out = Map::new();
    for (k, v) in props {
        let r = scope
            .resolve(v)
            .map_err(|source| TemplateError::Intrinsic {
                resource: id.to_string(),
                property: k.clone(),
                source,
            })?;
        if let Some(r) = r {
            out.insert(k.clone(), r);
        }
    }
    Ok(Value::Object(out))
}

fn table_name(id: &str, p: &Map<String, Value>) -> String {
    p.get("TableName")
        .and_then(scalar)
        .unwrap_or_else(|| id.to_string())
}

/// `AWS::Serverless::SimpleTable` expands to a one-key, on-demand table.
fn simple_table(name: &str, p: &Map<String, Value>) -> Value {
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
    json!({
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": key_name, "AttributeType": key_type}],
        "KeySchema": [{"AttributeName": key_name, "KeyType": "HASH"}],
    })
}

pub fn api_id(logical_id: &str) -> String {
    let mut s: String = logical_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(10)
        .collect();
    while s.len() < 10 {
        s.push('0');
    }
    s
}

fn key_required(auth: Option<&Value>) -> Option<bool> {
    match auth?.get("ApiKeyRequired")? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s.eq_ignore_ascii_case("true")),
        _ => None,
    }
}

fn pseudo_parameters(opts: &LoadOptions) -> HashMap<String, Value> {
    let (partition, suffix) = if opts.region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if opts.region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    };
    let stack_id = format!(
        "arn:{partition}:cloudformation:{}:{ACCOUNT_ID}:stack/{}/00000000-0000-0000-0000-000000000000",
        opts.region, opts.stack_name
    );
    [
        ("AWS::Region", opts.region.clone()),
        ("AWS::AccountId", ACCOUNT_ID.to_string()),
        ("AWS::StackName", opts.stack_name.clone()),
        ("AWS::StackId", stack_id),
        ("AWS::Partition", partition.to_string()),
        ("AWS::URLSuffix", suffix.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v)))
    .collect()
}

fn parameters(
    decl: Option<&Value>,
    overrides: &[(String, String)],
) -> Result<HashMap<String, Value>, TemplateError> {
    let decl = decl.and_then(Value::as_object).cloned().unwrap_or_default();
    for (k, _) in overrides {
        if !decl.contains_key(k) {
            return Err(TemplateError::UnknownParameter(k.clone()));
        }
    }
    let mut out = HashMap::new();
    for (name, p) in &decl {
        let given = overrides
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone());
        let value = match given {
            Some(v) => v,
            None => match p.get("Default").and_then(|d| match d {
                Value::Array(items) => Some(
                    items
                        .iter()
                        .filter_map(scalar)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                other => scalar(other),
            }) {
                Some(v) => v,
                None => return Err(TemplateError::MissingParameter(name.clone())),
            },
        };
        check_constraints(name, p, &value)?;
        let ty = p.get("Type").and_then(Value::as_str).unwrap_or("String");
        let v = if ty == "CommaDelimitedList" || ty.starts_with("List<") {
            Value::Array(
                value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_string()))
                    .collect(),
            )
        } else {
            Value::String(value)
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

/// The constraints CloudFormation checks before deploying (AllowedValues, Min/MaxValue,
/// Min/MaxLength), so a value `sam deploy` would refuse is refused here too.
fn check_constraints(name: &str, p: &Value, value: &str) -> Result<(), TemplateError> {
    let fail = |message: String| {
        Err(TemplateError::InvalidParameter {
            name: name.to_string(),
            message,
        })
    };
    if let Some(Value::Array(allowed)) = p.get("AllowedValues") {
        let allowed: Vec<String> = allowed.iter().filter_map(scalar).collect();
        if !allowed.iter().any(|a| a == value) {
            return fail(format!("'{value}' is not one of {}", allowed.join(", ")));
        }
    }
    let bound = |k: &str| {
        p.get(k)
            .and_then(scalar)
            .and_then(|s| s.parse::<f64>().ok())
    };
    if p.get("Type").and_then(Value::as_str) == Some("Number") {
        let Ok(n) = value.parse::<f64>() else {
            return fail(format!("'{value}' is not a number"));
        };
        if let Some(min) = bound("MinValue").filter(|m| n < *m) {
            return fail(format!("{value} is below MinValue {min}"));
        }
        if let Some(max) = bound("MaxValue").filter(|m| n > *m) {
            return fail(format!("{value} is above MaxValue {max}"));
        }
    }
    let len = value.chars().count() as f64;
    if let Some(min) = bound("MinLength").filter(|m| len < *m) {
        return fail(format!("'{value}' is shorter than MinLength {min}"));
    }
    if let Some(max) = bound("MaxLength").filter(|m| len > *m) {
        return fail(format!("'{value}' is longer than MaxLength {max}"));
    }
    Ok(())
}

/// Conditions may refer to one another, so they are evaluated in rounds.
fn evaluate_conditions(scope: &mut Scope, decl: Option<&Value>) -> Result<(), TemplateError> {
    let Some(Value::Object(decl)) = decl else {
        return Ok(());
    };
    let mut pending: Vec<(&String, &Value)> = decl.iter().collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        let mut progressed = false;
        let mut last = None;
        for (name, expr) in pending {
            match scope.resolve(expr) {
                Ok(Some(Value::Bool(b))) => {
                    scope.conditions.insert(name.clone(), b);
                    progressed = true;
                }
                Ok(other) => {
                    return Err(TemplateError::Condition {
                        condition: name.clone(),
                        source: IntrinsicError::Invalid {
                            function: "Conditions".into(),
                            message: format!("does not evaluate to a boolean: {other:?}"),
                        },
                    })
                }
                Err(IntrinsicError::UnknownCondition(c)) if decl.contains_key(&c) => {
                    still.push((name, expr));
                }
                Err(source) => {
                    last = Some(TemplateError::Condition {
                        condition: name.clone(),
                        source,
                    });
                    still.push((name, expr));
                }
            }
        }
        if let Some(e) = last {
            return Err(e);
        }
        if !progressed {
            let names: Vec<&str> = still.iter().map(|(n, _)| n.as_str()).collect();
            return Err(TemplateError::Shape(format!(
                "conditions refer to each other in a cycle: {}",
                names.join(", ")
            )));
        }
        pending = still;
    }
    Ok(())
}

/// SAM's Globals rules: maps merge (the resource wins), lists concatenate, scalars are replaced.
fn merge_globals(global: &Map<String, Value>, own: &Map<String, Value>) -> Map<String, Value> {
    let mut out = global.clone();
    for (k, v) in own {
        let merged = match (out.get(k), v) {
            (Some(Value::Object(g)), Value::Object(o)) if !is_intrinsic(v) => {
                Value::Object(merge_globals(g, o))
            }
            (Some(Value::Array(g)), Value::Array(o)) => {
                Value::Array(g.iter().chain(o.iter()).cloned().collect())
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), merged);
    }
    out
}

fn is_intrinsic(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.len() == 1
            && m.keys()
                .next()
                .is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))
    })
}

/// What `Ref` / `Fn::GetAtt` answer for one resource, from its local physical name.
fn identify(
    scope: &Scope,
    id: &str,
    kind: &str,
    props: &Map<String, Value>,
    region: &str,
) -> Result<ResourceIds, TemplateError> {
    let name_of = |property: &str| -> Result<Option<String>, TemplateError> {
        match props.get(property) {
            None => Ok(None),
            Some(v) => scope
                .resolve(v)
                .map(|r| r.and_then(|r| scalar(&r)))
                .map_err(|source| TemplateError::Intrinsic {
                    resource: id.to_string(),
                    property: property.to_string(),
                    source,
                }),
        }
    };
    let s = |v: String| Value::String(v);
    Ok(match kind {
        "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
            let name = name_of("FunctionName")?.unwrap_or_else(|| id.to_string());
            let arn = format!("arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}");
            ResourceIds {
                reference: s(name),
                attributes: [("Arn".to_string(), s(arn))].into(),
                any_attribute: None,
            }
        }
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => {
            let name = name_of("TableName")?.unwrap_or_else(|| id.to_string());
            let arn = format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{name}");
            ResourceIds {
                reference: s(name),
                attributes: [
                    (
                        "StreamArn".to_string(),
                        s(format!("{arn}/stream/1970-01-01T00:00:00.000")),
                    ),
                    ("Arn".to_string(), s(arn)),
                ]
                .into(),
                any_attribute: None,
            }
        }
        "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
            let name = name_of("Name")?
                .or(name_of("StateMachineName")?)
                .unwrap_or_else(|| id.to_string());
            let arn = format!("arn:aws:states:{region}:{ACCOUNT_ID}:stateMachine:{name}");
            ResourceIds {
                reference: s(arn.clone()),
                attributes: [("Name".to_string(), s(name)), ("Arn".to_string(), s(arn))].into(),
                any_attribute: None,
            }
        }
        "AWS::Serverless::Api" => {
            let api = api_id(id);
            ResourceIds {
                reference: s(api.clone()),
                attributes: [("RootResourceId".to_string(), s(format!("{api}root")))].into(),
                any_attribute: None,
            }
        }
        other => {
            let service = other
                .split("::")
                .nth(1)
                .unwrap_or("unknown")
                .to_ascii_lowercase();
            let arn = format!("arn:aws:{service}:{region}:{ACCOUNT_ID}:{id}");
            ResourceIds {
                reference: s(id.to_string()),
                attributes: [("Arn".to_string(), s(arn.clone()))].into(),
                any_attribute: Some(arn),
            }
        }
    })
}

/// Resources SAM generates (implicit API, API keys, roles) so references to them resolve.
fn add_implicit_resources(
    scope: &mut Scope,
    active: &[(&String, &Map<String, Value>)],
    kind_of: &dyn Fn(&Map<String, Value>) -> String,
    region: &str,
) {
    let api = api_id(IMPLICIT_API);
    scope
        .resources
        .entry(IMPLICIT_API.into())
        .or_insert(ResourceIds {
            reference: Value::String(api.clone()),
            attributes: [(
                "RootResourceId".to_string(),
                Value::String(format!("{api}root")),
            )]
            .into(),
            any_attribute: None,
        });
    let mut add = |id: String, service: &str| {
        if scope.resources.contains_key(&id) {
            return;
        }
        let arn = format!("arn:aws:{service}:{region}:{ACCOUNT_ID}:{id}");
        scope.resources.insert(
            id.clone(),
            ResourceIds {
                reference: Value::String(id.clone()),
                attributes: [("Arn".to_string(), Value::String(arn.clone()))].into(),
                any_attribute: Some(arn),
            },
        );
    };
    for (id, r) in active {
        match kind_of(r).as_str() {
            "AWS::Serverless::Api" => {
                add(format!("{id}ApiKey"), "apigateway");
                add(format!("{id}UsagePlan"), "apigateway");
                add(format!("{id}UsagePlanKey"), "apigateway");
                add(format!("{id}Deployment"), "apigateway");
            }
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                add(format!("{id}Role"), "iam");
            }
            _ => {}
        }
    }
}

fn function(
    id: &str,
    r: &Map<String, Value>,
    resolve: &dyn Fn(&str) -> Result<Option<Value>, TemplateError>,
    scope: &Scope,
) -> Result<FunctionDef, TemplateError> {
    let ids = scope.resources.get(id).cloned().unwrap_or_default();
    let name = scalar(&ids.reference).unwrap_or_else(|| id.to_string());
    let arn = ids
        .attributes
        .get("Arn")
        .and_then(scalar)
        .unwrap_or_default();
    let mut environment = BTreeMap::new();
    if let Some(env) = resolve("Environment")? {
        if let Some(Value::Object(vars)) = env.get("Variables") {
            for (k, v) in vars {
                let s = scalar(v).ok_or_else(|| TemplateError::Intrinsic {
                    resource: id.to_string(),
                    property: format!("Environment.Variables.{k}"),
                    source: IntrinsicError::Invalid {
                        function: "Environment".into(),
                        message: "value must be a string".into(),
                    },
                })?;
                environment.insert(k.clone(), s);
            }
        }
    }
    let num = |v: Option<Value>, d: u64| {
        v.and_then(|v| scalar(&v))
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let binary = r
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|b| b.get("Binary"))
        .and_then(scalar);
    let mut events = Vec::new();
    if let Some(Value::Object(evs)) = resolve("Events")? {
        for (ev_name, ev) in evs {
            let ty = ev.get("Type").and_then(Value::as_str).unwrap_or("");
            if ty != "Api" {
                tracing::debug!(function = id, event = %ev_name, kind = ty, "event type not served locally");
                continue;
            }
            let p = ev.get("Properties").cloned().unwrap_or(Value::Null);
            let path = p.get("Path").and_then(scalar).ok_or_else(|| {
                TemplateError::Shape(format!("{id}.Events.{ev_name}: Api event without Path"))
            })?;
            let method = p
                .get("Method")
                .and_then(scalar)
                .unwrap_or_else(|| "any".into())
                .to_ascii_uppercase();
            let api = match p.get("RestApiId") {
                None => IMPLICIT_API.to_string(),
                Some(v) => api_logical_id(scope, v).ok_or_else(|| {
                    TemplateError::Shape(format!(
                        "{id}.Events.{ev_name}: RestApiId does not name an AWS::Serverless::Api"
                    ))
                })?,
            };
            events.push(ApiEvent {
                name: ev_name.clone(),
                path,
                method,
                api,
                api_key_required: key_required(p.get("Auth")).unwrap_or(false),
                own_api_key_required: key_required(p.get("Auth")),
            });
        }
    }
    Ok(FunctionDef {
        logical_id: id.to_string(),
        name,
        arn,
        binary,
        environment,
        timeout_seconds: num(resolve("Timeout")?, 3),
        memory_mb: num(resolve("MemorySize")?, 128),
        events,
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

fn state_machine(
    id: &str,
    resolve: &dyn Fn(&str) -> Result<Option<Value>, TemplateError>,
    scope: &Scope,
    base: &Path,
) -> Result<StateMachineDef, TemplateError> {
    let ids = scope.resources.get(id).cloned().unwrap_or_default();
    let arn = scalar(&ids.reference).unwrap_or_default();
    let name = ids
        .attributes
        .get("Name")
        .and_then(scalar)
        .unwrap_or_else(|| id.to_string());
    let raw = if let Some(uri) = resolve("DefinitionUri")? {
        let rel = scalar(&uri).ok_or_else(|| {
            TemplateError::Shape(format!(
                "state machine {id}: DefinitionUri must be a local path (S3 locations are not read locally)"
            ))
        })?;
        let path = base.join(&rel);
        std::fs::read_to_string(&path).map_err(|source| TemplateError::Definition {
            resource: id.to_string(),
            path,
            source,
        })?
    } else if let Some(def) = resolve("Definition")? {
        def.to_string()
    } else {
        return Err(TemplateError::Shape(format!(
            "state machine {id} has neither DefinitionUri nor Definition"
        )));
    };
    let mut subs = Vec::new();
    if let Some(Value::Object(m)) = resolve("DefinitionSubstitutions")? {
        for (k, v) in m {
            let s = scalar(&v).ok_or_else(|| TemplateError::Intrinsic {
                resource: id.to_string(),
                property: format!("DefinitionSubstitutions.{k}"),
                source: IntrinsicError::Invalid {
                    function: "DefinitionSubstitutions".into(),
                    message: "value must be a string, number or boolean".into(),
                },
            })?;
            subs.push((k, s));
        }
    }
    let kind = resolve("Type")?
        .and_then(|v| scalar(&v))
        .unwrap_or_else(|| "STANDARD".into());
    Ok(StateMachineDef {
        logical_id: id.to_string(),
        name,
        arn,
        definition: substitute(&raw, &subs),
        kind,
    })
}

/// Replaces `${Key}` for the keys given, leaving any other `${...}` as written (as SAM does).
pub fn substitute(text: &str, subs: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let key = &after[..end];
                match subs.iter().find(|(k, _)| k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push_str("${");
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
