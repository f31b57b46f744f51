//! Port REST client: client-credentials tokens refreshed before expiry and on 401, Ocean's retry
//! policy, size-aware bulk upserts with per-entity results, bulk deletes, datasource search,
//! blueprints and the integration endpoints Ocean uses.

mod auth;
mod batch;
pub mod blueprint_diff;
mod entities;
mod resources;
pub mod schema;

pub use batch::plan_batches;
pub use entities::{
    DatasourcePager, DeleteResult, EntityError, UpsertOptions, UpsertResult, UpsertStatus,
};

use crate::config::Config;
use crate::http::{HttpClient, HttpCounters, HttpError, HttpOptions, Reply, Request, RetryPolicy};
use crate::secret::{self, Secret};
use auth::TokenCache;
use reqwest::Url;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Port's bulk upsert limit (entities per request).
pub const BULK_MAX_LENGTH: usize = 20;
/// Port's request body limit.
pub const BULK_MAX_BYTES: usize = 1_048_576;
/// Port's bulk delete limit (ids per request).
pub const DELETE_MAX_LENGTH: usize = 100;

/// The User-Agent Port keys entity ownership (`$datasource`) on.
pub fn user_agent(integration_type: &str, version: &str, identifier: &str) -> String {
    format!("port-ocean/{integration_type}/{version}/{identifier}/exporter")
}

#[derive(Clone, Debug)]
pub struct PortOptions {
    pub timeout: Duration,
    /// Requests in flight at once (Ocean: 50 for entity calls).
    pub concurrency: usize,
    /// Bulk upsert requests in flight at once within one call (Ocean: 5).
    pub bulk_concurrency: usize,
    pub retry: RetryPolicy,
    /// Entities per bulk request, at most [`BULK_MAX_LENGTH`].
    pub batch_max_length: usize,
    /// Body bytes per bulk request, at most [`BULK_MAX_BYTES`].
    pub batch_max_bytes: usize,
    /// Ids per bulk delete, at most [`DELETE_MAX_LENGTH`].
    pub delete_batch_max_length: usize,
    /// Refresh the token this long before it expires (at most a tenth of its lifetime).
    pub token_refresh_margin: Duration,
}

impl Default for PortOptions {
    fn default() -> Self {
        PortOptions {
            timeout: Duration::from_secs(60),
            concurrency: 50,
            bulk_concurrency: 5,
            retry: RetryPolicy::port_default(),
            batch_max_length: BULK_MAX_LENGTH,
            batch_max_bytes: BULK_MAX_BYTES,
            delete_batch_max_length: DELETE_MAX_LENGTH,
            token_refresh_margin: Duration::from_secs(60),
        }
    }
}

impl PortOptions {
    /// Defaults with the configured batch limits (`OCEAN__UPSERT_ENTITIES_BATCH_MAX_LENGTH`,
    /// `..._SIZE_IN_BYTES`, `OCEAN__DELETE_ENTITIES_MAX_BATCH_SIZE`), clamped to Port's limits
    /// where exceeding them could only fail. A byte budget above 1 MiB is kept: Port's 413
    /// then falls back to single upserts, as in Ocean.
    pub fn from_config(config: &Config) -> Self {
        PortOptions {
            batch_max_length: config.upsert_batch_max_length.clamp(1, BULK_MAX_LENGTH),
            batch_max_bytes: config.upsert_batch_max_bytes.max(1),
            delete_batch_max_length: config.delete_batch_max_length.clamp(1, DELETE_MAX_LENGTH),
            ..PortOptions::default()
        }
    }
}

/// Everything that can go wrong talking to Port; `Display` is one line without secrets.
#[derive(Clone, Debug)]
pub enum PortError {
    /// The credentials were refused, or a fresh token was refused.
    Auth {
        what: String,
        message: String,
    },
    /// A non-success status the caller cannot treat per entity.
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
    InvalidConfig(String),
    /// A bug on our side (a worker task panicked).
    Internal(String),
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortError::Auth { what, message } => write!(
                f,
                "Port rejected the credentials ({what}: {message}); check OCEAN__PORT__CLIENT_ID, \
                 OCEAN__PORT__CLIENT_SECRET and OCEAN__PORT__BASE_URL"
            ),
            PortError::Api {
                status,
                what,
                message,
            } => write!(f, "Port {what} failed: HTTP {status}: {message}"),
            PortError::Http(error) => write!(f, "Port request failed: {error}"),
            PortError::Malformed { what, detail } => {
                write!(f, "Port {what} returned an unexpected body: {detail}")
            }
            PortError::InvalidConfig(detail) => write!(f, "Port client: {detail}"),
            PortError::Internal(detail) => write!(f, "Port client internal error: {detail}"),
        }
    }
}

impl std::error::Error for PortError {}

impl PortError {
    pub fn is_auth(&self) -> bool {
        matches!(self, PortError::Auth { .. })
    }
}

/// A cheap-to-clone Port client; clones share connections, the token and counters.
#[derive(Clone, Debug)]
pub struct PortClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: HttpClient,
    /// `{base}/v1/`.
    api_url: Url,
    token: TokenCache,
    options: PortOptions,
}

impl PortClient {
    /// A client with [`PortOptions::default`].
    pub fn new(
        base_url: &str,
        client_id: Secret,
        client_secret: Secret,
        user_agent: String,
    ) -> Result<Self, PortError> {
        PortClient::with_options(
            base_url,
            client_id,
            client_secret,
            user_agent,
            PortOptions::default(),
        )
    }

