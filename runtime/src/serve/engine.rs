//! The resync engine ([`crate::sync::Engine`]) behind the serve-side traits: full resyncs for
//! the listeners and single-alert enrichment for webhooks.

use super::apply::{AlertEnricher, ApplyError, BoxFuture};
use super::listener::{Cancel, MappingSelector, ResyncOutcome, ResyncRun, Resyncer};
use super::metrics::KindFigures;
use super::ServeParts;
use crate::config::Config;
use crate::mapping::Mapping;
use crate::opsgenie::OpsgenieClient;
use crate::port::PortClient;
use crate::sync::{Engine, MappingUsed, ResyncStatus, SyncError, SyncSettings};
use serde_json::Value;
use std::sync::Arc;

/// Full resyncs by the engine. Its own resync-state reports are switched off: the serve loop
/// reports (it also knows about superseded runs and shutdown).
pub struct EngineResync(pub Engine);

impl Resyncer for EngineResync {
    fn resync(&self, cancel: Cancel) -> BoxFuture<'static, ResyncRun> {
        let engine = self.0.clone();
        Box::pin(async move {
            let report = engine.resync(&cancel).await;
            let outcome = match report.status {
                ResyncStatus::Completed => ResyncOutcome::Completed,
                ResyncStatus::Aborted => ResyncOutcome::Aborted,
                ResyncStatus::Failed => ResyncOutcome::Failed(if report.errors.is_empty() {
                    "see the log".to_owned()
                } else {
                    report.errors.join("; ")
                }),
            };
            // Several resources may share a kind: add them up.
            let mut kinds: Vec<(String, KindFigures)> = Vec::new();
            for summary in &report.kinds {
                let index = match kinds.iter().position(|(kind, _)| kind == summary.kind) {
                    Some(index) => index,
                    None => {
                        kinds.push((summary.kind.to_owned(), KindFigures::default()));
                        kinds.len() - 1
                    }
                };
                let figures = &mut kinds[index].1;
                figures.fetched += summary.fetched;
                figures.upserted += summary.upserted;
                figures.unchanged += summary.unchanged;
                figures.deleted += summary.deleted;
                figures.failed += summary.failed;
                figures.duration += summary.elapsed;
            }
            ResyncRun {
                outcome,
                kinds,
                mapping: Some(report.mapping),
            }
        })
    }
}

/// The engine's selection of the mapping in use, for serve's start and polling.
pub struct EngineSelector(pub Engine);

impl MappingSelector for EngineSelector {
    fn select(&self, only_if_changed: bool) -> BoxFuture<'static, Option<MappingUsed>> {
        let engine = self.0.clone();
        Box::pin(async move {
            let selection = if only_if_changed {
                engine.refresh_mapping().await?
            } else {
                engine.select_mapping(false).await
            };
            for warning in &selection.warnings {
                super::log::warn(warning);
            }
            // A blueprint that cannot take a resource's entities is said by the selection
            // itself, once.
            for blocked in &selection.blocked {
                if blocked.by == crate::sync::BlockedBy::Mapping {
                    super::log::error(&blocked.diagnostics);
                }
            }
            match &selection.failure {
                Some(failure) => super::log::error(failure),
                None => super::log::info(&format!("mapping selected: {}", selection.headline())),
            }
            Some(MappingUsed::of(&selection))
        })
    }
}

/// Webhook alerts enriched exactly as a resync would.
pub struct EngineEnricher(pub Engine);

impl AlertEnricher for EngineEnricher {
    fn enrich<'a>(
        &'a self,
        alert: &'a mut Value,
        fields: &'a [&'static str],
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(async move {
            self.0
                .enrich_item(super::apply::ALERT_KIND, alert, fields)
                .await
                .map_err(|error| match error {
                    SyncError::Opsgenie(error) => ApplyError::from(error),
                    SyncError::Port(error) => ApplyError::from(error),
                    SyncError::Mapping(message) => {
                        ApplyError::permanent(format!("mapping error: {message}"))
                    }
                    SyncError::Aborted => ApplyError::transient("enrichment aborted"),
                })
        })
    }
}

impl ServeParts {
    /// The production wiring: clients from `config`, the engine for resyncs and enrichment.
    pub fn with_engine(
        config: Config,
        compiled: Arc<Mapping>,
        version: &str,
    ) -> Result<ServeParts, super::ServeError> {
        let port = PortClient::from_config(&config, version)
            .map_err(|e| super::ServeError::Config(e.to_string()))?;
        let opsgenie = OpsgenieClient::from_config(&config)
            .map_err(|e| super::ServeError::Config(e.to_string()))?;
        let settings = SyncSettings {
            report_resync_state: false,
            ..SyncSettings::from_config(&config)
        };
        let engine = Engine::new(compiled.clone(), opsgenie.clone(), port.clone(), settings);
        let mut parts = ServeParts::new(
            config,
            compiled,
            engine.current(),
            version,
            Arc::new(EngineResync(engine.clone())),
            Arc::new(EngineEnricher(engine.clone())),
        );
        parts.selector = Some(Arc::new(EngineSelector(engine)));
        parts.port = Some(port);
        parts.opsgenie = Some(opsgenie);
        Ok(parts)
    }
}
