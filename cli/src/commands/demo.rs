//! `opsgenie-port demo`: the whole product against the built-in simulators — no credentials, no
//! network. Starts an Opsgenie and a Port simulator with a seeded account (the seed document's
//! sample objects included), starts the always-on service (which initialises Port's blueprints and
//! integration), plans and then runs a full resync, sends a few webhook events, edits the
//! mapping in Port as a user would in Port's UI (the service resyncs with the edited mapping),
//! prints what changed per blueprint at each step, and writes the resulting catalog to a file.

use crate::Built;
use opsgenie_port_runtime::config::Config;
use opsgenie_port_runtime::opsgenie::OpsgenieClient;
use opsgenie_port_runtime::port::PortClient;
use opsgenie_port_runtime::serve::{self, ServeParts};
use opsgenie_port_runtime::sync::{CancellationFlag, Engine, NoProgress, SyncSettings};
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{
    self as og_sim, webhook_payload, OpsgenieSim, OpsgenieSimConfig,
};
use opsgenie_port_sim::port::{self as port_sim, PortSim, PortSimConfig};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn run(alerts: usize, output: &Path, built: Built) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(demo(alerts, output, built))
}

/// Entities by (blueprint, identifier), without Port's timestamps, to tell what changed.
type Catalog = BTreeMap<(String, String), Value>;

async fn demo(alerts: usize, output: &Path, built: Built) -> Result<ExitCode, String> {
    let started = Instant::now();
    let account = Account::generate(&GenSpec::typical(20_261_128, alerts)).with_seed_sample();
    let counts = format!(
        "{} alerts, {} incidents, {} services, {} teams, {} users, {} schedules",
        account.alerts().len(),
        account.incidents.len(),
        account.services.len(),
        account.teams.len(),
        account.users.len(),
        account.schedules.len()
    );
    let opsgenie = og_sim::start(account, OpsgenieSimConfig::default())
        .await
        .map_err(|e| format!("cannot start the Opsgenie simulator: {e}"))?;
    let port = port_sim::start(PortSimConfig::default())
        .await
        .map_err(|e| format!("cannot start the Port simulator: {e}"))?;
    println!(
        "opsgenie-port demo — mapping `{}`",
        (built.mapping)().origin
    );
    println!("  Opsgenie simulator at {} ({counts})", opsgenie.base_url());
    println!("  Port simulator at {}", port.base_url());

    let config = demo_config(&opsgenie, &port)?;
    let mut parts = ServeParts::with_engine(config.clone(), (built.mapping)(), VERSION)
        .map_err(|e| e.to_string())?;
    parts.bind = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let t = Instant::now();
    let service = serve::start(parts).await.map_err(|e| e.to_string())?;
    println!(
        "\n1. Service started at {} and Port initialised in {:.2?} ({} blueprints in Port)",
        service.url(""),
        t.elapsed(),
        port.blueprints().len()
    );

    let engine = Engine::new(
        (built.mapping)(),
        OpsgenieClient::from_config(&config).map_err(|e| e.to_string())?,
        PortClient::from_config(&config, VERSION).map_err(|e| e.to_string())?,
        SyncSettings::from_config(&config),
    );
    let t = Instant::now();
    let plan = engine.plan(&CancellationFlag::new(), &NoProgress).await;
    println!(
        "\n2. Plan in {:.2?}: what the resync will change (`opsgenie-port plan`; nothing written)",
        t.elapsed()
    );
    print!("{}", indent(&plan.render(3)));

    let before = catalog(&port);
    let t = Instant::now();
    let report = engine.resync(&CancellationFlag::new()).await;
    let after_resync = catalog(&port);
    println!(
        "\n3. Full resync in {:.2?}: {}",
        t.elapsed(),
        if report.is_success() {
            "completed"
        } else {
            "FAILED"
        }
    );
    print!("{}", indent(&report.render()));
    print_changes(&before, &after_resync);

    let t = Instant::now();
    let sent = send_webhooks(&opsgenie, &service.url("/integration/webhook")).await?;
    if !service.webhooks_idle(Duration::from_secs(20)).await {
        return Err("webhook events were still being processed after 20 s".into());
    }
    let after_webhooks = catalog(&port);
    println!(
        "\n4. {} webhook events ({}) applied in {:.2?}",
        sent.len(),
        sent.join(", "),
        t.elapsed()
    );
    print_changes(&after_resync, &after_webhooks);

    let t = Instant::now();
    let edit = edit_mapping_in_port(&port, &config).await?;
    println!("\n5. Mapping edited in Port, as in Port's UI ({edit}); Port asks for a resync");
    let plan = engine.plan(&CancellationFlag::new(), &NoProgress).await;
    println!("   {}", plan.mapping.headline);
    let status = wait_for_resync(&port, &config.integration.identifier).await?;
    let after_edit = catalog(&port);
    println!(
        "   the service ran the requested resync with the edited mapping in {:.2?}: {status}",
        t.elapsed()
    );
    print_changes(&after_webhooks, &after_edit);
    let after_webhooks = after_edit;

    let entities = port.all_entities();
    let text = serde_json::to_string_pretty(&entities).map_err(|e| e.to_string())?;
    std::fs::write(output, text + "\n")
        .map_err(|e| format!("cannot write `{}`: {e}", output.display()))?;
    let counters = opsgenie.counters();
    let opsgenie_calls: u64 = counters.values().sum();
    println!(
        "\n6. Catalog: {} entities written to {}",
        entities.len(),
        output.display()
    );
    for (blueprint, n) in per_blueprint(&after_webhooks) {
        println!("     {blueprint:<20} {n}");
    }
    println!(
        "   API calls: Opsgenie {opsgenie_calls}, Port {}; total time {:.2?}",
        port.counters().requests,
        started.elapsed()
    );
    service.shutdown();
    let _ = service.wait().await;
    Ok(if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_FAILED)
    })
}

