//! Property-based raw items: JSON text generated from a kind's source schema
//! (mappings/sources/*.json) with a seeded RNG. Fields come and go; values mostly follow the
//! schema but sometimes have the wrong type (strings where objects are expected, null, `3.0`,
//! `1.5`, unicode, empty arrays …), so the compiled code's type handling is exercised too.

use opsgenie_port_sim::generate::Rng;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

/// The kinds' schemas, for `$ref` between them.
pub struct Schemas {
    by_kind: HashMap<String, Json>,
}

impl Schemas {
    pub fn load(dir: &Path) -> Schemas {
        let mut by_kind = HashMap::new();
        for entry in std::fs::read_dir(dir).expect("schema directory") {
            let path = entry.expect("directory entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let kind = path.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).expect("schema file");
                by_kind.insert(kind, serde_json::from_str(&text).expect("schema is JSON"));
            }
        }
        Schemas { by_kind }
    }

    /// One raw item of `kind` as JSON text.
    pub fn generate(&self, kind: &str, rng: &mut Rng) -> String {
        let schema = &self.by_kind[kind];
        let mut out = String::new();
        Gen { schemas: self, rng }.object(schema, 0, &mut out);
        out
    }
}

struct Gen<'a, 'r> {
    schemas: &'a Schemas,
    rng: &'r mut Rng,
}

/// Deeper than this, `$ref` enrichments (service → incidents → services …) stop.
const MAX_DEPTH: usize = 4;

const NUMBER_LITERALS: &[&str] = &[
    "0",
    "1",
    "2",
    "42",
    "-7",
    "3.0",
    "1.5",
    "-0",
    "1e3",
    "0.1",
    "1.0e-5",
    "12345678901234567890",
    "1717200000000",
];

const STRINGS: &[&str] = &[
    "",
    "open",
    "closed",
    "team",
    "user",
    "a_b",
    "_leading",
    "trailing_",
    "x_y_z",
    "Ünïcödé ☃",
    "日本語のサービス",
    "emoji 😀 🚀",
    "Service: DB/prod (eu-west)",
    "quote \" and back\\slash",
    "tab\tnew\nline",
    "\u{1}ctl",
    "2024-01-02T03:04:05.678Z",
    "P1",
    "null",
    "true",
    "3.0",
    "user1@example.com",
];

impl Gen<'_, '_> {
    fn value(&mut self, schema: &Json, depth: usize, out: &mut String) {
        if let Some(kind) = schema.get("$ref").and_then(Json::as_str) {
            if depth >= MAX_DEPTH {
                out.push_str(if self.rng.chance(50) { "null" } else { "{}" });
                return;
            }
            let target = &self.schemas.by_kind[kind];
            return self.object(target, depth + 1, out);
        }
        if self.rng.chance(10) {
            return self.wrong(depth, out);
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Json::String(t)) => vec![t.as_str()],
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let Some(&ty) = (!types.is_empty()).then(|| self.rng.pick(&types)) else {
            return self.any(depth, out);
        };
        match ty {
            "string" => match schema.get("enum").and_then(Json::as_array) {
                Some(values) if self.rng.chance(90) => {
                    let v = self.rng.pick(values);
                    out.push_str(&v.to_string());
                }
                _ => self.string(out),
            },
            "integer" => {
                let n = self.rng.below(1000);
                let _ = write!(out, "{n}");
            }
            "number" => out.push_str(self.rng.pick::<&str>(NUMBER_LITERALS)),
            "boolean" => out.push_str(if self.rng.chance(50) { "true" } else { "false" }),
            "null" => out.push_str("null"),
            "object" => self.object(schema, depth + 1, out),
            "array" => {
                let len = self.length();
                let items = schema.get("items").cloned().unwrap_or(Json::Null);
                out.push('[');
                for i in 0..len {
                    if i > 0 {
                        out.push(',');
                    }
                    if items.is_null() {
                        self.any(depth + 1, out);
                    } else {
                        self.value(&items, depth + 1, out);
                    }
                }
                out.push(']');
            }
            _ => self.any(depth, out),
        }
    }

    /// 0–3 elements mostly, sometimes 5.
    fn length(&mut self) -> u64 {
        if self.rng.chance(10) {
            5
        } else {
            self.rng.below(4)
        }
    }

    fn object(&mut self, schema: &Json, depth: usize, out: &mut String) {
        out.push('{');
        let mut first = true;
        let mut key = |out: &mut String, k: &str| {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
            out.push_str(&Json::from(k).to_string());
            out.push(':');
        };
        if let Some(props) = schema.get("properties").and_then(Json::as_object) {
            for (name, sub) in props {
                if self.rng.chance(85) {
                    key(out, name);
                    self.value(sub, depth, out);
                }
            }
        }
        // Free-form maps get a couple of keys of their value schema.
        match schema.get("additionalProperties") {
            Some(extra @ Json::Object(_)) => {
                for _ in 0..self.rng.below(3) {
                    let name = format!("k{}", self.rng.below(1000));
                    key(out, &name);
                    self.value(extra, depth, out);
                }
            }
            Some(Json::Bool(true)) if self.rng.chance(30) => {
                key(out, "extra");
                self.any(depth, out);
            }
            _ => {}
        }
        out.push('}');
    }

    /// A value of a type the schema does not promise.
    fn wrong(&mut self, depth: usize, out: &mut String) {
        match self.rng.below(9) {
            0 | 1 => out.push_str("null"),
            2 => out.push_str("3.0"),
            3 => out.push_str("1.5"),
            4 => out.push_str("[]"),
            5 => out.push_str("{}"),
            6 => out.push_str(if self.rng.chance(50) { "true" } else { "false" }),
            7 => self.string(out),
            _ => self.any(depth, out),
        }
    }

    /// Any JSON value (schema `{}`), shallow.
    fn any(&mut self, depth: usize, out: &mut String) {
        let choice = if depth >= MAX_DEPTH {
            self.rng.below(4)
        } else {
            self.rng.below(6)
        };
        match choice {
            0 => out.push_str("null"),
            1 => out.push_str(self.rng.pick::<&str>(NUMBER_LITERALS)),
            2 => self.string(out),
            3 => out.push_str(if self.rng.chance(50) { "true" } else { "false" }),
            4 => {
                out.push('[');
                for i in 0..self.rng.below(3) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.any(depth + 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..self.rng.below(3) {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "\"f{i}\":");
                    self.any(depth + 1, out);
                }
                out.push('}');
            }
        }
    }

    fn string(&mut self, out: &mut String) {
        let s = match self.rng.below(4) {
            0 => self.rng.uuid(),
            1 => {
                // Random printable mix, including characters identifier regexes replace.
                const CHARS: &[char] = &[
                    'a', 'Z', '0', '9', '_', '-', '.', ':', '/', '=', '@', ' ', '!', '#', 'é', 'ß',
                    '☃', '😀', '"', '\\', '\'', '\n',
                ];
                (0..self.rng.below(12))
                    .map(|_| *self.rng.pick(CHARS))
                    .collect()
            }
            _ => self.rng.pick(STRINGS).to_string(),
        };
        out.push_str(&Json::from(s).to_string());
    }
}
