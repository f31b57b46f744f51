//! The account generator: determinism and realistic, consistent shapes.

use std::collections::HashSet;

use opsgenie_port_sim::generate::{
    time::parse_millis, Account, AlertView, GenSpec, WINDOW_END_MS, WINDOW_MS,
};

fn spec(seed: u64) -> GenSpec {
    GenSpec {
        seed,
        alerts: 2_000,
        incidents: 60,
        services: 15,
        teams: 14,
        users: 50,
        schedules: 16,
    }
}

fn alerts_json(account: &Account) -> Vec<serde_json::Value> {
    account
        .alerts()
        .iter()
        .map(|a| a.to_json(AlertView::Get))
        .collect()
}

#[test]
fn same_seed_same_account_other_seed_other_account() {
    let a = Account::generate(&spec(11));
    let b = Account::generate(&spec(11));
    let c = Account::generate(&spec(12));
    assert_eq!(alerts_json(&a), alerts_json(&b));
    assert_eq!(a.incidents, b.incidents);
    assert_eq!(a.schedules, b.schedules);
    assert_ne!(alerts_json(&a), alerts_json(&c));
    // Entities draw from their own streams: more alerts leave users and teams unchanged.
    let bigger = Account::generate(&GenSpec {
        alerts: 2_500,
        ..spec(11)
    });
    assert_eq!(a.users, bigger.users);
    assert_eq!(a.teams, bigger.teams);
}

#[test]
fn records_reference_each_other_consistently() {
    let account = Account::generate(&spec(5));
    let service_ids: HashSet<&str> = account.services.iter().map(|s| &*s.id).collect();
    let team_ids: HashSet<&str> = account.teams.iter().map(|t| &*t.id).collect();
    let user_ids: HashSet<&str> = account.users.iter().map(|u| &*u.id).collect();
    assert!(account
        .services
        .iter()
        .all(|s| team_ids.contains(&*s.team_id)));
    assert!(
        account
            .teams
            .iter()
            .all(|t| !t.members.is_empty()
                && t.members.iter().all(|m| user_ids.contains(&*m.user_id)))
    );
    for incident in &account.incidents {
        assert!(!incident.impacted_services.is_empty());
        assert!(incident
            .impacted_services
            .iter()
            .all(|s| service_ids.contains(&**s)));
        assert!(incident.owner_team.is_empty() || team_ids.contains(&*incident.owner_team));
        if &*incident.status != "open" {
            assert!(incident
                .impact_end
                .is_some_and(|end| end > incident.impact_start));
        }
        for alert_id in &incident.associated_alert_ids {
            let alert = account
                .alerts()
                .get(alert_id)
                .expect("associated alert exists");
            assert_eq!(alert.alias_incident_prefix(), Some(&*incident.id));
        }
    }
    let spawned = account
        .alerts()
        .iter()
        .filter(|a| a.alias_incident_prefix().is_some())
        .count();
    let associated: usize = account
        .incidents
        .iter()
        .map(|i| i.associated_alert_ids.len())
        .sum();
    assert_eq!(spawned, associated);
    assert!(spawned > 200 && spawned < 800, "{spawned}");
    for schedule in &account.schedules {
        let (team_id, team_name) = schedule.owner_team.as_ref().expect("owner team");
        assert_eq!(&*account.team(team_id).unwrap().name, &**team_name);
        assert!(schedule.name.starts_with(&**team_name));
        let rotation_users: HashSet<&str> = schedule
            .rotations
            .iter()
            .flat_map(|r| r.participants.iter().filter_map(|p| p.name.as_deref()))
            .collect();
        assert!(schedule
            .on_call
            .iter()
            .all(|o| rotation_users.contains(&*o.username)));
    }
    assert!(account.schedules.iter().any(|s| s.rotations.len() > 1));
}

