//! The merged server's MCP handler: merged lists out, routed calls in.
//!
//! [`Merged`] is shared by every agent session (one per stdio bridge, one per HTTP session of
//! `lanyard serve`), so all sessions see the same upstream connections and the same names. The
//! routing tables are replaced whole by each list and read under a short lock that is never held
//! across an `.await`. A call whose name is in no table (an agent that calls without listing,
//! or a table from before a change) lists once more before giving up.

#![expect(
    deprecated,
    reason = "logging and resource subscriptions are deprecated by SEP-2577, but agents of earlier revisions still use them"
)]

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::join_all;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, GetPromptRequestParams,
    GetPromptResponse, Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, Prompt, ReadResourceRequestParams, ReadResourceResponse,
    Reference, Resource, ResourceUpdatedNotificationParam, ServerCapabilities, ServerConfig,
    ServerNotification, SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, Tool,
    UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, Peer, RequestContext, SubscriptionContext, SubscriptionSendError};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::{debug, warn};

use super::error::MergedError;
use super::logs::{self, Level, SourceLog};
use super::relay;
use super::rights;
use super::routing::{self, Owners, Route, Table};
use super::sources::Sources;
use crate::agents::{Access, Outcome};
use crate::bridge::profile_watch::ProfileWatch;
use crate::ids::SourceId;
use crate::upstream::{CallEvent, CallingAgent, ListChanged, Upstream, UpstreamError};

const INSTRUCTIONS: &str = "Every enabled Lanyard source in one server. Tools and prompts are named \
`<source>__<name>`; resources keep their own URIs.";

/// The upstreams and the routing tables of the last lists.
pub(crate) struct Merged {
    sources: Arc<Sources>,
    tools: Mutex<Arc<Table>>,
    /// The merged tools with an argument that also travels in an `Mcp-Param-*` header (SEP-2243),
    /// by merged name, as last listed: the HTTP layer checks an agent's headers against them.
    headed: Mutex<Arc<HashMap<String, Tool>>>,
    prompts: Mutex<Arc<Table>>,
    resources: Mutex<Arc<Owners>>,
    /// Resource template URI -> the source that listed it, for completions of its variables.
    templates: Mutex<Arc<Owners>>,
    /// Resource URI -> how many agent sessions subscribed to it. The source is asked by the
    /// first and told to stop by the last, so one agent leaving ends no other's subscription.
    /// Held across the source's answer, so a subscribe and an unsubscribe never cross.
    subscribers: tokio::sync::Mutex<HashMap<String, usize>>,
}

/// Which capability a source must have declared for a list to be asked of it.
#[derive(Clone, Copy)]
enum Offer {
    Tools,
    Prompts,
    Resources,
}

/// Whether `upstream` declared `offer` (a server that declared nothing is asked).
fn declares(upstream: &Upstream, offer: Offer) -> bool {
    upstream.server_info().is_none_or(|info| match offer {
        Offer::Tools => info.capabilities.tools.is_some(),
        Offer::Prompts => info.capabilities.prompts.is_some(),
        Offer::Resources => info.capabilities.resources.is_some(),
    })
}

/// What a merged name stands for.
#[derive(Clone, Copy)]
enum Named {
    Tool,
    Prompt,
}

impl Merged {
    pub(crate) fn new(engine: Arc<crate::Engine>, profiles: Arc<ProfileWatch>) -> Self {
        Self {
            sources: Arc::new(Sources::new(engine, profiles)),
            tools: Mutex::default(),
            headed: Mutex::default(),
            prompts: Mutex::default(),
            resources: Mutex::default(),
            templates: Mutex::default(),
            subscribers: tokio::sync::Mutex::default(),
        }
    }

    pub(crate) fn sources(&self) -> &Arc<Sources> {
        &self.sources
    }

    /// The connected sources that declared `offer` (a server that declared nothing is asked).
    async fn offering(&self, offer: Offer) -> Result<Vec<(SourceId, Arc<Upstream>)>, MergedError> {
        let connected = self.sources.connected().await?;
        Ok(connected
            .into_iter()
            // A source withheld whole lists no prompts or resources (its tools say so themselves).
            .filter(|(_, upstream)| matches!(offer, Offer::Tools) || upstream.source_withheld().is_none())
            .filter(|(_, upstream)| declares(upstream, offer))
            .collect())
    }

