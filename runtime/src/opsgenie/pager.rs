//! Page-at-a-time listing: the caller handles one page before the next is requested, so memory is
//! bounded by the page size, not the account size.
//!
//! Pages are followed through `paging.next` verbatim. Alerts, incidents and services are also
//! capped at `offset + limit <= 20,000`; those lists are read oldest first
//! (`sort=createdAt&order=asc`) and, when the next offset would pass the cap, a new window starts
//! at offset 0 with `createdAt>=<newest createdAt seen>` added to the query. Items of the previous
//! window that share that last millisecond come back at the start of the new one and are dropped
//! by id, so every item is returned exactly once.

use super::{malformed, ListParams, OpsgenieClient, OpsgenieError, Resource};
use crate::http::time::parse_rfc3339_millis;
use crate::jq;
use reqwest::Url;
use serde_json::Value;
use std::collections::HashSet;

/// Pages of one list endpoint; see [`OpsgenieClient::list`].
#[derive(Debug)]
pub struct Pager {
    client: OpsgenieClient,
    resource: Resource,
    params: ListParams,
    state: State,
    window: Window,
    pages: u64,
    items: u64,
}

#[derive(Debug)]
enum State {
    /// Request the first page of the current window.
    Start,
    /// Follow this `paging.next` URL.
    Follow(String),
    Done,
}

impl Pager {
    pub(super) fn new(client: OpsgenieClient, resource: Resource, params: ListParams) -> Self {
        Pager {
            client,
            resource,
            params,
            state: State::Start,
            window: Window::new(resource.is_windowed()),
            pages: 0,
            items: 0,
        }
    }

    pub fn resource(&self) -> Resource {
        self.resource
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Items returned so far (after removing window-boundary duplicates).
    pub fn items(&self) -> u64 {
        self.items
    }

    /// `createdAt` windows started after the first one.
    pub fn windows(&self) -> u64 {
        self.window.restarts
    }

    /// The next page of items, or `None` when the list is exhausted. A page may be empty when
    /// it held only window-boundary duplicates.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Value>>, OpsgenieError> {
        let Some((url, what)) = self.next_url()? else {
            return Ok(None);
        };
        let reply = match self.client.send(&url, &what).await {
            Ok(reply) => reply,
            Err(error) => {
                self.state = State::Done;
                return Err(error);
            }
        };
        let status = reply.status;
        let message = reply.error_text();
        let mut body = reply.body;
        let next = body
            .pointer("/paging/next")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let data = match body.get_mut("data").map(Value::take) {
            Some(Value::Array(data)) if status != 404 => Some(data),
            _ => None,
        };
        self.finish_page(status, message, &what, next, data)
    }

    /// [`Pager::next_page`] with items decoded by the jq runtime's parser straight from the
    /// response bytes: keys keep the document's order and numbers Ocean's text, as in
    /// `opsgenie-port map`.
    pub async fn next_page_values(&mut self) -> Result<Option<Vec<jq::Value>>, OpsgenieError> {
        let Some((url, what)) = self.next_url()? else {
            return Ok(None);
        };
        let (reply, bytes) = match self.client.send_raw(&url, &what).await {
            Ok(answer) => answer,
            Err(error) => {
                self.state = State::Done;
                return Err(error);
            }
        };
        let status = reply.status;
        let message = reply.error_text();
        let mut next = None;
        let mut data = None;
        if status != 404 {
            let body = jq::parse_json_ocean(&bytes).map_err(|error| {
                self.state = State::Done;
                malformed(&what, &format!("invalid JSON: {error}"))
            })?;
            if let Some(object) = body.as_object() {
                next = object.get("paging").and_then(|paging| {
                    paging.as_object()?.get("next")?.as_str().map(str::to_owned)
                });
                data = object
                    .get("data")
                    .and_then(|d| d.as_array())
                    .map(|items| items.to_vec());
            }
        }
        self.finish_page(status, message, &what, next, data)
    }

    /// The URL of the next request, or `None` when done.
    fn next_url(&mut self) -> Result<Option<(Url, String)>, OpsgenieError> {
        let url = match &self.state {
            State::Done => return Ok(None),
            State::Start => self.first_url(),
            State::Follow(next) => self.checked_next_url(next)?,
        };
        Ok(Some((url, format!("GET /{}", self.resource.path()))))
    }

