//! `Account::generate`: a deterministic, realistic account from a [`GenSpec`].

use std::collections::HashMap;

use serde_json::json;

use super::model::*;
use super::rng::Rng;
use super::{Account, GenSpec, WINDOW_END_MS, WINDOW_MS};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const WINDOW_START_MS: i64 = WINDOW_END_MS - WINDOW_MS;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dan", "Eitan", "Fiona", "Gal", "Hana", "Ivan", "Julia", "Kofi", "Lea",
    "Maya", "Noam", "Omar", "Priya", "Ravi", "Sara", "Tom", "Yael",
];
const LAST_NAMES: &[&str] = &[
    "Levi", "Cohen", "Smith", "Garcia", "Okafor", "Novak", "Tanaka", "Kumar", "Muller", "Rossi",
    "Silva", "Dubois",
];
const TIME_ZONES: &[&str] = &[
    "Asia/Jerusalem",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Africa/Monrovia",
    "UTC",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Israel", "", "Tel Aviv"),
    ("United Kingdom", "", "London"),
    ("United States", "NY", "New York"),
    ("United States", "CA", "San Francisco"),
    ("Germany", "", "Berlin"),
    ("India", "KA", "Bangalore"),
];
const TEAM_NAMES: &[&str] = &[
    "Platform",
    "Payments",
    "Data Science",
    "Mobile",
    "Identity",
    "Search",
    "Infrastructure",
    "Growth",
    "SRE",
    "Security",
    "Devops",
    "Frontend",
];
const SERVICE_NAMES: &[&str] = &[
    "Checkout API",
    "Payments Gateway",
    "Login Service",
    "Search Indexer",
    "Notification Hub",
    "Port Outbound Service",
    "Billing Worker",
    "Mobile Backend",
    "Data Pipeline",
    "Edge Proxy",
    "Recommendation Engine",
    "Audit Log",
];
const SERVICE_DESCRIPTIONS: &[&str] = &[
    "",
    "For outbound communications and integrations",
    "Customer-facing API",
    "Internal batch processing",
    "Owned by the on-call rotation",
];
const TAGS: &[&str] = &[
    "auth",
    "login",
    "database",
    "network",
    "latency",
    "disk",
    "memory",
    "cpu",
    "prod",
    "staging",
    "eu-west-1",
    "us-east-1",
    "customer-impact",
    "flaky",
];
const ALERT_MESSAGES: &[&str] = &[
    "CPU usage above 90% on",
    "Disk almost full on",
    "High error rate on",
    "Login Auth not working on",
    "Memory pressure on",
    "Health check failing for",
    "Latency p99 over SLO on",
    "Certificate expiring soon on",
];
const HOST_PREFIXES: &[&str] = &["web", "db", "api", "worker", "cache", "lb"];
const INCIDENT_MESSAGES: &[&str] = &[
    "Checkout outage",
    "Degraded search results",
    "Payment provider timeouts",
    "Login failures in EU",
    "Data pipeline delayed",
    "Elevated 5xx on edge",
    "OpenAI Incident",
    "My Incident",
];
const DESCRIPTIONS: &[&str] = &[
    "",
    "summary",
    "Investigating elevated error rates",
    "Customers report slow responses",
    "Auto-created by monitoring",
];
const SOURCES: &[&str] = &["", "Datadog", "Prometheus", "Alert API", "web"];
const INTEGRATIONS: &[(&str, &str)] = &[
    ("Default API", "API"),
    ("Datadog", "Datadog"),
    ("Prometheus", "Prometheus"),
    ("Email", "Email"),
];

/// A random string from a pool (named so type inference sees `&str`, not `str`).
fn pick<'a>(rng: &mut Rng, pool: &[&'a str]) -> &'a str {
    pool[rng.index(pool.len())]
}

/// Priorities weighted towards P3, as in real accounts.
fn priority(rng: &mut Rng) -> Text {
    Text::from(*rng.pick(&["P1", "P2", "P2", "P3", "P3", "P3", "P3", "P4", "P4", "P5"]))
}

/// Deduplicates repeated strings so 100k records share their text.
#[derive(Default)]
struct Interner(HashMap<String, Text>);

impl Interner {
    fn get(&mut self, s: &str) -> Text {
        if let Some(t) = self.0.get(s) {
            return t.clone();
        }
        let t = Text::from(s);
        self.0.insert(s.to_owned(), t.clone());
        t
    }
}

