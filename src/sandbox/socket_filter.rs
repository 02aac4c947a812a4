//! Linux: a seccomp filter on the sockets a fenced server may make, for what Landlock's network
//! rules cannot see.
//!
//! Landlock (ABI 4) refuses TCP `bind` and `connect` only: a server fenced with network `none`
//! could still send UDP, open raw or packet sockets, or reach another machine over a protocol or
//! family Landlock has no rule for (SCTP, VSOCK to the hypervisor, Bluetooth). Seccomp sees a system
//! call's arguments but not the memory they point to, so it cannot read the address a socket is
//! connected to either; the filter works on what it can see: the family and type given to
//! `socket()` and `socketpair()`. A refused socket gets `EACCES`, the answer Landlock gives.
//!
//! - `none`: only Unix and netlink sockets can be made. Netlink talks to the local kernel alone
//!   (interfaces, routes), and C libraries ask it when they start looking a name up. IPv4 and IPv6
//!   of every type (TCP, UDP, raw, ICMP, SCTP) and every other family are refused; so `none`
//!   holds even where Landlock has no network rules.
//! - `loopback`: TCP and UDP stay open, to every address: nothing in the kernel can tell loopback
//!   from the internet here. UDP is left open on purpose: on many systems name lookups go to a
//!   resolver on loopback over UDP (systemd-resolved at 127.0.0.53, dnsmasq), and local UDP
//!   services are what `loopback` means to allow; refusing UDP would break those while TCP to any
//!   address stays open, so it would not make the setting hold. Raw IPv4 and IPv6 sockets and
//!   every family but Unix, netlink, IPv4 and IPv6 are refused: none of them is for talking to
//!   this machine.
//! - `any`: no filter.
//!
//! `io_uring` can make and connect sockets without these system calls, out of the filter's sight;
//! so under a filter `io_uring_setup`, `io_uring_enter` and `io_uring_register` answer `ENOSYS`, as
//! on a kernel without io_uring, and programs fall back to plain system calls.
//!
//! Not covered: a socket handed over a Unix socket (`SCM_RIGHTS`) by a process outside the fence,
//! or a Unix socket leading to a proxy. The launcher itself passes on no network socket (Lanyard
//! opens its sockets close-on-exec).
//!
//! The filter is compiled for the running processor (x86_64, aarch64 and riscv64, the ones
//! seccompiler knows); on another one there is no filter and the report says so. The filter also
//! checks the calling convention: a 32-bit program (i386 on x86_64, arm32 on aarch64), whose
//! `socketcall()` hides the family in memory, is ended at its first system call; on x86_64 the
//! x32 numbers of the same calls are filtered too.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    TargetArch,
};

use crate::profile::SandboxNetwork;

/// `socket()`'s type argument carries `SOCK_NONBLOCK` and `SOCK_CLOEXEC` above the type itself.
const SOCK_TYPE_MASK: u64 = 0xf;
/// The old way to a packet socket (`socket(AF_INET, SOCK_PACKET, ...)`), which the kernel still
/// takes; `libc` marks its name deprecated, so it is spelled here.
const SOCK_PACKET: i32 = 10;
/// On x86_64, the bit that marks a system call made with the x32 convention.
#[cfg(target_arch = "x86_64")]
const X32_SYSCALL_BIT: i64 = 0x4000_0000;

/// What the socket filter did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketFilter {
    /// Installed: sockets are refused as the network setting says.
    Installed,
    /// Could not be installed; why, in words.
    NotInstalled(String),
    /// The network setting needs no filter (`any`).
    NotAsked,
}

/// Filters this thread (and what it `exec`s) for `network`.
pub fn restrict_self(network: SandboxNetwork) -> SocketFilter {
    if network == SandboxNetwork::Any {
        return SocketFilter::NotAsked;
    }
    let programs = match programs(network) {
        Ok(programs) => programs,
        Err(why) => return SocketFilter::NotInstalled(why),
    };
    // io_uring first: a socket filter that io_uring could go around is not reported as installed.
    for program in &programs {
        if let Err(err) = seccompiler::apply_filter(program) {
            return SocketFilter::NotInstalled(format!("the kernel refused the seccomp filter ({err})"));
        }
    }
    SocketFilter::Installed
}

