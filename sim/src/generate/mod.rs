//! Seeded generator of realistic Opsgenie accounts.
//!
//! [`Account::generate`] builds alerts, incidents, services, teams, users and schedules whose shapes
//! and cross-references match the real API (see `reference/opsgenie-api.md`); the same seed always
//! yields the same account. [`Account::seed_sample`] is the sample from the integration docs.

mod model;
mod random;
mod render;
mod rng;
mod sample;
pub mod time;

use std::collections::{BTreeMap, HashMap};

pub use model::{
    Alert, AlertIntegration, AlertReport, Incident, OnCallUser, Participant, Responder, Rotation,
    Schedule, Service, Team, TeamMember, Text, User, UserAddress,
};
pub use render::{alert_from_json, AlertView};
pub use rng::Rng;
pub use sample::SAMPLE_ALERT_ID;

/// End of the time window generated records are spread over (2024-06-01T00:00:00Z).
pub const WINDOW_END_MS: i64 = 1_717_200_000_000;
/// Length of that window: 180 days. Creation times fall in `[END - WINDOW, END)`.
pub const WINDOW_MS: i64 = 180 * 86_400_000;

/// How big an account to generate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenSpec {
    pub seed: u64,
    pub alerts: usize,
    pub incidents: usize,
    pub services: usize,
    pub teams: usize,
    pub users: usize,
    pub schedules: usize,
}

/// A whole Opsgenie account as the simulator serves it.
#[derive(Clone, Debug)]
pub struct Account {
    /// Host of `links.web` URLs, e.g. `mytestaccount.app.opsgenie.com`.
    pub web_host: String,
    alerts: AlertStore,
    pub incidents: Vec<Incident>,
    pub services: Vec<Service>,
    pub teams: Vec<Team>,
    pub users: Vec<User>,
    pub schedules: Vec<Schedule>,
}

impl Account {
    /// An account with nothing in it.
    pub fn empty() -> Self {
        Account {
            web_host: "mytestaccount.app.opsgenie.com".to_owned(),
            alerts: AlertStore::default(),
            incidents: Vec::new(),
            services: Vec::new(),
            teams: Vec::new(),
            users: Vec::new(),
            schedules: Vec::new(),
        }
    }

    /// This account plus the Port documentation's sample objects ([`Account::seed_sample`]).
    pub fn with_seed_sample(mut self) -> Account {
        let sample = Account::seed_sample();
        for alert in sample.alerts().iter() {
            self.alerts.upsert(alert.clone());
        }
        self.incidents.extend(sample.incidents);
        self.services.extend(sample.services);
        self.teams.extend(sample.teams);
        self.users.extend(sample.users);
        self.schedules.extend(sample.schedules);
        self
    }

    pub fn alerts(&self) -> &AlertStore {
        &self.alerts
    }

    pub fn alerts_mut(&mut self) -> &mut AlertStore {
        &mut self.alerts
    }

    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.iter().find(|i| &*i.id == id)
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| &*s.id == id)
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| &*t.id == id)
    }

    pub fn team_by_name(&self, name: &str) -> Option<&Team> {
        self.teams
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| &*u.id == id)
    }

    pub fn schedule(&self, id: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| &*s.id == id)
    }

    /// Removes a service and its id from every incident's `impactedServices`.
    pub fn remove_service(&mut self, id: &str) -> bool {
        let before = self.services.len();
        self.services.retain(|s| &*s.id != id);
        for incident in &mut self.incidents {
            incident.impacted_services.retain(|s| &**s != id);
        }
        before != self.services.len()
    }

    /// Deletes an alert and its id from every incident's associated alerts.
    pub fn delete_alert(&mut self, id: &str) -> Option<Alert> {
        let removed = self.alerts.remove(id)?;
        for incident in &mut self.incidents {
            incident.associated_alert_ids.retain(|a| &**a != id);
        }
        Some(removed)
    }
}

/// Alerts in one dense vector (records are large; a tree of them would waste node space), with
/// a `(createdAt, id)` order index, the order every list walks, and an id index.
#[derive(Clone, Debug, Default)]
pub struct AlertStore {
    slots: Vec<Alert>,
    order: BTreeMap<(i64, Text), usize>,
    by_id: HashMap<Text, usize>,
}

impl AlertStore {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Alert> {
        self.by_id.get(id).map(|&slot| &self.slots[slot])
    }

    /// Ascending `(createdAt, id)`; `.rev()` gives the API's default newest-first order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Alert> + '_ {
        self.order.values().map(|&slot| &self.slots[slot])
    }

    /// Inserts or replaces (by id); returns the previous version.
    pub fn upsert(&mut self, alert: Alert) -> Option<Alert> {
        let previous = self.remove(&alert.id);
        let slot = self.slots.len();
        self.by_id.insert(alert.id.clone(), slot);
        self.order
            .insert((alert.created_at, alert.id.clone()), slot);
        self.slots.push(alert);
        previous
    }

    pub fn remove(&mut self, id: &str) -> Option<Alert> {
        let slot = self.by_id.remove(id)?;
        let removed = self.slots.swap_remove(slot);
        self.order.remove(&(removed.created_at, removed.id.clone()));
        // The last alert moved into the freed slot: repoint its index entries.
        if let Some(moved) = self.slots.get(slot) {
            self.by_id.insert(moved.id.clone(), slot);
            self.order
                .insert((moved.created_at, moved.id.clone()), slot);
        }
        Some(removed)
    }

    /// Changes an alert in place (re-indexing if `createdAt` or `id` change); false if it does
    /// not exist.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut Alert)) -> bool {
        match self.remove(id) {
            Some(mut alert) => {
                change(&mut alert);
                self.upsert(alert);
                true
            }
            None => false,
        }
    }
}

impl Default for Account {
    fn default() -> Self {
        Account::empty()
    }
}

impl GenSpec {
    /// A proportionate account around `alerts` alerts (one incident per 50 alerts, etc.).
    pub fn typical(seed: u64, alerts: usize) -> GenSpec {
        let scaled = |per: usize, min: usize, max: usize| (alerts / per).clamp(min, max);
        GenSpec {
            seed,
            alerts,
            incidents: scaled(50, 5, 2_000),
            services: scaled(500, 5, 200),
            teams: scaled(2_000, 3, 50),
            users: scaled(200, 10, 500),
            schedules: scaled(2_000, 3, 50),
        }
    }
}
