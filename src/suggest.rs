//! "Did you mean ...?": the names closest to one a person mistyped, for source ids and tool
//! names alike. One place, so every command suggests by the same rule.
//!
//! The rule: Jaro-Winkler similarity (which favours a shared start, as typos at the end of a
//! name are the common ones), the same measure clap uses for mistyped flags, above a threshold
//! that keeps unrelated names out and close to the best one, best first.

use std::fmt;

/// Below this similarity a name is not offered as what was meant.
const THRESHOLD: f64 = 0.8;

/// Names this much less similar than the best are left out: one clear match is offered alone,
/// not with the names that merely share its start.
const MARGIN: f64 = 0.05;

/// At most this many names are offered.
const MAX: usize = 3;

/// The names among `candidates` close to `wanted`, best first, at most three; empty when none is
/// close. `wanted` itself is never offered back.
pub fn closest<'a, S: AsRef<str> + ?Sized + 'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a S>,
) -> Vec<String> {
    let folded = wanted.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(AsRef::as_ref)
        .filter(|candidate| *candidate != wanted)
        .map(|candidate| (strsim::jaro_winkler(&folded, &candidate.to_lowercase()), candidate))
        .filter(|(score, _)| *score >= THRESHOLD)
        .collect();
    // Best first; equal scores keep the candidates' own order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best = scored.first().map_or(0.0, |(score, _)| *score);
    let mut names: Vec<String> = Vec::new();
    for (_, name) in scored.into_iter().filter(|(score, _)| *score >= best - MARGIN) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names.truncate(MAX);
    names
}

/// The end of a "no such name" message: `` did you mean `a`? <then>`` (or `` `a`, `b` or `c`?``)
/// when there are names to offer, else just `then` (what to do, e.g. a command that lists the
/// names there are; may be empty). Starts with `"; "` so it can follow any message.
pub struct DidYouMean<'a, T> {
    pub near: &'a [String],
    pub then: T,
}

impl<T: fmt::Display> fmt::Display for DidYouMean<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let then = self.then.to_string();
        if !self.near.is_empty() {
            write!(f, "; did you mean {}?", quoted_list(self.near, "or"))?;
            if !then.is_empty() {
                write!(f, " {then}")?;
            }
            return Ok(());
        }
        if then.is_empty() { Ok(()) } else { write!(f, "; {then}") }
    }
}

/// `names` in backticks, as a sentence lists them: `` `a` ``, `` `a` and `b` ``,
/// `` `a`, `b` and `c` `` (with `conjunction`, "and" or "or", before the last).
pub fn quoted_list(names: &[impl fmt::Display], conjunction: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_miss_is_offered_and_an_unrelated_name_is_not() {
        let ids = ["everything", "github", "files"];
        assert_eq!(closest("everythin", &ids), vec!["everything"], "a dropped letter is a near miss");
        assert_eq!(closest("gihtub", &ids), vec!["github"], "swapped letters are a near miss");
        assert!(closest("weather", &ids).is_empty(), "nothing close: nothing offered");
        assert!(closest("github", &ids).is_empty(), "the exact name is not offered back");
    }

    #[test]
    fn a_clear_match_is_offered_alone() {
        let tools = ["get-sum", "get-env", "get-resource-links"];
        assert_eq!(closest("get-sun", &tools), vec!["get-sum"], "names sharing only a start stay out");
        let ties = ["tool-a", "tool-b"];
        assert_eq!(closest("tool-c", &ties), vec!["tool-a", "tool-b"], "equally close names are all offered");
    }

    #[test]
    fn the_best_comes_first_and_case_does_not_hide_a_match() {
        let tools = ["get-sum", "echo", "get-env", "echo-twice"];
        let offered = closest("ecoh", &tools);
        assert_eq!(offered.first().map(String::as_str), Some("echo"), "the closest first: {offered:?}");
        assert_eq!(closest("ECHO", &tools).first().map(String::as_str), Some("echo"), "case is ignored");
    }

    #[test]
    fn did_you_mean_reads_as_a_sentence() {
        let said = |near: &[String]| DidYouMean { near, then: "`x list` lists them" }.to_string();
        assert_eq!(said(&[]), "; `x list` lists them", "nothing to offer: only what to do");
        assert_eq!(said(&["a".into()]), "; did you mean `a`? `x list` lists them");
        assert_eq!(
            said(&["a".into(), "b".into(), "c".into()]),
            "; did you mean `a`, `b` or `c`? `x list` lists them"
        );
        assert_eq!(DidYouMean { near: &["a".into()], then: "" }.to_string(), "; did you mean `a`?");
        assert_eq!(DidYouMean { near: &[], then: "" }.to_string(), "", "nothing at all to say");
    }
}
