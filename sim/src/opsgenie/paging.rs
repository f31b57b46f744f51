//! Query-string handling for paged lists: parsing, Opsgenie's limits, and absolute `paging` links
//! that repeat the original query with the offset moved.

use serde_json::{Map, Value};

use super::response::ApiError;

/// Opsgenie refuses `offset + limit` beyond this (documented for alerts; also enforced here for
/// incidents and services, as Ocean assumes).
pub const MAX_OFFSET_PLUS_LIMIT: usize = 20_000;

/// Decodes an `application/x-www-form-urlencoded` query string.
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything except RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// First value of a parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// A paged list request.
#[derive(Clone, Debug)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
    pub sort: String,
    pub order: Order,
    pub query: String,
    /// All parameters as sent (other than offset/limit/sort/order), repeated in links.
    pub others: Vec<(String, String)>,
}

/// Defaults and limits of one list endpoint.
pub struct PageRules {
    pub default_limit: usize,
    pub default_sort: &'static str,
    pub default_order: Order,
    /// Whether `offset + limit ≤ 20000` applies.
    pub capped: bool,
}

fn invalid(field: &str, message: String) -> ApiError {
    let mut errors = Map::new();
    errors.insert(field.to_owned(), Value::from(message.clone()));
    ApiError::unprocessable(message).with_errors(errors)
}

impl Page {
    pub fn parse(params: &[(String, String)], rules: &PageRules) -> Result<Page, ApiError> {
        let number = |name: &str, default: usize| -> Result<usize, ApiError> {
            match param(params, name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| invalid(name, format!("{name} must be a non-negative integer"))),
            }
        };
        let offset = number("offset", 0)?;
        let limit = number("limit", rules.default_limit)?;
        if !(1..=100).contains(&limit) {
            return Err(invalid("limit", "limit must be between 1 and 100".into()));
        }
        if rules.capped && offset.saturating_add(limit) > MAX_OFFSET_PLUS_LIMIT {
            return Err(invalid(
                "offset",
                format!("offset + limit must be less than or equal to {MAX_OFFSET_PLUS_LIMIT}"),
            ));
        }
        let order = match param(params, "order") {
            None => rules.default_order,
            Some(o) if o.eq_ignore_ascii_case("asc") => Order::Asc,
            Some(o) if o.eq_ignore_ascii_case("desc") => Order::Desc,
            Some(o) => return Err(invalid("order", format!("Invalid order [{o}]"))),
        };
        Ok(Page {
            offset,
            limit,
            sort: param(params, "sort")
                .unwrap_or(rules.default_sort)
                .to_owned(),
            order,
            query: param(params, "query").unwrap_or("").to_owned(),
            others: params
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "offset" | "limit" | "sort" | "order"))
                .cloned()
                .collect(),
        })
    }

    fn url(&self, base_url: &str, path: &str, offset: usize) -> String {
        let mut url = format!("{base_url}{path}?");
        for (k, v) in &self.others {
            url.push_str(&format!("{}={}&", encode(k), encode(v)));
        }
        let order = if self.order == Order::Asc {
            "asc"
        } else {
            "desc"
        };
        url.push_str(&format!(
            "offset={offset}&limit={}&sort={}&order={order}",
            self.limit,
            encode(&self.sort)
        ));
        url
    }

    /// `paging` for a result of `total` matches: `first`, `last`, `next` (only if more remain)
    /// and, with `with_prev`, `prev` (only past the first page).
    pub fn links(&self, base_url: &str, path: &str, total: usize, with_prev: bool) -> Value {
        let mut paging = Map::new();
        if self.offset + self.limit < total {
            paging.insert(
                "next".into(),
                self.url(base_url, path, self.offset + self.limit).into(),
            );
        }
        if with_prev && self.offset > 0 {
            let prev = self.offset.saturating_sub(self.limit);
            paging.insert("prev".into(), self.url(base_url, path, prev).into());
        }
        paging.insert("first".into(), self.url(base_url, path, 0).into());
        let mut last = total.saturating_sub(1) / self.limit * self.limit;
        if last + self.limit > MAX_OFFSET_PLUS_LIMIT {
            last = MAX_OFFSET_PLUS_LIMIT - self.limit;
        }
        paging.insert("last".into(), self.url(base_url, path, last).into());
        Value::Object(paging)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_round_trip() {
        let parsed = parse_query(Some(
            "query=status%3Aopen+AND+priority%3AP1&limit=5&x=%zz&flag",
        ));
        assert_eq!(
            parsed[0],
            ("query".into(), "status:open AND priority:P1".into())
        );
        assert_eq!(parsed[1], ("limit".into(), "5".into()));
        assert_eq!(parsed[2], ("x".into(), "%zz".into()));
        assert_eq!(parsed[3], ("flag".into(), "".into()));
        assert_eq!(encode("status:open AND x"), "status%3Aopen%20AND%20x");
        assert_eq!(decode(&encode("a+b é/?&=")), "a+b é/?&=");
        assert_eq!(decode("%4"), "%4");
    }
}
