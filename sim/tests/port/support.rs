//! Shared helpers for the Port simulator tests: an Ocean-like client and blueprint fixtures.

use std::time::Duration;

use opsgenie_port_sim::faults::{FaultConfig, FaultKind};
use opsgenie_port_sim::port::{self, PortSim, PortSimConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const OCEAN_UA: &str = "port-ocean/opsgenie/0.1.0/my-integration/exporter";

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub user_agent: String,
}

impl Client {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("user-agent", &self.user_agent);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
}

pub async fn token(sim: &PortSim) -> Value {
    reqwest::Client::new()
        .post(format!("{}/v1/auth/access_token", sim.base_url()))
        .json(&json!({"clientId": sim.client_id(), "clientSecret": sim.client_secret()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn client_for(sim: &PortSim, user_agent: &str) -> Client {
    let token = token(sim).await;
    Client {
        http: reqwest::Client::new(),
        base: sim.base_url(),
        token: token["accessToken"].as_str().unwrap().to_string(),
        user_agent: user_agent.to_string(),
    }
}

pub fn team_blueprint() -> Value {
    json!({"identifier": "team", "title": "Team", "schema": {"properties": {
        "url": {"type": "string", "format": "url"}
    }}})
}

pub fn service_blueprint() -> Value {
    json!({
        "identifier": "service", "title": "Service",
        "schema": {
            "properties": {
                "status": {"type": "string", "enum": ["open", "closed"]},
                "count": {"type": "number"},
                "acked": {"type": "boolean"},
                "createdAt": {"type": "string", "format": "date-time"},
                "owner": {"type": "string", "format": "email"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "meta": {"type": "object"},
                "name": {"type": "string"}
            },
            "required": ["name"]
        },
        "relations": {
            "ownerTeam": {"title": "Owner", "target": "team", "required": false, "many": false},
            "teams": {"target": "team", "required": false, "many": true}
        }
    })
}

/// A simulator with `team` and `service` blueprints and an Ocean-like client.
pub async fn setup() -> (PortSim, Client) {
    let config = PortSimConfig {
        blueprints: vec![team_blueprint(), service_blueprint()],
        ..Default::default()
    };
    let sim = port::start(config).await.unwrap();
    let client = client_for(&sim, OCEAN_UA).await;
    (sim, client)
}

pub const UPSERT: &str = "/v1/blueprints/service/entities?upsert=true";
pub const BULK: &str = "/v1/blueprints/service/entities/bulk?upsert=true";

/// Every request gets this one kind of fault.
pub fn only(kind: FaultKind) -> FaultConfig {
    FaultConfig {
        rate: 1.0,
        seed: 1,
        kinds: vec![kind],
        timeout_stall: Duration::from_millis(20),
    }
}
