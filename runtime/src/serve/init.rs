//! `initializePortResources` (ocean-core.md §5): create the integration in Port if it is missing,
//! with the compiled mapping as its config, and the compiled blueprints in three stages — bare
//! (no relations or derived properties), then relations, then full definitions — so blueprints
//! that point at each other can be created in any order; then mark the integration initialised
//! (`arePortResourcesInitialized`). Once it is, a start only reads.
//!
//! Resumable: until the integration is marked initialised, every start compares the built
//! blueprints with what Port holds and adds what is missing ([`completion`]): blueprints not
//! there are created, blueprints there get the schema properties, relations and derived
//! properties they lack — only ever adding, never removing or changing what Port holds. So a
//! start killed half-way (some blueprints created bare, others missing, the flag unset) is
//! completed by the next one.
//!
//! Differences from Ocean: Ocean leaves every blueprint alone as soon as one of them exists,
//! which turns an interrupted first start into blueprints without relations for good; and it
//! marks the resources initialised even when creating them failed, so a fixed configuration
//! would never be applied. A failing stage deletes the blueprints this start created (not
//! those it found), stripping relations first when they point at each other.

pub mod completion;

use super::log;
use crate::port::{PortClient, PortError};
use completion::{Completion, Stage};
use serde_json::{json, Map, Value};
use std::fmt;

/// Blueprint keys a rollback clears before deleting blueprints that point at each other.
const LATER_KEYS: [&str; 6] = [
    "relations",
    "teamInheritance",
    "ownership",
    "mirrorProperties",
    "calculationProperties",
    "aggregationProperties",
];

/// What to make sure exists in Port.
#[derive(Clone, Debug)]
pub struct InitPlan {
    /// `OCEAN__INTEGRATION__IDENTIFIER`.
    pub identifier: String,
    /// `OCEAN__INTEGRATION__TYPE` (`opsgenie`).
    pub integration_type: String,
    /// This binary's version, stored on the integration.
    pub version: String,
    /// The compiled port-app-config (`Registry::app_config_json`).
    pub app_config: Value,
    /// The compiled blueprints (`Registry::blueprints_json`).
    pub blueprints: Vec<Value>,
    /// `OCEAN__INITIALIZE_PORT_RESOURCES`: create blueprints and the config when missing.
    pub initialize_port_resources: bool,
}

impl InitPlan {
    /// A plan from the compiled registry's JSON texts.
    pub fn from_json(
        identifier: &str,
        integration_type: &str,
        version: &str,
        app_config_json: &str,
        blueprints_json: &str,
        initialize_port_resources: bool,
    ) -> Result<InitPlan, InitError> {
        let app_config = serde_json::from_str(app_config_json)
            .map_err(|e| InitError::Compiled(format!("mapping JSON: {e}")))?;
        let blueprints = match serde_json::from_str(blueprints_json) {
            Ok(Value::Array(list)) => list,
            Ok(_) => return Err(InitError::Compiled("blueprints are not an array".into())),
            Err(e) => return Err(InitError::Compiled(format!("blueprints JSON: {e}"))),
        };
        Ok(InitPlan {
            identifier: identifier.to_owned(),
            integration_type: integration_type.to_owned(),
            version: version.to_owned(),
            app_config,
            blueprints,
            initialize_port_resources,
        })
    }
}

/// What [`initialize`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitReport {
    pub integration_created: bool,
    /// Fields of an existing integration that were repaired (`version`, …).
    pub integration_patched: Vec<String>,
    pub config_written: bool,
    pub blueprints_created: Vec<String>,
    /// Blueprints Port held that were given what they lacked, with what was added
    /// (`opsGenieService (relations.ownerTeam, …)`).
    pub blueprints_completed: Vec<String>,
    /// Members Port holds with another definition than the built one, left as they are
    /// (`opsGenieAlert.schema.properties.status`).
    pub kept_differing: Vec<String>,
    pub marked_initialized: bool,
    /// Port has no resync state for the integration: it has never been resynced (it was just
    /// created, or its first start stopped before resyncing).
    pub never_resynced: bool,
}

