//! The catalogue as the desktop app's window drives it: one [`Request`] in, one [`Answer`] out,
//! so that the shell's command is a translation and the steps stay the engine's, as for
//! `lanyard catalog`: search; the details of one entry (publisher, repository, transport, what it
//! needs, the ownership checks, the exact command or URL with placeholders); then an add in two
//! calls, the first with `confirmed: false` answering with the exact command or URL the answers
//! make (nothing saved, nothing run), the second saving it once the person said yes.
//!
//! Secret answers travel inward only, straight to the keychain through [`super::add`]; no
//! answer here carries a value the person typed, only the names of the values kept as secrets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Answers, Catalog, CatalogError, Check, Choice, Found, LinkView, Note, Plan, RegistryAddress, Verdict,
    may_update, offers, questions_left, sign_in_kind,
};
use crate::Engine;
use crate::ids::SourceId;
use crate::profile::ProfileFile;
use crate::secret::Secret;

/// What the window asks of the catalogue.
#[derive(Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogRequest", export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Request {
    /// The latest version of each server matching `words`, from every configured registry.
    Search { words: String },
    /// One entry; from `registry` only when given (an entry found there, or a link's). Its plan
    /// runs `choice` of its packages and remotes, else the one `lanyard catalog add` picks
    /// without `--use`.
    Details {
        registry: Option<String>,
        name: String,
        version: Option<String>,
        #[serde(default)]
        choice: Option<Choice>,
    },
    /// Adding `version` of `name` from `registry` as source `id` (or updating that source).
    Add(AddRequest),
    /// The sources whose registry entry has a newer version.
    Outdated,
    /// A `lanyard://` link the app was opened with, read: what it says and whether its registry
    /// is a configured one, with no request to any registry; [`Request::Details`] looks it up
    /// once the person said yes.
    Link { url: String },
}

/// An add, with the person's answers by question key. Deliberately not `Debug`: answers may be
/// secrets.
#[derive(Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogAdd", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AddRequest {
    pub registry: String,
    pub name: String,
    pub version: String,
    pub id: String,
    /// The package or remote to run, as the details' plan ran it; the default one without.
    #[serde(default)]
    pub choice: Option<Choice>,
    pub answers: BTreeMap<String, String>,
    /// `false`: only say exactly what would be saved; `true`: the person said yes, save it.
    pub confirmed: bool,
    /// A web page's `lanyard://` link led here: a program it runs waits for the person's
    /// approval before it may run.
    #[serde(default)]
    pub from_link: bool,
}

