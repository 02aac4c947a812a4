//! The names the merged server gives tools and prompts: one flat namespace over every source.
//!
//! Agents reject names outside `^[A-Za-z0-9_-]{1,64}$`, and two sources may well offer a tool of
//! the same name, so every name is made here by one deterministic rule:
//!
//! 1. The name is `<prefix>__<name>`: the source's merged prefix (its id unless its profile sets
//!    `merged_prefix`), two underscores, and the name as the source exposes it (after its own
//!    aliases and filters); with an empty prefix, the name alone.
//! 2. Every character outside `A-Z a-z 0-9 _ -` becomes `_`.
//! 3. If step 2 changed anything, or the name is longer than 64 characters, or an entry named
//!    before holds it already, it becomes its first 55 characters, `_`, and 8 hex digits of the
//!    SHA-256 of `<source>\n<name>` (the name as the source exposes it).
//! 4. If that is taken too (a hash collision, or a server listing one name twice), the hash is
//!    taken over `<source>\n<name>\n<n>` for n = 1, 2, … until the name is free.
//!
//! Entries are named in source id order, then in each source's list order, so the same lists give
//! the same names (a source without a prefix whose tool has the name of another's therefore keeps
//! it if its id comes first). A name that needed cleaning (step 2) is hashed whether or not it collides, so
//! its merged name does not depend on what other tools exist. Calls are routed by a table built
//! alongside (see [`super::routing`]), never by splitting a name, so `__` inside a name is fine.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// The longest name clients accept.
pub(crate) const MAX_LEN: usize = 64;
/// Between the source id and the name.
pub(crate) const SEPARATOR: &str = "__";
/// Hex digits of the hash suffix.
const HASH_DIGITS: usize = 8;
/// What is kept of a name that gets a hash suffix: room for `_` and the digits.
const KEPT: usize = MAX_LEN - 1 - HASH_DIGITS;

/// Whether `name` is one clients accept.
#[cfg(test)]
fn is_valid(name: &str) -> bool {
    (1..=MAX_LEN).contains(&name.len()) && name.bytes().all(allowed)
}

