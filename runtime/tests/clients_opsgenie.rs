//! The Opsgenie client against the Opsgenie simulator: paging, the offset cap, faults, auth.

use opsgenie_port_runtime::config::Config;
use opsgenie_port_runtime::http::RetryPolicy;
use opsgenie_port_runtime::opsgenie::{
    ListParams, OpsgenieClient, OpsgenieError, OpsgenieOptions, Pager, Resource,
};
use opsgenie_port_runtime::secret::Secret;
use opsgenie_port_sim::faults::{FaultConfig, FaultKind};
use opsgenie_port_sim::generate::{Account, GenSpec};
use opsgenie_port_sim::opsgenie::{self, DomainLimit, OpsgenieSim, OpsgenieSimConfig, RateLimits};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn spec(alerts: usize) -> GenSpec {
    GenSpec {
        seed: 7,
        alerts,
        incidents: 12,
        services: 8,
        teams: 4,
        users: 10,
        schedules: 3,
    }
}

async fn sim(account: Account, faults: FaultConfig) -> OpsgenieSim {
    let config = OpsgenieSimConfig {
        faults,
        ..OpsgenieSimConfig::default()
    };
    opsgenie::start(account, config)
        .await
        .expect("start simulator")
}

fn options() -> OpsgenieOptions {
    OpsgenieOptions {
        timeout: Duration::from_secs(10),
        retry: RetryPolicy::fast(11),
        ..OpsgenieOptions::default()
    }
}

fn client(sim: &OpsgenieSim, options: OpsgenieOptions) -> OpsgenieClient {
    OpsgenieClient::new(&sim.base_url(), Secret::new(sim.api_key()), options).unwrap()
}

/// Drains a pager, asserting every id is new.
async fn collect_ids(pager: &mut Pager) -> Result<Vec<String>, OpsgenieError> {
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    while let Some(page) = pager.next_page().await? {
        for item in page {
            let id = item["id"].as_str().expect("item id").to_owned();
            assert!(seen.insert(id.clone()), "duplicate item {id}");
            ids.push(id);
        }
    }
    Ok(ids)
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort_unstable();
    ids
}

fn account_alert_ids(account: &Account) -> Vec<String> {
    sorted(account.alerts().iter().map(|a| a.id.to_string()).collect())
}