/// The catalogue's answer to a [`Request`].
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogAnswer", export_to = crate::TS_DIR))]
#[serde(tag = "kind", content = "content", rename_all = "camelCase")]
pub enum Answer {
    Found(SearchView),
    Details(Box<DetailsView>),
    /// What the add would save, for the person to confirm.
    Prepared(PreparedView),
    Added(AddedView),
    Outdated(OutdatedView),
    Link(LinkView),
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogSearchView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct SearchView {
    pub hits: Vec<HitView>,
    /// Registries that did not answer, documents skipped, answers from the cache.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogHitView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct HitView {
    pub registry: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub version: String,
    /// Unix seconds of the fetch, when it came from the cache.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub cached_at: Option<u64>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogDetailsView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct DetailsView {
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub hit: HitView,
    /// Whether the registry is one of the configured ones (a link may name another).
    pub registry_known: bool,
    /// The namespace of the name: `io.github.owner`, `com.example`.
    pub publisher: String,
    pub repository: Option<String>,
    pub website: Option<String>,
    /// The registry's status when it is not `active` (`deprecated`).
    pub status: Option<String>,
    /// Every version the registry lists, newest first.
    pub versions: Vec<String>,
    pub offers: Vec<OfferView>,
    /// What adding runs, when something can be added: the plan with its questions.
    pub plan: Option<PlanView>,
    /// Why nothing can be added, when nothing can.
    pub problem: Option<String>,
    pub checks: Vec<CheckView>,
    pub notes: Vec<String>,
}

/// One package or remote of the entry.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogOfferView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct OfferView {
    /// What to ask for to run this one ([`Request::Details`], [`AddRequest`]).
    pub choice: Choice,
    /// `npm`, `pypi`, `oci`, `nuget`, `mcpb`, ..., or `remote`.
    pub runs: String,
    pub target: String,
    pub transport: String,
    pub unsupported: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogPlanView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    /// `npm`, `pypi`, `oci`, `nuget` or `remote`.
    pub runs: String,
    /// The offer it runs, one of [`DetailsView::offers`].
    pub choice: Choice,
    /// Connects to a URL rather than starting a program.
    pub remote: bool,
    /// The command line or URL, with `<placeholders>` for what is asked and `<secret>` for
    /// secrets.
    pub preview: String,
    /// The source id it would get: the source made from this server, else one made from the name
    /// that no other source has.
    pub id: String,
    /// The version of the source it would update, when one was made from this server.
    pub updates: Option<String>,
    /// What that update does, in the engine's words ([`Plan::update_said`]), when it is one.
    pub update_said: Option<String>,
    /// What the person may give; an update asks only for what the source does not set yet.
    pub questions: Vec<QuestionView>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogQuestionView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct QuestionView {
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    /// Required with no default: the add cannot go on without it.
    pub must_ask: bool,
    /// Goes to the keychain.
    pub secret: bool,
    pub default: Option<String>,
    pub choices: Vec<String>,
    pub placeholder: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogCheckView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct CheckView {
    pub subject: String,
    /// `verified`, `mismatch` (someone else's package or endpoint may be behind the entry) or
    /// `unchecked`.
    pub verdict: String,
    pub detail: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogPreparedView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct PreparedView {
    pub id: String,
    pub remote: bool,
    /// Exactly the command line or URL that will be saved; no secret is in it.
    pub shown: String,
    /// The environment variables or headers whose values go to the keychain.
    pub secret_names: Vec<String>,
    /// That those values go to the keychain, in words, when there are any.
    pub secrets_kept: Option<String>,
    /// The version of the source it updates, when it updates one.
    pub updates: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogAddedView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AddedView {
    pub id: String,
    pub updated: bool,
    pub shown: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub secrets_stored: usize,
    /// The sign-in the source got: `none`, `headers` or `oauth` (then it needs Connect).
    pub auth: String,
    /// Stored disabled until the person approves what it runs (a program a link asked for).
    pub waiting_for_approval: bool,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogOutdatedView", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct OutdatedView {
    pub sources: Vec<OutdatedSource>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogOutdatedSource", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct OutdatedSource {
    pub id: String,
    pub registry: String,
    pub name: String,
    pub current: String,
    pub latest: String,
}

/// Answers `request` with `engine`'s folders and registries.
pub async fn answer(engine: &Engine, request: Request) -> Result<Answer, crate::Error> {
    let configured = || Catalog::open(engine.dirs(), None);
    Ok(match request {
        Request::Search { words } => {
            let outcome = configured()?.search(&words).await;
            Answer::Found(SearchView {
                hits: outcome
                    .hits
                    .into_iter()
                    .map(|hit| hit_view(&hit.registry, &hit.entry, hit.cached_at))
                    .collect(),
                notes: notes(outcome.notes),
            })
        }
        Request::Details { registry, name, version, choice } => {
            let catalog = only(engine, registry.as_deref())?;
            let found = catalog.find(&name, version.as_deref()).await?;
            let known = configured()?.registries().iter().any(|r| r.to_string() == found.hit.registry);
            Answer::Details(Box::new(details(&catalog, &engine.load()?, found, known, choice).await))
        }
        Request::Add(request) => add(engine, request).await?,
        Request::Link { url } => Answer::Link(read_link(engine, &url)),
        Request::Outdated => {
            let report = configured()?.outdated(&engine.load()?).await;
            let sources = report.outdated.into_iter().map(|row| OutdatedSource {
                id: row.id.to_string(),
                registry: row.registry,
                name: row.name,
                current: row.current,
                latest: row.latest,
            });
            Answer::Outdated(OutdatedView { sources: sources.collect(), notes: notes(report.notes) })
        }
    })
}

/// `url` read against the configured registries. A settings file that cannot be read configures
/// nothing here, so a link's registry is flagged rather than the link lost (the settings' error
/// shows on the next search).
fn read_link(engine: &Engine, url: &str) -> LinkView {
    let configured = Catalog::open(engine.dirs(), None).map(|c| c.registries().to_vec()).unwrap_or_default();
    LinkView::read(url, &configured)
}

/// The catalogue of `registry` alone, or of the configured registries.
fn only(engine: &Engine, registry: Option<&str>) -> Result<Catalog, CatalogError> {
    let only = registry.map(str::parse::<RegistryAddress>).transpose()?;
    Catalog::open(engine.dirs(), only)
}

fn hit_view(registry: &str, entry: &super::Entry, cached_at: Option<u64>) -> HitView {
    let server = &entry.server;
    HitView {
        registry: registry.to_owned(),
        name: server.name.clone(),
        title: server.display_name().to_owned(),
        description: server.description.clone(),
        version: server.version.clone(),
        cached_at,
    }
}

fn notes(notes: Vec<Note>) -> Vec<String> {
    notes
        .into_iter()
        .map(|note| {
            if note.text.contains(&note.registry) {
                note.text
            } else {
                format!("{}: {}", note.registry, note.text)
            }
        })
        .collect()
}

async fn details(
    catalog: &Catalog,
    file: &ProfileFile,
    found: Found,
    registry_known: bool,
    choice: Option<Choice>,
) -> DetailsView {
    let Found { hit, versions, notes: found_notes } = found;
    let server = &hit.entry.server;
    let plan = Plan::new(&hit.registry, &hit.entry, choice);
    let checks = match &plan {
        Ok(plan) => catalog.checks(&hit.entry, plan).await,
        Err(_) => Vec::new(),
    };
    let (plan, problem) = match plan {
        Ok(plan) => (Some(plan_view(file, &plan)), None),
        Err(err) => (None, Some(err.to_string())),
    };
    DetailsView {
        hit: hit_view(&hit.registry, &hit.entry, hit.cached_at),
        registry_known,
        publisher: server.name.split('/').next().unwrap_or_default().to_owned(),
        repository: server.repository.as_ref().map(|r| r.url.clone()),
        website: server.website_url.clone(),
        status: hit.entry.status().filter(|s| *s != "active").map(str::to_owned),
        versions,
        offers: offer_views(server),
        plan,
        problem,
        checks: checks.into_iter().map(check_view).collect(),
        notes: notes(found_notes),
    }
}

/// Every package and remote of `server`, each with the choice that runs it.
fn offer_views(server: &super::ServerJson) -> Vec<OfferView> {
    let view = |o: super::Offer| OfferView {
        choice: o.choice,
        runs: o.runs,
        target: o.target,
        transport: o.transport,
        unsupported: o.unsupported,
    };
    offers(server).into_iter().map(view).collect()
}

fn plan_view(file: &ProfileFile, plan: &Plan) -> PlanView {
    let id = id_for(file, plan);
    let existing = file.get(&id);
    let updates = existing.and_then(|p| p.catalog.as_ref()).map(|origin| origin.version.clone());
    let update_said = updates.as_deref().map(|from| plan.update_said(&id, from));
    let questions = questions_left(plan, existing)
        .into_iter()
        .map(|q| QuestionView {
            key: q.key.clone(),
            label: q.label.clone(),
            description: q.description.clone(),
            must_ask: q.must_ask(),
            secret: q.secret,
            default: q.default.clone(),
            choices: q.choices.clone(),
            placeholder: q.placeholder.clone(),
        })
        .collect();
    PlanView {
        runs: plan.runs.clone(),
        choice: plan.choice,
        remote: plan.is_remote(),
        preview: plan.preview(),
        id: id.to_string(),
        updates,
        update_said,
        questions,
    }
}

/// The source made from `plan`'s server, else the id made from its name with `-2`, `-3`, ...
/// until no source has it.
pub fn id_for(file: &ProfileFile, plan: &Plan) -> SourceId {
    if let Some(id) = made_from(file, &plan.name) {
        return id;
    }
    let base = plan.suggested_id();
    let numbered = (2..100).filter_map(|n| format!("{base}-{n}").parse::<SourceId>().ok());
    std::iter::once(base.clone()).chain(numbered).find(|id| file.get(id).is_none()).unwrap_or(base)
}

/// The source made from the server `name`, for an update.
pub fn made_from(file: &ProfileFile, name: &str) -> Option<SourceId> {
    file.profiles().find(|p| p.catalog.as_ref().is_some_and(|o| o.name == name)).map(|p| p.id().clone())
}

fn check_view(check: Check) -> CheckView {
    let (verdict, detail) = match check.verdict {
        Verdict::Verified(detail) => ("verified", detail),
        Verdict::Mismatch(detail) => ("mismatch", detail),
        Verdict::Unchecked(detail) => ("unchecked", detail),
    };
    CheckView { subject: check.subject, verdict: verdict.to_owned(), detail }
}

async fn add(engine: &Engine, request: AddRequest) -> Result<Answer, crate::Error> {
    let catalog = only(engine, Some(&request.registry))?;
    let found = catalog.find(&request.name, Some(&request.version)).await?;
    let plan = Plan::new(&found.hit.registry, &found.hit.entry, request.choice)?;
    let id: SourceId = request.id.trim().parse().map_err(CatalogError::from)?;
    let existing = engine.load()?.get(&id).cloned();
    if let Some(existing) = &existing {
        may_update(existing, &plan)?;
    }
    let mut answers = Answers::new();
    for (key, value) in request.answers {
        answers.set(key, Secret::new(value));
    }
    let built = plan.build(&answers, existing.as_ref().map(|p| &p.transport))?;
    if !request.confirmed {
        return Ok(Answer::Prepared(PreparedView {
            id: id.to_string(),
            remote: plan.is_remote(),
            secrets_kept: built.secrets_kept(),
            shown: built.shown,
            secret_names: built.secret_names,
            updates: existing.and_then(|p| p.catalog).map(|origin| origin.version),
        }));
    }
    let auth = match &existing {
        Some(profile) => profile.auth.clone(),
        None => sign_in_kind(&built, catalog.timeout()).await,
    };
    let added = super::add(engine, &plan, &id, &answers, auth, request.from_link).await?;
    Ok(Answer::Added(AddedView {
        id: added.id.to_string(),
        updated: added.updated,
        shown: added.shown,
        secrets_stored: added.secrets_stored,
        auth: added.auth.to_owned(),
        waiting_for_approval: added.waiting_for_approval,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Profile, Transport};

    fn echo_plan() -> Plan {
        let entry = super::super::Entry::from_value(serde_json::json!({
            "name": "io.github.o/echo", "version": "1.1.0",
            "remotes": [{"type": "streamable-http", "url": "https://echo.example/mcp"}]
        }))
        .unwrap();
        Plan::new("https://r.example", &entry, None).unwrap()
    }

    fn source(id: &str, made_from: Option<&str>) -> Profile {
        let transport = Transport::Http { url: "https://x.example/mcp".into(), headers: BTreeMap::new() };
        let mut profile = Profile::new(id.parse().unwrap(), transport);
        profile.catalog = made_from.map(|name| crate::profile::CatalogOrigin {
            registry: "https://r.example".into(),
            name: name.into(),
            version: "1.0.0".into(),
            runs: Some("remote".into()),
        });
        profile
    }

    #[test]
    fn a_new_source_gets_a_free_id_and_an_update_the_source_made_from_the_server() {
        let plan = echo_plan();
        let mut file = ProfileFile::default();
        assert_eq!(id_for(&file, &plan).as_str(), "echo");
        file.insert(source("echo", None)).unwrap();
        file.insert(source("echo-2", Some("io.github.other/echo"))).unwrap();
        assert_eq!(id_for(&file, &plan).as_str(), "echo-3", "ids other sources have are skipped");
        file.insert(source("mine", Some("io.github.o/echo"))).unwrap();
        assert_eq!(id_for(&file, &plan).as_str(), "mine", "the source made from this server is updated");
        assert_eq!(plan_view(&file, &plan).updates.as_deref(), Some("1.0.0"));
        assert_eq!(
            plan_view(&file, &plan).update_said.as_deref(),
            Some("This updates source mine from 1.0.0 to 1.1.0; its settings and secrets stay."),
            "the update is worded once, for the window and the CLI"
        );
    }

    #[test]
    fn each_offer_carries_the_choice_that_plans_it() {
        let entry = super::super::Entry::from_value(serde_json::json!({
            "name": "io.github.o/echo", "version": "1.1.0",
            "packages": [{"registryType": "npm", "identifier": "@o/echo", "version": "1.1.0",
                          "transport": {"type": "stdio"}}],
            "remotes": [{"type": "streamable-http", "url": "https://echo.example/mcp"}]
        }))
        .unwrap();
        let file = ProfileFile::default();
        let offers = offer_views(&entry.server);
        assert_eq!(
            offers.iter().map(|o| o.choice).collect::<Vec<_>>(),
            [Choice::Package(0), Choice::Remote(0)]
        );
        let default = plan_view(&file, &Plan::new("https://r.example", &entry, None).unwrap());
        assert_eq!(
            (default.choice, default.remote),
            (Choice::Package(0), false),
            "the package, without a choice"
        );
        for offer in &offers {
            let chosen =
                plan_view(&file, &Plan::new("https://r.example", &entry, Some(offer.choice)).unwrap());
            assert_eq!((chosen.choice, chosen.runs.as_str()), (offer.choice, offer.runs.as_str()));
        }
        let remote =
            plan_view(&file, &Plan::new("https://r.example", &entry, Some(Choice::Remote(0))).unwrap());
        assert_eq!((remote.preview.as_str(), remote.remote), ("https://echo.example/mcp", true));
        let request: Request = serde_json::from_value(serde_json::json!({
            "kind": "add", "registry": "https://r.example", "name": "io.github.o/echo", "version": "1.1.0",
            "id": "echo", "choice": {"kind": "remote", "index": 0}, "answers": {}, "confirmed": false
        }))
        .unwrap();
        let Request::Add(add) = request else { panic!("an add") };
        assert_eq!(add.choice, Some(Choice::Remote(0)), "the window's choice reaches the plan");
    }

    #[test]
    fn checks_read_as_their_verdicts() {
        let check = |verdict| check_view(Check { subject: "s".into(), verdict });
        assert_eq!(check(Verdict::Mismatch("other owner".into())).verdict, "mismatch");
        assert_eq!(check(Verdict::Verified("owner".into())).detail, "owner");
        assert_eq!(check(Verdict::Unchecked("oci".into())).verdict, "unchecked");
    }
}