    /// Bookkeeping after a page: window-boundary duplicates dropped, next state chosen.
    fn finish_page<T: PageItem>(
        &mut self,
        status: u16,
        message: String,
        what: &str,
        next: Option<String>,
        data: Option<Vec<T>>,
    ) -> Result<Option<Vec<T>>, OpsgenieError> {
        if status == 404 {
            self.state = State::Done;
            return Err(OpsgenieError::Api {
                status: 404,
                what: what.to_owned(),
                message,
            });
        }
        let Some(data) = data else {
            self.state = State::Done;
            return Err(malformed(what, "no `data` list"));
        };
        self.pages += 1;
        let received = data.len();
        let items = self.window.accept(data);
        self.items += items.len() as u64;

        let page_size = self.client.inner.page_size;
        let cap = self.client.inner.offset_cap;
        self.state = match (next, received) {
            // An empty page ends the list even if the server offers a next link.
            (None, _) | (_, 0) => State::Done,
            (Some(next), _) => match self.window.after_page(received, page_size, cap) {
                Ok(true) => State::Start,
                Ok(false) => State::Follow(next),
                Err(detail) => {
                    self.state = State::Done;
                    return Err(OpsgenieError::OffsetCap {
                        resource: self.resource,
                        detail,
                    });
                }
            },
        };
        Ok(Some(items))
    }

    fn first_url(&self) -> Url {
        let limit = self.client.inner.page_size.to_string();
        let mut pairs: Vec<(&str, String)> = vec![("limit", limit)];
        if self.window.enabled {
            pairs.push(("sort", "createdAt".to_owned()));
            pairs.push(("order", "asc".to_owned()));
        }
        let query = match (&self.params.query, self.window.start_ms) {
            (Some(query), Some(start)) => Some(format!("({query}) AND createdAt>={start}")),
            (None, Some(start)) => Some(format!("createdAt>={start}")),
            (query, None) => query.clone(),
        };
        if let Some(query) = query {
            pairs.push(("query", query));
        }
        for (key, value) in &self.params.extra {
            pairs.push((key.as_str(), value.clone()));
        }
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let segments: Vec<&str> = self.resource.path().split('/').collect();
        self.client.url(&segments, &borrowed)
    }

    /// `paging.next` must stay on the configured host: the API key goes wherever it points.
    fn checked_next_url(&self, next: &str) -> Result<Url, OpsgenieError> {
        let what = format!("GET /{}", self.resource.path());
        self.client.checked_link(next, &what)
    }
}

/// What windowing reads from a listed item.
pub trait PageItem {
    fn item_id(&self) -> Option<&str>;
    fn created_at(&self) -> Option<&str>;
}

impl PageItem for Value {
    fn item_id(&self) -> Option<&str> {
        self.get("id").and_then(Value::as_str)
    }

    fn created_at(&self) -> Option<&str> {
        self.get("createdAt").and_then(Value::as_str)
    }
}

impl PageItem for jq::Value {
    fn item_id(&self) -> Option<&str> {
        self.as_object()?.get("id")?.as_str()
    }

    fn created_at(&self) -> Option<&str> {
        self.as_object()?.get("createdAt")?.as_str()
    }
}

/// Offset and `createdAt` bookkeeping for capped lists.
#[derive(Debug)]
struct Window {
    enabled: bool,
    /// `createdAt>=` bound of the current window; `None` for the first.
    start_ms: Option<i64>,
    /// Items received in this window, i.e. the offset of its next page.
    offset: usize,
    /// Newest `createdAt` returned so far, and the ids returned with exactly that value.
    boundary_ms: Option<i64>,
    boundary_ids: HashSet<String>,
    restarts: u64,
}

impl Window {
    fn new(enabled: bool) -> Self {
        Window {
            enabled,
            start_ms: None,
            offset: 0,
            boundary_ms: None,
            boundary_ids: HashSet::new(),
            restarts: 0,
        }
    }

