//! JSON rendering of the compact records in Opsgenie's REST shapes, and parsing of an alert JSON
//! back into a record (for tests that upsert alerts).

use serde_json::{json, Map, Value};

use super::model::*;
use super::time::{format_millis, parse_millis};
use super::Account;

/// Which alert shape to render: list items lack `actions`, `entity`, `description`, `details`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertView {
    List,
    Get,
}

fn texts(items: &[Text]) -> Value {
    Value::Array(items.iter().map(|t| Value::from(&**t)).collect())
}

fn responders(items: &[Responder]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|r| json!({ "type": &*r.kind, "id": &*r.id }))
            .collect(),
    )
}

fn pairs(items: &[(Text, Text)]) -> Value {
    Value::Object(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(&**v)))
            .collect(),
    )
}

impl Alert {
    /// The alert as `GET /v2/alerts` (list) or `GET /v2/alerts/{id}` (get) return it.
    pub fn to_json(&self, view: AlertView) -> Value {
        let mut m = Map::new();
        m.insert("seen".into(), self.is_seen.into());
        m.insert("id".into(), (*self.id).into());
        m.insert("tinyId".into(), (*self.tiny_id).into());
        m.insert("alias".into(), (*self.alias).into());
        m.insert("message".into(), (*self.message).into());
        m.insert("status".into(), (*self.status).into());
        m.insert("acknowledged".into(), self.acknowledged.into());
        m.insert("isSeen".into(), self.is_seen.into());
        m.insert("tags".into(), texts(&self.tags));
        m.insert("snoozed".into(), self.snoozed.into());
        if let Some(until) = self.snoozed_until {
            m.insert("snoozedUntil".into(), format_millis(until).into());
        }
        m.insert("count".into(), self.count.into());
        m.insert(
            "lastOccurredAt".into(),
            format_millis(self.last_occurred_at).into(),
        );
        m.insert("createdAt".into(), format_millis(self.created_at).into());
        m.insert("updatedAt".into(), format_millis(self.updated_at).into());
        m.insert("source".into(), (*self.source).into());
        m.insert("owner".into(), (*self.owner).into());
        m.insert("priority".into(), (*self.priority).into());
        m.insert(
            "teams".into(),
            Value::Array(self.teams.iter().map(|t| json!({ "id": &**t })).collect()),
        );
        m.insert("responders".into(), responders(&self.responders));
        if let Some(i) = &self.integration {
            m.insert(
                "integration".into(),
                json!({ "id": &*i.id, "name": &*i.name, "type": &*i.kind }),
            );
        }
        if !self.report.is_empty() {
            let mut report = Map::new();
            let r = &self.report;
            if let Some(t) = r.ack_time {
                report.insert("ackTime".into(), t.into());
            }
            if let Some(t) = r.close_time {
                report.insert("closeTime".into(), t.into());
            }
            if let Some(by) = &r.acknowledged_by {
                report.insert("acknowledgedBy".into(), (**by).into());
            }
            if let Some(by) = &r.closed_by {
                report.insert("closedBy".into(), (**by).into());
            }
            m.insert("report".into(), Value::Object(report));
        }
        m.insert("ownerTeamId".into(), (*self.owner_team_id).into());
        if view == AlertView::Get {
            m.insert("actions".into(), texts(&self.actions));
            m.insert("entity".into(), (*self.entity).into());
            m.insert("description".into(), (*self.description).into());
            m.insert("details".into(), pairs(&self.details));
        }
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

impl Account {
    pub fn incident_json(&self, incident: &Incident) -> Value {
        let i = incident;
        let mut m = Map::new();
        m.insert("id".into(), (*i.id).into());
        m.insert("description".into(), (*i.description).into());
        m.insert("impactedServices".into(), texts(&i.impacted_services));
        m.insert("tinyId".into(), (*i.tiny_id).into());
        m.insert("message".into(), (*i.message).into());
        m.insert("status".into(), (*i.status).into());
        m.insert("tags".into(), texts(&i.tags));
        m.insert("createdAt".into(), format_millis(i.created_at).into());
        m.insert("updatedAt".into(), format_millis(i.updated_at).into());
        m.insert("priority".into(), (*i.priority).into());
        m.insert("ownerTeam".into(), (*i.owner_team).into());
        m.insert("responders".into(), responders(&i.responders));
        m.insert("extraProperties".into(), pairs(&i.extra_properties));
        m.insert(
            "links".into(),
            json!({
                "web": format!("https://{}/incident/detail/{}", self.web_host, i.id),
                "api": format!("https://api.opsgenie.com/v1/incidents/{}", i.id),
            }),
        );
        m.insert(
            "impactStartDate".into(),
            format_millis(i.impact_start).into(),
        );
        if let Some(end) = i.impact_end {
            m.insert("impactEndDate".into(), format_millis(end).into());
        }
        m.insert("actions".into(), texts(&i.actions));
        Value::Object(m)
    }

    pub fn service_json(&self, service: &Service) -> Value {
        let s = service;
        json!({
            "id": &*s.id,
            "name": &*s.name,
            "description": &*s.description,
            "teamId": &*s.team_id,
            "tags": texts(&s.tags),
            "links": {
                "web": format!("https://{}/service/{}/status", self.web_host, s.id),
                "api": format!("https://api.opsgenie.com/v1/services/{}", s.id),
            },
            "isExternal": s.is_external,
        })
    }

    /// List shape without members; get shape (`with_members`) adds `members`.
    pub fn team_json(&self, team: &Team, with_members: bool) -> Value {
        let mut v = json!({
            "id": &*team.id,
            "name": &*team.name,
            "description": &*team.description,
            "links": {
                "web": format!("https://app.opsgenie.com/teams/dashboard/{}/main", team.id),
                "api": format!("https://api.opsgenie.com/v2/teams/{}", team.id),
            },
        });
        if with_members {
            v["members"] = Value::Array(
                team.members
                    .iter()
                    .map(|m| {
                        json!({
                            "user": { "id": &*m.user_id, "username": &*m.username },
                            "role": &*m.role,
                        })
                    })
                    .collect(),
            );
        }
        v
    }

    pub fn user_json(&self, user: &User) -> Value {
        let u = user;
        let a = &u.address;
        json!({
            "id": &*u.id,
            "username": &*u.username,
            "fullName": &*u.full_name,
            "role": { "id": &*u.role_id, "name": &*u.role_name },
            "timeZone": &*u.time_zone,
            "locale": &*u.locale,
            "userAddress": {
                "country": &*a.country, "state": &*a.state, "city": &*a.city,
                "line": &*a.line, "zipCode": &*a.zip_code,
            },
            "blocked": u.blocked,
            "verified": u.verified,
            "createdAt": format_millis(u.created_at),
        })
    }

    /// Without `expand=rotation` Opsgenie returns `rotations: []`.
    pub fn schedule_json(&self, schedule: &Schedule, expand_rotations: bool) -> Value {
        let s = schedule;
        let rotations: Vec<Value> = if expand_rotations {
            s.rotations.iter().map(rotation_json).collect()
        } else {
            Vec::new()
        };
        let mut v = json!({
            "id": &*s.id,
            "name": &*s.name,
            "description": &*s.description,
            "timezone": &*s.timezone,
            "enabled": s.enabled,
            "rotations": rotations,
        });
        if let Some((id, name)) = &s.owner_team {
            v["ownerTeam"] = json!({ "id": &**id, "name": &**name });
        }
        v
    }

    /// `data` of `GET /v2/schedules/{id}/on-calls` (`flat=true`: usernames only).
    pub fn on_calls_json(&self, schedule: &Schedule, flat: bool) -> Value {
        let parent =
            json!({ "id": &*schedule.id, "name": &*schedule.name, "enabled": schedule.enabled });
        if flat {
            let names: Vec<Value> = schedule
                .on_call
                .iter()
                .map(|o| Value::from(&*o.username))
                .collect();
            json!({ "_parent": parent, "onCallRecipients": names })
        } else {
            let participants: Vec<Value> = schedule
                .on_call
                .iter()
                .map(|o| json!({ "id": &*o.user_id, "name": &*o.username, "type": "user" }))
                .collect();
            json!({ "_parent": parent, "onCallParticipants": participants })
        }
    }
}

fn rotation_json(r: &Rotation) -> Value {
    let participants: Vec<Value> = r
        .participants
        .iter()
        .map(|p| {
            let mut m = Map::new();
            m.insert("type".into(), (*p.kind).into());
            if let Some(id) = &p.id {
                m.insert("id".into(), (**id).into());
            }
            if let Some(name) = &p.name {
                let key = if &*p.kind == "user" {
                    "username"
                } else {
                    "name"
                };
                m.insert(key.into(), (**name).into());
            }
            Value::Object(m)
        })
        .collect();
    json!({
        "id": &*r.id,
        "name": &*r.name,
        "startDate": format_millis(r.start_date),
        "endDate": r.end_date.map(format_millis),
        "type": &*r.kind,
        "length": r.length,
        "participants": participants,
        "timeRestriction": r.time_restriction.clone().unwrap_or(Value::Null),
    })
}

/// Parses an alert in the REST shape. `id` is required; missing fields take Opsgenie's defaults
/// (status open, priority P3, count 1, times = `now_ms`). Keys the model does not know, or whose
/// value has an unexpected type, are kept verbatim and rendered back.
pub fn alert_from_json(value: &Value, now_ms: i64) -> Result<Alert, String> {
    let Value::Object(input) = value else {
        return Err("alert must be a JSON object".into());
    };
    let mut rest = input.clone();
    let id = match rest.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => Text::from(id),
        _ => return Err("alert needs a non-empty string `id`".into()),
    };
    let mut take = |key: &str| rest.remove(key);
    let mut alert = Alert {
        id,
        tiny_id: "0".into(),
        alias: "".into(),
        message: "".into(),
        status: "open".into(),
        acknowledged: false,
        is_seen: false,
        snoozed: false,
        snoozed_until: None,
        count: 1,
        created_at: now_ms,
        updated_at: now_ms,
        last_occurred_at: now_ms,
        source: "".into(),
        owner: "".into(),
        priority: "P3".into(),
        teams: Vec::new(),
        responders: Vec::new(),
        integration: None,
        report: AlertReport::default(),
        owner_team_id: "".into(),
        tags: Vec::new(),
        actions: Vec::new(),
        entity: "".into(),
        description: "".into(),
        details: Vec::new(),
        extra: Map::new(),
    };
    let mut unparsed = Map::new();
    let mut keep = |key: &str, v: Value| {
        unparsed.insert(key.to_owned(), v);
    };
    for key in [
        "tinyId", "alias", "message", "status", "source", "owner", "priority",
    ] {
        if let Some(v) = take(key) {
            match v.as_str() {
                Some(s) => {
                    let s = Text::from(s);
                    match key {
                        "tinyId" => alert.tiny_id = s,
                        "alias" => alert.alias = s,
                        "message" => alert.message = s,
                        "status" => alert.status = s,
                        "source" => alert.source = s,
                        "owner" => alert.owner = s,
                        _ => alert.priority = s,
                    }
                }
                None => keep(key, v),
            }
        }
    }
    for key in ["ownerTeamId", "entity", "description"] {
        if let Some(v) = take(key) {
            match v.as_str() {
                Some(s) if key == "ownerTeamId" => alert.owner_team_id = s.into(),
                Some(s) if key == "entity" => alert.entity = s.into(),
                Some(s) => alert.description = s.into(),
                None => keep(key, v),
            }
        }
    }
    for key in ["acknowledged", "isSeen", "snoozed"] {
        if let Some(v) = take(key) {
            match v.as_bool() {
                Some(b) if key == "acknowledged" => alert.acknowledged = b,
                Some(b) if key == "isSeen" => alert.is_seen = b,
                Some(b) => alert.snoozed = b,
                None => keep(key, v),
            }
        }
    }
    // `seen` mirrors `isSeen` in real data; only keep it when it disagrees.
    if let Some(v) = take("seen") {
        if v.as_bool() != Some(alert.is_seen) {
            keep("seen", v);
        }
    }
    if let Some(v) = take("count") {
        match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => alert.count = n,
            None => keep("count", v),
        }
    }
    let time = |v: &Value| match v {
        Value::String(s) => parse_millis(s),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    if let Some(v) = take("createdAt") {
        match time(&v) {
            Some(t) => {
                alert.created_at = t;
                alert.updated_at = t;
                alert.last_occurred_at = t;
            }
            None => return Err("`createdAt` must be an RFC 3339 timestamp".into()),
        }
    }
    for key in ["updatedAt", "lastOccurredAt", "snoozedUntil"] {
        if let Some(v) = take(key) {
            match time(&v) {
                Some(t) if key == "updatedAt" => alert.updated_at = t,
                Some(t) if key == "lastOccurredAt" => alert.last_occurred_at = t,
                Some(t) => alert.snoozed_until = Some(t),
                None => keep(key, v),
            }
        }
    }
    for key in ["tags", "actions"] {
        if let Some(v) = take(key) {
            match string_list(&v) {
                Some(list) if key == "tags" => alert.tags = list,
                Some(list) => alert.actions = list,
                None => keep(key, v),
            }
        }
    }
    if let Some(v) = take("teams") {
        let ids: Option<Vec<Text>> = v.as_array().and_then(|items| {
            items
                .iter()
                .map(|t| t.get("id").and_then(Value::as_str).map(Text::from))
                .collect()
        });
        match ids {
            Some(ids) => alert.teams = ids,
            None => keep("teams", v),
        }
    }
    if let Some(v) = take("responders") {
        let list: Option<Vec<Responder>> = v.as_array().and_then(|items| {
            items
                .iter()
                .map(|r| {
                    Some(Responder {
                        kind: r.get("type")?.as_str()?.into(),
                        id: r.get("id")?.as_str()?.into(),
                    })
                })
                .collect()
        });
        match list {
            Some(list) => alert.responders = list,
            None => keep("responders", v),
        }
    }
    if let Some(v) = take("integration") {
        let field = |k: &str| v.get(k).and_then(Value::as_str).map(Text::from);
        match (field("name"), field("type")) {
            (Some(name), Some(kind)) => {
                alert.integration = Some(AlertIntegration {
                    id: field("id").unwrap_or_else(|| "".into()),
                    name,
                    kind,
                })
            }
            _ => keep("integration", v),
        }
    }
    if let Some(v) = take("report") {
        match v.as_object() {
            Some(r) => {
                let report = &mut alert.report;
                report.ack_time = r.get("ackTime").and_then(Value::as_i64);
                report.close_time = r.get("closeTime").and_then(Value::as_i64);
                report.acknowledged_by = r
                    .get("acknowledgedBy")
                    .and_then(Value::as_str)
                    .map(Text::from);
                report.closed_by = r.get("closedBy").and_then(Value::as_str).map(Text::from);
            }
            None => keep("report", v),
        }
    }
    if let Some(v) = take("details") {
        let pairs: Option<Vec<(Text, Text)>> = v.as_object().and_then(|m| {
            m.iter()
                .map(|(k, v)| Some((Text::from(k.as_str()), Text::from(v.as_str()?))))
                .collect()
        });
        match pairs {
            Some(p) => alert.details = p,
            None => keep("details", v),
        }
    }
    unparsed.extend(rest);
    alert.extra = unparsed;
    Ok(alert)
}

fn string_list(v: &Value) -> Option<Vec<Text>> {
    v.as_array()?
        .iter()
        .map(|t| t.as_str().map(Text::from))
        .collect()
}
