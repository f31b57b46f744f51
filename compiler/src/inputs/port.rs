//! The mapping and blueprints as Port holds them (`integration.config` and blueprint objects
//! from Port's API), loaded with the same loaders as files.
//!
//! Port's JSON has no file a user could open, so each object is serialised (pretty, keys in
//! `serde_json`'s order) into a virtual file of the [`SourceMap`] whose every key and value is
//! named by field path (`Port mapping: resources[2].port.entity.mappings.properties.title`,
//! `blueprint opsGenieAlert: schema.properties.status`). The JSON loader's offset maps then
//! place a jq sub-expression exactly, escapes included, and the renderers show the path.

use crate::diag::{Diagnostic, Diagnostics};
use crate::documents::json::parse_json;
use crate::documents::tree::{key_text, Node, NodeKind};
use crate::inputs::app_config::{canonical, load_app_config_root, AppConfig};
use crate::inputs::blueprint::blueprints_from_root;
use crate::inputs::mapdir::MappingDir;
use crate::inputs::schema::load_schema;
use crate::source::{FieldPath, FileId, SourceMap, Span};
use serde_json::Value;

/// What the mapping's virtual file and its field paths are called.
pub const MAPPING_ORIGIN: &str = "Port mapping";
/// The virtual file holding the blueprints (each one's paths start `blueprint <identifier>`).
pub const BLUEPRINTS_ORIGIN: &str = "Port blueprints";

/// Port's mapping and blueprints, loaded, with every loading diagnostic attributed.
#[derive(Debug)]
pub struct PortInputs {
    /// The loaded models, as a mapping directory would give them.
    pub dir: MappingDir,
    /// One entry per element of `resources`, whether it loaded or not.
    pub resources: Vec<PortResource>,
    /// Diagnostics of the config outside every resource, and of the source schemas.
    pub config_diagnostics: Vec<Diagnostic>,
    /// Diagnostics about Port's blueprints.
    pub blueprint_diagnostics: Vec<Diagnostic>,
}

/// One element of the config's `resources`.
#[derive(Debug)]
pub struct PortResource {
    pub index: usize,
    /// Its `kind`, when it is a string.
    pub kind: Option<String>,
    /// Whether it loaded into the model (`dir.config.resources` holds it).
    pub loaded: bool,
    /// Loading diagnostics located inside it (build-time severities).
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads Port's `integration.config` and blueprint objects; `sources` are the Opsgenie
/// schemas as `(kind, JSON text)`. Relation targets of the blueprints are not checked: Port
/// enforces them, and only the blueprints the mapping names are usually fetched.
pub fn load_port(config: &Value, blueprints: &[Value], sources: &[(&str, &str)]) -> PortInputs {
    let mut dir = MappingDir::default();
    let mut diags = Diagnostics::new();
    let (root, file) = add_mapping(&mut dir.sm, config, &mut diags);
    dir.config = root
        .as_ref()
        .and_then(|root| load_app_config_root(root, file, &mut diags));

    let resource_nodes: Vec<&Node> = root
        .as_ref()
        .and_then(|r| r.as_map())
        .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("resources")))
        .and_then(|(_, v)| v.as_seq())
        .map(|items| items.iter().collect())
        .unwrap_or_default();
    let mut resources: Vec<PortResource> = resource_nodes
        .iter()
        .enumerate()
        .map(|(index, node)| PortResource {
            index,
            kind: node.as_map().and_then(|m| {
                m.iter()
                    .find(|(k, _)| k.as_str() == Some("kind"))
                    .and_then(|(_, v)| v.as_str().map(str::to_string))
            }),
            loaded: dir
                .config
                .as_ref()
                .is_some_and(|c| c.resources.iter().any(|r| r.index == index)),
            diagnostics: Vec::new(),
        })
        .collect();
    let mut config_diagnostics = Vec::new();
    for d in diags {
        let inside = d
            .primary
            .as_ref()
            .and_then(|p| resource_nodes.iter().position(|n| contains(n.span, p.span)));
        match inside {
            Some(i) => resources[i].diagnostics.push(d),
            None => config_diagnostics.push(d),
        }
    }

    let mut source_diags = Diagnostics::new();
    for (kind, text) in sources {
        let shown = format!("<built-in>/sources/{kind}.json");
        if let Some(schema) = load_schema(&mut dir.sm, &shown, text.to_string(), &mut source_diags)
        {
            dir.schemas.insert(kind.to_string(), schema);
        }
    }
    config_diagnostics.extend(source_diags);

    let mut bp_diags = Diagnostics::new();
    if let Some(root) = add_blueprints(&mut dir.sm, blueprints, &mut bp_diags) {
        dir.blueprints = blueprints_from_root(&root, &mut bp_diags);
    }
    PortInputs {
        dir,
        resources,
        config_diagnostics,
        blueprint_diagnostics: bp_diags.into_vec(),
    }
}

