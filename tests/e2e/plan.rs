//! `plan` against both simulators: it writes nothing, and the following resync makes exactly
//! the changes it listed — checked against Port's stored entities before and after.

use crate::common::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::mapping::Mapping;
use opsgenie_port::runtime::sync::{
    CancellationFlag, NoProgress, PlanReport, PlannedDeletion, ResyncStatus,
};
use opsgenie_port_sim::faults::{FaultConfig, FaultKind};
use opsgenie_port_sim::opsgenie::OpsgenieSimConfig;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod ocean {
    opsgenie_port_macros::include_mappings!("mappings/ocean-2026");
}

type Key = (String, String);

/// Every entity in Port (any owner) with its `updatedAt` and content.
fn snapshot(sims: &Sims) -> BTreeMap<Key, Value> {
    sims.port
        .all_entities()
        .into_iter()
        .map(|e| (entity_key(&e), e))
        .collect()
}

/// What happened between two snapshots: created, written (updatedAt moved), deleted.
fn changes(before: &BTreeMap<Key, Value>, after: &BTreeMap<Key, Value>) -> [BTreeSet<Key>; 3] {
    let created = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    let updated = after
        .iter()
        .filter(|(k, e)| {
            before
                .get(*k)
                .is_some_and(|old| old["updatedAt"] != e["updatedAt"])
        })
        .map(|(k, _)| k.clone())
        .collect();
    let deleted = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .cloned()
        .collect();
    [created, updated, deleted]
}

/// The plan's identifiers as the same three sets.
fn planned(plan: &PlanReport) -> [BTreeSet<Key>; 3] {
    let keys = |pick: fn(&opsgenie_port::runtime::sync::BlueprintPlan) -> &Vec<String>| {
        plan.blueprints
            .iter()
            .flat_map(|(bp, p)| pick(p).iter().map(move |id| (bp.clone(), id.clone())))
            .collect::<BTreeSet<Key>>()
    };
    [
        keys(|p| &p.create),
        keys(|p| &p.update),
        keys(|p| &p.delete),
    ]
}

async fn plan_ok(sims: &Sims, registry: &Arc<Mapping>) -> PlanReport {
    let plan = engine(sims, registry)
        .plan(&CancellationFlag::new(), &NoProgress)
        .await;
    assert!(plan.is_success(), "{}\n{:?}", plan.render(5), plan.errors);
    plan
}

