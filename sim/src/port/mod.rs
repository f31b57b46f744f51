//! Port API simulator: the REST surface Port Ocean (and so our client) uses — auth, blueprints,
//! entities with Port's validation, search, datasource ownership, integration state — on an axum
//! server bound to `127.0.0.1:0`.
//!
//! Facts come from `shared/reference/port-api.md`. Where Port's exact error strings are not
//! documented the simulator uses: 401 `unauthorized`, 404 `not_found`, 409 `identifier_taken` /
//! `has_dependents`, 413 `payload_too_large`, 422 `invalid_request` (ajv-style messages).

mod auth;
mod blueprints;
mod entities;
mod http;
mod integration;
mod middleware;
mod search;
mod store;
mod time;
mod upsert;
mod validate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, patch, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::faults::{FaultConfig, FaultPlan};
pub use middleware::RateLimit;
pub use store::PortCounters;

/// How to start a [`PortSim`].
#[derive(Clone, Debug)]
pub struct PortSimConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Access-token lifetime (`expiresIn`); Port's is 3 hours.
    pub token_lifetime: Duration,
    /// Per-organisation request budget; `None` disables limiting and the `x-ratelimit-*` headers.
    pub rate_limit: Option<RateLimit>,
    pub faults: FaultConfig,
    /// Returned by `GET /v1/organization` as `featureFlags`.
    pub feature_flags: Vec<String>,
    /// Blueprints created at start, in order (so relation targets come first).
    pub blueprints: Vec<Value>,
    /// Added before handling every API request (not `/_sim/` ones), as a remote Port's
    /// round trip: a request is counted when it arrives, handled after the wait.
    pub latency: Duration,
}

impl Default for PortSimConfig {
    fn default() -> Self {
        PortSimConfig {
            client_id: "sim-client-id".into(),
            client_secret: "sim-client-secret".into(),
            token_lifetime: Duration::from_secs(10_800),
            rate_limit: Some(RateLimit {
                limit: 100_000,
                period: Duration::from_secs(60),
            }),
            faults: FaultConfig::none(),
            feature_flags: Vec::new(),
            blueprints: Vec::new(),
            latency: Duration::ZERO,
        }
    }
}

/// Shared by all handlers.
pub(crate) struct App {
    store: Mutex<store::Store>,
    faults: Arc<FaultPlan>,
    limiter: Mutex<middleware::Limiter>,
    client_id: String,
    client_secret: String,
    token_lifetime: Duration,
    feature_flags: Vec<String>,
    base_url: String,
    latency: Duration,
}

impl App {
    /// The store; a handler that panicked cannot leave it half-written in a way that matters to
    /// a test double, so poisoning is ignored.
    fn store(&self) -> MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running Port simulator. Dropping it without [`PortSim::shutdown`] leaves the server running
/// until the runtime stops.
pub struct PortSim {
    app: Arc<App>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts the simulator on `127.0.0.1:0`.
pub async fn start(config: PortSimConfig) -> std::io::Result<PortSim> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Arc::new(App {
        store: Mutex::new(store::Store::default()),
        faults: Arc::new(FaultPlan::new(config.faults.clone())),
        limiter: Mutex::new(middleware::Limiter::new(config.rate_limit)),
        client_id: config.client_id,
        client_secret: config.client_secret,
        token_lifetime: config.token_lifetime,
        feature_flags: config.feature_flags,
        base_url: format!("http://{addr}"),
        latency: config.latency,
    });
    for blueprint in config.blueprints {
        blueprints::create(&mut app.store(), blueprint, "sim")
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message))?;
    }
    let router = router(app.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(PortSim {
        app,
        addr,
        stop: Some(stop),
        server: Some(server),
    })
}

fn router(app: Arc<App>) -> Router {
    let v1 = Router::new()
        .route("/auth/access_token", post(auth::access_token))
        .route("/blueprints", get(blueprints::list).post(blueprints::post))
        .route(
            "/blueprints/{blueprint}",
            get(blueprints::get_one)
                .put(blueprints::put)
                .patch(blueprints::patch)
                .delete(blueprints::delete),
        )
        .route(
            "/blueprints/{blueprint}/all-entities",
            axum::routing::delete(blueprints::delete_all_entities),
        )
        .route("/migrations/{id}", get(blueprints::migration))
        .route(
            "/blueprints/{blueprint}/scorecards",
            post(integration::accept_default_resource),
        )
        .route("/actions", post(integration::accept_default_resource))
        .route("/pages", post(integration::accept_default_resource))
        .route(
            "/blueprints/{blueprint}/entities",
            get(entities::list).post(entities::upsert_one),
        )
        .route(
            "/blueprints/{blueprint}/entities/bulk",
            post(entities::upsert_bulk),
        )
        .route(
            "/blueprints/{blueprint}/entities/search",
            post(search::search_blueprint),
        )
        .route(
            "/blueprints/{blueprint}/entities-count",
            get(entities::count),
        )
        .route(
            "/blueprints/{blueprint}/entities/{identifier}",
            get(entities::get_one)
                .put(entities::put_one)
                .patch(entities::patch_one)
                .delete(entities::delete_one),
        )
        .route(
            "/blueprints/{blueprint}/bulk/entities/delete",
            post(entities::delete_bulk),
        )
        .route(
            "/blueprints/entities/datasource-entities",
            post(search::datasource_entities),
        )
        .route("/entities/search", post(search::search_all))
        .route("/integration", post(integration::create))
        .route(
            "/integration/provision-enabled",
            get(integration::provision_enabled),
        )
        .route(
            "/integration/{id}",
            get(integration::get_one)
                .patch(integration::patch_one)
                .delete(integration::delete_one),
        )
        .route("/integration/{id}/config", patch(integration::patch_config))
        .route(
            "/integration/{id}/resync-state",
            patch(integration::patch_resync_state),
        )
        .route(
            "/integration/{id}/resync-request",
            get(integration::resync_request),
        )
        .route(
            "/integration/{id}/kinds/{kind}/examples",
            post(integration::kind_examples),
        )
        .route("/organization", get(integration::organization));
    Router::new()
        .nest("/v1", v1)
        .route("/_sim/state", get(integration::sim_state))
        .route("/_sim/counters", get(integration::sim_counters))
        .route(
            "/_sim/integration/{id}/resync-request",
            post(integration::sim_request_resync),
        )
        .route(
            "/_sim/ingest/{*rest}",
            post(integration::sim_ingest).put(integration::sim_ingest),
        )
        .fallback(middleware::unknown_route)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            middleware::gate,
        ))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(app)
}

