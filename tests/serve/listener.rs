//! Event listeners: POLLING's resync-request watermark, the scheduled resync, ONCE, KAFKA's
//! refusal, newer-cancels-older, and shutdown during a resync.

use crate::support::*;
use opsgenie_port::runtime::port::PortClient;
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::serve::apply::BoxFuture;
use opsgenie_port::runtime::serve::listener::{
    Cancel, ResyncControl, ResyncOutcome, ResyncRun, Resyncer,
};
use opsgenie_port::runtime::serve::metrics::Metrics;
use opsgenie_port::runtime::serve::{self, ServeError};
use opsgenie_port_sim::generate::Account;
use std::sync::Arc;
use std::time::Duration;

const POLLING: [(&str, &str); 2] = [
    ("OCEAN__EVENT_LISTENER__TYPE", "POLLING"),
    ("OCEAN__EVENT_LISTENER__INTERVAL", "0.05"),
];

fn resync_request_polls(sims: &Sims) -> u64 {
    sims.port
        .counters()
        .by_route
        .iter()
        .filter(|(route, _)| route.contains("resync-request"))
        .map(|(_, count)| *count)
        .sum()
}

async fn wait_for_polls(sims: &Sims, more: u64) {
    let target = resync_request_polls(sims) + more;
    assert!(
        eventually(10, || resync_request_polls(sims) >= target).await,
        "polling continues"
    );
}

