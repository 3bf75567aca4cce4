//! The local runtime's state files (the DynamoDB log, the Step Functions journal, the task-token
//! secret) hold task tokens and what can mint them: the folder is the owner's alone (0700) and
//! so is every file in it (0600). Folders and files left by an older version are narrowed when
//! they are opened.

//!
//! Durability: an acknowledged change is written to the kernel before the reply, so killing
//! the process loses nothing acknowledged. Surviving a power cut or an OS crash takes an
//! fsync as well: for every change with [`set_fsync_always`] (the `--fsync` flag), or for one
//! request's changes when it runs inside [`with_fsync`] (the `x-local-fsync: 1` header).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

static FSYNC_ALWAYS: AtomicBool = AtomicBool::new(false);

tokio::task_local! {
    static FSYNC_REQUEST: bool;
}

/// Makes every acknowledged change fsynced before its reply.
pub fn set_fsync_always(on: bool) {
    FSYNC_ALWAYS.store(on, Ordering::Relaxed);
}

/// Runs `f` (one request) with its changes fsynced before the reply when `on`.
pub async fn with_fsync<F: std::future::Future>(on: bool, f: F) -> F::Output {
    FSYNC_REQUEST.scope(on, f).await
}

/// Whether the change being made must reach the disk (fsync) before it is acknowledged.
pub fn fsync_wanted() -> bool {
    FSYNC_ALWAYS.load(Ordering::Relaxed) || FSYNC_REQUEST.try_with(|v| *v).unwrap_or(false)
}

/// Creates `dir` (and its parents) owner-only, or narrows it to 0700 if it exists.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)
}

/// Opens `path` with `options`; a file it creates is 0600, an existing one is narrowed to 0600.
pub fn private_file(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = options.mode(0o600).open(path)?;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// Writes a whole small file (created 0600).
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = private_file(
        path,
        OpenOptions::new().write(true).create(true).truncate(true),
    )?;
    f.write_all(contents)?;
    f.sync_all()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_owner_only_even_if_they_existed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("log");
        write_private(&f, b"x").unwrap();
        assert_eq!(mode(&f), 0o600);
        // Made world-readable by someone else: narrowed again when opened.
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        private_file(&f, OpenOptions::new().append(true)).unwrap();
        assert_eq!((mode(&dir), mode(&f)), (0o700, 0o600));
    }
}

#[cfg(test)]
mod durability_tests {
    use super::*;

    #[test]
    fn fsync_is_wanted_inside_a_request_that_asks_or_everywhere_when_always() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(!fsync_wanted());
            assert!(with_fsync(true, async { fsync_wanted() }).await);
            assert!(!with_fsync(false, async { fsync_wanted() }).await);
            set_fsync_always(true);
            assert!(fsync_wanted());
            assert!(with_fsync(false, async { fsync_wanted() }).await);
            set_fsync_always(false);
        });
    }
}
