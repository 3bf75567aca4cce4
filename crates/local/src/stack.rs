//! The stack as CloudFormation and API Gateway describe it, so the README's commands that read
//! a deployed stack work against the local endpoint unchanged:
//! `aws cloudformation describe-stacks` answers the template's Outputs as the runtime resolves
//! them (the API's URL is the local one), and `aws apigateway get-api-key --include-value`
//! answers the local API key for the key id the `ApiKeyId` output names.
//!
//! Both are read-only views of what the runtime already knows; each request is parsed, answered
//! and encoded in the protocol its service speaks (CloudFormation: AWS query, form-encoded in
//! and XML out; API Gateway: REST JSON).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use crate::template::{self, Application};

const CFN_XMLNS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/// What `describe-stacks` and `get-api-key` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub name: String,
    pub arn: String,
    /// When the runtime started (its clock): the stack "exists" since then.
    pub created: String,
    /// `(OutputKey, OutputValue)`, in the template's key order.
    pub outputs: Vec<(String, String)>,
    /// Ids of the API keys SAM generates (one per API); each answers `api_key`.
    pub api_key_ids: Vec<String>,
    pub api_key: String,
}

impl Stack {
    /// The stack of `app` served at `api_url`: an output naming an API's execute-api URL names
    /// the local API instead (`https://<id>.execute-api.<region>.amazonaws.com/v1` becomes
    /// `http://127.0.0.1:3000/v1`, which the local API serves too).
    pub fn new(
        app: &Application,
        api_url: &str,
        api_key: String,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Stack {
        let hosts: Vec<String> = app
            .apis
            .iter()
            .map(|a| format!("https://{}.execute-api.{}.amazonaws.com", a.id, app.region))
            .collect();
        let outputs = app
            .outputs
            .iter()
            .map(|(k, v)| {
                let local = hosts
                    .iter()
                    .fold(v.clone(), |v, host| v.replace(host.as_str(), api_url));
                (k.clone(), local)
            })
            .collect();
        Stack {
            name: app.stack_name.clone(),
            arn: format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/{}",
                app.region,
                template::ACCOUNT_ID,
                app.stack_name,
                common::hash::short_hash(&app.stack_name, 16)
            ),
            created: created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            outputs,
            api_key_ids: app
                .apis
                .iter()
                .map(|a| template::api_key_logical_id(&a.logical_id))
                .collect(),
            api_key,
        }
    }

    /// `POST /` (CloudFormation's query protocol) and `GET /apikeys/{id}` (API Gateway).
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
            .route("/", post(cloudformation))
            .route("/apikeys/{id}", get(api_key))
            .with_state(self)
    }

    fn named(&self, name: &str) -> bool {
        name == self.name || name == self.arn
    }
}

/// Whether a request without `X-Amz-Target` is one of this module's: a form-encoded POST
/// (the AWS query protocol) or an API Gateway API key read.
pub fn handles(method: &axum::http::Method, path: &str, content_type: Option<&str>) -> bool {
    let form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    (method == axum::http::Method::POST && path == "/" && form)
        || (method == axum::http::Method::GET && path.starts_with("/apikeys/"))
}

// ---- CloudFormation: DescribeStacks --------------------------------------------------------

/// A CloudFormation request, parsed from its form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CfnRequest {
    DescribeStacks { stack_name: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CfnError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn parse_cfn(body: &[u8]) -> Result<CfnRequest, CfnError> {
    let mut action = None;
    let mut stack_name = None;
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "Action" => action = Some(v.into_owned()),
            "StackName" => stack_name = Some(v.into_owned()).filter(|s| !s.is_empty()),
            _ => {}
        }
    }
    match action.as_deref() {
        Some("DescribeStacks") => Ok(CfnRequest::DescribeStacks { stack_name }),
        Some(other) => Err(CfnError {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidAction",
            message: format!(
                "The action {other} is not valid for this endpoint: the local runtime answers CloudFormation DescribeStacks only"
            ),
        }),
        None => Err(CfnError {
            status: StatusCode::BAD_REQUEST,
            code: "MissingAction",
            message: "The request must contain the parameter Action".into(),
        }),
    }
}

fn apply_cfn(stack: &Stack, request: &CfnRequest) -> Result<String, CfnError> {
    let CfnRequest::DescribeStacks { stack_name } = request;
    if let Some(name) = stack_name {
        if !stack.named(name) {
            return Err(CfnError {
                status: StatusCode::BAD_REQUEST,
                code: "ValidationError",
                message: format!("Stack with id {name} does not exist"),
            });
        }
    }
    Ok(describe_stacks_xml(stack))
}

/// Escapes text for an XML element.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn describe_stacks_xml(stack: &Stack) -> String {
    let outputs: String = stack
        .outputs
        .iter()
        .map(|(k, v)| {
            format!(
                "<member><OutputKey>{}</OutputKey><OutputValue>{}</OutputValue></member>",
                xml_text(k),
                xml_text(v)
            )
        })
        .collect();
    format!(
        "<DescribeStacksResponse xmlns=\"{CFN_XMLNS}\"><DescribeStacksResult><Stacks><member>\
         <StackName>{name}</StackName><StackId>{arn}</StackId>\
         <CreationTime>{created}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>\
         <Outputs>{outputs}</Outputs></member></Stacks></DescribeStacksResult>\
         <ResponseMetadata><RequestId>{request}</RequestId></ResponseMetadata>\
         </DescribeStacksResponse>",
        name = xml_text(&stack.name),
        arn = xml_text(&stack.arn),
        created = stack.created,
        request = uuid::Uuid::new_v4(),
    )
}

