//! Port throttling or failing the calls a resync makes besides the entity writes: the token,
//! the integration and resync-state PATCHes. They are retried, and the resync-state report —
//! bookkeeping — never decides a resync's outcome.

use crate::common::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::sync::{CancellationFlag, DeletionOutcome, ResyncStatus};
use opsgenie_port_sim::faults::RouteFault;
use opsgenie_port_sim::opsgenie::OpsgenieSimConfig;

const RESYNC_STATE: &str = "PATCH /v1/integration/{id}/resync-state";
const PATCH_INTEGRATION: &str = "PATCH /v1/integration/{id}";
const TOKEN: &str = "POST /v1/auth/access_token";
const BULK_UPSERT: &str = "POST /v1/blueprints/{blueprint}/entities/bulk";
const BULK_DELETE: &str = "POST /v1/blueprints/{blueprint}/bulk/entities/delete";

fn statuses(sims: &Sims) -> Vec<String> {
    sims.port
        .resync_states(IDENTIFIER)
        .iter()
        .map(|state| state["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn sends(sims: &Sims, route: &str) -> u64 {
    sims.port
        .counters()
        .by_route
        .get(route)
        .copied()
        .unwrap_or(0)
}

/// A clean resync first, so the entities it wrote are old enough to count for deletion.
async fn first_sync(sims: &Sims) {
    let report = engine(sims, &compiled())
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{:?}",
        report.errors
    );
}

/// The binary, with Port's production retry policy: each call throttled (`Retry-After: 1`) or
/// failing once or twice goes through after the wait, and the resync completes — deletions
/// included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_rides_out_throttled_and_failing_port_calls() {
    let sims = start(
        small_account(31, 60),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    first_sync(&sims).await;
    // Something to write (one alert changed) and something to delete (owned, stale).
    let id = sims
        .opsgenie
        .with_account(|account| account.alerts().iter().next().map(|a| a.id.to_string()))
        .unwrap();
    sims.opsgenie.with_account(|account| {
        account
            .alerts_mut()
            .update(&id, |alert| alert.message = "changed since".into())
    });
    seed_stale_alert(&sims);
    sims.port.reset_counters();
    let faults = sims.port.faults();
    faults.on_route(TOKEN, RouteFault::throttled(1), 1);
    faults.on_route(RESYNC_STATE, RouteFault::throttled(1), 2);
    // The start marks the integration initialised (the simulator's record is not yet).
    faults.on_route(
        PATCH_INTEGRATION,
        RouteFault::Status {
            status: 503,
            retry_after: Some("1".into()),
        },
        1,
    );
    faults.on_route(BULK_UPSERT, RouteFault::throttled(1), 1);
    faults.on_route(BULK_DELETE, RouteFault::server_error(502), 1);

    let output = run_command(&sims, &["sync"], Vec::new()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        statuses(&sims),
        ["running", "completed", "running", "completed"]
    );
    assert_eq!(
        sims.port.entity("opsGenieAlert", &id).unwrap()["title"],
        "changed since"
    );
    assert_eq!(
        sims.port.integration(IDENTIFIER).unwrap()["arePortResourcesInitialized"],
        true
    );
    assert!(sims
        .port
        .entity("opsGenieAlert", "stale-but-kept")
        .is_none());
    let expected = expected_catalog(&sims, &compiled()).await;
    assert_catalog(&sims, &expected);
    assert_eq!(sends(&sims, TOKEN), 2);
    // Two refused, then running; then completed.
    assert_eq!(sends(&sims, RESYNC_STATE), 4);
    assert_eq!(sims.port.counters().faults_injected, 6);
}

/// A resync-state route failing for good: logged, and the resync still completes and deletes
/// the stale entity (the state is not data).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resync_state_report_failing_for_good_does_not_fail_the_resync() {
    let sims = start(
        small_account(33, 40),
        &compiled(),
        OpsgenieSimConfig::default(),
    )
    .await;
    first_sync(&sims).await;
    seed_stale_alert(&sims);
    let reported = statuses(&sims);
    sims.port.reset_counters();
    sims.port
        .faults()
        .on_route(RESYNC_STATE, RouteFault::server_error(503), u64::MAX);
    let report = engine(&sims, &compiled())
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{}\n{:?}",
        report.render(),
        report.errors
    );
    assert!(
        matches!(report.deletion, DeletionOutcome::Done { deleted: 1, .. }),
        "{:?}",
        report.deletion
    );
    assert!(sims
        .port
        .entity("opsGenieAlert", "stale-but-kept")
        .is_none());
    let expected = expected_catalog(&sims, &compiled()).await;
    assert_catalog(&sims, &expected);
    assert_eq!(statuses(&sims), reported, "no state got through");
    // Both reports went through every attempt (the test client's 12).
    assert_eq!(sends(&sims, RESYNC_STATE), 2 * 12);

    // Throttled for good too: same.
    sims.port.faults().clear_routes();
    sims.port
        .faults()
        .on_route(RESYNC_STATE, RouteFault::throttled(0), u64::MAX);
    let report = engine(&sims, &compiled())
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{:?}",
        report.errors
    );
}
