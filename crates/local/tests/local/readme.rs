//! The README, run as a newcomer runs it: the shell blocks of "Quick start (local)", "Using it",
//! "Completing a callback with the aws CLI", "Starting executions from the console" and "Your
//! own state machines" (with the file it says to save), in order, in one shell, against the `local` binary started as the first block starts it. A
//! README change that breaks an example fails here.
//!
//! The blocks are read from README.md, never copied. Two things are the harness's: the first
//! command (`... cargo run --profile local -p local`) is the binary this test built, started
//! with the same environment assignments on free ports and a temporary state folder, and the
//! README's ports (:3000, :4566) are rewritten to those. Every `curl` fails on an HTTP error
//! (`--fail-with-body`) and the shell stops at the first failing command.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{aws_cli, eventually, free_port, workspace};

/// The `##` sections whose shell blocks run, in README order.
const SECTIONS: [&str; 5] = [
    "Quick start (local)",
    "Using it",
    "Completing a callback with the aws CLI",
    "Starting executions from the console",
    "Your own state machines",
];

/// What the first block must start: the local runtime.
const START_COMMAND: &str = "cargo run --profile local -p local";

/// A block to run: its first line number (1-based) and its shell text.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    line: usize,
    text: String,
}

/// The file a block is to be saved as: the README says "Save this as `name`:" just before it.
fn saved_as(previous: &str) -> Option<&str> {
    let rest = previous.split("Save this as `").nth(1)?;
    rest.split('`').next().filter(|name| !name.contains('/'))
}

/// The blocks of each of `sections`, in file order (`###` subsections belong to their `##`):
/// every ```bash block, and every other block the text says to save as a file (it becomes the
/// shell step that saves it, as the reader does).
fn bash_blocks(readme: &str, sections: &[&str]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut section = "";
    let mut previous = "";
    // The block being read, and the file it is saved as (`None`: a shell block).
    let mut open: Option<(Block, Option<String>)> = None;
    for (i, line) in readme.lines().enumerate() {
        if let Some((b, _)) = open.as_mut() {
            if line.trim_start().starts_with("```") {
                if let Some((mut b, file)) = open.take() {
                    if let Some(name) = file {
                        b.text = format!("cat > '{name}' <<'README_EOF'\n{}README_EOF\n", b.text);
                    }
                    blocks.push(b);
                }
            } else {
                b.text.push_str(line);
                b.text.push('\n');
            }
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            section = title.trim();
        } else if let Some(lang) = line.trim().strip_prefix("```") {
            let file = saved_as(previous).map(str::to_owned);
            if sections.contains(&section) && (lang == "bash" || file.is_some()) {
                let b = Block {
                    line: i + 2,
                    text: String::new(),
                };
                open = Some((b, file));
            }
        }
        if !line.trim().is_empty() {
            previous = line;
        }
    }
    blocks
}

/// The first ```json block after the `### Errors` heading: the README's example error body.
fn error_example(readme: &str) -> Option<serde_json::Value> {
    let after = readme.split("\n### Errors\n").nth(1)?;
    let block = after.split("```json\n").nth(1)?.split("```").next()?;
    serde_json::from_str(block).ok()
}

/// The environment assignments in front of the start command (`A=1 B=2 cargo run ...`).
fn start_environment(block: &str) -> Option<Vec<(String, String)>> {
    let line = block.lines().find(|l| l.contains(START_COMMAND))?;
    let before = line.split(START_COMMAND).next()?;
    before
        .split_whitespace()
        .map(|word| {
            let (k, v) = word.split_once('=')?;
            Some((k.to_owned(), v.trim_matches(['\'', '"']).to_owned()))
        })
        .collect()
}

/// The README's local addresses, as this run serves them.
fn with_ports(text: &str, api_port: u16, aws_port: u16) -> String {
    text.replace("127.0.0.1:3000", &format!("127.0.0.1:{api_port}"))
        .replace("127.0.0.1:4566", &format!("127.0.0.1:{aws_port}"))
}

/// One script of every block after the first, each announced on stderr with its README line.
fn script(blocks: &[Block], api_port: u16, aws_port: u16) -> String {
    let mut s =
        String::from("set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n");
    for b in blocks {
        s.push_str(&format!("echo '### README.md line {}' >&2\n", b.line));
        s.push_str(&with_ports(&b.text, api_port, aws_port));
        s.push_str("echo >&2\n");
    }
    s
}