#[derive(Debug)]
pub enum InitError {
    Port(Box<PortError>),
    /// A stage failed; everything it created was deleted (`leftover` lists what could not be).
    Blueprints {
        stage: &'static str,
        blueprint: String,
        error: Box<PortError>,
        leftover: Vec<String>,
    },
    /// The compiled JSON could not be read (a build problem).
    Compiled(String),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::Port(error) => write!(f, "initializing Port resources: {error}"),
            InitError::Blueprints {
                stage,
                blueprint,
                error,
                leftover,
            } => {
                write!(
                    f,
                    "creating blueprints failed at {stage} ({blueprint}): {error}; the blueprints \
                     this start created were deleted"
                )?;
                if !leftover.is_empty() {
                    write!(f, " except {} (delete them by hand)", leftover.join(", "))?;
                }
                write!(f, "; the next start completes the rest")?;
                Ok(())
            }
            InitError::Compiled(detail) => write!(f, "compiled resources unreadable: {detail}"),
        }
    }
}

impl std::error::Error for InitError {}

impl From<PortError> for InitError {
    fn from(error: PortError) -> Self {
        InitError::Port(Box::new(error))
    }
}

/// Makes Port hold the integration and (when asked) the compiled blueprints, completing what
/// an earlier, interrupted start began.
pub async fn initialize(port: &PortClient, plan: &InitPlan) -> Result<InitReport, InitError> {
    let mut report = InitReport::default();
    let integration = match port.get_integration(&plan.identifier).await? {
        Some(existing) => existing,
        None => {
            let config = if plan.initialize_port_resources {
                plan.app_config.clone()
            } else {
                json!({})
            };
            let body = json!({
                "installationId": plan.identifier,
                "installationAppType": plan.integration_type,
                "version": plan.version,
                "changelogDestination": {},
                "config": config,
                "actionsProcessingEnabled": false,
                "incrementalSyncEnabled": false,
                "createPortResourcesOrigin": "Default",
            });
            let created = port.create_integration(&body).await?;
            log::info(&format!(
                "created integration {:?} in Port with the compiled mapping",
                plan.identifier
            ));
            report.integration_created = true;
            report.config_written = plan.initialize_port_resources;
            created
        }
    };
    report.never_resynced = integration
        .get("resyncState")
        .and_then(|state| state.get("status"))
        .is_none_or(Value::is_null);

    let wanted = [
        ("installationAppType", json!(plan.integration_type)),
        ("version", json!(plan.version)),
        ("changelogDestination", json!({})),
    ];
    let mut repair = Map::new();
    for (key, value) in wanted {
        if integration.get(key) != Some(&value) {
            repair.insert(key.to_owned(), value);
            report.integration_patched.push(key.to_owned());
        }
    }
    if !repair.is_empty() {
        port.patch_integration(&plan.identifier, &Value::Object(repair))
            .await?;
    }

    if is_initialized(Some(&integration)) || !plan.initialize_port_resources {
        return Ok(report);
    }

    let config_empty = integration
        .get("config")
        .is_none_or(|config| config.as_object().is_none_or(Map::is_empty));
    if config_empty && !report.config_written {
        port.patch_integration_config(&plan.identifier, &plan.app_config, false)
            .await?;
        report.config_written = true;
    }

    let completions = completions(port, plan).await?;
    for completion in &completions {
        for member in &completion.differing {
            report
                .kept_differing
                .push(format!("{}.{member}", completion.identifier));
        }
    }
    if !report.kept_differing.is_empty() {
        log::warn(&format!(
            "kept as Port holds them, though they differ from the built blueprints: {}",
            report.kept_differing.join(", ")
        ));
    }
    report.blueprints_created = complete_blueprints(port, &completions).await?;
    report.blueprints_completed = completions
        .iter()
        .filter(|c| c.create.is_none() && !c.is_complete())
        .map(Completion::describe)
        .collect();
    if !report.blueprints_created.is_empty() {
        log::info(&format!(
            "created blueprints {}",
            report.blueprints_created.join(", ")
        ));
    }
    if !report.blueprints_completed.is_empty() {
        log::info(&format!(
            "completed blueprints Port held (an earlier start was interrupted, or they were \
             made elsewhere): {}",
            report.blueprints_completed.join("; ")
        ));
    }

    port.patch_integration(
        &plan.identifier,
        &json!({ "arePortResourcesInitialized": true, "version": plan.version }),
    )
    .await?;
    report.marked_initialized = true;
    Ok(report)
}