fn statuses(sims: &Sims) -> Vec<String> {
    sims.port
        .resync_states(IDENTIFIER)
        .iter()
        .map(|state| state["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

#[tokio::test]
async fn polling_resyncs_only_when_the_resync_request_changes() {
    let sims = sims(Account::empty()).await;
    let resync = Arc::new(CountingResync::default());
    let service = start(&sims, &POLLING, resync.clone()).await;

    // The integration was just created: one resync at start, then only on requests.
    wait_for_polls(&sims, 3).await;
    assert_eq!(resync.runs(), 1, "the start resync, no resync request yet");
    assert_eq!(statuses(&sims), vec!["running", "completed"]);

    assert!(sims.port.request_resync(IDENTIFIER));
    assert!(eventually(10, || resync.runs() == 2).await);
    wait_for_polls(&sims, 3).await;
    assert_eq!(resync.runs(), 2, "the same request does not trigger again");
    assert_eq!(
        statuses(&sims),
        vec!["running", "completed", "running", "completed"]
    );

    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(sims.port.request_resync(IDENTIFIER));
    assert!(eventually(10, || resync.runs() == 3).await);
    wait_for_polls(&sims, 3).await;
    assert_eq!(resync.runs(), 3);
    let metrics = service.metrics().render();
    assert!(
        metrics.contains("opsgenie_port_resyncs_total{trigger=\"start\",outcome=\"completed\"} 1"),
        "{metrics}"
    );
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn a_fresh_install_fills_the_catalog_at_start_and_a_restart_waits_for_a_request() {
    use opsgenie_port_sim::generate::GenSpec;
    let account = Account::generate(&GenSpec::typical(17, 30));
    let alerts = account.alerts().len();
    let sims = sims(account).await;
    let service = serve::start(engine_parts(config(&sims, &POLLING)))
        .await
        .expect("starts");
    assert!(service.init_report.integration_created);
    assert!(
        eventually(30, || statuses(&sims) == ["running", "completed"]).await,
        "{:?}",
        statuses(&sims)
    );
    assert_eq!(sims.port.entities("opsGenieAlert").len(), alerts);
    assert_eq!(
        sims.port.state_json()["integrations"][IDENTIFIER]["resyncRequest"],
        serde_json::Value::Null,
        "no resync request was needed"
    );
    service.shutdown();
    service.wait().await.unwrap();

    // A restart: Port has seen a resync of this integration, so none at start; polling still
    // serves a request.
    let again = serve::start(engine_parts(config(&sims, &POLLING)))
        .await
        .expect("restarts");
    wait_for_polls(&sims, 5).await;
    assert_eq!(statuses(&sims), ["running", "completed"]);
    assert!(sims.port.request_resync(IDENTIFIER));
    assert!(
        eventually(30, || statuses(&sims).len() == 4).await,
        "{:?}",
        statuses(&sims)
    );
    again.shutdown();
    again.wait().await.unwrap();
}

#[tokio::test]
async fn resync_on_start_false_waits_for_a_request_even_on_a_fresh_install() {
    let sims = sims(Account::empty()).await;
    let resync = Arc::new(CountingResync::default());
    let mut vars = POLLING.to_vec();
    vars.push(("OCEAN__EVENT_LISTENER__RESYNC_ON_START", "false"));
    let service = start(&sims, &vars, resync.clone()).await;
    wait_for_polls(&sims, 3).await;
    assert_eq!(resync.runs(), 0);
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn scheduled_resync_fires_on_its_interval() {
    let sims = sims(Account::empty()).await;
    let resync = Arc::new(CountingResync::default());
    // 0.002 minutes = 120 ms.
    let service = start(
        &sims,
        &[("OCEAN__SCHEDULED_RESYNC_INTERVAL", "0.002")],
        resync.clone(),
    )
    .await;
    assert!(
        eventually(10, || resync.runs() >= 3).await,
        "fires repeatedly"
    );
    let metrics = service.metrics().render();
    assert!(
        metrics.contains("opsgenie_port_resyncs_total{trigger=\"schedule\",outcome=\"completed\"}")
    );
    service.shutdown();
    service.wait().await.unwrap();
}

#[tokio::test]
async fn once_runs_one_resync_and_returns() {
    let sims = sims(Account::empty()).await;
    let resync = Arc::new(CountingResync::default());
    let service = start(
        &sims,
        &[("OCEAN__EVENT_LISTENER__TYPE", "ONCE")],
        resync.clone(),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(10), service.wait())
        .await
        .expect("ONCE ends by itself")
        .unwrap();
    assert_eq!(resync.runs(), 1);
    assert_eq!(statuses(&sims), vec!["running", "completed"]);
}

struct FailingResync;

impl Resyncer for FailingResync {
    fn resync(&self, _cancel: Cancel) -> BoxFuture<'static, ResyncRun> {
        Box::pin(async { ResyncOutcome::Failed("Opsgenie said no".into()).into() })
    }
}

#[tokio::test]
async fn once_reports_a_failed_resync() {
    let sims = sims(Account::empty()).await;
    let service = start(
        &sims,
        &[("OCEAN__EVENT_LISTENER__TYPE", "ONCE")],
        Arc::new(FailingResync),
    )
    .await;
    let error = service.wait().await.unwrap_err();
    assert!(matches!(error, ServeError::Resync(_)));
    assert!(error.to_string().contains("Opsgenie said no"));
    assert_eq!(statuses(&sims), vec!["running", "failed"]);
}

#[tokio::test]
async fn kafka_is_refused_at_start() {
    let sims = sims(Account::empty()).await;
    let config = config(&sims, &[("OCEAN__EVENT_LISTENER__TYPE", "KAFKA")]);
    let error = match serve::start(parts(config, Arc::new(CountingResync::default()))).await {
        Ok(_) => panic!("KAFKA accepted"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("not supported") && error.contains("POLLING"),
        "{error}"
    );
    assert!(
        sims.port.integration(IDENTIFIER).is_none(),
        "refused before touching Port"
    );
}

#[tokio::test]
async fn a_newer_resync_cancels_the_one_in_progress() {
    let sims = sims(Account::empty()).await;
    sims.port
        .create_integration(serde_json::json!({"installationId": IDENTIFIER}))
        .unwrap();
    let port = PortClient::new(
        &sims.port.base_url(),
        Secret::new(sims.port.client_id()),
        Secret::new(sims.port.client_secret()),
        "ua".into(),
    )
    .unwrap();
    let resync = Arc::new(EndlessResync::default());
    let control = ResyncControl::new(
        resync.clone(),
        None,
        port,
        IDENTIFIER.into(),
        Metrics::new(),
        None,
    );
    let first = {
        let control = control.clone();
        tokio::spawn(async move { control.run("polling").await })
    };
    assert!(
        eventually(10, || resync
            .started
            .load(std::sync::atomic::Ordering::SeqCst)
            == 1)
        .await
    );
    let second = {
        let control = control.clone();
        tokio::spawn(async move { control.run("schedule").await })
    };
    let first = tokio::time::timeout(Duration::from_secs(10), first)
        .await
        .expect("the older resync stops")
        .unwrap();
    assert_eq!(first, ResyncOutcome::Aborted);
    assert!(
        eventually(10, || resync
            .started
            .load(std::sync::atomic::Ordering::SeqCst)
            == 2)
        .await
    );
    assert!(control.is_running());
    assert!(control.stop(Duration::from_secs(5)).await);
    assert_eq!(second.await.unwrap(), ResyncOutcome::Aborted);
    assert_eq!(
        statuses(&sims),
        vec!["running", "aborted", "running", "aborted"],
        "each run reports its own end before the next one starts"
    );
}

#[tokio::test]
async fn shutdown_during_a_resync_reports_aborted_and_ends_in_time() {
    let sims = sims(Account::empty()).await;
    let resync = Arc::new(EndlessResync::default());
    let service = start(&sims, &POLLING, resync.clone()).await;
    assert!(sims.port.request_resync(IDENTIFIER));
    assert!(
        eventually(10, || service.resync_running()
            && resync.started.load(std::sync::atomic::Ordering::SeqCst) == 1)
        .await
    );
    service.shutdown();
    tokio::time::timeout(Duration::from_secs(10), service.wait())
        .await
        .expect("stops within 10 s")
        .unwrap();
    assert_eq!(statuses(&sims), vec!["running", "aborted"]);
}