async fn start_runtime(
    env: &[(String, String)],
    dir: &Path,
    api_port: u16,
    aws_port: u16,
) -> tokio::process::Child {
    let log = std::fs::File::create(dir.join("local.log")).expect("a log file");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_local"))
        .current_dir(workspace())
        .args(["--state-dir", &dir.join("state").display().to_string()])
        .args(["--api-port", &api_port.to_string()])
        .args(["--aws-port", &aws_port.to_string()])
        .env_remove("LOCAL_API_KEY")
        .env_remove("AWS_REGION")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the local binary starts");
    eventually("the runtime to listen on both ports", || async {
        let api = tokio::net::TcpStream::connect(("127.0.0.1", api_port)).await;
        let aws = tokio::net::TcpStream::connect(("127.0.0.1", aws_port)).await;
        (api.is_ok() && aws.is_ok()).then_some(())
    })
    .await;
    child
}

#[test]
fn blocks_are_read_per_section_in_order() {
    let readme = "## A\n```bash\na1\n```\n### A.1\n```bash\na2\n```\n```json\n{}\n```\n\
                  ## B\n```bash\nb\n```\n";
    let blocks = bash_blocks(readme, &["A"]);
    let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, ["a1\n", "a2\n"]);
    let saved = bash_blocks("## A\nSave this as `m.json`:\n\n```json\n{}\n```\n", &["A"]);
    assert_eq!(
        saved[0].text,
        "cat > 'm.json' <<'README_EOF'\n{}\nREADME_EOF\n"
    );
    assert_eq!(blocks[0].line, 3);
    let errors = "### Errors\n\ntext\n\n```json\n{\"error\": \"E\"}\n```\n";
    assert_eq!(
        error_example(&format!("x\n{errors}")),
        Some(serde_json::json!({"error": "E"}))
    );
    assert_eq!(
        start_environment("X=1 cargo run --profile local -p local   # note"),
        Some(vec![("X".into(), "1".into())])
    );
    assert_eq!(
        start_environment("cargo run --profile local -p local"),
        Some(vec![])
    );
    assert_eq!(
        start_environment("sudo cargo run --profile local -p local"),
        None
    );
    assert_eq!(
        with_ports("http://127.0.0.1:3000 http://127.0.0.1:4566/x", 1, 2),
        "http://127.0.0.1:1 http://127.0.0.1:2/x"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the aws CLI; scripts/test.sh runs it (--include-ignored)"]
async fn readme_examples_run_as_written() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README.md");
    let blocks = bash_blocks(&readme, &SECTIONS);
    let (first, rest) = blocks.split_first().expect("README has shell blocks");
    let env = start_environment(&first.text).unwrap_or_else(|| {
        panic!(
            "the first block of Quick start must start the runtime (`{START_COMMAND}`): {}",
            first.text
        )
    });
    assert!(
        env.iter().any(|(k, _)| k == "LOCAL_API_KEY"),
        "the first command sets the key the exports use: {}",
        first.text
    );
    assert!(rest.len() >= 8, "{} blocks after the first", rest.len());

    let dir = tempfile::tempdir().expect("a temp dir");
    let (api_port, aws_port) = (free_port(), free_port());
    let _rt = start_runtime(&env, dir.path(), api_port, aws_port).await;

    let aws_dir: PathBuf = aws_cli()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = format!(
        "{}:{}",
        aws_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("a home");
    let run = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(script(rest, api_port, aws_port))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the README runs within 5 minutes")
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let log = std::fs::read_to_string(dir.path().join("local.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "a README example failed ({}).\n--- stdout\n{stdout}\n--- stderr (the last block announced failed)\n{stderr}\n--- runtime log (tail)\n{}",
        out.status,
        log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    // Every block ran, and the examples did what they promise.
    assert_eq!(
        stderr.matches("### README.md line").count(),
        rest.len(),
        "{stderr}"
    );
    // The error example is the real answer to a start in the past.
    let example = error_example(&readme).expect("an error example under ### Errors");
    let key = env
        .iter()
        .find(|(k, _)| k == "LOCAL_API_KEY")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{api_port}/start"))
        .header("x-api-key", key)
        .json(&serde_json::json!({"taskName": "t", "startAt": "2017-11-16T14:33:21Z"}))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("a JSON error");
    assert_eq!(answer, example, "the README's error example");
    for promised in [
        "\"jobId\":\"approve-o-1234\"",
        "\"ProcessStatus\":\"WAITING_FOR_CALLBACK\"",
        "sfn-patterns-Callback",
        "{\"total\":105.5,\"size\":\"large\"}",
    ] {
        assert!(stdout.contains(promised), "no {promised} in:\n{stdout}");
    }
}