fn is_initialized(integration: Option<&Value>) -> bool {
    integration
        .and_then(|i| i.get("arePortResourcesInitialized"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// What completes each built blueprint, from what Port holds now (one GET each).
async fn completions(port: &PortClient, plan: &InitPlan) -> Result<Vec<Completion>, InitError> {
    let mut completions = Vec::with_capacity(plan.blueprints.len());
    for blueprint in &plan.blueprints {
        let held = port
            .get_blueprint(&completion::identifier(blueprint))
            .await?;
        completions.push(Completion::of(blueprint, held.as_ref()));
    }
    Ok(completions)
}

/// What [`initialize`] would do, found with reads only (for `plan`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitPreview {
    pub integration_missing: bool,
    pub blueprints_to_create: Vec<String>,
    /// Blueprints Port holds that would be given what they lack, with what
    /// (`opsGenieService (relations.ownerTeam)`).
    pub blueprints_to_complete: Vec<String>,
}

impl InitPreview {
    pub fn is_empty(&self) -> bool {
        !self.integration_missing
            && self.blueprints_to_create.is_empty()
            && self.blueprints_to_complete.is_empty()
    }
}

/// What [`initialize`] would create or add, without writing anything.
pub async fn preview(port: &PortClient, plan: &InitPlan) -> Result<InitPreview, InitError> {
    let integration = port.get_integration(&plan.identifier).await?;
    let mut preview = InitPreview {
        integration_missing: integration.is_none(),
        ..InitPreview::default()
    };
    if is_initialized(integration.as_ref()) || !plan.initialize_port_resources {
        return Ok(preview);
    }
    for completion in completions(port, plan).await? {
        if completion.create.is_some() {
            preview.blueprints_to_create.push(completion.identifier);
        } else if !completion.is_complete() {
            preview.blueprints_to_complete.push(completion.describe());
        }
    }
    Ok(preview)
}

/// Applies the completions stage by stage (every blueprint's stage 1, then every stage 2, then
/// every stage 3); returns the blueprints created. On failure deletes those and returns the
/// error; what was added to blueprints Port already held stays (it is only additions, and the
/// next start finds it there).
async fn complete_blueprints(
    port: &PortClient,
    completions: &[Completion],
) -> Result<Vec<String>, InitError> {
    let mut created: Vec<String> = Vec::new();
    for completion in completions {
        let Some(body) = &completion.create else {
            continue;
        };
        let id = completion.identifier.clone();
        if let Err(error) = port.create_blueprint(body).await {
            return Err(rollback(port, created, Stage::Create.label(), id, error).await);
        }
        created.push(id);
    }
    for stage in Stage::ALL {
        for completion in completions {
            let Some(patch) = completion.patch(stage) else {
                continue;
            };
            let id = completion.identifier.clone();
            if let Err(error) = port.patch_blueprint(&id, patch).await {
                return Err(rollback(port, created, stage.label(), id, error).await);
            }
        }
    }
    Ok(created)
}

/// Deletes `created` (what this start created, nothing it found). Port refuses to delete a
/// relation target while relations point at it, so deletion repeats while it makes progress;
/// blueprints still stuck (relations in a cycle) get their relations and derived properties
/// removed first.
async fn rollback(
    port: &PortClient,
    mut created: Vec<String>,
    stage: &'static str,
    blueprint: String,
    error: PortError,
) -> InitError {
    log::error(&format!(
        "creating blueprints failed at {stage} ({blueprint}): {error}; deleting the {} this \
         start created",
        created.len()
    ));
    for strip_relations in [false, true] {
        if strip_relations {
            let cleared: Map<String, Value> = LATER_KEYS
                .iter()
                .map(|key| ((*key).to_owned(), json!({})))
                .collect();
            for id in &created {
                let _ = port
                    .patch_blueprint(id, &Value::Object(cleared.clone()))
                    .await;
            }
        }
        loop {
            let before = created.len();
            let mut remaining = Vec::new();
            for id in created {
                if port.delete_blueprint(&id).await.is_err() {
                    remaining.push(id);
                }
            }
            created = remaining;
            if created.is_empty() || created.len() == before {
                break;
            }
        }
        if created.is_empty() {
            break;
        }
    }
    InitError::Blueprints {
        stage,
        blueprint,
        error: Box::new(error),
        leftover: created,
    }
}
