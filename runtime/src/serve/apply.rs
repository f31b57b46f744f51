//! Applying one webhook event to Port: re-read the alert, enrich only what the mapping reads,
//! map it with every `alert` resource, upsert what passes, and delete (when this integration
//! owns them) entities of alerts that are gone or no longer pass.

use super::webhook::{rest_shape, WebhookEvent};
use crate::jq;
use crate::mapping::{Current, Mapping, Outcome, Resource};
use crate::opsgenie::OpsgenieClient;
use crate::port::{PortClient, UpsertOptions, UpsertStatus};
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
}

/// Applies webhook events; the real one is [`AlertApplier`], tests may fake it.
pub trait Applier: Send + Sync + 'static {
    /// Any action but `Delete`: make Port match the alert as Opsgenie has it now.
    fn refresh<'a>(&'a self, event: &'a WebhookEvent) -> BoxFuture<'a, Result<Applied, String>>;
    /// `Delete`: remove the alert's entities.
    fn delete<'a>(&'a self, event: &'a WebhookEvent) -> BoxFuture<'a, Result<Applied, String>>;
}

/// Fills the enrichment fields (`__relatedIncident`, …) of one raw alert (REST shape). `fields`
/// lists only those some alert resource reads; it is never empty.
pub trait AlertEnricher: Send + Sync + 'static {
    fn enrich<'a>(
        &'a self,
        alert: &'a mut Value,
        fields: &'a [&'static str],
    ) -> BoxFuture<'a, Result<(), String>>;
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

    async fn refresh_alert(&self, event: &WebhookEvent) -> Result<Applied, String> {
        let mapping = self.mapping.get();
        let fetched = self
            .opsgenie
            .get_alert(&event.alert_id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(raw) = fetched else {
            // Gone from Opsgenie (deleted, or this event is older than a Delete).
            return self.delete_alert(&mapping, event).await;
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
                let key = (entity.identifier_key(), entity.blueprint_name());
                if selected {
                    let body = serde_json::from_slice(&entity.to_port_json())
                        .map_err(|e| format!("entity JSON: {e}"))?;
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
                .await
                .map_err(|e| e.to_string())?;
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
            Err(errors.join("; "))
        }
    }

    /// Deletes the entities the webhook's alert maps to, when this integration owns them. The
    /// selector is not applied: the alert is gone, whatever it looked like.
    async fn delete_alert(
        &self,
        mapping: &Mapping,
        event: &WebhookEvent,
    ) -> Result<Applied, String> {
        let item = jq::Value::from_serde(&rest_shape(&event.alert));
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
        })
    }

    /// Deletes those of `keys` that exist in Port under this integration's ownership.
    async fn delete_owned(&self, keys: Vec<Key>, delete_dependents: bool) -> Result<usize, String> {
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
            .await
            .map_err(|e| e.to_string())?;
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
                .await
                .map_err(|e| e.to_string())?;
            deleted += result.deleted.len();
            if let Some((identifier, reason)) = result.failed.first() {
                return Err(format!(
                    "Port did not delete {blueprint}/{identifier}: {reason}"
                ));
            }
        }
        Ok(deleted)
    }
}

impl Applier for AlertApplier {
    fn refresh<'a>(&'a self, event: &'a WebhookEvent) -> BoxFuture<'a, Result<Applied, String>> {
        Box::pin(self.refresh_alert(event))
    }

    fn delete<'a>(&'a self, event: &'a WebhookEvent) -> BoxFuture<'a, Result<Applied, String>> {
        Box::pin(async move {
            let mapping = self.mapping.get();
            self.delete_alert(&mapping, event).await
        })
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
    ) -> BoxFuture<'a, Result<(), String>> {
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
