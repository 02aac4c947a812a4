//! Checks every `lanyard ...` command that README.md and docs/*.md show, in a fenced code block
//! or an inline code span, against the real command line: the subcommand path exists, every flag
//! belongs to that subcommand, a value written out for a flag or argument with a fixed set of
//! values is one of them, and no more arguments are given than the command takes. A newcomer
//! copies these commands first, so a renamed flag must fail a test, not them.
//!
//! It reads clap's own `Command` tree (`Cli::command()`), never `--help` text, so it sees hidden
//! aliases and value sets exactly as the parser does. Placeholders are how the docs write them:
//! `<id>` and `ID` stand for a value, `[...]` marks something optional, `...` means "and so on",
//! `a|b` lists alternatives (of a subcommand, a flag or a value), and everything after `--` is a
//! stdio server's command line.

use std::path::{Path, PathBuf};

use clap::{Arg, Command, CommandFactory};

use super::args::Cli;

/// One `lanyard` command shown in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    /// 1-based line of the document where the command starts.
    line: usize,
    /// The words after `lanyard`, quotes removed.
    words: Vec<String>,
}

impl Shown {
    fn text(&self) -> String {
        let mut text = String::from("lanyard");
        for word in &self.words {
            text.push(' ');
            text.push_str(word);
        }
        text
    }
}

/// The command line's tree with clap's own flags (`--help`, `--version`) in place.
fn cli() -> Command {
    let mut command = Cli::command();
    command.build();
    command
}

/// The `lanyard` commands of a Markdown text: in fenced code blocks (one command per line, lines
/// ending in `\` continued, several per line when laid out in columns) and in inline code spans
/// that start with `lanyard`.
fn commands_in_markdown(text: &str) -> Vec<Shown> {
    let mut found = Vec::new();
    let mut fence: Option<&str> = None;
    let mut paragraph: Vec<(usize, &str)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(marker)) => {
                spans_in_paragraph(&paragraph, &mut found);
                paragraph.clear();
                fence = Some(marker);
            }
            (Some(open), Some(marker)) if open == marker => {
                if let Some((start, joined)) = pending.take() {
                    commands_in_line(start, &joined, false, &mut found);
                }
                fence = None;
            }
            (Some(_), _) => {
                let (start, mut joined) = pending.take().unwrap_or((number, String::new()));
                match line.strip_suffix('\\') {
                    Some(continued) => {
                        joined.push_str(continued);
                        joined.push(' ');
                        pending = Some((start, joined));
                    }
                    None => {
                        joined.push_str(line);
                        commands_in_line(start, &joined, false, &mut found);
                    }
                }
            }
            (None, None) if trimmed.is_empty() => {
                spans_in_paragraph(&paragraph, &mut found);
                paragraph.clear();
            }
            (None, None) => paragraph.push((number, line)),
        }
    }
    spans_in_paragraph(&paragraph, &mut found);
    found
}

/// The commands in the inline code spans of one paragraph (a span may cross a line break).
fn spans_in_paragraph(lines: &[(usize, &str)], found: &mut Vec<Shown>) {
    let Some(&(first, _)) = lines.first() else {
        return;
    };
    let text: Vec<&str> = lines.iter().map(|(_, line)| *line).collect();
    let text = text.join("\n");
    let mut offset = 0;
    for (index, piece) in text.split('`').enumerate() {
        if index % 2 == 1 {
            let line = first + text[..offset].matches('\n').count();
            commands_in_line(line, piece, true, found);
        }
        offset += piece.len() + 1;
    }
}

/// The commands on one (joined) line. In a span only a `lanyard` at its start counts; in a code
/// block a command may also follow a pipe, `&&`, `;` or environment assignments.
fn commands_in_line(line: usize, text: &str, span: bool, found: &mut Vec<Shown>) {
    let words = shell_words(text);
    let mut segments: Vec<&[String]> = Vec::new();
    let mut start = 0;
    for (index, word) in words.iter().enumerate() {
        if matches!(word.as_str(), "|" | "||" | "&&" | ";") {
            segments.push(&words[start..index]);
            start = index + 1;
        }
    }
    segments.push(&words[start..]);
    if span {
        segments.truncate(1);
    }
    for segment in segments {
        let mut rest = segment;
        if !span {
            while let Some((first, tail)) = rest.split_first() {
                if first == "$" || is_assignment(first) {
                    rest = tail;
                } else {
                    break;
                }
            }
        }
        let Some((first, mut words)) = rest.split_first() else {
            continue;
        };
        if !is_lanyard(first) {
            continue;
        }
        // Commands laid out in columns: a bare `lanyard` starts the next one.
        while let Some(next) = words.iter().position(|word| is_lanyard(word)) {
            found.push(Shown { line, words: words[..next].to_vec() });
            words = &words[next + 1..];
        }
        found.push(Shown { line, words: words.to_vec() });
    }
}

