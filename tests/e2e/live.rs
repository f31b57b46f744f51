//! Live mappings, the documented workflow: after a first resync with the built mapping, a user
//! edits the mapping in Port (a property's jq, the selector, a property added to a blueprint in
//! Port and to the mapping, a new resource whose kind and enrichment the built mapping never
//! read) and resyncs; the catalog follows the edit. Pinned to the built mapping, the edit is
//! overwritten instead; an edit with a jq syntax error stops only its resource.

use crate::common::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::config::MappingSource;
use opsgenie_port::runtime::mapping::{Mapping, Origin};
use opsgenie_port::runtime::opsgenie::{ListParams, Resource};
use opsgenie_port::runtime::sync::{
    CancellationFlag, DeletionOutcome, Engine, NoProgress, ResyncReport, ResyncStatus,
};
use opsgenie_port_compiler::inputs::mapdir::BUILTIN_SOURCES;
use opsgenie_port_sim::opsgenie::OpsgenieSimConfig;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The mapping Port holds for the integration.
fn port_config(sims: &Sims) -> Value {
    sims.port.integration(IDENTIFIER).expect("integration")["config"].clone()
}

/// Saves `config` as the integration's mapping, as Port's UI does.
async fn save_mapping(sims: &Sims, config: &Value) {
    port_client(sims)
        .patch_integration_config(IDENTIFIER, config, false)
        .await
        .expect("mapping saved in Port");
}

/// The resource of `kind` in a port-app-config.
fn resource_mut<'a>(config: &'a mut Value, kind: &str) -> &'a mut Value {
    config["resources"]
        .as_array_mut()
        .expect("resources")
        .iter_mut()
        .find(|r| r["kind"] == kind)
        .expect("resource of the kind")
}

/// The edit of the documented workflow, made to the mapping Port holds.
async fn edit_in_port(sims: &Sims) -> Value {
    let port = port_client(sims);
    // A property added to a blueprint in Port (the UI's blueprint editor)…
    let mut alert = port
        .get_blueprint("opsGenieAlert")
        .await
        .unwrap()
        .expect("alert blueprint");
    alert["schema"]["properties"]["tinyId"] = json!({"type": "string", "title": "Tiny id"});
    port.patch_blueprint("opsGenieAlert", &json!({"schema": alert["schema"]}))
        .await
        .expect("blueprint edited");
    // … and a blueprint for a kind the built mapping does not sync.
    port.create_blueprint(&json!({
        "identifier": "opsGenieTeam",
        "title": "OpsGenie Team",
        "schema": {"properties": {"memberCount": {"type": "number", "title": "Members"}}}
    }))
    .await
    .expect("team blueprint");

    let mut config = port_config(sims);
    let alert = resource_mut(&mut config, "alert");
    alert["selector"]["query"] = json!(".status == \"open\"");
    let properties = &mut alert["port"]["entity"]["mappings"]["properties"];
    properties["priority"] = json!(".priority | ascii_downcase");
    properties["tinyId"] = json!(".tinyId");
    config["resources"].as_array_mut().unwrap().push(json!({
        "kind": "team",
        "selector": {"query": "true"},
        "port": {"entity": {"mappings": {
            "identifier": ".id",
            "title": ".name",
            "blueprint": "\"opsGenieTeam\"",
            "properties": {"memberCount": ".__members | length"}
        }}}
    }));
    save_mapping(sims, &config).await;
    config
}

fn engine_with(sims: &Sims, source: MappingSource) -> Engine {
    let mut settings = settings();
    settings.mapping_source = source;
    Engine::new(
        compiled(),
        opsgenie_client(sims, sims.opsgenie.api_key()),
        port_client(sims),
        settings,
    )
}

async fn resync(sims: &Sims, source: MappingSource) -> ResyncReport {
    engine_with(sims, source)
        .resync(&CancellationFlag::new())
        .await
}