    /// Why a connected source that `may_use` allows and that declared `offer` gives agents none
    /// of it: withheld whole (`block` with a tool change waiting). The first such, in id order.
    async fn blocked_offering(
        &self,
        offer: Offer,
        may_use: impl Fn(&SourceId) -> bool,
    ) -> Result<Option<UpstreamError>, MergedError> {
        let connected = self.sources.connected().await?;
        Ok(connected
            .into_iter()
            .filter(|(id, upstream)| may_use(id) && declares(upstream, offer))
            .find_map(|(_, upstream)| upstream.source_withheld()))
    }

    /// Asks every source offering `offer` for a list at once; a source whose list fails is left
    /// out with the reason logged.
    async fn gather<T, F, Fut>(
        &self,
        offer: Offer,
        what: &str,
        list: F,
    ) -> Result<Vec<(SourceId, Vec<T>)>, MergedError>
    where
        F: Fn(Arc<Upstream>) -> Fut,
        Fut: Future<Output = Result<Vec<T>, UpstreamError>>,
    {
        let sources = self.offering(offer).await?;
        let lists = join_all(sources.into_iter().map(|(id, upstream)| {
            let listed = list(upstream);
            async move { (id, listed.await) }
        }))
        .await;
        Ok(lists
            .into_iter()
            .filter_map(|(id, listed)| match listed {
                Ok(items) => Some((id, items)),
                Err(err) => {
                    warn!(source = %id, "{what} left out of the merged list: {err}");
                    None
                }
            })
            .collect())
    }

    pub(crate) async fn list_tools(&self) -> Result<Vec<Tool>, MergedError> {
        let lists = self.gather(Offer::Tools, "tools", |u| async move { u.list_tools().await }).await?;
        let prefixes = self.sources.merged_prefixes();
        let (tools, table) = routing::merge(
            lists,
            |id| prefix_of(&prefixes, id),
            |tool: &Tool| tool.name.to_string(),
            |tool, name| tool.name = Cow::Owned(name),
        );
        debug!(tools = tools.len(), "merged tool list");
        *lock(&self.tools) = Arc::new(table);
        let headed = tools.iter().filter(|tool| has_param_header(&tool.input_schema));
        *lock(&self.headed) = Arc::new(headed.map(|tool| (tool.name.to_string(), tool.clone())).collect());
        Ok(tools)
    }

    pub(crate) async fn list_prompts(&self) -> Result<Vec<Prompt>, MergedError> {
        let lists = self.gather(Offer::Prompts, "prompts", |u| async move { u.list_prompts().await }).await?;
        let prefixes = self.sources.merged_prefixes();
        let (prompts, table) = routing::merge(
            lists,
            |id| prefix_of(&prefixes, id),
            |prompt: &Prompt| prompt.name.clone(),
            |prompt, name| prompt.name = name,
        );
        *lock(&self.prompts) = Arc::new(table);
        Ok(prompts)
    }

    pub(crate) async fn list_resources(&self) -> Result<Vec<Resource>, MergedError> {
        let lists =
            self.gather(Offer::Resources, "resources", |u| async move { u.list_resources().await }).await?;
        let (resources, owners) = routing::merge_resources(lists);
        *lock(&self.resources) = Arc::new(owners);
        Ok(resources)
    }

    pub(crate) async fn list_resource_templates(
        &self,
    ) -> Result<Vec<rmcp::model::ResourceTemplate>, MergedError> {
        let lists =
            self.gather(Offer::Resources, "resource templates", |u| async move {
                u.list_resource_templates().await
            })
            .await?;
        let (templates, owners) = routing::merge_templates(lists);
        *lock(&self.templates) = Arc::new(owners);
        Ok(templates)
    }