#[test]
fn alerts_look_like_opsgenie_alerts() {
    let account = Account::generate(&spec(7));
    let tiny: HashSet<&str> = account.alerts().iter().map(|a| &*a.tiny_id).collect();
    assert_eq!(tiny.len(), 2_000);
    let mut with_integration = 0;
    for alert in account.alerts().iter() {
        let json = alert.to_json(AlertView::List);
        let id = json["id"].as_str().unwrap();
        let (uuid, millis) = id.rsplit_once('-').unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(millis.parse::<i64>().unwrap(), alert.created_at);
        let created = json["createdAt"].as_str().unwrap();
        assert!(created.ends_with('Z'));
        if let Some((_, fraction)) = created.trim_end_matches('Z').split_once('.') {
            assert!(!fraction.ends_with('0'), "{created}");
        }
        assert_eq!(parse_millis(created), Some(alert.created_at));
        assert!((WINDOW_END_MS - WINDOW_MS..WINDOW_END_MS).contains(&alert.created_at));
        assert!(alert.updated_at >= alert.created_at);
        assert_eq!(
            json["acknowledged"].as_bool().unwrap(),
            json["report"].get("ackTime").is_some()
        );
        assert_eq!(
            json["status"] == "closed",
            json["report"].get("closeTime").is_some()
        );
        assert_eq!(
            json["snoozed"].as_bool().unwrap(),
            json.get("snoozedUntil").is_some()
        );
        assert!(["P1", "P2", "P3", "P4", "P5"].contains(&json["priority"].as_str().unwrap()));
        if json.get("integration").is_some() {
            with_integration += 1;
            assert!(json["integration"]["type"].is_string());
        }
        let alias = json["alias"].as_str().unwrap();
        if let Some((prefix, _)) = alias.split_once('_') {
            assert!(account.incident(prefix).is_some());
        }
    }
    assert!(with_integration > 1_200 && with_integration < 2_000);
}

#[test]
fn a_hundred_thousand_alerts_generate() {
    let account = Account::generate(&GenSpec {
        seed: 1,
        alerts: 100_000,
        incidents: 500,
        services: 50,
        teams: 20,
        users: 200,
        schedules: 20,
    });
    assert_eq!(account.alerts().len(), 100_000);
    let newest = account.alerts().iter().next_back().unwrap();
    assert!(account
        .alerts()
        .iter()
        .all(|a| a.created_at <= newest.created_at));
}

#[test]
fn sample_account_holds_the_docs_objects() {
    let account = Account::seed_sample();
    let service = account
        .service("daa0d66f-ad35-4396-b30d-70f0314c697a")
        .unwrap();
    let team = account.team(&service.team_id).unwrap();
    assert_eq!(&*team.name, "Data Science Team");
    let open_for_service = account
        .incidents
        .iter()
        .filter(|i| &*i.status == "open" && i.impacted_services.contains(&service.id))
        .count();
    assert_eq!(open_for_service, 2);
    let incident = account
        .incident("4a0c5e6d-b239-4cd9-a7e8-a5f880e99473")
        .unwrap();
    let json = account.incident_json(incident);
    assert_eq!(json["updatedAt"], "2023-09-26T17:48:54.48Z");
    assert_eq!(json["responders"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["links"]["web"],
        "https://mytestaccount.app.opsgenie.com/incident/detail/4a0c5e6d-b239-4cd9-a7e8-a5f880e99473"
    );
}

#[test]
fn alert_store_keeps_order_and_ids_through_removals() {
    let mut account = Account::generate(&GenSpec::typical(3, 300));
    let ids: Vec<String> = account.alerts().iter().map(|a| a.id.to_string()).collect();
    for id in ids.iter().step_by(3) {
        assert!(account.delete_alert(id).is_some());
    }
    assert!(account.delete_alert(&ids[0]).is_none());
    let store = account.alerts_mut();
    assert_eq!(store.len(), 200);
    let remaining: Vec<&str> = store.iter().map(|a| &*a.id).collect();
    let expected: Vec<&str> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, id)| id.as_str())
        .collect();
    assert_eq!(remaining, expected);
    assert!(expected
        .iter()
        .all(|id| store.get(id).is_some_and(|a| &*a.id == *id)));
    // Moving an alert to the front of time re-sorts it.
    assert!(store.update(expected[150], |a| a.created_at = 0));
    assert_eq!(&*store.iter().next().unwrap().id, expected[150]);
    assert!(!store.update("missing", |_| {}));
}
