//! An MCP registry served from the test: the generic registry API (`/v0/servers` with `search`,
//! `version=latest` and a cursor two entries a page, `/v0/servers/{name}/versions`,
//! `/v0/servers/{name}/versions/{version}`) over the `server.json` fixtures in
//! `tests/fixtures/catalog`, plus the npm and PyPI metadata the ownership checks ask for. Its
//! answers can be slowed down at will, and it records each request it got.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// Entries per page, small so that every listing pages.
const PAGE: usize = 2;

/// The fixture documents, with `{{MCP_URL}}` and `{{REGISTRY}}` filled in.
pub fn fixture_documents(mcp_url: &str, registry: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the catalogue fixtures are there")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a fixture reads");
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, text.replace("{{MCP_URL}}", mcp_url).replace("{{REGISTRY}}", registry))
        })
        .collect()
}

/// The fixtures written to a folder: the offline registry.
pub fn fixture_folder(mcp_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (name, text) in fixture_documents(mcp_url, "http://127.0.0.1:9") {
        std::fs::write(dir.path().join(name), text).expect("write a fixture");
    }
    dir
}

struct Shared {
    /// Every entry as the API answers it: `{"server": ..., "_meta": ...}`.
    entries: Vec<Value>,
    delay_ms: AtomicU64,
    requests: Mutex<Vec<String>>,
}

impl Shared {
    async fn arrive(&self, uri: &Uri) {
        self.requests.lock().expect("not poisoned").push(uri.to_string());
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.entries.iter().filter(move |e| e["server"]["name"] == name)
    }
}

/// The registry, served on 127.0.0.1 until it drops.
pub struct FixtureRegistry {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FixtureRegistry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FixtureRegistry {
    /// Serves the fixtures; remotes point at `mcp_url`.
    pub async fn start(mcp_url: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let entries = fixture_documents(mcp_url, &url)
            .into_iter()
            .map(|(_, text)| {
                let value: Value = serde_json::from_str(&text).expect("fixtures are JSON");
                if value.get("server").is_some() { value } else { json!({"server": value, "_meta": {}}) }
            })
            .collect();
        let shared =
            Arc::new(Shared { entries, delay_ms: AtomicU64::new(0), requests: Mutex::new(Vec::new()) });
        let router = Router::new()
            .route("/v0/servers", get(list))
            .route("/v0/servers/{name}/versions", get(versions))
            .route("/v0/servers/{name}/versions/{version}", get(version))
            .route("/npm/{*package}", get(npm))
            .route("/pypi/{*package}", get(pypi))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { url, shared, task }
    }

    /// Every answer from now on comes `delay` late.
    pub fn slow_down(&self, delay: Duration) {
        self.shared.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// The path and query of each request so far.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("not poisoned").clone()
    }
}

#[derive(serde::Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    search: Option<String>,
    version: Option<String>,
}

async fn list(State(shared): State<Arc<Shared>>, uri: Uri, Query(query): Query<ListQuery>) -> Response {
    shared.arrive(&uri).await;
    let search = query.search.unwrap_or_default().to_lowercase();
    let latest_only = query.version.as_deref() == Some("latest");
    let matching: Vec<&Value> = shared
        .entries
        .iter()
        .filter(|e| e["server"]["name"].as_str().unwrap_or_default().to_lowercase().contains(&search))
        .filter(|e| {
            !latest_only || e["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] != false
        })
        .collect();
    let start: usize = match query.cursor.as_deref().map(str::parse) {
        None => 0,
        Some(Ok(start)) => start,
        Some(Err(_)) => return (StatusCode::BAD_REQUEST, "bad cursor").into_response(),
    };
    let page: Vec<&Value> = matching.iter().skip(start).take(PAGE).copied().collect();
    let next = (start + PAGE < matching.len()).then(|| (start + PAGE).to_string());
    Json(json!({"servers": page, "metadata": {"count": page.len(), "nextCursor": next}})).into_response()
}

async fn versions(State(shared): State<Arc<Shared>>, uri: Uri, UrlPath(name): UrlPath<String>) -> Response {
    shared.arrive(&uri).await;
    let all: Vec<&Value> = shared.named(&name).collect();
    if all.is_empty() {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "Server not found"}))).into_response();
    }
    Json(json!({"servers": all, "metadata": {"count": all.len()}})).into_response()
}

async fn version(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    UrlPath((name, version)): UrlPath<(String, String)>,
) -> Response {
    shared.arrive(&uri).await;
    let found = shared.named(&name).find(|e| {
        e["server"]["version"] == version.as_str()
            || (version == "latest"
                && e["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] != false)
    });
    match found {
        Some(entry) => Json(entry.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "Server not found"}))).into_response(),
    }
}

/// npm's version document for the one package the fixtures name: its `mcpName`.
async fn npm(State(shared): State<Arc<Shared>>, uri: Uri, UrlPath(package): UrlPath<String>) -> Response {
    shared.arrive(&uri).await;
    if package == "@modelcontextprotocol/server-everything/2026.8.31" {
        return Json(json!({
            "name": "@modelcontextprotocol/server-everything",
            "version": "2026.8.31",
            "mcpName": "io.github.modelcontextprotocol/server-everything"
        }))
        .into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

/// PyPI's JSON for the one package the fixtures name: a description with its `mcp-name:`.
async fn pypi(State(shared): State<Arc<Shared>>, uri: Uri, UrlPath(package): UrlPath<String>) -> Response {
    shared.arrive(&uri).await;
    if package == "mcp-server-time/2026.10.19/json" {
        return Json(json!({"info": {
            "name": "mcp-server-time",
            "description": "# Time MCP Server\n\nmcp-name: io.github.modelcontextprotocol/time\n"
        }}))
        .into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}
