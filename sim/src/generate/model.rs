//! Compact in-memory records of an Opsgenie account. JSON is rendered on demand (see `render`), so
//! a 100k-alert account stays small: shared strings are `Arc<str>`, times are epoch milliseconds.

use std::sync::Arc;

/// Shared, immutable text (tags, usernames and team ids repeat across many records).
pub type Text = Arc<str>;

/// `{type, id}` plus the optional display name Opsgenie sometimes adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Responder {
    /// `user`, `team`, `escalation` or `schedule`.
    pub kind: Text,
    pub id: Text,
}

/// The `integration` object of an alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertIntegration {
    pub id: Text,
    pub name: Text,
    /// Serialised as `type`.
    pub kind: Text,
}

/// The `report` object of an alert; each key is present only when it applies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertReport {
    /// Milliseconds from creation to acknowledgement.
    pub ack_time: Option<i64>,
    /// Milliseconds from creation to close.
    pub close_time: Option<i64>,
    pub acknowledged_by: Option<Text>,
    pub closed_by: Option<Text>,
}

impl AlertReport {
    pub fn is_empty(&self) -> bool {
        *self == AlertReport::default()
    }
}

/// An alert (list fields plus the get-only `actions`, `entity`, `description`, `details`).
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// `<uuid>-<epochMillis>`.
    pub id: Text,
    /// Numeric string.
    pub tiny_id: Text,
    pub alias: Text,
    pub message: Text,
    /// `open` or `closed`.
    pub status: Text,
    pub acknowledged: bool,
    pub is_seen: bool,
    pub snoozed: bool,
    pub snoozed_until: Option<i64>,
    pub count: u32,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_occurred_at: i64,
    pub source: Text,
    pub owner: Text,
    /// `P1`..`P5`.
    pub priority: Text,
    /// Team ids (rendered as `[{ "id": … }]`).
    pub teams: Vec<Text>,
    pub responders: Vec<Responder>,
    pub integration: Option<AlertIntegration>,
    pub report: AlertReport,
    /// `""` when none.
    pub owner_team_id: Text,
    pub tags: Vec<Text>,
    pub actions: Vec<Text>,
    pub entity: Text,
    pub description: Text,
    pub details: Vec<(Text, Text)>,
    /// Keys of an upserted alert JSON that the simulator does not model; rendered back verbatim.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Alert {
    /// The incident id an incident-spawned alert's alias starts with (`<incidentId>_<suffix>`).
    pub fn alias_incident_prefix(&self) -> Option<&str> {
        self.alias.split_once('_').map(|(prefix, _)| prefix)
    }
}

/// An incident; `associated_alert_ids` backs `/v1/incidents/{id}/associated-alert-ids`.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub id: Text,
    pub tiny_id: Text,
    pub message: Text,
    pub description: Text,
    /// `open`, `resolved` or `closed`.
    pub status: Text,
    pub priority: Text,
    pub tags: Vec<Text>,
    pub created_at: i64,
    pub updated_at: i64,
    pub impact_start: i64,
    /// Absent while the incident is open.
    pub impact_end: Option<i64>,
    /// Team id or `""`.
    pub owner_team: Text,
    pub responders: Vec<Responder>,
    /// Service ids.
    pub impacted_services: Vec<Text>,
    pub extra_properties: Vec<(Text, Text)>,
    pub actions: Vec<Text>,
    /// Not rendered on the incident; served by the associated-alert-ids endpoint.
    pub associated_alert_ids: Vec<Text>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub id: Text,
    pub name: Text,
    pub description: Text,
    pub team_id: Text,
    pub tags: Vec<Text>,
    pub is_external: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamMember {
    pub user_id: Text,
    pub username: Text,
    /// `admin`, `user` or a custom role name.
    pub role: Text,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    pub id: Text,
    pub name: Text,
    pub description: Text,
    pub members: Vec<TeamMember>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAddress {
    pub country: Text,
    pub state: Text,
    pub city: Text,
    pub line: Text,
    pub zip_code: Text,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Text,
    /// An email address.
    pub username: Text,
    pub full_name: Text,
    /// `role.id` (`Admin`, `User`, `Owner` or custom).
    pub role_id: Text,
    /// `role.name`.
    pub role_name: Text,
    pub time_zone: Text,
    pub locale: Text,
    pub address: UserAddress,
    pub blocked: bool,
    pub verified: bool,
    pub created_at: i64,
}

/// A rotation participant: `{type:user,id,username}`, `{type:team|escalation|schedule,id,name}` or
/// `{type:none}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub kind: Text,
    pub id: Option<Text>,
    /// Username for users, name otherwise.
    pub name: Option<Text>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rotation {
    pub id: Text,
    pub name: Text,
    pub start_date: i64,
    pub end_date: Option<i64>,
    /// `daily`, `weekly` or `hourly`.
    pub kind: Text,
    pub length: u32,
    pub participants: Vec<Participant>,
    /// Opsgenie's `timeRestriction` object, or `None` for `null`.
    pub time_restriction: Option<serde_json::Value>,
}

/// Who is on call for a schedule right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnCallUser {
    pub user_id: Text,
    pub username: Text,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub id: Text,
    pub name: Text,
    pub description: Text,
    pub timezone: Text,
    pub enabled: bool,
    /// `(id, name)` of the owner team.
    pub owner_team: Option<(Text, Text)>,
    pub rotations: Vec<Rotation>,
    pub on_call: Vec<OnCallUser>,
}
