//! Entities Port refused, written again once every resource ran (ocean-core.md §3.6): with
//! `createMissingRelatedEntities: false` an entity is refused while the entity it relates to is
//! not in Port yet, which a later resource may create (e.g. alerts mapped before incidents).
//! Blueprints go relation targets first; within a blueprint, in the order they were refused.

use super::listing::Listing;
use super::summary::KindSummary;
use super::Engine;
use std::collections::{BTreeMap, BTreeSet};

/// One refused entity and the resource that produced it.
pub(super) struct Refused {
    pub resource: usize,
    pub blueprint: String,
    pub body: serde_json::Value,
}

/// Upserts the refused entities again; each one Port now accepts moves from `failed` to
/// `created` / `updated` of its resource. Errors leave the counts as they are.
pub(super) async fn upsert_refused(
    engine: &Engine,
    refused: Vec<Refused>,
    kinds: &mut [KindSummary],
    mut listing: Option<&mut Listing>,
) {
    let mut by_blueprint: BTreeMap<String, Vec<Refused>> = BTreeMap::new();
    for entity in refused {
        by_blueprint
            .entry(entity.blueprint.clone())
            .or_default()
            .push(entity);
    }
    let relation_targets = super::reconcile::relation_targets(&engine.mapping().blueprints_json);
    let order = targets_first(&relation_targets, by_blueprint.keys());
    let mut recovered = 0usize;
    let mut still_refused = 0usize;
    for blueprint in order {
        let Some(entities) = by_blueprint.remove(&blueprint) else {
            continue;
        };
        let bodies: Vec<serde_json::Value> = entities.iter().map(|e| e.body.clone()).collect();
        let result = match engine.upsert_bodies(&blueprint, &bodies).await {
            Ok(result) => result,
            Err(error) => {
                tracing::error!(blueprint = %blueprint, error = %error, "retrying refused entities failed");
                still_refused += bodies.len();
                continue;
            }
        };
        still_refused += result.failed;
        let failed: BTreeSet<usize> = result.failed_indexes.iter().copied().collect();
        let created: BTreeSet<usize> = result.created_indexes.iter().copied().collect();
        for (index, entity) in entities.iter().enumerate() {
            if failed.contains(&index) {
                continue;
            }
            recovered += 1;
            // Written now: not a deletion candidate (as Ocean's `before`).
            if let Some(listing) = listing.as_deref_mut() {
                listing.wrote(&blueprint, &entity.body, None);
            }
            if let Some(kind) = kinds.iter_mut().find(|k| k.index == entity.resource) {
                kind.failed -= 1;
                kind.upserted += 1;
                if created.contains(&index) {
                    kind.created += 1;
                } else {
                    kind.updated += 1;
                }
            }
        }
    }
    tracing::info!(
        recovered,
        still_refused,
        "refused entities written again after every resource"
    );
}

/// `blueprints` ordered so that a blueprint comes after those its relations point at (cycles
/// keep their alphabetical order).
fn targets_first<'a>(
    relation_targets: &BTreeMap<String, BTreeMap<String, String>>,
    blueprints: impl Iterator<Item = &'a String>,
) -> Vec<String> {
    let mut pending: Vec<String> = blueprints.cloned().collect();
    let mut ordered: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().position(|blueprint| {
            relation_targets
                .get(blueprint)
                .into_iter()
                .flat_map(|relations| relations.values())
                .all(|target| {
                    target == blueprint || ordered.contains(target) || !pending.contains(target)
                })
        });
        // A cycle: take the first and go on.
        ordered.push(pending.remove(ready.unwrap_or(0)));
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_targets_come_first() {
        let mut targets: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let relate = |to: &str| BTreeMap::from([("r".to_owned(), to.to_owned())]);
        targets.insert("alert".into(), relate("incident"));
        targets.insert("incident".into(), relate("service"));
        targets.insert("service".into(), BTreeMap::new());
        targets.insert("a".into(), relate("b"));
        targets.insert("b".into(), relate("a"));
        let names: Vec<String> = ["alert", "incident", "service"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            targets_first(&targets, names.iter()),
            ["service", "incident", "alert"]
        );
        let cycle: Vec<String> = vec!["a".into(), "b".into()];
        assert_eq!(targets_first(&targets, cycle.iter()), ["a", "b"]);
    }
}
