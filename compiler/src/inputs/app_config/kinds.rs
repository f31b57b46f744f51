//! Opsgenie kinds and their kind-specific selector options (the integration's
//! `integration.py` models: `AlertAndIncidentSelector`, `ScheduleSelector`, `TeamSelector`).

/// Every kind the Opsgenie integration serves.
pub const KNOWN_KINDS: &[&str] = &[
    "user",
    "team",
    "schedule",
    "schedule-oncall",
    "service",
    "alert",
    "incident",
];

/// Selector keys every kind accepts.
pub const BASE_SELECTOR_KEYS: &[&str] = &["query", "exportEnvVariables"];

/// Extra selector keys of a kind; for unknown kinds every option is allowed, so that a
/// misspelt kind is reported once and not again for each option.
pub fn selector_option_keys(kind: Option<&str>) -> &'static [&'static str] {
    match kind {
        Some("alert" | "incident" | "schedule") => &["apiQueryParams"],
        Some("team") => &["includeMembers"],
        Some(k) if KNOWN_KINDS.contains(&k) => &[],
        _ => &["apiQueryParams", "includeMembers"],
    }
}

/// What values an `apiQueryParams` field takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// Free text (dates, names, messages); numbers are taken as their text.
    Text,
    Bool,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
}

/// One alert/incident `apiQueryParams` field.
pub struct QueryField {
    /// Opsgenie's search field name (what we send).
    pub name: &'static str,
    /// Other spellings accepted in configs (Ocean's Python field names).
    pub aliases: &'static [&'static str],
    pub kind: ParamKind,
}

/// Alert and incident search filters, as Ocean's `APIQueryParams` accepts them.
pub const QUERY_FIELDS: &[QueryField] = &[
    QueryField {
        name: "createdAt",
        aliases: &["created_at"],
        kind: ParamKind::Text,
    },
    QueryField {
        name: "lastOccurredAt",
        aliases: &["last_occurred_at"],
        kind: ParamKind::Text,
    },
    QueryField {
        name: "snoozedUntil",
        aliases: &["snoozed_until"],
        kind: ParamKind::Text,
    },
    QueryField {
        name: "message",
        aliases: &[],
        kind: ParamKind::Text,
    },
    QueryField {
        name: "status",
        aliases: &[],
        kind: ParamKind::OneOf(&["open", "resolved", "closed"]),
    },
    QueryField {
        name: "isSeen",
        aliases: &["is_seen"],
        kind: ParamKind::Bool,
    },
    QueryField {
        name: "acknowledged",
        aliases: &[],
        kind: ParamKind::Bool,
    },
    QueryField {
        name: "snoozed",
        aliases: &[],
        kind: ParamKind::Bool,
    },
    QueryField {
        name: "priority",
        aliases: &[],
        kind: ParamKind::OneOf(&["P1", "P2", "P3", "P4", "P5"]),
    },
    QueryField {
        name: "owner",
        aliases: &[],
        kind: ParamKind::Text,
    },
    QueryField {
        name: "teams",
        aliases: &[],
        kind: ParamKind::Text,
    },
    QueryField {
        name: "acknowledgedBy",
        aliases: &["acknowledged_by"],
        kind: ParamKind::Text,
    },
    QueryField {
        name: "closedBy",
        aliases: &["closed_by"],
        kind: ParamKind::Text,
    },
];

/// The field for a config key, under its Opsgenie name or an alias.
pub fn query_field(key: &str) -> Option<&'static QueryField> {
    QUERY_FIELDS
        .iter()
        .find(|f| f.name == key || f.aliases.contains(&key))
}

/// All accepted `apiQueryParams` keys (names and aliases), for did-you-mean.
pub fn query_field_keys() -> impl Iterator<Item = &'static str> {
    QUERY_FIELDS
        .iter()
        .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
}

/// The only `expand` value Opsgenie's schedule list accepts.
pub const SCHEDULE_EXPAND_VALUES: &[&str] = &["rotation"];
