//! A registry on the network, read through the generic registry API that the official MCP
//! Registry serves: `GET /v0/servers` (with `search`, `version=latest`, `limit` and an opaque
//! `cursor`), `GET /v0/servers/{name}/versions` and `GET /v0/servers/{name}/versions/{version}`.
//!
//! Requests go through the same network settings as every other client (proxy, CA bundle, see
//! [`crate::net`]) and follow redirects within the registry's origin only. A listing is read
//! entry by entry: one document that does not fit the schema is skipped with a note, and the
//! rest of the page is kept.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::error::CatalogError;
use super::fetched::{Fetched, Note};
use super::model::Entry;
use crate::net::{client_builder, refused_redirect, same_origin_redirects};

/// Entries asked for per page.
const PAGE_SIZE: &str = "100";
/// A listing stops after this many pages, with a note: a registry that pages forever (or hands
/// back the same cursor) must not keep a search running.
const MAX_PAGES: usize = 50;

/// A page of a listing, before its entries are read one by one.
#[derive(Debug, Deserialize)]
struct Page {
    servers: Vec<serde_json::Value>,
    #[serde(default)]
    metadata: Option<PageMetadata>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageMetadata {
    #[serde(default)]
    next_cursor: Option<String>,
}

/// A registry reached over HTTP.
#[derive(Debug, Clone)]
pub struct HttpRegistry {
    base: Url,
    shown: String,
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpRegistry {
    /// The registry at `base`; each request gives up after `timeout`.
    pub fn new(base: Url, timeout: Duration) -> Result<Self, CatalogError> {
        let client =
            client_builder()?.redirect(same_origin_redirects()).timeout(timeout).build().map_err(|err| {
                CatalogError::Unreachable { registry: base.to_string(), reason: err.to_string() }
            })?;
        let shown = base.as_str().trim_end_matches('/').to_owned();
        Ok(Self { base, shown, client, timeout })
    }

    /// The latest version of every server whose name matches `search` (all servers without it).
    pub async fn list_latest(&self, search: Option<&str>) -> Result<Fetched, CatalogError> {
        let mut fetched = Fetched::default();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = self.url(&["v0", "servers"]);
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("version", "latest").append_pair("limit", PAGE_SIZE);
                if let Some(search) = search.filter(|s| !s.is_empty()) {
                    query.append_pair("search", search);
                }
                if let Some(cursor) = &cursor {
                    query.append_pair("cursor", cursor);
                }
            }
            let page = self.page(url, "the server listing").await?;
            self.read_entries(page.servers, &mut fetched);
            let next = page.metadata.and_then(|m| m.next_cursor).filter(|c| !c.is_empty());
            match next {
                Some(next) if cursor.as_ref() != Some(&next) => cursor = Some(next),
                Some(_) => {
                    fetched.notes.push(Note::new(
                        &self.shown,
                        "the registry handed back the same cursor twice; the listing stops there",
                    ));
                    return Ok(fetched);
                }
                None => return Ok(fetched),
            }
        }
        fetched.notes.push(Note::new(&self.shown, format!("the listing was cut after {MAX_PAGES} pages")));
        Ok(fetched)
    }

    /// Every version of `name`, newest first as the registry orders them; `None` when the
    /// registry does not know the name.
    pub async fn versions(&self, name: &str) -> Result<Option<Fetched>, CatalogError> {
        let url = self.url(&["v0", "servers", name, "versions"]);
        let what = format!("the versions of `{name}`");
        let Some(answer) = self.get_json(url, &what).await? else { return Ok(None) };
        let page: Page = serde_json::from_value(answer).map_err(|err| self.bad_answer(err))?;
        let mut fetched = Fetched::default();
        self.read_entries(page.servers, &mut fetched);
        Ok(Some(fetched))
    }

    /// One version of `name` (`latest` for the newest); `None` when there is no such version.
    pub async fn version(&self, name: &str, version: &str) -> Result<Option<Entry>, CatalogError> {
        let url = self.url(&["v0", "servers", name, "versions", version]);
        let what = format!("`{name}` {version}");
        let Some(answer) = self.get_json(url, &what).await? else { return Ok(None) };
        Entry::from_value(answer).map(Some).map_err(|reason| CatalogError::BadAnswer {
            registry: self.shown.clone(),
            reason: format!("{what}: {reason}"),
        })
    }

    fn read_entries(&self, values: Vec<serde_json::Value>, fetched: &mut Fetched) {
        for value in values {
            let named = value
                .pointer("/server/name")
                .or_else(|| value.get("name"))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            match Entry::from_value(value) {
                Ok(entry) => fetched.entries.push(entry),
                Err(reason) => {
                    let which =
                        named.map_or_else(|| "an entry without a name".to_owned(), |n| format!("`{n}`"));
                    fetched.notes.push(Note::new(&self.shown, format!("{which} was skipped: {reason}")));
                }
            }
        }
    }

    /// `base` with `segments` added to its path, each percent-encoded (a server name's `/`
    /// included, as the API asks).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn page(&self, url: Url, what: &str) -> Result<Page, CatalogError> {
        let answer = self.get_json(url, what).await?.ok_or_else(|| CatalogError::Status {
            registry: self.shown.clone(),
            status: 404,
            what: what.to_owned(),
        })?;
        serde_json::from_value(answer).map_err(|err| self.bad_answer(err))
    }

    /// The JSON answer to a GET; `None` for a 404.
    async fn get_json(&self, url: Url, what: &str) -> Result<Option<serde_json::Value>, CatalogError> {
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(CatalogError::Status {
                registry: self.shown.clone(),
                status: status.as_u16(),
                what: what.to_owned(),
            });
        }
        let body = response.bytes().await.map_err(|err| self.unreachable(&err))?;
        serde_json::from_slice(&body).map(Some).map_err(|err| self.bad_answer(err))
    }

    fn unreachable(&self, err: &reqwest::Error) -> CatalogError {
        let reason = if err.is_timeout() {
            format!("no answer within {} s", self.timeout.as_secs_f32())
        } else if let Some(refused) = refused_redirect(err) {
            refused.to_string()
        } else {
            causes(err)
        };
        CatalogError::Unreachable { registry: self.shown.clone(), reason }
    }

    fn bad_answer(&self, err: serde_json::Error) -> CatalogError {
        CatalogError::BadAnswer { registry: self.shown.clone(), reason: err.to_string() }
    }
}

/// What went wrong with a request and its causes, `: `-joined; the registry is named by the
/// caller.
fn causes(err: &reqwest::Error) -> String {
    let mut text =
        if err.is_connect() { "cannot connect".to_owned() } else { "the request failed".to_owned() };
    let mut cause = std::error::Error::source(err);
    while let Some(current) = cause {
        text.push_str(": ");
        text.push_str(&current.to_string());
        cause = current.source();
    }
    text
}
