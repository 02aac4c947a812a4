//! A command the window calls must be named three times: in `generate_handler!` (so Tauri
//! routes it), in the app manifest in `build.rs` (so a permission exists for it) and in the main
//! window's capability (so the window may call it). A name missing from one of them compiles and
//! only fails when the window calls it, as "command not allowed". This test reads the three lists
//! and says which name is missing where.

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The text between `start` and the first `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no `{start}`")) + start.len();
    let len = text[from..].find(end).unwrap_or_else(|| panic!("no `{end}` after `{start}`"));
    &text[from..from + len]
}

fn routed() -> BTreeSet<String> {
    let main = read("src/main.rs");
    between(&main, "generate_handler![", "]")
        .split(',')
        .filter_map(|path| path.trim().rsplit("::").next())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

fn in_manifest() -> BTreeSet<String> {
    let build = read("build.rs");
    between(&build, ".commands(&[", "]")
        .split(',')
        .map(|name| name.trim().trim_matches('"'))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

fn allowed() -> BTreeSet<String> {
    let capability: serde_json::Value =
        serde_json::from_str(&read("capabilities/main.json")).expect("capabilities/main.json");
    capability["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect()
}

#[test]
fn every_routed_command_is_in_the_manifest_and_allowed_to_the_window() {
    let routed = routed();
    assert!(routed.len() > 10, "read too few commands from main.rs: {routed:?}");
    let manifest = in_manifest();
    let allowed = allowed();
    let not_in_manifest: Vec<_> = routed.difference(&manifest).collect();
    let not_allowed: Vec<_> = routed.difference(&allowed).collect();
    let not_routed: Vec<_> = manifest.difference(&routed).collect();
    assert!(
        not_in_manifest.is_empty() && not_allowed.is_empty() && not_routed.is_empty(),
        "missing from build.rs: {not_in_manifest:?}; missing from capabilities/main.json: \
         {not_allowed:?}; in build.rs but not routed in main.rs: {not_routed:?}"
    );
}
