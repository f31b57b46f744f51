//! Applying one webhook event to Port: re-read the alert, enrich only what the mapping reads,
//! map it with every `alert` resource, upsert what passes, and delete (when this integration
//! owns them) entities of alerts Opsgenie answers 404 for or that no longer pass. A `Delete`
//! event is applied the same way: only Opsgenie's 404 deletes.

use crate::http::HttpErrorKind;
use crate::jq;
use crate::mapping::{Current, Mapping, Outcome, Resource};
use crate::opsgenie::{OpsgenieClient, OpsgenieError};
use crate::port::{PortClient, PortError, UpsertOptions, UpsertStatus};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The Ocean kind webhooks carry.
pub const ALERT_KIND: &str = "alert";

/// What one event changed in Port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub upserted: usize,
    pub deleted: usize,
    /// Opsgenie answered 404 for the alert (its entities were deleted).
    pub gone: bool,
}

/// Why an event could not be applied, and whether trying again can change that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyError {
    pub message: String,
    /// Opsgenie or Port did not answer usefully (timeout, connection, 408/429/5xx after the
    /// HTTP client's retries): the event is kept and tried again. Otherwise (a 4xx, an entity
    /// Port refuses, a mapping error) the same attempt would fail the same way.
    pub transient: bool,
}

impl ApplyError {
    pub fn transient(message: impl Into<String>) -> Self {
        ApplyError {
            message: message.into(),
            transient: true,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        ApplyError {
            message: message.into(),
            transient: false,
        }
    }
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Statuses that say "not now" rather than "no": timeout, throttling, server errors.
fn transient_status(status: u16) -> bool {
    matches!(status, 408 | 429) || status >= 500
}

impl From<OpsgenieError> for ApplyError {
    fn from(error: OpsgenieError) -> Self {
        let transient = match &error {
            // No usable answer after the client's retries: connection, timeout, a retryable
            // status that persisted, a truncated body — but not a request that cannot be sent.
            OpsgenieError::Http(e) => e.kind != HttpErrorKind::Request,
            OpsgenieError::Api { status, .. } => transient_status(*status),
            OpsgenieError::Auth { .. }
            | OpsgenieError::Malformed { .. }
            | OpsgenieError::OffsetCap { .. }
            | OpsgenieError::InvalidConfig(_) => false,
        };
        ApplyError {
            message: error.to_string(),
            transient,
        }
    }
}

impl From<PortError> for ApplyError {
    fn from(error: PortError) -> Self {
        let transient = match &error {
            // No usable answer after the client's retries: connection, timeout, a retryable
            // status that persisted, a truncated body — but not a request that cannot be sent.
            PortError::Http(e) => e.kind != HttpErrorKind::Request,
            PortError::Api { status, .. } => transient_status(*status),
            PortError::Auth { .. }
            | PortError::Malformed { .. }
            | PortError::InvalidConfig(_)
            | PortError::Internal(_) => false,
        };
        ApplyError {
            message: error.to_string(),
            transient,
        }
    }
}

/// Applies webhook events; the real one is [`AlertApplier`], tests may fake it.
pub trait Applier: Send + Sync + 'static {
    /// Makes Port match alert `alert_id` as Opsgenie has it now, whatever the event's action:
    /// re-read it; on a 404 delete its entities (`gone`); when Opsgenie returns it, upsert it
    /// (or delete the entities it no longer passes the selector for). An error never deletes.
    fn apply<'a>(&'a self, alert_id: &'a str) -> BoxFuture<'a, Result<Applied, ApplyError>>;
}

/// Fills the enrichment fields (`__relatedIncident`, …) of one raw alert (REST shape). `fields`
/// lists only those some alert resource reads; it is never empty.
pub trait AlertEnricher: Send + Sync + 'static {
    fn enrich<'a>(
        &'a self,
        alert: &'a mut Value,
        fields: &'a [&'static str],
    ) -> BoxFuture<'a, Result<(), ApplyError>>;
}

/// The production [`Applier`].
pub struct AlertApplier {
    pub opsgenie: OpsgenieClient,
    pub port: PortClient,
    /// The mapping the last resync selected; each event reads it once, at its start.
    pub mapping: Current,
    pub enricher: Arc<dyn AlertEnricher>,
    /// `port-ocean/<type>/`: with `datasource_suffix`, how Port tells this integration's
    /// entities apart.
    pub datasource_prefix: String,
    /// `/<identifier>/exporter`.
    pub datasource_suffix: String,
}

/// An entity reference.
type Key = (String, String);

impl AlertApplier {
    fn alert_resources(mapping: &Mapping) -> impl Iterator<Item = &Resource> {
        mapping
            .resources
            .iter()
            .filter(|resource| resource.kind == ALERT_KIND)
    }