    /// `base_url` like `https://api.getport.io` (no `/v1`; a trailing `/` is ignored).
    pub fn with_options(
        base_url: &str,
        client_id: Secret,
        client_secret: Secret,
        user_agent: String,
        options: PortOptions,
    ) -> Result<Self, PortError> {
        secret::register(&client_id);
        secret::register(&client_secret);
        let trimmed = base_url.trim().trim_end_matches('/');
        let api_url = Url::parse(&format!("{trimmed}/v1/"))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| {
                PortError::InvalidConfig(format!("invalid base URL {:?}", secret::mask(base_url)))
            })?;
        let limits_ok = (1..=BULK_MAX_LENGTH).contains(&options.batch_max_length)
            && options.batch_max_bytes > 0
            && (1..=DELETE_MAX_LENGTH).contains(&options.delete_batch_max_length);
        if !limits_ok {
            return Err(PortError::InvalidConfig(format!(
                "batch limits out of range: {} entities (1..={BULK_MAX_LENGTH}), {} bytes, {} ids \
                 per delete (1..={DELETE_MAX_LENGTH})",
                options.batch_max_length, options.batch_max_bytes, options.delete_batch_max_length
            )));
        }
        let http = HttpClient::new(HttpOptions {
            timeout: options.timeout,
            concurrency: options.concurrency,
            retry: options.retry.clone(),
            user_agent,
        })
        .map_err(PortError::Http)?;
        Ok(PortClient {
            inner: Arc::new(Inner {
                http,
                api_url,
                token: TokenCache::new(client_id, client_secret, options.token_refresh_margin),
                options,
            }),
        })
    }

    /// The client for `OCEAN__PORT__*`, owning entities as
    /// `port-ocean/<type>/<version>/<identifier>/exporter`.
    pub fn from_config(config: &Config, version: &str) -> Result<Self, PortError> {
        PortClient::with_options(
            &config.port.base_url,
            config.port.client_id.clone(),
            config.port.client_secret.clone(),
            user_agent(
                &config.integration.kind,
                version,
                &config.integration.identifier,
            ),
            PortOptions::from_config(config),
        )
    }

    pub fn counters(&self) -> HttpCounters {
        self.inner.http.counters()
    }

    /// Tokens fetched so far (the first one included).
    pub fn token_fetches(&self) -> u64 {
        self.inner.token.fetches()
    }

    pub fn options(&self) -> &PortOptions {
        &self.inner.options
    }

    /// `{base}/v1/<segments>?<query>`, segments escaped.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.api_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends with the current token; a 401 drops the token, fetches a new one and retries once.
    async fn call(&self, request: Request, what: &str) -> Result<Reply, PortError> {
        let (header, generation) = self.inner.token.header(self).await?;
        let reply = self.send_with(&request, &header).await?;
        if reply.status != 401 {
            return Ok(reply);
        }
        self.inner.token.invalidate(generation).await;
        let (header, _) = self.inner.token.header(self).await?;
        let reply = self.send_with(&request, &header).await?;
        if reply.status == 401 {
            return Err(PortError::Auth {
                what: what.to_owned(),
                message: format!("a fresh token was refused: {}", reply.error_text()),
            });
        }
        Ok(reply)
    }

    async fn send_with(
        &self,
        request: &Request,
        authorization: &Secret,
    ) -> Result<Reply, PortError> {
        let request = request
            .clone()
            .header("authorization", authorization.expose());
        self.inner
            .http
            .send(&request)
            .await
            .map_err(PortError::Http)
    }

    /// [`PortClient::call`] that also turns any non-2xx status into an error.
    async fn call_ok(&self, request: Request, what: &str) -> Result<Reply, PortError> {
        let reply = self.call(request, what).await?;
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(api_error(&reply, what))
        }
    }
}

fn api_error(reply: &Reply, what: &str) -> PortError {
    PortError::Api {
        status: reply.status,
        what: what.to_owned(),
        message: reply.error_text(),
    }
}

fn malformed(what: &str, detail: &str) -> PortError {
    PortError::Malformed {
        what: what.to_owned(),
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_matches_ocean() {
        assert_eq!(
            user_agent("opsgenie", "0.1.0", "my-opsgenie-integration"),
            "port-ocean/opsgenie/0.1.0/my-opsgenie-integration/exporter"
        );
    }

    #[test]
    fn urls_are_under_v1_and_escaped() {
        let client = PortClient::new(
            "http://127.0.0.1:1/",
            Secret::new("unit-test-client-id"),
            Secret::new("unit-test-client-secret"),
            "ua".into(),
        )
        .unwrap();
        let url = client.url(
            &["blueprints", "bp", "entities", "a/b"],
            &[("upsert", "true")],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/v1/blueprints/bp/entities/a%2Fb?upsert=true"
        );
    }

    #[test]
    fn out_of_range_limits_are_rejected() {
        let options = PortOptions {
            batch_max_length: 21,
            ..PortOptions::default()
        };
        let error = PortClient::with_options(
            "http://127.0.0.1:1",
            Secret::new("unit-test-client-id"),
            Secret::new("unit-test-client-secret"),
            "ua".into(),
            options,
        )
        .unwrap_err();
        assert!(error.to_string().contains("batch limits"));
    }
}
