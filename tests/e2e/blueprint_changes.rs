//! A build whose `blueprints.json` and mapping add a property, a relation and an enum value to
//! the alert blueprint, run with the built mapping against a Port that holds the old
//! blueprints: without `--update-blueprints` the start says what Port lacks and nothing is sent
//! for that blueprint (no 422s, nothing deleted, the other resources sync); with it, Port's
//! blueprints gain them — what a user added by hand kept — and every alert gets the new
//! property; `plan` lists the blueprint change next to the entity changes and writes nothing.

use crate::common::*;
use opsgenie_port::runtime::config::MappingSource;
use opsgenie_port::runtime::logging::{subscriber, CaptureWriter, LogFormat, LogOptions};
use opsgenie_port::runtime::sync::{
    CancellationFlag, DeletionOutcome, Engine, NoProgress, ResyncStatus, UpdateStatus,
};
use opsgenie_port_sim::opsgenie::OpsgenieSimConfig;
use serde_json::{json, Value};

mod old {
    opsgenie_port_macros::include_mappings!("tests/fixtures/sync-plain");
}

/// sync-plain after a change in git: see the fixture's header.
mod new {
    opsgenie_port_macros::include_mappings!("tests/fixtures/blueprint-changes");
}

const ALERT: &str = "opsGenieAlert";
const INCIDENT: &str = "opsGenieIncident";
/// A blueprint of the user's own, related to nothing the mapping writes.
const OTHER: &str = "userRunbook";

/// Marks the integration initialised, as the first start of an installation leaves it: from
/// then on initialisation only reads (it would otherwise add missing members itself).
async fn mark_initialised(sims: &Sims) {
    port_client(sims)
        .patch_integration(IDENTIFIER, &json!({"arePortResourcesInitialized": true}))
        .await
        .expect("initialised");
}

