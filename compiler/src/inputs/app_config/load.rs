//! Validation of a loaded document into [`AppConfig`]: every problem is reported (unknown and
//! missing keys, wrong types, duplicates, unknown kinds), and whatever is valid is kept, so
//! later passes see as much of the mapping as possible without cascading errors.

use super::jqtext::JqSource;
use super::kinds::{self, ParamKind};
use super::model::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::documents::tree::{key_text, Node, NodeKind, ScalarType};
use crate::source::{FileId, SourceMap, Span};
use crate::suggest::help_did_you_mean;

/// Loads and validates a port-app-config (YAML, or JSON when `path` ends in `.json`).
/// Returns `None` only when the file cannot be read as a mapping at all.
pub fn load_app_config(
    sm: &mut SourceMap,
    path: &str,
    text: String,
    diags: &mut Diagnostics,
) -> Option<AppConfig> {
    let file = sm.add(path, text);
    load_app_config_file(sm, file, diags)
}

/// As [`load_app_config`], for a file already in the source map.
pub fn load_app_config_file(
    sm: &SourceMap,
    file: FileId,
    diags: &mut Diagnostics,
) -> Option<AppConfig> {
    let root = if sm.path(file).ends_with(".json") {
        crate::documents::json::parse_json(sm, file, diags)?
    } else {
        match crate::documents::yaml::parse_yaml(sm, file, diags) {
            Ok(Some(root)) => root,
            Ok(None) => {
                let end = sm.text(file).len();
                diags.push(
                    Diagnostic::error("E0005", "the mapping file is empty")
                        .with_primary(Span::new(file, 0, end.min(1)), "")
                        .with_help("a port-app-config is a mapping with a `resources:` list"),
                );
                return None;
            }
            Err(()) => return None,
        }
    };
    load_app_config_root(&root, file, diags)
}

/// As [`load_app_config`], for a document already parsed (e.g. Port's JSON, see
/// [`crate::inputs::port`]).
pub fn load_app_config_root(
    root: &Node,
    file: FileId,
    diags: &mut Diagnostics,
) -> Option<AppConfig> {
    let mut cx = Cx { diags };
    cx.app_config(root, file)
}

const TOP_KEYS: &[&str] = &[
    "enableMergeEntity",
    "deleteDependentEntities",
    "createMissingRelatedEntities",
    "entityDeletionThreshold",
    "resources",
    // Ocean's model also allows population by field name.
    "enable_merge_entity",
    "delete_dependent_entities",
    "create_missing_related_entities",
    "entity_deletion_threshold",
];
const RESOURCE_KEYS: &[&str] = &["kind", "selector", "port"];
const PORT_KEYS: &[&str] = &[
    "entity",
    "itemsToParse",
    "itemsToParseName",
    "itemsToParseTopLevelTransform",
];
const ENTITY_KEYS: &[&str] = &["mappings"];
const MAPPING_KEYS: &[&str] = &[
    "identifier",
    "title",
    "blueprint",
    "icon",
    "team",
    "properties",
    "relations",
];
const SEARCH_KEYS: &[&str] = &["combinator", "rules"];
const RULE_KEYS: &[&str] = &["property", "operator", "value"];

struct Cx<'d> {
    diags: &'d mut Diagnostics,
}

/// The entries of a mapping node, checked for duplicates and unknown keys.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
    /// Known keys that an unknown key probably meant; their "missing" error would repeat it.
    misspelt: Vec<String>,
    /// Where "missing key" diagnostics point (the parent's key, or the mapping itself).
    owner: Span,
    what: String,
}

impl<'n> Fields<'n> {
    /// The value under the first of `names` present (aliases of one field).
    fn get(&self, names: &[&str]) -> Option<(&'n Node, &'n Node)> {
        self.entries
            .iter()
            .find(|(k, _, _)| names.contains(k))
            .map(|&(_, k, v)| (k, v))
    }
}