/// `count` distinct indexes below `len` (fewer if `len < count`).
fn distinct(rng: &mut Rng, len: usize, count: usize) -> Vec<usize> {
    let mut picked = Vec::new();
    let start = rng.index(len.max(1));
    let stride = 1 + rng.index(len.max(1));
    for k in 0..len {
        if picked.len() == count.min(len) {
            break;
        }
        let i = (start + k * stride) % len;
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    // A stride sharing a factor with `len` cycles early; fill linearly.
    let mut i = 0;
    while picked.len() < count.min(len) {
        if !picked.contains(&i) {
            picked.push(i);
        }
        i += 1;
    }
    picked
}

fn unique_name(pool: &[&str], i: usize, suffix: &str) -> String {
    let base = pool[i % pool.len()];
    match i / pool.len() {
        0 => format!("{base}{suffix}"),
        round => format!("{base}{suffix} {}", round + 1),
    }
}

impl Account {
    /// A deterministic account: the same spec always gives the same account. Every entity draws
    /// from its own random stream, so e.g. users do not change when more alerts are requested.
    pub fn generate(spec: &GenSpec) -> Account {
        let seed = spec.seed;
        let mut words = Interner::default();
        let users: Vec<User> = (0..spec.users).map(|i| gen_user(seed, i)).collect();
        let teams: Vec<Team> = (0..spec.teams).map(|i| gen_team(seed, i, &users)).collect();
        let services: Vec<Service> = (0..spec.services)
            .map(|i| gen_service(seed, i, &teams, &mut words))
            .collect();
        let schedules: Vec<Schedule> = (0..spec.schedules)
            .map(|i| gen_schedule(seed, i, &teams, &users))
            .collect();
        let mut incidents: Vec<Incident> = (0..spec.incidents)
            .map(|i| gen_incident(seed, i, &teams, &users, &services, &mut words))
            .collect();
        incidents.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        for (n, incident) in incidents.iter_mut().enumerate() {
            incident.tiny_id = (n + 1).to_string().into();
        }

        let integrations: Vec<AlertIntegration> = INTEGRATIONS
            .iter()
            .enumerate()
            .map(|(k, (name, kind))| AlertIntegration {
                id: Rng::for_entity(seed, b"integration", k as u64)
                    .uuid()
                    .into(),
                name: words.get(name),
                kind: words.get(kind),
            })
            .collect();
        let context = AlertContext {
            seed,
            users: &users,
            teams: &teams,
            integrations: &integrations,
        };
        let mut alerts: Vec<Alert> = (0..spec.alerts)
            .map(|i| context.alert(i, &mut incidents, &mut words))
            .collect();
        alerts.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mut account = Account {
            users,
            teams,
            services,
            schedules,
            incidents,
            ..Account::empty()
        };
        for (n, mut alert) in alerts.into_iter().enumerate() {
            alert.tiny_id = (n + 1).to_string().into();
            account.alerts_mut().upsert(alert);
        }
        account
    }
}

fn gen_user(seed: u64, i: usize) -> User {
    let mut rng = Rng::for_entity(seed, b"user", i as u64);
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let (country, state, city) = *rng.pick(CITIES);
    let (role_id, role_name) = match (i, rng.below(10)) {
        (0, _) => ("Owner", "Owner"),
        (_, 0..=1) => ("Admin", "Admin"),
        _ => ("User", "User"),
    };
    User {
        id: rng.uuid().into(),
        username: format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase(),
            i
        )
        .into(),
        full_name: format!("{first} {last}").into(),
        role_id: role_id.into(),
        role_name: role_name.into(),
        time_zone: (*rng.pick(TIME_ZONES)).into(),
        locale: "en_US".into(),
        address: UserAddress {
            country: country.into(),
            state: state.into(),
            city: city.into(),
            line: format!("{} Main St", 1 + rng.below(200)).into(),
            zip_code: format!("{:05}", rng.below(100_000)).into(),
        },
        blocked: rng.chance(3),
        verified: rng.chance(90),
        created_at: WINDOW_START_MS - 1 - rng.below(365 * DAY_MS as u64) as i64,
    }
}