/// Port as the old build left it: its blueprints, a full catalog, a property a user added to the
/// alert blueprint by hand, a blueprint of the user's own, and an alert this integration owns
/// that no resync generates (deleted only by a resync that completes).
async fn old_installation(seed: u64) -> Sims {
    let sims = start(
        small_account(seed, 40),
        &old::compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    mark_initialised(&sims).await;
    let report = engine(&sims, &old::compiled())
        .resync(&CancellationFlag::new())
        .await;
    assert!(report.is_success(), "{}", report.render());
    let port = port_client(&sims);
    let mut alert = port.get_blueprint(ALERT).await.unwrap().expect("alert");
    alert["schema"]["properties"]["runbook"] = json!({"type": "string", "title": "Runbook"});
    port.patch_blueprint(ALERT, &json!({"schema": alert["schema"]}))
        .await
        .expect("a user adds a property");
    sims.port
        .create_blueprint(json!({
            "identifier": OTHER,
            "title": "Runbook",
            "schema": {"properties": {"url": {"type": "string", "maxLength": 10}}, "required": ["url"]},
        }))
        .expect("the user's blueprint");
    seed_stale_alert(&sims);
    sims
}

/// An engine running the new build's mapping as the GitOps mode does.
fn new_engine(sims: &Sims, update_blueprints: bool) -> Engine {
    let mut settings = settings();
    settings.mapping_source = MappingSource::Compiled;
    settings.update_blueprints = update_blueprints;
    Engine::new(
        new::compiled(),
        opsgenie_client(sims, sims.opsgenie.api_key()),
        port_client(sims),
        settings,
    )
}

fn blueprint(sims: &Sims, identifier: &str) -> Value {
    sims.port
        .blueprints()
        .into_iter()
        .find(|b| b["identifier"] == identifier)
        .unwrap_or_else(|| panic!("{identifier} in Port"))
}

/// Asserts that every alert entity in Port has `property` set to its Opsgenie alert's `field`
/// (a string); returns how many alerts there are.
fn every_alert_has(sims: &Sims, property: &str, field: &str) -> usize {
    let alerts = sims.port.entities(ALERT);
    for alert in &alerts {
        let id = alert["identifier"].as_str().unwrap();
        let raw = sims
            .opsgenie
            .alert_json(id)
            .expect("an alert of the account");
        assert!(raw[field].is_string(), "{id}: {raw}");
        assert_eq!(alert["properties"][property], raw[field], "{id}");
    }
    alerts.len()
}

/// The alert blueprint's entry in a plan's JSON `blueprintUpdates`.
fn listed_alert(plan: &Value) -> Value {
    plan["blueprintUpdates"]["blueprints"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["identifier"] == ALERT)
        .cloned()
        .unwrap_or_else(|| panic!("the alert blueprint is listed: {plan}"))
}

/// Blueprint writes Port received (create, replace, patch).
fn blueprint_writes(sims: &Sims) -> u64 {
    let counters = sims.port.counters();
    [
        "POST /v1/blueprints",
        "PUT /v1/blueprints/{blueprint}",
        "PATCH /v1/blueprints/{blueprint}",
    ]
    .iter()
    .map(|route| counters.by_route.get(*route).copied().unwrap_or(0))
    .sum()
}

// Single-threaded, so the engine logs through this test's subscriber.
#[tokio::test]
async fn without_the_flag_the_start_names_what_port_lacks_and_nothing_is_sent_for_it() {
    let (capture, _logs) = capture_logs();
    // See tests/serve/webhook_limits.rs: a second dispatcher makes callsites ask this thread's.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let sims = old_installation(71).await;
    // An incident entity went missing in Port: the incident resource must still write it.
    let incident = sims.port.entities(INCIDENT)[0]["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    port_client(&sims)
        .delete_entities(INCIDENT, std::slice::from_ref(&incident), false)
        .await
        .unwrap();
    let blueprints_before = sims.port.blueprints();
    let alerts_before = sims.port.entities(ALERT);
    sims.port.reset_counters();
    let logged_before = capture.contents().lines().count();

    let engine = new_engine(&sims, false);
    let report = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    let alert = report.kinds.iter().find(|k| k.kind == "alert").unwrap();
    let error = alert.error.as_deref().expect("the alert resource failed");
    for needle in [
        "blueprint opsGenieAlert in Port lacks property `tinyId`, relation `incident`",
        "--update-blueprints (OCEAN__UPDATE_BLUEPRINTS=true)",
        "add them to the blueprints in Port",
    ] {
        assert!(error.contains(needle), "{needle:?} in {error}");
    }
    assert_eq!(alert.fetched, 0, "the resource did not run");
    assert!(report
        .errors
        .iter()
        .any(|e| e.starts_with("alert (resource 2): blueprint opsGenieAlert")));
    // The other resources synced.
    for kind in ["service", "incident"] {
        let summary = report.kinds.iter().find(|k| k.kind == kind).unwrap();
        assert!(
            summary.error.is_none() && summary.mapped > 0,
            "{kind}: {summary:?}"
        );
    }
    assert!(
        sims.port.entity(INCIDENT, &incident).is_some(),
        "written again"
    );

    // Nothing sent for the alert blueprint, nothing Port would refuse, nothing deleted, no
    // blueprint touched.
    let counters = sims.port.counters();
    assert_eq!(counters.entity_writes.get(ALERT), None, "{counters:?}");
    assert!(counters.entity_writes.get(INCIDENT).is_some_and(|n| *n > 0));
    assert_eq!(counters.entity_errors, 0);
    assert!(!counters.by_status.contains_key(&422), "{counters:?}");
    assert_eq!(counters.entities_deleted, 0);
    assert!(matches!(report.deletion, DeletionOutcome::Skipped(_)));
    assert_eq!(sims.port.entities(ALERT), alerts_before);
    assert_eq!(sims.port.blueprints(), blueprints_before);
    assert_eq!(blueprint_writes(&sims), 0);

    // Said once — a second resync (serve selects before each one) does not repeat it — and
    // before any resource ran.
    let again = engine.resync(&CancellationFlag::new()).await;
    assert_eq!(again.status, ResyncStatus::Failed);
    let all = capture.contents();
    let logs: String = all
        .lines()
        .skip(logged_before)
        .map(|l| format!("{l}\n"))
        .collect();
    let said: Vec<(usize, &str)> = logs
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains("cannot take what the built mapping writes"))
        .collect();
    assert_eq!(said.len(), 1, "{logs}");
    let (at, line) = said[0];
    for needle in [
        "\"level\":\"ERROR\"",
        "alert (resources[2]): blueprint opsGenieAlert in Port lacks property `tinyId`, relation `incident`",
        "nothing is written for them and nothing is deleted in this resync",
        "run with --update-blueprints (OCEAN__UPDATE_BLUEPRINTS=true)",
        // Everything the flag would do, the enum value the mapping may write included.
        "add enum value \\\"snoozed\\\" to property `status`",
    ] {
        assert!(line.contains(needle), "{needle:?} in {line}");
    }
    let first_resource = logs
        .lines()
        .position(|line| line.contains("resyncing resource"))
        .expect("resources ran");
    assert!(at < first_resource, "said before writing:\n{logs}");
    // Before the built mapping replaced the old one in Port, too.
    let pinned = logs
        .lines()
        .position(|line| line.contains("was overwritten with the built one"))
        .expect("the built mapping was written to Port");
    assert!(at < pinned, "said before writing:\n{logs}");
}

/// Logs of this thread, as JSON lines, from now on (the test runs single-threaded, so the
/// engine logs through this subscriber).
fn capture_logs() -> (CaptureWriter, impl Drop) {
    let capture = CaptureWriter::new();
    let options = LogOptions {
        level: "INFO".into(),
        format: LogFormat::Json,
    };
    let guard = tracing::subscriber::set_default(subscriber(&options, capture.clone()));
    (capture, guard)
}

/// The other fix — the user adds the property and relation in Port by hand — leaves Port's
/// status enum without a value the build's has: only the alert that needs it is held back (not
/// sent, so no 422), the others are written, nothing is deleted; `plan` predicts exactly that,
/// and `--update-blueprints` adds the value.
#[tokio::test]
async fn an_enum_value_port_lacks_holds_back_only_the_entities_that_need_it() {
    let (capture, _logs) = capture_logs();
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let sims = old_installation(78).await;
    let port = port_client(&sims);
    let mut alert = port.get_blueprint(ALERT).await.unwrap().unwrap();
    alert["schema"]["properties"]["tinyId"] = json!({"type": "string"});
    alert["relations"]["incident"] = json!({"target": INCIDENT, "required": false, "many": false});
    port.patch_blueprint(
        ALERT,
        &json!({"schema": alert["schema"], "relations": alert["relations"]}),
    )
    .await
    .unwrap();
    let snoozed = sims
        .opsgenie
        .with_account(|a| a.alerts().iter().next().unwrap().id.to_string());
    let mut raw = sims.opsgenie.alert_json(&snoozed).unwrap();
    raw["status"] = json!("snoozed");
    sims.opsgenie.upsert_alert(raw).unwrap();
    let before = sims.port.entity(ALERT, &snoozed).unwrap();
    sims.port.reset_counters();

    let report = new_engine(&sims, false)
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(report.status, ResyncStatus::Failed, "{}", report.render());
    let alerts = report.kinds.iter().find(|k| k.kind == "alert").unwrap();
    assert_eq!((alerts.failed, alerts.upserted), (1, 39), "{alerts:?}");
    assert_eq!(sims.port.entity(ALERT, &snoozed).unwrap(), before);
    let counters = sims.port.counters();
    assert_eq!(counters.entity_writes.get(ALERT), Some(&39));
    assert_eq!(counters.entity_errors, 0);
    assert!(!counters.by_status.contains_key(&422), "{counters:?}");
    assert!(
        sims.port.entity(ALERT, "stale-but-kept").is_some(),
        "nothing deleted"
    );
    let logs = capture.contents();
    assert!(
        logs.lines().any(|line| line.contains("\"level\":\"WARN\"")
            && line.contains(
                "stricter than blueprints.json for what the built mapping writes: \
                 opsGenieAlert: add enum value \\\"snoozed\\\" to property `status`. The \
                 entities that need these changes are not sent"
            )),
        "{logs}"
    );
    assert!(
        logs.contains(&format!("\"identifier\":\"{snoozed}\"")) && logs.contains("(not sent: "),
        "the held-back alert is logged with the reason: {logs}"
    );

    let plan = new_engine(&sims, false)
        .plan(&CancellationFlag::new(), &NoProgress)
        .await;
    assert_eq!(
        plan.blueprints[ALERT].refuse,
        [(
            snoozed.clone(),
            "/properties/status must be equal to one of the allowed values".to_owned()
        )]
    );

    let report = new_engine(&sims, true)
        .resync(&CancellationFlag::new())
        .await;
    assert!(report.is_success(), "{}", report.render());
    assert_eq!(
        sims.port.entity(ALERT, &snoozed).unwrap()["properties"]["status"],
        "snoozed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_flag_port_gains_them_a_users_property_is_kept_and_every_alert_has_the_new_property(
) {
    let sims = old_installation(72).await;
    let other_before = blueprint(&sims, OTHER);
    sims.port.reset_counters();

    let report = new_engine(&sims, true)
        .resync(&CancellationFlag::new())
        .await;
    assert!(
        report.is_success(),
        "{}\n{:?}",
        report.render(),
        report.errors
    );
    assert_eq!(report.blueprints.update, UpdateStatus::Applied);
    let text = report.render();
    assert!(
        text.contains("blueprints: updated in Port (--update-blueprints) (additions only):\n"),
        "{text}"
    );
    assert!(
        text.contains("\n  update opsGenieAlert: add enum value \"snoozed\" to property `status`; add property `tinyId`; add relation `incident` (to opsGenieIncident)\n"),
        "{text}"
    );

    let alert = blueprint(&sims, ALERT);
    let properties = &alert["schema"]["properties"];
    assert_eq!(properties["tinyId"]["type"], "string");
    assert_eq!(
        properties["runbook"]["title"], "Runbook",
        "the user's property is kept"
    );
    assert_eq!(
        properties["status"]["enum"],
        json!(["closed", "open", "snoozed"])
    );
    assert_eq!(properties["status"]["enumColors"]["snoozed"], "yellow");
    assert_eq!(
        alert["relations"]["incident"],
        json!({"title": "Incident", "target": INCIDENT, "required": false, "many": false})
    );
    assert_eq!(alert["relations"]["relatedIncident"]["target"], INCIDENT);
    assert_eq!(blueprint(&sims, OTHER), other_before, "not the mapping's");
    // Whole blueprints were written with PUT; nothing was refused.
    let counters = sims.port.counters();
    assert!(counters
        .by_route
        .get("PUT /v1/blueprints/{blueprint}")
        .is_some_and(|n| *n >= 1));
    assert_eq!(
        counters.by_route.get("PATCH /v1/blueprints/{blueprint}"),
        None
    );
    assert_eq!(counters.entity_errors, 0);

    // The catalog is what the new build maps, entity by entity (the new relation included),
    // and every alert has its tinyId.
    let expected = expected_catalog(&sims, &new::compiled()).await;
    assert_catalog(&sims, &expected);
    assert_eq!(every_alert_has(&sims, "tinyId", "tinyId"), 40);
    assert!(
        sims.port.entity(ALERT, "stale-but-kept").is_none(),
        "a completed resync deletes"
    );

    // The next start finds nothing to add and writes no blueprint.
    sims.port.reset_counters();
    let again = new_engine(&sims, true)
        .resync(&CancellationFlag::new())
        .await;
    assert!(again.is_success(), "{}", again.render());
    assert_eq!(blueprint_writes(&sims), 0);
    assert!(
        !again.render().contains("blueprints:"),
        "{}",
        again.render()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_lists_the_blueprint_change_next_to_the_entity_changes_and_writes_nothing() {
    let sims = old_installation(73).await;
    let blueprints_before = sims.port.blueprints();
    sims.port.reset_counters();

    let plan = new_engine(&sims, true)
        .plan(&CancellationFlag::new(), &NoProgress)
        .await;
    assert!(plan.is_success(), "{}\n{:?}", plan.render(5), plan.errors);
    assert_eq!(plan.blueprint_updates.update, UpdateStatus::Planned);
    assert!(plan.has_changes());
    let text = plan.render(5);
    let expected_line =
        "\n  update opsGenieAlert: add enum value \"snoozed\" to property `status`; \
                         add property `tinyId`; add relation `incident` (to opsGenieIncident)\n";
    assert!(
        text.contains("blueprints: --update-blueprints: a resync would first (additions only):\n"),
        "{text}"
    );
    assert!(text.contains(expected_line), "{text}");
    // The entities are predicted against the blueprints as they would be: every alert gains
    // its tinyId, none is refused.
    let alerts = &plan.blueprints[ALERT];
    assert!(alerts.refuse.is_empty(), "{text}");
    assert!(alerts.update.len() >= 40, "{text}");
    let json = plan.to_json();
    let listed = listed_alert(&json);
    assert_eq!(json["blueprintUpdates"]["update"], "planned");
    assert_eq!(listed["create"], false);
    assert!(listed["changes"]
        .as_array()
        .unwrap()
        .contains(&json!("add relation `incident` (to opsGenieIncident)")));
    assert_eq!(
        sims.port.blueprints(),
        blueprints_before,
        "plan wrote nothing"
    );
    assert_eq!(blueprint_writes(&sims), 0);
    assert!(sims.port.counters().entity_writes.is_empty());

    // The resync then does what the plan listed.
    let report = new_engine(&sims, true)
        .resync(&CancellationFlag::new())
        .await;
    assert!(report.is_success(), "{}", report.render());
    let summary = report.kinds.iter().find(|k| k.kind == "alert").unwrap();
    assert_eq!(summary.updated as usize, alerts.update.len(), "{text}");

    // Without the flag, a plan says what is missing and that the resource would not run.
    let sims = old_installation(74).await;
    let plan = new_engine(&sims, false)
        .plan(&CancellationFlag::new(), &NoProgress)
        .await;
    assert!(!plan.is_success());
    assert_eq!(plan.blueprint_updates.update, UpdateStatus::Off);
    let text = plan.render(5);
    assert!(
        text.contains("blueprints: Port's blueprints lack what blueprints.json defines; --update-blueprints would (additions only):\n"),
        "{text}"
    );
    assert!(text.contains(expected_line), "{text}");
    assert!(
        plan.errors.iter().any(|e| e.contains(
            "blueprint opsGenieAlert in Port lacks property `tinyId`, relation `incident`"
        )),
        "{:?}",
        plan.errors
    );
    assert!(!plan.blueprints.contains_key(ALERT), "{text}");
}

/// The binary built with the shipped mapping, against a Port whose alert blueprint lost a
/// property and a relation the mapping writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_names_what_port_lacks_and_ocean_update_blueprints_adds_it() {
    let registry = opsgenie_port::generated::compiled();
    let sims = start(
        small_account(75, 30),
        &registry,
        OpsgenieSimConfig::default(),
    )
    .await;
    mark_initialised(&sims).await;
    let port = port_client(&sims);
    let mut alert = port.get_blueprint(ALERT).await.unwrap().expect("alert");
    let fields = alert.as_object_mut().unwrap();
    fields["schema"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("sourceName");
    fields["relations"]
        .as_object_mut()
        .unwrap()
        .remove("relatedIncident");
    port.put_blueprint(ALERT, &alert)
        .await
        .expect("an old blueprint");

    // Port holds the built mapping, so it runs, compiled: the check applies.
    let out = run_command(&sims, &["sync"], vec![]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("blueprint opsGenieAlert in Port lacks property `sourceName`, relation `relatedIncident`"),
        "{stderr}"
    );
    assert!(stderr.contains("OCEAN__UPDATE_BLUEPRINTS=true"), "{stderr}");
    assert_eq!(sims.port.counters().entity_writes.get(ALERT), None);
    assert_eq!(sims.port.counters().entity_errors, 0);

    let env = || {
        vec![
            ("OCEAN__MAPPING_SOURCE", "compiled".to_owned()),
            ("OCEAN__UPDATE_BLUEPRINTS", "true".to_owned()),
        ]
    };
    let out = run_command(&sims, &["plan", "--format", "json"], env()).await;
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    assert_eq!(out.status.code(), Some(0), "{plan}");
    assert_eq!(plan["blueprintUpdates"]["update"], "planned");
    let listed = listed_alert(&plan);
    assert_eq!(
        listed["changes"],
        json!([
            "add property `sourceName`",
            "add relation `relatedIncident` (to opsGenieIncident)"
        ])
    );

    let out = run_command(&sims, &["sync"], env()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("update opsGenieAlert: add property `sourceName`"),
        "{stdout}"
    );
    let alert = blueprint(&sims, ALERT);
    assert_eq!(
        alert["schema"]["properties"]["sourceName"]["type"],
        "string"
    );
    assert_eq!(alert["relations"]["relatedIncident"]["target"], INCIDENT);
    assert_eq!(every_alert_has(&sims, "sourceName", "source"), 30);
}

/// Port without the build's blueprints at all (an installation marked initialised whose
/// blueprints were deleted, or a build that adds a blueprint): without the flag every resource
/// says its blueprint is not in Port; with it they are created — bare, then with relations —
/// and the resync completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_blueprints_are_named_and_created_in_stages_with_the_flag() {
    let sims = Sims {
        opsgenie: opsgenie_port_sim::opsgenie::start(
            small_account(76, 20),
            OpsgenieSimConfig::default(),
        )
        .await
        .expect("opsgenie sim"),
        port: opsgenie_port_sim::port::start(Default::default())
            .await
            .expect("port sim"),
    };
    sims.port
        .create_integration(json!({
            "installationId": IDENTIFIER,
            "installationAppType": "opsgenie",
            "version": VERSION,
            "config": serde_json::from_str::<Value>(&new::compiled().app_config_json).unwrap(),
        }))
        .unwrap();
    mark_initialised(&sims).await;

    let report = new_engine(&sims, false)
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(report.status, ResyncStatus::Failed);
    for (kind, blueprint) in [
        ("service", "opsGenieService"),
        ("incident", INCIDENT),
        ("alert", ALERT),
    ] {
        let summary = report.kinds.iter().find(|k| k.kind == kind).unwrap();
        let error = summary.error.as_deref().unwrap_or_default();
        assert!(
            error.starts_with(&format!("blueprint {blueprint} is not in Port: ")),
            "{kind}: {error}"
        );
    }
    assert!(sims.port.counters().entity_writes.is_empty());
    assert!(sims.port.blueprints().is_empty());

    let report = new_engine(&sims, true)
        .resync(&CancellationFlag::new())
        .await;
    assert!(report.is_success(), "{}", report.render());
    assert!(
        report.render().contains("  create opsGenieAlert\n"),
        "{}",
        report.render()
    );
    let counters = sims.port.counters();
    assert_eq!(counters.by_route.get("POST /v1/blueprints"), Some(&3));
    // Incident and alert have relations: written again whole once every blueprint exists.
    assert!(counters
        .by_route
        .get("PUT /v1/blueprints/{blueprint}")
        .is_some_and(|n| *n >= 2));
    assert_eq!(
        blueprint(&sims, ALERT)["relations"]["incident"]["target"],
        INCIDENT
    );
    assert_eq!(
        blueprint(&sims, INCIDENT)["relations"]["services"]["target"],
        "opsGenieService"
    );
    assert_eq!(every_alert_has(&sims, "tinyId", "tinyId"), 20);
}

/// The mapping held in Port runs (it differs from the built one): it is checked against Port's
/// blueprints as they are, so the flag does not apply and no blueprint is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_mapping_held_in_port_the_flag_does_not_apply() {
    let sims = old_installation(77).await;
    let blueprints_before = sims.port.blueprints();
    let mut engine_settings = settings();
    engine_settings.update_blueprints = true;
    let engine = Engine::new(
        new::compiled(),
        opsgenie_client(&sims, sims.opsgenie.api_key()),
        port_client(&sims),
        engine_settings,
    );
    let report = engine.resync(&CancellationFlag::new()).await;
    assert!(report.is_success(), "{}", report.render());
    assert_eq!(report.mapping.origin, "port", "{}", report.render());
    assert_eq!(report.blueprints.update, UpdateStatus::NotApplicable);
    assert!(
        report.render().contains(
            "blueprints: --update-blueprints does not apply: the mapping held in Port runs"
        ),
        "{}",
        report.render()
    );
    assert_eq!(sims.port.blueprints(), blueprints_before);
}