#[tokio::test]
async fn lists_every_kind_by_following_next() {
    let account = Account::generate(&spec(250));
    let expected_alerts = account_alert_ids(&account);
    let expected_incidents = sorted(account.incidents.iter().map(|i| i.id.to_string()).collect());
    let expected_users = sorted(account.users.iter().map(|u| u.id.to_string()).collect());
    let sim = sim(account, FaultConfig::none()).await;
    let client = client(&sim, options());

    let mut pager = client.list_alerts(ListParams::none());
    let mut ids = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        assert!(page.len() <= 100);
        ids.extend(page.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(pager.pages(), 3);
    assert_eq!(sorted(ids), expected_alerts);
    assert_eq!(sim.counter("alerts.list"), 3);

    let incidents = collect_ids(&mut client.list_incidents(ListParams::none()))
        .await
        .unwrap();
    assert_eq!(sorted(incidents), expected_incidents);
    let users = collect_ids(&mut client.list_users()).await.unwrap();
    assert_eq!(sorted(users), expected_users);
    assert_eq!(
        collect_ids(&mut client.list_teams()).await.unwrap().len(),
        4
    );
    assert_eq!(
        collect_ids(&mut client.list_services(ListParams::none()))
            .await
            .unwrap()
            .len(),
        8
    );
    assert!(client.counters().requests >= 7);
    assert_eq!(client.counters().retries, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn reads_past_the_offset_cap_in_created_at_windows() {
    let account = Account::generate(&spec(25_000));
    let expected = account_alert_ids(&account);
    let sim = sim(account, FaultConfig::none()).await;
    let client = client(&sim, options());

    let mut pager = client.list_alerts(ListParams::none());
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        for alert in page {
            let id = alert["id"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "alert {id} returned twice");
            ids.push(id);
        }
    }
    assert!(
        pager.windows() >= 1,
        "expected at least one createdAt window"
    );
    assert_eq!(ids.len(), 25_000);
    assert_eq!(sorted(ids), expected);
    sim.shutdown().await;
}

#[tokio::test]
async fn window_boundaries_sharing_a_millisecond_give_no_duplicates_or_gaps() {
    let sim = sim(Account::empty(), FaultConfig::none()).await;
    // 40 alerts, three per millisecond, so every window boundary splits a group.
    let mut expected = Vec::new();
    for index in 0..40u64 {
        let millis = 1_700_000_000_000 + (index / 3) as i64;
        let created = format!(
            "2023-11-14T22:13:{:02}.{:03}Z",
            20 + millis / 1000 - 1_700_000_000,
            millis % 1000
        );
        let id = format!("00000000-0000-0000-0000-{index:012}-{millis}");
        sim.upsert_alert(json!({
            "id": id, "tinyId": index.to_string(), "alias": format!("alias-{index}"),
            "message": format!("alert {index}"), "status": "open", "acknowledged": false,
            "isSeen": false, "tags": [], "snoozed": false, "count": 1,
            "lastOccurredAt": created, "createdAt": created, "updatedAt": created,
            "source": "test", "owner": "", "priority": "P3", "teams": [], "responders": [],
            "ownerTeamId": ""
        }))
        .expect("insert alert");
        expected.push(id);
    }
    let client = client(
        &sim,
        OpsgenieOptions {
            page_size: 4,
            offset_cap: 10,
            ..options()
        },
    );
    let mut pager = client.list_alerts(ListParams::none());
    let ids = collect_ids(&mut pager).await.unwrap();
    assert!(pager.windows() >= 4, "windows: {}", pager.windows());
    assert_eq!(sorted(ids), sorted(expected));
    sim.shutdown().await;
}

#[tokio::test]
async fn api_query_params_filter_with_opsgenie_field_names() {
    let account = Account::generate(&spec(300));
    let expected: Vec<String> = sorted(
        account
            .alerts()
            .iter()
            .filter(|a| a.to_json(opsgenie_port_sim::generate::AlertView::List)["status"] == "open")
            .map(|a| a.id.to_string())
            .collect(),
    );
    let sim = sim(account, FaultConfig::none()).await;
    let client = client(&sim, options());
    let params = json!({"status": "open"});
    let params = ListParams::from_api_query_params(params.as_object().unwrap()).unwrap();
    let ids = collect_ids(&mut client.list_alerts(params)).await.unwrap();
    assert!(!expected.is_empty());
    assert_eq!(sorted(ids), expected);

    // Ocean's snake_case key renders as Opsgenie's `isSeen`, which the API accepts.
    let params = json!({"is_seen": false, "status": "open"});
    let params = ListParams::from_api_query_params(params.as_object().unwrap()).unwrap();
    assert!(collect_ids(&mut client.list_alerts(params)).await.is_ok());
    sim.shutdown().await;
}

#[tokio::test]
async fn converges_under_thirty_percent_faults() {
    let account = Account::generate(&spec(600));
    let expected = account_alert_ids(&account);
    let team_ids: Vec<String> = account.teams.iter().map(|t| t.id.to_string()).collect();
    let faults = FaultConfig {
        timeout_stall: Duration::from_secs(2),
        ..FaultConfig::all(0.3, 1234)
    };
    let sim = sim(account, faults).await;
    let client = client(
        &sim,
        OpsgenieOptions {
            timeout: Duration::from_millis(500),
            retry: RetryPolicy::fast(15),
            ..options()
        },
    );
    let ids = collect_ids(&mut client.list_alerts(ListParams::none()))
        .await
        .unwrap();
    assert_eq!(sorted(ids), expected);
    for team in &team_ids {
        let team = client.get_team(team).await.unwrap().expect("team exists");
        assert!(team.get("members").is_some());
    }
    let counters = client.counters();
    assert!(counters.retries > 0, "faults should have caused retries");
    assert!(sim.faults().injected() > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn throttling_waits_for_the_rate_limit_window() {
    let account = Account::generate(&spec(500));
    let config = OpsgenieSimConfig {
        rate_limits: RateLimits::uniform(DomainLimit {
            per_minute: 1_000_000,
            per_second: 2,
        }),
        ..OpsgenieSimConfig::default()
    };
    let sim = opsgenie::start(account, config).await.unwrap();
    let client = client(
        &sim,
        OpsgenieOptions {
            retry: RetryPolicy {
                max_rate_limit_wait: Duration::from_secs(1),
                ..RetryPolicy::fast(6)
            },
            ..options()
        },
    );
    let ids = collect_ids(&mut client.list_alerts(ListParams::none()))
        .await
        .unwrap();
    assert_eq!(ids.len(), 500);
    let counters = client.counters();
    assert!(counters.rate_limit_waits > 0, "{counters:?}");
    assert_eq!(counters.retries, counters.rate_limit_waits);
    sim.shutdown().await;
}

#[tokio::test]
async fn truncated_bodies_are_retried_then_reported() {
    let faults = FaultConfig {
        rate: 1.0,
        seed: 1,
        kinds: vec![FaultKind::TruncatedBody],
        timeout_stall: Duration::from_secs(1),
    };
    let sim = sim(Account::generate(&spec(10)), faults).await;
    let client = client(
        &sim,
        OpsgenieOptions {
            retry: RetryPolicy::fast(3),
            ..options()
        },
    );
    let error = client
        .list_alerts(ListParams::none())
        .next_page()
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("malformed JSON"), "{text}");
    assert!(text.contains("after 3 attempts"), "{text}");
    assert_eq!(sim.counter("alerts.list"), 3);

    // Faults off: the same client recovers.
    sim.faults().set(FaultConfig::none());
    assert_eq!(
        collect_ids(&mut client.list_alerts(ListParams::none()))
            .await
            .unwrap()
            .len(),
        10
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_keys_fail_fast_without_leaking_the_key() {
    let sim = sim(Account::generate(&spec(5)), FaultConfig::none()).await;
    let wrong = "wrong-key-5551234";
    let client = OpsgenieClient::new(&sim.base_url(), Secret::new(wrong), options()).unwrap();
    let error = client
        .list_alerts(ListParams::none())
        .next_page()
        .await
        .unwrap_err();
    assert!(error.is_auth());
    let text = error.to_string();
    assert!(text.contains("401") && text.contains("OCEAN__INTEGRATION__CONFIG__API_TOKEN"));
    assert!(!text.contains(wrong), "{text}");
    assert!(!text.contains('\n'));
    assert_eq!(sim.counter("alerts.list"), 1, "401 must not be retried");

    let forbidden = sim
        .forbidden_key()
        .expect("sim has a forbidden key")
        .to_owned();
    let client = OpsgenieClient::new(&sim.base_url(), Secret::new(&*forbidden), options()).unwrap();
    let error = client.list_users().next_page().await.unwrap_err();
    assert!(
        matches!(error, OpsgenieError::Auth { status: 403, .. }),
        "{error}"
    );
    assert!(!error.is_auth(), "a 403 concerns one endpoint, not the key");
    assert!(!error.to_string().contains(&forbidden));
    sim.shutdown().await;
}

#[tokio::test]
async fn unreachable_api_url_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = OpsgenieClient::new(
        &url,
        Secret::new("k"),
        OpsgenieOptions {
            retry: RetryPolicy::fast(2),
            ..options()
        },
    )
    .unwrap();
    let error = client.get_alert("x").await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("connection failed") && text.contains("after 2 attempts"),
        "{text}"
    );
}

#[tokio::test]
async fn client_from_configuration() {
    let sim = sim(Account::generate(&spec(5)), FaultConfig::none()).await;
    let vars: HashMap<String, String> = [
        ("OCEAN__PORT__CLIENT_ID", "id".to_owned()),
        ("OCEAN__PORT__CLIENT_SECRET", "secret".to_owned()),
        (
            "OCEAN__INTEGRATION__CONFIG",
            json!({"apiToken": sim.api_key(), "apiUrl": format!("{}/", sim.base_url())})
                .to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = Config::from_env_map(vars).unwrap();
    let client = OpsgenieClient::from_config(&config).unwrap();
    assert_eq!(
        collect_ids(&mut client.list_teams()).await.unwrap().len(),
        4
    );
    sim.shutdown().await;
}

/// A one-route HTTP server answering each request with `answer(path and query)`, recording what
/// was asked.
async fn canned_server(
    answer: fn(&str, &str) -> Value,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (record, origin) = (asked.clone(), base.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head);
            let target = head.split(' ').nth(1).unwrap_or("").to_owned();
            record.lock().unwrap().push(target.clone());
            let body = answer(&origin, &target).to_string();
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    (base, asked)
}

/// The associated-alert-ids `offset` is a cursor the documentation does not define: the first
/// request sends none, later ones are `paging.next` verbatim; a link that repeats a page or
/// leaves the host is refused instead of looping or leaking the key.
#[tokio::test]
async fn associated_alert_ids_follow_next_links_only() {
    fn cursor(origin: &str, target: &str) -> Value {
        match target {
            "/v1/incidents/i-1/associated-alert-ids?limit=25" => json!({
                "data": ["a1", "a2"],
                "paging": {"next": format!(
                    "{origin}/v1/incidents/i-1/associated-alert-ids?offset=opaque-7&direction=next"
                )},
            }),
            "/v1/incidents/i-1/associated-alert-ids?offset=opaque-7&direction=next" => {
                json!({"data": ["a3"], "paging": {}})
            }
            _ => json!({"data": []}),
        }
    }
    let (base, asked) = canned_server(cursor).await;
    let client = OpsgenieClient::new(&base, Secret::new("k"), options()).unwrap();
    let ids = client.incident_associated_alert_ids("i-1").await.unwrap();
    assert_eq!(ids, ["a1", "a2", "a3"]);
    assert_eq!(
        *asked.lock().unwrap(),
        [
            "/v1/incidents/i-1/associated-alert-ids?limit=25",
            "/v1/incidents/i-1/associated-alert-ids?offset=opaque-7&direction=next",
        ]
    );

    fn looping(origin: &str, target: &str) -> Value {
        json!({"data": ["a1"], "paging": {"next": format!("{origin}{target}")}})
    }
    let (base, asked) = canned_server(looping).await;
    let client = OpsgenieClient::new(&base, Secret::new("k"), options()).unwrap();
    let error = client
        .incident_associated_alert_ids("i-1")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("repeats a page"), "{error}");
    assert_eq!(asked.lock().unwrap().len(), 1);

    fn elsewhere(_: &str, _: &str) -> Value {
        json!({"data": ["a1"], "paging": {"next": "http://203.0.113.9/v1/incidents/i-1/associated-alert-ids?offset=2"}})
    }
    let (base, asked) = canned_server(elsewhere).await;
    let client = OpsgenieClient::new(&base, Secret::new("k"), options()).unwrap();
    let error = client
        .incident_associated_alert_ids("i-1")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("another host"), "{error}");
    assert_eq!(asked.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn detail_calls() {
    let account = Account::generate(&spec(40));
    let alert_id = account.alerts().iter().next().unwrap().id.to_string();
    let team = account.teams[0].clone();
    let schedule_id = account.schedules[0].id.to_string();
    let incident_id = account.incidents[0].id.to_string();
    let sim_associated_before = account.incidents[0].associated_alert_ids.len();
    let sim = sim(account, FaultConfig::none()).await;
    let client = client(&sim, options());

    let alert = client.get_alert(&alert_id).await.unwrap().expect("alert");
    assert_eq!(alert["id"], Value::from(alert_id.clone()));
    assert_eq!(Some(alert), sim.alert_json(&alert_id));
    assert_eq!(client.get_alert("no-such-alert").await.unwrap(), None);

    let fetched = client.get_team(&team.id).await.unwrap().expect("team");
    let members = fetched["members"].as_array().expect("members");
    assert_eq!(members.len(), team.members.len());

    let on_calls = client
        .schedule_on_calls(&schedule_id)
        .await
        .unwrap()
        .unwrap();
    assert!(on_calls["onCallRecipients"].is_array(), "{on_calls}");

    // 30 associated alerts: more than one page of 25.
    let mut expected: Vec<String> = Vec::new();
    for index in 0..30 {
        let id = format!("assoc-{index:02}-1700000000000");
        let created = "2023-11-14T22:13:20Z";
        sim.upsert_alert(json!({
            "id": id, "tinyId": format!("9{index}"), "alias": format!("{incident_id}_{index}"),
            "message": "m", "status": "open", "acknowledged": false, "isSeen": false,
            "tags": [], "snoozed": false, "count": 1, "lastOccurredAt": created,
            "createdAt": created, "updatedAt": created, "source": "", "owner": "",
            "priority": "P3", "teams": [], "responders": [], "ownerTeamId": ""
        }))
        .unwrap();
        expected.push(id);
    }
    let listed = client
        .incident_associated_alert_ids(&incident_id)
        .await
        .unwrap();
    let ids: HashSet<String> = listed.iter().cloned().collect();
    assert_eq!(ids.len(), listed.len(), "no id twice");
    assert!(
        expected.iter().all(|id| ids.contains(id)),
        "missing associated alerts"
    );
    assert_eq!(
        ids.len(),
        expected.len() + sim_associated_before,
        "every associated id exactly once"
    );
    // Only `paging.next` links are followed: one request per page of 25, none past the end.
    let pages = (expected.len() + sim_associated_before).div_ceil(25) as u64;
    assert_eq!(sim.counter("incidents.associated-alert-ids"), pages);

    let with_rotations = collect_first_page(client.list_schedules(true)).await;
    assert!(with_rotations
        .iter()
        .any(|s| !s["rotations"].as_array().unwrap().is_empty()));
    let without = collect_first_page(client.list_schedules(false)).await;
    assert!(without
        .iter()
        .all(|s| s["rotations"].as_array().is_none_or(Vec::is_empty)));
    assert_eq!(Resource::for_kind("schedule"), Some(Resource::Schedules));
    sim.shutdown().await;
}

async fn collect_first_page(mut pager: Pager) -> Vec<Value> {
    pager.next_page().await.unwrap().unwrap_or_default()
}

/// A 404 is "absent" only when it is Opsgenie's answer: one from anything else in between (a
/// proxy, a wrong base URL) is an error, never "the alert is gone" — a webhook Delete acts on it.
#[tokio::test]
async fn a_404_that_is_not_opsgenies_is_not_absence() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let body = "<html>Not Found</html>";
            let answer = format!(
                "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    let client =
        OpsgenieClient::new(&format!("http://{addr}"), Secret::new("key"), options()).unwrap();
    let error = client
        .get_alert("some-alert")
        .await
        .expect_err("a proxy's 404 is not Opsgenie saying the alert is gone");
    assert!(error.to_string().contains("404"), "{error}");
}
