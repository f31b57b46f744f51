//! `selector.apiQueryParams` → Opsgenie list parameters.
//!
//! Ocean renders the search query with its Python field names (`is_seen:True`, `created_at:...`),
//! which Opsgenie does not know (ocean-core.md §8.3). Here the same config keys (camelCase or
//! snake_case) become Opsgenie's camelCase field names with lowercase booleans, time fields given
//! as dates become the epoch milliseconds Opsgenie compares, and values with spaces are quoted.

use crate::http::time::parse_rfc3339_millis;
use serde_json::{Map, Value};
use std::fmt;

/// Keys of `apiQueryParams` that are request parameters of their own, not search terms.
const PLAIN_PARAMS: [&str; 1] = ["expand"];

/// Search fields whose values Opsgenie compares as epoch milliseconds.
const TIME_FIELDS: [&str; 4] = [
    "createdAt",
    "lastOccurredAt",
    "snoozedUntil",
    "postmortemPublishDueDate",
];

/// Rendered list parameters: the `query=` search string and any plain parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListParams {
    /// Search terms joined by ` AND `; `None` when there are none.
    pub query: Option<String>,
    /// Other parameters, e.g. `("expand", "rotation")`.
    pub extra: Vec<(String, String)>,
}

impl ListParams {
    pub fn none() -> Self {
        ListParams::default()
    }

    pub fn with_query(query: impl Into<String>) -> Self {
        ListParams {
            query: Some(query.into()),
            extra: Vec::new(),
        }
    }

    /// Renders an `apiQueryParams` object.
    pub fn from_api_query_params(params: &Map<String, Value>) -> Result<Self, QueryParamError> {
        let mut terms = Vec::new();
        let mut extra = Vec::new();
        for (key, value) in params {
            if value.is_null() {
                continue;
            }
            let field = camel_case(key);
            if PLAIN_PARAMS.contains(&field.as_str()) {
                extra.push((field, plain_value(key, value)?));
                continue;
            }
            terms.push(format!("{field}:{}", search_value(key, &field, value)?));
        }
        Ok(ListParams {
            query: (!terms.is_empty()).then(|| terms.join(" AND ")),
            extra,
        })
    }
}

/// An `apiQueryParams` value that cannot be expressed as an Opsgenie parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryParamError {
    pub key: String,
    pub problem: String,
}

impl fmt::Display for QueryParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "apiQueryParams.{}: {}", self.key, self.problem)
    }
}

impl std::error::Error for QueryParamError {}

/// `is_seen` → `isSeen`; camelCase input is kept.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper_next = false;
    for c in name.chars() {
        if c == '_' {
            upper_next = !out.is_empty();
        } else if upper_next {
            out.push(c.to_ascii_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn plain_value(key: &str, value: &Value) -> Result<String, QueryParamError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        // Opsgenie takes csv for `expand`.
        Value::Array(items) => items
            .iter()
            .map(|item| plain_value(key, item))
            .collect::<Result<Vec<_>, _>>()
            .map(|parts| parts.join(",")),
        _ => Err(QueryParamError {
            key: key.to_owned(),
            problem: "must be a string, number, boolean or list".to_owned(),
        }),
    }
}

fn search_value(key: &str, field: &str, value: &Value) -> Result<String, QueryParamError> {
    match value {
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        Value::String(text) => {
            if TIME_FIELDS.contains(&field) {
                if let Some(millis) = parse_rfc3339_millis(text) {
                    return Ok(millis.to_string());
                }
            }
            Ok(quote_if_needed(text))
        }
        Value::Array(items) if !items.is_empty() => {
            let alternatives = items
                .iter()
                .map(|item| match item {
                    Value::Array(_) | Value::Object(_) | Value::Null => Err(QueryParamError {
                        key: key.to_owned(),
                        problem: "list items must be strings, numbers or booleans".to_owned(),
                    }),
                    scalar => search_value(key, field, scalar),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", alternatives.join(" OR ")))
        }
        _ => Err(QueryParamError {
            key: key.to_owned(),
            problem: "must be a string, number, boolean or non-empty list".to_owned(),
        }),
    }
}

/// Quotes values the query parser would otherwise split (spaces, parentheses, quotes).
fn quote_if_needed(text: &str) -> String {
    let needs_quotes = text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | '"' | ':'));
    if !needs_quotes {
        return text.to_owned();
    }
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(params: Value) -> Result<ListParams, QueryParamError> {
        ListParams::from_api_query_params(params.as_object().unwrap())
    }

    #[test]
    fn camel_case_names_and_lowercase_booleans() {
        let rendered = render(
            json!({"status": "open", "is_seen": false, "acknowledged": true,
                                     "acknowledged_by": "jane@example.com", "priority": "P1"}),
        )
        .unwrap();
        let query = rendered.query.unwrap();
        let mut terms: Vec<&str> = query.split(" AND ").collect();
        terms.sort_unstable();
        assert_eq!(
            terms,
            [
                "acknowledged:true",
                "acknowledgedBy:jane@example.com",
                "isSeen:false",
                "priority:P1",
                "status:open"
            ]
        );
        assert!(rendered.extra.is_empty());
    }

    #[test]
    fn time_fields_become_epoch_millis() {
        let rendered = render(json!({"createdAt": "2024-01-31T12:00:00Z",
                                     "snoozed_until": "1706702400000"}))
        .unwrap();
        let query = rendered.query.unwrap();
        assert!(query.contains("createdAt:1706702400000"), "{query}");
        assert!(query.contains("snoozedUntil:1706702400000"), "{query}");
    }

    #[test]
    fn quoting_lists_and_expand() {
        let rendered = render(
            json!({"message": "disk \"full\" now", "priority": ["P1", "P2"],
                                     "expand": "rotation", "owner": null}),
        )
        .unwrap();
        let query = rendered.query.unwrap();
        assert!(query.contains(r#"message:"disk \"full\" now""#), "{query}");
        assert!(query.contains("priority:(P1 OR P2)"), "{query}");
        assert!(!query.contains("owner"));
        assert_eq!(
            rendered.extra,
            [("expand".to_owned(), "rotation".to_owned())]
        );
    }

    #[test]
    fn empty_params_give_no_query_and_objects_are_errors() {
        assert_eq!(render(json!({})).unwrap(), ListParams::none());
        let error = render(json!({"details": {"a": 1}})).unwrap_err();
        assert_eq!(error.key, "details");
        assert!(error.to_string().starts_with("apiQueryParams.details:"));
    }

    #[test]
    fn camel_case_examples() {
        assert_eq!(camel_case("is_seen"), "isSeen");
        assert_eq!(camel_case("lastOccurredAt"), "lastOccurredAt");
        assert_eq!(camel_case("last_occurred_at"), "lastOccurredAt");
        assert_eq!(camel_case("status"), "status");
    }
}
