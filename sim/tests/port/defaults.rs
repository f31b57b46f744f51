//! The simulator accepts Port's real Opsgenie data model: both blueprint sets under `mappings/`,
//! created the way Ocean does it, and the example entities from Port's integration docs.

use crate::support::*;
use opsgenie_port_sim::port::{self, PortSimConfig};
use reqwest::StatusCode;
use serde_json::{json, Map, Value};

const DOCS_BLUEPRINTS: &str = include_str!("../../../mappings/blueprints.json");
const OCEAN_BLUEPRINTS: &str = include_str!("../../../mappings/ocean-2026/blueprints.json");

/// Ocean's three stages: bare blueprints, then relations, then mirror/calculation/aggregation.
async fn create_like_ocean(client: &Client, blueprints: &[Value]) {
    const LATER: [&str; 6] = [
        "relations",
        "teamInheritance",
        "ownership",
        "mirrorProperties",
        "calculationProperties",
        "aggregationProperties",
    ];
    for blueprint in blueprints {
        let mut bare = blueprint.as_object().unwrap().clone();
        bare.retain(|key, _| !LATER.contains(&key.as_str()));
        let (status, body) = client.post("/v1/blueprints", Value::Object(bare)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for stage in [&LATER[..3], &LATER[3..]] {
        for blueprint in blueprints {
            let fields: Map<String, Value> = blueprint
                .as_object()
                .unwrap()
                .iter()
                .filter(|(key, _)| stage.contains(&key.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let id = blueprint["identifier"].as_str().unwrap();
            let (status, body) = client
                .patch(&format!("/v1/blueprints/{id}"), Value::Object(fields))
                .await;
            assert_eq!(status, StatusCode::OK, "{id}: {body}");
        }
    }
}

#[tokio::test]
async fn ocean_default_blueprints_are_accepted() {
    let sim = port::start(PortSimConfig::default()).await.unwrap();
    let client = client_for(&sim, OCEAN_UA).await;
    let blueprints: Vec<Value> = serde_json::from_str(OCEAN_BLUEPRINTS).unwrap();
    create_like_ocean(&client, &blueprints).await;
    let stored = sim.blueprints();
    assert_eq!(stored.len(), 6);
    let service = stored
        .iter()
        .find(|bp| bp["identifier"] == "opsGenieService")
        .unwrap();
    assert!(service["aggregationProperties"]["numberOfOpenIncidents"].is_object());
    sim.shutdown().await;
}

#[tokio::test]
async fn docs_blueprints_take_the_docs_example_entities() {
    let sim = port::start(PortSimConfig::default()).await.unwrap();
    let client = client_for(&sim, OCEAN_UA).await;
    let blueprints: Vec<Value> = serde_json::from_str(DOCS_BLUEPRINTS).unwrap();
    create_like_ocean(&client, &blueprints).await;
    let upsert = |bp: &str| {
        format!("/v1/blueprints/{bp}/entities?upsert=true&merge=true&create_missing_related_entities=true")
    };
    let service = json!({
        "identifier": "Port-Outbound-Service", "title": "Port Outbound Service", "team": [],
        "properties": {
            "description": "For outbound communications and integrations",
            "url": "https://mytestaccount.app.opsgenie.com/service/daa0d66f/status",
            "tags": ["communication", "channel"],
            "oncallTeam": "Data Science Team",
            "teamMembers": ["testuser@gmail.com", "devtester@gmail.com"],
            "oncallUsers": ["testuser@gmail.com"],
            "numOpenIncidents": 2
        },
        "relations": {}, "icon": "OpsGenie"
    });
    let incident = json!({
        "identifier": "4a0c5e6d-b239-4cd9-a7e8-a5f880e99473", "blueprint": "opsGenieIncident",
        "title": "My Incident",
        "properties": {
            "status": "open",
            "responders": [{"type": "team", "id": "63374eee"}, {"type": "user", "id": "ce544b61"}],
            "priority": "P3", "tags": ["hello"],
            "url": "https://mytestaccount.app.opsgenie.com/incident/detail/4a0c5e6d",
            "createdAt": "2023-09-20T13:33:00.941Z", "updatedAt": "2023-09-26T17:48:54.48Z",
            "description": "descirption"
        },
        "relations": {"services": ["Port-Outbound-Service", "My-Test-Service"]},
        "icon": "OpsGenie"
    });
    let alert = json!({
        "identifier": "580e9625-ecc7-42b0-8836-3d3637438bc4-1694867002321",
        "title": "Login Auth not working", "team": [],
        "properties": {
            "status": "open", "acknowledged": true, "tags": ["auth", "login"],
            "responders": [{"type": "user", "id": "ce544b61"}],
            "integration": "Default API", "priority": "P3", "sourceName": "testuser@gmail.com",
            "createdBy": "testuser@gmail.com", "createdAt": "2023-09-16T12:23:22.321Z",
            "updatedAt": "2023-09-26T17:51:00.346Z", "count": 1
        },
        "relations": {"relatedIncident": "4a0c5e6d-b239-4cd9-a7e8-a5f880e99473"},
        "icon": "OpsGenie"
    });
    for (bp, entity) in [
        ("opsGenieService", service),
        ("opsGenieIncident", incident),
        ("opsGenieAlert", alert),
    ] {
        let (status, body) = client.post(&upsert(bp), entity).await;
        assert_eq!(status, StatusCode::CREATED, "{bp}: {body}");
    }
    // The second incident service did not exist and became a stub.
    assert!(sim.entity("opsGenieService", "My-Test-Service").is_some());
    assert_eq!(sim.all_entities().len(), 4);
    sim.shutdown().await;
}
