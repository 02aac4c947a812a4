//! The wall clock, in the Unix seconds that tokens, sign-ins and logs are stamped with, and how a
//! stamp reads to a person.
//!
//! It sits on the ground floor, importing nothing from the crate, because every floor stamps
//! things: tokens and sign-ins (`oauth`), the activity log, source states, stdio logs. Keep it
//! that way, so that reading the time never pulls in the module that happens to need it first.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds (0 if the system clock is set before 1970).
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// "in 4m 10s", "2h 5m ago": a Unix time relative to now, for status lines.
pub fn relative_time(at: u64) -> String {
    let now = now();
    let (delta, future) = if at >= now { (at - now, true) } else { (now - at, false) };
    let text = match delta {
        0..60 => format!("{delta}s"),
        60..3600 => format!("{}m {}s", delta / 60, delta % 60),
        3600..86400 => format!("{}h {}m", delta / 3600, delta % 3600 / 60),
        _ => format!("{}d {}h", delta / 86400, delta % 86400 / 3600),
    };
    if future { format!("in {text}") } else { format!("{text} ago") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = now();
        assert!(relative_time(now + 250).starts_with("in 4m "), "minutes ahead");
        assert_eq!(relative_time(now - 7500), "2h 5m ago", "hours behind");
    }
}
