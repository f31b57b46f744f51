//! Run configuration under Port Ocean's names (`OCEAN__*`, `APPLICATION__*`), so existing
//! deployments carry over unchanged. See `ocean-core.md` §1 for the full list Ocean knows; the
//! settings that matter to this integration are read here, the rest are ignored.
//!
//! Precedence: real environment > `.env` in the working directory. CLI flags are applied by the
//! caller as overrides (see [`Config::from_env_with_overrides`]).

mod env;

use crate::secret::{Masker, Secret};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

pub const DEFAULT_OPSGENIE_API_URL: &str = "https://api.opsgenie.com";
pub const DEFAULT_PORT_BASE_URL: &str = "https://api.getport.io";
pub const DEFAULT_INTEGRATION_TYPE: &str = "opsgenie";
/// The shortest `OCEAN__CLIENT_TIMEOUT` and polling interval accepted.
pub const MIN_PERIOD: Duration = Duration::from_millis(1);

/// Everything a run needs to know, with Ocean's defaults filled in.
#[derive(Clone, Debug)]
pub struct Config {
    pub port: PortSettings,
    pub integration: IntegrationSettings,
    pub event_listener: EventListener,
    /// `OCEAN__INITIALIZE_PORT_RESOURCES`: create the default blueprints when missing.
    pub initialize_port_resources: bool,
    /// `OCEAN__SCHEDULED_RESYNC_INTERVAL`: extra periodic full resync.
    pub scheduled_resync_interval: Option<Duration>,
    /// `OCEAN__BASE_URL`: public URL of this integration.
    pub base_url: Option<String>,
    /// `OCEAN__PATH_PREFIX`: prefix for `/integration`, `/metrics`, `/health`.
    pub path_prefix: Option<String>,
    /// `OCEAN__SEND_RAW_DATA_EXAMPLES`: upload the first raw items of each kind.
    pub send_raw_data_examples: bool,
    /// `OCEAN__CLIENT_TIMEOUT`: per-request timeout for the Opsgenie client.
    pub client_timeout: Duration,
    /// `OCEAN__UPSERT_ENTITIES_BATCH_MAX_LENGTH`.
    pub upsert_batch_max_length: usize,
    /// `OCEAN__UPSERT_ENTITIES_BATCH_MAX_SIZE_IN_BYTES`.
    pub upsert_batch_max_bytes: usize,
    /// `OCEAN__DELETE_ENTITIES_MAX_BATCH_SIZE`, capped at Port's 100.
    pub delete_batch_max_length: usize,
    /// `OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS`: whether jq `env`/`$ENV` see the environment.
    pub allow_env_jq_access: bool,
    /// `OCEAN__CREATE_PORT_RESOURCES_ORIGIN` as given (`Empty`, `Default`, `Port`, ...).
    pub create_port_resources_origin: Option<String>,
    /// `OCEAN__MAPPING_SOURCE`: which mapping a resync runs (ours; Ocean always runs Port's).
    pub mapping_source: MappingSource,
    /// `OCEAN__UPDATE_BLUEPRINTS`: when the built mapping runs, add to Port's blueprints what
    /// `blueprints.json` adds (ours; Ocean only creates missing blueprints).
    pub update_blueprints: bool,
    pub application: ApplicationSettings,
}

/// Which mapping a resync runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MappingSource {
    /// The mapping Port holds for the integration, as Port Ocean does: edits made in Port's UI
    /// take effect at the next resync (the compiled code runs when it is the same mapping).
    #[default]
    Port,
    /// The mapping built into the binary (GitOps): it is written to Port at start, so Port shows
    /// what runs; an edit made in Port is overwritten.
    Compiled,
}

impl MappingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MappingSource::Port => "port",
            MappingSource::Compiled => "compiled",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PortSettings {
    pub client_id: Secret,
    pub client_secret: Secret,
    /// API root without `/v1` and without a trailing `/`.
    pub base_url: String,
}

#[derive(Clone, Debug)]
pub struct IntegrationSettings {
    /// Installation id in Port; part of the User-Agent that keys entity ownership.
    pub identifier: String,
    /// Integration type, lowercase (`opsgenie`).
    pub kind: String,
    pub config: OpsgenieSettings,
}

#[derive(Clone, Debug)]
pub struct OpsgenieSettings {
    pub api_token: Secret,
    /// Without a trailing `/`.
    pub api_url: String,
    /// Other `OCEAN__INTEGRATION__CONFIG__*` keys, snake_case, as given.
    pub extra: Map<String, Value>,
}

