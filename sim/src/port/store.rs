//! The simulator's in-memory catalog: blueprints, entities, integrations, tokens, counters.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::time::format_iso;

/// One entity as Port keeps it, plus the owner (`$datasource`) Port derives from the writer's
/// User-Agent.
#[derive(Debug, Clone)]
pub struct StoredEntity {
    pub identifier: String,
    pub title: Option<String>,
    pub icon: Option<String>,
    pub team: Vec<String>,
    pub properties: Map<String, Value>,
    pub relations: Map<String, Value>,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
    pub datasource: String,
}

impl StoredEntity {
    /// The entity as Port's API returns it.
    pub fn to_json(&self, blueprint: &str) -> Value {
        json!({
            "identifier": self.identifier,
            "title": self.title,
            "icon": self.icon,
            "team": self.team,
            "blueprint": blueprint,
            "properties": self.properties,
            "relations": self.relations,
            "createdAt": format_iso(self.created_at),
            "createdBy": self.created_by,
            "updatedAt": format_iso(self.updated_at),
            "updatedBy": self.updated_by,
        })
    }

    /// Whether `relation` points at `identifier` (cheaper than collecting the targets).
    pub fn relates_to(&self, relation: &str, identifier: &str) -> bool {
        match self.relations.get(relation) {
            Some(Value::String(id)) => id == identifier,
            Some(Value::Array(ids)) => ids.iter().any(|id| id.as_str() == Some(identifier)),
            _ => false,
        }
    }

    /// Ids this entity points at through `relation` (single or many).
    pub fn relation_targets(&self, relation: &str) -> Vec<&str> {
        match self.relations.get(relation) {
            Some(Value::String(id)) => vec![id.as_str()],
            Some(Value::Array(ids)) => ids.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// An integration record and what Ocean reported to it.
#[derive(Debug, Clone, Default)]
pub struct IntegrationRecord {
    pub json: Map<String, Value>,
    /// Every body PATCHed to `/resync-state`, in order, each with the `updatedAt` it got.
    pub resync_states: Vec<Value>,
    pub resync_request: Option<Value>,
    pub kind_examples: BTreeMap<String, Vec<Value>>,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub client_id: String,
    pub expires_at: Instant,
}

/// What the simulator has seen, for assertions.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PortCounters {
    /// All requests, including those answered with a fault.
    pub requests: u64,
    /// Requests per route pattern, e.g. `POST /v1/blueprints/{blueprint}/entities/bulk`.
    pub by_route: BTreeMap<String, u64>,
    /// Responses per status code.
    pub by_status: BTreeMap<u16, u64>,
    pub tokens_issued: u64,
    pub unauthorized: u64,
    /// 429s, from the limiter or injected.
    pub rate_limited: u64,
    pub faults_injected: u64,
    pub payload_too_large: u64,
    pub entities_created: u64,
    pub entities_updated: u64,
    pub entities_deleted: u64,
    /// Entities refused by validation (single or per bulk item).
    pub entity_errors: u64,
    /// Entity writes received per blueprint (each bulk item counts; refused ones included),
    /// so a test can tell that nothing at all was sent for a blueprint.
    pub entity_writes: BTreeMap<String, u64>,
    pub logs_ingested: u64,
}

#[derive(Debug, Default)]
pub struct Store {
    pub blueprints: BTreeMap<String, Value>,
    /// blueprint id -> entity id -> entity.
    pub entities: BTreeMap<String, BTreeMap<String, StoredEntity>>,
    pub integrations: BTreeMap<String, IntegrationRecord>,
    pub tokens: HashMap<String, TokenRecord>,
    /// client id -> its currently active token (Port re-issues it until expiry).
    pub active_tokens: HashMap<String, String>,
    pub migrations: BTreeMap<String, Value>,
    pub counters: PortCounters,
    /// Source of unique suffixes (tokens, generated identifiers, migrations).
    pub sequence: u64,
}

impl Store {
    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    pub fn entity(&self, blueprint: &str, identifier: &str) -> Option<&StoredEntity> {
        self.entities.get(blueprint)?.get(identifier)
    }

    /// `(relation id, target blueprint, many)` of a blueprint's relations.
    pub fn relations_of(&self, blueprint: &str) -> Vec<(String, String, bool)> {
        let Some(relations) = self
            .blueprints
            .get(blueprint)
            .and_then(|bp| bp.get("relations"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        relations
            .iter()
            .filter_map(|(id, rel)| {
                let target = rel.get("target")?.as_str()?.to_string();
                let many = rel.get("many").and_then(Value::as_bool).unwrap_or(false);
                Some((id.clone(), target, many))
            })
            .collect()
    }

    /// Entities (blueprint, id) holding a relation to `blueprint`/`identifier`.
    pub fn dependents_of(&self, blueprint: &str, identifier: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for (source_bp, entities) in &self.entities {
            let pointing: Vec<String> = self
                .relations_of(source_bp)
                .into_iter()
                .filter(|(_, target, _)| target == blueprint)
                .map(|(rel, _, _)| rel)
                .collect();
            if pointing.is_empty() {
                continue;
            }
            for entity in entities.values() {
                if pointing
                    .iter()
                    .any(|rel| entity.relates_to(rel, identifier))
                {
                    found.push((source_bp.clone(), entity.identifier.clone()));
                }
            }
        }
        found
    }

    /// Removes an entity; with `cascade`, also (transitively) everything that relates to it.
    /// Returns every removed (blueprint, id).
    pub fn remove_entity(
        &mut self,
        blueprint: &str,
        identifier: &str,
        cascade: bool,
    ) -> Vec<(String, String)> {
        let mut removed = Vec::new();
        let mut pending = vec![(blueprint.to_string(), identifier.to_string())];
        while let Some((bp, id)) = pending.pop() {
            let gone = self
                .entities
                .get_mut(&bp)
                .and_then(|entities| entities.remove(&id))
                .is_some();
            if !gone {
                continue;
            }
            if cascade {
                pending.extend(self.dependents_of(&bp, &id));
            }
            removed.push((bp, id));
        }
        self.counters.entities_deleted += removed.len() as u64;
        removed
    }

    pub fn all_entities(&self) -> impl Iterator<Item = (&String, &StoredEntity)> {
        self.entities
            .iter()
            .flat_map(|(bp, entities)| entities.values().map(move |e| (bp, e)))
    }
}
