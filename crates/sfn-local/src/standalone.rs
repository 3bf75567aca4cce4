//! The `sfn-local` binary as a child process, for the benches and tests that start, measure
//! or kill it the way a user runs it.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The start of the first line the binary prints, once it listens; the URL follows.
pub const LISTENING: &str = "sfn-local listening on ";

/// A running binary and the URL it serves; killed when dropped.
pub struct Standalone {
    pub child: Child,
    pub url: String,
}

impl Standalone {
    /// Starts `bin` with `args` (stderr discarded) and returns once it listens.
    pub fn spawn<A: AsRef<OsStr>>(
        bin: &Path,
        args: impl IntoIterator<Item = A>,
    ) -> io::Result<Standalone> {
        let mut child = Command::new(bin)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        match listening_url(&mut child) {
            Ok(url) => Ok(Standalone { child, url }),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }
}

/// The URL of the child's listening line (its first).
fn listening_url(child: &mut Child) -> io::Result<String> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    line.trim()
        .strip_prefix(LISTENING)
        .map(str::to_string)
        .ok_or_else(|| io::Error::other(format!("unexpected first line {line:?}")))
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