/// `OCEAN__EVENT_LISTENER`: how resyncs are triggered.
#[derive(Clone, Debug, PartialEq)]
pub enum EventListener {
    /// One resync, then exit.
    Once,
    /// Poll Port for resync requests every `interval`.
    Polling {
        interval: Duration,
        resync_on_start: bool,
    },
    /// Serve webhooks only; never resync.
    WebhooksOnly,
    /// Listen on Port's Kafka topic; settings kept as given (snake_case keys).
    Kafka { settings: Map<String, Value> },
}

impl Default for EventListener {
    fn default() -> Self {
        EventListener::Polling {
            interval: Duration::from_secs(60),
            resync_on_start: true,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ApplicationSettings {
    /// `APPLICATION__PORT` (8000).
    pub port: u16,
    /// `APPLICATION__LOG_LEVEL`, uppercase: ERROR, WARNING, INFO, DEBUG or CRITICAL.
    pub log_level: String,
    /// `APPLICATION__ENABLE_HTTP_LOGGING`.
    pub enable_http_logging: bool,
}

/// A setting that is missing or malformed; `variable` is the environment name to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {} {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads `.env` in the working directory (if any) and the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_env_with_overrides(HashMap::new())
    }

    /// Like [`Config::from_env`], with `overrides` (e.g. from CLI flags, named like the
    /// environment variables) taking precedence over everything.
    pub fn from_env_with_overrides(
        overrides: HashMap<String, String>,
    ) -> Result<Config, ConfigError> {
        let dotenv = std::fs::read_to_string(".env").ok();
        let vars = env::merge_sources(dotenv.as_deref(), std::env::vars().chain(overrides));
        Config::from_merged(&vars)
    }

    /// The environment given as a map (tests, embedding); no `.env` file is read.
    pub fn from_env_map(vars: HashMap<String, String>) -> Result<Config, ConfigError> {
        Config::from_merged(&env::merge_sources(None, vars))
    }

    /// `.env` text plus environment, environment winning.
    pub fn from_dotenv_and_env(
        dotenv: &str,
        vars: HashMap<String, String>,
    ) -> Result<Config, ConfigError> {
        Config::from_merged(&env::merge_sources(Some(dotenv), vars))
    }

    fn from_merged(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let ocean = Settings::new(env::tree(vars, "ocean__"), "OCEAN");
        let application = Settings::new(env::tree(vars, "application__"), "APPLICATION");

        let port_base_url = ocean
            .url(&["port", "base_url"])?
            .unwrap_or_else(|| DEFAULT_PORT_BASE_URL.to_owned());
        let port = PortSettings {
            client_id: ocean.required_secret(&["port", "client_id"])?,
            client_secret: ocean.required_secret(&["port", "client_secret"])?,
            base_url: port_base_url,
        };

        let kind = ocean
            .string(&["integration", "type"])?
            .map(|t| t.to_lowercase())
            .unwrap_or_else(|| DEFAULT_INTEGRATION_TYPE.to_owned());
        let identifier = ocean
            .string(&["integration", "identifier"])?
            .unwrap_or_else(|| format!("my-{kind}-integration").to_lowercase());
        let mut extra = ocean
            .object(&["integration", "config"])?
            .unwrap_or_default();
        extra.remove("api_token");
        extra.remove("api_url");
        let integration = IntegrationSettings {
            identifier,
            kind,
            config: OpsgenieSettings {
                api_token: ocean.required_secret(&["integration", "config", "api_token"])?,
                api_url: ocean
                    .url(&["integration", "config", "api_url"])?
                    .unwrap_or_else(|| DEFAULT_OPSGENIE_API_URL.to_owned()),
                extra,
            },
        };

        let delete_batch = ocean
            .integer(&["delete_entities_max_batch_size"])?
            .unwrap_or(1000);
        let log_level = application
            .string(&["log_level"])?
            .map(|level| level.to_uppercase())
            .unwrap_or_else(|| "INFO".to_owned());
        if !["ERROR", "WARNING", "INFO", "DEBUG", "CRITICAL"].contains(&log_level.as_str()) {
            return Err(application.error(
                &["log_level"],
                format!("must be ERROR, WARNING, INFO, DEBUG or CRITICAL, got {log_level:?}"),
            ));
        }
        let app_port = application.integer(&["port"])?.unwrap_or(8000);
        let app_port = u16::try_from(app_port).map_err(|_| {
            application.error(&["port"], format!("must be a TCP port, got {app_port}"))
        })?;

        Ok(Config {
            port,
            integration,
            event_listener: event_listener(&ocean)?,
            initialize_port_resources: ocean
                .boolean(&["initialize_port_resources"])?
                .unwrap_or(true),
            scheduled_resync_interval: ocean
                .seconds(&["scheduled_resync_interval"], 60.0)?
                .filter(|interval| !interval.is_zero()),
            base_url: ocean.url(&["base_url"])?,
            path_prefix: ocean.string(&["path_prefix"])?.filter(|p| !p.is_empty()),
            send_raw_data_examples: ocean.boolean(&["send_raw_data_examples"])?.unwrap_or(true),
            client_timeout: ocean
                .positive_seconds(&["client_timeout"])?
                .unwrap_or(Duration::from_secs(60)),
            upsert_batch_max_length: positive(&ocean, &["upsert_entities_batch_max_length"], 20)?,
            upsert_batch_max_bytes: positive(
                &ocean,
                &["upsert_entities_batch_max_size_in_bytes"],
                1_048_576,
            )?,
            delete_batch_max_length: usize::try_from(delete_batch.clamp(1, 100)).unwrap_or(100),
            allow_env_jq_access: ocean
                .boolean(&["allow_environment_variables_jq_access"])?
                .unwrap_or(true),
            create_port_resources_origin: ocean.string(&["create_port_resources_origin"])?,
            mapping_source: match ocean.string(&["mapping_source"])?.map(|s| s.to_lowercase()) {
                None => MappingSource::Port,
                Some(s) if s == "port" => MappingSource::Port,
                Some(s) if s == "compiled" => MappingSource::Compiled,
                Some(other) => {
                    return Err(ocean.error(
                        &["mapping_source"],
                        format!("must be port or compiled, got {other:?}"),
                    ))
                }
            },
            update_blueprints: ocean.boolean(&["update_blueprints"])?.unwrap_or(false),
            application: ApplicationSettings {
                port: app_port,
                log_level,
                enable_http_logging: application
                    .boolean(&["enable_http_logging"])?
                    .unwrap_or(true),
            },
        })
    }

    /// A masker for every secret in this configuration.
    pub fn masker(&self) -> Masker {
        Masker::with(self.secrets())
    }

    pub fn secrets(&self) -> [&Secret; 3] {
        [
            &self.port.client_id,
            &self.port.client_secret,
            &self.integration.config.api_token,
        ]
    }
}

fn event_listener(ocean: &Settings) -> Result<EventListener, ConfigError> {
    let path = ["event_listener"];
    let Some(value) = ocean.get(&path) else {
        return Ok(EventListener::default());
    };
    let Value::Object(fields) = value else {
        return Err(ocean.error(
            &path,
            "must be a JSON object such as {\"type\":\"POLLING\"}".to_owned(),
        ));
    };
    let kind = ocean
        .string(&["event_listener", "type"])?
        .ok_or_else(|| ocean.error(&["event_listener", "type"], "is required".to_owned()))?;
    match kind.to_uppercase().as_str() {
        "ONCE" => Ok(EventListener::Once),
        "POLLING" => Ok(EventListener::Polling {
            interval: ocean
                .positive_seconds(&["event_listener", "interval"])?
                .unwrap_or(Duration::from_secs(60)),
            resync_on_start: ocean
                .boolean(&["event_listener", "resync_on_start"])?
                .unwrap_or(true),
        }),
        "WEBHOOKS_ONLY" => Ok(EventListener::WebhooksOnly),
        "KAFKA" => {
            let mut settings = fields.clone();
            settings.remove("type");
            Ok(EventListener::Kafka { settings })
        }
        other => Err(ocean.error(
            &["event_listener", "type"],
            format!("must be ONCE, POLLING, WEBHOOKS_ONLY or KAFKA, got {other:?}"),
        )),
    }
}

fn positive(settings: &Settings, path: &[&str], default: u64) -> Result<usize, ConfigError> {
    let value = settings.integer(path)?.unwrap_or(default);
    if value == 0 {
        return Err(settings.error(path, "must be at least 1".to_owned()));
    }
    usize::try_from(value).map_err(|_| settings.error(path, format!("is too large: {value}")))
}

/// Typed reads from one prefix's tree; errors name the environment variable.
struct Settings {
    tree: Map<String, Value>,
    prefix: &'static str,
}

impl Settings {
    fn new(tree: Map<String, Value>, prefix: &'static str) -> Self {
        Settings { tree, prefix }
    }

