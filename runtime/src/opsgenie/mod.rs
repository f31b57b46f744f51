//! Opsgenie REST client: `GenieKey` auth, paging by `paging.next`, past the 20,000-offset cap in
//! `createdAt` windows, fail-fast on bad keys, and the detail calls the enrichment fields need.

mod pager;
mod query;

pub use pager::{PageItem, Pager};
pub use query::{camel_case, ListParams, QueryParamError};

use crate::config::Config;
use crate::http::{HttpClient, HttpCounters, HttpError, HttpOptions, Reply, Request, RetryPolicy};
use crate::secret::{self, Secret};
use reqwest::Url;
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Opsgenie allows at most this many items per page.
pub const MAX_PAGE_SIZE: usize = 100;
/// `offset + limit` may not exceed this on alert/incident/service lists.
pub const OFFSET_CAP: usize = 20_000;
/// The associated-alert-ids endpoint pages by at most 25.
pub const ASSOCIATED_ALERTS_PAGE_SIZE: usize = 25;

/// The list endpoints the integration reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Alerts,
    Incidents,
    Services,
    Teams,
    Schedules,
    Users,
}

impl Resource {
    /// Path under the base URL, with Opsgenie's per-kind API version.
    pub fn path(self) -> &'static str {
        match self {
            Resource::Alerts => "v2/alerts",
            Resource::Incidents => "v1/incidents",
            Resource::Services => "v1/services",
            Resource::Teams => "v2/teams",
            Resource::Schedules => "v2/schedules",
            Resource::Users => "v2/users",
        }
    }

    /// The resource behind an Ocean kind name (`schedule-oncall` reads schedules).
    pub fn for_kind(kind: &str) -> Option<Resource> {
        Some(match kind {
            "alert" => Resource::Alerts,
            "incident" => Resource::Incidents,
            "service" => Resource::Services,
            "team" => Resource::Teams,
            "schedule" | "schedule-oncall" => Resource::Schedules,
            "user" => Resource::Users,
            _ => return None,
        })
    }

    /// Lists subject to the offset cap; they are read oldest first in `createdAt` windows.
    pub fn is_windowed(self) -> bool {
        matches!(
            self,
            Resource::Alerts | Resource::Incidents | Resource::Services
        )
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

#[derive(Clone, Debug)]
pub struct OpsgenieOptions {
    pub timeout: Duration,
    /// Requests in flight at once (Ocean: 5).
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// Items per page, at most [`MAX_PAGE_SIZE`].
    pub page_size: usize,
    /// The offset cap to window around; tests lower it to exercise windows cheaply.
    pub offset_cap: usize,
    pub user_agent: String,
}

impl Default for OpsgenieOptions {
    fn default() -> Self {
        OpsgenieOptions {
            timeout: Duration::from_secs(60),
            concurrency: 5,
            retry: RetryPolicy::opsgenie_default(),
            page_size: MAX_PAGE_SIZE,
            offset_cap: OFFSET_CAP,
            user_agent: concat!("opsgenie-port/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl OpsgenieOptions {
    /// Defaults with the configured `OCEAN__CLIENT_TIMEOUT`.
    pub fn from_config(config: &Config) -> Self {
        OpsgenieOptions {
            timeout: config.client_timeout,
            ..OpsgenieOptions::default()
        }
    }
}

/// Everything that can go wrong talking to Opsgenie; `Display` is one line without secrets.
#[derive(Clone, Debug)]
pub enum OpsgenieError {
    /// 401/403: the key is wrong, disabled or lacks rights. Never retried.
    Auth {
        status: u16,
        what: String,
        message: String,
    },
    /// Any other non-success status.
    Api {
        status: u16,
        what: String,
        message: String,
    },
    /// Retries exhausted or the request could not be sent.
    Http(HttpError),
    /// A success answer without the expected shape.
    Malformed {
        what: String,
        detail: String,
    },
    /// The list cannot be read completely past the offset cap.
    OffsetCap {
        resource: Resource,
        detail: String,
    },
    InvalidConfig(String),
}

impl fmt::Display for OpsgenieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpsgenieError::Auth {
                status: 401,
                what,
                message,
            } => write!(
                f,
                "Opsgenie rejected the API key (HTTP 401 on {what}: {message}); check \
                 OCEAN__INTEGRATION__CONFIG__API_TOKEN and OCEAN__INTEGRATION__CONFIG__API_URL"
            ),
            OpsgenieError::Auth {
                status,
                what,
                message,
            } => write!(
                f,
                "Opsgenie API key is not allowed to {what} (HTTP {status}: {message}); use a key \
                 from an API integration with read access"
            ),
            OpsgenieError::Api {
                status,
                what,
                message,
            } => write!(f, "Opsgenie {what} failed: HTTP {status}: {message}"),
            OpsgenieError::Http(error) => write!(f, "Opsgenie request failed: {error}"),
            OpsgenieError::Malformed { what, detail } => {
                write!(f, "Opsgenie {what} returned an unexpected body: {detail}")
            }
            OpsgenieError::OffsetCap { resource, detail } => {
                write!(f, "cannot list {resource} past the offset cap: {detail}")
            }
            OpsgenieError::InvalidConfig(detail) => write!(f, "Opsgenie client: {detail}"),
        }
    }
}

impl std::error::Error for OpsgenieError {}

impl OpsgenieError {
    /// True for 401: the key itself is refused, so every later call fails too and the run
    /// stops. A 403 concerns one endpoint (the Incident API needs a Standard or Enterprise plan;
    /// a key may lack one domain's rights): only its kind fails, as in Ocean.
    pub fn is_auth(&self) -> bool {
        matches!(self, OpsgenieError::Auth { status: 401, .. })
    }
}

/// A cheap-to-clone Opsgenie client; clones share connections, the concurrency limit and counters.
#[derive(Clone, Debug)]
pub struct OpsgenieClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: HttpClient,
    base_url: Url,
    authorization: Secret,
    page_size: usize,
    offset_cap: usize,
}

