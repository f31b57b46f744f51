//! Pacing by the services' rate-limit signals: the same first resync of a small account against
//! a Port limited to 20 requests a second (or an Opsgenie whose search domain takes 4 a second),
//! once paced and once not. Counts of 429s are compared, not durations.

use crate::common::*;
use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::http::{Pacing, RetryPolicy};
use opsgenie_port::runtime::opsgenie::{OpsgenieClient, OpsgenieOptions};
use opsgenie_port::runtime::port::{PortClient, PortOptions};
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::sync::{CancellationFlag, Engine, ResyncReport, ResyncStatus};
use opsgenie_port_sim::opsgenie::{DomainLimit, OpsgenieSimConfig, RateLimits};
use opsgenie_port_sim::port::RateLimit;
use std::time::Duration;

/// Waits as in production (the server's wait, here at most 2 s), so a 429 costs what it would.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(500),
        max_rate_limit_wait: Duration::from_secs(2),
        jitter: 0.1,
        statuses: RetryPolicy::fast(1).statuses,
    }
}

fn clients(sims: &Sims, port_pacing: Pacing, opsgenie_pacing: Pacing) -> Engine {
    let opsgenie = OpsgenieClient::new(
        &sims.opsgenie.base_url(),
        Secret::new(sims.opsgenie.api_key()),
        OpsgenieOptions {
            timeout: Duration::from_secs(5),
            retry: policy(),
            // Pages of 10: more search requests.
            page_size: 10,
            pacing: opsgenie_pacing,
            ..OpsgenieOptions::default()
        },
    )
    .expect("opsgenie client");
    let port = PortClient::with_options(
        &sims.port.base_url(),
        Secret::new(sims.port.client_id()),
        Secret::new(sims.port.client_secret()),
        port_user_agent(),
        PortOptions {
            timeout: Duration::from_secs(5),
            retry: policy(),
            batch_max_length: 5,
            pacing: port_pacing,
            ..PortOptions::default()
        },
    )
    .expect("port client");
    Engine::new(compiled(), opsgenie, port, settings())
}

async fn first_resync(
    opsgenie_config: OpsgenieSimConfig,
    port_rate: Option<u32>,
    port_pacing: Pacing,
    opsgenie_pacing: Pacing,
) -> (ResyncReport, u64) {
    let sims = start(small_account(77, 150), &compiled(), opsgenie_config).await;
    if let Some(limit) = port_rate {
        sims.port.set_rate_limit(Some(RateLimit {
            limit,
            period: Duration::from_secs(1),
        }));
    }
    let report = clients(&sims, port_pacing, opsgenie_pacing)
        .resync(&CancellationFlag::new())
        .await;
    assert_eq!(
        report.status,
        ResyncStatus::Completed,
        "{}",
        report.render()
    );
    let expected = expected_catalog(&sims, &compiled()).await;
    assert_catalog(&sims, &expected);
    (report, sims.port.counters().rate_limited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_by_ports_headers_a_resync_gets_few_429s_where_unpaced_it_gets_many() {
    let config = OpsgenieSimConfig::default;
    let (paced, paced_429s) = first_resync(config(), Some(10), Pacing::Budget, Pacing::Off).await;
    let (unpaced, unpaced_429s) = first_resync(config(), Some(10), Pacing::Off, Pacing::Off).await;
    let summary = format!("{}\n{}", paced.render(), unpaced.render());
    // The client's count is the simulator's.
    assert_eq!(paced.traffic.port.throttled, paced_429s, "{summary}");
    assert_eq!(unpaced.traffic.port.throttled, unpaced_429s, "{summary}");
    // The same writes either way (a refused raw-data example is not sent again).
    let upserts = |report: &ResyncReport| {
        let kind = report.traffic.port.kinds[2];
        assert_eq!(kind.name, "upsert");
        kind.requests - kind.throttled
    };
    assert!(upserts(&paced) >= 30, "{summary}");
    assert_eq!(upserts(&paced), upserts(&unpaced), "{summary}");
    assert!(paced_429s <= 1, "{summary}");
    assert!(unpaced_429s >= 5, "{summary}");
    assert!(paced.traffic.port.paced_wait > Duration::ZERO, "{summary}");
    assert_eq!(unpaced.traffic.port.paced_wait, Duration::ZERO, "{summary}");
    // The summary says it, per kind of call.
    let text = paced.render();
    assert!(
        text.contains("port: ") && text.contains("upsert "),
        "{text}"
    );
    assert!(unpaced
        .render()
        .contains(&format!("{unpaced_429s} answered 429")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapted_to_opsgenies_429s_a_search_domain_is_throttled_rarely() {
    let config = || OpsgenieSimConfig {
        rate_limits: RateLimits {
            search: DomainLimit {
                per_minute: 120,
                per_second: 2,
            },
            ..RateLimits::default()
        },
        ..OpsgenieSimConfig::default()
    };
    let (paced, _) = first_resync(config(), None, Pacing::Off, Pacing::Adaptive).await;
    let (unpaced, _) = first_resync(config(), None, Pacing::Off, Pacing::Off).await;
    let summary = format!("{}\n{}", paced.render(), unpaced.render());
    let search = |report: &ResyncReport| {
        let kind = report.traffic.opsgenie.kinds[0];
        assert_eq!(kind.name, "search");
        (kind.requests, kind.throttled)
    };
    let (paced_requests, paced_429s) = search(&paced);
    let (unpaced_requests, unpaced_429s) = search(&unpaced);
    // 150 alerts in pages of 10: the same pages either way.
    assert!(paced_requests - paced_429s >= 15, "{summary}");
    assert_eq!(
        paced_requests - paced_429s,
        unpaced_requests - unpaced_429s,
        "{summary}"
    );
    // The first 429 is how the rate is learnt; a few more while it settles.
    assert!(paced_429s <= 3, "{summary}");
    assert!(unpaced_429s >= 5 && paced_429s < unpaced_429s, "{summary}");
    // Other domains were never throttled, so never paced.
    assert_eq!(paced.traffic.opsgenie.throttled, paced_429s, "{summary}");
}
