//! Entity upserts (bulk, size-aware, per-entity results), bulk deletes and searches.

use super::batch::{bulk_body, plan_batches};
use super::{malformed, PortClient, PortError};
use crate::http::Request;
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt;
use tokio::task::JoinSet;

/// Query flags of an upsert (Port app config: `enableMergeEntity`,
/// `createMissingRelatedEntities`) plus any extra parameters (e.g. `ocean_info_event_type`).
#[derive(Clone, Debug, Default)]
pub struct UpsertOptions {
    pub merge: bool,
    pub create_missing_related_entities: bool,
    pub extra_query: Vec<(String, String)>,
}

impl UpsertOptions {
    fn query(&self) -> Vec<(String, String)> {
        let mut query = vec![
            ("upsert".to_owned(), "true".to_owned()),
            ("merge".to_owned(), self.merge.to_string()),
            (
                "create_missing_related_entities".to_owned(),
                self.create_missing_related_entities.to_string(),
            ),
            ("validation_only".to_owned(), "false".to_owned()),
        ];
        query.extend(self.extra_query.iter().cloned());
        query
    }
}

/// Port's reason for refusing one entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityError {
    pub status: u16,
    /// Port's `error` code, e.g. `not_found`.
    pub error: String,
    pub message: String,
}

impl fmt::Display for EntityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.error, self.message)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpsertStatus {
    Created,
    Updated,
    Failed(EntityError),
}

/// The outcome for the entity at `index` of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpsertResult {
    pub index: usize,
    pub identifier: String,
    pub status: UpsertStatus,
}

/// Which ids a bulk delete removed, and why the others were not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteResult {
    pub deleted: Vec<String>,
    pub failed: Vec<(String, String)>,
}