fn allowed(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// Names entries one after the other, remembering which names are taken.
#[derive(Debug, Default)]
pub(crate) struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The merged name for `name` of `source`, whose names take `prefix`, never one given out
    /// before by this namer.
    pub(crate) fn name(&mut self, source: &str, prefix: &str, name: &str) -> String {
        let joined = if prefix.is_empty() { name.to_owned() } else { format!("{prefix}{SEPARATOR}{name}") };
        let clean: String =
            joined.chars().map(|c| if c.is_ascii() && allowed(c as u8) { c } else { '_' }).collect();
        let changed = clean != joined;
        if !changed && clean.len() <= MAX_LEN && !self.taken.contains(&clean) {
            self.taken.insert(clean.clone());
            return clean;
        }
        // `clean` is ASCII, so byte and character positions agree.
        let kept = &clean[..clean.len().min(KEPT)];
        for round in 0u64.. {
            let candidate = format!("{kept}_{}", short_hash(source, name, round));
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
        unreachable!("a u64 counter over a finite set of taken names finds a free one")
    }
}

/// The first [`HASH_DIGITS`] hex digits of the SHA-256 of `source\nname` (round 0) or
/// `source\nname\nround`.
fn short_hash(source: &str, name: &str, round: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(source.as_bytes());
    hasher.update(b"\n");
    hasher.update(name.as_bytes());
    if round > 0 {
        hasher.update(format!("\n{round}").as_bytes());
    }
    let digest = hasher.finalize();
    digest.iter().take(HASH_DIGITS / 2).map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_prefixed_with_the_source() {
        let mut namer = Namer::new();
        assert_eq!(
            namer.name("github", "github", "search"),
            "github__search",
            "a clean short name is kept as is"
        );
        assert_eq!(namer.name("files", "files", "read-file"), "files__read-file", "`-` is allowed");
        assert_eq!(namer.name("files", "files", "a__b"), "files__a__b", "`__` inside a name is fine");
    }

    #[test]
    fn the_same_name_in_two_sources_gives_two_names() {
        let mut namer = Namer::new();
        let a = namer.name("alpha", "alpha", "echo");
        let b = namer.name("beta", "beta", "echo");
        assert_eq!((a.as_str(), b.as_str()), ("alpha__echo", "beta__echo"), "the prefix keeps them apart");
    }

    #[test]
    fn a_source_may_name_its_tools_with_another_prefix_or_none() {
        let mut namer = Namer::new();
        assert_eq!(namer.name("github-enterprise", "gh", "search"), "gh__search", "a chosen prefix");
        assert_eq!(namer.name("everything", "", "echo"), "echo", "no prefix: the name alone");
        let taken = namer.name("other", "", "echo");
        assert_ne!(taken, "echo", "a name given out before is never given again");
        assert!(taken.starts_with("echo_") && is_valid(&taken), "it is hashed instead: {taken}");
        assert_eq!(
            Namer::new().name("everything", "", "echo"),
            Namer::new().name("everything", "", "echo"),
            "the same lists give the same names"
        );
    }

    #[test]
    fn cleaned_names_get_a_stable_hash_suffix() {
        let mut namer = Namer::new();
        let dotted = namer.name("fs", "fs", "read.file");
        assert!(dotted.starts_with("fs__read_file_"), "the dot becomes `_`, then the hash: {dotted}");
        assert_eq!(dotted.len(), "fs__read_file_".len() + HASH_DIGITS, "8 hex digits: {dotted}");
        assert!(is_valid(&dotted), "the result is valid: {dotted}");
        // The clean spelling is not disturbed, whichever comes first.
        let plain = namer.name("fs", "fs", "read_file");
        assert_eq!(plain, "fs__read_file", "a clean name keeps its name even after a cleaned look-alike");
        let mut other_order = Namer::new();
        assert_eq!(other_order.name("fs", "fs", "read_file"), "fs__read_file");
        assert_eq!(
            other_order.name("fs", "fs", "read.file"),
            dotted,
            "the cleaned name does not depend on order"
        );
    }

    #[test]
    fn non_ascii_and_spaces_are_replaced() {
        let mut namer = Namer::new();
        let name = namer.name("wiki", "wiki", "sök sida/π");
        assert!(is_valid(&name), "only allowed characters remain: {name}");
        assert!(name.starts_with("wiki__s_k_sida__"), "each bad character becomes one `_`: {name}");
    }

    #[test]
    fn colliding_names_are_told_apart_deterministically() {
        // `a` + `b__c` and `a__b` + `c` both spell `a__b__c`; the first in order keeps it.
        let mut namer = Namer::new();
        let first = namer.name("a", "a", "b__c");
        let second = namer.name("a__b", "a__b", "c");
        assert_eq!(first, "a__b__c", "the first entry keeps the plain name");
        assert_ne!(second, first, "the second gets another name");
        assert!(second.starts_with("a__b__c_") && is_valid(&second), "hash suffix: {second}");
        let mut again = Namer::new();
        again.name("a", "a", "b__c");
        assert_eq!(again.name("a__b", "a__b", "c"), second, "the same order gives the same names");
    }

    #[test]
    fn a_name_listed_twice_still_gets_distinct_names() {
        let mut namer = Namer::new();
        let names: Vec<String> = (0..4).map(|_| namer.name("dup", "dup", "tool")).collect();
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), 4, "every entry gets its own name: {names:?}");
        assert_eq!(names[0], "dup__tool", "the first keeps the plain name");
        assert!(names.iter().all(|n| is_valid(n)), "all valid: {names:?}");
    }

    #[test]
    fn long_names_are_cut_to_64_with_a_hash() {
        let mut namer = Namer::new();
        let long = "x".repeat(100);
        let name = namer.name("source", "source", &long);
        assert_eq!(name.len(), MAX_LEN, "cut to exactly the limit: {name}");
        assert!(is_valid(&name), "valid: {name}");
        assert!(name.starts_with("source__xxx"), "the start is kept: {name}");
        // Two long names that share their first 55 characters still differ.
        let other = namer.name("source", "source", &format!("{long}y"));
        assert_ne!(name, other, "the hash tells them apart");
        assert_eq!(other.len(), MAX_LEN);
    }

    #[test]
    fn the_limit_itself_is_kept_and_one_more_is_cut() {
        let mut namer = Namer::new();
        let at_limit = "t".repeat(MAX_LEN - "s__".len());
        assert_eq!(namer.name("s", "s", &at_limit).len(), MAX_LEN, "64 characters pass unchanged");
        let expected = format!("s__{}_{}", &at_limit[..KEPT - 3], short_hash("s", &at_limit, 0));
        assert_eq!(namer.name("s", "s", &at_limit), expected, "a second entry of the same name is hashed");
        let over = "t".repeat(MAX_LEN - "s__".len() + 1);
        let cut = namer.name("s", "s", &over);
        assert_eq!(cut.len(), MAX_LEN, "65 characters are cut: {cut}");
        assert!(cut.ends_with(&short_hash("s", &over, 0)), "with the plain hash: {cut}");
    }

    #[test]
    fn empty_and_odd_inputs_never_panic() {
        let mut namer = Namer::new();
        for name in ["", "_", "-", "🙂", "\n", &"é".repeat(80)] {
            let merged = namer.name("s", "s", name);
            assert!(is_valid(&merged), "{name:?} gives a valid name: {merged}");
        }
    }

    #[test]
    fn validity_matches_the_client_pattern() {
        assert!(is_valid("a"));
        assert!(is_valid(&"a".repeat(64)));
        assert!(!is_valid(""), "empty is invalid");
        assert!(!is_valid(&"a".repeat(65)), "65 is too long");
        assert!(!is_valid("a.b"), "dots are invalid");
    }
}
