//! Which of two registry versions is newer. The schema asks for semantic versions but allows
//! others, so a version that is not semver is compared part by part, numbers as numbers
//! (`2025.10.2` after `2025.9.30`), and never makes a comparison fail.

use std::cmp::Ordering;

/// Orders two version strings, oldest first.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => compare_parts(a, b),
    }
}

/// Whether `candidate` is newer than `current`.
pub fn is_newer(candidate: &str, current: &str) -> bool {
    compare(candidate, current) == Ordering::Greater
}

fn parse(text: &str) -> Option<semver::Version> {
    semver::Version::parse(text.trim().trim_start_matches('v')).ok()
}

fn compare_parts(a: &str, b: &str) -> Ordering {
    let split = |text: &str| -> Vec<String> {
        text.trim().trim_start_matches('v').split(['.', '-', '+', '_']).map(str::to_owned).collect()
    };
    let (a, b) = (split(a), split(b));
    for (x, y) in a.iter().zip(&b) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_a_person_reads_them() {
        assert!(is_newer("1.10.0", "1.9.2"));
        assert!(is_newer("2.0.0", "2.0.0-beta.1"), "a release is newer than its pre-release");
        assert!(is_newer("2025.10.2", "2025.9.30"));
        assert!(is_newer("v1.2", "1.1"), "not semver: compared part by part");
        assert!(!is_newer("1.0.0", "1.0.0"));
        assert!(!is_newer("0.9", "1.0.0"));
    }
}
