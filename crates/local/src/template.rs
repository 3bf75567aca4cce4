//! Reads the SAM template `sam deploy` uses and turns it into what the local runtime serves:
//! functions (with resolved environment), API routes, tables and state machine definitions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::intrinsics::{scalar, yaml_to_json, IntrinsicError, Scope};

mod identify;
mod parameters;
mod resources;
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

#[cfg(test)]
impl FunctionDef {
    /// A function for unit tests: `id` as logical id and name, its ARN in us-east-1, the
    /// template's default limits (3 s, 128 MB), no binary, environment or events.
    pub(crate) fn for_test(id: &str) -> FunctionDef {
        FunctionDef {
            logical_id: id.into(),
            name: id.into(),
            arn: format!("arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{id}"),
            binary: None,
            environment: BTreeMap::new(),
            timeout_seconds: 3,
            memory_mb: 128,
            events: vec![],
        }
    }
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

/// An `AWS::StepFunctions::Activity`: created in the local Step Functions service.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityDef {
    pub logical_id: String,
    pub name: String,
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
    pub activities: Vec<ActivityDef>,
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
///
/// The steps: read the document, evaluate parameters and conditions, keep the resources whose
/// condition holds, give each its physical ids (what `Ref`/`Fn::GetAtt` answer), turn each
/// into what the runtime serves, then settle the API routes and the outputs.
pub fn parse(text: &str, base: &Path, opts: &LoadOptions) -> Result<Application, TemplateError> {
    let doc = read_document(text)?;
    let root = doc
        .as_object()
        .ok_or_else(|| TemplateError::Shape("the template is not a mapping".into()))?;
    let declared = root
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or_else(|| TemplateError::Shape("no Resources section".into()))?;
    let mut scope = parameters::scope(root, opts)?;
    let globals = Globals(root.get("Globals").and_then(Value::as_object));
    let active = active_resources(declared, &scope, &globals)?;
    identify::all(&mut scope, &active, &opts.region)?;
    identify::add_generated(&mut scope, &active, &opts.region);

    let mut app = Application {
        region: opts.region.clone(),
        stack_name: opts.stack_name.clone(),
        functions: Vec::new(),
        apis: Vec::new(),
        tables: Vec::new(),
        state_machines: Vec::new(),
        activities: Vec::new(),
        event_rules: Vec::new(),
        outputs: BTreeMap::new(),
    };
    for r in &active {
        resources::collect(&mut app, r, &scope, base)?;
    }
    let uses_implicit_api = app
        .functions
        .iter()
        .flat_map(|f| &f.events)
        .any(|e| e.api == IMPLICIT_API);
    if uses_implicit_api && !app.apis.iter().any(|a| a.logical_id == IMPLICIT_API) {
        app.apis
            .push(resources::implicit_api(globals.section("Api"), &scope)?);
    }
    settle_api_keys(&mut app);
    app.outputs = outputs(root.get("Outputs"), &scope);
    Ok(app)
}

/// The template text as JSON, YAML tags (`!Ref`, `!Sub`...) turned into their long forms.
fn read_document(text: &str) -> Result<Value, TemplateError> {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| TemplateError::Yaml {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
    yaml_to_json(&yaml).map_err(|message| TemplateError::Yaml {
        path: PathBuf::new(),
        message,
    })
}

/// The template's `Globals` section.
struct Globals<'t>(Option<&'t Map<String, Value>>);

impl<'t> Globals<'t> {
    fn section(&self, name: &str) -> Option<&'t Map<String, Value>> {
        self.0?.get(name)?.as_object()
    }

    /// The section that applies to a resource type (SAM's serverless types only).
    fn for_kind(&self, kind: &str) -> Option<&'t Map<String, Value>> {
        match kind {
            "AWS::Serverless::Function" => self.section("Function"),
            "AWS::Serverless::Api" => self.section("Api"),
            "AWS::Serverless::StateMachine" => self.section("StateMachine"),
            "AWS::Serverless::SimpleTable" => self.section("SimpleTable"),
            _ => None,
        }
    }
}

