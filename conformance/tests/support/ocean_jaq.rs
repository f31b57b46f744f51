//! Port Ocean's mapping rules on top of the jaq-core 3 interpreter: the reference side of the
//! differential test and of the mapping benchmark.
//!
//! Every mapping leaf of a port-app-config resource (after Ocean's quote rewrite) is compiled
//! once with jaq and evaluated independently on the full raw item: first output only; no output,
//! a runtime error or a compile error give `null`; the selector's first output must be a boolean;
//! identifier and blueprint must be truthy; `itemsToParse` fans out with the array removed from
//! the parent copy (ocean-core §3.3–3.4).

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use serde_json::Value as Json;

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// A compiled jq leaf; `None` when jaq rejected the program (Ocean: the field is `null`).
pub struct Leaf {
    pub program: String,
    filter: Option<Filter>,
}

/// What jaq made of one leaf on one input.
#[derive(Debug)]
pub enum LeafResult {
    Value(Val),
    NoOutput,
    Error(String),
}

impl Leaf {
    pub fn compile(program: &str, prelude: &str) -> Leaf {
        let rewritten =
            opsgenie_port_compiler::inputs::app_config::jqtext::ocean_quote_rewrite(program);
        Leaf {
            filter: compile_jaq(&format!("{prelude}{rewritten}")),
            program: rewritten,
        }
    }

    pub fn run(&self, input: &Val) -> LeafResult {
        let Some(filter) = &self.filter else {
            return LeafResult::Error("jaq could not compile the program".into());
        };
        let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
        match filter.id.run((ctx, input.clone())).map(unwrap_valr).next() {
            Some(Ok(v)) => LeafResult::Value(v),
            Some(Err(e)) => LeafResult::Error(e.to_string()),
            None => LeafResult::NoOutput,
        }
    }

    /// Ocean's rule for a mapping field: the first output, otherwise `null`.
    pub fn first_or_null(&self, input: &Val) -> Val {
        self.first_or_null_noted(input, "", &mut Vec::new())
    }

    /// [`Leaf::first_or_null`], recording a [`Note`] for `field` when the result is `null`
    /// because there was no output or an error (Ocean's "misconfiguration").
    pub fn first_or_null_noted(&self, input: &Val, field: &str, notes: &mut Vec<Note>) -> Val {
        match self.run(input) {
            LeafResult::Value(v) => v,
            LeafResult::NoOutput => {
                notes.push(Note {
                    field: field.to_string(),
                    error: false,
                });
                Val::Null
            }
            LeafResult::Error(_) => {
                notes.push(Note {
                    field: field.to_string(),
                    error: true,
                });
                Val::Null
            }
        }
    }
}

fn compile_jaq(code: &str) -> Option<Filter> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(&arena, File { code, path: () })
        .ok()?;
    Compiler::default().with_funs(funs).compile(modules).ok()
}

/// A field that became `null` because its expression had no output (`error: false`) or raised
/// an error (`error: true`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    pub field: String,
    pub error: bool,
}

/// A mapping value: a jq string, a search-query object (every string leaf is jq) or a list.
pub enum Node {
    Leaf(Leaf),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// A non-string scalar in the mapping, passed through.
    Constant(Json),
}

impl Node {
    fn from_json(v: &Json, prelude: &str) -> Node {
        match v {
            Json::String(s) => Node::Leaf(Leaf::compile(s, prelude)),
            Json::Object(m) => Node::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Node::from_json(v, prelude)))
                    .collect(),
            ),
            Json::Array(items) => {
                Node::Array(items.iter().map(|v| Node::from_json(v, prelude)).collect())
            }
            other => Node::Constant(other.clone()),
        }
    }

    fn eval(&self, input: &Val, field: &str, notes: &mut Vec<Note>) -> Val {
        match self {
            Node::Leaf(leaf) => leaf.first_or_null_noted(input, field, notes),
            Node::Object(entries) => Val::obj(
                entries
                    .iter()
                    .map(|(k, n)| {
                        let v = n.eval(input, &format!("{field}.{k}"), notes);
                        (Val::from(k.clone()), v)
                    })
                    .collect(),
            ),
            Node::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| n.eval(input, &format!("{field}[{i}]"), notes))
                .collect(),
            Node::Constant(c) => json_to_val(c),
        }
    }
}

/// `port.itemsToParse` and its options.
struct ItemsToParse {
    items: Leaf,
    name: String,
    /// `del(<path>)` for the top-level transform, when enabled.
    remove: Option<Leaf>,
}

/// One resource of a port-app-config, compiled for jaq.
pub struct Resource {
    pub kind: String,
    selector: Leaf,
    items_to_parse: Option<ItemsToParse>,
    identifier: Node,
    title: Option<Node>,
    blueprint: Node,
    icon: Option<Node>,
    team: Option<Node>,
    properties: Vec<(String, Node)>,
    relations: Vec<(String, Node)>,
}

