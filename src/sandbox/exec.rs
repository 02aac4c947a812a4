//! `lanyard sandbox-exec`: fences this process, reports what the kernel enforced, and becomes the
//! server with `exec`. Hidden from help; only the engine starts it (see [`super::plan::launcher`]).
//!
//! The fence is put on the thread that then calls `exec` (Landlock and seccomp both hold for a
//! thread and what it becomes), so no code has to run between `fork` and `exec`.
//!
//! Core dumps are turned off too, so a crash leaves no copy of the server's memory (and the
//! secrets in its environment) on disk, and the resource limits asked for are set
//! ([`super::limits`]).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::plan::FencePlan;
use super::report::FenceReport;
#[cfg(not(target_os = "linux"))]
use super::report::FenceState;

/// What the engine passes on the launcher's command line.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    pub plan: FencePlan,
    /// Where the report goes.
    pub report: PathBuf,
    /// The server's program and arguments.
    pub command: Vec<String>,
}

/// Fences, reports, and `exec`s the server. Returns only on failure, with the exit code a shell
/// gives (127: not found, 126: cannot run, 125: the fence could not be built).
pub fn run(request: ExecRequest) -> ExitCode {
    let Some((program, args)) = request.command.split_first() else {
        eprintln!("lanyard sandbox-exec: no command given after `--`");
        return ExitCode::from(125);
    };
    // Opened before the fence, which may not let it be opened after.
    let report_file = std::fs::File::create(&request.report);
    core_dumps_off();
    let report = match fence(&request.plan) {
        // After the fence, which opens a descriptor per folder while it is built.
        Ok(report) => report.with_limits(request.plan.limits, &super::limits::apply(&request.plan.limits)),
        Err(err) => {
            eprintln!("lanyard sandbox-exec: cannot build the fence: {err}; the server was not started");
            return ExitCode::from(125);
        }
    };
    // The first line of this start in the source's stderr log.
    eprintln!("lanyard fence: {} ({})", report.state.describe(), report.detail);
    match report_file.map(|mut file| {
        serde_json::to_writer(&mut file, &report).map_err(std::io::Error::from).and_then(|()| file.flush())
    }) {
        Ok(Ok(())) => {}
        Ok(Err(err)) | Err(err) => {
            eprintln!("lanyard fence: cannot write the report {}: {err}", request.report.display())
        }
    }
    exec(program, args)
}

#[cfg(target_os = "linux")]
fn fence(plan: &FencePlan) -> Result<FenceReport, String> {
    let landlock = super::landlock_fence::restrict_self(plan).map_err(|err| err.to_string())?;
    let sockets = super::socket_filter::restrict_self(plan.network);
    let (state, detail) = super::enforced::describe(&landlock, &sockets, plan.network);
    Ok(FenceReport {
        state,
        network: plan.network,
        detail,
        landlock_abi: landlock.abi,
        limits: Default::default(),
        at: crate::clock::now(),
    })
}

#[cfg(not(target_os = "linux"))]
fn fence(plan: &FencePlan) -> Result<FenceReport, String> {
    Ok(FenceReport {
        state: FenceState::NotFenced,
        network: plan.network,
        detail: "this OS has no fence Lanyard can enforce; the server runs with your rights".to_owned(),
        landlock_abi: None,
        limits: Default::default(),
        at: crate::clock::now(),
    })
}

#[cfg(unix)]
fn core_dumps_off() {
    use rustix::process::{Resource, Rlimit, setrlimit};
    if let Err(err) = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) }) {
        eprintln!("lanyard fence: cannot turn core dumps off: {err}");
    }
}

#[cfg(not(unix))]
fn core_dumps_off() {}

#[cfg(unix)]
fn exec(program: &str, args: &[String]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = std::process::Command::new(program).args(args).exec();
    eprintln!("lanyard sandbox-exec: cannot start `{program}`: {err}");
    ExitCode::from(if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 })
}

#[cfg(not(unix))]
fn exec(program: &str, _args: &[String]) -> ExitCode {
    eprintln!("lanyard sandbox-exec: starting `{program}` in a fence needs a Unix system");
    ExitCode::from(125)
}