impl PortClient {
    /// Upserts `entities` of one blueprint in bulk requests of at most `batch_max_length`
    /// entities and `batch_max_bytes` bytes; a 413 falls back to one request per entity.
    /// Entities Port refuses are reported as [`UpsertStatus::Failed`]; only failures of the
    /// service itself (credentials, exhausted retries) are errors.
    pub async fn upsert_entities(
        &self,
        blueprint: &str,
        entities: &[Value],
        options: &UpsertOptions,
    ) -> Result<Vec<UpsertResult>, PortError> {
        let mut serialized: Vec<Vec<u8>> = entities
            .iter()
            .map(|entity| serde_json::to_vec(entity).unwrap_or_default())
            .collect();
        let sizes: Vec<usize> = serialized.iter().map(Vec::len).collect();
        let opts = &self.inner.options;
        let batches = plan_batches(&sizes, opts.batch_max_length, opts.batch_max_bytes);

        let mut results = Vec::with_capacity(entities.len());
        let mut tasks = JoinSet::new();
        let mut pending = batches.into_iter();
        loop {
            while tasks.len() < opts.bulk_concurrency.max(1) {
                let Some(range) = pending.next() else { break };
                let client = self.clone();
                let blueprint = blueprint.to_owned();
                let options = options.clone();
                let batch: Vec<(usize, Vec<u8>, String)> = range
                    .map(|index| {
                        let identifier = identifier_of(&entities[index]);
                        (index, std::mem::take(&mut serialized[index]), identifier)
                    })
                    .collect();
                tasks.spawn(async move { client.upsert_batch(&blueprint, batch, &options).await });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            match joined {
                Ok(Ok(batch_results)) => results.extend(batch_results),
                Ok(Err(error)) => {
                    tasks.abort_all();
                    return Err(error);
                }
                Err(join_error) => {
                    tasks.abort_all();
                    return Err(PortError::Internal(format!(
                        "bulk upsert task failed: {join_error}"
                    )));
                }
            }
        }
        results.sort_by_key(|result| result.index);
        Ok(results)
    }

    /// Upserts one entity (`POST /v1/blueprints/{bp}/entities?upsert=true`).
    pub async fn upsert_entity(
        &self,
        blueprint: &str,
        entity: &Value,
        options: &UpsertOptions,
    ) -> Result<UpsertResult, PortError> {
        let body = serde_json::to_vec(entity).unwrap_or_default();
        self.upsert_single(blueprint, 0, body, identifier_of(entity), options)
            .await
    }

    async fn upsert_batch(
        &self,
        blueprint: &str,
        batch: Vec<(usize, Vec<u8>, String)>,
        options: &UpsertOptions,
    ) -> Result<Vec<UpsertResult>, PortError> {
        let what = "POST /v1/blueprints/{bp}/entities/bulk";
        let query = options.query();
        let query: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let url = self.url(&["blueprints", blueprint, "entities", "bulk"], &query);
        let body = bulk_body(batch.iter().map(|(_, bytes, _)| bytes.as_slice()));
        let request = json_bytes_request(Method::POST, url.as_str(), body).retryable(true);
        let reply = self.call(request, what).await?;

        if reply.status == 413 {
            let mut results = Vec::with_capacity(batch.len());
            for (index, bytes, identifier) in batch {
                results.push(
                    self.upsert_single(blueprint, index, bytes, identifier, options)
                        .await?,
                );
            }
            return Ok(results);
        }
        if !reply.is_success() {
            // The whole request was refused (unknown blueprint, bad parameters...).
            let failure = entity_error(&reply.body, reply.status, reply.error_text());
            return Ok(batch
                .into_iter()
                .map(|(index, _, identifier)| UpsertResult {
                    index,
                    identifier,
                    status: UpsertStatus::Failed(failure.clone()),
                })
                .collect());
        }

        let mut outcomes: HashMap<usize, UpsertStatus> = HashMap::new();
        for item in array_field(&reply.body, "entities") {
            if let Some(position) = position_of(item) {
                let created = item
                    .get("created")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let status = if created {
                    UpsertStatus::Created
                } else {
                    UpsertStatus::Updated
                };
                outcomes.insert(position, status);
            }
        }
        for item in array_field(&reply.body, "errors") {
            if let Some(position) = position_of(item) {
                let status = item
                    .get("statusCode")
                    .and_then(Value::as_u64)
                    .and_then(|code| u16::try_from(code).ok())
                    .unwrap_or(reply.status);
                let message = text_field(item, "message");
                outcomes.insert(
                    position,
                    UpsertStatus::Failed(entity_error(item, status, message)),
                );
            }
        }
        Ok(batch
            .into_iter()
            .enumerate()
            .map(|(position, (index, _, identifier))| UpsertResult {
                index,
                identifier,
                status: outcomes.remove(&position).unwrap_or_else(|| {
                    UpsertStatus::Failed(EntityError {
                        status: reply.status,
                        error: "missing_result".to_owned(),
                        message: "Port's bulk answer has no result for this entity".to_owned(),
                    })
                }),
            })
            .collect())
    }

    async fn upsert_single(
        &self,
        blueprint: &str,
        index: usize,
        body: Vec<u8>,
        identifier: String,
        options: &UpsertOptions,
    ) -> Result<UpsertResult, PortError> {
        let what = "POST /v1/blueprints/{bp}/entities";
        let query = options.query();
        let query: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let url = self.url(&["blueprints", blueprint, "entities"], &query);
        let request = json_bytes_request(Method::POST, url.as_str(), body).retryable(true);
        let reply = self.call(request, what).await?;
        let status = if reply.is_success() {
            // The single route does not say whether it created; a fresh entity has equal stamps.
            let entity = reply.body.get("entity");
            let stamp = |name: &str| entity.and_then(|e| e.get(name)).and_then(Value::as_str);
            match (stamp("createdAt"), stamp("updatedAt")) {
                (Some(created), Some(updated)) if created != updated => UpsertStatus::Updated,
                _ => UpsertStatus::Created,
            }
        } else {
            UpsertStatus::Failed(entity_error(&reply.body, reply.status, reply.error_text()))
        };
        Ok(UpsertResult {
            index,
            identifier,
            status,
        })
    }

    /// Deletes entities by id in requests of at most `delete_batch_max_length` ids.
    pub async fn delete_entities(
        &self,
        blueprint: &str,
        identifiers: &[String],
        delete_dependents: bool,
    ) -> Result<DeleteResult, PortError> {
        let what = "POST /v1/blueprints/{bp}/bulk/entities/delete";
        let mut result = DeleteResult::default();
        let flag = delete_dependents.to_string();
        for chunk in identifiers.chunks(self.inner.options.delete_batch_max_length) {
            let url = self.url(
                &["blueprints", blueprint, "bulk", "entities", "delete"],
                &[("delete_dependents", &flag)],
            );
            let body = json!({ "entities": chunk });
            let request = Request::json(Method::POST, url.as_str(), &body).retryable(true);
            let reply = self.call(request, what).await?;
            if !reply.is_success() {
                let reason = format!("HTTP {}: {}", reply.status, reply.error_text());
                result
                    .failed
                    .extend(chunk.iter().map(|id| (id.clone(), reason.clone())));
                continue;
            }
            let deleted: Vec<&str> = array_field(&reply.body, "deletedEntities")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for id in chunk {
                if deleted.contains(&id.as_str()) {
                    result.deleted.push(id.clone());
                } else {
                    result
                        .failed
                        .push((id.clone(), "Port did not delete it".to_owned()));
                }
            }
        }
        Ok(result)
    }

    /// Entities whose `$datasource` starts with `prefix` and ends with `suffix` (this
    /// integration's ownership), page by page.
    pub fn datasource_entities(
        &self,
        prefix: &str,
        suffix: &str,
        before: Option<String>,
    ) -> DatasourcePager {
        DatasourcePager {
            client: self.clone(),
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            before,
            from: None,
            done: false,
        }
    }

    /// `POST /v1/entities/search` with `query` (`{combinator, rules}`); `include` limits fields.
    pub async fn search_entities(
        &self,
        query: &Value,
        include: &[&str],
    ) -> Result<Vec<Value>, PortError> {
        let what = "POST /v1/entities/search";
        let mut params = vec![("exclude_calculated_properties", "true")];
        params.extend(include.iter().map(|field| ("include", *field)));
        let url = self.url(&["entities", "search"], &params);
        let request = Request::json(Method::POST, url.as_str(), query).retryable(true);
        let mut reply = self.call_ok(request, what).await?;
        match reply.body.get_mut("entities").map(Value::take) {
            Some(Value::Array(entities)) => Ok(entities),
            _ => Err(malformed(what, "no `entities` list")),
        }
    }
}

/// Pages of `POST /v1/blueprints/entities/datasource-entities`.
#[derive(Debug)]
pub struct DatasourcePager {
    client: PortClient,
    prefix: String,
    suffix: String,
    before: Option<String>,
    from: Option<Value>,
    done: bool,
}

impl DatasourcePager {
    /// Page size. Ocean asks for 5000; each page arrives as whole entities parsed into one JSON
    /// tree, so 1000 keeps a resync's listing at a fifth of that memory for a few more requests.
    pub const LIMIT: u64 = 1000;

