//! Opsgenie API simulator: the read endpoints the integration uses and the Alert API's write
//! actions, on `127.0.0.1:0`; with a webhook URL, it posts each alert action's event there.
//!
//! It enforces what Opsgenie enforces (GenieKey auth, `limit ≤ 100`, `offset + limit ≤ 20000`,
//! associated-alert-ids' `limit ≤ 25` and `offset ≥ 1`, query syntax, per-domain rate limits)
//! and can inject deterministic faults. Tests mutate the
//! account between requests through [`OpsgenieSim`].
//!
//! Endpoints (counter name in brackets): `GET /v2/alerts` [alerts.list], `/v2/alerts/{id}`
//! [alerts.get], `/v1/incidents` [incidents.list], `/v1/incidents/{id}` [incidents.get],
//! `/v1/incidents/{id}/associated-alert-ids` [incidents.associated-alert-ids], `/v1/services`
//! [services.list], `/v1/services/{id}` [services.get], `/v2/teams` [teams.list],
//! `/v2/teams/{id}` [teams.get], `/v2/schedules` [schedules.list], `/v2/schedules/{id}`
//! [schedules.get], `/v2/schedules/{id}/on-calls` [schedules.on-calls], `/v2/users`
//! [users.list], `/v2/request-limits` [request-limits]; writes: `POST /v2/alerts`
//! [alerts.create], `POST /v2/alerts/{id}/close|acknowledge|notes|tags` [alerts.close, …],
//! `DELETE /v2/alerts/{id}/tags` [alerts.remove-tags], `DELETE /v2/alerts/{id}`
//! [alerts.delete], `GET /v2/alerts/requests/{id}` [alerts.request-status]; anything else
//! counts as `other`.

mod actions;
mod fields;
mod gate;
mod handlers;
mod paging;
mod query;
mod ratelimit;
mod response;
mod server;
mod webhook;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use serde_json::Value;

use crate::faults::{FaultConfig, FaultPlan};
use crate::generate::{alert_from_json, Account, Rng};

pub use paging::MAX_OFFSET_PLUS_LIMIT;
pub use query::{Expr, FieldType, Searchable, Val};
pub use ratelimit::{Domain, DomainLimit, RateLimits};
pub use webhook::webhook_payload;

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct OpsgenieSimConfig {
    /// The key `Authorization: GenieKey <key>` must carry.
    pub api_key: String,
    /// A key that authenticates but lacks permission: 403 with code 40301.
    pub forbidden_key: Option<String>,
    pub rate_limits: RateLimits,
    /// Added before every response.
    pub latency: Duration,
    pub faults: FaultConfig,
    /// Refuse `/v1/incidents` without `query` (422), as the OAS and the Go SDK require.
    pub strict_incident_query: bool,
    /// Where to post the Webhook integration's events for the alert actions made through the
    /// Alert API (`None`: no events).
    pub webhook_url: Option<String>,
}

impl Default for OpsgenieSimConfig {
    fn default() -> Self {
        OpsgenieSimConfig {
            api_key: "sim-genie-key-0000".to_owned(),
            forbidden_key: Some("sim-team-key-forbidden".to_owned()),
            rate_limits: RateLimits::default(),
            latency: Duration::ZERO,
            faults: FaultConfig::none(),
            strict_incident_query: false,
            webhook_url: None,
        }
    }
}

/// State shared by all requests.
pub(crate) struct Shared {
    account: RwLock<Account>,
    config: OpsgenieSimConfig,
    faults: FaultPlan,
    limiter: ratelimit::RateLimiter,
    counters: Mutex<BTreeMap<String, u64>>,
    base_url: String,
    request_seq: AtomicU64,
    /// `true` while requests are held unanswered ([`OpsgenieSim::stall`]).
    stalled: tokio::sync::watch::Sender<bool>,
    /// Outcomes of accepted writes, for `GET /v2/alerts/requests/{id}`.
    requests: actions::RequestLog,
    /// The queue of webhook events to post, in the order the actions were applied.
    webhook: Option<tokio::sync::mpsc::Sender<Value>>,
}

impl Shared {
    fn account(&self) -> RwLockReadGuard<'_, Account> {
        self.account.read().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, family: &str) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *counters.entry(family.to_owned()).or_default() += 1;
    }

    /// A UUID, deterministic per request number.
    fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed);
        Rng::for_entity(0x0b5e_9e11e, b"request", n).uuid()
    }
}