/// The filters for `network`, for this processor: the io_uring one, then the sockets one.
fn programs(network: SandboxNetwork) -> Result<Vec<BpfProgram>, String> {
    let no_filter_here =
        || format!("Lanyard has no seccomp filter for this processor ({})", std::env::consts::ARCH);
    let (io_uring, sockets) = calls().ok_or_else(no_filter_here)?;
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|_| no_filter_here())?;
    let socket_rules = socket_rules(network).map_err(|err| err.to_string())?;
    [
        (io_uring.map(|call| (call, Vec::new())).to_vec(), libc::ENOSYS),
        (sockets.map(|call| (call, socket_rules.clone())).to_vec(), libc::EACCES),
    ]
    .into_iter()
    .map(|(calls, errno)| compile(with_x32_numbers(calls), errno, arch))
    .collect::<Result<_, _>>()
    .map_err(|err| format!("cannot build the seccomp filter: {err}"))
}

/// The numbers of the calls the filters name on this processor: the io_uring ones, and `socket`
/// and `socketpair`. `None` where seccompiler has no filter (it knows these three).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64"))]
fn calls() -> Option<([i64; 3], [i64; 2])> {
    Some((
        [libc::SYS_io_uring_setup, libc::SYS_io_uring_enter, libc::SYS_io_uring_register],
        [libc::SYS_socket, libc::SYS_socketpair],
    ))
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64")))]
fn calls() -> Option<([i64; 3], [i64; 2])> {
    None
}

/// A filter that answers `errno` to the calls whose rules match (a call without rules always
/// matches) and lets everything else through.
fn compile(
    calls: Vec<(i64, Vec<SeccompRule>)>,
    errno: i32,
    arch: TargetArch,
) -> Result<BpfProgram, seccompiler::BackendError> {
    let rules: BTreeMap<i64, Vec<SeccompRule>> = calls.into_iter().collect();
    let refuse = SeccompAction::Errno(errno.unsigned_abs());
    SeccompFilter::new(rules, SeccompAction::Allow, refuse, arch)?.try_into()
}

/// When `socket(family, type, ...)` (and `socketpair`) is refused: any rule holds. A rule holds
/// when all its conditions do.
fn socket_rules(network: SandboxNetwork) -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
    let local_families: &[i32] = match network {
        SandboxNetwork::Loopback => &[libc::AF_UNIX, libc::AF_NETLINK, libc::AF_INET, libc::AF_INET6],
        _ => &[libc::AF_UNIX, libc::AF_NETLINK],
    };
    let other_family =
        local_families.iter().map(|&family| family_is(SeccompCmpOp::Ne, family)).collect::<Result<_, _>>()?;
    let mut rules = vec![SeccompRule::new(other_family)?];
    if network == SandboxNetwork::Loopback {
        for family in [libc::AF_INET, libc::AF_INET6] {
            for kind in [libc::SOCK_RAW, SOCK_PACKET] {
                rules.push(SeccompRule::new(vec![family_is(SeccompCmpOp::Eq, family)?, type_is(kind)?])?);
            }
        }
    }
    Ok(rules)
}

/// The first argument (the family, an `int`) compared with `family`.
fn family_is(op: SeccompCmpOp, family: i32) -> Result<SeccompCondition, seccompiler::BackendError> {
    SeccompCondition::new(0, SeccompCmpArgLen::Dword, op, u64::from(family.unsigned_abs()))
}

/// The second argument (the type, an `int`), without its flags, is `kind`.
fn type_is(kind: i32) -> Result<SeccompCondition, seccompiler::BackendError> {
    let kind = u64::from(kind.unsigned_abs());
    SeccompCondition::new(1, SeccompCmpArgLen::Dword, SeccompCmpOp::MaskedEq(SOCK_TYPE_MASK), kind)
}

