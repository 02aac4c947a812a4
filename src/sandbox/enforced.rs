//! Linux: what the kernel enforced, from Landlock's answer and the socket filter's, as one state
//! and one sentence for the report.
//!
//! The fence has two parts, each asked of the kernel on its own: the files (Landlock) and the
//! network (Landlock for TCP, the seccomp socket filter for the rest). The state is *enforced*
//! when every part asked for holds, *not fenced* when none does, and *partly* otherwise; the
//! sentence names what holds and what does not, and by which mechanism.

use super::landlock_fence::{self, Files, Landlocked};
use super::report::FenceState;
use super::socket_filter::SocketFilter;
use crate::profile::SandboxNetwork;

/// How much of one part holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    All,
    Some,
    Nothing,
    /// Nothing was asked of this part.
    NotAsked,
}

/// The state and the sentence for what Landlock and the socket filter enforced under `network`.
pub fn describe(
    landlock: &Landlocked,
    sockets: &SocketFilter,
    network: SandboxNetwork,
) -> (FenceState, String) {
    let (files_held, files) = files(&landlock.files);
    let (network_held, network) = self::network(landlock.tcp_refused, sockets, network);
    let asked: Vec<Held> =
        [files_held, network_held].into_iter().filter(|held| *held != Held::NotAsked).collect();
    let state = if asked.iter().all(|held| *held == Held::All) {
        FenceState::Enforced
    } else if asked.iter().all(|held| *held == Held::Nothing) {
        FenceState::NotFenced
    } else {
        FenceState::Partly
    };
    let mut detail = format!("{files}; {network}");
    if state == FenceState::NotFenced {
        detail.push_str("; the server runs with your rights");
    }
    (state, detail)
}

fn files(files: &Files) -> (Held, String) {
    match files {
        Files::Fenced => (Held::All, "files fenced (Landlock)".to_owned()),
        Files::Partly { abi } => (
            Held::Some,
            format!(
                "files partly fenced: this kernel's Landlock (ABI {abi}) enforces only part of the fence ({})",
                landlock_fence::abi_needs()
            ),
        ),
        Files::NotFenced(why) => (Held::Nothing, format!("files NOT fenced: {why}")),
    }
}

fn network(tcp_refused: bool, sockets: &SocketFilter, network: SandboxNetwork) -> (Held, String) {
    const REST: &str = "UDP, raw or other network sockets, no io_uring (seccomp)";
    let not_installed = match sockets {
        SocketFilter::NotInstalled(why) => why.as_str(),
        SocketFilter::Installed | SocketFilter::NotAsked => "no socket filter was asked for",
    };
    match (network, sockets, tcp_refused) {
        (SandboxNetwork::Any, _, _) => (Held::NotAsked, "network open".to_owned()),
        (SandboxNetwork::None, SocketFilter::Installed, true) => (Held::All, format!("no TCP (Landlock); no {REST}")),
        (SandboxNetwork::None, SocketFilter::Installed, false) => (Held::All, format!("no TCP, {REST}")),
        (SandboxNetwork::None, _, true) => {
            (Held::Some, format!("no TCP (Landlock); UDP and raw sockets NOT refused: {not_installed}"))
        }
        (SandboxNetwork::None, _, false) => (
            Held::Nothing,
            format!("network NOT fenced: this kernel's Landlock has no TCP rules, and {not_installed}"),
        ),
        (SandboxNetwork::Loopback, SocketFilter::Installed, _) => (
            Held::Some,
            "network `loopback` is NOT enforced: the kernel cannot tell loopback from other addresses, so TCP and UDP are open to every address; raw sockets and families other than Unix, netlink and IP refused, no io_uring (seccomp)"
                .to_owned(),
        ),
        (SandboxNetwork::Loopback, _, _) => (
            Held::Nothing,
            format!(
                "network `loopback` is NOT enforced: the kernel cannot tell loopback from other addresses, so the network is open ({not_installed})"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn landlock(files: Files, tcp_refused: bool) -> Landlocked {
        Landlocked { files, tcp_refused, abi: Some(7) }
    }

    fn not_installed() -> SocketFilter {
        SocketFilter::NotInstalled("Lanyard has no seccomp filter for this processor (sparc64)".into())
    }

    #[test]
    fn none_is_enforced_only_with_the_files_and_the_socket_filter() {
        let (state, detail) =
            describe(&landlock(Files::Fenced, true), &SocketFilter::Installed, SandboxNetwork::None);
        assert_eq!(state, FenceState::Enforced);
        assert_eq!(
            detail,
            "files fenced (Landlock); no TCP (Landlock); no UDP, raw or other network sockets, no io_uring (seccomp)"
        );

        let (state, detail) =
            describe(&landlock(Files::Fenced, true), &not_installed(), SandboxNetwork::None);
        assert_eq!(state, FenceState::Partly, "UDP is open: {detail}");
        assert!(
            detail.contains("UDP and raw sockets NOT refused: Lanyard has no seccomp filter"),
            "{detail}"
        );
    }

    #[test]
    fn the_socket_filter_alone_fences_the_network_of_a_kernel_without_landlock_tcp_rules() {
        let old = landlock(Files::Partly { abi: 3 }, false);
        let (state, detail) = describe(&old, &SocketFilter::Installed, SandboxNetwork::None);
        assert_eq!(state, FenceState::Partly);
        assert!(
            detail.contains("(ABI 3)")
                && detail.ends_with("no TCP, UDP, raw or other network sockets, no io_uring (seccomp)"),
            "{detail}"
        );

        let bare = landlock(Files::NotFenced("this kernel has no Landlock".into()), false);
        let (state, detail) = describe(&bare, &SocketFilter::Installed, SandboxNetwork::None);
        assert_eq!(state, FenceState::Partly, "the network holds though the files do not: {detail}");
        let (state, detail) = describe(&bare, &not_installed(), SandboxNetwork::None);
        assert_eq!(state, FenceState::NotFenced);
        assert!(detail.ends_with("the server runs with your rights"), "{detail}");
    }

    #[test]
    fn loopback_is_never_enforced_and_any_asks_nothing_of_the_network() {
        let (state, detail) =
            describe(&landlock(Files::Fenced, false), &SocketFilter::Installed, SandboxNetwork::Loopback);
        assert_eq!(state, FenceState::Partly);
        assert!(detail.contains("NOT enforced") && detail.contains("TCP and UDP are open"), "{detail}");
        assert!(
            detail.contains("raw sockets and families other than Unix, netlink and IP refused"),
            "{detail}"
        );

        let (state, detail) =
            describe(&landlock(Files::Fenced, false), &SocketFilter::NotAsked, SandboxNetwork::Any);
        assert_eq!((state, detail.as_str()), (FenceState::Enforced, "files fenced (Landlock); network open"));
        let bare = landlock(Files::NotFenced("this kernel has no Landlock".into()), false);
        assert_eq!(describe(&bare, &SocketFilter::NotAsked, SandboxNetwork::Any).0, FenceState::NotFenced);
    }
}
