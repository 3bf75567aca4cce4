//! The console's HTTP surface without a browser: who may call it, and answering a waiting
//! task without the token ever reaching the caller. (The page itself: tests/browser.)

use crate::common::{eventually, start, str_of, App};
use serde_json::{json, Value};

async fn console_post(app: &App, path: &str, body: Value, origin: Option<&str>) -> (u16, Value) {
    let mut req = app
        .http
        .post(format!("{}{path}", app.rt.aws_url()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let r = req.send().await.expect("request");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn console_get(app: &App, path: &str) -> (u16, Value) {
    let r = app
        .http
        .get(format!("{}{path}", app.rt.aws_url()))
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_redirect_and_request_checks() {
    let app = start(&[]).await;
    let base = app.rt.aws_url();
    let page = app
        .http
        .get(format!("{base}/console/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page.text().await.unwrap().contains("/console/app.js"));

    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = no_redirect
        .get(format!("{base}/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), 302);
    assert_eq!(root.headers()["location"], "/console/");
    // An AWS client (no text/html) still gets the endpoint's own answer.
    let aws = no_redirect.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(aws.status(), 400);

    let machine = app.rt.app.state_machines[0].arn.clone();
    let start = json!({"machine": machine, "input": "{}"});
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        let (s, v) = console_post(&app, "/console/api/start", start.clone(), Some(origin)).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (403, Some("CrossOriginRequest")),
            "{origin}: {v}"
        );
    }
    let form = app
        .http
        .post(format!("{base}/console/api/start"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("machine=x")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let rebind = app
        .http
        .get(format!("{base}/console/api/overview"))
        .header("host", "rebind.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebind.status(), 403);
    let (s, v) = console_post(
        &app,
        "/console/api/start",
        json!({"machine": machine, "input": "{not json"}),
        Some(&base),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("InvalidField")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("input"), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_task_is_answered_without_its_token() {
    let app = start(&[]).await;
    let (s, v) = app
        .post(
            "/callbacks",
            json!({"mode": "external", "name": "console-cb"}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let arn = str_of(&v, "executionArn").to_string();
    let path = format!("/console/api/execution?arn={arn}");
    let view = eventually("a waiting task", || async {
        let (_, v) = console_get(&app, &path).await;
        (v["waiting"].as_array().is_some_and(|w| !w.is_empty())).then_some(v)
    })
    .await;
    // The task waits from its TaskScheduled event; send-wait stores the token just after.
    app.wait_job("console-cb", "WAITING_FOR_CALLBACK").await;
    let token = app.token("console-cb").await;
    assert!(
        !view.to_string().contains(&token),
        "the token never leaves the runtime"
    );
    assert_eq!(view["waiting"][0]["state"], "WaitForCallback");
    assert_eq!(view["states"]["WaitForCallback"], "waiting");
    assert!(view["waiting"][0]["token"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    let base = app.rt.aws_url();
    let (s, v) = console_post(
        &app,
        "/console/api/task",
        json!({"arn": arn, "action": "success", "output": "{\"ok\": 1}"}),
        Some(&base),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    app.wait_execution(&arn, "SUCCEEDED").await;
    let (s, v) = console_post(
        &app,
        "/console/api/task",
        json!({"arn": arn, "action": "heartbeat"}),
        Some(&base),
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (409, Some("NotWaiting")), "{v}");
    let (_, done) = console_get(&app, &path).await;
    assert_eq!(done["states"]["WaitForCallback"], "succeeded");
    assert_eq!(done["states"]["RecordCompleted"], "succeeded");
}
