//! Webhook events against the simulators: each action produces the right catalog change.

use crate::support::*;
use opsgenie_port_sim::generate::{Account, GenSpec};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const BLUEPRINT: &str = "opsGenieAlert";

async fn post_and_settle(
    sims: &Sims,
    service: &opsgenie_port::runtime::serve::Service,
    action: &str,
    id: &str,
) {
    let body = payload(sims, action, id);
    let response = post_webhook(service, &body, &[]).await;
    assert_eq!(response.status, 202, "{action}: {}", response.body);
    assert_eq!(response.json()["status"], "accepted");
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
}

#[tokio::test]
async fn each_action_produces_the_right_catalog_change() {
    let sims = sims(Account::empty()).await;
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let id = "a1b2c3d4-0000-4000-8000-000000000001-1700000000000";

    sims.opsgenie
        .upsert_alert(rest_alert(id, "Disk full on db-1"))
        .unwrap();
    post_and_settle(&sims, &service, "Create", id).await;
    let entity = sims.port.entity(BLUEPRINT, id).expect("created");
    assert_eq!(entity["title"], "Disk full on db-1");
    assert_eq!(entity["properties"]["status"], "open");
    assert_eq!(entity["properties"]["acknowledged"], false);
    assert_eq!(
        entity["properties"]["description"], "something broke",
        "the alert was re-read with get-alert (description is only there)"
    );
    let owner = sims.port.entity_datasource(BLUEPRINT, id).unwrap();
    assert!(
        owner.ends_with(&format!("/{IDENTIFIER}/exporter")),
        "{owner}"
    );

    sims.opsgenie.with_account(|account| {
        account
            .alerts_mut()
            .update(id, |alert| alert.acknowledged = true)
    });
    post_and_settle(&sims, &service, "Acknowledge", id).await;
    let entity = sims.port.entity(BLUEPRINT, id).unwrap();
    assert_eq!(entity["properties"]["acknowledged"], true);

    sims.opsgenie.with_account(|account| {
        account
            .alerts_mut()
            .update(id, |alert| alert.tags.push("database".into()))
    });
    post_and_settle(&sims, &service, "AddTags", id).await;
    let entity = sims.port.entity(BLUEPRINT, id).unwrap();
    assert_eq!(entity["properties"]["tags"], json!(["one", "database"]));

    sims.opsgenie.with_account(|account| {
        account
            .alerts_mut()
            .update(id, |alert| alert.status = "closed".into())
    });
    post_and_settle(&sims, &service, "Close", id).await;
    let entity = sims.port.entity(BLUEPRINT, id).unwrap();
    assert_eq!(entity["properties"]["status"], "closed");

    let delete = payload(&sims, "Delete", id);
    assert!(sims.opsgenie.delete_alert(id));
    let response = post_webhook(&service, &delete, &[]).await;
    assert_eq!(response.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert!(sims.port.entity(BLUEPRINT, id).is_none(), "deleted");

    let metrics = http(service.addr(), "GET", "/metrics", &[], b"").await.body;
    assert!(
        metrics.contains(
            "opsgenie_port_webhook_events_total{action=\"Delete\",outcome=\"deleted\"} 1"
        ),
        "{metrics}"
    );
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn late_and_repeated_events_converge_on_opsgenie_state() {
    let sims = sims(Account::empty()).await;
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let id = "late-0001";
    sims.opsgenie.upsert_alert(rest_alert(id, "first")).unwrap();
    let create = payload(&sims, "Create", id);

    // Repeated: the same Create five times leaves one up-to-date entity.
    for _ in 0..5 {
        assert_eq!(post_webhook(&service, &create, &[]).await.status, 202);
    }
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert_eq!(sims.port.entities(BLUEPRINT).len(), 1);

    // Out of order: the alert is deleted, then an older Create arrives. Re-reading finds it
    // gone, so the entity goes too.
    assert!(sims.opsgenie.delete_alert(id));
    assert_eq!(post_webhook(&service, &create, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert!(sims.port.entity(BLUEPRINT, id).is_none());

    // Delete before Create for an alert that still exists: the Create re-reads it.
    sims.opsgenie
        .upsert_alert(rest_alert(id, "second"))
        .unwrap();
    let delete = payload(&sims, "Delete", id);
    let create = payload(&sims, "Create", id);
    assert_eq!(post_webhook(&service, &delete, &[]).await.status, 202);
    assert_eq!(post_webhook(&service, &create, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    let entity = sims.port.entity(BLUEPRINT, id).expect("recreated");
    assert_eq!(entity["title"], "second");
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn delete_leaves_entities_other_integrations_own() {
    let sims = sims(Account::empty()).await;
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let id = "foreign-0001";
    sims.opsgenie
        .upsert_alert(rest_alert(id, "theirs"))
        .unwrap();
    let delete = payload(&sims, "Delete", id);
    assert!(
        sims.opsgenie.delete_alert(id),
        "gone: the Delete is confirmed"
    );
    sims.port
        .insert_entity_as(
            "port-ocean/opsgenie/0.1.0/someone-else/exporter",
            BLUEPRINT,
            json!({"identifier": id, "title": "theirs", "properties": {}, "relations": {}}),
        )
        .unwrap();
    assert_eq!(post_webhook(&service, &delete, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert!(sims.port.entity(BLUEPRINT, id).is_some(), "not ours: kept");
    let metrics = service.metrics().render();
    assert!(
        metrics.contains("opsgenie_port_webhook_delete_checks_total{result=\"gone\"} 1"),
        "{metrics}"
    );
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn escalate_with_only_the_alert_id_refreshes_the_entity() {
    let sims = sims(Account::empty()).await;
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let id = "escalated-0001";
    sims.opsgenie
        .upsert_alert(rest_alert(id, "paging"))
        .unwrap();
    let body = payload(&sims, "Escalate", id);
    assert_eq!(body["alert"], json!({"alertId": id}));
    assert_eq!(post_webhook(&service, &body, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert_eq!(sims.port.entity(BLUEPRINT, id).unwrap()["title"], "paging");
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn webhook_alerts_get_the_enrichment_their_mapping_reads() {
    let account = Account::generate(&GenSpec::typical(7, 20));
    let incident = account.incidents[0].id.to_string();
    let sims = sims(account).await;
    let service = start(&sims, &[], Arc::new(CountingResync::default())).await;
    let id = "enriched-0001";
    let mut alert = rest_alert(id, "spawned by an incident");
    alert["alias"] = json!(format!("{incident}_monitor"));
    sims.opsgenie.upsert_alert(alert).unwrap();
    post_and_settle(&sims, &service, "Create", id).await;
    let entity = sims.port.entity(BLUEPRINT, id).unwrap();
    assert_eq!(entity["relations"]["relatedIncident"], json!(incident));
    service.shutdown();
    service.wait().await.unwrap();
}