    /// Drops items already returned at the boundary millisecond and tracks the new boundary.
    fn accept<T: PageItem>(&mut self, items: Vec<T>) -> Vec<T> {
        self.offset += items.len();
        if !self.enabled {
            return items;
        }
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            let id = item.item_id();
            let created = item.created_at().and_then(parse_rfc3339_millis);
            if let (Some(id), Some(created)) = (id, created) {
                match self.boundary_ms {
                    Some(boundary) if created == boundary => {
                        if !self.boundary_ids.insert(id.to_owned()) {
                            continue;
                        }
                    }
                    Some(boundary) if created < boundary => {}
                    _ => {
                        self.boundary_ms = Some(created);
                        self.boundary_ids.clear();
                        self.boundary_ids.insert(id.to_owned());
                    }
                }
            }
            kept.push(item);
        }
        kept
    }

    /// After a page with a next link: `Ok(true)` to start a new window, `Ok(false)` to follow.
    fn after_page(
        &mut self,
        received: usize,
        page_size: usize,
        cap: usize,
    ) -> Result<bool, String> {
        debug_assert!(received > 0);
        if !self.enabled || self.offset + page_size <= cap {
            return Ok(false);
        }
        let Some(boundary) = self.boundary_ms else {
            return Err("its items carry no createdAt to window on".to_owned());
        };
        if self.start_ms == Some(boundary) {
            return Err(format!(
                "more than {cap} items share createdAt {boundary} (epoch ms)"
            ));
        }
        self.start_ms = Some(boundary);
        self.offset = 0;
        self.restarts += 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(id: &str, created: &str) -> Value {
        json!({"id": id, "createdAt": created})
    }

    #[test]
    fn boundary_duplicates_are_dropped_once() {
        let mut window = Window::new(true);
        let first = window.accept(vec![
            item("a", "2024-01-01T00:00:00Z"),
            item("b", "2024-01-01T00:00:01Z"),
            item("c", "2024-01-01T00:00:01Z"),
        ]);
        assert_eq!(first.len(), 3);
        assert_eq!(window.after_page(3, 3, 5), Ok(true));
        assert_eq!(
            window.start_ms,
            parse_rfc3339_millis("2024-01-01T00:00:01Z")
        );
        assert_eq!(window.offset, 0);
        // The new window repeats b and c (same millisecond), then goes on.
        let second = window.accept(vec![
            item("b", "2024-01-01T00:00:01Z"),
            item("c", "2024-01-01T00:00:01.000Z"),
            item("d", "2024-01-01T00:00:01Z"),
            item("e", "2024-01-01T00:00:02Z"),
        ]);
        let ids: Vec<&str> = second.iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["d", "e"]);
        assert_eq!(window.offset, 4);
    }

    #[test]
    fn follows_links_below_the_cap() {
        let mut window = Window::new(true);
        window.accept(vec![item("a", "2024-01-01T00:00:00Z")]);
        assert_eq!(window.after_page(1, 2, 10), Ok(false));
        let mut plain = Window::new(false);
        plain.accept(vec![json!({"id": "x"}); 50]);
        assert_eq!(plain.after_page(50, 50, 10), Ok(false));
    }

    #[test]
    fn stuck_window_is_an_error() {
        let mut window = Window::new(true);
        window.accept(vec![item("a", "2024-01-01T00:00:00Z"); 1]);
        window.accept(vec![item("b", "2024-01-01T00:00:00Z")]);
        assert_eq!(window.after_page(1, 1, 2), Ok(true));
        window.accept(vec![
            item("c", "2024-01-01T00:00:00Z"),
            item("d", "2024-01-01T00:00:00Z"),
        ]);
        assert!(window
            .after_page(2, 1, 2)
            .unwrap_err()
            .contains("share createdAt"));
    }

    #[test]
    fn next_links_must_stay_on_the_api_host() {
        let client = OpsgenieClient::new(
            "http://127.0.0.1:9/",
            crate::secret::Secret::new("unit-test-genie-key"),
            super::super::OpsgenieOptions::default(),
        )
        .unwrap();
        let pager = client.list(Resource::Alerts, ListParams::none());
        assert!(pager
            .checked_next_url("http://127.0.0.1:9/v2/alerts?offset=100&limit=100")
            .is_ok());
        for foreign in [
            "http://127.0.0.1:10/v2/alerts?offset=100",
            "https://127.0.0.1:9/v2/alerts",
            "http://evil.example/v2/alerts",
            "not a url",
        ] {
            assert!(pager.checked_next_url(foreign).is_err(), "{foreign}");
        }
        let first = pager.first_url();
        assert_eq!(
            first.as_str(),
            "http://127.0.0.1:9/v2/alerts?limit=100&sort=createdAt&order=asc"
        );

        let mut windowed = client.list(Resource::Incidents, ListParams::with_query("status:open"));
        windowed.window.start_ms = Some(1_700_000_000_000);
        let query: Vec<(String, String)> = windowed
            .first_url()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert!(query.contains(&(
            "query".to_owned(),
            "(status:open) AND createdAt>=1700000000000".to_owned()
        )));
    }

    #[test]
    fn jq_items_window_like_serde_items() {
        let parse = |text: &str| jq::parse_json_ocean(text.as_bytes()).unwrap();
        let mut window = Window::new(true);
        let first = window.accept(vec![
            parse(r#"{"id": "a", "createdAt": "2024-01-01T00:00:00Z"}"#),
            parse(r#"{"createdAt": "2024-01-01T00:00:01Z", "id": "b"}"#),
        ]);
        assert_eq!(first.len(), 2);
        assert_eq!(window.after_page(2, 2, 3), Ok(true));
        let second = window.accept(vec![
            parse(r#"{"id": "b", "createdAt": "2024-01-01T00:00:01Z"}"#),
            parse(r#"{"id": "c", "createdAt": "2024-01-01T00:00:02Z"}"#),
        ]);
        let ids: Vec<&str> = second.iter().filter_map(PageItem::item_id).collect();
        assert_eq!(ids, ["c"]);
    }

    #[test]
    fn missing_created_at_cannot_window() {
        let mut window = Window::new(true);
        window.accept(vec![json!({"id": "s1"}), json!({"id": "s2"})]);
        assert!(window
            .after_page(2, 2, 3)
            .unwrap_err()
            .contains("no createdAt"));
    }
}
