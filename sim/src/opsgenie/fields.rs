//! Which fields each kind's search query accepts (opsgenie-api.md §5) and how they read a record.

use super::query::{FieldType, Searchable, Val};
use crate::generate::{Account, Alert, Incident, Service, Text, User};

fn any_str(items: &[Text], test: &mut dyn FnMut(Val) -> bool) -> bool {
    items.iter().any(|t| test(Val::Str(t)))
}

/// A team matches by name (what Opsgenie documents) or by id.
fn team_matches(account: &Account, id: &str, test: &mut dyn FnMut(Val) -> bool) -> bool {
    test(Val::Str(id)) || account.team(id).is_some_and(|t| test(Val::Str(&t.name)))
}

impl Searchable for Alert {
    fn field_type(field: &str) -> Option<FieldType> {
        use FieldType::*;
        Some(match field {
            "alertId" | "tinyId" | "alias" | "status" | "owner" | "acknowledgedBy" | "closedBy"
            | "teams" | "integration.name" | "integration.type" | "tag" | "tags" | "priority"
            | "details.key" | "details.value" | "responders" | "recipients" => Keyword,
            "message" | "description" | "source" | "entity" => Text,
            "isSeen" | "acknowledged" | "snoozed" => Bool,
            "count" => Number,
            "createdAt" | "updatedAt" | "lastOccurredAt" | "snoozedUntil" => Time,
            _ => return None,
        })
    }

    const FREE_TEXT_FIELDS: &'static [&'static str] =
        &["message", "description", "alias", "entity", "tags"];

    fn any_value(&self, field: &str, account: &Account, test: &mut dyn FnMut(Val) -> bool) -> bool {
        let a = self;
        match field {
            "alertId" => test(Val::Str(&a.id)),
            "tinyId" => test(Val::Str(&a.tiny_id)),
            "alias" => test(Val::Str(&a.alias)),
            "status" => test(Val::Str(&a.status)),
            "owner" => test(Val::Str(&a.owner)),
            "acknowledgedBy" => a
                .report
                .acknowledged_by
                .as_deref()
                .is_some_and(|s| test(Val::Str(s))),
            "closedBy" => a
                .report
                .closed_by
                .as_deref()
                .is_some_and(|s| test(Val::Str(s))),
            "teams" => a.teams.iter().any(|id| team_matches(account, id, test)),
            "integration.name" => a
                .integration
                .as_ref()
                .is_some_and(|i| test(Val::Str(&i.name))),
            "integration.type" => a
                .integration
                .as_ref()
                .is_some_and(|i| test(Val::Str(&i.kind))),
            "tag" | "tags" => any_str(&a.tags, test),
            "priority" => test(Val::Str(&a.priority)),
            "details.key" => a.details.iter().any(|(k, _)| test(Val::Str(k))),
            "details.value" => a.details.iter().any(|(_, v)| test(Val::Str(v))),
            "responders" | "recipients" => a.responders.iter().any(|r| match &*r.kind {
                "team" => team_matches(account, &r.id, test),
                "user" => {
                    test(Val::Str(&r.id))
                        || account
                            .user(&r.id)
                            .is_some_and(|u| test(Val::Str(&u.username)))
                }
                _ => test(Val::Str(&r.id)),
            }),
            "message" => test(Val::Str(&a.message)),
            "description" => test(Val::Str(&a.description)),
            "source" => test(Val::Str(&a.source)),
            "entity" => test(Val::Str(&a.entity)),
            "isSeen" => test(Val::Bool(a.is_seen)),
            "acknowledged" => test(Val::Bool(a.acknowledged)),
            "snoozed" => test(Val::Bool(a.snoozed)),
            "count" => test(Val::Num(i64::from(a.count))),
            "createdAt" => test(Val::Num(a.created_at)),
            "updatedAt" => test(Val::Num(a.updated_at)),
            "lastOccurredAt" => test(Val::Num(a.last_occurred_at)),
            "snoozedUntil" => a.snoozed_until.is_some_and(|t| test(Val::Num(t))),
            _ => false,
        }
    }
}

