//! End-to-end resyncs against both simulators (in-process, OS-assigned ports).

use crate::common::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::mapping::Mapping;
use opsgenie_port::runtime::sync::{CancellationFlag, DeletionOutcome, ResyncStatus};
use opsgenie_port_sim::faults::FaultConfig;
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::OpsgenieSimConfig;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

mod ocean {
    opsgenie_port_macros::include_mappings!("mappings/ocean-2026");
}

mod plain {
    opsgenie_port_macros::include_mappings!("tests/fixtures/sync-plain");
}

mod strict_relations {
    opsgenie_port_macros::include_mappings!("tests/fixtures/sync-strict-relations");
}

async fn sync_ok(
    sims: &Sims,
    registry: &Arc<Mapping>,
) -> opsgenie_port::runtime::sync::ResyncReport {
    let report = engine(sims, registry)
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{}\n{:?}",
        report.render(),
        report.errors
    );
    report
}

fn deleted(report: &opsgenie_port::runtime::sync::ResyncReport) -> u64 {
    match &report.deletion {
        DeletionOutcome::Done { deleted, .. } => *deleted,
        DeletionOutcome::Skipped(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_mapping_catalog_equals_map_raw_of_the_same_objects() {
    let account = account_with_sample_services(11, 240);
    let sims = start(account, &compiled(), OpsgenieSimConfig::default()).await;
    let report = sync_ok(&sims, &compiled()).await;
    let expected = expected_catalog(&sims, &compiled()).await;
    assert!(expected.len() > 250, "{}", expected.len());
    assert_catalog(&sims, &expected);
    // The first raw items of each kind, enriched as the mapping saw them, feed Port's mapping
    // editor (OCEAN__SEND_RAW_DATA_EXAMPLES).
    let alerts = sims.port.kind_examples(IDENTIFIER, "alert");
    assert_eq!(alerts.len(), 5);
    assert!(alerts
        .iter()
        .all(|a| a["id"].is_string() && a.get("__relatedIncident").is_some()));
    let services = sims.port.kind_examples(IDENTIFIER, "service");
    assert!(
        services.iter().all(|s| s.get("__team").is_some()),
        "{services:?}"
    );
    // Every kind reported what it did.
    // (Two sample services share a name, hence an identifier: more upserts than entities.)
    let upserted: u64 = report.kinds.iter().map(|k| k.upserted).sum();
    assert!(upserted as usize >= expected.len());
    assert_eq!(
        report
            .kinds
            .iter()
            .map(|k| k.failed + k.skipped)
            .sum::<u64>(),
        0
    );
    // Some services have a team, on-calls and incidents: the enrichment fields were filled in.
    let services = sims.port.entities("opsGenieService");
    assert!(services
        .iter()
        .any(|s| s["properties"]["oncallTeam"].is_string()));
    assert!(services
        .iter()
        .any(|s| s["properties"]["numOpenIncidents"].as_f64() > Some(0.0)));
    let alerts = sims.port.entities("opsGenieAlert");
    assert!(alerts
        .iter()
        .any(|a| a["relations"]["relatedIncident"].is_string()));
    // resync-state went running -> completed.
    let states = sims.port.resync_states(IDENTIFIER);
    let statuses: Vec<&str> = states.iter().filter_map(|s| s["status"].as_str()).collect();
    assert_eq!(statuses, ["running", "completed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocean_2026_mapping_catalog_equals_map_raw_of_the_same_objects() {
    let sims = start(
        small_account(12, 150),
        &ocean::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &ocean::compiled()).await;
    let expected = expected_catalog(&sims, &ocean::compiled()).await;
    let blueprints: std::collections::BTreeSet<&str> =
        expected.keys().map(|(bp, _)| bp.as_str()).collect();
    assert!(blueprints.len() >= 5, "{blueprints:?}");
    assert_catalog(&sims, &expected);
    // Teams got their members (includeMembers) and on-call users (schedule-oncall merge).
    let teams = sims.port.entities("opsGenieTeam");
    assert!(teams.iter().any(|t| t["relations"]["members"]
        .as_array()
        .is_some_and(|m| !m.is_empty())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_objects_are_deleted_and_foreign_entities_untouched() {
    let sims = start(
        small_account(13, 120),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    // An entity written by another integration, and one by a user.
    sims.port
        .insert_entity_as(
            "port-ocean/opsgenie/0.1.0/another-installation/exporter",
            "opsGenieAlert",
            json!({"identifier": "foreign-alert", "title": "not ours", "properties": {}, "relations": {}}),
        )
        .unwrap();
    sims.port
        .insert_entity_as(
            "Port UI",
            "opsGenieAlert",
            json!({"identifier": "manual-alert", "properties": {}, "relations": {}}),
        )
        .unwrap();
    sync_ok(&sims, &compiled()).await;
    let before = port_catalog(&sims);

    // Remove 5 alerts from Opsgenie.
    let alert_ids: Vec<String> = sims.opsgenie.with_account(|a| {
        a.alerts()
            .iter()
            .take(5)
            .map(|x| x.id.to_string())
            .collect()
    });
    for id in &alert_ids {
        assert!(sims.opsgenie.delete_alert(id));
    }
    let report = sync_ok(&sims, &compiled()).await;
    let after = port_catalog(&sims);
    let gone: Vec<&(String, String)> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    let mut expected_gone: Vec<(String, String)> = alert_ids
        .iter()
        .map(|id| ("opsGenieAlert".to_owned(), id.clone()))
        .collect();
    expected_gone.sort();
    let mut gone: Vec<(String, String)> = gone.into_iter().cloned().collect();
    gone.sort();
    assert_eq!(gone, expected_gone, "{}", report.render());
    assert_eq!(deleted(&report), 5);
    assert!(sims.port.entity("opsGenieAlert", "foreign-alert").is_some());
    assert!(sims.port.entity("opsGenieAlert", "manual-alert").is_some());
    assert_catalog(&sims, &expected_catalog(&sims, &compiled()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_relation_targets_of_synced_entities_are_kept() {
    let sims = start(
        small_account(22, 30),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    // Two services incidents point at: one removed only from the service list (incidents still
    // reference it), one removed everywhere (`remove_service` also strips it from incidents).
    let used: Vec<String> = sims.opsgenie.with_account(|a| {
        let mut used: Vec<String> = a
            .incidents
            .iter()
            .flat_map(|i| i.impacted_services.iter().map(|s| s.to_string()))
            .collect();
        used.sort();
        used.dedup();
        used
    });
    assert!(used.len() >= 2, "{used:?}");
    let (referenced, unreferenced) = (used[0].clone(), used[1].clone());
    sims.opsgenie.with_account(|a| {
        a.services.retain(|s| *s.id != *referenced);
        assert!(a.remove_service(&unreferenced));
    });
    let report = sync_ok(&sims, &plain::compiled()).await;
    assert!(
        matches!(
            report.deletion,
            DeletionOutcome::Done {
                stale: 2,
                protected: 1,
                deleted: 1,
                ..
            }
        ),
        "{}",
        report.render()
    );
    assert!(sims.port.entity("opsGenieService", &referenced).is_some());
    assert!(sims.port.entity("opsGenieService", &unreferenced).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mass_removal_above_the_threshold_deletes_nothing() {
    // 200 alerts, 8 services, 12 incidents: removing every alert makes 200 of 220 (91%) stale,
    // above the default entityDeletionThreshold of 0.9.
    let sims = start(
        small_account(21, 200),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    let before = port_catalog(&sims);
    sims.opsgenie.with_account(|a| {
        let ids: Vec<String> = a.alerts().iter().map(|x| x.id.to_string()).collect();
        for id in ids {
            a.delete_alert(&id);
        }
    });
    let report = sync_ok(&sims, &plain::compiled()).await;
    assert!(
        matches!(&report.deletion, DeletionOutcome::Skipped(why) if why.contains("entityDeletionThreshold")),
        "{}",
        report.render()
    );
    assert_eq!(port_catalog(&sims).len(), before.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_resync_under_thirty_percent_faults_completes_without_wrongful_deletions_or_losses() {
    let sims = start(
        small_account(14, 200),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    let clean = port_catalog(&sims);
    let deleted_before = sims.port.counters().entities_deleted;
    // Every alert changes, so the faulty resync has entities to write, not only to compare.
    let ids: Vec<String> = sims
        .opsgenie
        .with_account(|a| a.alerts().iter().map(|x| x.id.to_string()).collect());
    for id in &ids {
        let mut alert = sims.opsgenie.alert_json(id).expect("alert");
        alert["message"] = json!(format!("changed before the faults: {id}"));
        sims.opsgenie.upsert_alert(alert).expect("change");
    }

    let mut faults = FaultConfig::all(0.3, 99);
    faults.timeout_stall = Duration::from_secs(3);
    sims.opsgenie.faults().set(faults.clone());
    sims.port.faults().set(FaultConfig { seed: 7, ..faults });
    // One resync is enough: every call it makes is retried (PATCHes included), so it completes.
    let report = chatty_engine(&sims, &plain::compiled())
        .resync(&CancellationFlag::new())
        .await;
    assert!(report.is_success(), "{}", report.render());
    // Nothing was deleted and nothing lost.
    assert_eq!(
        sims.port.counters().entities_deleted,
        deleted_before,
        "{}",
        report.render()
    );
    assert_eq!(
        port_catalog(&sims).keys().collect::<Vec<_>>(),
        clean.keys().collect::<Vec<_>>()
    );
    let injected = (
        sims.opsgenie.faults().injected(),
        sims.port.faults().injected(),
    );
    assert!(injected.0 > 10 && injected.1 > 10, "{injected:?}");
    sims.opsgenie.faults().set(FaultConfig::none());
    sims.port.faults().set(FaultConfig::none());
    assert_catalog(&sims, &expected_catalog(&sims, &plain::compiled()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_failing_for_good_blocks_every_deletion() {
    let account = small_account(15, 100);
    let sims = start(
        account.clone(),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    let before = port_catalog(&sims);
    let removed: Vec<String> = sims.opsgenie.with_account(|a| {
        a.alerts()
            .iter()
            .take(3)
            .map(|x| x.id.to_string())
            .collect()
    });
    for id in &removed {
        sims.opsgenie.delete_alert(id);
    }
    // Incidents now fail for good: this Opsgenie refuses incident lists without a query.
    let strict = strict_incident_copy(&sims).await;
    let strict_client = opsgenie_port::runtime::opsgenie::OpsgenieClient::new(
        &strict.base_url(),
        opsgenie_port::runtime::secret::Secret::new(strict.api_key()),
        Default::default(),
    )
    .unwrap();
    let engine = engine_reading(&sims, &plain::compiled(), strict_client);
    let report = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    assert!(
        report.errors.iter().any(|e| e.starts_with("incident")),
        "{:?}",
        report.errors
    );
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    // Other kinds still ran (and found their entities unchanged); the removed alerts'
    // entities are still there.
    assert!(report
        .kinds
        .iter()
        .any(|k| k.kind == "alert" && k.mapped > 0 && k.unchanged == k.mapped));
    assert_eq!(
        port_catalog(&sims).keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    let states = sims.port.resync_states(IDENTIFIER);
    assert_eq!(
        states.last().and_then(|s| s["status"].as_str()),
        Some("failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_opsgenie_stops_the_run_after_the_first_kind_and_deletes_nothing() {
    let sims = start(
        small_account(16, 40),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    let before = port_catalog(&sims);
    // A port nothing listens on: every connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port");
    let unreachable = opsgenie_port::runtime::opsgenie::OpsgenieClient::new(
        &format!("http://{closed}"),
        opsgenie_port::runtime::secret::Secret::new(sims.opsgenie.api_key()),
        opsgenie_port::runtime::opsgenie::OpsgenieOptions {
            retry: opsgenie_port::runtime::http::RetryPolicy::fast(3),
            ..Default::default()
        },
    )
    .unwrap();
    let engine = engine_reading(&sims, &plain::compiled(), unreachable);
    let report = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    // The first kind waited through its retries; the others were not tried.
    assert_eq!(report.kinds.len(), 1, "{}", report.render());
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].contains("connection failed") && report.errors[0].contains("3 attempts"),
        "{:?}",
        report.errors
    );
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    assert_eq!(port_catalog(&sims), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_forbidden_an_endpoint_fails_each_kind_alone_and_deletes_nothing() {
    let sims = start(
        small_account(17, 30),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    let before = port_catalog(&sims);
    let forbidden = sims
        .opsgenie
        .forbidden_key()
        .expect("forbidden key")
        .to_owned();
    let engine = engine_reading(
        &sims,
        &plain::compiled(),
        opsgenie_client(&sims, &forbidden),
    );
    let report = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    // Every kind was tried (a 403 may concern one endpoint only), each failed on its own.
    assert_eq!(report.kinds.len(), plain::compiled().resources.len());
    assert_eq!(
        report.errors.len(),
        report.kinds.len(),
        "{:?}",
        report.errors
    );
    assert!(
        report.errors.iter().all(|e| e.contains("HTTP 403")),
        "{:?}",
        report.errors
    );
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    assert_eq!(port_catalog(&sims), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_thousand_alerts_are_all_synced_once() {
    let account = Account::generate(&GenSpec {
        seed: 16,
        alerts: 25_000,
        incidents: 5,
        services: 5,
        teams: 3,
        users: 10,
        schedules: 3,
    });
    let sims = start(account, &plain::compiled(), OpsgenieSimConfig::default()).await;
    let report = sync_ok(&sims, &plain::compiled()).await;
    let alerts = report.kinds.iter().find(|k| k.kind == "alert").unwrap();
    assert_eq!(alerts.fetched, 25_000);
    assert_eq!(alerts.upserted, 25_000);
    let counters = sims.port.counters();
    // Every entity was created exactly once, never rewritten within the resync.
    assert_eq!(counters.entities_updated, 0);
    assert_eq!(sims.port.entities("opsGenieAlert").len(), 25_000);
    // Pages past the 20,000-offset cap were read in createdAt windows.
    assert!(sims.opsgenie.counter("alerts.list") >= 251);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opsgenie_calls_grow_linearly_and_plain_mappings_make_no_enrichment_calls() {
    // The seed mapping on two account sizes: every call family is bounded by a linear function.
    for (alerts, incidents, services) in [(200, 10, 6), (600, 30, 18)] {
        let spec = GenSpec {
            seed: 17,
            alerts,
            incidents,
            services,
            teams: 4,
            users: 10,
            schedules: 4,
        };
        let sims = start(
            Account::generate(&spec),
            &compiled(),
            OpsgenieSimConfig::default(),
        )
        .await;
        sync_ok(&sims, &compiled()).await;
        let c = |family: &str| sims.opsgenie.counter(family);
        let pages = |n: usize| (n as u64).div_ceil(100) + 1;
        let associated: u64 = sims.opsgenie.with_account(|a| {
            a.incidents
                .iter()
                .map(|i| (i.associated_alert_ids.len() as u64 / 25) + 1)
                .sum()
        });
        assert!(
            c("alerts.list") <= pages(alerts),
            "alerts.list {}",
            c("alerts.list")
        );
        // Once for the incident resource, once for the per-resync index.
        assert!(c("incidents.list") <= 2 * pages(incidents));
        assert!(c("services.list") <= 2 * pages(services));
        assert!(
            c("incidents.associated-alert-ids") <= associated,
            "{} > {associated}",
            c("incidents.associated-alert-ids")
        );
        assert!(c("teams.get") <= spec.teams as u64);
        assert!(c("schedules.list") <= pages(spec.schedules));
        assert!(c("schedules.on-calls") <= spec.schedules as u64);
        assert_eq!(c("alerts.get") + c("incidents.get") + c("services.get"), 0);
    }
    // A mapping reading no `__` field: only the three lists.
    let sims = start(
        small_account(18, 300),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    let counters = sims.opsgenie.counters();
    let families: Vec<&str> = counters.keys().map(String::as_str).collect();
    assert_eq!(
        families,
        ["alerts.list", "incidents.list", "services.list"],
        "{counters:?}"
    );
    assert_eq!(counters["incidents.list"], 1);
    assert_eq!(counters["services.list"], 1);
}

/// Runs the real binary against the simulators.
async fn run_cli(sims: &Sims, env: Vec<(&'static str, String)>) -> std::process::Output {
    run_command(sims, &["sync"], env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_command_never_logs_tokens_even_at_debug() {
    let sims = start(
        small_account(19, 60),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let output = run_cli(&sims, vec![("APPLICATION__LOG_LEVEL", "DEBUG".into())]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("resync completed"), "{stdout}");
    assert!(stderr.lines().count() > 5, "expected debug logs: {stderr}");
    for secret in [
        sims.opsgenie.api_key(),
        sims.port.client_secret(),
        sims.port.client_id(),
    ] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} leaked"
        );
    }
    // JSON lines (stderr is not a terminal).
    assert!(
        stderr
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_command_fails_clearly_on_bad_input_and_deletes_nothing() {
    let sims = start(
        small_account(20, 40),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    seed_stale_alert(&sims);
    let wrong_key = "wrong-genie-key-5150";
    let output = run_cli(
        &sims,
        vec![("OCEAN__INTEGRATION__CONFIG__API_TOKEN", wrong_key.into())],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Opsgenie rejected the API key"), "{stderr}");
    assert!(!stderr.contains(wrong_key));
    assert!(sims
        .port
        .entity("opsGenieAlert", "stale-but-kept")
        .is_some());

    let output = run_cli(&sims, vec![("OCEAN__PORT__BASE_URL", "not a url".into())]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("OCEAN__PORT__BASE_URL"), "{stderr}");

    // A client timeout of 0 made every request time out, each retried for minutes.
    let started = std::time::Instant::now();
    let output = run_cli(&sims, vec![("OCEAN__CLIENT_TIMEOUT", "0".into())]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("OCEAN__CLIENT_TIMEOUT"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    let output = run_cli(
        &sims,
        vec![("OCEAN__PORT__CLIENT_SECRET", "wrong-secret-8080".into())],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Port rejected the credentials"), "{stderr}");
    assert!(!stderr.contains("wrong-secret-8080"));
    assert!(sims
        .port
        .entity("opsGenieAlert", "stale-but-kept")
        .is_some());
    assert_eq!(
        sims.opsgenie.counter("alerts.list"),
        0,
        "Opsgenie was called despite bad Port credentials"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_enrichment_of_one_alert_matches_the_resync_semantics() {
    let sims = start(
        small_account(23, 120),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let engine = engine(&sims, &compiled());
    let needed = engine.needed_enrichments("alert");
    assert_eq!(needed, ["__relatedIncident"]);
    let client = opsgenie_client(&sims, sims.opsgenie.api_key());
    // An alert some incident associates, and one no incident does.
    let (associated, lonely) = sims.opsgenie.with_account(|a| {
        let linked: Vec<String> = a
            .incidents
            .iter()
            .flat_map(|i| i.associated_alert_ids.iter().map(|x| x.to_string()))
            .collect();
        let lonely = a
            .alerts()
            .iter()
            .find(|x| !linked.contains(&x.id.to_string()));
        (
            linked[0].clone(),
            lonely.map(|x| x.id.to_string()).expect("a lonely alert"),
        )
    });
    for (id, linked) in [(associated, true), (lonely, false)] {
        let mut alert = client.get_alert(&id).await.unwrap().expect("alert");
        engine
            .enrich_item("alert", &mut alert, &needed)
            .await
            .unwrap();
        let related = &alert["__relatedIncident"];
        assert_eq!(related.is_object(), linked, "{related}");
        if linked {
            let incident_id = related["id"].as_str().unwrap();
            let ids = client
                .incident_associated_alert_ids(incident_id)
                .await
                .unwrap();
            assert!(ids.contains(&id));
        }
    }
    // Nothing needed, nothing fetched.
    sims.opsgenie.reset_counters();
    let mut alert = serde_json::json!({"id": "x"});
    engine.enrich_item("alert", &mut alert, &[]).await.unwrap();
    assert!(sims.opsgenie.counters().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_resync_is_aborted_and_deletes_nothing() {
    let sims = start(
        small_account(24, 50),
        &plain::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    sync_ok(&sims, &plain::compiled()).await;
    let id: String = sims
        .opsgenie
        .with_account(|a| a.alerts().iter().next().unwrap().id.to_string());
    sims.opsgenie.delete_alert(&id);
    let cancel = CancellationFlag::new();
    cancel.cancel();
    let report = engine(&sims, &plain::compiled()).resync(&cancel).await;
    assert_eq!(report.status, ResyncStatus::Aborted);
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    assert!(sims.port.entity("opsGenieAlert", &id).is_some());
    let states = sims.port.resync_states(IDENTIFIER);
    assert_eq!(
        states.last().and_then(|s| s["status"].as_str()),
        Some("aborted")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_refusing_an_entity_fails_the_sync_and_deletes_nothing() {
    let sims = start(
        small_account(20, 40),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    seed_stale_alert(&sims);
    // An alert status outside the blueprint's enum (open, closed): Port refuses that entity.
    let refused = sims.opsgenie.with_account(|a| {
        let id = a.alerts().iter().next().expect("alerts").id.to_string();
        a.alerts_mut()
            .update(&id, |al| al.status = "snoozing".into());
        id
    });
    let output = run_cli(&sims, vec![]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Port refused the entity"), "{stderr}");
    assert!(sims.port.entity("opsGenieAlert", &refused).is_none());
    assert!(
        sims.port
            .entity("opsGenieAlert", "stale-but-kept")
            .is_some(),
        "a failed resync must not delete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entities_refused_for_a_missing_relation_target_are_written_after_every_resource() {
    let registry = &strict_relations::compiled();
    let sims = start(
        small_account(61, 80),
        registry,
        OpsgenieSimConfig::default(),
    )
    .await;
    let report = engine(&sims, registry)
        .resync(&CancellationFlag::new())
        .await;
    // Alerts came before their incidents, incidents before their services: Port refused the
    // related ones at first, and accepted them when written again at the end.
    let failed: u64 = report.kinds.iter().map(|k| k.failed).sum();
    assert_eq!(failed, 0, "{}\n{:?}", report.render(), report.errors);
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{}",
        report.render()
    );
    let created: u64 = report.kinds.iter().map(|k| k.created).sum();
    let expected = expected_catalog(&sims, registry).await;
    assert_eq!(created as usize, expected.len(), "{}", report.render());
    assert_catalog(&sims, &expected);
    let related = sims
        .port
        .entities("opsGenieAlert")
        .iter()
        .filter(|a| a["relations"]["relatedIncident"].is_string())
        .count();
    assert!(related > 0, "some alerts relate to an incident");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_a_resource_maps_twice_are_reported() {
    // Two of the documentation's sample services share a name, the default mapping's identifier.
    let sims = start(
        account_with_sample_services(67, 20),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let out = run_command(&sims, &["sync", "--log-format", "json"], vec![]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let warnings: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|line| line.contains("share an identifier"))
        .map(|line| serde_json::from_str(line).expect("a JSON log line"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert_eq!(warnings[0]["kind"], "service");
    assert_eq!(warnings[0]["count"], 1);
    assert_eq!(warnings[0]["example"], "Port-Outbound-Service");
}
