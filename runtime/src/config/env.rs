//! Environment variables → a nested JSON tree, the way Port Ocean (pydantic v1 settings) reads them.
//!
//! Names are case-insensitive and nested on `__`. A variable naming a complex field may hold JSON
//! (`OCEAN__EVENT_LISTENER='{"type":"POLLING"}'`); deeper variables (`OCEAN__EVENT_LISTENER__TYPE`)
//! are exploded into string leaves and deep-merged over it, so the more specific one wins.

use serde_json::{Map, Value};
use std::collections::HashMap;

/// Merges `.env` text (lowest precedence) with real environment variables, keyed by lowercase
/// name so `ocean__x` in `.env` and `OCEAN__X` in the environment are the same setting.
pub(crate) fn merge_sources(
    dotenv: Option<&str>,
    env: impl IntoIterator<Item = (String, String)>,
) -> HashMap<String, String> {
    let mut merged = HashMap::new();
    if let Some(text) = dotenv {
        for (key, value) in parse_dotenv(text) {
            merged.insert(key.to_ascii_lowercase(), value);
        }
    }
    for (key, value) in env {
        merged.insert(key.to_ascii_lowercase(), value);
    }
    merged
}

/// The variables under `prefix` (lowercase, e.g. `ocean__`) as a nested tree.
pub(crate) fn tree(vars: &HashMap<String, String>, prefix: &str) -> Map<String, Value> {
    let mut entries: Vec<(Vec<&str>, &String)> = vars
        .iter()
        .filter_map(|(key, value)| {
            let rest = key.strip_prefix(prefix)?;
            let path: Vec<&str> = rest.split("__").collect();
            if path.iter().any(|segment| segment.is_empty()) {
                return None;
            }
            Some((path, value))
        })
        .collect();
    // Shorter paths first, so exploded sub-variables merge over a JSON-valued parent.
    entries.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));

    let mut root = Map::new();
    for (path, raw) in entries {
        insert(&mut root, &path, parse_value(raw));
    }
    root
}

fn parse_value(raw: &str) -> Value {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(parsed) = serde_json::from_str::<Value>(raw) {
            return normalize_keys(parsed);
        }
    }
    Value::String(raw.to_owned())
}

/// JSON object keys become snake_case lowercase, matching exploded variable names
/// (`{"apiToken": ..}` and `..__API_TOKEN` name the same field).
fn normalize_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (snake_case(&key), normalize_keys(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_keys).collect()),
        other => other,
    }
}

/// `apiToken` → `api_token`, `API_URL` → `api_url`.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn insert(node: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        match node.get_mut(*first) {
            Some(existing) => deep_merge(existing, value),
            None => {
                node.insert((*first).to_owned(), value);
            }
        }
        return;
    }
    let child = node
        .entry((*first).to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        // A scalar parent cannot hold sub-fields; the more specific variables win.
        *child = Value::Object(Map::new());
    }
    if let Value::Object(map) = child {
        insert(map, rest, value);
    }
}

fn deep_merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base_map), Value::Object(overlay_map)) => {
            for (key, value) in overlay_map {
                match base_map.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base_map.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// `KEY=VALUE` lines: `#` comments, optional `export `, single or double quotes (double quotes
/// understand `\n`, `\"`, `\\`), ` #` starts a comment after an unquoted value. Malformed lines
/// are skipped, as python-dotenv does.
pub(crate) fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        pairs.push((key.to_owned(), unquote(value.trim())));
    }
    pairs
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('\'') {
        if let Some(end) = inner.find('\'') {
            return inner[..end].to_owned();
        }
    }
    if let Some(inner) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return out,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                other => out.push(other),
            }
        }
        // Unterminated quote: keep what was written.
        return value.to_owned();
    }
    match value.find(" #") {
        Some(comment) => value[..comment].trim_end().to_owned(),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        merge_sources(
            None,
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn exploded_variables_merge_over_json_parent() {
        let tree = tree(
            &vars(&[
                (
                    "OCEAN__EVENT_LISTENER",
                    r#"{"type":"POLLING","interval":5}"#,
                ),
                ("ocean__event_listener__TYPE", "ONCE"),
            ]),
            "ocean__",
        );
        assert_eq!(
            Value::Object(tree),
            json!({"event_listener": {"type": "ONCE", "interval": 5}})
        );
    }

    #[test]
    fn json_keys_are_snake_cased() {
        let tree = tree(
            &vars(&[(
                "OCEAN__INTEGRATION__CONFIG",
                r#"{"apiToken":"t","apiUrl":"u"}"#,
            )]),
            "ocean__",
        );
        assert_eq!(
            Value::Object(tree),
            json!({"integration": {"config": {"api_token": "t", "api_url": "u"}}})
        );
    }

    #[test]
    fn other_prefixes_and_empty_segments_are_ignored() {
        let tree = tree(
            &vars(&[
                ("APPLICATION__PORT", "1"),
                ("OCEAN____X", "2"),
                ("OCEANX", "3"),
            ]),
            "ocean__",
        );
        assert!(tree.is_empty());
    }

    #[test]
    fn dotenv_lines() {
        let parsed = parse_dotenv(
            "# comment\nexport A=1\nB = 'two words'\nC=\"line\\nbreak\"\nD=plain # note\nnot a pair\n",
        );
        assert_eq!(
            parsed,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "line\nbreak".into()),
                ("D".into(), "plain".into()),
            ]
        );
    }

    #[test]
    fn real_environment_overrides_dotenv_case_insensitively() {
        let merged = merge_sources(
            Some("ocean__port__client_id=from-file\nOCEAN__X=1"),
            [("OCEAN__PORT__CLIENT_ID".to_owned(), "from-env".to_owned())],
        );
        assert_eq!(merged["ocean__port__client_id"], "from-env");
        assert_eq!(merged["ocean__x"], "1");
    }

    #[test]
    fn snake_case_examples() {
        assert_eq!(snake_case("apiToken"), "api_token");
        assert_eq!(snake_case("api_url"), "api_url");
        assert_eq!(snake_case("resyncOnStart"), "resync_on_start");
        assert_eq!(snake_case("TYPE"), "type");
    }
}
