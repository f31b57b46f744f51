//! `serve` and a mapping edited in Port: selected at start and when polling sees it change,
//! applied by the resync Port requests on save, and used by webhook events; pinned to the built
//! mapping, the edit is overwritten at start. The built mapping and blueprints Port lacks
//! (`--update-blueprints`).

use crate::support::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::http::RetryPolicy;
use opsgenie_port::runtime::port::{PortClient, PortOptions};
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::serve;
use opsgenie_port_sim::generate::{Account, GenSpec};
use serde_json::{json, Value};
use std::time::Duration;

fn port_client(sims: &Sims) -> PortClient {
    let options = PortOptions {
        retry: RetryPolicy::fast(5),
        ..PortOptions::default()
    };
    PortClient::with_options(
        &sims.port.base_url(),
        Secret::new(sims.port.client_id()),
        Secret::new(sims.port.client_secret()),
        "opsgenie-port tests (a user in Port's UI)".to_owned(),
        options,
    )
    .expect("client")
}

/// The built mapping with the alert resource's title upper-cased and closed alerts left out.
fn edited_mapping() -> Value {
    let mut config: Value = serde_json::from_str(&compiled().app_config_json).unwrap();
    let alert = config["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["kind"] == "alert")
        .unwrap();
    alert["selector"]["query"] = json!(".status == \"open\"");
    alert["port"]["entity"]["mappings"]["title"] = json!(".message | ascii_upcase");
    config
}

fn completed_resyncs(sims: &Sims) -> usize {
    sims.port
        .resync_states(IDENTIFIER)
        .iter()
        .filter(|state| state["status"] == "completed")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_saved_in_port_is_resynced_and_used_by_webhook_events() {
    let sims = sims(Account::generate(&GenSpec::typical(21, 40))).await;
    let config = config(
        &sims,
        &[
            ("OCEAN__EVENT_LISTENER__TYPE", "POLLING"),
            ("OCEAN__EVENT_LISTENER__INTERVAL", "0.05"),
            // This test is about the resync Port requests, not the one at a first start.
            ("OCEAN__EVENT_LISTENER__RESYNC_ON_START", "false"),
        ],
    );
    let service = serve::start(engine_parts(config)).await.expect("starts");
    assert!(sims.port.request_resync(IDENTIFIER));
    assert!(eventually(30, || completed_resyncs(&sims) == 1).await);
    let metrics = service.metrics().render();
    assert!(
        metrics.contains(
            "opsgenie_port_mapping_selected{backend=\"compiled\",origin=\"compiled\",reason=\"same\"} 1"
        ),
        "{metrics}"
    );

    // Saved in Port's UI: Port asks for a resync, which the poller runs.
    port_client(&sims)
        .patch_integration_config(IDENTIFIER, &edited_mapping(), false)
        .await
        .expect("saved");
    assert!(eventually(30, || completed_resyncs(&sims) == 2).await);
    let raw: Vec<(String, String, String)> = sims.opsgenie.with_account(|account| {
        account
            .alerts()
            .iter()
            .map(|a| {
                (
                    a.id.to_string(),
                    a.status.to_string(),
                    a.message.to_string(),
                )
            })
            .collect()
    });
    assert!(raw.iter().any(|(_, status, _)| status != "open"));
    for (id, status, message) in &raw {
        match sims.port.entity("opsGenieAlert", id) {
            Some(entity) => {
                assert_eq!(status, "open", "{id}");
                assert_eq!(entity["title"], json!(message.to_uppercase()), "{id}");
            }
            None => assert_ne!(status, "open", "open alert {id} missing"),
        }
    }
    let metrics = service.metrics().render();
    assert!(
        metrics.contains(
            "opsgenie_port_mapping_selected{backend=\"interpreted\",origin=\"port\",reason=\"differs\"} 1"
        ),
        "{metrics}"
    );

    // A webhook event is mapped with the mapping selected last.
    let (id, _, _) = raw.iter().find(|(_, status, _)| status == "open").unwrap();
    sims.opsgenie.with_account(|account| {
        account
            .alerts_mut()
            .update(id, |alert| alert.message = "renamed in Opsgenie".into())
    });
    let body = payload(&sims, "UpdateMessage", id);
    assert_eq!(post_webhook(&service, &body, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert_eq!(
        sims.port.entity("opsGenieAlert", id).unwrap()["title"],
        "RENAMED IN OPSGENIE"
    );

    // Edited again without a resync (x-skip-resync): polling re-selects, so the next webhook
    // event follows the new mapping at once.
    let mut config = edited_mapping();
    let alert = config["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["kind"] == "alert")
        .unwrap();
    alert["port"]["entity"]["mappings"]["title"] = json!(".message | ascii_downcase");
    port_client(&sims)
        .patch_integration_config(IDENTIFIER, &config, true)
        .await
        .expect("saved");
    sims.opsgenie.with_account(|account| {
        account
            .alerts_mut()
            .update(id, |alert| alert.message = "Renamed Again".into())
    });
    let body = payload(&sims, "UpdateMessage", id);
    let mut followed = false;
    for _ in 0..100 {
        assert_eq!(post_webhook(&service, &body, &[]).await.status, 202);
        assert!(service.webhooks_idle(Duration::from_secs(10)).await);
        let title = sims.port.entity("opsGenieAlert", id).unwrap()["title"].clone();
        if title == "renamed again" {
            followed = true;
            break;
        }
        assert_eq!(
            title, "RENAMED AGAIN",
            "one mapping or the other, never a mix"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        followed,
        "the webhook events never used the re-edited mapping"
    );
    assert_eq!(completed_resyncs(&sims), 2, "no resync was needed");
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn pinned_to_the_built_mapping_serve_overwrites_an_edit_at_start() {
    let sims = sims(Account::empty()).await;
    sims.port
        .create_integration(json!({
            "installationId": IDENTIFIER,
            "installationAppType": "opsgenie",
            "version": "0.1.0-test",
            "changelogDestination": {},
            "config": edited_mapping(),
        }))
        .unwrap();
    let config = config(&sims, &[("OCEAN__MAPPING_SOURCE", "compiled")]);
    let service = serve::start(engine_parts(config)).await.expect("starts");
    let stored = sims.port.integration(IDENTIFIER).unwrap()["config"].clone();
    let built: Value = serde_json::from_str(&compiled().app_config_json).unwrap();
    assert_eq!(stored, built, "Port shows the mapping that runs");
    let metrics = service.metrics().render();
    assert!(
        metrics.contains(
            "opsgenie_port_mapping_selected{backend=\"compiled\",origin=\"compiled\",reason=\"pinned\"} 1"
        ),
        "{metrics}"
    );
    service.shutdown();
    service.wait().await.unwrap();
}

/// A build whose alert blueprint has a property Port's lacks: without --update-blueprints the
/// alert resource does not run, and webhook events (which run the selected mapping) send
/// nothing Port would refuse; with it, `serve` adds the property at start and events write it.
#[tokio::test]
async fn update_blueprints_adds_what_port_lacks_at_start_and_without_it_events_send_nothing() {
    let sims = sims(Account::empty()).await;
    // The first start creates the blueprints and marks the integration initialised.
    let service = serve::start(engine_parts(config(&sims, &[])))
        .await
        .expect("starts");
    service.shutdown();
    service.wait().await.unwrap();
    let port = port_client(&sims);
    let mut alert = port.get_blueprint("opsGenieAlert").await.unwrap().unwrap();
    alert["schema"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("sourceName");
    port.put_blueprint("opsGenieAlert", &alert).await.unwrap();
    sims.opsgenie
        .upsert_alert(rest_alert("bp-1", "first"))
        .unwrap();
    sims.port.reset_counters();

    let service = serve::start(engine_parts(config(&sims, &[])))
        .await
        .expect("starts");
    let response = post_webhook(&service, &payload(&sims, "Create", "bp-1"), &[]).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert!(sims.port.entity("opsGenieAlert", "bp-1").is_none());
    let counters = sims.port.counters();
    assert_eq!(
        counters.entity_writes.get("opsGenieAlert"),
        None,
        "{counters:?}"
    );
    assert_eq!(counters.entity_errors, 0);
    service.shutdown();
    service.wait().await.unwrap();

    let config = config(&sims, &[("OCEAN__UPDATE_BLUEPRINTS", "true")]);
    let service = serve::start(engine_parts(config)).await.expect("starts");
    let alert = port.get_blueprint("opsGenieAlert").await.unwrap().unwrap();
    assert_eq!(
        alert["schema"]["properties"]["sourceName"]["type"], "string",
        "added at start"
    );
    let response = post_webhook(&service, &payload(&sims, "Create", "bp-1"), &[]).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    let entity = sims.port.entity("opsGenieAlert", "bp-1").expect("written");
    assert_eq!(entity["properties"]["sourceName"], "test");
    service.shutdown();
    service.wait().await.unwrap();
}