fn is_lanyard(word: &str) -> bool {
    word.rsplit('/').next() == Some("lanyard")
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Splits a line into words the way a shell would, closely enough for documentation: quotes
/// group and are removed, a backslash takes the next character as it is, a word starting with
/// `#` starts a comment.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for inner in chars.by_ref() {
                    if inner == c {
                        break;
                    }
                    word.push(inner);
                }
            }
            '#' if !in_word => break,
            '\\' => {
                // `\|` in a Markdown table cell, `\ ` in a shell: the next character as it is.
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Why the command line would refuse this command, if it would.
fn check(root: &Command, shown: &Shown) -> Result<(), String> {
    let words = &shown.words;
    let mut commands: Vec<(String, &Command)> = vec![("lanyard".to_owned(), root)];
    let mut index = 0;
    while index < words.len() && commands.iter().all(|(_, c)| c.has_subcommands()) {
        let word = bare(&words[index]);
        if word.starts_with('-') {
            break;
        }
        if word.is_empty() || word == "..." {
            return Ok(());
        }
        let mut next = Vec::new();
        for (path, command) in &commands {
            if is_placeholder(&words[index]) {
                // `lanyard <command> --help`: whatever follows must suit every subcommand.
                next.extend(
                    command
                        .get_subcommands()
                        .filter(|sub| sub.get_name() != "help")
                        .map(|sub| (format!("{path} {}", sub.get_name()), sub)),
                );
                continue;
            }
            for name in word.split('|') {
                let Some(sub) = command.find_subcommand(name) else {
                    let known: Vec<&str> = command.get_subcommands().map(Command::get_name).collect();
                    return Err(format!(
                        "`{path}` has no subcommand `{name}` (it has: {})",
                        known.join(", ")
                    ));
                };
                next.push((format!("{path} {}", sub.get_name()), sub));
            }
        }
        commands = next;
        index += 1;
    }
    for (path, command) in &commands {
        check_arguments(path, command, &words[index..])?;
    }
    Ok(())
}

/// Checks the flags and arguments after the subcommand path.
fn check_arguments(path: &str, command: &Command, words: &[String]) -> Result<(), String> {
    let mut positionals: Vec<&Arg> = command.get_positionals().filter(|arg| !arg.is_last_set()).collect();
    positionals.sort_by_key(|arg| arg.get_index());
    let mut slot = 0;
    let mut filled = 0;
    let mut index = 0;
    while index < words.len() {
        let word = &words[index];
        index += 1;
        let plain = bare(word);
        if plain == "--" {
            if !command.get_positionals().any(Arg::is_last_set) {
                return Err(format!("`{path}` takes nothing after `--`"));
            }
            return Ok(());
        }
        if plain.is_empty() || plain == "..." || is_flags_placeholder(plain) {
            continue;
        }
        if plain.starts_with("--") {
            for alternative in plain.split('|') {
                let Some(flag) = alternative.strip_prefix("--") else {
                    return Err(format!("`{alternative}` in `{plain}` is not a flag"));
                };
                let (name, inline_value) = match flag.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (flag, None),
                };
                let Some(arg) = find_long(command, name) else {
                    return Err(format!("`{path}` has no flag `--{name}`{}", hint(command, name)));
                };
                if takes_value(arg) {
                    let value = match inline_value {
                        Some(value) => Some(value.to_owned()),
                        None if words.get(index).is_some_and(|next| !bare(next).starts_with('-')) => {
                            index += 1;
                            Some(words[index - 1].clone())
                        }
                        None => None,
                    };
                    if let Some(value) = value {
                        check_value(path, arg, &value)?;
                    }
                } else if inline_value.is_some() {
                    return Err(format!("`--{name}` of `{path}` takes no value"));
                }
            }
        } else if let Some(shorts) = plain.strip_prefix('-').filter(|s| !s.is_empty()) {
            for short in shorts.chars() {
                if find_short(command, short).is_none() {
                    return Err(format!("`{path}` has no flag `-{short}`"));
                }
            }
        } else {
            let Some(arg) = positionals.get(slot) else {
                return Err(format!("`{path}` takes no argument `{word}` here"));
            };
            check_value(path, arg, word)?;
            filled += 1;
            let room = arg.get_num_args().map_or(1, |range| range.max_values());
            if filled >= room {
                slot += 1;
                filled = 0;
            }
        }
    }
    Ok(())
}