/// The config's normalised form (see [`canonical`]), or `None` when it does not load: the
/// config as a whole, or any resource, has a diagnostic that blocks at run time.
pub fn canonical_config(config: &Value) -> Option<Value> {
    let mut sm = SourceMap::new();
    let mut diags = Diagnostics::new();
    let (root, file) = add_mapping(&mut sm, config, &mut diags);
    let loaded: AppConfig = load_app_config_root(&root?, file, &mut diags)?;
    let blocked = diags
        .into_iter()
        .map(crate::diag::run_time::for_run_time)
        .any(|d| d.is_error());
    (!blocked).then(|| canonical::canonical(&loaded))
}

/// Serialises the config into its virtual file and parses it back with spans.
fn add_mapping(
    sm: &mut SourceMap,
    config: &Value,
    diags: &mut Diagnostics,
) -> (Option<Node>, FileId) {
    let text = serde_json::to_string_pretty(config).unwrap_or_else(|_| "null".into());
    let file = sm.add_port(MAPPING_ORIGIN, text);
    let root = parse_json(sm, file, diags);
    if let Some(root) = &root {
        let mut paths = Vec::new();
        index_paths(root, MAPPING_ORIGIN, &mut String::new(), &mut paths);
        sm.set_field_paths(file, paths);
    }
    (root, file)
}

/// Serialises the blueprints (as one JSON list) into their virtual file; each blueprint's
/// paths are named after its identifier.
fn add_blueprints(
    sm: &mut SourceMap,
    blueprints: &[Value],
    diags: &mut Diagnostics,
) -> Option<Node> {
    let list = Value::Array(blueprints.to_vec());
    let text = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".into());
    let file = sm.add_port(BLUEPRINTS_ORIGIN, text);
    let root = parse_json(sm, file, diags)?;
    let mut paths = vec![region(root.span, BLUEPRINTS_ORIGIN, "")];
    for (i, item) in root.as_seq().unwrap_or_default().iter().enumerate() {
        let origin = match blueprints.get(i).and_then(|b| b.get("identifier")) {
            Some(Value::String(id)) => format!("blueprint {id}"),
            _ => format!("blueprint #{i}"),
        };
        index_paths(item, &origin, &mut String::new(), &mut paths);
    }
    sm.set_field_paths(file, paths);
    Some(root)
}

/// Names every value and key under `node`, `path` being `node`'s own path.
fn index_paths(node: &Node, origin: &str, path: &mut String, out: &mut Vec<FieldPath>) {
    out.push(region(node.span, origin, path));
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                let len = path.len();
                push_key(path, &key_text(key));
                out.push(region(key.span, origin, path));
                index_paths(value, origin, path, out);
                path.truncate(len);
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                index_paths(item, origin, path, out);
                path.truncate(len);
            }
        }
        NodeKind::Scalar(_) => {}
    }
}

fn region(span: Span, origin: &str, path: &str) -> FieldPath {
    FieldPath {
        start: span.start,
        end: span.end,
        origin: origin.to_string(),
        path: path.to_string(),
    }
}

/// `a.b`, or `a["odd key"]` for keys that are not plain names.
fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-@$=".contains(c));
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(key).unwrap_or_default());
        path.push(']');
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_keys_values_and_elements() {
        let mut sm = SourceMap::new();
        let config = serde_json::json!({"resources": [{"kind": "alert", "odd.key": {"x": 1}}]});
        let (root, file) = add_mapping(&mut sm, &config, &mut Diagnostics::new());
        assert!(root.is_some());
        let text = sm.text(file).to_string();
        let at = |needle: &str| {
            let start = text.find(needle).expect("in text");
            sm.location(Span::new(file, start, start + needle.len()))
        };
        assert_eq!(at("\"alert\""), "Port mapping: resources[0].kind");
        assert_eq!(at("\"kind\""), "Port mapping: resources[0].kind");
        assert_eq!(at("1"), "Port mapping: resources[0][\"odd.key\"].x");
        assert_eq!(at("{"), "Port mapping");
    }
}