/// A running simulator. Dropping it stops the server; [`OpsgenieSim::shutdown`] also waits.
pub struct OpsgenieSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: server::ServerHandle,
}

/// Starts a simulator serving `account` on `127.0.0.1` with an OS-assigned port.
pub async fn start(account: Account, config: OpsgenieSimConfig) -> std::io::Result<OpsgenieSim> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let webhook = config.webhook_url.clone().map(webhook::spawn_sender);
    let shared = Arc::new(Shared {
        requests: actions::RequestLog::default(),
        webhook,
        account: RwLock::new(account),
        faults: FaultPlan::new(config.faults.clone()),
        limiter: ratelimit::RateLimiter::new(config.rate_limits.clone()),
        config,
        counters: Mutex::new(BTreeMap::new()),
        base_url: format!("http://{addr}"),
        request_seq: AtomicU64::new(0),
        stalled: tokio::sync::watch::Sender::new(false),
    });
    let router = handlers::routes(shared.clone());
    let server = server::serve(listener, router);
    Ok(OpsgenieSim {
        shared,
        addr,
        server,
    })
}

impl OpsgenieSim {
    /// `http://127.0.0.1:<port>` (no trailing slash); use it as the Opsgenie API URL.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    pub fn forbidden_key(&self) -> Option<&str> {
        self.shared.config.forbidden_key.as_deref()
    }

    /// Requests received per endpoint family (`alerts.list`, `teams.get`, …), faults included.
    pub fn counters(&self) -> BTreeMap<String, u64> {
        self.shared
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// One family's count (0 if never hit).
    pub fn counter(&self, family: &str) -> u64 {
        self.counters().get(family).copied().unwrap_or(0)
    }

    pub fn reset_counters(&self) {
        self.shared
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The fault plan; `faults().set(..)` changes it between test phases.
    pub fn faults(&self) -> &FaultPlan {
        &self.shared.faults
    }

    /// Opsgenie stops answering: from now on every request is counted and then held, without a
    /// byte of answer, until [`OpsgenieSim::resume`] (or the client gives up). Requests already
    /// past the gate are not affected.
    pub fn stall(&self) {
        self.shared.stalled.send_replace(true);
    }

    /// Ends a [`OpsgenieSim::stall`]: held requests proceed (faults, auth and rate limits apply
    /// to them as usual).
    pub fn resume(&self) {
        self.shared.stalled.send_replace(false);
    }

    /// Inserts or replaces an alert given in the REST shape (see `generate::alert_from_json`).
    /// An alias `<incidentId>_…` of an existing incident also associates the alert with it.
    pub fn upsert_alert(&self, alert: Value) -> Result<(), String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        let alert = alert_from_json(&alert, now)?;
        self.with_account(|account| {
            if let Some(prefix) = alert.alias_incident_prefix() {
                if let Some(incident) = account.incidents.iter_mut().find(|i| &*i.id == prefix) {
                    if !incident.associated_alert_ids.contains(&alert.id) {
                        incident.associated_alert_ids.push(alert.id.clone());
                    }
                }
            }
            account.alerts_mut().upsert(alert);
        });
        Ok(())
    }

    /// Deletes an alert; false if it did not exist.
    pub fn delete_alert(&self, id: &str) -> bool {
        self.with_account(|account| account.delete_alert(id).is_some())
    }

    /// Removes a service (and its id from incidents); false if it did not exist.
    pub fn remove_service(&self, id: &str) -> bool {
        self.with_account(|account| account.remove_service(id))
    }

    /// Runs `change` with exclusive access to the account.
    pub fn with_account<R>(&self, change: impl FnOnce(&mut Account) -> R) -> R {
        let mut account = self
            .shared
            .account
            .write()
            .unwrap_or_else(|e| e.into_inner());
        change(&mut account)
    }

    /// The alert as `GET /v2/alerts/{id}` would return it now.
    pub fn alert_json(&self, id: &str) -> Option<Value> {
        let account = self.shared.account();
        account
            .alerts()
            .get(id)
            .map(|a| a.to_json(crate::generate::AlertView::Get))
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        self.server.shutdown().await;
    }
}
