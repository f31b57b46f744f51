//! Blueprints and the integration object.
//!
//! Which calls are repeated after a transient failure (429, 408, 5xx, a dropped connection, a
//! timeout), and why — the README's retry table lists the same:
//! - GETs and DELETEs: always (reading twice changes nothing; deleting a deleted blueprint is
//!   a 404, which counts as deleted).
//! - PUTs of blueprints (the whole definition) and PATCHes of the integration, its config and
//!   its resync state, and of blueprints: always.
//!   Ocean does not retry PATCH at all, but each of these sets the fields it carries to the
//!   values it carries (Port replaces the top-level keys a PATCH names), so sending it again
//!   leaves Port as one success would. A lost resync-state PATCH must not end a resync.
//! - POSTs that create (a blueprint, the integration): never blindly. A second POST after a
//!   lost answer would be refused as a duplicate (409), so after a transient failure a GET asks
//!   Port whether the first one took effect: if it did, that object is the result; if not, the
//!   POST is sent again after the same wait a retry would take.
//! - POST of raw kind examples: not repeated (Ocean does not either); it only feeds the mapping
//!   editor's preview, a failure is logged and the next resync sends them again.

use super::{malformed, PortClient, PortError};
use crate::http::Request;
use reqwest::Method;
use serde_json::{json, Value};
use std::future::Future;

impl PortClient {
    /// `GET /v1/blueprints/{id}`; `None` when it does not exist.
    pub async fn get_blueprint(&self, identifier: &str) -> Result<Option<Value>, PortError> {
        let url = self.url(&["blueprints", identifier], &[]);
        self.get_optional(
            Request::get(url.as_str()),
            "GET /v1/blueprints/{id}",
            "blueprint",
        )
        .await
    }

    /// `POST /v1/blueprints?create_catalog_page=true`; returns the created blueprint. After a
    /// transient failure the blueprint is looked up before the POST is repeated (see the
    /// module documentation): a blueprint found then is returned as created.
    pub async fn create_blueprint(&self, blueprint: &Value) -> Result<Value, PortError> {
        let url = self.url(&["blueprints"], &[("create_catalog_page", "true")]);
        let request = Request::json(Method::POST, url.as_str(), blueprint);
        let identifier = blueprint
            .get("identifier")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.create_verified(
            request,
            "POST /v1/blueprints",
            "blueprint",
            identifier,
            || async move { self.get_blueprint(identifier).await },
        )
        .await
    }

    /// `PATCH /v1/blueprints/{id}` with a partial blueprint (retried: it sets what it carries).
    pub async fn patch_blueprint(
        &self,
        identifier: &str,
        patch: &Value,
    ) -> Result<Value, PortError> {
        let url = self.url(&["blueprints", identifier], &[]);
        let request = Request::json(Method::PATCH, url.as_str(), patch).retryable(true);
        self.take(request, "PATCH /v1/blueprints/{id}", "blueprint")
            .await
    }

    /// `PUT /v1/blueprints/{id}` with a whole blueprint, which replaces the one Port holds
    /// (retried: it sets what it carries).
    pub async fn put_blueprint(
        &self,
        identifier: &str,
        blueprint: &Value,
    ) -> Result<Value, PortError> {
        let url = self.url(&["blueprints", identifier], &[]);
        let request = Request::json(Method::PUT, url.as_str(), blueprint).retryable(true);
        self.take(request, "PUT /v1/blueprints/{id}", "blueprint")
            .await
    }

    /// `DELETE /v1/blueprints/{id}`; a missing blueprint counts as deleted.
    pub async fn delete_blueprint(&self, identifier: &str) -> Result<(), PortError> {
        let what = "DELETE /v1/blueprints/{id}";
        let url = self.url(&["blueprints", identifier], &[]);
        let reply = self
            .call(Request::new(Method::DELETE, url.as_str()), what)
            .await?;
        if reply.is_success() || reply.status == 404 {
            Ok(())
        } else {
            Err(super::api_error(&reply, what))
        }
    }

    /// `GET /v1/integration/{id}`; `None` when Port does not know it yet.
    pub async fn get_integration(&self, identifier: &str) -> Result<Option<Value>, PortError> {
        let url = self.url(&["integration", identifier], &[]);
        self.get_optional(
            Request::get(url.as_str()),
            "GET /v1/integration/{id}",
            "integration",
        )
        .await
    }

    /// `POST /v1/integration` with Ocean's creation body. After a transient failure the
    /// integration (`installationId`) is looked up before the POST is repeated.
    pub async fn create_integration(&self, body: &Value) -> Result<Value, PortError> {
        let url = self.url(&["integration"], &[]);
        let request = Request::json(Method::POST, url.as_str(), body);
        let identifier = body
            .get("installationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.create_verified(
            request,
            "POST /v1/integration",
            "integration",
            identifier,
            || async move { self.get_integration(identifier).await },
        )
        .await
    }

