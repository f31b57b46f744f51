//! A resync compares with one listing of this integration's entities, taken before Opsgenie is
//! read, and writes one entity per identifier: the Port simulator's counters say what was sent.

use crate::common::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::sync::{
    CancellationFlag, DeletionOutcome, Engine, ResyncReport, ResyncStatus,
};
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::OpsgenieSimConfig;
use opsgenie_port_sim::port::PortCounters;
use serde_json::json;
use std::time::Duration;

const LISTING: &str = "POST /v1/blueprints/entities/datasource-entities";

async fn resync(engine: &Engine) -> ResyncReport {
    let report = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{}\n{:?}",
        report.render(),
        report.errors
    );
    report
}

fn writes(counters: &PortCounters) -> u64 {
    counters.entities_created + counters.entities_updated + counters.entities_deleted
}

/// Requests of one route.
fn sent(counters: &PortCounters, route: &str) -> u64 {
    counters.by_route.get(route).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_second_resync_sends_the_listing_and_bookkeeping_only() {
    // Over 2,000 entities: the listing takes three pages of 1,000.
    let account = Account::generate(&GenSpec {
        seed: 71,
        alerts: 2_100,
        incidents: 30,
        services: 12,
        teams: 4,
        users: 12,
        schedules: 4,
    });
    let sims = start(account, &compiled(), OpsgenieSimConfig::default()).await;
    let engine = engine(&sims, &compiled());
    let opsgenie_before = sims.opsgenie.counters().values().sum::<u64>();
    let first = resync(&engine).await;
    let opsgenie_first = sims.opsgenie.counters().values().sum::<u64>() - opsgenie_before;
    let entities = sims.port.all_entities().len() as u64;
    assert!(entities > 2_000, "{entities}");
    let created: u64 = first.kinds.iter().map(|k| k.created).sum();
    assert!(created > 2_000, "{}", first.render());

    sims.port.reset_counters();
    let opsgenie_before = sims.opsgenie.counters().values().sum::<u64>();
    let second = resync(&engine).await;
    let counters = sims.port.counters();
    assert_eq!(writes(&counters), 0, "{counters:?}");
    assert_eq!(
        sent(&counters, LISTING),
        entities.div_ceil(1000),
        "{counters:?}"
    );
    // Besides the listing: the state, the mapping, raw examples per resource and the check of
    // each blueprint the mapping writes.
    let bookkeeping = [
        LISTING,
        "POST /v1/auth/access_token",
        "GET /v1/integration/{id}",
        "PATCH /v1/integration/{id}/resync-state",
        "POST /v1/integration/{id}/kinds/{kind}/examples",
        "GET /v1/blueprints/{blueprint}",
    ];
    let other: Vec<(&String, &u64)> = counters
        .by_route
        .iter()
        .filter(|(route, _)| !bookkeeping.contains(&route.as_str()))
        .collect();
    assert!(
        other.is_empty(),
        "no comparison searches, no writes: {other:?}"
    );
    assert_eq!(
        sent(&counters, "PATCH /v1/integration/{id}/resync-state"),
        2
    );
    assert!(
        counters.requests <= sent(&counters, LISTING) + 10,
        "{counters:?}"
    );
    let unchanged: u64 = second.kinds.iter().map(|k| k.unchanged).sum();
    assert_eq!(unchanged, created, "{}", second.render());
    assert!(matches!(
        second.deletion,
        DeletionOutcome::Done { candidates, stale: 0, .. } if candidates == entities
    ));
    // Opsgenie is read as before.
    let opsgenie_second = sims.opsgenie.counters().values().sum::<u64>() - opsgenie_before;
    assert_eq!(opsgenie_second, opsgenie_first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entities_changed_in_port_between_resyncs_are_written_again() {
    let sims = start(
        small_account(72, 60),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let engine = engine(&sims, &compiled());
    resync(&engine).await;
    let expected = expected_catalog(&sims, &compiled()).await;
    assert_catalog(&sims, &expected);
    let alerts: Vec<String> = sims
        .port
        .entities("opsGenieAlert")
        .iter()
        .take(3)
        .map(|a| a["identifier"].as_str().unwrap().to_owned())
        .collect();
    // Changed by a writer with this integration's own User-Agent (still ours, so listed): a
    // title, and a property removed.
    let mut edited = sims.port.entity("opsGenieAlert", &alerts[0]).unwrap();
    edited["title"] = json!("changed by hand");
    sims.port
        .insert_entity_as(&port_user_agent(), "opsGenieAlert", edited)
        .unwrap();
    let mut emptied = sims.port.entity("opsGenieAlert", &alerts[1]).unwrap();
    emptied["properties"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    sims.port
        .insert_entity_as(&port_user_agent(), "opsGenieAlert", emptied)
        .unwrap();
    // Changed in Port's UI: another writer, so no longer listed as ours.
    let mut taken = sims.port.entity("opsGenieAlert", &alerts[2]).unwrap();
    taken["properties"]["priority"] = json!("P5-by-hand");
    sims.port
        .insert_entity_as("port-ui", "opsGenieAlert", taken)
        .unwrap();

    sims.port.reset_counters();
    let report = resync(&engine).await;
    let updated: u64 = report.kinds.iter().map(|k| k.updated).sum();
    assert_eq!(updated, 3, "{}", report.render());
    let counters = sims.port.counters();
    assert_eq!(
        (counters.entities_created, counters.entities_updated),
        (0, 3)
    );
    assert_eq!(
        sent(&counters, "POST /v1/blueprints/{blueprint}/entities/bulk"),
        1
    );
    assert_catalog(&sims, &expected);
    assert_eq!(
        sims.port
            .entity_datasource("opsGenieAlert", &alerts[2])
            .as_deref(),
        Some(port_user_agent().as_str())
    );
    // And then it is quiet again.
    sims.port.reset_counters();
    resync(&engine).await;
    assert_eq!(writes(&sims.port.counters()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entities_sharing_an_identifier_are_written_once_even_pages_apart() {
    // Two of the documentation's sample services share a name, the default mapping's
    // identifier; pages of two services put them on different pages.
    let sims = start(
        account_with_sample_services(73, 30),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let registry = compiled();
    let engine = Engine::new(
        registry.clone(),
        opsgenie_client_paged(&sims, sims.opsgenie.api_key(), 2),
        port_client(&sims),
        settings(),
    );
    let first = resync(&engine).await;
    let services = first.kinds.iter().find(|k| k.kind == "service").unwrap();
    assert_eq!(services.mapped, services.fetched);
    assert_eq!(services.superseded, 1, "{}", first.render());
    assert_eq!(services.created, services.mapped - 1);
    // Nothing was written twice: every write created an entity (placeholders included).
    let counters = sims.port.counters();
    assert_eq!(counters.entities_updated, 0, "{counters:?}");
    // Port holds the last one, as it would have after writing both.
    assert_catalog(&sims, &expected_catalog(&sims, &registry).await);

    sims.port.reset_counters();
    let second = resync(&engine).await;
    let counters = sims.port.counters();
    assert_eq!(writes(&counters), 0, "{}\n{counters:?}", second.render());
    let services = second.kinds.iter().find(|k| k.kind == "service").unwrap();
    assert_eq!(
        (services.superseded, services.unchanged),
        (1, services.mapped - 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_entity_written_by_someone_else_during_the_resync_is_not_deleted() {
    // Opsgenie answers slowly, so Port can be written after the listing and before the end.
    let config = OpsgenieSimConfig {
        latency: Duration::from_millis(40),
        ..OpsgenieSimConfig::default()
    };
    let sims = start(small_account(74, 40), &compiled(), config).await;
    let engine = engine(&sims, &compiled());
    resync(&engine).await;
    for id in ["stale-untouched", "stale-rewritten"] {
        sims.port
            .insert_entity_as(
                &port_user_agent(),
                "opsGenieAlert",
                json!({"identifier": id, "properties": {}, "relations": {}}),
            )
            .unwrap();
    }
    // Written before the resync starts (`updatedAt` has millisecond precision).
    tokio::time::sleep(Duration::from_millis(20)).await;
    sims.port.reset_counters();
    let running = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.resync(&CancellationFlag::new()).await })
    };
    // Once listed, a webhook event of this integration writes one of them again.
    let listed = async {
        while sent(&sims.port.counters(), LISTING) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), listed)
        .await
        .expect("the resync lists Port's entities");
    sims.port
        .insert_entity_as(
            &port_user_agent(),
            "opsGenieAlert",
            json!({"identifier": "stale-rewritten", "title": "live", "properties": {}, "relations": {}}),
        )
        .unwrap();
    let report = running.await.unwrap();
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{}",
        report.render()
    );
    assert!(
        sims.port
            .entity("opsGenieAlert", "stale-untouched")
            .is_none(),
        "{}",
        report.render()
    );
    assert!(sims
        .port
        .entity("opsGenieAlert", "stale-rewritten")
        .is_some());
    match report.deletion {
        DeletionOutcome::Done { stale, deleted, .. } => assert_eq!((stale, deleted), (1, 1)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_after_more_writes_than_are_held_compares_with_what_was_written() {
    // The first service once more, as the last: 1,100 services apart, more than a resync holds
    // back, so the first is written before its repeat is mapped.
    let mut account = Account::generate(&GenSpec {
        seed: 75,
        alerts: 10,
        incidents: 4,
        services: 1_100,
        teams: 4,
        users: 12,
        schedules: 4,
    });
    account.services.push(account.services[0].clone());
    let sims = start(account, &compiled(), OpsgenieSimConfig::default()).await;
    let engine = engine(&sims, &compiled());
    let first = resync(&engine).await;
    let services = first.kinds.iter().find(|k| k.kind == "service").unwrap();
    assert_eq!(services.mapped, 1_101);
    // The repeat equals what was just written: not written again.
    assert_eq!(
        (services.created, services.updated, services.unchanged),
        (1_100, 0, 1),
        "{}",
        first.render()
    );
    assert_catalog(&sims, &expected_catalog(&sims, &compiled()).await);

    sims.port.reset_counters();
    let second = resync(&engine).await;
    let counters = sims.port.counters();
    assert_eq!(writes(&counters), 0, "{}\n{counters:?}", second.render());
    assert_eq!(sent(&counters, "POST /v1/entities/search"), 0);

    // Every service changes but the repeat: the first is written before the repeat comes, and
    // the repeat, equal to Port's listed copy, is compared with Port's copy as it is by then.
    sims.opsgenie.with_account(|a| {
        let last = a.services.len() - 1;
        for service in &mut a.services[..last] {
            service.description = format!("{} (changed)", service.description).into();
        }
    });
    let third = resync(&engine).await;
    let services = third.kinds.iter().find(|k| k.kind == "service").unwrap();
    // 1,100 changed, and the repeat written again over the first.
    assert_eq!(services.updated, 1_101, "{}", third.render());
    assert_catalog(&sims, &expected_catalog(&sims, &compiled()).await);
}