    /// Asks the source of a merged prompt, or of a resource template, to complete one of its
    /// arguments (`completion/complete`); the prompt is named to the source by its own name.
    pub(crate) async fn complete(
        &self,
        mut params: CompleteRequestParams,
    ) -> Result<CompleteResult, MergedError> {
        let source = match &mut params.r#ref {
            Reference::Prompt(prompt) => {
                let route = self.route(Named::Prompt, &prompt.name).await?;
                prompt.name = route.name;
                route.source
            }
            Reference::Resource(template) => {
                let mut owner = lock(&self.templates).get(&template.uri).cloned();
                if owner.is_none() {
                    self.list_resource_templates().await?;
                    owner = lock(&self.templates).get(&template.uri).cloned();
                }
                owner.ok_or_else(|| MergedError::UnknownResource { uri: template.uri.clone() })?
            }
            _ => return Err(MergedError::UnknownReference),
        };
        let upstream = self.sources.get(&source).await?;
        match upstream.complete(params).await {
            Ok(result) => Ok(result),
            Err(err) => Err(self.refusal(&source, err).await),
        }
    }

    /// Where merged tool `name` leads (see [`Self::route`]).
    pub(crate) async fn tool_route(&self, name: &str) -> Result<Route, MergedError> {
        self.route(Named::Tool, name).await
    }

    /// Where merged prompt `name` leads (see [`Self::route`]).
    pub(crate) async fn prompt_route(&self, name: &str) -> Result<Route, MergedError> {
        self.route(Named::Prompt, name).await
    }

    /// The routes of the last tool list (for filtering it by an agent's rights).
    pub(crate) fn tool_table(&self) -> Arc<Table> {
        Arc::clone(&lock(&self.tools))
    }

    /// The routes of the last prompt list.
    pub(crate) fn prompt_table(&self) -> Arc<Table> {
        Arc::clone(&lock(&self.prompts))
    }

    /// The owners of the last resource list.
    pub(crate) fn resource_owners(&self) -> Arc<Owners> {
        Arc::clone(&lock(&self.resources))
    }

    /// The source that listed resource `uri` (listing again when none did yet).
    pub(crate) async fn owner_of_resource(&self, uri: &str) -> Result<Option<SourceId>, MergedError> {
        self.resource_owner(uri).await
    }

    /// Where a merged tool or prompt name leads: the table of the last list, else a fresh list.
    async fn route(&self, kind: Named, name: &str) -> Result<Route, MergedError> {
        let table = |merged: &Self| match kind {
            Named::Tool => Arc::clone(&lock(&merged.tools)),
            Named::Prompt => Arc::clone(&lock(&merged.prompts)),
        };
        if let Some(route) = table(self).get(name) {
            return Ok(route.clone());
        }
        match kind {
            Named::Tool => drop(self.list_tools().await?),
            Named::Prompt => drop(self.list_prompts().await?),
        }
        if let Some(route) = table(self).get(name) {
            return Ok(route.clone());
        }
        // Not listed: if the name belongs to a source that is down or withheld whole, or is a tool
        // withheld until the person approves it, say why.
        if let Some(id) = self.sources.owner_of(name).await {
            let upstream = self.sources.get(&id).await?;
            if let Some(withheld) = upstream.source_withheld() {
                return Err(crate::Error::from(withheld).into());
            }
            let prefix = self.sources.merged_prefixes().get(&id).cloned().unwrap_or_else(|| id.to_string());
            let own = name.strip_prefix(&prefix).and_then(|rest| rest.strip_prefix(super::naming::SEPARATOR));
            if let (Named::Tool, Some(withheld)) = (kind, own.and_then(|own| upstream.withheld(own))) {
                return Err(crate::Error::from(withheld).into());
            }
        }
        Err(match kind {
            Named::Tool => MergedError::UnknownTool { name: name.to_owned() },
            Named::Prompt => MergedError::UnknownPrompt { name: name.to_owned() },
        })
    }

    /// Calls a merged tool on its source; what the source sends about the call comes on
    /// `events`, and `cancel` tells the source the agent gave up (see [`super::relay`]).
    pub(crate) async fn call_tool_relayed(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        agent: &CallingAgent,
        events: mpsc::Sender<CallEvent>,
        cancel: &CancellationToken,
    ) -> Result<CallToolResponse, MergedError> {
        let route = self.route(Named::Tool, name).await?;
        let upstream = self.sources.get(&route.source).await?;
        match upstream.call_tool_relayed(&route.name, arguments, agent, events, cancel).await {
            Ok(result) => Ok(result),
            Err(err) => Err(self.refusal(&route.source, err).await),
        }
    }

    pub(crate) async fn get_prompt(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        agent: &CallingAgent,
    ) -> Result<GetPromptResponse, MergedError> {
        let route = self.route(Named::Prompt, name).await?;
        let upstream = self.sources.get(&route.source).await?;
        if let Some(withheld) = upstream.source_withheld() {
            return Err(crate::Error::from(withheld).into());
        }
        match upstream.get_prompt_for(&route.name, arguments, agent).await {
            Ok(result) => Ok(result),
            Err(err) => Err(self.refusal(&route.source, err).await),
        }
    }

    /// Reads a resource from the source that listed it; a URI nobody listed is tried on every
    /// source that offers resources, in id order, and the first answer wins.
    /// Reads `uri` from the source that listed it, or, for a URI nobody listed (one built from a
    /// resource template), from the first source that offers resources, `may_use` allows, and
    /// can read it: an agent limited to some sources never reaches the others this way either.
    pub(crate) async fn read_resource(
        &self,
        uri: &str,
        may_use: impl Fn(&SourceId) -> bool,
    ) -> Result<rmcp::model::ReadResourceResult, MergedError> {
        if let Some(id) = self.resource_owner(uri).await? {
            let upstream = self.sources.get(&id).await?;
            if let Some(withheld) = upstream.source_withheld() {
                return Err(crate::Error::from(withheld).into());
            }
            return match upstream.read_resource(uri).await {
                Ok(result) => Ok(result),
                Err(err) => Err(self.refusal(&id, err).await),
            };
        }
        for (id, upstream) in self.offering(Offer::Resources).await?.into_iter().filter(|(id, _)| may_use(id))
        {
            match upstream.read_resource(uri).await {
                Ok(result) => return Ok(result),
                Err(err) => debug!(source = %id, "the source could not read an unlisted URI: {err}"),
            }
        }
        // A source withheld whole lists no resources, so its URIs have no owner here: rather than
        // "no such resource", say which source is withheld and what releases it.
        if let Some(withheld) = self.blocked_offering(Offer::Resources, may_use).await? {
            return Err(crate::Error::from(withheld).into());
        }
        Err(MergedError::UnknownResource { uri: uri.to_owned() })
    }

    /// The owners of the last resource template list (by URI template).
    pub(crate) fn template_owners(&self) -> Arc<Owners> {
        Arc::clone(&lock(&self.templates))
    }

    /// The source that listed resource template `uri_template` (listing again when none did yet).
    pub(crate) async fn owner_of_template(
        &self,
        uri_template: &str,
    ) -> Result<Option<SourceId>, MergedError> {
        if let Some(id) = lock(&self.templates).get(uri_template) {
            return Ok(Some(id.clone()));
        }
        self.list_resource_templates().await?;
        Ok(lock(&self.templates).get(uri_template).cloned())
    }

    /// The source that listed `uri`: the table of the last list, else a fresh list.
    async fn resource_owner(&self, uri: &str) -> Result<Option<SourceId>, MergedError> {
        if let Some(id) = lock(&self.resources).get(uri) {
            return Ok(Some(id.clone()));
        }
        self.list_resources().await?;
        Ok(lock(&self.resources).get(uri).cloned())
    }

    /// One more agent session wants `uri`'s updates; the source that listed it is asked on the
    /// first (`resources/subscribe`).
    pub(crate) async fn subscribe(&self, uri: &str) -> Result<(), MergedError> {
        let mut subscribers = self.subscribers.lock().await;
        if let Some(count) = subscribers.get_mut(uri) {
            *count += 1;
            return Ok(());
        }
        let id = self
            .resource_owner(uri)
            .await?
            .ok_or_else(|| MergedError::UnknownResource { uri: uri.to_owned() })?;
        let upstream = self.sources.get(&id).await?;
        if let Err(err) = upstream.subscribe(uri).await {
            return Err(self.refusal(&id, err).await);
        }
        subscribers.insert(uri.to_owned(), 1);
        Ok(())
    }

    /// One agent session less wants `uri`'s updates; the source is told to stop on the last.
    pub(crate) async fn unsubscribe(&self, uri: &str) -> Result<(), MergedError> {
        let mut subscribers = self.subscribers.lock().await;
        match subscribers.get_mut(uri) {
            Some(count) if *count > 1 => {
                *count -= 1;
                return Ok(());
            }
            Some(_) => {
                subscribers.remove(uri);
            }
            // Never subscribed: nothing to undo.
            None => return Ok(()),
        }
        let Some(id) = self.resource_owner(uri).await? else { return Ok(()) };
        let upstream = self.sources.get(&id).await?;
        match upstream.unsubscribe(uri).await {
            Ok(()) => Ok(()),
            Err(err) => Err(self.refusal(&id, err).await),
        }
    }

    /// An upstream error in the engine's words (a `403 insufficient_scope` becomes "needs more
    /// scope", as for `lanyard call`).
    async fn refusal(&self, id: &SourceId, err: UpstreamError) -> MergedError {
        let engine = self.sources.engine();
        match engine.profile(id) {
            Ok(profile) => engine.refusal(&profile, err).await.into(),
            Err(_) => crate::Error::from(err).into(),
        }
    }
}