    /// The next page of entities, or `None` when done.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Value>>, PortError> {
        if self.done {
            return Ok(None);
        }
        let what = "POST /v1/blueprints/entities/datasource-entities";
        let mut body = Map::new();
        body.insert("datasource_prefix".into(), json!(self.prefix));
        body.insert("datasource_suffix".into(), json!(self.suffix));
        body.insert("limit".into(), json!(Self::LIMIT));
        if let Some(before) = &self.before {
            body.insert("before".into(), json!(before));
        }
        if let Some(from) = &self.from {
            body.insert("from".into(), from.clone());
        }
        let url = self
            .client
            .url(&["blueprints", "entities", "datasource-entities"], &[]);
        let request =
            Request::json(Method::POST, url.as_str(), &Value::Object(body)).retryable(true);
        let result = self.client.call_ok(request, what).await;
        let mut reply = match result {
            Ok(reply) => reply,
            Err(error) => {
                self.done = true;
                return Err(error);
            }
        };
        let Some(Value::Array(entities)) = reply.body.get_mut("entities").map(Value::take) else {
            self.done = true;
            return Err(malformed(what, "no `entities` list"));
        };
        match reply.body.get_mut("next").map(Value::take) {
            // The cursor just sent again would list the same page forever.
            Some(next) if self.from.as_ref() == Some(&next) => {
                self.done = true;
                return Err(malformed(what, "`next` repeats the cursor it answered"));
            }
            Some(next) if !next.is_null() && !entities.is_empty() => self.from = Some(next),
            _ => self.done = true,
        }
        Ok(Some(entities))
    }
}

fn identifier_of(entity: &Value) -> String {
    match entity.get("identifier") {
        Some(Value::String(id)) => id.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn position_of(item: &Value) -> Option<usize> {
    item.get("index")
        .and_then(Value::as_u64)
        .and_then(|index| usize::try_from(index).ok())
}

fn array_field<'a>(body: &'a Value, name: &str) -> &'a [Value] {
    body.get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn text_field(item: &Value, name: &str) -> String {
    item.get(name)
        .and_then(Value::as_str)
        .map(crate::secret::mask)
        .unwrap_or_default()
}

fn entity_error(body: &Value, status: u16, message: String) -> EntityError {
    EntityError {
        status,
        error: text_field(body, "error"),
        message,
    }
}

fn json_bytes_request(method: Method, url: &str, body: Vec<u8>) -> Request {
    let mut request = Request::new(method, url);
    request.body = Some(body);
    request.header("content-type", "application/json")
}

impl UpsertResult {
    pub fn is_failed(&self) -> bool {
        matches!(self.status, UpsertStatus::Failed(_))
    }
}
