//! The validated port-app-config: Ocean's `PortAppConfig` schema plus the Opsgenie
//! integration's kind-specific selector options.

use super::jqtext::JqSource;
use crate::source::{FileId, Span};

/// The whole mapping file.
#[derive(Clone, Debug, PartialEq)]
pub struct AppConfig {
    /// `enableMergeEntity` (default true): upsert with `merge=true`.
    pub enable_merge_entity: bool,
    /// `deleteDependentEntities` (default true).
    pub delete_dependent_entities: bool,
    /// `createMissingRelatedEntities` (default true).
    pub create_missing_related_entities: bool,
    /// `entityDeletionThreshold` (default 0.9, within 0..=1).
    pub entity_deletion_threshold: f64,
    pub resources: Vec<Resource>,
    pub file: FileId,
}

/// One entry of `resources`: a kind fetched from Opsgenie, filtered and mapped to entities.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// Position in `resources` (Ocean identifies resources as `{kind}-{index}`).
    pub index: usize,
    pub kind: String,
    pub kind_span: Span,
    /// The whole resource entry.
    pub span: Span,
    pub selector: Selector,
    pub port: PortSection,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    /// `selector.query`: jq that must yield a boolean per item (required, as in Ocean).
    pub query: JqSource,
    pub options: SelectorOptions,
}

/// Kind-specific selector keys (validated against the kind).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SelectorOptions {
    /// `includeMembers` (team only); `None` when absent (Ocean's default is false).
    pub include_members: Option<bool>,
    /// `apiQueryParams` for alert and incident, rendered as Opsgenie's `query=` search.
    pub api_query_params: Vec<QueryParam>,
    /// `apiQueryParams.expand` (schedule only; the only value is `rotation`).
    pub expand: Option<String>,
    /// `exportEnvVariables` (any kind; only used by Ocean's lakehouse path).
    pub export_env_variables: Vec<String>,
}

/// One `apiQueryParams` entry, e.g. `status: open` → `status:open`.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryParam {
    /// Opsgenie's camelCase search field (`isSeen`, `createdAt`, `acknowledgedBy`, …),
    /// whichever spelling the config used.
    pub name: String,
    pub value: ParamValue,
    /// The `key: value` entry.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Str(String),
    Bool(bool),
    Num(f64),
}

impl QueryParam {
    /// The term as Opsgenie's search syntax wants it: `name:value`, booleans as
    /// `true`/`false` (Ocean sends Python's `True`, a bug we do not copy).
    pub fn to_search_term(&self) -> String {
        format!("{}:{}", self.name, self.value.to_search_term())
    }
}

impl ParamValue {
    /// The value as written in an Opsgenie search term (`open`, `true`, `3`).
    pub fn to_search_term(&self) -> String {
        match self {
            ParamValue::Str(s) => s.clone(),
            ParamValue::Bool(b) => b.to_string(),
            ParamValue::Num(n) => n.to_string(),
        }
    }
}

/// `port:` — how items become entities.
#[derive(Clone, Debug, PartialEq)]
pub struct PortSection {
    /// `itemsToParse`: jq yielding an array; one entity per element.
    pub items_to_parse: Option<JqSource>,
    /// `itemsToParseName` (default `item`): the key each element is exposed under.
    pub items_to_parse_name: String,
    /// `itemsToParseTopLevelTransform` (default true): remove the array from the parent.
    pub items_to_parse_top_level_transform: bool,
    /// `entity.mappings`.
    pub entity: EntityMappings,
}

/// `port.entity.mappings`: every leaf is a jq program (or a search query).
#[derive(Clone, Debug, PartialEq)]
pub struct EntityMappings {
    pub identifier: MappingValue,
    pub title: Option<JqSource>,
    pub blueprint: JqSource,
    pub icon: Option<JqSource>,
    pub team: Option<MappingValue>,
    /// (property name, span of the key, program), in file order.
    pub properties: Vec<(String, Span, JqSource)>,
    /// (relation name, span of the key, value), in file order.
    pub relations: Vec<(String, Span, MappingValue)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MappingValue {
    Jq(JqSource),
    /// A search query object, sent to Port which resolves it.
    Search(SearchQuery),
}

impl MappingValue {
    pub fn span(&self) -> Span {
        match self {
            MappingValue::Jq(jq) => jq.span,
            MappingValue::Search(q) => q.span,
        }
    }
}

/// `{combinator, rules: [...]}`; every string leaf is itself jq (typically `'"and"'`).
#[derive(Clone, Debug, PartialEq)]
pub struct SearchQuery {
    pub combinator: JqSource,
    pub rules: Vec<SearchRule>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SearchRule {
    Rule {
        property: JqSource,
        operator: JqSource,
        value: JqSource,
    },
    Query(SearchQuery),
}