/// A listed source's merged prefix; its id if its slot went while the list was made.
fn prefix_of(prefixes: &HashMap<SourceId, String>, id: &SourceId) -> String {
    prefixes.get(id).cloned().unwrap_or_else(|| id.to_string())
}

/// Whether an input schema annotates a property with `x-mcp-header`, at any depth.
fn has_param_header(schema: &serde_json::Map<String, serde_json::Value>) -> bool {
    fn mentions(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(object) => {
                object.contains_key("x-mcp-header") || object.values().any(mentions)
            }
            serde_json::Value::Array(items) => items.iter().any(mentions),
            _ => false,
        }
    }
    schema.values().any(mentions)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One agent session's handler. Dropping it (the session ended) stops its change forwarder.
pub(crate) struct MergedServer {
    merged: Arc<Merged>,
    /// The agent served: fixed for a stdio session; `None` on `/mcp`, where each request carries
    /// the agent the door admitted (see [`rights`](super::rights)).
    agent: Option<Arc<Access>>,
    /// Subscribed when the session is made, so a change that comes before the agent's
    /// `initialized` is still told once it is.
    changes: Mutex<Option<broadcast::Receiver<ListChanged>>>,
    /// The sources' log messages, subscribed like `changes`.
    logs: Mutex<Option<broadcast::Receiver<SourceLog>>>,
    /// The sources' resource updates, subscribed like `changes`; the agent is told of those in
    /// `subscribed`.
    updates: Mutex<Option<broadcast::Receiver<ResourceUpdatedNotificationParam>>>,
    /// The resource URIs this agent subscribed to.
    subscribed: Arc<Mutex<HashSet<String>>>,
    /// The lowest level this agent wants log messages at (`logging/setLevel`); all until it says.
    level: watch::Sender<Level>,
    session: CancellationToken,
    _ended: DropGuard,
}

