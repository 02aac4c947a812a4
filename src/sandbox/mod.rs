//! The fence a stdio server can be started in: which folders it may read and write and how far it
//! may reach on the network, enforced by the kernel (on Linux: Landlock, and a seccomp filter on
//! the sockets Landlock cannot see, [`socket_filter`]), and how much memory and how many open
//! files it may hold ([`limits`]).
//!
//! A stdio server is a program run with the person's rights; a fence keeps one that misbehaves
//! (or was tampered with) away from the rest of their files and the network. Restricting a
//! process needs code between `fork` and `exec`, which safe Rust cannot run in a child; so the
//! server is started through the `lanyard` program itself (`lanyard sandbox-exec`, a hidden
//! subcommand, see [`exec`]), which fences itself and then becomes the server with `exec`. Before
//! the `exec` it writes what the kernel actually enforced to a small report beside the source's
//! stderr log ([`report`]), which `lanyard status` reads: a kernel without Landlock gives
//! *not fenced*, never a silent pass.
//!
//! [`plan`] decides the folders (the person's list plus presets), and is the same on every OS;
//! only Linux enforces it. Elsewhere the setting is kept and reported as not enforced.

#[cfg(target_os = "linux")]
mod enforced;
pub mod exec;
#[cfg(target_os = "linux")]
mod landlock_fence;
pub mod limits;
pub mod plan;
pub mod report;
#[cfg(target_os = "linux")]
mod socket_filter;

pub use limits::Limits;
pub use plan::{FencePlan, launcher, plan};
pub use report::{FenceReport, FenceState, SandboxStatus, report_path, status_of};

/// Whether this build can enforce a fence at all (the kernel decides the rest at start).
pub const ENFORCED_ON_THIS_OS: bool = cfg!(target_os = "linux");