fn gen_team(seed: u64, i: usize, users: &[User]) -> Team {
    let mut rng = Rng::for_entity(seed, b"team", i as u64);
    let size = 1 + rng.index(5);
    let members = distinct(&mut rng, users.len(), size)
        .into_iter()
        .enumerate()
        .map(|(k, u)| TeamMember {
            user_id: users[u].id.clone(),
            username: users[u].username.clone(),
            role: if k == 0 { "admin" } else { "user" }.into(),
        })
        .collect();
    Team {
        id: rng.uuid().into(),
        name: unique_name(TEAM_NAMES, i, " Team").into(),
        description: if rng.chance(50) {
            "".into()
        } else {
            "Owns its services end to end".into()
        },
        members,
    }
}

fn gen_service(seed: u64, i: usize, teams: &[Team], words: &mut Interner) -> Service {
    let mut rng = Rng::for_entity(seed, b"service", i as u64);
    let tag_count = rng.index(4);
    Service {
        id: rng.uuid().into(),
        name: unique_name(SERVICE_NAMES, i, "").into(),
        description: words.get(pick(&mut rng, SERVICE_DESCRIPTIONS)),
        team_id: if teams.is_empty() {
            "".into()
        } else {
            teams[rng.index(teams.len())].id.clone()
        },
        tags: distinct(&mut rng, TAGS.len(), tag_count)
            .into_iter()
            .map(|t| words.get(TAGS[t]))
            .collect(),
        is_external: rng.chance(10),
    }
}