    /// Enrichment fields any alert resource reads, deduplicated.
    fn enrichment_fields(mapping: &Mapping) -> Vec<&'static str> {
        let mut fields: Vec<&'static str> = Self::alert_resources(mapping)
            .flat_map(|resource| resource.enrichments.iter().copied())
            .collect();
        fields.sort_unstable();
        fields.dedup();
        fields
    }

    async fn apply_alert(&self, alert_id: &str) -> Result<Applied, ApplyError> {
        let mapping = self.mapping.get();
        let Some(raw) = self.opsgenie.get_alert(alert_id).await? else {
            // Opsgenie says it does not exist (deleted, or this event is older than a Delete).
            let mut applied = self.delete_alert(&mapping, alert_id).await?;
            applied.gone = true;
            return Ok(applied);
        };
        let fields = Self::enrichment_fields(&mapping);
        let mut raw = raw;
        if !fields.is_empty() {
            self.enricher.enrich(&mut raw, &fields).await?;
        }
        let item = jq::Value::from_serde(&raw);

        let mut upserts: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut upserted_keys: Vec<Key> = Vec::new();
        let mut leaving: Vec<Key> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        for resource in Self::alert_resources(&mapping) {
            let in_query = matches_api_query(&resource.options.api_query, &raw);
            for expanded in resource.expand(&item) {
                let Ok(item) = expanded else { continue };
                let selected = match resource.select(&item) {
                    Ok(selected) => selected && in_query,
                    Err(message) => {
                        errors.push(format!("resources[{}]: {message}", resource.index));
                        continue;
                    }
                };
                let Outcome::Entity(entity) = resource.map(&item).outcome else {
                    continue;
                };
                // Port refuses such an entity; as in a resync, the item fails without a write.
                if let Some(reason) = entity.identifier_refusal() {
                    errors.push(format!("resources[{}]: {reason}", resource.index));
                    continue;
                }
                let key = (entity.identifier_key(), entity.blueprint_name());
                if selected {
                    let body = serde_json::from_slice(&entity.to_port_json())
                        .map_err(|e| ApplyError::permanent(format!("entity JSON: {e}")))?;
                    upserts.entry(key.1.clone()).or_default().push(body);
                    upserted_keys.push(key);
                } else {
                    leaving.push(key);
                }
            }
        }
        leaving.retain(|key| !upserted_keys.contains(key));

        let options = UpsertOptions {
            merge: mapping.enable_merge_entity,
            create_missing_related_entities: mapping.create_missing_related_entities,
            extra_query: Vec::new(),
        };
        let mut applied = Applied::default();
        for (blueprint, entities) in &upserts {
            let results = self
                .port
                .upsert_entities(blueprint, entities, &options)
                .await?;
            for result in results {
                match result.status {
                    UpsertStatus::Failed(error) => errors.push(format!(
                        "Port refused {blueprint}/{}: {error}",
                        result.identifier
                    )),
                    _ => applied.upserted += 1,
                }
            }
        }
        applied.deleted = self
            .delete_owned(leaving, mapping.delete_dependent_entities)
            .await?;
        if errors.is_empty() {
            Ok(applied)
        } else {
            // Port refused entities, or a selector does not yield a boolean: the same again.
            Err(ApplyError::permanent(errors.join("; ")))
        }
    }

    /// Deletes the entities of an alert Opsgenie answered 404 for, when this integration owns
    /// them. Only the id is known (the webhook body is not kept, and Opsgenie no longer has the
    /// alert), so the identifiers are those the mapping gives `{"id": alert_id}` — the alert's
    /// own with the shipped mappings (`identifier: .id`). An entity whose identifier or
    /// blueprint needs other fields is left for the next resync's stale-entity deletion. The
    /// selector is not applied: the alert is gone, whatever it looked like.
    async fn delete_alert(&self, mapping: &Mapping, alert_id: &str) -> Result<Applied, ApplyError> {
        let item = jq::Value::from_serde(&json!({ "id": alert_id }));
        let mut keys: Vec<Key> = Vec::new();
        for resource in Self::alert_resources(mapping) {
            for expanded in resource.expand(&item) {
                let Ok(item) = expanded else { continue };
                if let Outcome::Entity(entity) = resource.map(&item).outcome {
                    let key = (entity.identifier_key(), entity.blueprint_name());
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        let deleted = self
            .delete_owned(keys, mapping.delete_dependent_entities)
            .await?;
        Ok(Applied {
            upserted: 0,
            deleted,
            gone: false,
        })
    }

    /// Deletes those of `keys` that exist in Port under this integration's ownership.
    async fn delete_owned(
        &self,
        keys: Vec<Key>,
        delete_dependents: bool,
    ) -> Result<usize, ApplyError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let pairs: Vec<Value> = keys
            .iter()
            .map(|(identifier, blueprint)| {
                json!({"combinator": "and", "rules": [
                    {"property": "$identifier", "operator": "=", "value": identifier},
                    {"property": "$blueprint", "operator": "=", "value": blueprint},
                ]})
            })
            .collect();
        let query = json!({"combinator": "and", "rules": [
            {"property": "$datasource", "operator": "contains", "value": self.datasource_prefix},
            {"property": "$datasource", "operator": "contains", "value": self.datasource_suffix},
            {"combinator": "or", "rules": pairs},
        ]});
        let found = self
            .port
            .search_entities(&query, &["identifier", "blueprint"])
            .await?;
        let mut by_blueprint: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for entity in &found {
            let field = |name: &str| entity.get(name).and_then(Value::as_str).map(str::to_owned);
            if let (Some(identifier), Some(blueprint)) = (field("identifier"), field("blueprint")) {
                by_blueprint.entry(blueprint).or_default().push(identifier);
            }
        }
        let mut deleted = 0;
        for (blueprint, identifiers) in by_blueprint {
            let result = self
                .port
                .delete_entities(&blueprint, &identifiers, delete_dependents)
                .await?;
            deleted += result.deleted.len();
            if let Some((identifier, reason)) = result.failed.first() {
                return Err(ApplyError::permanent(format!(
                    "Port did not delete {blueprint}/{identifier}: {reason}"
                )));
            }
        }
        Ok(deleted)
    }
}

impl Applier for AlertApplier {
    fn apply<'a>(&'a self, alert_id: &'a str) -> BoxFuture<'a, Result<Applied, ApplyError>> {
        Box::pin(self.apply_alert(alert_id))
    }
}

/// Whether the alert matches the resource's `apiQueryParams` terms that are plain field
/// equalities (`status`, `priority`, `acknowledged`, …). A resync only lists alerts matching
/// them, so an alert that stopped matching (e.g. closed, with `status: open`) leaves the catalog
/// now instead of at the next resync. Terms this check cannot evaluate locally (dates, teams)
/// count as matching.
fn matches_api_query(terms: &[(String, String)], alert: &Value) -> bool {
    terms.iter().all(|(field, expected)| {
        let field = field.as_str();
        let path: &[&str] = match field {
            "acknowledgedBy" => &["report", "acknowledgedBy"],
            "closedBy" => &["report", "closedBy"],
            "status" | "priority" | "owner" | "message" | "acknowledged" | "snoozed" | "isSeen" => {
                &[field]
            }
            _ => return true,
        };
        let mut value = alert;
        for segment in path {
            match value.get(segment) {
                Some(next) => value = next,
                None => return false,
            }
        }
        let expected = expected.trim_matches('"');
        match value {
            Value::String(text) => text.eq_ignore_ascii_case(expected),
            Value::Bool(flag) => flag.to_string().eq_ignore_ascii_case(expected),
            Value::Number(number) => number.as_f64() == expected.parse::<f64>().ok(),
            _ => false,
        }
    })
}

/// An enricher for mappings that read no enrichment field, and a stand-in that leaves
/// requested fields `null` (the mapping then sends `null` for them).
pub struct NullEnricher;

impl AlertEnricher for NullEnricher {
    fn enrich<'a>(
        &'a self,
        alert: &'a mut Value,
        fields: &'a [&'static str],
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(async move {
            if let Value::Object(map) = alert {
                for field in fields {
                    map.entry(*field).or_insert(Value::Null);
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn api_query_equalities_are_checked_locally() {
        let alert = json!({
            "status": "closed",
            "acknowledged": true,
            "priority": "P1",
            "report": {"closedBy": "ann"},
            "createdAt": "2026-01-01T00:00:00Z"
        });
        assert!(matches_api_query(&[], &alert));
        assert!(!matches_api_query(&terms(&[("status", "open")]), &alert));
        assert!(matches_api_query(&terms(&[("status", "closed")]), &alert));
        assert!(matches_api_query(
            &terms(&[("acknowledged", "true")]),
            &alert
        ));
        assert!(!matches_api_query(
            &terms(&[("acknowledged", "false")]),
            &alert
        ));
        assert!(matches_api_query(
            &terms(&[("priority", "p1"), ("closedBy", "ann")]),
            &alert
        ));
        assert!(!matches_api_query(
            &terms(&[("acknowledgedBy", "ann")]),
            &alert
        ));
        // Terms that cannot be evaluated locally do not filter.
        assert!(matches_api_query(
            &terms(&[("createdAt", "<2025-01-01")]),
            &alert
        ));
        assert!(matches_api_query(&terms(&[("teams", "ops")]), &alert));
    }

    #[tokio::test]
    async fn the_null_enricher_adds_missing_fields_only() {
        let mut alert = json!({"id": "a", "__relatedIncident": {"id": "i"}});
        NullEnricher
            .enrich(&mut alert, &["__relatedIncident", "__team"])
            .await
            .unwrap();
        assert_eq!(alert["__relatedIncident"], json!({"id": "i"}));
        assert_eq!(alert["__team"], Value::Null);
    }
}