impl PortSim {
    /// `http://127.0.0.1:<port>` (routes are under `/v1`).
    pub fn base_url(&self) -> String {
        self.app.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn client_id(&self) -> &str {
        &self.app.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.app.client_secret
    }

    /// The fault plan; `faults().set(..)` switches faults on and off between test phases.
    pub fn faults(&self) -> &FaultPlan {
        &self.app.faults
    }

    /// Replaces the rate limit (and starts a fresh window).
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        *self.app.limiter.lock().unwrap_or_else(|e| e.into_inner()) =
            middleware::Limiter::new(limit);
    }

    /// Makes every issued token expired now, so the next call with one gets a 401.
    pub fn expire_tokens(&self) {
        auth::expire_all(&mut self.app.store());
    }

    /// Entities of one blueprint as Port returns them, ordered by identifier.
    pub fn entities(&self, blueprint: &str) -> Vec<Value> {
        let store = self.app.store();
        store
            .entities
            .get(blueprint)
            .map(|all| all.values().map(|e| e.to_json(blueprint)).collect())
            .unwrap_or_default()
    }

    /// Every entity, ordered by blueprint then identifier.
    pub fn all_entities(&self) -> Vec<Value> {
        let store = self.app.store();
        store.all_entities().map(|(bp, e)| e.to_json(bp)).collect()
    }

    pub fn entity(&self, blueprint: &str, identifier: &str) -> Option<Value> {
        let store = self.app.store();
        store
            .entity(blueprint, identifier)
            .map(|e| e.to_json(blueprint))
    }

    /// The entity's owner (`$datasource`, the User-Agent of its last writer).
    pub fn entity_datasource(&self, blueprint: &str, identifier: &str) -> Option<String> {
        let store = self.app.store();
        store
            .entity(blueprint, identifier)
            .map(|e| e.datasource.clone())
    }

    pub fn blueprints(&self) -> Vec<Value> {
        self.app.store().blueprints.values().cloned().collect()
    }

    /// Creates a blueprint as `POST /v1/blueprints` would (same validation).
    pub fn create_blueprint(&self, blueprint: Value) -> Result<Value, String> {
        blueprints::create(&mut self.app.store(), blueprint, "sim").map_err(|e| e.message)
    }

    /// Seeds an entity written by someone else: `datasource` is recorded as its owner.
    /// Validated like an upsert with `create_missing_related_entities=true`.
    pub fn insert_entity_as(
        &self,
        datasource: &str,
        blueprint: &str,
        entity: Value,
    ) -> Result<Value, String> {
        let actor = auth::Actor {
            client_id: "sim-seed".into(),
            user_agent: datasource.into(),
        };
        let options = upsert::WriteOptions {
            upsert: true,
            merge: false,
            create_missing_related: true,
            validation_only: false,
        };
        let mut store = self.app.store();
        upsert::upsert(&mut store, blueprint, &entity, options, &actor)
            .map(|done| done.entity)
            .map_err(|refused| refused.error.message)
    }

    pub fn integration(&self, id: &str) -> Option<Value> {
        let store = self.app.store();
        store
            .integrations
            .get(id)
            .map(|record| Value::Object(record.json.clone()))
    }

    /// Creates an integration as `POST /v1/integration` would.
    pub fn create_integration(&self, body: Value) -> Result<Value, String> {
        let Value::Object(body) = body else {
            return Err("integration must be an object".into());
        };
        integration::insert(&self.app, &mut self.app.store(), body, "sim").map_err(|e| e.message)
    }

    /// Every body PATCHed to `/resync-state`, oldest first.
    pub fn resync_states(&self, id: &str) -> Vec<Value> {
        let store = self.app.store();
        store
            .integrations
            .get(id)
            .map(|record| record.resync_states.clone())
            .unwrap_or_default()
    }

    /// Examples POSTed for a kind (latest call wins).
    pub fn kind_examples(&self, id: &str, kind: &str) -> Vec<Value> {
        let store = self.app.store();
        store
            .integrations
            .get(id)
            .and_then(|record| record.kind_examples.get(kind).cloned())
            .unwrap_or_default()
    }

    /// Asks for a resync, as a user clicking "Resync" in Port would; returns false if the
    /// integration does not exist.
    pub fn request_resync(&self, id: &str) -> bool {
        integration::request_resync(&mut self.app.store(), id)
    }

    pub fn counters(&self) -> PortCounters {
        self.app.store().counters.clone()
    }

    pub fn reset_counters(&self) {
        self.app.store().counters = PortCounters::default();
    }

    /// What `GET /_sim/state` returns.
    pub fn state_json(&self) -> Value {
        integration::state_json(&self.app.store())
    }

    /// Stops accepting connections and waits (briefly) for in-flight requests.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}