fn gen_schedule(seed: u64, i: usize, teams: &[Team], users: &[User]) -> Schedule {
    let mut rng = Rng::for_entity(seed, b"schedule", i as u64);
    let owner = (!teams.is_empty()).then(|| &teams[i % teams.len()]);
    let name = match owner {
        Some(team) if i < teams.len() => format!("{}_schedule", team.name),
        Some(team) => format!("{}_schedule {}", team.name, i / teams.len() + 1),
        None => format!("Schedule {}", i + 1),
    };
    let rotation_count = if rng.chance(10) { 0 } else { 1 + rng.index(3) };
    let mut rotations = Vec::new();
    for k in 0..rotation_count {
        let pool: Vec<(Text, Text)> = match owner {
            Some(team) if !team.members.is_empty() => team
                .members
                .iter()
                .map(|m| (m.user_id.clone(), m.username.clone()))
                .collect(),
            _ => users
                .iter()
                .map(|u| (u.id.clone(), u.username.clone()))
                .collect(),
        };
        let count = 1 + rng.index(3);
        let mut participants: Vec<Participant> = distinct(&mut rng, pool.len(), count)
            .into_iter()
            .map(|p| Participant {
                kind: "user".into(),
                id: Some(pool[p].0.clone()),
                name: Some(pool[p].1.clone()),
            })
            .collect();
        if participants.is_empty() || rng.chance(10) {
            participants.push(Participant {
                kind: "none".into(),
                id: None,
                name: None,
            });
        }
        let start = WINDOW_START_MS + rng.below(90) as i64 * DAY_MS + 8 * HOUR_MS;
        let time_restriction = match rng.below(10) {
            0..=1 => Some(json!({
                "type": "time-of-day",
                "restriction": { "startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0 },
            })),
            2 => Some(json!({
                "type": "weekday-and-time-of-day",
                "restrictions": [{
                    "startDay": "monday", "startHour": 8, "startMin": 0,
                    "endDay": "friday", "endHour": 18, "endMin": 0,
                }],
            })),
            _ => None,
        };
        rotations.push(Rotation {
            id: rng.uuid().into(),
            name: format!("Rota{}", k + 1).into(),
            start_date: start,
            end_date: rng.chance(30).then_some(start + 90 * DAY_MS),
            kind: (*rng.pick(&["daily", "weekly", "weekly", "hourly"])).into(),
            length: 1 + rng.below(2) as u32,
            participants,
            time_restriction,
        });
    }
    // The current on-call user of each rotation: one of its user participants.
    let mut on_call: Vec<OnCallUser> = Vec::new();
    for rotation in &rotations {
        let people: Vec<&Participant> = rotation
            .participants
            .iter()
            .filter(|p| &*p.kind == "user")
            .collect();
        if people.is_empty() {
            continue;
        }
        let p = people[rng.index(people.len())];
        if let (Some(id), Some(name)) = (&p.id, &p.name) {
            if !on_call.iter().any(|o| o.user_id == *id) {
                on_call.push(OnCallUser {
                    user_id: id.clone(),
                    username: name.clone(),
                });
            }
        }
    }
    Schedule {
        id: rng.uuid().into(),
        name: name.into(),
        description: if rng.chance(70) {
            "".into()
        } else {
            "Primary on-call".into()
        },
        timezone: (*rng.pick(TIME_ZONES)).into(),
        enabled: rng.chance(90),
        owner_team: owner.map(|t| (t.id.clone(), t.name.clone())),
        rotations,
        on_call,
    }
}

fn gen_incident(
    seed: u64,
    i: usize,
    teams: &[Team],
    users: &[User],
    services: &[Service],
    words: &mut Interner,
) -> Incident {
    let mut rng = Rng::for_entity(seed, b"incident", i as u64);
    let created = WINDOW_START_MS + rng.below(WINDOW_MS as u64) as i64;
    let status = *rng.pick(&[
        "open", "open", "open", "open", "open", "resolved", "resolved", "resolved", "closed",
        "closed",
    ]);
    let impact_end = (status != "open" || rng.chance(10))
        .then(|| created + rng.below(2 * DAY_MS as u64) as i64 + 1);
    let mut responders = Vec::new();
    if !teams.is_empty() {
        responders.push(Responder {
            kind: "team".into(),
            id: teams[rng.index(teams.len())].id.clone(),
        });
    }
    let user_count = rng.index(3);
    for u in distinct(&mut rng, users.len(), user_count) {
        responders.push(Responder {
            kind: "user".into(),
            id: users[u].id.clone(),
        });
    }
    let service_count = 1 + rng.index(3);
    let impacted_services = distinct(&mut rng, services.len(), service_count)
        .into_iter()
        .map(|s| services[s].id.clone())
        .collect();
    let tag_count = rng.index(3);
    Incident {
        id: rng.uuid().into(),
        tiny_id: "0".into(),
        message: words.get(pick(&mut rng, INCIDENT_MESSAGES)),
        description: words.get(pick(&mut rng, DESCRIPTIONS)),
        status: status.into(),
        priority: priority(&mut rng),
        tags: distinct(&mut rng, TAGS.len(), tag_count)
            .into_iter()
            .map(|t| words.get(TAGS[t]))
            .collect(),
        created_at: created,
        updated_at: impact_end.unwrap_or(created) + rng.below(DAY_MS as u64) as i64,
        impact_start: created,
        impact_end,
        owner_team: if teams.is_empty() || rng.chance(50) {
            "".into()
        } else {
            teams[rng.index(teams.len())].id.clone()
        },
        responders,
        impacted_services,
        extra_properties: if rng.chance(20) {
            vec![(
                words.get("region"),
                words.get(pick(&mut rng, &["eu-west-1", "us-east-1"])),
            )]
        } else {
            Vec::new()
        },
        actions: Vec::new(),
        associated_alert_ids: Vec::new(),
    }
}

struct AlertContext<'a> {
    seed: u64,
    users: &'a [User],
    teams: &'a [Team],
    integrations: &'a [AlertIntegration],
}

