//! The sample objects of the Opsgenie integration docs ("Let's Test It"), plus the users, team and
//! schedule they reference, so enrichment (team members, on-call users, open incidents, related
//! incident) can be computed for them.
//!
//! One deliberate deviation: the docs' alert *payload* is internally inconsistent (its id has a
//! truncated 12-digit millisecond suffix, `integration` is a bare string, and it says
//! `acknowledged: false` next to a `report.ackTime`). The documented *entity* matches a coherent
//! alert (id suffix = createdAt = 2023-09-16T12:23:22.321Z, acknowledged, updated
//! 2023-09-26T17:51:00.346Z), so the sample alert is that coherent one.

use super::model::*;
use super::time::parse_millis;
use super::Account;

const TESTUSER_ID: &str = "ce544b61-7b35-43ea-89ee-a8750638d3a4";
const DEVTESTER_ID: &str = "9ea8f86a-6648-46d6-a2fc-1a6eb5f739c8";
const TEAM_ID: &str = "63374eee-0b03-42d4-bb8c-50d1fa64827c";
const OUTBOUND_SERVICE_ID: &str = "daa0d66f-ad35-4396-b30d-70f0314c697a";
const TEST_SERVICE_ID: &str = "59591948-d418-4bb9-af16-170d6b232b7d";
/// The sample alert's id.
pub const SAMPLE_ALERT_ID: &str = "580e9625-ecc7-42b0-8836-3d3637438bc4-1694867002321";

fn at(text: &str) -> i64 {
    // The literals below are valid; a typo would show up as the epoch in every sample test.
    parse_millis(text).unwrap_or_default()
}

fn texts(items: &[&str]) -> Vec<Text> {
    items.iter().map(|s| Text::from(*s)).collect()
}

fn responder(kind: &str, id: &str) -> Responder {
    Responder {
        kind: kind.into(),
        id: id.into(),
    }
}

fn user(id: &str, username: &str, full_name: &str, role: &str, created: &str) -> User {
    User {
        id: id.into(),
        username: username.into(),
        full_name: full_name.into(),
        role_id: role.into(),
        role_name: role.into(),
        time_zone: "Asia/Jerusalem".into(),
        locale: "en_US".into(),
        address: UserAddress {
            country: "".into(),
            state: "".into(),
            city: "".into(),
            line: "".into(),
            zip_code: "".into(),
        },
        blocked: false,
        verified: true,
        created_at: at(created),
    }
}

