//! The resources a fenced server may hold, as process limits (rlimits) the launcher sets on
//! itself before it becomes the server, so they hold for the server and what it starts.
//!
//! Memory is limited with `RLIMIT_DATA`, not `RLIMIT_AS`. Since Linux 4.7 `RLIMIT_DATA` counts
//! the private writable memory a process maps (its heap, `malloc`'s large blocks), not the
//! address space it only reserves: V8 and the JVM reserve gigabytes up front with `PROT_NONE` and
//! commit pages as they need them. Measured on Linux 6.18 with a 64 MB limit: Node starts under
//! `RLIMIT_DATA` and crashes at once under `RLIMIT_AS`; with 256 MB, `java -Xmx64m` runs under
//! `RLIMIT_DATA` and cannot reserve its code cache under `RLIMIT_AS`; an 8 GB `PROT_NONE` mapping
//! passes `RLIMIT_DATA` while a 256 MB buffer is refused. A server over the limit gets an
//! allocation failure (most runtimes then exit), which its stderr log shows.
//!
//! Both the soft and the hard limit are set, so the server cannot raise them again. When the
//! inherited hard limit is already lower, it is kept (an unprivileged process cannot raise it).
//! A limit the kernel refuses goes into the report; it never passes silently.
//!
//! There is no limit on the number of processes: `RLIMIT_NPROC` counts every process of the
//! person's user, not the server's own, so a low value would stop the server (or its children)
//! from starting because of the person's browser.

use serde::{Deserialize, Serialize};

/// The limits asked for; `None` leaves the inherited one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_files: Option<u64>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        self.memory_mb.is_none() && self.open_files.is_none()
    }

    /// The limits in words, for `status`: `memory 512 MB, 256 open files`.
    pub fn describe(&self) -> String {
        let memory = self.memory_mb.map(|mb| format!("memory {mb} MB"));
        let files = self.open_files.map(|n| format!("{n} open files"));
        memory.into_iter().chain(files).collect::<Vec<_>>().join(", ")
    }
}

/// What the kernel answered to each limit asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The limits in force, in words.
    pub held: Vec<String>,
    /// The limits the kernel refused, each with its reason.
    pub refused: Vec<String>,
}

impl Applied {
    /// One sentence for the report, empty when nothing was asked.
    pub fn describe(&self) -> String {
        let held = (!self.held.is_empty()).then(|| format!("{} (rlimits)", self.held.join(", ")));
        held.into_iter().chain(self.refused.iter().cloned()).collect::<Vec<_>>().join("; ")
    }
}

/// Sets `limits` on this process.
#[cfg(unix)]
pub fn apply(limits: &Limits) -> Applied {
    use rustix::process::Resource;
    let mut applied = Applied::default();
    let asked = [
        (Resource::Data, limits.memory_mb.map(|mb| mb.saturating_mul(1024 * 1024)), "memory"),
        (Resource::Nofile, limits.open_files, "open files"),
    ];
    for (resource, value, what) in asked {
        let Some(value) = value else { continue };
        match set(resource, value) {
            Ok(value) if what == "memory" => {
                applied.held.push(format!("memory {} MB", value / (1024 * 1024)))
            }
            Ok(value) => applied.held.push(format!("{value} {what}")),
            Err(err) => applied.refused.push(format!("{what} limit NOT set: the kernel refused it ({err})")),
        }
    }
    applied
}

/// Sets `resource`'s soft and hard limit to `value`, or to the hard limit when that is lower;
/// returns the limit in force.
#[cfg(unix)]
fn set(resource: rustix::process::Resource, value: u64) -> rustix::io::Result<u64> {
    use rustix::process::{Rlimit, getrlimit, setrlimit};
    let value = getrlimit(resource).maximum.map_or(value, |hard| hard.min(value));
    setrlimit(resource, Rlimit { current: Some(value), maximum: Some(value) })?;
    Ok(value)
}

#[cfg(not(unix))]
pub fn apply(limits: &Limits) -> Applied {
    let refused = (!limits.is_empty())
        .then(|| "limits NOT set: this OS has no process limits Lanyard can set".to_owned());
    Applied { held: Vec::new(), refused: refused.into_iter().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_names_what_holds_and_what_the_kernel_refused() {
        let both =
            Applied { held: vec!["memory 64 MB".into(), "256 open files".into()], refused: Vec::new() };
        assert_eq!(both.describe(), "memory 64 MB, 256 open files (rlimits)");
        let refused = Applied {
            held: vec!["memory 64 MB".into()],
            refused: vec!["open files limit NOT set: the kernel refused it (Operation not permitted)".into()],
        };
        assert_eq!(
            refused.describe(),
            "memory 64 MB (rlimits); open files limit NOT set: the kernel refused it (Operation not permitted)"
        );
        assert_eq!(Applied::default().describe(), "", "nothing asked, nothing said");
        let limits = Limits { memory_mb: Some(512), open_files: Some(256) };
        assert_eq!(limits.describe(), "memory 512 MB, 256 open files");
    }
}
