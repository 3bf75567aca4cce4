//! Durability: an append-only log of mutations, one JSON line each, written with a plain
//! `write` before the response is sent. Once `write` returns the bytes are in the kernel, so a
//! SIGKILL of the process loses nothing that was acknowledged. At start-up the log is replayed
//! (a torn last line is skipped) and rewritten as a snapshot so it does not grow forever.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::error::DynamoError;

const LOG_FILE: &str = "dynamodb.log.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("state directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub struct Log {
    file: Mutex<File>,
    path: PathBuf,
}

/// One logged mutation.
pub enum Record {
    CreateTable(Value),
    /// New indexes or TTL for an existing table (a template update); items are kept.
    Redefine(Value),
    /// UpdateTimeToLive: the attribute when enabled, `None` when disabled.
    Ttl {
        table: String,
        attribute: Option<String>,
    },
    DeleteTable(String),
    Put {
        table: String,
        item: Value,
    },
    Delete {
        table: String,
        key: Value,
    },
}

impl Record {
    pub fn to_json(&self) -> Value {
        match self {
            Record::CreateTable(def) => json!({"op": "create_table", "def": def}),
            Record::Redefine(def) => json!({"op": "redefine_table", "def": def}),
            Record::Ttl { table, attribute } => {
                json!({"op": "ttl", "table": table, "attribute": attribute})
            }
            Record::DeleteTable(t) => json!({"op": "delete_table", "table": t}),
            Record::Put { table, item } => json!({"op": "put", "table": table, "item": item}),
            Record::Delete { table, key } => json!({"op": "delete", "table": table, "key": key}),
        }
    }

    pub fn from_json(v: &Value) -> Option<Record> {
        let table = || v.get("table").and_then(Value::as_str).map(str::to_string);
        match v.get("op")?.as_str()? {
            "create_table" => Some(Record::CreateTable(v.get("def")?.clone())),
            "redefine_table" => Some(Record::Redefine(v.get("def")?.clone())),
            "ttl" => Some(Record::Ttl {
                table: table()?,
                attribute: match v.get("attribute")? {
                    Value::Null => None,
                    a => Some(a.as_str()?.to_string()),
                },
            }),
            "delete_table" => Some(Record::DeleteTable(table()?)),
            "put" => Some(Record::Put {
                table: table()?,
                item: v.get("item")?.clone(),
            }),
            "delete" => Some(Record::Delete {
                table: table()?,
                key: v.get("key")?.clone(),
            }),
            _ => None,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
    move |source| PersistError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads every complete record of the log. Unparseable lines (a torn last write) are skipped.
pub fn read_records(dir: &Path) -> Result<Vec<Record>, PersistError> {
    let path = dir.join(LOG_FILE);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io_err(&path))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(&line)
            .ok()
            .as_ref()
            .and_then(Record::from_json)
        {
            Some(r) => out.push(r),
            None => {
                tracing::warn!(line = n + 1, file = %path.display(), "skipping unreadable log line")
            }
        }
    }
    Ok(out)
}

use local_state::{private_dir, private_file};

impl Log {
    /// Replaces the log with `snapshot` (atomically, via rename) and opens it for appending.
    pub fn rewrite(dir: &Path, snapshot: &[Record]) -> Result<Log, PersistError> {
        private_dir(dir).map_err(io_err(dir))?;
        let path = dir.join(LOG_FILE);
        let tmp = dir.join(format!("{LOG_FILE}.tmp"));
        {
            let mut f = private_file(
                &tmp,
                OpenOptions::new().write(true).create(true).truncate(true),
            )
            .map_err(io_err(&tmp))?;
            let mut buf = Vec::new();
            for r in snapshot {
                buf.extend_from_slice(r.to_json().to_string().as_bytes());
                buf.push(b'\n');
                if buf.len() > 1 << 20 {
                    f.write_all(&buf).map_err(io_err(&tmp))?;
                    buf.clear();
                }
            }
            f.write_all(&buf).map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        if let Ok(d) = File::open(dir) {
            // Makes the rename itself durable; not all platforms allow syncing a directory.
            let _ = d.sync_all();
        }
        let file = private_file(&path, OpenOptions::new().append(true)).map_err(io_err(&path))?;
        Ok(Log {
            file: Mutex::new(file),
            path,
        })
    }

    /// Appends one record in a single `write` call so that a crash leaves at most a torn last line.
    pub fn append(&self, r: &Record) -> Result<(), DynamoError> {
        let mut line = r.to_json().to_string().into_bytes();
        line.push(b'\n');
        let mut f = self.file.lock();
        f.write_all(&line).map_err(|e| {
            tracing::error!(error = %e, file = %self.path.display(), "cannot append to the state log");
            DynamoError::Internal(format!("cannot persist the change: {e}"))
        })?;
        if local_state::fsync_wanted() {
            f.sync_data().map_err(|e| {
                tracing::error!(error = %e, file = %self.path.display(), "cannot fsync the state log");
                DynamoError::Internal(format!("cannot persist the change: {e}"))
            })?;
        }
        Ok(())
    }
}
