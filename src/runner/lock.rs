//! One run at a time per output folder: an exclusive OS file lock (`flock`) on
//! `outputs/<name>/.state/run.lock`, held for the whole run and released by the kernel when the
//! process ends, crash included. The file says who holds it, for the message of a run that
//! has to wait.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::io::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};

/// Held while it lives; dropping it (or the process ending) releases the folder.
pub(super) struct RunLock {
    _file: File,
}

/// Takes the folder's lock. When another run holds it: waits (saying so on stderr) or, with
/// `wait` false, fails at once naming the holder.
pub(super) fn acquire(dir: &Path, holder: &str, wait: bool) -> Result<RunLock> {
    let state = dir.join(".state");
    std::fs::create_dir_all(&state).map_err(|e| Error::io(&state, e))?;
    let path = state.join("run.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    if !flock(&file, false).map_err(|e| Error::io(&path, e))? {
        let mut who = String::new();
        let _ = file.read_to_string(&mut who);
        let who = if who.trim().is_empty() {
            "another segflow run".to_string()
        } else {
            who.trim().to_string()
        };
        if !wait {
            return Err(Error::Data(format!(
                "{} is in use by {who}; nothing was written. Run again when it has finished, or without --no-wait to wait for it",
                dir.display()
            )));
        }
        eprintln!("waiting for {}: in use by {who}", dir.display());
        flock(&file, true).map_err(|e| Error::io(&path, e))?;
    }
    file.set_len(0).map_err(|e| Error::io(&path, e))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(&path, e))?;
    file.write_all(holder.as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    Ok(RunLock { _file: file })
}

/// An exclusive lock on `file`: `Ok(false)` when another process holds it and `block` is
/// false; with `block`, waits for it.
fn flock(file: &File, block: bool) -> std::io::Result<bool> {
    let op = if block {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    loop {
        // SAFETY: flock on a file descriptor this process owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) if !block => return Ok(false),
            _ => return Err(err),
        }
    }
}