/// A value written out for an argument with a fixed set of values must be one of them; a
/// placeholder (`<id>`, `ID`) may stand for any.
fn check_value(path: &str, arg: &Arg, word: &str) -> Result<(), String> {
    let possible = arg.get_possible_values();
    if possible.is_empty() {
        return Ok(());
    }
    let plain = bare(word);
    let listed = match plain.strip_prefix('<').and_then(|v| v.strip_suffix('>')) {
        Some(inner) if inner.contains('|') => inner,
        Some(_) => return Ok(()),
        None => plain,
    };
    let literal = |v: &str| {
        !v.is_empty() && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if !listed.split('|').all(literal) {
        return Ok(());
    }
    for value in listed.split('|') {
        if !possible.iter().any(|p| p.matches(value, false)) {
            let names: Vec<&str> = possible.iter().map(|p| p.get_name()).collect();
            return Err(format!(
                "`{value}` is not a value of {} in `{path}` (it takes: {})",
                describe(arg),
                names.join(", ")
            ));
        }
    }
    Ok(())
}

fn describe(arg: &Arg) -> String {
    match arg.get_long() {
        Some(long) => format!("`--{long}`"),
        None => format!("<{}>", arg.get_id()),
    }
}

fn find_long<'a>(command: &'a Command, name: &str) -> Option<&'a Arg> {
    command.get_arguments().find(|arg| {
        arg.get_long() == Some(name) || arg.get_all_aliases().is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(command: &Command, short: char) -> Option<&Arg> {
    command.get_arguments().find(|arg| {
        arg.get_short() == Some(short)
            || arg.get_all_short_aliases().is_some_and(|aliases| aliases.contains(&short))
    })
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|range| range.takes_values())
}

/// "did you mean" for a flag the command does not have: flags that share its first word.
fn hint(command: &Command, name: &str) -> String {
    let stem = name.split('-').next().unwrap_or(name);
    let near: Vec<String> = command
        .get_arguments()
        .filter_map(Arg::get_long)
        .filter(|long| long.starts_with(stem) || name.starts_with(long))
        .map(|long| format!("--{long}"))
        .collect();
    if near.is_empty() { String::new() } else { format!(" (it has {})", near.join(", ")) }
}

/// The word without the brackets that mark it optional or repeatable: `[--json]`, `[<id>]`,
/// `PATH]]`, `[args...]`, `Name]...`.
fn bare(word: &str) -> &str {
    let mut word = word.trim_start_matches(['[', '(']);
    loop {
        let before = word.len();
        word = word.trim_end_matches([']', ')', ',']);
        if word.len() > 3 {
            word = word.strip_suffix("...").unwrap_or(word);
        }
        if word.len() == before {
            return word;
        }
    }
}

/// `<command>`, `<subcommand>`: stands for any subcommand.
fn is_placeholder(word: &str) -> bool {
    let plain = bare(word);
    plain.starts_with('<') && plain.ends_with('>') && !plain.contains('|')
}

/// `[flags]`, `[options]`: stands for any of the command's flags.
fn is_flags_placeholder(word: &str) -> bool {
    matches!(word, "flags" | "options" | "FLAGS" | "OPTIONS")
}

/// README.md and every page in docs/.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .map(|entry| entry.expect("docs/ entry is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

/// Every problem in one document, as `file:line: command: why`.
fn problems_in(root: &Command, name: &str, text: &str) -> (usize, Vec<String>) {
    let shown = commands_in_markdown(text);
    let mut problems = Vec::new();
    for command in &shown {
        if let Err(why) = check(root, command) {
            problems.push(format!("{name}:{}: `{}`: {why}", command.line, command.text()));
        }
    }
    (shown.len(), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> Shown {
        let mut found = commands_in_markdown(&format!("```sh\n{text}\n```\n"));
        assert_eq!(found.len(), 1, "one command expected in {text:?}, found {found:?}");
        found.remove(0)
    }

    fn verdict(text: &str) -> Result<(), String> {
        check(&cli(), &shown(text))
    }

    #[test]
    fn every_command_the_readme_and_docs_show_is_one_the_cli_accepts() {
        let root = cli();
        let mut total = 0;
        let mut problems = Vec::new();
        let mut readme = 0;
        for path in documents() {
            let text = std::fs::read_to_string(&path).expect("document is readable");
            let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&path).display().to_string();
            let (count, found) = problems_in(&root, name.trim_start_matches('/'), &text);
            if name.ends_with("README.md") {
                readme = count;
            }
            total += count;
            problems.extend(found);
        }
        assert!(
            readme >= 5,
            "the README's quick start shows at least 5 commands, found {readme}: extraction broke"
        );
        assert!(total >= 50, "the docs show at least 50 commands, found {total}: extraction broke");
        assert!(
            problems.is_empty(),
            "documented commands the CLI would refuse (fix the doc, or the CLI):\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn a_wrong_flag_in_a_code_block_is_reported_with_its_line() {
        let doc = "# Title\n\nSome text.\n\n```sh\nlanyard status\nlanyard profile add x --url http://h/mcp --no-such-flag\n```\n";
        let (count, problems) = problems_in(&cli(), "fixture.md", doc);
        assert_eq!(count, 2, "both commands of the block should be found");
        assert_eq!(problems.len(), 1, "the wrong flag must fail the check: {problems:?}");
        assert!(
            problems[0].starts_with("fixture.md:7: `lanyard profile add")
                && problems[0].contains("--no-such-flag"),
            "the problem should name the place and the flag: {}",
            problems[0]
        );
    }

    #[test]
    fn a_wrong_flag_in_an_inline_span_is_reported() {
        let doc = "Run `lanyard doctor --jsn`\nto see it.\n";
        let (count, problems) = problems_in(&cli(), "fixture.md", doc);
        assert_eq!(count, 1, "the span's command should be found");
        assert_eq!(problems.len(), 1, "`--jsn` must fail the check: {problems:?}");
    }

    #[test]
    fn what_the_cli_refuses_fails_the_check() {
        for (text, expect) in [
            ("lanyard profile ad x --url u", "no subcommand `ad`"),
            ("lanyard statuss", "no subcommand `statuss`"),
            ("lanyard tools x --jsn", "no flag `--jsn`"),
            ("lanyard bridge x --all --hub", "no flag `--hub`"),
            ("lanyard profile add x --transport http|ftp", "`ftp` is not a value"),
            ("lanyard config cursr", "`cursr` is not a value"),
            ("lanyard config <claude|cursor>", "`claude` is not a value"),
            ("lanyard call x --elicit ask|maybe", "`maybe` is not a value"),
            ("lanyard status a b", "takes no argument `b`"),
            ("lanyard call a b c", "takes no argument `c`"),
            ("lanyard connect x -- npx", "takes nothing after `--`"),
            ("lanyard doctor -x", "no flag `-x`"),
            ("lanyard logs x --json=yes", "takes no value"),
            ("lanyard profile add|rename x", "no subcommand `rename`"),
            ("lanyard <command> --json", "no flag `--json`"),
            ("lanyard profile add x --transport http\\|ftp", "`ftp` is not a value"),
        ] {
            let verdict = verdict(text);
            assert!(
                verdict.as_ref().is_err_and(|why| why.contains(expect)),
                "`{text}` should fail with {expect:?}, got {verdict:?}"
            );
        }
    }

    #[test]
    fn placeholders_and_alternatives_are_read_as_the_docs_mean_them() {
        for text in [
            "lanyard profile add <id> --url <url> [--transport http|sse] [--header 'Name: value']... [--header-secret Name]...",
            "lanyard profile add <id> [--env K=V]... [--env-secret K]... [--cwd DIR] -- <command> [args...]",
            "lanyard profile edit <id> [flags] [-- <command> [args...]]",
            "lanyard profile add|edit <id> --ca-bundle <path>",
            "lanyard profile edit <id> --enable|--disable",
            "lanyard status [<id>] [--json]",
            "lanyard config <claude-desktop|cursor|vscode|zed> [--source ID]... [--write [--file PATH]]",
            "lanyard config cursor --write",
            "lanyard call ... --elicit ask|decline|accept-defaults",
            "lanyard call <id> <tool> [--args '<json>'] [--json]",
            "lanyard call --url <url> <tool> ...",
            "lanyard tools --url=http://127.0.0.1:3001/mcp",
            "lanyard <command> --help",
            "lanyard profile remove x",
            "lanyard --version",
            "lanyard -h",
            "lanyard ...",
        ] {
            assert_eq!(verdict(text), Ok(()), "`{text}` is a command the CLI accepts");
        }
    }

    #[test]
    fn commands_are_found_where_a_shell_would_run_them() {
        let doc = "\
```sh
# a comment: lanyard status --nope
printf '%s\\n' \"$KEY\" | lanyard profile add r --url https://h/mcp \\
    --header-secret X-Api-Key
LANYARD_KEYCHAIN=keyutils lanyard status --json   # trailing comment --nope
cargo run --bin lanyard -- status
lanyard profile list [--json]          lanyard profile show <id> [--json]
```
Prose with `lanyard connect <id>` and `lanyard` alone, and `lanyard-app`.
";
        let found: Vec<(usize, String)> =
            commands_in_markdown(doc).iter().map(|shown| (shown.line, shown.text())).collect();
        assert_eq!(
            found,
            vec![
                (3, "lanyard profile add r --url https://h/mcp --header-secret X-Api-Key".to_owned()),
                (5, "lanyard status --json".to_owned()),
                (7, "lanyard profile list [--json]".to_owned()),
                (7, "lanyard profile show <id> [--json]".to_owned()),
                (9, "lanyard connect <id>".to_owned()),
                (9, "lanyard".to_owned()),
            ],
            "pipes, continuations, assignments and columns are followed; comments and other programs are not"
        );
    }
}