/// What Ocean does with one item after fan-out, and the fields it would log as
/// misconfigured (sorted).
pub struct Mapped {
    pub outcome: Outcome,
    pub notes: Vec<Note>,
}

/// What Ocean does with one item after fan-out.
#[derive(Debug)]
pub enum Outcome {
    /// The entity as Port receives it (`identifier`, `title`?, `blueprint`, `icon`?, `team`?,
    /// `properties`, `relations`).
    Entity(Val),
    Filtered,
    SelectorError,
    Skipped,
}

/// The resources of an app config (`app_config_json`), each leaf prefixed with `prelude`
/// (jq definitions that shadow jaq's builtins; empty for plain jaq).
pub fn load_resources(app_config_json: &str, prelude: &str) -> Vec<Resource> {
    let config: Json = serde_json::from_str(app_config_json).expect("app_config_json is JSON");
    let empty = Vec::new();
    let resources = config["resources"].as_array().unwrap_or(&empty);
    resources
        .iter()
        .map(|r| Resource::from_json(r, prelude))
        .collect()
}

fn string_leaf(v: &Json, prelude: &str) -> Option<Leaf> {
    v.as_str().map(|s| Leaf::compile(s, prelude))
}

impl Resource {
    fn from_json(r: &Json, prelude: &str) -> Resource {
        let mappings = &r["port"]["entity"]["mappings"];
        let node = |key: &str| {
            let v = &mappings[key];
            (!v.is_null()).then(|| Node::from_json(v, prelude))
        };
        let entries = |key: &str| -> Vec<(String, Node)> {
            mappings[key]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), Node::from_json(v, prelude)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let port = &r["port"];
        let items_to_parse = port["itemsToParse"].as_str().map(|expr| ItemsToParse {
            items: Leaf::compile(expr, prelude),
            name: port["itemsToParseName"]
                .as_str()
                .unwrap_or("item")
                .to_string(),
            remove: port["itemsToParseTopLevelTransform"]
                .as_bool()
                .unwrap_or(true)
                .then(|| Leaf::compile(&format!("del({})", top_level_path(expr)), "")),
        });
        Resource {
            kind: r["kind"].as_str().unwrap_or_default().to_string(),
            selector: string_leaf(&r["selector"]["query"], prelude)
                .unwrap_or_else(|| Leaf::compile("true", "")),
            items_to_parse,
            identifier: node("identifier").unwrap_or(Node::Constant(Json::Null)),
            title: node("title"),
            blueprint: node("blueprint").unwrap_or(Node::Constant(Json::Null)),
            icon: node("icon"),
            team: node("team"),
            properties: entries("properties"),
            relations: entries("relations"),
        }
    }

    /// Every jq program of this resource, for failure reports.
    pub fn programs(&self) -> Vec<(String, String)> {
        fn walk(name: &str, n: &Node, out: &mut Vec<(String, String)>) {
            match n {
                Node::Leaf(l) => out.push((name.to_string(), l.program.clone())),
                Node::Object(es) => es
                    .iter()
                    .for_each(|(k, n)| walk(&format!("{name}.{k}"), n, out)),
                Node::Array(items) => items
                    .iter()
                    .enumerate()
                    .for_each(|(i, n)| walk(&format!("{name}[{i}]"), n, out)),
                Node::Constant(_) => {}
            }
        }
        let mut out = vec![("selector.query".to_string(), self.selector.program.clone())];
        if let Some(items) = &self.items_to_parse {
            out.push(("itemsToParse".into(), items.items.program.clone()));
        }
        walk("identifier", &self.identifier, &mut out);
        let optional = [
            ("title", &self.title),
            ("icon", &self.icon),
            ("team", &self.team),
        ];
        for (name, node) in optional {
            if let Some(n) = node {
                walk(name, n, &mut out);
            }
        }
        walk("blueprint", &self.blueprint, &mut out);
        for (k, n) in &self.properties {
            walk(&format!("properties.{k}"), n, &mut out);
        }
        for (k, n) in &self.relations {
            walk(&format!("relations.{k}"), n, &mut out);
        }
        out
    }

    /// A resync's handling of one raw item: fan-out, selector, mapping.
    pub fn map_raw(&self, raw: &Val) -> Vec<Mapped> {
        let bare = |outcome| Mapped {
            outcome,
            notes: Vec::new(),
        };
        self.expand(raw)
            .into_iter()
            .map(|item| match item {
                Err(note) => Mapped {
                    outcome: Outcome::Skipped,
                    notes: vec![note],
                },
                Ok(item) => match self.selector.run(&item) {
                    LeafResult::Value(Val::Bool(true)) => self.map(&item),
                    LeafResult::Value(Val::Bool(false)) => bare(Outcome::Filtered),
                    _ => bare(Outcome::SelectorError),
                },
            })
            .collect()
    }

