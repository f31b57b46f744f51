//! Shared by the `serve` test modules: simulators, configuration, a minimal HTTP client (so the tests
//! need no HTTP crate of their own) and fake resyncs.

use opsgenie_port::generated::compiled;
use opsgenie_port::runtime::config::Config;
use opsgenie_port::runtime::http::RetryPolicy;
use opsgenie_port::runtime::opsgenie::{OpsgenieClient, OpsgenieOptions};
use opsgenie_port::runtime::secret::Secret;
use opsgenie_port::runtime::serve::apply::BoxFuture;
use opsgenie_port::runtime::serve::limits::Limits;
use opsgenie_port::runtime::serve::listener::{Cancel, ResyncOutcome, ResyncRun, Resyncer};
use opsgenie_port::runtime::serve::{self, ServeParts, Service};
use opsgenie_port_sim::generate::Account;
use opsgenie_port_sim::opsgenie::{self, OpsgenieSim, OpsgenieSimConfig};
use opsgenie_port_sim::port::{self, PortSim, PortSimConfig};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const IDENTIFIER: &str = "serve-test-integration";

pub struct Sims {
    pub opsgenie: OpsgenieSim,
    pub port: PortSim,
}

pub async fn sims(account: Account) -> Sims {
    Sims {
        opsgenie: opsgenie::start(account, OpsgenieSimConfig::default())
            .await
            .expect("opsgenie sim"),
        port: port::start(PortSimConfig::default())
            .await
            .expect("port sim"),
    }
}

/// The environment `serve` reads, pointing at the simulators, plus `extra` overrides.
pub fn env(sims: &Sims, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = [
        ("OCEAN__PORT__CLIENT_ID", sims.port.client_id().to_owned()),
        (
            "OCEAN__PORT__CLIENT_SECRET",
            sims.port.client_secret().to_owned(),
        ),
        ("OCEAN__PORT__BASE_URL", sims.port.base_url()),
        (
            "OCEAN__INTEGRATION__CONFIG__API_TOKEN",
            sims.opsgenie.api_key().to_owned(),
        ),
        (
            "OCEAN__INTEGRATION__CONFIG__API_URL",
            sims.opsgenie.base_url(),
        ),
        ("OCEAN__INTEGRATION__IDENTIFIER", IDENTIFIER.to_owned()),
        ("OCEAN__EVENT_LISTENER__TYPE", "WEBHOOKS_ONLY".to_owned()),
        ("APPLICATION__PORT", "0".to_owned()),
        ("APPLICATION__LOG_LEVEL", "WARNING".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (key, value) in extra {
        vars.insert((*key).to_owned(), (*value).to_owned());
    }
    vars
}

pub fn config(sims: &Sims, extra: &[(&str, &str)]) -> Config {
    Config::from_env_map(env(sims, extra)).expect("config")
}

/// The production wiring (engine enrichment for webhooks) with `resyncer` for resyncs.
pub fn parts(config: Config, resyncer: Arc<dyn Resyncer>) -> ServeParts {
    let mut parts = ServeParts::with_engine(config, compiled(), "0.1.0-test").expect("parts");
    parts.resyncer = resyncer;
    parts.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    parts
}

/// The production wiring, engine resyncs included.
pub fn engine_parts(config: Config) -> ServeParts {
    let mut parts = ServeParts::with_engine(config, compiled(), "0.1.0-test").expect("parts");
    parts.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    parts
}

pub async fn start(sims: &Sims, extra: &[(&str, &str)], resyncer: Arc<dyn Resyncer>) -> Service {
    serve::start(parts(config(sims, extra), resyncer))
        .await
        .expect("serve starts")
}

/// [`start`] (webhooks only) with `limits`, and webhook events reading Opsgenie through a
/// client that retries twice within milliseconds and times out after 500 ms: tests of an
/// Opsgenie that cannot answer then see the queue's own retries, not production backoff.
pub async fn start_limited(sims: &Sims, limits: Limits) -> Service {
    let mut parts = parts(config(sims, &[]), Arc::new(CountingResync::default()));
    parts.limits = limits;
    let options = OpsgenieOptions {
        timeout: Duration::from_millis(500),
        retry: RetryPolicy::fast(2),
        ..OpsgenieOptions::default()
    };
    parts.opsgenie = Some(
        OpsgenieClient::new(
            &sims.opsgenie.base_url(),
            Secret::new(sims.opsgenie.api_key()),
            options,
        )
        .expect("opsgenie client"),
    );
    serve::start(parts).await.expect("serve starts")
}

/// Queue retries within milliseconds, everything else as in production.
pub fn quick_retries() -> Limits {
    Limits {
        retry_base: Duration::from_millis(10),
        retry_max: Duration::from_millis(50),
        ..Limits::default()
    }
}

/// The value of one series in the `/metrics` text (0 when absent), e.g.
/// `metric(&text, "opsgenie_port_webhook_delete_checks_total{result=\"gone\"}")`.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

/// A resync that counts its runs and completes at once.
#[derive(Default)]
pub struct CountingResync {
    pub runs: AtomicUsize,
}

impl CountingResync {
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

impl Resyncer for CountingResync {
    fn resync(&self, _cancel: Cancel) -> BoxFuture<'static, ResyncRun> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { ResyncOutcome::Completed.into() })
    }
}

/// A resync that runs until cancelled.
#[derive(Default)]
pub struct EndlessResync {
    pub started: AtomicUsize,
}

impl Resyncer for EndlessResync {
    fn resync(&self, cancel: Cancel) -> BoxFuture<'static, ResyncRun> {
        self.started.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            cancel.cancelled().await;
            ResyncOutcome::Aborted.into()
        })
    }
}

/// Polls `check` every 20 ms for up to `seconds`; true once it held.
pub async fn eventually(seconds: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if check() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer (413) before reading a large body and close; ignore write errors.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

pub async fn post_webhook(service: &Service, body: &Value, headers: &[(&str, &str)]) -> Response {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    http(
        service.addr(),
        "POST",
        &path(service, "/integration/webhook"),
        &all,
        body.to_string().as_bytes(),
    )
    .await
}

/// The path part of `service.url(suffix)`.
pub fn path(service: &Service, suffix: &str) -> String {
    let url = service.url(suffix);
    let without_scheme = url.trim_start_matches("http://");
    without_scheme
        .find('/')
        .map(|at| without_scheme[at..].to_owned())
        .unwrap_or_else(|| "/".to_owned())
}

/// An alert in the REST shape the Opsgenie simulator takes.
pub fn rest_alert(id: &str, message: &str) -> Value {
    json!({
        "id": id,
        "tinyId": "7",
        "alias": format!("alias-{id}"),
        "message": message,
        "status": "open",
        "acknowledged": false,
        "priority": "P2",
        "source": "test",
        "tags": ["one"],
        "count": 1,
        "owner": "",
        "description": "something broke",
    })
}

/// The webhook body Opsgenie would post for `action` on the simulator's current alert.
pub fn payload(sims: &Sims, action: &str, id: &str) -> Value {
    let alert = sims
        .opsgenie
        .with_account(|account| account.alerts().get(id).cloned())
        .expect("alert exists in the simulator");
    opsgenie::webhook_payload(action, &alert)
}