/// The same calls under their x32 numbers too (x86_64 only).
fn with_x32_numbers(calls: Vec<(i64, Vec<SeccompRule>)>) -> Vec<(i64, Vec<SeccompRule>)> {
    #[cfg(target_arch = "x86_64")]
    {
        let x32 =
            calls.iter().map(|(call, rules)| (call | X32_SYSCALL_BIT, rules.clone())).collect::<Vec<_>>();
        calls.into_iter().chain(x32).collect()
    }
    #[cfg(not(target_arch = "x86_64"))]
    calls
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, UdpSocket};
    use std::os::unix::net::UnixDatagram;

    use rustix::net::{AddressFamily, SocketFlags, SocketType, socket_with};

    use super::*;

    /// What making each socket gave, on a thread of its own under `network`'s filter (the filter
    /// ends with the thread, so the other tests are not fenced).
    fn under_filter(network: SandboxNetwork) -> Vec<(&'static str, Result<(), i32>)> {
        std::thread::spawn(move || {
            let expected =
                if network == SandboxNetwork::Any { SocketFilter::NotAsked } else { SocketFilter::Installed };
            assert_eq!(restrict_self(network), expected, "this test needs seccomp");
            let errno = |err: std::io::Error| err.raw_os_error().unwrap_or(-1);
            let raw = |family, flags| {
                socket_with(family, SocketType::RAW, flags, None).map(drop).map_err(|err| err.raw_os_error())
            };
            vec![
                ("unix", UnixDatagram::pair().map(drop).map_err(errno)),
                ("udp", UdpSocket::bind("127.0.0.1:0").map(drop).map_err(errno)),
                ("udp6", UdpSocket::bind("[::1]:0").map(drop).map_err(errno)),
                ("tcp", TcpListener::bind("127.0.0.1:0").map(drop).map_err(errno)),
                ("raw", raw(AddressFamily::INET, SocketFlags::CLOEXEC | SocketFlags::NONBLOCK)),
                ("packet", raw(AddressFamily::PACKET, SocketFlags::CLOEXEC)),
            ]
        })
        .join()
        .expect("the filtered thread ran")
    }

    fn outcome<'a>(results: &'a [(&str, Result<(), i32>)], name: &str) -> &'a Result<(), i32> {
        &results.iter().find(|(n, _)| *n == name).expect("tried").1
    }

    #[test]
    fn none_refuses_every_network_socket_and_keeps_unix_sockets() {
        let results = under_filter(SandboxNetwork::None);
        assert_eq!(outcome(&results, "unix"), &Ok(()), "{results:?}");
        for name in ["udp", "udp6", "tcp", "raw", "packet"] {
            assert_eq!(outcome(&results, name), &Err(libc::EACCES), "{name} refused: {results:?}");
        }
    }

    #[test]
    fn loopback_keeps_tcp_and_udp_and_refuses_raw_sockets() {
        let results = under_filter(SandboxNetwork::Loopback);
        for name in ["unix", "udp", "tcp"] {
            assert_eq!(outcome(&results, name), &Ok(()), "{name} allowed: {results:?}");
        }
        for name in ["raw", "packet"] {
            assert_eq!(outcome(&results, name), &Err(libc::EACCES), "{name} refused: {results:?}");
        }
    }

    #[test]
    fn any_has_no_filter() {
        let results = under_filter(SandboxNetwork::Any);
        for name in ["unix", "udp", "tcp"] {
            assert_eq!(outcome(&results, name), &Ok(()), "{name} allowed: {results:?}");
        }
        for name in ["raw", "packet"] {
            // Refused for want of CAP_NET_RAW (EPERM), or made by root; never the filter's EACCES.
            assert_ne!(outcome(&results, name), &Err(libc::EACCES), "{name}: {results:?}");
        }
    }

    #[test]
    fn the_filters_compile_for_each_setting_that_has_one() {
        for network in [SandboxNetwork::None, SandboxNetwork::Loopback] {
            let programs = programs(network).expect("compiles for this processor");
            assert_eq!(programs.len(), 2, "io_uring and sockets");
            assert!(programs.iter().all(|program| !program.is_empty()));
        }
    }
}