/// Plans, checks the plan wrote nothing, resyncs, and checks the resync did exactly the plan.
async fn plan_then_sync(sims: &Sims, registry: &Arc<Mapping>) -> PlanReport {
    let before = snapshot(sims);
    let writes_before = sims.port.counters();
    let plan = plan_ok(sims, registry).await;
    assert_eq!(snapshot(sims), before, "plan changed Port");
    let writes_after = sims.port.counters();
    assert_eq!(
        (
            writes_before.entities_created,
            writes_before.entities_updated,
            writes_before.entities_deleted
        ),
        (
            writes_after.entities_created,
            writes_after.entities_updated,
            writes_after.entities_deleted
        )
    );

    let report = engine(sims, registry)
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{}",
        report.render()
    );
    let after = snapshot(sims);
    let [created, updated, deleted] = changes(&before, &after);
    let [plan_create, plan_update, plan_delete] = planned(&plan);
    assert_eq!(plan_create, created, "creates\n{}", plan.render(10));
    assert_eq!(plan_update, updated, "updates\n{}", plan.render(10));
    assert_eq!(plan_delete, deleted, "deletes\n{}", plan.render(10));
    // Per resource, the counters the plan predicted are the ones the resync reports.
    for (predicted, done) in plan.kinds.iter().zip(&report.kinds) {
        assert_eq!(
            (
                predicted.mapped,
                predicted.created,
                predicted.updated,
                predicted.unchanged,
                predicted.deleted
            ),
            (
                done.mapped,
                done.created,
                done.updated,
                done.unchanged,
                done.deleted
            ),
            "{} (#{})\n{}\n{}",
            done.kind,
            done.index,
            plan.render(5),
            report.render()
        );
    }
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_lists_exactly_what_the_following_resync_changes() {
    let account = account_with_sample_services(41, 160);
    let sims = start(account, &compiled(), OpsgenieSimConfig::default()).await;

    // First run: everything is a create.
    let first = plan_then_sync(&sims, &compiled()).await;
    assert!(first.has_changes());
    let created: usize = first.blueprints.values().map(|p| p.create.len()).sum();
    assert!(created > 170, "{created}");
    assert!(first.blueprints.values().all(|p| p.update.is_empty()));

    // Nothing changed: a resync writes nothing — not even the two sample services that share
    // a name, hence an identifier (only the last one is written, and Port holds it).
    let idle = plan_then_sync(&sims, &compiled()).await;
    let shared_names = sims.opsgenie.with_account(|a| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for service in &a.services {
            let id: String = service
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "@_.:/=-".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            *counts.entry(id).or_default() += 1;
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    });
    assert_eq!(shared_names.len(), 1, "{shared_names:?}");
    assert!(!idle.has_changes(), "{}", idle.render(5));
    let unchanged: u64 = idle.blueprints.values().map(|p| p.unchanged).sum();
    assert_eq!(unchanged as usize, created, "{}", idle.render(5));

    // Opsgenie changes: 4 alerts gone, 3 closed, 2 new; one service removed.
    let (gone, closed): (Vec<String>, Vec<String>) = sims.opsgenie.with_account(|a| {
        let ids: Vec<String> = a.alerts().iter().map(|x| x.id.to_string()).collect();
        (ids[..4].to_vec(), ids[4..7].to_vec())
    });
    for id in &gone {
        assert!(sims.opsgenie.delete_alert(id));
    }
    for id in &closed {
        let mut alert = sims.opsgenie.alert_json(id).expect("alert");
        alert["status"] = json!("closed");
        alert["message"] = json!(format!("closed in the plan test {id}"));
        sims.opsgenie.upsert_alert(alert).expect("close");
    }
    let template = sims.opsgenie.alert_json(&closed[0]).expect("alert");
    for n in 0..2 {
        let mut alert = template.clone();
        alert["id"] = json!(format!("plan-test-new-{n}"));
        alert["tinyId"] = json!(format!("{}", 90_000 + n));
        alert["alias"] = json!(format!("plan-test-alias-{n}"));
        alert["status"] = json!("open");
        sims.opsgenie.upsert_alert(alert).expect("new alert");
    }
    let service = sims.opsgenie.with_account(|a| a.services[0].id.to_string());
    assert!(sims.opsgenie.remove_service(&service));
    // Port changes: one of our alerts edited by hand, one new alert's identifier already held
    // by another integration (the resync takes it over: an update, not a create).
    let edited = sims
        .opsgenie
        .with_account(|a| a.alerts().iter().nth(20).unwrap().id.to_string());
    let mut ours = sims.port.entity("opsGenieAlert", &edited).expect("synced");
    ours["title"] = json!("edited in Port");
    sims.port
        .insert_entity_as(&port_user_agent(), "opsGenieAlert", ours)
        .expect("edit");
    sims.port
        .insert_entity_as(
            "port-ocean/opsgenie/0.1.0/another-installation/exporter",
            "opsGenieAlert",
            json!({"identifier": "plan-test-new-1", "title": "theirs", "properties": {}, "relations": {}}),
        )
        .expect("foreign");

    let changed = plan_then_sync(&sims, &compiled()).await;
    let alerts = &changed.blueprints["opsGenieAlert"];
    assert_eq!(alerts.create, ["plan-test-new-0"], "{}", changed.render(10));
    let mut expected_updates: Vec<String> = closed.clone();
    expected_updates.push(edited.clone());
    expected_updates.push("plan-test-new-1".into());
    expected_updates.sort();
    let mut updates = alerts.update.clone();
    updates.sort();
    assert_eq!(updates, expected_updates, "{}", changed.render(10));
    let mut gone_sorted = gone.clone();
    gone_sorted.sort();
    assert_eq!(alerts.delete, gone_sorted);
    assert!(matches!(changed.deletion, PlannedDeletion::Planned { .. }));
    // The ownership of the taken-over alert moved to this integration.
    assert_eq!(
        sims.port
            .entity_datasource("opsGenieAlert", "plan-test-new-1")
            .as_deref(),
        Some(port_user_agent().as_str())
    );

    // And once applied, the plan is idle again.
    let after = plan_ok(&sims, &compiled()).await;
    assert!(!after.has_changes(), "{}", after.render(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_lists_the_writes_port_refuses_and_the_resync_then_fails_on_exactly_those() {
    let sims = start(
        small_account(44, 60),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    engine(&sims, &compiled())
        .resync(&CancellationFlag::new())
        .await;
    // Someone narrows the alert status enum in Port to "open" only.
    let port = port_client(&sims);
    let mut blueprint = port
        .get_blueprint("opsGenieAlert")
        .await
        .expect("read")
        .expect("exists");
    blueprint["schema"]["properties"]["status"]["enum"] = json!(["open"]);
    port.patch_blueprint("opsGenieAlert", &json!({"schema": blueprint["schema"]}))
        .await
        .expect("Port takes the narrower enum");
    // Three open alerts close in Opsgenie: their rewrite now carries a status Port refuses.
    // Alerts already closed in Port are unchanged, so they are not written or checked.
    let closing: Vec<String> = sims.opsgenie.with_account(|a| {
        a.alerts()
            .iter()
            .filter(|x| &*x.status == "open")
            .take(3)
            .map(|x| x.id.to_string())
            .collect()
    });
    for id in &closing {
        let mut alert = sims.opsgenie.alert_json(id).expect("alert");
        alert["status"] = json!("closed");
        sims.opsgenie.upsert_alert(alert).expect("close");
    }

    let before = snapshot(&sims);
    let plan = plan_ok(&sims, &compiled()).await;
    let refused: BTreeSet<String> = plan.blueprints["opsGenieAlert"]
        .refuse
        .iter()
        .map(|(id, reason)| {
            assert_eq!(
                reason, "/properties/status must be equal to one of the allowed values",
                "{id}"
            );
            id.clone()
        })
        .collect();
    assert_eq!(
        refused,
        closing.iter().cloned().collect::<BTreeSet<_>>(),
        "{}",
        plan.render(5)
    );
    assert!(
        matches!(&plan.deletion, PlannedDeletion::Skipped(why) if why.contains("refuse 3 entities")),
        "{:?}",
        plan.deletion
    );
    assert!(plan.has_changes());

    let report = engine(&sims, &compiled())
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    let after = snapshot(&sims);
    let [created, updated, deleted] = changes(&before, &after);
    let [plan_create, plan_update, plan_delete] = planned(&plan);
    assert_eq!(
        (plan_create, plan_update, plan_delete),
        (created, updated, deleted),
        "{}",
        plan.render(10)
    );
    // The refused entities are as they were, and both runs count the same failures.
    for id in &closing {
        let key = ("opsGenieAlert".to_owned(), id.clone());
        assert_eq!(after[&key], before[&key], "{id} was written");
    }
    let failed = |kinds: &[opsgenie_port::runtime::sync::KindSummary]| -> Vec<u64> {
        kinds.iter().map(|k| k.failed).collect()
    };
    assert_eq!(failed(&plan.kinds), failed(&report.kinds));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_matches_the_resync_for_the_ocean_2026_mapping() {
    let sims = start(
        small_account(43, 90).with_seed_sample(),
        &ocean::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    plan_then_sync(&sims, &ocean::compiled()).await;
    // Teams lose a member and an alert is closed: updates the plan must foresee.
    let alert = sims
        .opsgenie
        .with_account(|a| a.alerts().iter().next().unwrap().id.to_string());
    let mut json = sims.opsgenie.alert_json(&alert).expect("alert");
    json["status"] = json!("closed");
    sims.opsgenie.upsert_alert(json).expect("close");
    sims.opsgenie.with_account(|a| {
        if let Some(team) = a.teams.iter_mut().find(|t| t.members.len() > 1) {
            team.members.pop();
        }
    });
    let plan = plan_then_sync(&sims, &ocean::compiled()).await;
    assert!(plan.has_changes(), "{}", plan.render(5));
    assert!(!plan_ok(&sims, &ocean::compiled()).await.has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_cannot_read_port_is_incomplete_and_lists_no_deletions() {
    let sims = start(
        small_account(47, 30),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let engine = engine(&sims, &compiled());
    // Port answers every request with a server error, for good.
    sims.port.faults().set(FaultConfig {
        kinds: vec![FaultKind::ServerError],
        ..FaultConfig::all(1.0, 3)
    });
    let plan = engine.plan(&CancellationFlag::new(), &NoProgress).await;
    assert!(!plan.is_success());
    assert!(!plan.errors.is_empty());
    assert!(matches!(plan.deletion, PlannedDeletion::Skipped(_)));
    assert!(plan.blueprints.values().all(|p| p.delete.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_command_writes_nothing_and_its_exit_status_says_whether_a_resync_would_change_anything(
) {
    let sims = start(
        small_account(53, 60),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let json_plan = ["plan", "--format", "json", "--detailed-exitcode"];
    let out = run_command(&sims, &json_plan, vec![]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let plan: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(plan["status"], "complete");
    let creates: usize = plan["blueprints"]
        .as_object()
        .expect("blueprints")
        .values()
        .map(|p| p["create"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(sims.port.all_entities().is_empty(), "plan wrote entities");
    assert!(sims.port.kind_examples(IDENTIFIER, "alert").is_empty());
    assert!(
        sims.port.resync_states(IDENTIFIER).is_empty(),
        "plan reported a resync state"
    );

    let out = run_command(&sims, &["sync"], vec![]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        port_catalog(&sims).len(),
        creates,
        "the plan's creates are the catalog"
    );

    let out = run_command(&sims, &json_plan, vec![]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run_command(&sims, &["plan", "--show", "2"], vec![]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("plan complete: 0 to create, 0 to update, 0 to delete"),
        "{text}"
    );

    // Unusable input is exit status 2 with a one-line reason.
    let out = run_command(&sims, &["plan", "--detailed"], vec![]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--detailed-exitcode"), "a hint: {stderr}");
    let out = run_command(
        &sims,
        &["plan"],
        vec![("OCEAN__PORT__BASE_URL", "no url".into())],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    // An Opsgenie that refuses incident lists without a query: the plan is incomplete (exit
    // status 1) and lists no deletions.
    let strict = strict_incident_copy(&sims).await;
    let out = run_command(
        &sims,
        &["plan", "--format", "json"],
        vec![("OCEAN__INTEGRATION__CONFIG__API_URL", strict.base_url())],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let plan: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(plan["status"], "incomplete");
    assert!(plan["deletion"]["skipped"].is_string(), "{plan}");
    assert!(stderr.contains("error: incident"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_sync_and_plan_at_once_with_status_130_and_nothing_deleted() {
    let sims = start(
        small_account(59, 40),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    seed_stale_alert(&sims);
    // Every Opsgenie request stalls for 20 s: the run is stuck in its first request.
    sims.opsgenie.faults().set(FaultConfig {
        kinds: vec![FaultKind::Timeout],
        timeout_stall: std::time::Duration::from_secs(20),
        ..FaultConfig::all(1.0, 5)
    });
    for command in ["sync", "plan"] {
        let requests_before = sims.opsgenie.faults().requests();
        let env = cli_env(&sims, vec![]);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
            .arg(command)
            .env_remove("RUST_LOG")
            .envs(env)
            .current_dir(std::env::temp_dir())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start");
        // Signal only once the run is stuck in Opsgenie (its signal handler is installed
        // before it reads anything), however slow this machine is today.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while sims.opsgenie.faults().requests() == requests_before {
            assert!(
                std::time::Instant::now() < deadline,
                "{command} never reached Opsgenie"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let sent = std::time::Instant::now();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(kill.success());
        let out = tokio::task::spawn_blocking(move || {
            let _ = child.stdin.take();
            child.wait_with_output().expect("exit")
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(130),
            "{command}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            sent.elapsed() < std::time::Duration::from_secs(5),
            "{command} took {:?}",
            sent.elapsed()
        );
        if command == "sync" {
            assert!(stdout.contains("resync aborted"), "{stdout}");
            let states = sims.port.resync_states(IDENTIFIER);
            assert_eq!(
                states.last().and_then(|s| s["status"].as_str()),
                Some("aborted")
            );
        }
        assert!(sims
            .port
            .entity("opsGenieAlert", "stale-but-kept")
            .is_some());
    }
}