impl Searchable for Incident {
    fn field_type(field: &str) -> Option<FieldType> {
        use FieldType::*;
        Some(match field {
            "id" | "tinyId" | "status" | "priority" | "teams" | "services" | "tag" | "tags"
            | "actions" | "details.key" | "details.value" | "postmortemStatus" => Keyword,
            "message" | "description" => Text,
            "postmortemRequired" => Bool,
            "createdAt" | "postmortemPublishDueDate" => Time,
            _ => return None,
        })
    }

    const FREE_TEXT_FIELDS: &'static [&'static str] = &["message", "description", "tags"];

    fn any_value(&self, field: &str, account: &Account, test: &mut dyn FnMut(Val) -> bool) -> bool {
        let i = self;
        match field {
            "id" => test(Val::Str(&i.id)),
            "tinyId" => test(Val::Str(&i.tiny_id)),
            "status" => test(Val::Str(&i.status)),
            "priority" => test(Val::Str(&i.priority)),
            "teams" => !i.owner_team.is_empty() && team_matches(account, &i.owner_team, test),
            "services" => i.impacted_services.iter().any(|id| {
                test(Val::Str(id)) || account.service(id).is_some_and(|s| test(Val::Str(&s.name)))
            }),
            "tag" | "tags" => any_str(&i.tags, test),
            "actions" => any_str(&i.actions, test),
            "details.key" => i.extra_properties.iter().any(|(k, _)| test(Val::Str(k))),
            "details.value" => i.extra_properties.iter().any(|(_, v)| test(Val::Str(v))),
            // The simulator models no postmortems.
            "postmortemStatus" => test(Val::Str("no-postmortem")),
            "postmortemRequired" => test(Val::Bool(false)),
            "message" => test(Val::Str(&i.message)),
            "description" => test(Val::Str(&i.description)),
            "createdAt" => test(Val::Num(i.created_at)),
            _ => false,
        }
    }
}

impl Searchable for Service {
    fn field_type(field: &str) -> Option<FieldType> {
        Some(match field {
            "id" | "teamId" | "tag" | "tags" => FieldType::Keyword,
            "name" | "description" => FieldType::Text,
            "isExternal" => FieldType::Bool,
            _ => return None,
        })
    }

    const FREE_TEXT_FIELDS: &'static [&'static str] = &["name", "description"];

    fn any_value(&self, field: &str, _: &Account, test: &mut dyn FnMut(Val) -> bool) -> bool {
        match field {
            "id" => test(Val::Str(&self.id)),
            "teamId" => test(Val::Str(&self.team_id)),
            "tag" | "tags" => any_str(&self.tags, test),
            "name" => test(Val::Str(&self.name)),
            "description" => test(Val::Str(&self.description)),
            "isExternal" => test(Val::Bool(self.is_external)),
            _ => false,
        }
    }
}

impl Searchable for User {
    fn field_type(field: &str) -> Option<FieldType> {
        Some(match field {
            "username" | "role" | "timeZone" | "locale" => FieldType::Keyword,
            "fullName" => FieldType::Text,
            "blocked" | "verified" => FieldType::Bool,
            "createdAt" => FieldType::Time,
            _ => return None,
        })
    }

    const FREE_TEXT_FIELDS: &'static [&'static str] = &["username", "fullName"];

    fn any_value(&self, field: &str, _: &Account, test: &mut dyn FnMut(Val) -> bool) -> bool {
        match field {
            "username" => test(Val::Str(&self.username)),
            "role" => test(Val::Str(&self.role_name)) || test(Val::Str(&self.role_id)),
            "timeZone" => test(Val::Str(&self.time_zone)),
            "locale" => test(Val::Str(&self.locale)),
            "fullName" => test(Val::Str(&self.full_name)),
            "blocked" => test(Val::Bool(self.blocked)),
            "verified" => test(Val::Bool(self.verified)),
            "createdAt" => test(Val::Num(self.created_at)),
            _ => false,
        }
    }
}