/// The edited mapping as the compiler makes it of Port's config and blueprints (for the
/// naive expected catalog, which maps raw items with it).
async fn mapping_in_port(sims: &Sims) -> Arc<Mapping> {
    let config = port_config(sims);
    let port = port_client(sims);
    let mut blueprints = Vec::new();
    for id in [
        "opsGenieService",
        "opsGenieIncident",
        "opsGenieAlert",
        "opsGenieTeam",
    ] {
        if let Some(blueprint) = port.get_blueprint(id).await.unwrap() {
            blueprints.push(blueprint);
        }
    }
    let compiled = opsgenie_port_compiler::compile_port(&config, &blueprints, BUILTIN_SOURCES);
    assert!(compiled.blocked.is_empty(), "{}", compiled.render_human());
    Arc::new(Mapping::interpreted(
        compiled.plan.expect("plan"),
        Origin::Port,
        serde_json::to_string(&blueprints).unwrap(),
        config.to_string(),
    ))
}

fn alerts_in_port(sims: &Sims) -> BTreeMap<String, Value> {
    sims.port
        .entities("opsGenieAlert")
        .into_iter()
        .map(|e| (e["identifier"].as_str().unwrap().to_owned(), e))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_edited_in_port_runs_at_the_next_resync() {
    let sims = start(
        small_account(31, 120),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    let first = resync(&sims, MappingSource::Port).await;
    assert!(first.is_success(), "{}", first.render());
    assert_eq!(
        first.mapping.backend, "compiled",
        "{}",
        first.mapping.headline
    );
    assert_eq!(first.mapping.reason, "same");
    let before = alerts_in_port(&sims);
    assert!(before
        .values()
        .all(|e| e["properties"].get("tinyId").is_none()));

    edit_in_port(&sims).await;
    let second = resync(&sims, MappingSource::Port).await;
    assert!(
        second.is_success(),
        "{}\n{:?}",
        second.render(),
        second.errors
    );
    assert_eq!(
        second.mapping.backend, "interpreted",
        "{}",
        second.mapping.headline
    );
    assert_eq!(second.mapping.reason, "differs");
    assert!(
        second.render().contains("the mapping in Port differs"),
        "{}",
        second.render()
    );

    // Checked against Opsgenie's raw objects, not through the product's mapping code.
    let client = opsgenie_client(&sims, sims.opsgenie.api_key());
    let raw_alerts = list_all(&client, Resource::Alerts, ListParams::none()).await;
    let after = alerts_in_port(&sims);
    let open: Vec<&Value> = raw_alerts
        .iter()
        .filter(|a| a["status"] == "open")
        .collect();
    assert!(!open.is_empty() && open.len() < raw_alerts.len());
    for alert in &raw_alerts {
        let id = alert["id"].as_str().unwrap();
        match after.get(id) {
            Some(entity) => {
                assert_eq!(alert["status"], "open", "closed alert {id} kept");
                assert_eq!(entity["properties"]["tinyId"], alert["tinyId"], "{id}");
                let priority = alert["priority"].as_str().unwrap().to_lowercase();
                assert_eq!(entity["properties"]["priority"], json!(priority), "{id}");
            }
            None => assert_ne!(alert["status"], "open", "open alert {id} missing"),
        }
    }
    // The closed alerts' entities went as stale, like any entity the mapping no longer makes.
    match &second.deletion {
        DeletionOutcome::Done { deleted, .. } => {
            assert_eq!(*deleted as usize, before.len() - after.len())
        }
        other => panic!("{other:?}"),
    }
    // A kind and an enrichment the built mapping never read: real values, not nulls.
    let raw_teams = list_all(&client, Resource::Teams, ListParams::none()).await;
    let teams = sims.port.entities("opsGenieTeam");
    assert_eq!(teams.len(), raw_teams.len());
    for team in &raw_teams {
        let detail = client
            .get_team(team["id"].as_str().unwrap())
            .await
            .unwrap()
            .expect("team");
        let members = detail["members"].as_array().map_or(0, Vec::len);
        let entity = teams
            .iter()
            .find(|e| e["identifier"] == team["id"])
            .expect("team entity");
        assert_eq!(entity["properties"]["memberCount"], json!(members));
    }
    assert!(raw_teams.iter().any(|t| {
        teams
            .iter()
            .any(|e| e["identifier"] == t["id"] && e["properties"]["memberCount"] != 0)
    }));
    // And the whole catalog is what the edited mapping makes of every raw object.
    let expected = expected_catalog(&sims, &mapping_in_port(&sims).await).await;
    assert_catalog(&sims, &expected);

    // An unchanged account with the edited mapping writes nothing.
    let third = resync(&sims, MappingSource::Port).await;
    assert!(third.is_success(), "{}", third.render());
    assert_eq!(third.kinds.iter().map(|k| k.upserted).sum::<u64>(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_to_the_built_mapping_an_edit_in_port_is_overwritten() {
    let sims = start(
        small_account(32, 60),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    assert!(resync(&sims, MappingSource::Compiled).await.is_success());
    let built = port_config(&sims);
    let edited = edit_in_port(&sims).await;
    assert_ne!(port_config(&sims), built);

    let report = resync(&sims, MappingSource::Compiled).await;
    assert!(report.is_success(), "{}", report.render());
    assert_eq!(report.mapping.backend, "compiled");
    assert_eq!(report.mapping.reason, "pinned");
    // Port shows what runs again.
    assert_eq!(port_config(&sims), built);
    assert_ne!(port_config(&sims), edited);
    assert!(sims.port.entities("opsGenieTeam").is_empty());
    assert!(alerts_in_port(&sims)
        .values()
        .all(|e| e["properties"].get("tinyId").is_none()));
    assert_catalog(&sims, &expected_catalog(&sims, &compiled()).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jq_syntax_error_in_port_stops_only_its_resource_and_deletes_nothing() {
    let sims = start(
        small_account(33, 60),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    assert!(resync(&sims, MappingSource::Port).await.is_success());
    // An entity of ours that a complete resync would delete as stale.
    sims.port
        .insert_entity_as(
            &port_user_agent(),
            "opsGenieService",
            json!({"identifier": "stale-service", "properties": {}, "relations": {}}),
        )
        .unwrap();
    let services_before = sims.port.entities("opsGenieService").len();

    let mut config = port_config(&sims);
    let alert = resource_mut(&mut config, "alert");
    alert["port"]["entity"]["mappings"]["title"] = json!(".message | ");
    save_mapping(&sims, &config).await;
    let alerts_before = alerts_in_port(&sims);
    // Opsgenie changes meanwhile: the incidents still follow it.
    let retitled = sims.opsgenie.with_account(|account| {
        let incident = &mut account.incidents[0];
        incident.message = "retitled while alerts were blocked".into();
        incident.id.to_string()
    });

    let report = resync(&sims, MappingSource::Port).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    let blocked = report
        .kinds
        .iter()
        .find(|k| k.kind == "alert")
        .expect("alert row");
    let why = blocked.error.as_deref().unwrap_or_default();
    assert!(why.contains("E0100"), "{why}");
    assert!(
        report.errors.iter().any(|e| e.contains("E0100")),
        "{:?}",
        report.errors
    );
    assert_eq!(
        alerts_in_port(&sims),
        alerts_before,
        "nothing written for alerts"
    );
    let incidents = report.kinds.iter().find(|k| k.kind == "incident").unwrap();
    assert!(
        incidents.error.is_none() && incidents.updated == 1,
        "{}",
        report.render()
    );
    let incident = sims.port.entity("opsGenieIncident", &retitled).unwrap();
    assert_eq!(incident["title"], "retitled while alerts were blocked");
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    assert!(sims
        .port
        .entity("opsGenieService", "stale-service")
        .is_some());
    assert_eq!(sims.port.entities("opsGenieService").len(), services_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_names_the_mapping_a_resync_would_run() {
    let sims = start(
        small_account(34, 40),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    assert!(resync(&sims, MappingSource::Port).await.is_success());
    edit_in_port(&sims).await;
    let plan = engine_with(&sims, MappingSource::Port)
        .plan(&CancellationFlag::new(), &NoProgress)
        .await;
    assert!(plan.is_success(), "{:?}", plan.errors);
    assert_eq!(plan.mapping.backend, "interpreted");
    assert!(
        plan.render(0)
            .starts_with("mapping: the mapping held in Port"),
        "{}",
        plan.render(0)
    );
    let teams = plan.blueprints.get("opsGenieTeam").expect("teams planned");
    assert!(!teams.create.is_empty());
    // Planning does not change what Port holds.
    let pinned = engine_with(&sims, MappingSource::Compiled)
        .plan(&CancellationFlag::new(), &NoProgress)
        .await;
    assert_eq!(pinned.mapping.reason, "pinned");
    assert!(port_config(&sims)["resources"].as_array().unwrap().len() == 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_mapping_in_port_fails_the_resync_and_nothing_runs() {
    let sims = start(
        small_account(35, 30),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    assert!(resync(&sims, MappingSource::Port).await.is_success());
    let before = port_catalog(&sims);
    // Every resource names a kind this integration does not read: nothing can run.
    let mut config = port_config(&sims);
    for resource in config["resources"].as_array_mut().unwrap() {
        resource["kind"] = json!("incidnet");
    }
    save_mapping(&sims, &config).await;
    let engine = engine_with(&sims, MappingSource::Port);
    let report = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    assert!(
        report.errors.iter().any(|e| e.contains("E0200")),
        "{:?}",
        report.errors
    );
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    assert_eq!(
        port_catalog(&sims),
        before,
        "nothing written, nothing deleted"
    );
    // Webhook events (which use the last selection) then write nothing either.
    assert!(engine.mapping().resources.is_empty());

    // No resources at all: the config as a whole cannot run (Ocean skips an empty mapping).
    save_mapping(&sims, &json!({"resources": []})).await;
    let report = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("cannot run") && e.contains("E0009")),
        "{:?}",
        report.errors
    );
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    assert_eq!(port_catalog(&sims), before);
    assert!(engine.mapping().resources.is_empty());
}

/// An identifier mapped to a number, an array or a string outside Port's pattern: Port refuses
/// such an entity. The plan lists each as refused with Port's reason (it listed them as updates
/// before), the resync fails those items with the same reason and deletes nothing, and `map`
/// reports them alike (tests/seed_golden.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_port_refuses_fail_their_items_in_plan_and_resync() {
    let sims = start(
        small_account(36, 30),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    assert!(resync(&sims, MappingSource::Port).await.is_success());
    seed_stale_alert(&sims);
    let tiny: Vec<String> = sims.opsgenie.with_account(|a| {
        a.alerts()
            .iter()
            .take(3)
            .map(|x| x.tiny_id.to_string())
            .collect()
    });
    let mut config = port_config(&sims);
    let alert = resource_mut(&mut config, "alert");
    alert["port"]["entity"]["mappings"]["identifier"] = json!(format!(
        "if .tinyId == \"{}\" then 42 elif .tinyId == \"{}\" then [.id] \
         elif .tinyId == \"{}\" then \"has space\" else .id end",
        tiny[0], tiny[1], tiny[2]
    ));
    save_mapping(&sims, &config).await;
    let before = port_catalog(&sims);

    let plan = engine_with(&sims, MappingSource::Port)
        .plan(&CancellationFlag::new(), &NoProgress)
        .await;
    assert!(plan.is_success(), "{:?}", plan.errors);
    let mut refused: Vec<(String, String)> = plan.blueprints["opsGenieAlert"].refuse.clone();
    refused.sort();
    assert_eq!(refused.len(), 3, "{}", plan.render(5));
    assert_eq!(
        refused[0],
        ("42".to_owned(), "body/identifier must be string".to_owned())
    );
    assert!(refused[1].0.starts_with("[\""));
    assert_eq!(refused[1].1, "body/identifier must be string");
    assert_eq!(refused[2].0, "has space");
    assert!(refused[2]
        .1
        .starts_with("body/identifier must match pattern"));
    assert!(
        matches!(&plan.deletion, opsgenie_port::runtime::sync::PlannedDeletion::Skipped(why) if why.contains("refuse 3 entities")),
        "{:?}",
        plan.deletion
    );

    let report = resync(&sims, MappingSource::Port).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    let failed = |kinds: &[opsgenie_port::runtime::sync::KindSummary]| -> Vec<u64> {
        kinds.iter().map(|k| k.failed).collect()
    };
    assert_eq!(failed(&plan.kinds), failed(&report.kinds));
    let after = port_catalog(&sims);
    assert!(after.keys().all(|(_, id)| id != "42" && id != "has space"));
    assert!(sims
        .port
        .entity("opsGenieAlert", "stale-but-kept")
        .is_some());
    assert_eq!(after.len(), before.len(), "nothing created or deleted");
}