fn demo_config(opsgenie: &OpsgenieSim, port: &PortSim) -> Result<Config, String> {
    let vars: HashMap<String, String> = [
        ("OCEAN__PORT__CLIENT_ID", port.client_id().to_string()),
        (
            "OCEAN__PORT__CLIENT_SECRET",
            port.client_secret().to_string(),
        ),
        ("OCEAN__PORT__BASE_URL", port.base_url()),
        (
            "OCEAN__INTEGRATION__IDENTIFIER",
            "opsgenie-port-demo".to_string(),
        ),
        (
            "OCEAN__INTEGRATION__CONFIG__API_TOKEN",
            opsgenie.api_key().to_string(),
        ),
        ("OCEAN__INTEGRATION__CONFIG__API_URL", opsgenie.base_url()),
        // Polling every second, so a resync requested in Port (step 5) runs at once; no
        // resync at start: the demo shows the plan first and runs the first resync itself.
        (
            "OCEAN__EVENT_LISTENER",
            r#"{"type": "POLLING", "interval": 1, "resyncOnStart": false}"#.to_string(),
        ),
        ("OCEAN__INITIALIZE_PORT_RESOURCES", "true".to_string()),
        ("APPLICATION__PORT", "0".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Config::from_env_map(vars).map_err(|e| e.to_string())
}

/// The edit a user makes in Port's UI: a property added to the alert blueprint (the blueprint
/// editor) and, in the integration's mapping, the property mapped, priorities lower-cased and
/// closed alerts no longer synced. Saving the mapping asks for a resync.
async fn edit_mapping_in_port(port: &PortSim, config: &Config) -> Result<String, String> {
    let client = PortClient::from_config(config, VERSION).map_err(|e| e.to_string())?;
    let identifier = &config.integration.identifier;
    let mut blueprint = client
        .get_blueprint("opsGenieAlert")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the alert blueprint is not in Port")?;
    blueprint["schema"]["properties"]["tinyId"] =
        serde_json::json!({"type": "string", "title": "Tiny id"});
    client
        .patch_blueprint(
            "opsGenieAlert",
            &serde_json::json!({"schema": blueprint["schema"]}),
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut mapping = port
        .integration(identifier)
        .ok_or("the integration is not in Port")?["config"]
        .clone();
    let alert = mapping["resources"]
        .as_array_mut()
        .and_then(|resources| resources.iter_mut().find(|r| r["kind"] == "alert"))
        .ok_or("the mapping has no alert resource")?;
    alert["selector"]["query"] = Value::from(".status == \"open\"");
    let properties = &mut alert["port"]["entity"]["mappings"]["properties"];
    properties["priority"] = Value::from(".priority | ascii_downcase");
    properties["tinyId"] = Value::from(".tinyId");
    client
        .patch_integration_config(identifier, &mapping, false)
        .await
        .map_err(|e| e.to_string())?;
    Ok(
        "alerts: `selector.query: .status == \"open\"`, `priority: .priority | ascii_downcase`, \
        new property `tinyId: .tinyId`"
            .into(),
    )
}

/// Waits for the service to finish the resync Port asked for; its final status.
async fn wait_for_resync(port: &PortSim, identifier: &str) -> Result<String, String> {
    let before = port.resync_states(identifier).len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let states = port.resync_states(identifier);
        let finished = states[before.min(states.len())..]
            .iter()
            .filter_map(|s| s["status"].as_str())
            .find(|status| *status != "running");
        if let Some(status) = finished {
            return Ok(status.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the service did not run the requested resync within 60 s".into())
}

/// Changes a few alerts in the simulator and sends Opsgenie's webhook events for them.
async fn send_webhooks(opsgenie: &OpsgenieSim, url: &str) -> Result<Vec<String>, String> {
    let ids: Vec<String> = opsgenie.with_account(|a| {
        a.alerts()
            .iter()
            .rev()
            .filter(|al| al.status.as_ref() == "open")
            .take(3)
            .map(|al| al.id.to_string())
            .collect()
    });
    let [ack, close, delete] = ids.as_slice() else {
        return Err("the demo account has fewer than three open alerts".into());
    };
    let mut events = Vec::new();
    let payload = |action: &str, id: &str| {
        opsgenie.with_account(|a| a.alerts().get(id).map(|al| webhook_payload(action, al)))
    };
    let change = |id: &str, f: &dyn Fn(&mut opsgenie_port_sim::generate::Alert)| {
        opsgenie.with_account(|a| {
            a.alerts_mut().update(id, |al| f(al));
        })
    };
    change(ack, &|al| al.acknowledged = true);
    events.push(("Acknowledge", payload("Acknowledge", ack)));
    change(close, &|al| al.status = "closed".into());
    events.push(("Close", payload("Close", close)));
    let deleted = payload("Delete", delete);
    opsgenie.delete_alert(delete);
    events.push(("Delete", deleted));

    let client = reqwest::Client::new();
    let mut sent = Vec::new();
    for (action, body) in events {
        let Some(body) = body else { continue };
        let response = client
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("cannot post a webhook: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("webhook {action} answered {}", response.status()));
        }
        sent.push(action.to_string());
    }
    Ok(sent)
}

fn catalog(port: &PortSim) -> Catalog {
    port.all_entities()
        .into_iter()
        .map(|mut e| {
            let key = (
                e["blueprint"].as_str().unwrap_or_default().to_string(),
                e["identifier"].as_str().unwrap_or_default().to_string(),
            );
            if let Some(obj) = e.as_object_mut() {
                obj.remove("createdAt");
                obj.remove("updatedAt");
            }
            (key, e)
        })
        .collect()
}

fn per_blueprint(c: &Catalog) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (bp, _) in c.keys() {
        *out.entry(bp.clone()).or_default() += 1;
    }
    out
}

/// Per blueprint: created, updated, deleted between two catalogs.
fn print_changes(before: &Catalog, after: &Catalog) {
    let mut rows: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for (key, entity) in after {
        match before.get(key) {
            None => rows.entry(&key.0).or_default()[0] += 1,
            Some(old) if old != entity => rows.entry(&key.0).or_default()[1] += 1,
            Some(_) => {}
        }
    }
    for key in before.keys().filter(|k| !after.contains_key(*k)) {
        rows.entry(&key.0).or_default()[2] += 1;
    }
    println!(
        "   {:<20} {:>8} {:>8} {:>8}",
        "blueprint", "created", "updated", "deleted"
    );
    for (bp, [c, u, d]) in rows {
        println!("   {bp:<20} {c:>8} {u:>8} {d:>8}");
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}
