//! `lanyard status`: each source's state, with what to do about it.

use lanyard::Engine;

use super::args::StatusArgs;
use super::print_json;

pub async fn status(engine: &Engine, args: StatusArgs) -> anyhow::Result<()> {
    let rows = engine.status(args.id.as_ref()).await?;
    if args.json {
        return print_json(&serde_json::json!({
            "keychain": engine.vault().kind(),
            "profiles": engine.profile_store().path(),
            "sources": rows,
        }));
    }
    println!("keychain: {}   profiles: {}", engine.vault().kind(), engine.profile_store().path().display());
    if rows.is_empty() {
        println!("No sources yet. Add one with `lanyard profile add` or `lanyard import`.");
    }
    for row in rows {
        println!(
            "{:<20} {:<16} {:<18} {}",
            row.id.as_str(),
            row.transport.to_string(),
            row.state.summary(),
            row.target
        );
        if let Some(hint) = &row.hint {
            println!("{:<20} -> {hint}", "");
        }
    }
    Ok(())
}
