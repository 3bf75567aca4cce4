//! Append-only JSON-lines journal. Appends happen on a dedicated thread fed by a channel
//! and are batched, so recording a state transition costs a channel send. A killed process
//! loses at most what was still queued (never what a reply acknowledged: replies wait for
//! [`Journal::flush`]), and the OS keeps what was written. An fsync is added when the
//! request asked for it or the runtime runs with `--fsync` (`local_state::fsync_wanted`).

use crate::error::SfnError;
use crate::model::Record;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;

const FILE: &str = "journal.jsonl";
const SECRET: &str = "token-secret";

enum Msg {
    Rec(Box<Record>),
    /// Rewrites the file without the records of these executions (expired ones).
    Compact(std::collections::HashSet<String>),
    /// Answered once everything queued before it has been written (and fsynced if `true`).
    Barrier(tokio::sync::oneshot::Sender<()>, bool),
    Close,
}

/// Records waiting for the writer; past this, recording waits for the disk (bounded memory).
const QUEUE: usize = 65_536;

pub(crate) struct Journal {
    tx: mpsc::SyncSender<Msg>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> SfnError {
    SfnError::Internal(format!("{what} {}: {e}", path.display()))
}

/// Calls `f` with every complete line (newline included) of the journal read by `reader`;
/// stops at a torn last line. Answers the length of what was complete.
fn complete_lines(
    reader: &mut impl BufRead,
    path: &Path,
    mut f: impl FnMut(&[u8]) -> Result<(), SfnError>,
) -> Result<u64, SfnError> {
    let mut good_len: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| io("cannot read", path, e))?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok(good_len);
        }
        good_len += n as u64;
        f(&line)?;
    }
}

/// Reads every complete record. A torn last line (a write cut short by a kill) is cut off
/// the file, so the next append starts on a fresh line; other unreadable lines are skipped.
pub(crate) fn load(dir: &Path) -> Result<Vec<Record>, SfnError> {
    let path = dir.join(FILE);
    let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("cannot open", &path, e)),
    };
    let mut records = Vec::new();
    let mut reader = BufReader::new(&mut file);
    let good_len = complete_lines(&mut reader, &path, |line| {
        match serde_json::from_slice::<Record>(line) {
            Ok(r) => records.push(r),
            Err(e) => tracing::warn!(error = %e, "skipping unreadable journal line"),
        }
        Ok(())
    })?;
    drop(reader);
    let total = file
        .seek(SeekFrom::End(0))
        .map_err(|e| io("cannot seek", &path, e))?;
    if total != good_len {
        tracing::warn!(bytes = total - good_len, "cutting a torn last journal line");
        file.set_len(good_len)
            .map_err(|e| io("cannot truncate", &path, e))?;
    }
    Ok(records)
}

/// The execution a journal line belongs to, if any (`Start`, `Event` and `RedriveToken`
/// records).
fn line_execution(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        t: String,
        arn: Option<String>,
    }
    let h: Head = serde_json::from_slice(line).ok()?;
    matches!(h.t.as_str(), "Start" | "Event" | "RedriveToken")
        .then_some(h.arn)
        .flatten()
}

/// Rewrites the journal without the records of the executions in `drop` (through a
/// temporary file, renamed over it, so a crash leaves the old file or the new one).
pub(crate) fn compact(
    dir: &Path,
    drop: &std::collections::HashSet<String>,
) -> Result<(), SfnError> {
    let path = dir.join(FILE);
    let tmp = dir.join(format!("{FILE}.tmp"));
    let input = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("cannot open", &path, e)),
    };
    {
        let out = local_state::private_file(
            &tmp,
            OpenOptions::new().write(true).create(true).truncate(true),
        )
        .map_err(|e| io("cannot create", &tmp, e))?;
        let mut out = std::io::BufWriter::new(out);
        let mut reader = BufReader::new(input);
        complete_lines(&mut reader, &path, |line| {
            if line_execution(line).is_some_and(|arn| drop.contains(&arn)) {
                return Ok(());
            }
            out.write_all(line).map_err(|e| io("cannot write", &tmp, e))
        })?;
        let out = out
            .into_inner()
            .map_err(|e| io("cannot write", &tmp, e.into_error()))?;
        out.sync_all().map_err(|e| io("cannot write", &tmp, e))?;
    }
    std::fs::rename(&tmp, &path).map_err(|e| io("cannot replace", &path, e))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The task-token secret, created once per state directory so tokens survive restarts.
