//! Blueprints and the integration object. Per Ocean, PATCHes and creating POSTs are not retried
//! (they are not known to be idempotent); GETs and DELETEs are.

use super::{malformed, PortClient, PortError};
use crate::http::Request;
use reqwest::Method;
use serde_json::{json, Value};

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

    /// `POST /v1/blueprints?create_catalog_page=true`; returns the created blueprint.
    pub async fn create_blueprint(&self, blueprint: &Value) -> Result<Value, PortError> {
        let url = self.url(&["blueprints"], &[("create_catalog_page", "true")]);
        let request = Request::json(Method::POST, url.as_str(), blueprint);
        self.take(request, "POST /v1/blueprints", "blueprint").await
    }

    /// `PATCH /v1/blueprints/{id}` with a partial blueprint.
    pub async fn patch_blueprint(
        &self,
        identifier: &str,
        patch: &Value,
    ) -> Result<Value, PortError> {
        let url = self.url(&["blueprints", identifier], &[]);
        let request = Request::json(Method::PATCH, url.as_str(), patch);
        self.take(request, "PATCH /v1/blueprints/{id}", "blueprint")
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

    /// `POST /v1/integration` with Ocean's creation body.
    pub async fn create_integration(&self, body: &Value) -> Result<Value, PortError> {
        let url = self.url(&["integration"], &[]);
        let request = Request::json(Method::POST, url.as_str(), body);
        self.take(request, "POST /v1/integration", "integration")
            .await
    }

    /// `PATCH /v1/integration/{id}`.
    pub async fn patch_integration(
        &self,
        identifier: &str,
        patch: &Value,
    ) -> Result<Value, PortError> {
        let url = self.url(&["integration", identifier], &[]);
        let request = Request::json(Method::PATCH, url.as_str(), patch);
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
        let mut request = Request::json(Method::PATCH, url.as_str(), &json!({ "config": config }));
        if skip_resync {
            request = request.header("x-skip-resync", "true");
        }
        self.take(request, "PATCH /v1/integration/{id}/config", "integration")
            .await
    }

    /// `PATCH /v1/integration/{id}/resync-state` with `{status, lastResyncStart, ...}`.
    pub async fn update_resync_state(
        &self,
        identifier: &str,
        state: &Value,
    ) -> Result<Value, PortError> {
        let url = self.url(&["integration", identifier, "resync-state"], &[]);
        let request = Request::json(Method::PATCH, url.as_str(), state);
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