    fn variable(&self, path: &[&str]) -> String {
        let mut name = self.prefix.to_owned();
        for segment in path {
            name.push_str("__");
            name.push_str(&segment.to_uppercase());
        }
        name
    }

    fn error(&self, path: &[&str], problem: String) -> ConfigError {
        ConfigError {
            variable: self.variable(path),
            problem,
        }
    }

    fn get(&self, path: &[&str]) -> Option<&Value> {
        let (last, parents) = path.split_last()?;
        let mut node = &self.tree;
        for segment in parents {
            node = node.get(*segment)?.as_object()?;
        }
        node.get(*last).filter(|value| !value.is_null())
    }

    /// A scalar as text; objects and arrays are an error.
    fn string(&self, path: &[&str]) -> Result<Option<String>, ConfigError> {
        match self.get(path) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
            Some(_) => Err(self.error(path, "must be a single value, not JSON".to_owned())),
        }
    }

    fn required_secret(&self, path: &[&str]) -> Result<Secret, ConfigError> {
        match self.get(path) {
            Some(Value::String(text)) if !text.trim().is_empty() => Ok(Secret::new(text.trim())),
            Some(Value::String(_)) | None => Err(self.error(path, "is required".to_owned())),
            // Never echo the value: it is a secret.
            Some(_) => Err(self.error(path, "must be a string".to_owned())),
        }
    }