impl OpsgenieClient {
    /// `base_url` like `https://api.opsgenie.com` (a trailing `/` is ignored).
    pub fn new(
        base_url: &str,
        api_key: Secret,
        options: OpsgenieOptions,
    ) -> Result<Self, OpsgenieError> {
        secret::register(&api_key);
        let trimmed = base_url.trim().trim_end_matches('/');
        let base_url = Url::parse(&format!("{trimmed}/"))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| {
                OpsgenieError::InvalidConfig(format!(
                    "invalid API URL {:?}",
                    secret::mask(base_url)
                ))
            })?;
        if options.page_size == 0 || options.page_size > MAX_PAGE_SIZE {
            return Err(OpsgenieError::InvalidConfig(format!(
                "page size must be 1..={MAX_PAGE_SIZE}, got {}",
                options.page_size
            )));
        }
        let http = HttpClient::new(HttpOptions {
            timeout: options.timeout,
            concurrency: options.concurrency,
            retry: options.retry,
            user_agent: options.user_agent,
        })
        .map_err(OpsgenieError::Http)?;
        let authorization = Secret::new(format!("GenieKey {}", api_key.expose()));
        Ok(OpsgenieClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                authorization,
                page_size: options.page_size,
                offset_cap: options.offset_cap.max(options.page_size),
            }),
        })
    }

    /// The client for `OCEAN__INTEGRATION__CONFIG__API_URL` / `..._API_TOKEN`.
    pub fn from_config(config: &Config) -> Result<Self, OpsgenieError> {
        let settings = &config.integration.config;
        OpsgenieClient::new(
            &settings.api_url,
            settings.api_token.clone(),
            OpsgenieOptions::from_config(config),
        )
    }

    /// Request and retry counters, for metrics and call-count assertions.
    pub fn counters(&self) -> HttpCounters {
        self.inner.http.counters()
    }

    /// A pager over a list endpoint; nothing is fetched until [`Pager::next_page`].
    pub fn list(&self, resource: Resource, params: ListParams) -> Pager {
        Pager::new(self.clone(), resource, params)
    }

    /// Alerts matching `params`, oldest first, past the offset cap.
    pub fn list_alerts(&self, params: ListParams) -> Pager {
        self.list(Resource::Alerts, params)
    }

    pub fn list_incidents(&self, params: ListParams) -> Pager {
        self.list(Resource::Incidents, params)
    }

    pub fn list_services(&self, params: ListParams) -> Pager {
        self.list(Resource::Services, params)
    }

    pub fn list_teams(&self) -> Pager {
        self.list(Resource::Teams, ListParams::none())
    }

    pub fn list_users(&self) -> Pager {
        self.list(Resource::Users, ListParams::none())
    }

    /// Schedules; with `expand_rotation` their `rotations` are filled in.
    pub fn list_schedules(&self, expand_rotation: bool) -> Pager {
        let mut params = ListParams::none();
        if expand_rotation {
            params
                .extra
                .push(("expand".to_owned(), "rotation".to_owned()));
        }
        self.list(Resource::Schedules, params)
    }

    /// `GET /v2/alerts/{id}`; `None` when Opsgenie says it does not exist.
    pub async fn get_alert(&self, id: &str) -> Result<Option<Value>, OpsgenieError> {
        self.get_data(&["v2", "alerts", id], &[]).await
    }

    /// `GET /v2/teams/{id}` (the object with `members`); `None` when absent.
    pub async fn get_team(&self, id: &str) -> Result<Option<Value>, OpsgenieError> {
        self.get_data(&["v2", "teams", id], &[]).await
    }

    /// `GET /v2/schedules/{id}/on-calls?flat=true`: `{_parent, onCallRecipients}`.
    pub async fn schedule_on_calls(&self, id: &str) -> Result<Option<Value>, OpsgenieError> {
        self.get_data(&["v2", "schedules", id, "on-calls"], &[("flat", "true")])
            .await
    }

    /// All alert ids associated with an incident, in pages of 25 (the documented maximum).
    ///
    /// The endpoint's `offset` is documented only as "starting value of the offset property",
    /// minimum 1, with a `direction`: a cursor whose values the documentation does not define. So
    /// no offset is ever computed here: the first request sends only `limit` (the defaults start
    /// at the beginning) and later pages are read from `paging.next`, verbatim, until a page has
    /// no `next` link or no items. A `next` link on another host, or one repeating a page
    /// already read, is refused as malformed.
    pub async fn incident_associated_alert_ids(
        &self,
        id: &str,
    ) -> Result<Vec<String>, OpsgenieError> {
        const WHAT: &str = "GET /v1/incidents/{id}/associated-alert-ids";
        let limit = ASSOCIATED_ALERTS_PAGE_SIZE.to_string();
        let mut url = self.url(
            &["v1", "incidents", id, "associated-alert-ids"],
            &[("limit", &limit)],
        );
        let mut fetched: HashSet<String> = HashSet::new();
        let mut ids = Vec::new();
        loop {
            fetched.insert(url.as_str().to_owned());
            let reply = self.send(&url, WHAT).await?;
            if reply.status == 404 {
                // As for every read: absent only when Opsgenie says so.
                return if is_opsgenie_error(&reply.body) {
                    Ok(ids)
                } else {
                    Err(malformed(WHAT, "a 404 that is not Opsgenie's error answer"))
                };
            }
            let Some(page) = reply.body.get("data").and_then(Value::as_array) else {
                return Err(malformed(WHAT, "no `data` list"));
            };
            for item in page {
                // Opsgenie returns plain ids; tolerate `{id: ..}` objects too.
                let alert_id = item
                    .as_str()
                    .or_else(|| item.get("id").and_then(Value::as_str));
                match alert_id {
                    Some(alert_id) => ids.push(alert_id.to_owned()),
                    None => return Err(malformed(WHAT, "an item is not an alert id")),
                }
            }
            let next = match reply.body.pointer("/paging/next").and_then(Value::as_str) {
                Some(next) if !page.is_empty() => next,
                _ => return Ok(ids),
            };
            url = self.checked_link(next, WHAT)?;
            if fetched.contains(url.as_str()) {
                return Err(malformed(WHAT, "`paging.next` repeats a page already read"));
            }
        }
    }

    /// A `paging.next` link, which must stay on the configured host: the API key goes wherever
    /// it points.
    fn checked_link(&self, link: &str, what: &str) -> Result<Url, OpsgenieError> {
        let base = &self.inner.base_url;
        let url = Url::parse(link).map_err(|_| malformed(what, "`paging.next` is not a URL"))?;
        let same_origin = url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default();
        if !same_origin {
            return Err(malformed(what, "`paging.next` points to another host"));
        }
        Ok(url)
    }

    async fn get_data(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Option<Value>, OpsgenieError> {
        let url = self.url(segments, query);
        let what = describe(segments);
        let reply = self.send(&url, &what).await?;
        if reply.status == 404 {
            // Absent only when Opsgenie says so: a 404 from anything in between (a proxy, a
            // wrong base URL) must not read as "gone" — a webhook `Delete` acts on it.
            return if is_opsgenie_error(&reply.body) {
                Ok(None)
            } else {
                Err(malformed(
                    &what,
                    "a 404 that is not Opsgenie's error answer",
                ))
            };
        }
        match reply.body {
            Value::Object(mut body) => match body.remove("data") {
                Some(data) => Ok(Some(data)),
                None => Err(malformed(&what, "no `data` field")),
            },
            _ => Err(malformed(&what, "not a JSON object")),
        }
    }

    /// An absolute URL under the base, path segments escaped.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// [`OpsgenieClient::send`] keeping a 2xx body as bytes (empty for other statuses).
    async fn send_raw(&self, url: &Url, what: &str) -> Result<(Reply, Vec<u8>), OpsgenieError> {
        let request = Request::get(url.as_str())
            .header("authorization", self.inner.authorization.expose())
            .header("accept", "application/json");
        let (reply, bytes) = self
            .inner
            .http
            .send_raw(&request)
            .await
            .map_err(OpsgenieError::Http)?;
        Self::judge(reply, what).map(|reply| (reply, bytes))
    }

    /// GET with auth; 2xx and 404 come back as replies, 401/403 and other errors as errors.
    async fn send(&self, url: &Url, what: &str) -> Result<Reply, OpsgenieError> {
        let request = Request::get(url.as_str())
            .header("authorization", self.inner.authorization.expose())
            .header("accept", "application/json");
        let reply = self
            .inner
            .http
            .send(&request)
            .await
            .map_err(OpsgenieError::Http)?;
        Self::judge(reply, what)
    }

    fn judge(reply: Reply, what: &str) -> Result<Reply, OpsgenieError> {
        match reply.status {
            200..=299 | 404 => Ok(reply),
            status @ (401 | 403) => Err(OpsgenieError::Auth {
                status,
                what: what.to_owned(),
                message: reply.error_text(),
            }),
            status => Err(OpsgenieError::Api {
                status,
                what: what.to_owned(),
                message: reply.error_text(),
            }),
        }
    }
}