    /// `PATCH /v1/integration/{id}` (retried: it sets what it carries).
    pub async fn patch_integration(
        &self,
        identifier: &str,
        patch: &Value,
    ) -> Result<Value, PortError> {
        let url = self.url(&["integration", identifier], &[]);
        let request = Request::json(Method::PATCH, url.as_str(), patch).retryable(true);
        self.take(request, "PATCH /v1/integration/{id}", "integration")
            .await
    }

    /// `PATCH /v1/integration/{id}/config` with `{config}`; `skip_resync` sends `x-skip-resync`.
    pub async fn patch_integration_config(
        &self,
        identifier: &str,
        config: &Value,
        skip_resync: bool,
    ) -> Result<Value, PortError> {
        let url = self.url(&["integration", identifier, "config"], &[]);
        let mut request = Request::json(Method::PATCH, url.as_str(), &json!({ "config": config }))
            .retryable(true);
        if skip_resync {
            request = request.header("x-skip-resync", "true");
        }
        self.take(request, "PATCH /v1/integration/{id}/config", "integration")
            .await
    }

    /// `PATCH /v1/integration/{id}/resync-state` with `{status, lastResyncStart, ...}`
    /// (retried: it sets what it carries).
    pub async fn update_resync_state(
        &self,
        identifier: &str,
        state: &Value,
    ) -> Result<Value, PortError> {
        let url = self.url(&["integration", identifier, "resync-state"], &[]);
        let request = Request::json(Method::PATCH, url.as_str(), state).retryable(true);
        self.take(
            request,
            "PATCH /v1/integration/{id}/resync-state",
            "integration",
        )
        .await
    }

    /// `GET /v1/integration/{id}/resync-request`: the pending request (`{updatedAt, ...}`) or `None`.
    pub async fn get_resync_request(&self, identifier: &str) -> Result<Option<Value>, PortError> {
        let url = self.url(&["integration", identifier, "resync-request"], &[]);
        self.get_optional(
            Request::get(url.as_str()),
            "GET /v1/integration/{id}/resync-request",
            "request",
        )
        .await
    }

    /// `POST /v1/integration/{id}/kinds/{kind}/examples` with raw (already masked) items.
    pub async fn upload_kind_examples(
        &self,
        identifier: &str,
        kind: &str,
        examples: &[Value],
    ) -> Result<(), PortError> {
        let url = self.url(&["integration", identifier, "kinds", kind, "examples"], &[]);
        let request = Request::json(Method::POST, url.as_str(), &json!({ "examples": examples }));
        self.call_ok(request, "POST /v1/integration/{id}/kinds/{kind}/examples")
            .await
            .map(drop)
    }

    /// A create (POST, sent once per attempt) repeated only when `exists` says it did not
    /// take effect: after a transient failure (the answer may have been lost after Port
    /// applied it), `exists` looks the object up; found, it is the result; absent, the POST is
    /// sent again after the retry policy's wait, up to its attempts. Refusals (4xx) are not
    /// transient and end at once. Without an identifier to look up, one attempt.
    async fn create_verified<F, Fut>(
        &self,
        request: Request,
        what: &str,
        field: &str,
        identifier: &str,
        exists: F,
    ) -> Result<Value, PortError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<Value>, PortError>>,
    {
        let request = request.retryable(false);
        let max_attempts = if !identifier.is_empty() {
            self.inner.http.retry_policy().max_attempts.max(1)
        } else {
            1
        };
        let mut attempt = 1;
        loop {
            match self.take(request.clone(), what, field).await {
                Err(PortError::Http(mut error)) => {
                    if attempt >= max_attempts {
                        error.attempts = attempt;
                        return Err(PortError::Http(error));
                    }
                    if let Some(existing) = exists().await? {
                        tracing::info!(
                            call = what,
                            attempt,
                            "the answer was lost, but Port holds the object: it was created"
                        );
                        return Ok(existing);
                    }
                    self.inner
                        .http
                        .pause_before_retry(&request, attempt, &error)
                        .await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A GET whose 404 means "absent"; returns `body[field]` (null → `None`).
    async fn get_optional(
        &self,
        request: Request,
        what: &str,
        field: &str,
    ) -> Result<Option<Value>, PortError> {
        let mut reply = self.call(request, what).await?;
        if reply.status == 404 {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(super::api_error(&reply, what));
        }
        match reply.body.get_mut(field).map(Value::take) {
            Some(Value::Null) | None => Ok(None),
            Some(value) => Ok(Some(value)),
        }
    }

    /// A call that must succeed; returns `body[field]`.
    async fn take(&self, request: Request, what: &str, field: &str) -> Result<Value, PortError> {
        let mut reply = self.call_ok(request, what).await?;
        reply
            .body
            .get_mut(field)
            .map(Value::take)
            .ok_or_else(|| malformed(what, &format!("no `{field}` field")))
    }
}
