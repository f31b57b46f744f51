//! `opsgenie-port serve`: the always-on mode. An HTTP server for Opsgenie's outgoing webhooks,
//! health and metrics; resyncs triggered by Port's resync requests (`POLLING`), a schedule, or
//! once (`ONCE`); Port resources initialised at start; the mapping in use selected at start,
//! before each resync and when polling sees Port's mapping change (webhook events use the one
//! selected last).
//!
//! Start order: bind the server (liveness answers at once) → initialise Port resources → select
//! the mapping → ready → listeners. Shutdown (SIGTERM/SIGINT or [`Service::shutdown`]): new webhooks
//! get 503, accepted ones are applied, a running resync is cancelled and reported `aborted`,
//! the server stops — all within [`SHUTDOWN_LIMIT`].

pub mod apply;
pub mod engine;
pub mod init;
pub mod limits;
pub mod listener;
pub mod log;
pub mod metrics;
pub mod server;
pub mod webhook;

use crate::config::{Config, EventListener};
use crate::mapping::{Current, Mapping};
use crate::opsgenie::OpsgenieClient;
use crate::port::PortClient;
use crate::secret::{self, Secret};
use apply::{AlertApplier, AlertEnricher};
use listener::{Cancel, MappingSelector, ResyncControl, ResyncOutcome, Resyncer};
use metrics::Metrics;
use serde_json::Value;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use webhook::WebhookQueue;

/// Everything stops within this after a shutdown signal (Kubernetes' default grace is 30 s;
/// the issue asks for 10 s).
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(9);

/// What `serve` runs with.
pub struct ServeParts {
    pub config: Config,
    /// The mapping built into the binary (initialisation creates its blueprints).
    pub compiled: Arc<Mapping>,
    /// The mapping in use, which webhook events read; resyncs replace it.
    pub current: Current,
    /// This binary's version (stored on the integration, part of the User-Agent).
    pub version: String,
    /// The full resync.
    pub resyncer: Arc<dyn Resyncer>,
    /// Enrichment of single alerts for webhooks.
    pub enricher: Arc<dyn AlertEnricher>,
    /// Selection of the mapping webhook events use; `None` keeps `current` as given.
    pub selector: Option<Arc<dyn MappingSelector>>,
    /// Clients to use; `None` builds them from `config`.
    pub port: Option<PortClient>,
    pub opsgenie: Option<OpsgenieClient>,
    /// Interface to listen on; the port is `APPLICATION__PORT`.
    pub bind: IpAddr,
    /// Bounds of the HTTP surface and the webhook queue.
    pub limits: limits::Limits,
}

impl ServeParts {
    pub fn new(
        config: Config,
        compiled: Arc<Mapping>,
        current: Current,
        version: &str,
        resyncer: Arc<dyn Resyncer>,
        enricher: Arc<dyn AlertEnricher>,
    ) -> Self {
        ServeParts {
            config,
            compiled,
            current,
            version: version.to_owned(),
            resyncer,
            enricher,
            selector: None,
            port: None,
            opsgenie: None,
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            limits: limits::Limits::default(),
        }
    }
}