/// Opsgenie's error body: `{"message": …, "took": …, "requestId": …}` (the documented
/// `ErrorResponse`; `requestId` is always there).
fn is_opsgenie_error(body: &Value) -> bool {
    body.get("message").is_some_and(Value::is_string)
        && body.get("requestId").is_some_and(Value::is_string)
}

/// `GET /v2/alerts/{id}` style text for errors: ids are left out (they add noise, not meaning).
fn describe(segments: &[&str]) -> String {
    let parts: Vec<&str> = segments
        .iter()
        .enumerate()
        .map(|(index, segment)| if index == 2 { "{id}" } else { *segment })
        .collect();
    format!("GET /{}", parts.join("/"))
}

fn malformed(what: &str, detail: &str) -> OpsgenieError {
    OpsgenieError::Malformed {
        what: what.to_owned(),
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_ids_and_keep_base_path() {
        let client = OpsgenieClient::new(
            "http://127.0.0.1:1/proxy/",
            Secret::new("unit-test-genie-key"),
            OpsgenieOptions::default(),
        )
        .unwrap();
        let url = client.url(&["v2", "alerts", "a/b c"], &[("flat", "true")]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/proxy/v2/alerts/a%2Fb%20c?flat=true"
        );
    }

    #[test]
    fn invalid_base_url_is_rejected_without_leaking() {
        let error = OpsgenieClient::new(
            "not a url",
            Secret::new("unit-test-genie-key"),
            OpsgenieOptions::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("invalid API URL"));
    }

    #[test]
    fn auth_errors_are_one_line_and_name_the_setting() {
        let error = OpsgenieError::Auth {
            status: 401,
            what: "GET /v2/alerts".into(),
            message: "Could not authenticate".into(),
        };
        let text = error.to_string();
        assert!(text.contains("OCEAN__INTEGRATION__CONFIG__API_TOKEN"));
        assert!(!text.contains('\n'));
        assert!(error.is_auth());
    }

    #[test]
    fn kinds_map_to_resources() {
        assert_eq!(
            Resource::for_kind("schedule-oncall"),
            Some(Resource::Schedules)
        );
        assert_eq!(
            Resource::for_kind("alert").map(Resource::path),
            Some("v2/alerts")
        );
        assert_eq!(Resource::for_kind("nope"), None);
        assert!(Resource::Services.is_windowed() && !Resource::Users.is_windowed());
    }
}
