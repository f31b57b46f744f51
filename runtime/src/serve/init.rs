//! `initializePortResources` (ocean-core.md §5): create the integration in Port if it is missing,
//! with the compiled mapping as its config, and the compiled blueprints in three stages — bare
//! (no relations or derived properties), then relations, then full definitions — so blueprints
//! that point at each other can be created in any order. A failing stage deletes what was
//! created. Idempotent: a second start only reads.
//!
//! Differences from Ocean: a failed blueprint creation does not mark the resources initialised
//! (Ocean does, so a fixed configuration would never be applied); a rollback that meets
//! blueprints referencing each other strips their relations first instead of leaving them.

use super::log;
use crate::port::{PortClient, PortError};
use serde_json::{json, Map, Value};
use std::fmt;

/// Blueprint keys left out of stage 1 (they may name blueprints not created yet).
const RELATION_KEYS: [&str; 3] = ["relations", "teamInheritance", "ownership"];
/// Blueprint keys added in stage 3 (they read relations).
const DERIVED_KEYS: [&str; 3] = [
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
    /// Why blueprint creation was skipped, if it was.
    pub skipped: Option<String>,
    pub marked_initialized: bool,
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
                    "creating blueprints failed at {stage} ({blueprint}): {error}; rolled back"
                )?;
                if !leftover.is_empty() {
                    write!(f, " except {} (delete them by hand)", leftover.join(", "))?;
                }
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

/// Makes Port hold the integration and (when asked) the compiled blueprints.
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

    let initialized = integration
        .get("arePortResourcesInitialized")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if initialized || !plan.initialize_port_resources {
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

    let mut existing = Vec::new();
    for blueprint in &plan.blueprints {
        let id = blueprint_id(blueprint);
        if port.get_blueprint(&id).await?.is_some() {
            existing.push(id);
        }
    }
    if existing.is_empty() {
        report.blueprints_created = create_blueprints(port, &plan.blueprints).await?;
        log::info(&format!(
            "created blueprints {}",
            report.blueprints_created.join(", ")
        ));
    } else {
        let reason = format!(
            "blueprints already exist ({}); leaving all blueprints as they are",
            existing.join(", ")
        );
        log::info(&reason);
        report.skipped = Some(reason);
    }

    port.patch_integration(
        &plan.identifier,
        &json!({ "arePortResourcesInitialized": true, "version": plan.version }),
    )
    .await?;
    report.marked_initialized = true;
    Ok(report)
}

/// What [`initialize`] would do, found with reads only (for `plan`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitPreview {
    pub integration_missing: bool,
    pub blueprints_to_create: Vec<String>,
}

impl InitPreview {
    pub fn is_empty(&self) -> bool {
        !self.integration_missing && self.blueprints_to_create.is_empty()
    }
}

/// What [`initialize`] would create, without writing anything.
pub async fn preview(port: &PortClient, plan: &InitPlan) -> Result<InitPreview, InitError> {
    let integration = port.get_integration(&plan.identifier).await?;
    let mut preview = InitPreview {
        integration_missing: integration.is_none(),
        ..InitPreview::default()
    };
    let initialized = integration
        .as_ref()
        .and_then(|i| i.get("arePortResourcesInitialized"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if initialized || !plan.initialize_port_resources {
        return Ok(preview);
    }
    let mut missing = Vec::new();
    for blueprint in &plan.blueprints {
        let id = blueprint_id(blueprint);
        if port.get_blueprint(&id).await?.is_some() {
            // As `initialize`: one existing blueprint leaves all of them alone.
            return Ok(preview);
        }
        missing.push(id);
    }
    preview.blueprints_to_create = missing;
    Ok(preview)
}

fn blueprint_id(blueprint: &Value) -> String {
    blueprint
        .get("identifier")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A copy of `blueprint` with only the given keys (plus `identifier`), or without them.
fn pick(blueprint: &Value, keys: &[&str], keep: bool) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(fields) = blueprint.as_object() {
        for (key, value) in fields {
            if keys.contains(&key.as_str()) == keep {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out
}

/// The three stages; on failure deletes what was created and returns the error.
async fn create_blueprints(
    port: &PortClient,
    blueprints: &[Value],
) -> Result<Vec<String>, InitError> {
    let mut created: Vec<String> = Vec::new();
    let all_later_keys: Vec<&str> = RELATION_KEYS.iter().chain(&DERIVED_KEYS).copied().collect();

    for blueprint in blueprints {
        let id = blueprint_id(blueprint);
        let bare = Value::Object(pick(blueprint, &all_later_keys, false));
        if let Err(error) = port.create_blueprint(&bare).await {
            return Err(rollback(port, created, "stage 1 (create)", id, error).await);
        }
        created.push(id);
    }
    for (stage, keys) in [
        ("stage 2 (relations)", &RELATION_KEYS),
        ("stage 3 (full definitions)", &DERIVED_KEYS),
    ] {
        for blueprint in blueprints {
            let patch = pick(blueprint, keys, true);
            if patch.is_empty() {
                continue;
            }
            let id = blueprint_id(blueprint);
            if let Err(error) = port.patch_blueprint(&id, &Value::Object(patch)).await {
                return Err(rollback(port, created, stage, id, error).await);
            }
        }
    }
    Ok(created)
}

/// Deletes `created`. Port refuses to delete a relation target while relations point at it, so
/// deletion repeats while it makes progress; blueprints still stuck (relations in a cycle) get
/// their relations and derived properties removed first.
async fn rollback(
    port: &PortClient,
    mut created: Vec<String>,
    stage: &'static str,
    blueprint: String,
    error: PortError,
) -> InitError {
    log::error(&format!(
        "creating blueprints failed at {stage} ({blueprint}): {error}; deleting the {} created",
        created.len()
    ));
    for strip_relations in [false, true] {
        if strip_relations {
            let mut cleared = Map::new();
            for key in DERIVED_KEYS {
                cleared.insert(key.to_owned(), json!({}));
            }
            for key in RELATION_KEYS {
                cleared.insert(key.to_owned(), json!({}));
            }
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