pub(crate) fn secret(dir: &Path) -> Result<Vec<u8>, SfnError> {
    let path = dir.join(SECRET);
    if path.exists() {
        // Narrows a secret an older version left readable by others.
        local_state::private_file(&path, OpenOptions::new().read(true))
            .map_err(|e| io("cannot open", &path, e))?;
    }
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("cannot read", &path, e)),
    }
    let s = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    local_state::write_private(&path, s.as_bytes()).map_err(|e| io("cannot write", &path, e))?;
    Ok(s.into_bytes())
}

impl Journal {
    pub(crate) fn open(dir: &Path) -> Result<Journal, SfnError> {
        local_state::private_dir(dir).map_err(|e| io("cannot create", dir, e))?;
        let path: PathBuf = dir.join(FILE);
        let file = local_state::private_file(&path, OpenOptions::new().create(true).append(true))
            .map_err(|e| io("cannot open", &path, e))?;
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("sfn-journal".into())
            .spawn({
                let dir = dir.to_path_buf();
                move || writer(file, rx, dir)
            })
            .map_err(|e| SfnError::Internal(format!("cannot start the journal writer: {e}")))?;
        Ok(Journal {
            tx,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Drops the records of these executions from the file (after what is queued).
    pub(crate) fn compact(&self, drop: std::collections::HashSet<String>) {
        if !drop.is_empty() && self.tx.send(Msg::Compact(drop)).is_err() {
            tracing::error!("journal writer has stopped; not compacted");
        }
    }

    pub(crate) fn append(&self, r: Record) {
        if self.tx.send(Msg::Rec(Box::new(r))).is_err() {
            tracing::error!("journal writer has stopped; record dropped");
        }
    }

    /// Resolves once everything appended so far is in the file (the OS has it: a killed
    /// process loses nothing acknowledged after this).
    pub(crate) async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sync = local_state::fsync_wanted();
        if self.tx.send(Msg::Barrier(tx, sync)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Writes out everything queued and stops the writer.
    pub(crate) fn close(&self) {
        let _ = self.tx.send(Msg::Close);
        let t = crate::model::lock(&self.thread).take();
        if let Some(t) = t {
            let _ = t.join();
        }
    }
}

fn writer(mut file: File, rx: mpsc::Receiver<Msg>, dir: PathBuf) {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut barriers = Vec::new();
    let mut sync = false;
    let mut closing = false;
    while !closing {
        let Ok(first) = rx.recv() else { break };
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                Msg::Rec(r) => {
                    if let Ok(line) = serde_json::to_vec(&r) {
                        buf.extend_from_slice(&line);
                        buf.push(b'\n');
                    }
                }
                Msg::Barrier(b, s) => {
                    sync |= s;
                    barriers.push(b)
                }
                Msg::Close => {
                    closing = true;
                    break;
                }
                Msg::Compact(drop) => {
                    // Everything before it goes to the old file first.
                    if let Err(e) = file.write_all(&buf) {
                        tracing::error!(error = %e, "journal write failed");
                    }
                    buf.clear();
                    match compact(&dir, &drop).and_then(|()| {
                        let path = dir.join(FILE);
                        local_state::private_file(&path, OpenOptions::new().append(true))
                            .map_err(|e| io("cannot open", &path, e))
                    }) {
                        Ok(f) => file = f,
                        Err(e) => tracing::error!(error = %e, "journal compaction failed"),
                    }
                }
            }
            if buf.len() > 1 << 20 {
                break;
            }
            next = rx.try_recv().ok();
        }
        if !buf.is_empty() {
            if let Err(e) = file.write_all(&buf) {
                tracing::error!(error = %e, "journal write failed");
            }
            buf.clear();
        }
        if std::mem::take(&mut sync) {
            if let Err(e) = file.sync_data() {
                tracing::error!(error = %e, "journal fsync failed");
            }
        }
        for b in barriers.drain(..) {
            let _ = b.send(());
        }
    }
}