impl Cx<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.push(
            Diagnostic::error(
                "E0005",
                format!("{what} must be {expected}, found {}", node.type_name()),
            )
            .with_primary(node.span, format!("expected {expected}")),
        );
    }

    /// Reads a mapping's entries; reports E0003 for keys outside `allowed` (when given),
    /// E0006 for duplicates (including two spellings of one field), E0005 if not a mapping.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        owner: Span,
        allowed: Option<&[&str]>,
        same_field: &[(&str, &str)],
    ) -> Option<Fields<'n>> {
        let Some(map) = node.as_map() else {
            self.wrong_type(node, what, "a mapping");
            return None;
        };
        let mut entries: Vec<(&'n str, &'n Node, &'n Node)> = Vec::new();
        let mut misspelt = Vec::new();
        // Position in `entries` by canonical name: a wide mapping (every property a key) is
        // checked for duplicates in linear time.
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (key, value) in map {
            let Some(name) = key.as_scalar().map(|s| s.value.as_str()) else {
                self.wrong_type(key, &format!("a key of {what}"), "a string");
                continue;
            };
            let canonical = same_field
                .iter()
                .find(|(a, b)| *a == name || *b == name)
                .map_or(name, |(a, _)| *a);
            if let Some((first, first_key, _)) = seen.get(canonical).map(|&i| &entries[i]) {
                let message = if *first == name {
                    format!("duplicate key `{name}` in {what}")
                } else {
                    format!("`{name}` and `{first}` set the same field of {what}")
                };
                self.push(
                    Diagnostic::error("E0006", message)
                        .with_primary(key.span, "duplicate")
                        .with_secondary(first_key.span, "first given here")
                        .with_help("remove one of them"),
                );
                continue;
            }
            if let Some(allowed) = allowed {
                if !allowed.contains(&name) {
                    self.unknown_key(key, name, what, allowed);
                    if let Some(meant) = crate::suggest::did_you_mean(name, allowed.iter().copied())
                    {
                        misspelt.push(meant.to_string());
                    }
                    continue;
                }
            }
            seen.insert(canonical, entries.len());
            entries.push((name, key, value));
        }
        Some(Fields {
            entries,
            misspelt,
            owner,
            what: what.to_string(),
        })
    }

    fn unknown_key(&mut self, key: &Node, name: &str, what: &str, allowed: &[&str]) {
        let expected: Vec<String> = allowed
            .iter()
            .filter(|k| !k.contains('_'))
            .map(|k| format!("`{k}`"))
            .collect();
        self.push(
            Diagnostic::error("E0003", format!("unknown key `{name}` in {what}"))
                .with_primary(key.span, "unknown key")
                .with_help_opt(help_did_you_mean(name, allowed.iter().copied()))
                .with_note(format!("expected one of {}", expected.join(", "))),
        );
    }

    fn missing(&mut self, fields: &Fields<'_>, key: &str) {
        if fields.misspelt.iter().any(|m| m == key) {
            return;
        }
        self.push(
            Diagnostic::error(
                "E0004",
                format!("missing required key `{key}` in {}", fields.what),
            )
            .with_primary(fields.owner, format!("`{key}` missing")),
        );
    }

    fn bool_field(&mut self, fields: &Fields<'_>, names: &[&str], default: bool) -> bool {
        match fields.get(names) {
            None => default,
            Some((k, v)) => match v.as_bool() {
                Some(b) => b,
                None => {
                    self.wrong_type(v, &format!("`{}`", key_text(k)), "a boolean");
                    default
                }
            },
        }
    }

    fn app_config(&mut self, root: &Node, file: FileId) -> Option<AppConfig> {
        let pairs = [
            ("enableMergeEntity", "enable_merge_entity"),
            ("deleteDependentEntities", "delete_dependent_entities"),
            (
                "createMissingRelatedEntities",
                "create_missing_related_entities",
            ),
            ("entityDeletionThreshold", "entity_deletion_threshold"),
        ];
        let top = self.fields(
            root,
            "the port-app-config",
            root.span,
            Some(TOP_KEYS),
            &pairs,
        )?;
        let mut config = AppConfig {
            enable_merge_entity: self.bool_field(
                &top,
                &["enableMergeEntity", "enable_merge_entity"],
                true,
            ),
            delete_dependent_entities: self.bool_field(
                &top,
                &["deleteDependentEntities", "delete_dependent_entities"],
                true,
            ),
            create_missing_related_entities: self.bool_field(
                &top,
                &[
                    "createMissingRelatedEntities",
                    "create_missing_related_entities",
                ],
                true,
            ),
            entity_deletion_threshold: 0.9,
            resources: Vec::new(),
            file,
        };
        if let Some((_, v)) = top.get(&["entityDeletionThreshold", "entity_deletion_threshold"]) {
            let number = v
                .as_scalar()
                .filter(|s| matches!(s.ty, ScalarType::Int | ScalarType::Float))
                .and_then(|s| s.value.parse::<f64>().ok());
            match number {
                Some(t) if (0.0..=1.0).contains(&t) => config.entity_deletion_threshold = t,
                Some(_) => self.push(
                    Diagnostic::error("E0005", "`entityDeletionThreshold` must be between 0 and 1")
                        .with_primary(v.span, "out of range")
                        .with_help("it is the largest share of owned entities a resync may delete (default 0.9)"),
                ),
                None => self.wrong_type(v, "`entityDeletionThreshold`", "a number between 0 and 1"),
            }
        }
        match top.get(&["resources"]) {
            Some((_, list)) => match list.as_seq() {
                Some(items) => {
                    for (index, item) in items.iter().enumerate() {
                        if let Some(r) = self.resource(index, item) {
                            config.resources.push(r);
                        }
                    }
                    if items.is_empty() {
                        self.no_resources(list.span);
                    }
                }
                None => self.wrong_type(list, "`resources`", "a list"),
            },
            None => self.no_resources(Span::new(file, 0, 0)),
        }
        Some(config)
    }

    fn no_resources(&mut self, span: Span) {
        self.push(
            Diagnostic::warning(
                "E0009",
                "the port-app-config has no resources; nothing will be synced",
            )
            .with_primary(span, "")
            .with_help("add a `resources:` list with one entry per kind to sync"),
        );
    }

    fn resource(&mut self, index: usize, node: &Node) -> Option<Resource> {
        let what = format!("resource #{index}");
        let fields = self.fields(node, &what, head_span(node), Some(RESOURCE_KEYS), &[])?;
        let kind_entry = fields.get(&["kind"]);
        let kind = match kind_entry {
            None => {
                self.missing(&fields, "kind");
                None
            }
            Some((_, v)) => match v.as_str() {
                Some(k) => {
                    if !kinds::KNOWN_KINDS.contains(&k) {
                        self.push(
                            Diagnostic::error("E0200", format!("unknown kind `{k}`"))
                                .with_primary(v.span, "not an Opsgenie kind")
                                .with_help_opt(help_did_you_mean(
                                    k,
                                    kinds::KNOWN_KINDS.iter().copied(),
                                ))
                                .with_note(format!(
                                    "known kinds: {}",
                                    kinds::KNOWN_KINDS.join(", ")
                                )),
                        );
                    }
                    Some((k.to_string(), v.span))
                }
                None => {
                    self.wrong_type(v, "`kind`", "a string");
                    None
                }
            },
        };
        let known_kind = kind
            .as_ref()
            .map(|(k, _)| k.as_str())
            .filter(|k| kinds::KNOWN_KINDS.contains(k));
        let selector = match fields.get(&["selector"]) {
            Some((k, v)) => self.selector(v, k.span, known_kind),
            None => {
                self.missing(&fields, "selector");
                None
            }
        };
        let port = match fields.get(&["port"]) {
            Some((k, v)) => self.port(v, k.span),
            None => {
                self.missing(&fields, "port");
                None
            }
        };
        let (kind, kind_span) = kind?;
        Some(Resource {
            index,
            kind,
            kind_span,
            span: node.span,
            selector: selector?,
            port: port?,
        })
    }

    fn selector(&mut self, node: &Node, owner: Span, kind: Option<&str>) -> Option<Selector> {
        let mut allowed: Vec<&str> = kinds::BASE_SELECTOR_KEYS.to_vec();
        allowed.extend(kinds::selector_option_keys(kind));
        let what = match kind {
            Some(k) => format!("the selector of a `{k}` resource"),
            None => "the selector".to_string(),
        };
        let fields = self.fields(node, &what, owner, Some(&allowed), &[])?;
        let query = match fields.get(&["query"]) {
            Some((k, v)) => self.jq(v, &format!("`{}`", key_text(k))),
            None => {
                self.missing(&fields, "query");
                None
            }
        };
        let mut options = SelectorOptions::default();
        if let Some((_, v)) = fields.get(&["includeMembers"]) {
            match v.as_bool() {
                Some(b) => options.include_members = Some(b),
                None if v.is_null() => {}
                None => self.wrong_type(v, "`includeMembers`", "a boolean"),
            }
        }
        if let Some((_, v)) = fields.get(&["exportEnvVariables"]) {
            match v.as_seq() {
                Some(items) => {
                    for item in items {
                        match item.as_str() {
                            Some(s) => options.export_env_variables.push(s.to_string()),
                            None => {
                                self.wrong_type(item, "an `exportEnvVariables` entry", "a string")
                            }
                        }
                    }
                }
                None if v.is_null() => {}
                None => self.wrong_type(v, "`exportEnvVariables`", "a list of variable names"),
            }
        }
        if let Some((k, v)) = fields.get(&["apiQueryParams"]) {
            if !v.is_null() {
                match kind {
                    Some("schedule") => options.expand = self.schedule_params(v, k.span),
                    Some(_) => options.api_query_params = self.query_params(v, k.span),
                    // Unknown kind: already reported; do not guess which options apply.
                    None => {}
                }
            }
        }
        Some(Selector {
            query: query?,
            options,
        })
    }

    fn schedule_params(&mut self, node: &Node, owner: Span) -> Option<String> {
        let fields = self.fields(
            node,
            "`apiQueryParams` of a schedule",
            owner,
            Some(&["expand"]),
            &[],
        )?;
        let (_, v) = fields.get(&["expand"])?;
        if v.is_null() {
            return None;
        }
        match v.as_str() {
            Some(s) if kinds::SCHEDULE_EXPAND_VALUES.contains(&s) => Some(s.to_string()),
            _ => {
                self.push(
                    Diagnostic::error("E0005", "`expand` must be `rotation`")
                        .with_primary(v.span, "unsupported value")
                        .with_note("Opsgenie's schedule list only expands rotations"),
                );
                None
            }
        }
    }

    fn query_params(&mut self, node: &Node, owner: Span) -> Vec<QueryParam> {
        let allowed: Vec<&str> = kinds::query_field_keys().collect();
        let same: Vec<(&str, &str)> = kinds::QUERY_FIELDS
            .iter()
            .flat_map(|f| f.aliases.iter().map(move |a| (f.name, *a)))
            .collect();
        let Some(fields) = self.fields(node, "`apiQueryParams`", owner, Some(&allowed), &same)
        else {
            return Vec::new();
        };
        let mut params = Vec::new();
        for &(name, key, value) in &fields.entries {
            let Some(field) = kinds::query_field(name) else {
                continue;
            };
            if value.is_null() {
                continue;
            }
            let scalar = value.as_scalar();
            let parsed = match field.kind {
                ParamKind::Text => scalar
                    .filter(|s| !matches!(s.ty, ScalarType::Bool(_)))
                    .map(|s| ParamValue::Str(s.value.clone())),
                ParamKind::Bool => match (value.as_bool(), value.as_str()) {
                    (Some(b), _) => Some(ParamValue::Bool(b)),
                    (None, Some(s)) if s.eq_ignore_ascii_case("true") => {
                        Some(ParamValue::Bool(true))
                    }
                    (None, Some(s)) if s.eq_ignore_ascii_case("false") => {
                        Some(ParamValue::Bool(false))
                    }
                    _ => None,
                },
                ParamKind::OneOf(options) => match value.as_str() {
                    Some(s) if options.contains(&s) => Some(ParamValue::Str(s.to_string())),
                    Some(s) => {
                        self.push(
                            Diagnostic::error("E0005", format!("`{name}` cannot be `{s}`"))
                                .with_primary(value.span, "not an accepted value")
                                .with_help_opt(help_did_you_mean(s, options.iter().copied()))
                                .with_note(format!("accepted values: {}", options.join(", "))),
                        );
                        continue;
                    }
                    None => None,
                },
            };
            match parsed {
                Some(parsed) => params.push(QueryParam {
                    name: field.name.to_string(),
                    value: parsed,
                    span: key.span.to(value.span),
                }),
                None => {
                    let expected = match field.kind {
                        ParamKind::Text => "a string".to_string(),
                        ParamKind::Bool => "a boolean".to_string(),
                        ParamKind::OneOf(o) => format!("one of {}", o.join(", ")),
                    };
                    self.wrong_type(value, &format!("`{name}`"), &expected);
                }
            }
        }
        params
    }

    fn port(&mut self, node: &Node, owner: Span) -> Option<PortSection> {
        let fields = self.fields(node, "`port`", owner, Some(PORT_KEYS), &[])?;
        let items_to_parse = match fields.get(&["itemsToParse"]) {
            Some((_, v)) if v.is_null() => None,
            Some((_, v)) => self.jq(v, "`itemsToParse`"),
            None => None,
        };
        let items_to_parse_name = match fields.get(&["itemsToParseName"]) {
            Some((_, v)) => match v.as_str() {
                Some(s) if !s.is_empty() => s.to_string(),
                _ => {
                    self.wrong_type(v, "`itemsToParseName`", "a non-empty string");
                    "item".to_string()
                }
            },
            None => "item".to_string(),
        };
        let top_level = self.bool_field(&fields, &["itemsToParseTopLevelTransform"], true);
        let entity = match fields.get(&["entity"]) {
            Some((k, v)) => self.entity(v, k.span),
            None => {
                self.missing(&fields, "entity");
                None
            }
        };
        Some(PortSection {
            items_to_parse,
            items_to_parse_name,
            items_to_parse_top_level_transform: top_level,
            entity: entity?,
        })
    }

    fn entity(&mut self, node: &Node, owner: Span) -> Option<EntityMappings> {
        let fields = self.fields(node, "`entity`", owner, Some(ENTITY_KEYS), &[])?;
        let Some((k, v)) = fields.get(&["mappings"]) else {
            self.missing(&fields, "mappings");
            return None;
        };
        self.mappings(v, k.span)
    }

    fn mappings(&mut self, node: &Node, owner: Span) -> Option<EntityMappings> {
        let fields = self.fields(node, "`mappings`", owner, Some(MAPPING_KEYS), &[])?;
        let identifier = match fields.get(&["identifier"]) {
            Some((_, v)) => self.mapping_value(v, "`identifier`"),
            None => {
                self.missing(&fields, "identifier");
                None
            }
        };
        let blueprint = match fields.get(&["blueprint"]) {
            Some((_, v)) => self.jq(v, "`blueprint`"),
            None => {
                self.missing(&fields, "blueprint");
                None
            }
        };
        let title = self.optional_jq(&fields, "title");
        let icon = self.optional_jq(&fields, "icon");
        let team = match fields.get(&["team"]) {
            Some((_, v)) if v.is_null() => None,
            Some((_, v)) => self.mapping_value(v, "`team`"),
            None => None,
        };
        let mut properties = Vec::new();
        if let Some((k, v)) = fields.get(&["properties"]) {
            if let Some(props) = self.fields(v, "`properties`", k.span, None, &[]) {
                for &(name, key, value) in &props.entries {
                    if let Some(jq) = self.jq(value, &format!("property `{name}`")) {
                        properties.push((name.to_string(), key.span, jq));
                    }
                }
            }
        }
        let mut relations = Vec::new();
        if let Some((k, v)) = fields.get(&["relations"]) {
            if let Some(rels) = self.fields(v, "`relations`", k.span, None, &[]) {
                for &(name, key, value) in &rels.entries {
                    if let Some(mv) = self.mapping_value(value, &format!("relation `{name}`")) {
                        relations.push((name.to_string(), key.span, mv));
                    }
                }
            }
        }
        Some(EntityMappings {
            identifier: identifier?,
            title,
            blueprint: blueprint?,
            icon,
            team,
            properties,
            relations,
        })
    }

    fn optional_jq(&mut self, fields: &Fields<'_>, name: &str) -> Option<JqSource> {
        let (_, v) = fields.get(&[name])?;
        if v.is_null() {
            return None;
        }
        self.jq(v, &format!("`{name}`"))
    }

    /// A jq string or a search-query object.
    fn mapping_value(&mut self, node: &Node, what: &str) -> Option<MappingValue> {
        if node.as_map().is_some() {
            return self
                .search_query(node, head_span(node))
                .map(MappingValue::Search);
        }
        self.jq(node, what).map(MappingValue::Jq)
    }

    fn search_query(&mut self, node: &Node, owner: Span) -> Option<SearchQuery> {
        let fields = self.fields(node, "a search query", owner, Some(SEARCH_KEYS), &[])?;
        let combinator = match fields.get(&["combinator"]) {
            Some((_, v)) => self.jq(v, "`combinator`"),
            None => {
                self.missing(&fields, "combinator");
                None
            }
        };
        let mut rules = Vec::new();
        let mut rules_ok = true;
        match fields.get(&["rules"]) {
            Some((_, v)) => match v.as_seq() {
                Some(items) => {
                    for item in items {
                        match self.search_rule(item) {
                            Some(r) => rules.push(r),
                            None => rules_ok = false,
                        }
                    }
                }
                None => {
                    self.wrong_type(v, "`rules`", "a list");
                    rules_ok = false;
                }
            },
            None => {
                self.missing(&fields, "rules");
                rules_ok = false;
            }
        }
        let combinator = combinator?;
        rules_ok.then_some(SearchQuery {
            combinator,
            rules,
            span: node.span,
        })
    }

    fn search_rule(&mut self, node: &Node) -> Option<SearchRule> {
        let is_query = node.as_map().is_some_and(|m| {
            m.iter()
                .any(|(k, _)| matches!(k.as_str(), Some("combinator" | "rules")))
        });
        if is_query {
            return self
                .search_query(node, head_span(node))
                .map(SearchRule::Query);
        }
        let fields = self.fields(node, "a search rule", head_span(node), Some(RULE_KEYS), &[])?;
        let leaf = |cx: &mut Self, name: &str| match fields.get(&[name]) {
            Some((_, v)) => cx.jq(v, &format!("`{name}`")),
            None => {
                cx.missing(&fields, name);
                None
            }
        };
        let property = leaf(self, "property");
        let operator = leaf(self, "operator");
        let value = leaf(self, "value");
        Some(SearchRule::Rule {
            property: property?,
            operator: operator?,
            value: value?,
        })
    }

    /// A jq leaf. Strings and numbers (as written) are programs; booleans, null, lists and
    /// mappings are errors, and `file://` references are unsupported.
    fn jq(&mut self, node: &Node, what: &str) -> Option<JqSource> {
        let NodeKind::Scalar(scalar) = &node.kind else {
            self.wrong_type(node, what, "a jq expression (a string)");
            return None;
        };
        match scalar.ty {
            ScalarType::Str => {
                if scalar.value.trim_start().starts_with("file://") {
                    self.push(
                        Diagnostic::error("E0007", "file:// values are not supported")
                            .with_primary(node.span, "a file reference, not a jq expression")
                            .with_note(
                                "Ocean resolves `file://` only in GitOps (GitLab) integrations",
                            )
                            .with_help("put the jq expression (or the file's content) here"),
                    );
                    return None;
                }
                Some(JqSource::from_scalar(scalar, node.span))
            }
            ScalarType::Int | ScalarType::Float => Some(JqSource::from_scalar(scalar, node.span)),
            ScalarType::Bool(b) => {
                self.push(
                    Diagnostic::error(
                        "E0005",
                        format!("{what} must be a jq expression, found a YAML boolean"),
                    )
                    .with_primary(node.span, "a boolean, not a string")
                    .with_help(format!("quote it: `'{b}'`"))
                    .with_note(format!(
                        "Ocean turns the YAML boolean into the text `{}`, which is not valid jq",
                        if b { "True" } else { "False" }
                    )),
                );
                None
            }
            ScalarType::Null => {
                self.wrong_type(node, what, "a jq expression (a string)");
                None
            }
        }
    }
}

/// Where to point for "missing key" in a mapping without a key of its own: its first key
/// (a whole multi-line mapping would be underlined on its first line anyway).
fn head_span(node: &Node) -> Span {
    node.as_map()
        .and_then(|m| m.first())
        .map_or(node.span, |(k, _)| k.span)
}