impl AlertContext<'_> {
    fn username(&self, rng: &mut Rng) -> Option<Text> {
        (!self.users.is_empty()).then(|| self.users[rng.index(self.users.len())].username.clone())
    }

    /// Alert `i`; a quarter of them are spawned by an incident (alias `<incidentId>_<uuid>`, and
    /// listed in that incident's associated alert ids).
    fn alert(&self, i: usize, incidents: &mut [Incident], words: &mut Interner) -> Alert {
        let mut rng = Rng::for_entity(self.seed, b"alert", i as u64);
        let uuid = rng.uuid();
        let incident =
            (!incidents.is_empty() && rng.chance(25)).then(|| rng.index(incidents.len()));
        let created = match incident {
            Some(k) => {
                (incidents[k].created_at + rng.below(DAY_MS as u64) as i64).min(WINDOW_END_MS - 1)
            }
            None => WINDOW_START_MS + rng.below(WINDOW_MS as u64) as i64,
        };
        let id: Text = format!("{uuid}-{created}").into();
        let host = format!("{}-{}", rng.pick(HOST_PREFIXES), 1 + rng.below(40));
        let alias: Text = match incident {
            Some(k) => {
                incidents[k].associated_alert_ids.push(id.clone());
                format!("{}_{}", incidents[k].id, rng.uuid()).into()
            }
            None if rng.chance(50) => format!("{host}-{}", rng.below(1000)).into(),
            None => rng.uuid().into(),
        };
        let closed = rng.chance(40);
        let acknowledged = rng.chance(if closed { 70 } else { 30 });
        let is_seen = acknowledged || rng.chance(50);
        let snoozed = !closed && !acknowledged && rng.chance(5);
        let count = if rng.chance(70) {
            1
        } else {
            2 + rng.below(49) as u32
        };
        let last_occurred = if count > 1 {
            created + rng.below(3 * DAY_MS as u64) as i64
        } else {
            created
        };
        let mut report = AlertReport::default();
        let mut updated = last_occurred;
        if acknowledged {
            let ack = 1 + rng.below(2 * HOUR_MS as u64) as i64;
            report.ack_time = Some(ack);
            report.acknowledged_by = self.username(&mut rng);
            updated = updated.max(created + ack);
        }
        if closed {
            let close = report.ack_time.unwrap_or(0) + 1 + rng.below(DAY_MS as u64) as i64;
            report.close_time = Some(close);
            report.closed_by = self
                .username(&mut rng)
                .filter(|_| rng.chance(80))
                .or_else(|| Some(words.get("Alert API")));
            updated = updated.max(created + close);
        }
        updated += rng.below(60_000) as i64;
        let team_count = if self.teams.is_empty() {
            0
        } else {
            rng.index(3)
        };
        let teams: Vec<Text> = distinct(&mut rng, self.teams.len(), team_count)
            .into_iter()
            .map(|t| self.teams[t].id.clone())
            .collect();
        let mut responders: Vec<Responder> = teams
            .iter()
            .map(|t| Responder {
                kind: words.get("team"),
                id: t.clone(),
            })
            .collect();
        if !self.users.is_empty() && rng.chance(60) {
            responders.push(Responder {
                kind: words.get("user"),
                id: self.users[rng.index(self.users.len())].id.clone(),
            });
        }
        let owner = if rng.chance(50) {
            self.username(&mut rng)
        } else {
            None
        };
        let source = match rng.below(5) {
            0 => owner.clone().unwrap_or_else(|| words.get("")),
            _ => words.get(pick(&mut rng, SOURCES)),
        };
        let tag_count = rng.index(5);
        let detail_count = rng.index(3);
        let details = [
            ("region", &["eu-west-1", "us-east-1"][..]),
            ("env", &["prod", "staging"][..]),
            ("host", &[][..]),
        ]
        .into_iter()
        .take(detail_count)
        .map(|(k, values)| {
            let v = if values.is_empty() {
                words.get(&host)
            } else {
                words.get(pick(&mut rng, values))
            };
            (words.get(k), v)
        })
        .collect();
        Alert {
            id,
            tiny_id: "0".into(),
            alias,
            message: words.get(&format!("{} {host}", rng.pick(ALERT_MESSAGES))),
            status: words.get(if closed { "closed" } else { "open" }),
            acknowledged,
            is_seen,
            snoozed,
            snoozed_until: snoozed.then(|| WINDOW_END_MS + 1 + rng.below(2 * DAY_MS as u64) as i64),
            count,
            created_at: created,
            updated_at: updated,
            last_occurred_at: last_occurred,
            source,
            owner: owner.unwrap_or_else(|| words.get("")),
            priority: priority(&mut rng),
            owner_team_id: match teams.first() {
                Some(t) if rng.chance(50) => t.clone(),
                _ => words.get(""),
            },
            teams,
            responders,
            integration: (!rng.chance(20))
                .then(|| self.integrations[rng.index(self.integrations.len())].clone()),
            report,
            tags: distinct(&mut rng, TAGS.len(), tag_count)
                .into_iter()
                .map(|t| words.get(TAGS[t]))
                .collect(),
            actions: if rng.chance(20) {
                vec![words.get("Restart"), words.get("Ping")]
            } else {
                Vec::new()
            },
            entity: if rng.chance(60) {
                words.get(&host)
            } else {
                words.get("")
            },
            description: words.get(pick(&mut rng, DESCRIPTIONS)),
            details,
            extra: serde_json::Map::new(),
        }
    }
}