/// One resource whose `Condition` holds, its `Globals` merged into its `Properties`.
struct Resource<'t> {
    id: &'t str,
    /// `Type`, empty when the resource has none.
    kind: &'t str,
    declared: &'t Map<String, Value>,
    props: Map<String, Value>,
}

impl Resource<'_> {
    /// One property with every intrinsic resolved (`None`: absent, or `AWS::NoValue`).
    fn resolve(&self, scope: &Scope, property: &str) -> Result<Option<Value>, TemplateError> {
        match self.props.get(property) {
            None => Ok(None),
            Some(v) => scope
                .resolve(v)
                .map_err(|source| intrinsic_error(self.id, property, source)),
        }
    }

    /// Every property resolved; those that resolve to `AWS::NoValue` are left out.
    fn resolve_all(&self, scope: &Scope) -> Result<Map<String, Value>, TemplateError> {
        let mut out = Map::new();
        for k in self.props.keys() {
            if let Some(v) = self.resolve(scope, k)? {
                out.insert(k.clone(), v);
            }
        }
        Ok(out)
    }
}

fn intrinsic_error(resource: &str, property: &str, source: IntrinsicError) -> TemplateError {
    TemplateError::Intrinsic {
        resource: resource.to_string(),
        property: property.to_string(),
        source,
    }
}

/// The resources that exist: those without a `Condition` or whose condition is true.
fn active_resources<'t>(
    declared: &'t Map<String, Value>,
    scope: &Scope,
    globals: &Globals<'t>,
) -> Result<Vec<Resource<'t>>, TemplateError> {
    let mut active = Vec::new();
    for (id, r) in declared {
        let Some(r) = r.as_object() else {
            return Err(TemplateError::Shape(format!(
                "resource {id} is not a mapping"
            )));
        };
        if let Some(c) = r.get("Condition").and_then(Value::as_str) {
            let on = scope
                .condition(c)
                .map_err(|source| intrinsic_error(id, "Condition", source))?;
            if !on {
                continue;
            }
        }
        let kind = r.get("Type").and_then(Value::as_str).unwrap_or("");
        let own = r
            .get("Properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let props = match globals.for_kind(kind) {
            Some(g) => merge_globals(g, &own),
            None => own,
        };
        active.push(Resource {
            id,
            kind,
            declared: r,
            props,
        });
    }
    Ok(active)
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

/// SAM's rule for `Auth.ApiKeyRequired`: an event's own setting wins in either direction
/// (`false` opens one route of a keyed API, `true` keys one route of an open API); an event
/// that says nothing follows its API (its `Auth`, with `Globals.Api` merged in).
fn settle_api_keys(app: &mut Application) {
    for f in &mut app.functions {
        for e in &mut f.events {
            if let Some(api) = app.apis.iter().find(|a| a.logical_id == e.api) {
                e.api_key_required = e.own_api_key_required.unwrap_or(api.api_key_required);
            }
        }
    }
}

/// The outputs whose value resolves to a scalar (the others reference resources the
/// runtime does not model).
fn outputs(declared: Option<&Value>, scope: &Scope) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(Value::Object(declared)) = declared else {
        return out;
    };
    for (k, o) in declared {
        if let Some(Ok(Some(v))) = o.get("Value").map(|v| scope.resolve(v)) {
            if let Some(s) = scalar(&v) {
                out.insert(k.clone(), s);
            }
        }
    }
    out
}

/// The logical id of the API key SAM generates for an API with `Auth.ApiKeyRequired`
/// (`Ref` answers it locally: the `ApiKeyId` output).
pub fn api_key_logical_id(api_logical_id: &str) -> String {
    format!("{api_logical_id}ApiKey")
}

/// The id API Gateway would give an API, made up from its logical id (10 characters).
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

/// `ApiKeyRequired` of an `Auth` mapping, if it says (a boolean or its string form).
fn key_required(auth: Option<&Value>) -> Option<bool> {
    match auth?.get("ApiKeyRequired")? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s.eq_ignore_ascii_case("true")),
        _ => None,
    }
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
