//! `serve` with the real resync engine: a POLLING resync fills the catalog, webhooks keep it
//! current afterwards, and the binary stops cleanly on SIGTERM during a resync.

use crate::support::*;
use opsgenie_port::runtime::serve;
use opsgenie_port_sim::generate::{Account, GenSpec};
use std::time::Duration;

#[tokio::test]
async fn a_polling_resync_then_webhooks_keep_the_catalog_current() {
    let account = Account::generate(&GenSpec::typical(11, 40));
    let alerts = account.alerts().len();
    let sims = sims(account).await;
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
    assert!(
        eventually(30, || sims.port.entities("opsGenieAlert").len() == alerts).await,
        "the resync upserted every alert"
    );
    assert!(
        eventually(30, || sims
            .port
            .resync_states(IDENTIFIER)
            .last()
            .is_some_and(|state| state["status"] == "completed"))
        .await
    );

    let id = sims
        .opsgenie
        .with_account(|account| account.alerts().iter().next().map(|a| a.id.to_string()))
        .unwrap();
    sims.opsgenie.with_account(|account| {
        account
            .alerts_mut()
            .update(&id, |alert| alert.message = "renamed in Opsgenie".into())
    });
    let body = payload(&sims, "UpdateMessage", &id);
    assert_eq!(post_webhook(&service, &body, &[]).await.status, 202);
    assert!(service.webhooks_idle(Duration::from_secs(10)).await);
    assert_eq!(
        sims.port.entity("opsGenieAlert", &id).unwrap()["title"],
        "renamed in Opsgenie"
    );
    let metrics = service.metrics().render();
    assert!(
        metrics.contains("opsgenie_port_kind_upserted_total{kind=\"alert\"}"),
        "{metrics}"
    );
    service.shutdown();
    service.wait().await.unwrap();
}

/// The real binary: SIGTERM while a (slow) resync runs → state `aborted`, exit 0, within 10 s.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_resync_aborts_it_and_exits_zero() {
    use opsgenie_port_sim::opsgenie::{self, OpsgenieSimConfig};
    use opsgenie_port_sim::port::{self, PortSimConfig};
    use std::process::{Command, Stdio};

    let account = Account::generate(&GenSpec::typical(5, 300));
    let sims = Sims {
        opsgenie: opsgenie::start(
            account,
            OpsgenieSimConfig {
                latency: Duration::from_millis(150),
                ..OpsgenieSimConfig::default()
            },
        )
        .await
        .unwrap(),
        port: port::start(PortSimConfig::default()).await.unwrap(),
    };
    let vars = env(
        &sims,
        &[
            ("OCEAN__EVENT_LISTENER__TYPE", "POLLING"),
            ("OCEAN__EVENT_LISTENER__INTERVAL", "0.05"),
        ],
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .arg("serve")
        .env_clear()
        .envs(&vars)
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");

    let started = eventually(30, || sims.port.integration(IDENTIFIER).is_some()).await;
    assert!(started, "the binary initialised Port");
    assert!(sims.port.request_resync(IDENTIFIER));
    let running = eventually(30, || {
        sims.port
            .resync_states(IDENTIFIER)
            .iter()
            .any(|state| state["status"] == "running")
    })
    .await;
    assert!(running, "the resync started");

    let (status, log) = terminate(&mut child, Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status}: {log}");
    let states = sims.port.resync_states(IDENTIFIER);
    assert_eq!(
        states.last().map(|state| state["status"].clone()),
        Some(serde_json::json!("aborted")),
        "{states:?}"
    );
    assert!(
        !states.iter().any(|state| state["status"] == "completed"),
        "the resync did not finish on its own"
    );
}

/// The real binary: SIGTERM while start-up still waits for an unreachable Port (its retries take
/// minutes) is a clean stop: exit 0 at once.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_start_up_exits_zero_at_once() {
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_opsgenie-port"))
        .arg("serve")
        .env_clear()
        .envs([
            ("OCEAN__PORT__CLIENT_ID", "id"),
            ("OCEAN__PORT__CLIENT_SECRET", "secret"),
            // Nothing listens on the discard port: every Port call is refused and retried.
            ("OCEAN__PORT__BASE_URL", "http://127.0.0.1:9"),
            ("OCEAN__INTEGRATION__CONFIG__API_TOKEN", "key"),
            ("APPLICATION__PORT", "0"),
        ])
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(child.try_wait().unwrap().is_none(), "still starting");
    let (status, log) = terminate(&mut child, Duration::from_secs(5)).await;
    assert!(status.success(), "exit status {status}: {log}");
    assert!(log.contains("stopped during start-up"), "{log}");
}

/// Sends SIGTERM and waits at most `limit` for the exit; the exit status and what the binary
/// logged.
#[cfg(unix)]
async fn terminate(
    child: &mut std::process::Child,
    limit: Duration,
) -> (std::process::ExitStatus, String) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running {limit:?} after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        use std::io::Read;
        let _ = stderr.read_to_string(&mut log);
    }
    (status, log)
}