impl MergedServer {
    pub(crate) fn new(merged: Arc<Merged>, agent: Option<Arc<Access>>) -> Self {
        let changes = Mutex::new(Some(merged.sources().changes()));
        let logs = Mutex::new(Some(merged.sources().logs()));
        let updates = Mutex::new(Some(merged.sources().resource_updates()));
        let session = CancellationToken::new();
        let _ended = session.clone().drop_guard();
        Self {
            merged,
            agent,
            changes,
            logs,
            updates,
            subscribed: Arc::default(),
            level: watch::channel(Level::default()).0,
            session,
            _ended,
        }
    }
}

/// Sends the agent a `list_changed` for every change an upstream reports, until the session ends.
impl Drop for MergedServer {
    /// The session ended: its subscriptions end too (the sources are told once no other
    /// session wants the URI).
    fn drop(&mut self) {
        let uris: Vec<String> = lock(&self.subscribed).drain().collect();
        if uris.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let merged = Arc::clone(&self.merged);
        runtime.spawn(async move {
            for uri in uris {
                if let Err(err) = merged.unsubscribe(&uri).await {
                    debug!(%uri, "could not end a subscription of a session that ended: {err}");
                }
            }
        });
    }
}

/// Tells the agent of the resource updates of the URIs it subscribed to, until the session ends.
async fn forward_updates(
    peer: Peer<RoleServer>,
    mut updates: broadcast::Receiver<ResourceUpdatedNotificationParam>,
    subscribed: Arc<Mutex<HashSet<String>>>,
    ended: CancellationToken,
) {
    loop {
        let update = tokio::select! {
            () = ended.cancelled() => return,
            update = updates.recv() => update,
        };
        let update = match update {
            Ok(update) => update,
            Err(broadcast::error::RecvError::Lagged(lost)) => {
                debug!(lost, "resource updates dropped; the agent fell behind");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if !lock(&subscribed).contains(&update.uri) {
            continue;
        }
        if let Err(err) = peer.notify_resource_updated(update).await {
            debug!(%err, "could not tell the agent a resource changed; the session is gone");
            return;
        }
    }
}

async fn forward_changes(
    peer: Peer<RoleServer>,
    mut changes: broadcast::Receiver<ListChanged>,
    ended: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            () = ended.cancelled() => return,
            change = changes.recv() => change,
        };
        let sent = match change {
            Ok(ListChanged::Prompts) => peer.notify_prompt_list_changed().await,
            Ok(ListChanged::Resources) => peer.notify_resource_list_changed().await,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => peer.notify_tool_list_changed().await,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if let Err(err) = sent {
            debug!(%err, "could not tell the agent a list changed; the session is gone");
            return;
        }
    }
}

impl ServerHandler for MergedServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_resources_list_changed()
            .enable_logging()
            .enable_completions()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("lanyard", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        if let Some(changes) = lock(&self.changes).take() {
            tokio::spawn(forward_changes(context.peer.clone(), changes, self.session.clone()));
        }
        if let Some(updates) = lock(&self.updates).take() {
            let subscribed = Arc::clone(&self.subscribed);
            tokio::spawn(forward_updates(context.peer.clone(), updates, subscribed, self.session.clone()));
        }
        if let Some(messages) = lock(&self.logs).take() {
            tokio::spawn(logs::forward(context.peer, messages, self.level.subscribe(), self.session.clone()));
        }
    }

    /// 2026-07-28 agents have no session to push to: they ask for list changes with
    /// `subscriptions/listen`, and get them for as long as that request stays open.
    fn accepted_subscription_filter(&self, _requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(
            SubscriptionFilter::builder()
                .tools_list_changed()
                .prompts_list_changed()
                .resources_list_changed()
                .build(),
        )
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.merged.sources().changes();
        loop {
            let change = tokio::select! {
                () = subscription.cancelled() => return Ok(()),
                () = self.session.cancelled() => return Ok(()),
                change = changes.recv() => change,
            };
            let notification = match change {
                Ok(ListChanged::Prompts) => {
                    ServerNotification::PromptListChangedNotification(Default::default())
                }
                Ok(ListChanged::Resources) => {
                    ServerNotification::ResourceListChangedNotification(Default::default())
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    ServerNotification::ToolListChangedNotification(Default::default())
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            };
            match subscription.sink().send(notification).await {
                // The agent did not ask for this kind of change.
                Ok(()) | Err(SubscriptionSendError::NotificationNotAccepted(_)) => {}
                Err(err) => {
                    debug!(%err, "the agent's subscription ended");
                    return Ok(());
                }
            }
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.level.send_replace(Level::from(request.level));
        Ok(())
    }

    /// What the HTTP layer checks an agent's `Mcp-Param-*` headers against (SEP-2243): only the
    /// tools that have such an argument, as last listed; for any other name it checks nothing.
    fn get_tool(&self, name: &str) -> Option<Tool> {
        lock(&self.merged.headed).get(name).cloned()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        let mut tools = self.merged.list_tools().await?;
        if !access.is_full() {
            let table = self.merged.tool_table();
            tools
                .retain(|tool| table.get(&tool.name).is_some_and(|r| access.allows_tool(&r.source, &r.name)));
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        let route = self.merged.tool_route(&request.name).await?;
        let call_log = self.merged.sources().engine().call_log();
        let started = rights::started();
        if let Some(lack) = access.tool_lack(&route.source, &route.name) {
            call_log.finished(access.name(), &route.source, &route.name, started, Outcome::Refused);
            return Err(rights::refused(&lack));
        }
        let rounds =
            relay::input_rounds(&context, request.input_responses.take(), request.request_state.take());
        let CallToolRequestParams { name, arguments, .. } = request;
        let agent = CallingAgent { declared: relay::agent_capabilities(&context), rounds };
        let call = |events| self.merged.call_tool_relayed(&name, arguments, &agent, events, &context.ct);
        let answer = relay::call_tool(&context, call).await;
        call_log.finished(access.name(), &route.source, &route.name, started, rights::outcome_of(&answer));
        Ok(answer?)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        if !access.prompts() {
            return Ok(ListPromptsResult::with_all_items(Vec::new()));
        }
        let mut prompts = self.merged.list_prompts().await?;
        if !access.is_full() {
            let table = self.merged.prompt_table();
            prompts.retain(|prompt| table.get(&prompt.name).is_some_and(|r| access.allows_source(&r.source)));
        }
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        if !access.is_full() {
            match &request.r#ref {
                Reference::Prompt(prompt) => {
                    let route = self.merged.prompt_route(&prompt.name).await?;
                    rights::may_prompt(&access, &route.source)?;
                }
                Reference::Resource(template) => {
                    let owner = self.merged.owner_of_template(&template.uri).await?;
                    rights::may_resource(&access, owner.as_ref())?;
                }
                _ => rights::may_resource(&access, None)?,
            }
        }
        Ok(self.merged.complete(request).await?)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        let route = self.merged.prompt_route(&request.name).await?;
        let call_log = self.merged.sources().engine().call_log();
        let started = rights::started();
        if let Err(refused) = rights::may_prompt(&access, &route.source) {
            call_log.finished(access.name(), &route.source, "prompts/get", started, Outcome::Refused);
            return Err(refused);
        }
        let rounds = relay::input_rounds(&context, request.input_responses, request.request_state);
        let agent = CallingAgent { declared: relay::agent_capabilities(&context), rounds };
        let answer = self.merged.get_prompt(&request.name, request.arguments, &agent).await;
        let outcome = if answer.is_ok() { Outcome::Ok } else { Outcome::UpstreamError };
        call_log.finished(access.name(), &route.source, "prompts/get", started, outcome);
        Ok(answer?)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        if !access.resources() {
            return Ok(ListResourcesResult::with_all_items(Vec::new()));
        }
        let mut resources = self.merged.list_resources().await?;
        if !access.is_full() {
            let owners = self.merged.resource_owners();
            resources.retain(|r| owners.get(&r.uri).is_some_and(|id| access.allows_source(id)));
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        if !access.resources() {
            return Ok(ListResourceTemplatesResult::with_all_items(Vec::new()));
        }
        let mut templates = self.merged.list_resource_templates().await?;
        if !access.is_full() {
            // Only the templates of the agent's own sources.
            let owners = self.merged.template_owners();
            templates.retain(|t| owners.get(&t.uri_template).is_some_and(|id| access.allows_source(id)));
        }
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        let owner = if access.is_full() { None } else { self.merged.owner_of_resource(&request.uri).await? };
        let started = rights::started();
        if !access.is_full()
            && let Err(refused) = rights::may_resource(&access, owner.as_ref())
        {
            if let Some(owner) = &owner {
                let call_log = self.merged.sources().engine().call_log();
                call_log.finished(access.name(), owner, "resources/read", started, Outcome::Refused);
            }
            return Err(refused);
        }
        let answer = self.merged.read_resource(&request.uri, |id| access.allows_source(id)).await;
        if let Some(owner) = owner.or(self.merged.resource_owners().get(&request.uri).cloned()) {
            let outcome = if answer.is_ok() { Outcome::Ok } else { Outcome::UpstreamError };
            let call_log = self.merged.sources().engine().call_log();
            call_log.finished(access.name(), &owner, "resources/read", started, outcome);
        }
        Ok(answer?.into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let access = rights::agent(self.agent.as_ref(), &context)?;
        if !access.is_full() {
            let owner = self.merged.owner_of_resource(&request.uri).await?;
            rights::may_resource(&access, owner.as_ref())?;
        }
        if lock(&self.subscribed).contains(&request.uri) {
            return Ok(());
        }
        self.merged.subscribe(&request.uri).await?;
        lock(&self.subscribed).insert(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if !lock(&self.subscribed).remove(&request.uri) {
            return Ok(());
        }
        Ok(self.merged.unsubscribe(&request.uri).await?)
    }
}
