//! Quoting words the way a POSIX shell reads them back, for showing a command line exactly.
//!
//! A command line shown for a person to approve must not be ambiguous: `a b` as one argument
//! never reads as two, and an empty argument stays visible. Kept on the ground floor: the profile
//! model (its one-line `target`) and the launch view both show command lines.

/// `words` joined with spaces, each as a POSIX shell would need it to read one word.
pub fn shell_words<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> String {
    words.into_iter().map(|word| shell_quoted(word.as_ref())).collect::<Vec<_>>().join(" ")
}

/// `text` as a POSIX shell would need it to read one word.
pub fn shell_quoted(text: &str) -> String {
    quoted_unless(text, "")
}

/// [`shell_quoted`], with the characters of `also_plain` left bare too: a preview shows its
/// `<placeholders>` as they are, to be replaced before anything runs.
pub fn quoted_unless(text: &str, also_plain: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c) || also_plain.contains(c));
    if plain { text.to_owned() } else { format!("'{}'", text.replace('\'', r"'\''")) }
}