/// Why `serve` could not start or stopped with an error.
#[derive(Debug)]
pub enum ServeError {
    Config(String),
    Bind(String),
    Init(init::InitError),
    /// `ONCE`: the resync did not complete.
    Resync(String),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Config(detail) => f.write_str(detail),
            ServeError::Bind(detail) => write!(f, "cannot listen: {detail}"),
            ServeError::Init(error) => error.fmt(f),
            ServeError::Resync(detail) => write!(f, "resync did not complete: {detail}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// A running service.
pub struct Service {
    addr: SocketAddr,
    prefix: String,
    metrics: Arc<Metrics>,
    queue: Option<WebhookQueue>,
    control: Arc<ResyncControl>,
    /// Fired to begin shutdown.
    stop: Cancel,
    /// Stops the listeners and the HTTP server (after the work drained).
    stop_background: Cancel,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    once: Option<JoinHandle<ResyncOutcome>>,
    pub init_report: init::InitReport,
}

/// Builds everything, initialises Port resources and starts serving; returns once ready.
pub async fn start(parts: ServeParts) -> Result<Service, ServeError> {
    let ServeParts {
        config,
        compiled,
        current,
        version,
        resyncer,
        enricher,
        selector,
        port,
        opsgenie,
        bind,
        limits,
    } = parts;
    listener::check_supported(&config.event_listener).map_err(ServeError::Config)?;
    for secret in config.secrets() {
        secret::register(secret);
    }
    let webhook_secret = webhook_secret(&config);
    if let Some(secret) = &webhook_secret {
        secret::register(secret);
    }

    let port = match port {
        Some(port) => port,
        None => PortClient::from_config(&config, &version)
            .map_err(|e| ServeError::Config(e.to_string()))?,
    };
    let opsgenie = match opsgenie {
        Some(client) => client,
        None => {
            OpsgenieClient::from_config(&config).map_err(|e| ServeError::Config(e.to_string()))?
        }
    };
    let metrics = Metrics::new();
    {
        let port = port.clone();
        metrics.add_client("port", Arc::new(move || port.counters()));
        let opsgenie = opsgenie.clone();
        metrics.add_client("opsgenie", Arc::new(move || opsgenie.counters()));
    }

    let identifier = config.integration.identifier.clone();
    let plan = init::InitPlan::from_json(
        &identifier,
        &config.integration.kind,
        &version,
        &compiled.app_config_json,
        &compiled.blueprints_json,
        config.initialize_port_resources,
    )
    .map_err(ServeError::Init)?;

    let once = config.event_listener == EventListener::Once;
    let queue = (!once).then(|| {
        let applier = AlertApplier {
            opsgenie: opsgenie.clone(),
            port: port.clone(),
            mapping: current,
            enricher,
            datasource_prefix: format!("port-ocean/{}/", config.integration.kind),
            datasource_suffix: format!("/{identifier}/exporter"),
        };
        WebhookQueue::new(Arc::new(applier), metrics.clone(), &limits)
    });

    let prefix = server::normalize_prefix(config.path_prefix.as_deref());
    let state = Arc::new(server::AppState::new(
        queue.clone(),
        webhook_secret,
        metrics.clone(),
        version.clone(),
        limits.clone(),
    ));
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(bind, config.application.port))
        .await
        .map_err(|e| ServeError::Bind(format!("{bind}:{}: {e}", config.application.port)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(e.to_string()))?;
    let stop_background = Cancel::new();
    let server = {
        let router = server::router(state, &prefix);
        let stopped = stop_background.clone();
        let metrics = metrics.clone();
        tokio::spawn(async move {
            server::serve(listener, router, &limits, metrics, stopped.cancelled()).await;
        })
    };
    log::info(&format!(
        "listening on http://{addr}{prefix} (webhook: {prefix}/integration/webhook)"
    ));

    let init_report = match init::initialize(&port, &plan).await {
        Ok(report) => report,
        Err(error) => {
            stop_background.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
            return Err(ServeError::Init(error));
        }
    };

    let control = ResyncControl::new(
        resyncer,
        selector,
        port.clone(),
        identifier.clone(),
        metrics.clone(),
        config.scheduled_resync_interval,
    );
    // Webhook events use the mapping selected last: select it now, before the first event
    // (with `--mapping-source compiled` this writes the built mapping to Port).
    control.select_mapping(false).await;
    metrics.set_ready(true);

    let mut background = Vec::new();
    let mut once_task = None;
    match &config.event_listener {
        EventListener::Once => {
            let control = control.clone();
            once_task = Some(tokio::spawn(async move { control.run("once").await }));
        }
        EventListener::Polling { interval, .. } => {
            let at_start =
                listener::start_resync_wanted(&config.event_listener, init_report.never_resynced);
            background.push(tokio::spawn(listener::poll(
                control.clone(),
                port.clone(),
                identifier.clone(),
                *interval,
                stop_background.clone(),
                at_start,
            )));
        }
        EventListener::WebhooksOnly | EventListener::Kafka { .. } => {}
    }
    if let (Some(interval), false) = (config.scheduled_resync_interval, once) {
        background.push(tokio::spawn(listener::schedule(
            control.clone(),
            interval,
            stop_background.clone(),
        )));
    }

    Ok(Service {
        addr,
        prefix,
        metrics,
        queue,
        control,
        stop: Cancel::new(),
        stop_background,
        server,
        background,
        once: once_task,
        init_report,
    })
}

/// `OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET`, when set and not blank.
fn webhook_secret(config: &Config) -> Option<Secret> {
    match config.integration.config.extra.get("webhook_secret") {
        Some(Value::String(secret)) if !secret.trim().is_empty() => {
            Some(Secret::new(secret.trim()))
        }
        _ => None,
    }
}

impl Service {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr><prefix><path>`, e.g. `url("/integration/webhook")`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}{path}", self.addr, self.prefix)
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Waits until every accepted webhook event has been applied (or `limit` passed).
    pub async fn webhooks_idle(&self, limit: Duration) -> bool {
        match &self.queue {
            Some(queue) => queue.wait_idle(limit).await,
            None => true,
        }
    }

    /// Whether a resync is in progress.
    pub fn resync_running(&self) -> bool {
        self.control.is_running()
    }

    /// A handle that begins shutdown when cancelled (what the signal handler uses).
    pub fn shutdown_handle(&self) -> Cancel {
        self.stop.clone()
    }

    /// Begins shutdown; [`Service::wait`] completes it.
    pub fn shutdown(&self) {
        self.stop.cancel();
    }

    /// Runs until shutdown (or, for `ONCE`, until the resync ended), then stops in order.
    /// `ONCE` returns an error when the resync did not complete.
    pub async fn wait(mut self) -> Result<(), ServeError> {
        let mut result = Ok(());
        match self.once.take() {
            Some(once) => {
                let stop = self.stop.clone();
                tokio::pin!(once);
                tokio::select! {
                    outcome = &mut once => {
                        match outcome {
                            Ok(ResyncOutcome::Completed) => {}
                            Ok(ResyncOutcome::Failed(why)) => result = Err(ServeError::Resync(why)),
                            Ok(ResyncOutcome::Aborted) => {
                                result = Err(ServeError::Resync("aborted".into()))
                            }
                            Err(error) => result = Err(ServeError::Resync(error.to_string())),
                        }
                    }
                    _ = stop.cancelled() => {
                        self.finish().await;
                        // Interrupted by a signal: the resync was reported aborted; exit 0.
                        let _ = tokio::time::timeout(Duration::from_secs(1), once).await;
                        return Ok(());
                    }
                }
            }
            None => self.stop.cancelled().await,
        }
        self.finish().await;
        result
    }

    /// The shutdown sequence, bounded by [`SHUTDOWN_LIMIT`].
    async fn finish(&mut self) {
        log::info("shutting down: finishing accepted webhook events and stopping the resync");
        let budget = SHUTDOWN_LIMIT - Duration::from_secs(1);
        let drain = async {
            match &self.queue {
                Some(queue) => queue.close(budget).await,
                None => 0,
            }
        };
        let (unapplied, _) = tokio::join!(drain, self.control.stop(budget));
        if unapplied > 0 {
            log::warn(&format!(
                "{unapplied} accepted webhook events were not applied before the shutdown limit \
                 (Opsgenie or Port did not answer in time); a later resync brings their \
                 alerts up to date"
            ));
        }
        self.stop_background.cancel();
        for task in self.background.drain(..) {
            task.abort();
        }
        let server = &mut self.server;
        if tokio::time::timeout(Duration::from_secs(1), &mut *server)
            .await
            .is_err()
        {
            server.abort();
        }
        log::info("stopped");
    }
}

/// Starts and runs until SIGTERM or SIGINT (or, for `ONCE`, the end of the resync).
pub async fn run(parts: ServeParts) -> Result<(), ServeError> {
    // Listening for signals before start-up: a SIGTERM while Port is still being initialised
    // (retries can take minutes) is a clean stop too.
    let interrupted = Cancel::new();
    {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            log::info("signal received");
            interrupted.cancel();
        });
    }
    let service = tokio::select! {
        started = start(parts) => started?,
        _ = interrupted.cancelled() => {
            log::info("stopped during start-up");
            return Ok(());
        }
    };
    let stop = service.shutdown_handle();
    tokio::spawn(async move {
        interrupted.cancelled().await;
        stop.cancel();
    });
    service.wait().await
}

/// [`run`] on a fresh multi-threaded runtime (for callers without one).
pub fn run_blocking(parts: ServeParts) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Config(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(run(parts))
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