fn error_xml(e: &CfnError) -> String {
    format!(
        "<ErrorResponse xmlns=\"{CFN_XMLNS}\"><Error><Type>Sender</Type><Code>{}</Code>\
         <Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        e.code,
        xml_text(&e.message),
        uuid::Uuid::new_v4()
    )
}

fn xml_reply(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/xml")
        .body(Body::from(body))
        .unwrap_or_default()
}

async fn cloudformation(State(stack): State<Arc<Stack>>, body: axum::body::Bytes) -> Response {
    match parse_cfn(&body).and_then(|r| apply_cfn(&stack, &r)) {
        Ok(xml) => xml_reply(StatusCode::OK, xml),
        Err(e) => xml_reply(e.status, error_xml(&e)),
    }
}

// ---- API Gateway: GetApiKey ----------------------------------------------------------------

fn json_reply(status: StatusCode, body: &serde_json::Value, error: Option<&str>) -> Response {
    let mut r = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(e) = error {
        r = r.header("x-amzn-ErrorType", e);
    }
    r.body(Body::from(body.to_string())).unwrap_or_default()
}

/// `GET /apikeys/{id}?includeValue=true`: the key's value only when asked for, as API Gateway.
async fn api_key(
    State(stack): State<Arc<Stack>>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    if !stack.api_key_ids.contains(&id) {
        return json_reply(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"message": "Invalid API Key identifier specified"}),
            Some("NotFoundException"),
        );
    }
    let include_value = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .any(|(k, v)| k == "includeValue" && v == "true");
    let mut body = serde_json::json!({
        "id": id,
        "name": id,
        "enabled": true,
        "stageKeys": [],
    });
    if include_value {
        body["value"] = serde_json::json!(stack.api_key);
    }
    json_reply(StatusCode::OK, &body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack() -> Stack {
        Stack {
            name: "sfn-patterns".into(),
            arn: "arn:aws:cloudformation:us-east-1:123456789012:stack/sfn-patterns/x".into(),
            created: "2026-01-01T00:00:00.000Z".into(),
            outputs: vec![
                ("ApiUrl".into(), "http://127.0.0.1:3000/v1".into()),
                ("Odd".into(), "a<b&c".into()),
            ],
            api_key_ids: vec!["ApiApiKey".into()],
            api_key: "k".into(),
        }
    }

    #[test]
    fn describe_stacks_is_parsed_from_the_form() {
        let r = parse_cfn(b"Action=DescribeStacks&Version=2010-05-15&StackName=sfn-patterns");
        assert_eq!(
            r,
            Ok(CfnRequest::DescribeStacks {
                stack_name: Some("sfn-patterns".into())
            })
        );
        assert_eq!(
            parse_cfn(b"Action=DescribeStacks"),
            Ok(CfnRequest::DescribeStacks { stack_name: None })
        );
        assert_eq!(parse_cfn(b"Version=1").unwrap_err().code, "MissingAction");
        let e = parse_cfn(b"Action=DeleteStack&StackName=x").unwrap_err();
        assert_eq!(
            (e.status, e.code),
            (StatusCode::BAD_REQUEST, "InvalidAction")
        );
    }

    #[test]
    fn outputs_are_answered_escaped_and_other_stacks_refused() {
        let s = stack();
        let request = CfnRequest::DescribeStacks {
            stack_name: Some("sfn-patterns".into()),
        };
        let xml = apply_cfn(&s, &request).unwrap();
        assert!(xml.contains(
            "<OutputKey>ApiUrl</OutputKey><OutputValue>http://127.0.0.1:3000/v1</OutputValue>"
        ));
        assert!(
            xml.contains("<OutputValue>a&lt;b&amp;c</OutputValue>"),
            "{xml}"
        );
        assert!(xml.contains(&format!("<StackId>{}</StackId>", s.arn)));
        let by_arn = CfnRequest::DescribeStacks {
            stack_name: Some(s.arn.clone()),
        };
        assert!(apply_cfn(&s, &by_arn).is_ok());
        let other = CfnRequest::DescribeStacks {
            stack_name: Some("other".into()),
        };
        let e = apply_cfn(&s, &other).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(error_xml(&e).contains("<Message>Stack with id other does not exist</Message>"));
    }

    #[test]
    fn only_form_posts_and_key_reads_are_taken() {
        use axum::http::Method;
        let form = Some("application/x-www-form-urlencoded; charset=utf-8");
        assert!(handles(&Method::POST, "/", form));
        assert!(!handles(
            &Method::POST,
            "/",
            Some("application/x-amz-json-1.0")
        ));
        assert!(!handles(&Method::POST, "/", None));
        assert!(handles(&Method::GET, "/apikeys/ApiApiKey", None));
        assert!(!handles(&Method::GET, "/", None));
    }
}
