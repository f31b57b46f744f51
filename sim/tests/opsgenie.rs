//! The Opsgenie simulator over real HTTP: paging, limits, search, auth, rate limits, faults,
//! endpoint shapes and account mutation.

use std::collections::HashSet;
use std::time::Duration;

use opsgenie_port_sim::faults::{FaultConfig, FaultKind};
use opsgenie_port_sim::generate::{Account, GenSpec, SAMPLE_ALERT_ID};
use opsgenie_port_sim::opsgenie::{
    start, webhook_payload, DomainLimit, OpsgenieSim, OpsgenieSimConfig, RateLimits,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OUTBOUND_SERVICE: &str = "daa0d66f-ad35-4396-b30d-70f0314c697a";
const SAMPLE_TEAM: &str = "63374eee-0b03-42d4-bb8c-50d1fa64827c";
const SAMPLE_SCHEDULE: &str = "d55e148e-d320-4766-9dcf-4fc2ce9daef1";
const MY_INCIDENT: &str = "4a0c5e6d-b239-4cd9-a7e8-a5f880e99473";

fn spec(seed: u64, alerts: usize) -> GenSpec {
    GenSpec {
        seed,
        alerts,
        incidents: 40,
        services: 12,
        teams: 5,
        users: 30,
        schedules: 6,
    }
}

async fn sim(account: Account) -> OpsgenieSim {
    start(account, OpsgenieSimConfig::default())
        .await
        .expect("bind")
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

/// GET an absolute URL with the simulator's key.
async fn get_url(sim: &OpsgenieSim, url: &str) -> Reply {
    get_with_key(url, Some(sim.api_key())).await
}

async fn get(sim: &OpsgenieSim, path: &str) -> Reply {
    get_url(sim, &format!("{}{path}", sim.base_url())).await
}

async fn get_with_key(url: &str, key: Option<&str>) -> Reply {
    let mut request = reqwest::Client::new().get(url);
    if let Some(key) = key {
        request = request.header("Authorization", format!("GenieKey {key}"));
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.expect("JSON body");
    Reply {
        status,
        headers,
        body,
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Follows `paging.next` verbatim from `first_path` and returns every page's items.
async fn walk(sim: &OpsgenieSim, first_path: &str) -> (Vec<Value>, usize) {
    let mut url = format!("{}{first_path}", sim.base_url());
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let reply = get_url(sim, &url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}: {}", reply.body);
        pages += 1;
        items.extend(reply.body["data"].as_array().expect("data").iter().cloned());
        match reply.body["paging"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return (items, pages),
        }
    }
}

#[tokio::test]
async fn paging_follows_absolute_next_without_gaps_or_duplicates() {
    let account = Account::generate(&spec(1, 250));
    let open: usize = account
        .alerts()
        .iter()
        .filter(|a| &*a.status == "open")
        .count();
    let sim = sim(account).await;

    let first = get(&sim, "/v2/alerts?limit=100&query=status%3Aopen").await;
    let next = first.body["paging"]["next"]
        .as_str()
        .expect("next on first page");
    assert!(
        next.starts_with(&format!("{}/v2/alerts?", sim.base_url())),
        "{next}"
    );
    assert!(next.contains("query=status%3Aopen"), "{next}");
    assert!(
        next.contains("offset=100") && next.contains("limit=100"),
        "{next}"
    );
    assert!(first.body["paging"]["first"]
        .as_str()
        .unwrap()
        .contains("offset=0"));

    let (items, pages) = walk(&sim, "/v2/alerts?limit=100&query=status%3Aopen").await;
    assert_eq!(items.len(), open);
    assert_eq!(pages, open.div_ceil(100));
    let unique: HashSet<&str> = items.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(unique.len(), open);
    assert!(items.iter().all(|a| a["status"] == "open"));
    // Default order: newest first.
    let created: Vec<&str> = items
        .iter()
        .map(|a| a["createdAt"].as_str().unwrap())
        .collect();
    let millis: Vec<i64> = items
        .iter()
        .map(|a| {
            a["id"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(millis.windows(2).all(|w| w[0] >= w[1]), "{created:?}");

    let (asc, _) = walk(&sim, "/v2/alerts?limit=37&sort=createdAt&order=asc").await;
    assert_eq!(asc.len(), 250);
    let asc_millis: Vec<i64> = asc
        .iter()
        .map(|a| {
            a["id"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(asc_millis.windows(2).all(|w| w[0] <= w[1]));

    // Another sort key still pages without overlap.
    let (by_tiny, _) = walk(&sim, "/v2/alerts?limit=30&sort=tinyId&order=desc").await;
    let tiny: Vec<u64> = by_tiny
        .iter()
        .map(|a| a["tinyId"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(tiny, (1..=250).rev().collect::<Vec<u64>>());
}

#[tokio::test]
async fn limits_and_the_20000_cap_are_422() {
    let sim = sim(Account::generate(&spec(2, 120))).await;
    for path in [
        "/v2/alerts?offset=19950&limit=100",
        "/v2/alerts?limit=101",
        "/v2/alerts?limit=0",
        "/v2/alerts?offset=-1",
        "/v2/alerts?order=sideways",
        "/v2/alerts?sort=colour",
        "/v1/incidents?offset=19901&limit=100",
        "/v1/services?offset=20000&limit=1",
        "/v1/incidents/x/associated-alert-ids?limit=26",
    ] {
        let reply = get(&sim, path).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(
            reply.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}"
        );
        assert_eq!(
            reply.headers["x-request-id"].to_str().unwrap(),
            reply.body["requestId"].as_str().unwrap()
        );
    }
    let edge = get(&sim, "/v2/alerts?offset=19900&limit=100").await;
    assert_eq!(edge.status, StatusCode::OK);
    assert_eq!(edge.body["data"], json!([]));
    assert!(edge.body["paging"].get("next").is_none());

    // The last page has no `next`; `last` points at it.
    let last = get(&sim, "/v2/alerts?offset=100&limit=50").await;
    assert_eq!(ids(&last.body).len(), 20);
    assert!(last.body["paging"].get("next").is_none());
    assert!(last.body["paging"]["last"]
        .as_str()
        .unwrap()
        .contains("offset=100"));
}

/// The documented constraints of `GET /v1/incidents/{id}/associated-alert-ids`: `offset` at least
/// 1, `limit` 1..=25, `direction` next|prev, `order` desc|asc, `identifierType` id|tiny.
#[tokio::test]
async fn associated_alert_ids_enforce_the_documented_parameters() {
    let sim = sim(Account::seed_sample()).await;
    let path = format!("/v1/incidents/{MY_INCIDENT}/associated-alert-ids");
    for query in [
        "offset=0",
        "offset=-1",
        "offset=x",
        "offset=",
        "limit=0",
        "limit=26",
        "limit=x",
        "direction=sideways",
        "order=up",
        "identifierType=name",
    ] {
        let reply = get(&sim, &format!("{path}?{query}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    for query in [
        "",
        "offset=1",
        "limit=1",
        "limit=25",
        "direction=prev",
        "order=asc",
        "identifierType=id",
    ] {
        let reply = get(&sim, &format!("{path}?{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    }
    let by_tiny = get(
        &sim,
        "/v1/incidents/2/associated-alert-ids?identifierType=tiny",
    )
    .await;
    assert_eq!(by_tiny.body["data"], json!([SAMPLE_ALERT_ID]));
}

/// 60 associated ids: `paging.next` walks them newest first in pages of 25 and is absent on the
/// last page; `paging.prev` walks back.
#[tokio::test]
async fn associated_alert_ids_page_through_next_and_prev_links() {
    let sim = sim(Account::seed_sample()).await;
    let ids: Vec<String> = (0..60).map(|n| format!("assoc-{n:02}")).collect();
    sim.with_account(|account| {
        let incident = account
            .incidents
            .iter_mut()
            .find(|i| &*i.id == MY_INCIDENT)
            .unwrap();
        incident.associated_alert_ids = ids.iter().map(|id| id.as_str().into()).collect();
    });
    let path = format!("/v1/incidents/{MY_INCIDENT}/associated-alert-ids");
    let (items, pages) = walk(&sim, &format!("{path}?limit=25")).await;
    let newest_first: Vec<Value> = ids.iter().rev().map(|id| json!(id)).collect();
    assert_eq!(items, newest_first);
    assert_eq!(pages, 3);
    let (oldest_first, _) = walk(&sim, &format!("{path}?limit=25&order=asc")).await;
    assert_eq!(
        oldest_first,
        ids.iter().map(|id| json!(id)).collect::<Vec<_>>()
    );

    let first = get(&sim, &format!("{path}?limit=25")).await.body;
    assert!(first["paging"].get("prev").is_none());
    let next = first["paging"]["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}{path}?", sim.base_url())),
        "{next}"
    );
    let second = get_url(&sim, next).await.body;
    assert_eq!(second["data"][0], json!("assoc-34"));
    let back = get_url(&sim, second["paging"]["prev"].as_str().unwrap())
        .await
        .body;
    assert_eq!(back["data"], first["data"]);
    // Past the end: an empty page without links.
    let beyond = get(&sim, &format!("{path}?offset=61")).await.body;
    assert_eq!(beyond["data"], json!([]));
    assert!(beyond["paging"].get("next").is_none());
}

#[tokio::test]
async fn next_is_emitted_up_to_the_cap_and_following_past_it_is_refused() {
    let mut account = Account::empty();
    let generated = Account::generate(&GenSpec {
        seed: 3,
        alerts: 20_050,
        ..GenSpec::default()
    });
    for alert in generated.alerts().iter() {
        account.alerts_mut().upsert(alert.clone());
    }
    let sim = sim(account).await;
    let page = get(&sim, "/v2/alerts?offset=19900&limit=100").await;
    assert_eq!(ids(&page.body).len(), 100);
    let next = page.body["paging"]["next"]
        .as_str()
        .expect("more alerts exist");
    assert_eq!(
        get_url(&sim, next).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(page.body["paging"]["last"]
        .as_str()
        .unwrap()
        .contains("offset=19900"));
}

#[tokio::test]
async fn search_queries_filter_like_opsgenie() {
    let account = Account::generate(&spec(4, 400));
    let count = |pred: &dyn Fn(&opsgenie_port_sim::generate::Alert) -> bool| {
        account.alerts().iter().filter(|a| pred(a)).count()
    };
    let open_p1 = count(&|a| &*a.status == "open" && &*a.priority == "P1");
    let seen = count(&|a| a.is_seen);
    let cutoff = 1_710_000_000_000_i64;
    let after = count(&|a| a.created_at > cutoff);
    let at_or_before = count(&|a| a.created_at <= cutoff);
    let team = account.teams[0].clone();
    let in_team = count(&|a| a.teams.contains(&team.id));
    let tagged = count(&|a| a.tags.iter().any(|t| &**t == "auth"));
    let acked_by_nobody_closed = count(&|a| &*a.status == "closed" && !a.acknowledged);
    assert!(open_p1 > 0 && in_team > 0 && tagged > 0 && after > 0);
    let sim = sim(account).await;

    let total = |q: &'static str| {
        let sim = &sim;
        async move {
            let path = format!("/v2/alerts?limit=100&query={q}");
            walk(sim, &path).await.0.len()
        }
    };
    assert_eq!(total("status%3Aopen%20AND%20priority%3AP1").await, open_p1);
    assert_eq!(total("isSeen%3Atrue").await, seen);
    assert_eq!(total("createdAt%3E1710000000000").await, after);
    assert_eq!(total("createdAt%3C%3D1710000000000").await, at_or_before);
    assert_eq!(total("tag%3Aauth").await, tagged);
    assert_eq!(
        total("status%3Aclosed%20AND%20acknowledged%3Afalse").await,
        acked_by_nobody_closed
    );
    let by_team = walk(
        &sim,
        &format!(
            "/v2/alerts?limit=100&query=teams%3A%22{}%22",
            team.name.replace(' ', "%20")
        ),
    )
    .await;
    assert_eq!(by_team.0.len(), in_team);

    for bad in [
        "is_seen%3Atrue",
        "created_at%3E1",
        "isSeen%3Amaybe",
        "status%3Aopen%20AND%20(priority%3AP1",
    ] {
        let reply = get(&sim, &format!("/v2/alerts?query={bad}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let incidents = get(&sim, "/v1/incidents?query=status%3Aopen&limit=100").await;
    assert!(!ids(&incidents.body).is_empty());
    assert!(incidents.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "open"));
    let bad_incident_field = get(&sim, "/v1/incidents?query=acknowledged%3Atrue").await;
    assert_eq!(bad_incident_field.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn authentication_failures_use_opsgenie_bodies() {
    let sim = sim(Account::seed_sample()).await;
    let url = format!("{}/v2/alerts", sim.base_url());
    let missing = get_with_key(&url, None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body["message"], "Could not authenticate");
    assert!(missing.body["requestId"].is_string() && missing.body["took"].is_number());
    let wrong = get_with_key(&url, Some("not-the-key")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let forbidden = get_with_key(&url, sim.forbidden_key()).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(forbidden.body["code"], 40301);
    let ok = get_with_key(&url, Some(sim.api_key())).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.headers["x-ratelimit-state"], "OK");
    assert_eq!(
        ok.headers["x-request-id"].to_str().unwrap(),
        ok.body["requestId"]
    );
}

#[tokio::test]
async fn rate_limits_are_per_domain_with_throttle_headers() {
    let config = OpsgenieSimConfig {
        rate_limits: RateLimits {
            // Two searches per minute: the refill (one per 30 s) cannot race the test.
            search: DomainLimit {
                per_minute: 2,
                per_second: 100,
            },
            ..RateLimits::default()
        },
        ..OpsgenieSimConfig::default()
    };
    let sim = start(Account::seed_sample(), config).await.unwrap();
    assert_eq!(get(&sim, "/v2/alerts").await.status, StatusCode::OK);
    assert_eq!(get(&sim, "/v2/users").await.status, StatusCode::OK);
    let throttled = get(&sim, "/v2/alerts").await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.headers["x-ratelimit-state"], "THROTTLED");
    assert_eq!(throttled.headers["x-ratelimit-reason"], "search");
    assert_eq!(throttled.headers["x-ratelimit-period-in-sec"], "60");
    assert!(throttled.body["message"]
        .as_str()
        .unwrap()
        .starts_with("You are making too many requests!"));
    // Other domains are unaffected.
    let teams = get(&sim, "/v2/teams").await;
    assert_eq!(teams.status, StatusCode::OK);
    assert_eq!(
        get(&sim, &format!("/v2/alerts/{SAMPLE_ALERT_ID}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(sim.counter("alerts.list"), 2);
    let limits = get(&sim, "/v2/request-limits/").await.body;
    let search = &limits["data"]["rateLimits"][0];
    assert_eq!(search["domain"], "search");
    assert_eq!(
        search["limits"][0],
        json!({ "limit": 2, "periodInSeconds": 60 })
    );
}

/// What one request ended as, for comparing fault sequences.
async fn outcome(client: &reqwest::Client, sim: &OpsgenieSim) -> String {
    let response = client
        .get(format!("{}/v2/teams", sim.base_url()))
        .header("Authorization", format!("GenieKey {}", sim.api_key()))
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(_) => return "reset".into(),
    };
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(bytes) if serde_json::from_slice::<Value>(&bytes).is_ok() => status.to_string(),
        Ok(_) => format!("{status}-truncated"),
        Err(_) => format!("{status}-body-error"),
    }
}

#[tokio::test]
async fn faults_are_deterministic_and_the_server_survives_them() {
    let faults = FaultConfig {
        timeout_stall: Duration::from_millis(20),
        ..FaultConfig::all(0.5, 9)
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let config = OpsgenieSimConfig {
            faults: faults.clone(),
            ..OpsgenieSimConfig::default()
        };
        let sim = start(Account::seed_sample(), config).await.unwrap();
        let client = reqwest::Client::new();
        let mut seen = Vec::new();
        for _ in 0..40 {
            seen.push(outcome(&client, &sim).await);
        }
        assert_eq!(sim.faults().requests(), 40);
        runs.push(seen);
        sim.shutdown().await;
    }
    assert_eq!(runs[0], runs[1]);
    let run = &runs[0];
    for expected in ["200", "429", "reset", "200-truncated"] {
        assert!(
            run.iter().any(|o| o == expected),
            "{expected} missing in {run:?}"
        );
    }
    assert!(run.iter().any(|o| o.starts_with('5')), "{run:?}");

    // Only the configured kinds are drawn.
    let config = OpsgenieSimConfig {
        faults: FaultConfig {
            kinds: vec![FaultKind::ServerError],
            ..FaultConfig::all(1.0, 1)
        },
        ..OpsgenieSimConfig::default()
    };
    let sim = start(Account::seed_sample(), config).await.unwrap();
    let client = reqwest::Client::new();
    for _ in 0..5 {
        let o = outcome(&client, &sim).await;
        assert!(["500", "502", "503"].contains(&o.as_str()), "{o}");
    }
    sim.faults().set(FaultConfig::none());
    assert_eq!(outcome(&client, &sim).await, "200");
}

#[tokio::test]
async fn sample_account_endpoints_have_opsgenie_shapes() {
    let sim = sim(Account::seed_sample()).await;

    let team = get(&sim, &format!("/v2/teams/{SAMPLE_TEAM}")).await.body;
    let members: Vec<&str> = team["data"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["testuser@gmail.com", "devtester@gmail.com"]);
    let by_name = get(&sim, "/v2/teams/Data%20Science%20Team?identifierType=name").await;
    assert_eq!(by_name.body["data"]["id"], SAMPLE_TEAM);
    let teams = get(&sim, "/v2/teams?limit=100").await.body;
    assert!(teams["data"][0].get("members").is_none());
    assert!(teams.get("paging").is_none());

    let plain = get(&sim, "/v2/schedules?limit=100").await.body;
    assert_eq!(plain["data"][0]["rotations"], json!([]));
    assert_eq!(plain["data"][0]["ownerTeam"]["id"], SAMPLE_TEAM);
    let expanded = get(&sim, "/v2/schedules?limit=100&expand=rotation")
        .await
        .body;
    let rotation = &expanded["data"][0]["rotations"][0];
    assert_eq!(
        rotation["participants"][0]["username"],
        "testuser@gmail.com"
    );
    assert_eq!(rotation["startDate"], "2023-09-18T08:00:00Z");

    let flat = get(
        &sim,
        &format!("/v2/schedules/{SAMPLE_SCHEDULE}/on-calls?flat=true"),
    )
    .await
    .body;
    assert_eq!(
        flat["data"]["onCallRecipients"],
        json!(["testuser@gmail.com"])
    );
    assert_eq!(
        flat["data"]["_parent"]["name"],
        "Data Science Team_schedule"
    );
    let nested = get(&sim, &format!("/v2/schedules/{SAMPLE_SCHEDULE}/on-calls"))
        .await
        .body;
    assert_eq!(nested["data"]["onCallParticipants"][0]["type"], "user");

    let associated = get(
        &sim,
        &format!("/v1/incidents/{MY_INCIDENT}/associated-alert-ids"),
    )
    .await
    .body;
    assert_eq!(associated["data"], json!([SAMPLE_ALERT_ID]));
    let by_tiny = get(&sim, "/v1/incidents/2?identifierType=tiny").await.body;
    assert_eq!(by_tiny["data"]["id"], MY_INCIDENT);
    assert!(by_tiny["data"].get("impactEndDate").is_none());

    let services = get(&sim, "/v1/services?limit=100").await.body;
    assert_eq!(services["data"].as_array().unwrap().len(), 2);
    let service = get(&sim, &format!("/v1/services/{OUTBOUND_SERVICE}"))
        .await
        .body;
    assert_eq!(
        service["data"]["links"]["web"],
        format!("https://mytestaccount.app.opsgenie.com/service/{OUTBOUND_SERVICE}/status")
    );

    let list = get(&sim, "/v2/alerts").await.body;
    assert!(list["data"][0].get("description").is_none());
    let alert = get(&sim, &format!("/v2/alerts/{SAMPLE_ALERT_ID}"))
        .await
        .body;
    assert_eq!(alert["data"]["createdAt"], "2023-09-16T12:23:22.321Z");
    assert_eq!(alert["data"]["integration"]["name"], "Default API");
    assert_eq!(
        alert["data"]["report"],
        json!({ "ackTime": 4852912663_i64 })
    );
    assert!(alert["data"].get("description").is_some());
    let tiny = get(&sim, "/v2/alerts/2?identifierType=tiny").await;
    assert_eq!(tiny.body["data"]["id"], SAMPLE_ALERT_ID);
    let alias = "355f1681-f6e3-4355-a927-897cd8edaf8f_4d37bc8a-030b-4e8f-a230-aa429947253c";
    let by_alias = get(&sim, &format!("/v2/alerts/{alias}?identifierType=alias")).await;
    assert_eq!(by_alias.body["data"]["id"], SAMPLE_ALERT_ID);

    let users = get(&sim, "/v2/users").await.body;
    assert_eq!(users["totalCount"], 2);
    assert_eq!(users["data"][1]["username"], "testuser@gmail.com");

    for missing in [
        "/v2/alerts/nope",
        "/v1/incidents/nope",
        "/v2/teams/nope",
        "/v1/services/nope",
        "/v2/nothing",
    ] {
        assert_eq!(
            get(&sim, missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    let counters = sim.counters();
    assert_eq!(counters["alerts.get"], 4);
    assert_eq!(counters["teams.get"], 3);
    assert_eq!(counters["schedules.on-calls"], 2);
    assert_eq!(counters["incidents.associated-alert-ids"], 1);
    sim.reset_counters();
    assert!(sim.counters().is_empty());
}

#[tokio::test]
async fn strict_mode_requires_an_incident_query() {
    let config = OpsgenieSimConfig {
        strict_incident_query: true,
        ..OpsgenieSimConfig::default()
    };
    let sim = start(Account::seed_sample(), config).await.unwrap();
    assert_eq!(
        get(&sim, "/v1/incidents").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let open = get(&sim, "/v1/incidents?query=status%3Aopen").await;
    assert_eq!(ids(&open.body).len(), 2);
    // Newest first, with `prev` absent on the first page.
    assert_eq!(open.body["data"][0]["tinyId"], "3");
    assert!(open.body["paging"].get("prev").is_none());
}

#[tokio::test]
async fn account_mutations_show_in_responses() {
    let sim = sim(Account::seed_sample()).await;
    let mut alert = sim.alert_json(SAMPLE_ALERT_ID).unwrap();
    alert["id"] = json!("new-alert-1700000000000");
    alert["tinyId"] = json!("9");
    alert["alias"] = json!(format!("{MY_INCIDENT}_extra"));
    alert["createdAt"] = json!("2023-11-14T22:13:20Z");
    alert["status"] = json!("closed");
    alert["customField"] = json!({"kept": true});
    sim.upsert_alert(alert).unwrap();
    let fetched = get(&sim, "/v2/alerts/new-alert-1700000000000").await.body;
    assert_eq!(fetched["data"]["status"], "closed");
    assert_eq!(fetched["data"]["customField"], json!({"kept": true}));
    let newest = get(&sim, "/v2/alerts?limit=1").await.body;
    assert_eq!(ids(&newest)[0], "new-alert-1700000000000");
    let associated = get(
        &sim,
        &format!("/v1/incidents/{MY_INCIDENT}/associated-alert-ids"),
    )
    .await
    .body;
    assert_eq!(associated["data"].as_array().unwrap().len(), 2);

    assert!(sim.delete_alert("new-alert-1700000000000"));
    assert!(!sim.delete_alert("new-alert-1700000000000"));
    assert_eq!(
        get(&sim, "/v2/alerts/new-alert-1700000000000").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(sim.remove_service(OUTBOUND_SERVICE));
    let incident = get(&sim, &format!("/v1/incidents/{MY_INCIDENT}"))
        .await
        .body;
    assert_eq!(
        incident["data"]["impactedServices"],
        json!(["59591948-d418-4bb9-af16-170d6b232b7d"])
    );
    sim.with_account(|a| a.teams.clear());
    assert_eq!(get(&sim, "/v2/teams").await.body["data"], json!([]));
    assert!(sim.upsert_alert(json!({"message": "no id"})).is_err());
}

#[tokio::test]
async fn webhook_payloads_use_the_outgoing_shape() {
    let account = Account::seed_sample();
    let alert = account.alerts().get(SAMPLE_ALERT_ID).unwrap();
    let create = webhook_payload("Create", alert);
    assert_eq!(create["action"], "Create");
    assert_eq!(create["alert"]["alertId"], SAMPLE_ALERT_ID);
    assert_eq!(create["alert"]["createdAt"], 1_694_867_002_321_i64);
    let updated_ns = create["alert"]["updatedAt"].as_i64().unwrap();
    assert_eq!(updated_ns / 1_000_000, alert.updated_at);
    assert_eq!(create["integrationType"], "Webhook");
    assert_eq!(create, webhook_payload("Create", alert));
    assert!(create["alert"].get("description").is_some());
    let close = webhook_payload("Close", alert);
    assert!(close["alert"].get("description").is_none());
    let escalate = webhook_payload("Escalate", alert);
    assert_eq!(escalate["alert"], json!({ "alertId": SAMPLE_ALERT_ID }));
}
