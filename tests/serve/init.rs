//! `initializePortResources` and the mapping drift check against the Port simulator.

use crate::support::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::port::PortClient;
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::serve;
use opsgenie_port::runtime::serve::init::{initialize, InitError, InitPlan};
use opsgenie_port_sim::generate::Account;
use serde_json::{json, Value};
use std::sync::Arc;

fn compiled_blueprint_ids() -> Vec<String> {
    let blueprints: Vec<Value> = serde_json::from_str(&compiled().blueprints_json).unwrap();
    let mut ids: Vec<String> = blueprints
        .iter()
        .map(|b| b["identifier"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn blueprint_ids(sims: &Sims) -> Vec<String> {
    let mut ids: Vec<String> = sims
        .port
        .blueprints()
        .iter()
        .map(|b| b["identifier"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Requests that change something (anything but GET and the token).
fn writes(sims: &Sims) -> Vec<(String, u64)> {
    sims.port
        .counters()
        .by_route
        .into_iter()
        .filter(|(route, _)| !route.starts_with("GET ") && !route.contains("access_token"))
        .collect()
}

#[tokio::test]
async fn first_start_creates_everything_and_a_second_start_changes_nothing() {
    let sims = sims(Account::empty()).await;
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    assert!(service.init_report.integration_created);
    assert_eq!(blueprint_ids(&sims), compiled_blueprint_ids());
    let integration = sims
        .port
        .integration(IDENTIFIER)
        .expect("integration created");
    let config: Value = serde_json::from_str(&compiled().app_config_json).unwrap();
    assert_eq!(integration["config"], config);
    assert_eq!(integration["arePortResourcesInitialized"], true);
    assert_eq!(integration["installationAppType"], "opsgenie");
    // Relations and derived properties arrived in the later stages.
    let full: Vec<Value> = serde_json::from_str(&compiled().blueprints_json).unwrap();
    for wanted in &full {
        let id = wanted["identifier"].as_str().unwrap();
        let stored = sims
            .port
            .blueprints()
            .into_iter()
            .find(|b| b["identifier"] == id)
            .unwrap();
        for key in ["relations", "mirrorProperties", "aggregationProperties"] {
            if let Some(value) = wanted.get(key) {
                assert_eq!(stored.get(key), Some(value), "{id}.{key}");
            }
        }
    }
    service.shutdown();
    service.wait().await.unwrap();

    let before = sims.port.integration(IDENTIFIER).unwrap();
    sims.port.reset_counters();
    let again = start(&sims, &[], Arc::new(CountingResync::default())).await;
    assert!(!again.init_report.integration_created);
    assert!(again.init_report.blueprints_created.is_empty());
    assert!(!again.init_report.marked_initialized);
    assert_eq!(
        writes(&sims),
        Vec::<(String, u64)>::new(),
        "second start only reads"
    );
    assert_eq!(sims.port.integration(IDENTIFIER).unwrap(), before);
    again.shutdown();
    again.wait().await.unwrap();
}

#[tokio::test]
async fn blueprints_port_holds_are_completed_never_changed() {
    let sims = sims(Account::empty()).await;
    // A blueprint of the same name made by hand before the first start.
    sims.port
        .create_blueprint(json!({
            "identifier": "opsGenieAlert",
            "title": "Mine",
            "schema": {"properties": {
                "status": {"type": "string", "title": "My status"},
                "mine": {"type": "number"}
            }}
        }))
        .unwrap();
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let report = &service.init_report;
    assert!(report.marked_initialized);
    assert_eq!(
        report.blueprints_created.len(),
        compiled_blueprint_ids().len() - 1
    );
    assert!(!report
        .blueprints_created
        .contains(&"opsGenieAlert".to_owned()));
    assert_eq!(report.blueprints_completed.len(), 1, "{report:?}");
    assert!(report.blueprints_completed[0].starts_with("opsGenieAlert ("));
    assert_eq!(
        report.kept_differing,
        ["opsGenieAlert.schema.properties.status"]
    );
    assert_eq!(blueprint_ids(&sims), compiled_blueprint_ids());
    let alert = sims
        .port
        .blueprints()
        .into_iter()
        .find(|b| b["identifier"] == "opsGenieAlert")
        .unwrap();
    // What was there is as it was; what the mapping needs was added.
    assert_eq!(alert["title"], "Mine");
    assert_eq!(
        alert["schema"]["properties"]["status"],
        json!({"type": "string", "title": "My status"})
    );
    assert_eq!(
        alert["schema"]["properties"]["mine"],
        json!({"type": "number"})
    );
    let full: Vec<Value> = serde_json::from_str(&compiled().blueprints_json).unwrap();
    let wanted = full
        .iter()
        .find(|b| b["identifier"] == "opsGenieAlert")
        .unwrap();
    assert_eq!(alert["relations"], wanted["relations"]);
    assert_eq!(
        alert["schema"]["properties"]["acknowledged"],
        wanted["schema"]["properties"]["acknowledged"]
    );
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn an_initialised_integration_is_not_completed() {
    let sims = sims(Account::empty()).await;
    // Marked initialised (by whoever), with a blueprint lacking its relations: a start after
    // initialisation leaves the blueprints alone, as Ocean does.
    sims.port
        .create_integration(json!({
            "installationId": IDENTIFIER,
            "installationAppType": "opsgenie",
            "version": "0.1.0-test",
            "changelogDestination": {},
            "config": serde_json::from_str::<Value>(&compiled().app_config_json).unwrap(),
        }))
        .unwrap();
    sims.port
        .create_blueprint(json!({
            "identifier": "opsGenieIncident",
            "title": "Incident",
            "schema": {"properties": {}}
        }))
        .unwrap();
    client(&sims)
        .patch_integration(IDENTIFIER, &json!({"arePortResourcesInitialized": true}))
        .await
        .unwrap();
    let before = sims.port.blueprints();
    sims.port.reset_counters();
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let report = &service.init_report;
    assert!(!report.marked_initialized && !report.integration_created);
    assert!(report.blueprints_created.is_empty() && report.blueprints_completed.is_empty());
    assert_eq!(writes(&sims), Vec::<(String, u64)>::new());
    assert_eq!(sims.port.blueprints(), before);
    service.shutdown();
    service.wait().await.unwrap();
}

fn client(sims: &Sims) -> PortClient {
    PortClient::new(
        &sims.port.base_url(),
        Secret::new(sims.port.client_id()),
        Secret::new(sims.port.client_secret()),
        "port-ocean/opsgenie/0.1.0-test/init-test/exporter".into(),
    )
    .unwrap()
}

fn plan(blueprints: Vec<Value>) -> InitPlan {
    InitPlan {
        identifier: "init-test".into(),
        integration_type: "opsgenie".into(),
        version: "0.1.0-test".into(),
        app_config: json!({"resources": []}),
        blueprints,
        initialize_port_resources: true,
    }
}

fn blueprint(id: &str, relations: Value) -> Value {
    json!({
        "identifier": id,
        "title": id,
        "schema": {"properties": {"name": {"type": "string"}}},
        "relations": relations,
    })
}

#[tokio::test]
async fn a_stage_two_failure_leaves_no_blueprints_behind() {
    let sims = sims(Account::empty()).await;
    let port = client(&sims);
    // a and b point at each other (so neither can be deleted first); c points at a blueprint
    // that does not exist, which Port refuses in stage 2.
    let blueprints = vec![
        blueprint(
            "a",
            json!({"b": {"target": "b", "many": false, "required": false}}),
        ),
        blueprint(
            "b",
            json!({"a": {"target": "a", "many": false, "required": false}}),
        ),
        blueprint(
            "c",
            json!({"x": {"target": "missing", "many": false, "required": false}}),
        ),
    ];
    let error = initialize(&port, &plan(blueprints)).await.unwrap_err();
    match &error {
        InitError::Blueprints {
            stage,
            blueprint,
            leftover,
            ..
        } => {
            assert!(stage.starts_with("stage 2"), "{stage}");
            assert_eq!(blueprint, "c");
            assert!(leftover.is_empty(), "{leftover:?}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(sims.port.blueprints().is_empty(), "rolled back");
    let integration = sims
        .port
        .integration("init-test")
        .expect("integration created");
    assert_eq!(
        integration["arePortResourcesInitialized"], false,
        "a failed initialisation is retried at the next start"
    );

    // Fixed blueprints on the next start: created, then marked initialised.
    let fixed = vec![
        blueprint(
            "a",
            json!({"b": {"target": "b", "many": false, "required": false}}),
        ),
        blueprint(
            "b",
            json!({"a": {"target": "a", "many": false, "required": false}}),
        ),
    ];
    let report = initialize(&port, &plan(fixed)).await.unwrap();
    assert_eq!(report.blueprints_created, vec!["a", "b"]);
    assert!(report.marked_initialized);
}

#[tokio::test]
async fn a_start_with_a_failing_initialisation_reports_it() {
    let sims = sims(Account::empty()).await;
    // Port unreachable (nothing listens on the discard port): start fails, naming the step.
    let mut config = config(&sims, &[]);
    config.port.base_url = "http://127.0.0.1:9".into();
    let mut parts = parts(config, Arc::new(CountingResync::default()));
    parts.port = Some(
        PortClient::with_options(
            "http://127.0.0.1:9",
            Secret::new("unit-test-client-id"),
            Secret::new("unit-test-client-secret"),
            "ua".into(),
            opsgenie_port::runtime::port::PortOptions {
                retry: opsgenie_port::runtime::http::RetryPolicy::fast(1),
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let error = match opsgenie_port::runtime::serve::start(parts).await {
        Ok(_) => panic!("started without Port"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("initializing Port resources"), "{error}");
}

#[tokio::test]
async fn a_mapping_edited_in_port_is_selected_at_start_and_kept() {
    let sims = sims(Account::empty()).await;
    let mut edited: Value = serde_json::from_str(&compiled().app_config_json).unwrap();
    let alert_index = edited["resources"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["kind"] == "alert")
        .unwrap();
    edited["resources"][alert_index]["selector"]["query"] = json!(".status == \"open\"");
    sims.port
        .create_integration(json!({
            "installationId": IDENTIFIER,
            "installationAppType": "opsgenie",
            "version": "0.1.0-test",
            "changelogDestination": {},
            "config": edited,
        }))
        .unwrap();
    let service = serve::start(engine_parts(config(&sims, &[])))
        .await
        .expect("starts");
    let metrics = service.metrics().render();
    assert!(
        metrics.contains("opsgenie_port_mapping_drift 1"),
        "{metrics}"
    );
    assert!(metrics.contains("opsgenie_port_mapping_drift_resources 1"));
    assert!(metrics.contains(
        "opsgenie_port_mapping_selected{backend=\"interpreted\",origin=\"port\",reason=\"differs\"} 1"
    ));
    // The stored (edited) mapping is the one that runs, and is not overwritten.
    assert_eq!(
        sims.port.integration(IDENTIFIER).unwrap()["config"]["resources"][alert_index]["selector"]
            ["query"],
        ".status == \"open\""
    );
    service.shutdown();
    service.wait().await.unwrap();
}