impl Account {
    /// The docs' sample service, incidents and alert with everything they reference.
    pub fn seed_sample() -> Account {
        let users = vec![
            user(
                TESTUSER_ID,
                "testuser@gmail.com",
                "Test User",
                "Owner",
                "2023-04-01T09:00:00Z",
            ),
            user(
                DEVTESTER_ID,
                "devtester@gmail.com",
                "Dev Tester",
                "User",
                "2023-04-02T10:30:00Z",
            ),
        ];
        let team = Team {
            id: TEAM_ID.into(),
            name: "Data Science Team".into(),
            description: "".into(),
            members: vec![
                TeamMember {
                    user_id: TESTUSER_ID.into(),
                    username: "testuser@gmail.com".into(),
                    role: "admin".into(),
                },
                TeamMember {
                    user_id: DEVTESTER_ID.into(),
                    username: "devtester@gmail.com".into(),
                    role: "user".into(),
                },
            ],
        };
        let services = vec![
            Service {
                id: OUTBOUND_SERVICE_ID.into(),
                name: "Port Outbound Service".into(),
                description: "For outbound communications and integrations".into(),
                team_id: TEAM_ID.into(),
                tags: texts(&["communication", "channel"]),
                is_external: false,
            },
            Service {
                id: TEST_SERVICE_ID.into(),
                name: "My Test Service".into(),
                description: "This is for Opsgenie testing".into(),
                team_id: TEAM_ID.into(),
                tags: texts(&["port", "devops", "ai"]),
                is_external: false,
            },
        ];
        let schedule = Schedule {
            id: "d55e148e-d320-4766-9dcf-4fc2ce9daef1".into(),
            name: "Data Science Team_schedule".into(),
            description: "".into(),
            timezone: "Asia/Jerusalem".into(),
            enabled: true,
            owner_team: Some((TEAM_ID.into(), "Data Science Team".into())),
            rotations: vec![Rotation {
                id: "1f0b7c3e-2a4d-4e8f-9b6a-5c3d2e1f0a9b".into(),
                name: "Rota1".into(),
                start_date: at("2023-09-18T08:00:00Z"),
                end_date: None,
                kind: "weekly".into(),
                length: 1,
                participants: vec![
                    Participant {
                        kind: "user".into(),
                        id: Some(TESTUSER_ID.into()),
                        name: Some("testuser@gmail.com".into()),
                    },
                    Participant {
                        kind: "user".into(),
                        id: Some(DEVTESTER_ID.into()),
                        name: Some("devtester@gmail.com".into()),
                    },
                ],
                time_restriction: None,
            }],
            on_call: vec![OnCallUser {
                user_id: TESTUSER_ID.into(),
                username: "testuser@gmail.com".into(),
            }],
        };
        let incident = |id: &str, tiny: &str, message: &str, description: &str| Incident {
            id: id.into(),
            tiny_id: tiny.into(),
            message: message.into(),
            description: description.into(),
            status: "open".into(),
            priority: "P3".into(),
            tags: Vec::new(),
            created_at: 0,
            updated_at: 0,
            impact_start: 0,
            impact_end: None,
            owner_team: "".into(),
            responders: vec![responder("team", TEAM_ID), responder("user", TESTUSER_ID)],
            impacted_services: Vec::new(),
            extra_properties: Vec::new(),
            actions: Vec::new(),
            associated_alert_ids: Vec::new(),
        };
        let openai = Incident {
            tags: texts(&["tags"]),
            created_at: at("2023-09-26T17:06:16.824Z"),
            updated_at: at("2023-09-26T17:49:10.17Z"),
            impact_start: at("2023-09-26T17:06:16.824Z"),
            impact_end: Some(at("2023-09-26T17:45:25.719Z")),
            impacted_services: texts(&[OUTBOUND_SERVICE_ID]),
            ..incident(
                "652f14b3-019a-4d4c-8b83-e4da527a416c",
                "3",
                "OpenAI Incident",
                "summary",
            )
        };
        let mut mine = Incident {
            tags: texts(&["hello"]),
            created_at: at("2023-09-20T13:33:00.941Z"),
            updated_at: at("2023-09-26T17:48:54.48Z"),
            impact_start: at("2023-09-20T13:33:00.941Z"),
            impacted_services: texts(&[TEST_SERVICE_ID, OUTBOUND_SERVICE_ID]),
            associated_alert_ids: texts(&[SAMPLE_ALERT_ID]),
            ..incident(
                "4a0c5e6d-b239-4cd9-a7e8-a5f880e99473",
                "2",
                "My Incident",
                "descirption",
            )
        };
        mine.responders.push(responder("user", DEVTESTER_ID));
        let created = at("2023-09-16T12:23:22.321Z");
        let alert = Alert {
            id: SAMPLE_ALERT_ID.into(),
            tiny_id: "2".into(),
            alias: "355f1681-f6e3-4355-a927-897cd8edaf8f_4d37bc8a-030b-4e8f-a230-aa429947253c"
                .into(),
            message: "Login Auth not working".into(),
            status: "open".into(),
            acknowledged: true,
            is_seen: true,
            snoozed: false,
            snoozed_until: None,
            count: 1,
            created_at: created,
            updated_at: at("2023-09-26T17:51:00.346Z"),
            last_occurred_at: created,
            source: "testuser@gmail.com".into(),
            owner: "testuser@gmail.com".into(),
            priority: "P3".into(),
            teams: Vec::new(),
            responders: vec![responder("user", TESTUSER_ID)],
            integration: Some(AlertIntegration {
                id: "4513b7ea-3b91-438f-b7e4-e3e54af9147c".into(),
                name: "Default API".into(),
                kind: "API".into(),
            }),
            report: AlertReport {
                ack_time: Some(4_852_912_663),
                ..AlertReport::default()
            },
            owner_team_id: "".into(),
            tags: texts(&["auth", "login"]),
            actions: Vec::new(),
            entity: "".into(),
            description: "".into(),
            details: Vec::new(),
            extra: serde_json::Map::new(),
        };
        let mut account = Account {
            users,
            teams: vec![team],
            services,
            schedules: vec![schedule],
            incidents: vec![mine, openai],
            ..Account::empty()
        };
        account.alerts_mut().upsert(alert);
        account
    }
}