    fn object(&self, path: &[&str]) -> Result<Option<Map<String, Value>>, ConfigError> {
        match self.get(path) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(_) => Err(self.error(path, "must be a JSON object".to_owned())),
        }
    }

    /// pydantic v1's bool words.
    fn boolean(&self, path: &[&str]) -> Result<Option<bool>, ConfigError> {
        let Some(text) = self.string(path)? else {
            return Ok(None);
        };
        match text.trim().to_lowercase().as_str() {
            "true" | "1" | "yes" | "y" | "on" | "t" => Ok(Some(true)),
            "false" | "0" | "no" | "n" | "off" | "f" => Ok(Some(false)),
            _ => Err(self.error(path, format!("must be true or false, got {text:?}"))),
        }
    }

    fn integer(&self, path: &[&str]) -> Result<Option<u64>, ConfigError> {
        let Some(text) = self.string(path)? else {
            return Ok(None);
        };
        text.trim().parse::<u64>().map(Some).map_err(|_| {
            self.error(
                path,
                format!("must be a non-negative integer, got {text:?}"),
            )
        })
    }

    /// A number of `unit` seconds (1 for seconds, 60 for minutes).
    fn seconds(&self, path: &[&str], unit: f64) -> Result<Option<Duration>, ConfigError> {
        let Some(text) = self.string(path)? else {
            return Ok(None);
        };
        match text.trim().parse::<f64>() {
            Ok(number) if number.is_finite() && number >= 0.0 => {
                Duration::try_from_secs_f64(number * unit)
                    .map(Some)
                    .map_err(|_| self.error(path, format!("is out of range: {text:?}")))
            }
            _ => Err(self.error(path, format!("must be a non-negative number, got {text:?}"))),
        }
    }

    /// A number of seconds of at least [`MIN_PERIOD`]: a request timeout or a polling interval,
    /// where 0 would fail every request (each retried for minutes) or poll without pause.
    fn positive_seconds(&self, path: &[&str]) -> Result<Option<Duration>, ConfigError> {
        let seconds = self.seconds(path, 1.0)?;
        if seconds.is_some_and(|s| s < MIN_PERIOD) {
            let text = self.string(path)?.unwrap_or_default();
            return Err(self.error(
                path,
                format!(
                    "must be a number of seconds of at least {}, got {text:?}",
                    MIN_PERIOD.as_secs_f64()
                ),
            ));
        }
        Ok(seconds)
    }

    /// An http(s) URL without trailing `/`.
    fn url(&self, path: &[&str]) -> Result<Option<String>, ConfigError> {
        let Some(text) = self.string(path)? else {
            return Ok(None);
        };
        let trimmed = text.trim().trim_end_matches('/');
        let valid = ["http://", "https://"].iter().any(|scheme| {
            trimmed
                .get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
                && trimmed.len() > scheme.len()
        });
        if !valid {
            return Err(self.error(path, format!("must be an http(s) URL, got {text:?}")));
        }
        Ok(Some(trimmed.to_owned()))
    }
}

#[cfg(test)]
mod tests;