    /// `itemsToParse` (ocean-core §3.4): `Err` marks a parent skipped because the expression
    /// did not yield an array. The note counts as an error unless there was no output at all
    /// (a non-array value is reported like an error, as the runtime does).
    fn expand(&self, raw: &Val) -> Vec<Result<Val, Note>> {
        let Some(spec) = &self.items_to_parse else {
            return vec![Ok(raw.clone())];
        };
        let list = match spec.items.run(raw) {
            LeafResult::Value(Val::Arr(list)) => list,
            other => {
                return vec![Err(Note {
                    field: "itemsToParse".into(),
                    error: !matches!(other, LeafResult::NoOutput),
                })]
            }
        };
        let parent = match &spec.remove {
            Some(del) => del.first_or_null(raw),
            None => raw.clone(),
        };
        let Val::Obj(parent) = parent else {
            return Vec::new();
        };
        list.iter()
            .map(|element| {
                let mut item = (*parent).clone();
                item.insert(Val::from(spec.name.clone()), element.clone());
                Ok(Val::obj(item))
            })
            .collect()
    }

    /// One item to an entity (the selector already passed). Every field is evaluated, as in
    /// Ocean, before identifier and blueprint decide whether the entity is kept.
    pub fn map(&self, item: &Val) -> Mapped {
        let mut notes = Vec::new();
        let mut entity = jaq_json::Map::default();
        let mut put = |name: &str, node: &Node, notes: &mut Vec<Note>| {
            let v = node.eval(item, name, notes);
            entity.insert(Val::from(name.to_string()), v);
        };
        put("identifier", &self.identifier, &mut notes);
        if let Some(t) = &self.title {
            put("title", t, &mut notes);
        }
        put("blueprint", &self.blueprint, &mut notes);
        if let Some(i) = &self.icon {
            put("icon", i, &mut notes);
        }
        if let Some(t) = &self.team {
            put("team", t, &mut notes);
        }
        let mut group = |name: &str, entries: &[(String, Node)], notes: &mut Vec<Note>| {
            let values = entries
                .iter()
                .map(|(k, n)| {
                    (
                        Val::from(k.clone()),
                        n.eval(item, &format!("{name}.{k}"), notes),
                    )
                })
                .collect();
            entity.insert(Val::from(name.to_string()), Val::obj(values));
        };
        group("properties", &self.properties, &mut notes);
        group("relations", &self.relations, &mut notes);
        notes.sort();
        let key = |k: &str| entity.get(&Val::from(k.to_string())).cloned();
        let kept = key("identifier").is_some_and(|v| truthy(&v))
            && key("blueprint").is_some_and(|v| truthy(&v));
        let outcome = if kept {
            Outcome::Entity(Val::obj(entity))
        } else {
            Outcome::Skipped
        };
        Mapped { outcome, notes }
    }
}

/// The simple path Ocean deletes from the parent copy: the leading `.a.b` of the expression,
/// `.` when there is none.
fn top_level_path(expr: &str) -> String {
    let expr = expr.trim();
    let mut end = 0;
    let bytes = expr.as_bytes();
    while end < bytes.len() && bytes[end] == b'.' {
        let start = end + 1;
        let mut i = start;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == start || bytes[start].is_ascii_digit() {
            break;
        }
        end = i;
    }
    if end == 0 {
        ".".into()
    } else {
        expr[..end].to_string()
    }
}

pub fn truthy(v: &Val) -> bool {
    !matches!(v, Val::Null | Val::Bool(false))
}

/// jaq value to serde_json with jq.py's boundary conversion (NaN → null, ±∞ → ±f64::MAX).
pub fn val_to_json(v: &Val) -> Json {
    match v {
        Val::Null => Json::Null,
        Val::Bool(b) => Json::Bool(*b),
        Val::Num(n) => {
            let x = num_to_f64(n);
            if x.is_nan() {
                Json::Null
            } else {
                let x = x.clamp(-f64::MAX, f64::MAX);
                serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
            }
        }
        Val::TStr(b) | Val::BStr(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Val::Arr(items) => Json::Array(items.iter().map(val_to_json).collect()),
        Val::Obj(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Val::TStr(b) | Val::BStr(b) => String::from_utf8_lossy(b).into_owned(),
                        other => other.to_string(),
                    };
                    (key, val_to_json(v))
                })
                .collect(),
        ),
    }
}

fn num_to_f64(n: &jaq_json::Num) -> f64 {
    match n {
        jaq_json::Num::Int(i) => *i as f64,
        jaq_json::Num::Float(f) => *f,
        jaq_json::Num::BigInt(b) => b.to_string().parse().unwrap_or(f64::NAN),
        jaq_json::Num::Dec(s) => s.parse().unwrap_or(f64::NAN),
    }
}

fn json_to_val(v: &Json) -> Val {
    jaq_json::read::parse_single(v.to_string().as_bytes()).unwrap_or(Val::Null)
}
