use super::*;

fn base() -> HashMap<String, String> {
    [
        ("OCEAN__PORT__CLIENT_ID", "cid"),
        ("OCEAN__PORT__CLIENT_SECRET", "csecret-value"),
        ("OCEAN__INTEGRATION__CONFIG__API_TOKEN", "og-token-value"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn with(extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut vars = base();
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    vars
}

#[test]
fn defaults_match_ocean() {
    let config = Config::from_env_map(base()).unwrap();
    assert_eq!(config.port.base_url, "https://api.getport.io");
    assert_eq!(config.integration.kind, "opsgenie");
    assert_eq!(config.integration.identifier, "my-opsgenie-integration");
    assert_eq!(
        config.integration.config.api_url,
        "https://api.opsgenie.com"
    );
    assert_eq!(
        config.event_listener,
        EventListener::Polling {
            interval: Duration::from_secs(60),
            resync_on_start: true
        }
    );
    assert!(config.initialize_port_resources);
    assert!(config.send_raw_data_examples);
    assert_eq!(config.scheduled_resync_interval, None);
    assert_eq!(config.client_timeout, Duration::from_secs(60));
    assert_eq!(config.upsert_batch_max_length, 20);
    assert_eq!(config.upsert_batch_max_bytes, 1_048_576);
    assert_eq!(config.delete_batch_max_length, 100);
    assert_eq!(config.application.port, 8000);
    assert_eq!(config.application.log_level, "INFO");
    assert!(
        !config.update_blueprints,
        "Port's blueprints change only when asked"
    );
}

#[test]
fn secrets_are_read_and_hidden() {
    let config = Config::from_env_map(base()).unwrap();
    assert_eq!(config.port.client_secret.expose(), "csecret-value");
    assert_eq!(
        config.integration.config.api_token.expose(),
        "og-token-value"
    );
    let printed = format!("{config:?}");
    assert!(!printed.contains("csecret-value"));
    assert!(!printed.contains("og-token-value"));
    assert_eq!(
        config
            .masker()
            .mask("token og-token-value secret csecret-value"),
        "token [REDACTED] secret [REDACTED]"
    );
}

#[test]
fn missing_required_values_name_the_variable() {
    for variable in [
        "OCEAN__PORT__CLIENT_ID",
        "OCEAN__PORT__CLIENT_SECRET",
        "OCEAN__INTEGRATION__CONFIG__API_TOKEN",
    ] {
        let mut vars = base();
        vars.remove(variable);
        let error = Config::from_env_map(vars).unwrap_err();
        assert_eq!(error.variable, variable);
        let text = error.to_string();
        assert!(
            text.contains(variable) && text.contains("required"),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }
}

#[test]
fn names_are_case_insensitive() {
    let vars: HashMap<String, String> = [
        ("ocean__port__client_id", "cid"),
        ("Ocean__Port__Client_Secret", "s"),
        ("ocean__integration__config__api_token", "t"),
        ("ocean__event_listener__type", "once"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_env_map(vars).unwrap();
    assert_eq!(config.port.client_secret.expose(), "s");
    assert_eq!(config.event_listener, EventListener::Once);
}

#[test]
fn event_listener_json_and_exploded_merge() {
    let config = Config::from_env_map(with(&[
        (
            "OCEAN__EVENT_LISTENER",
            r#"{"type":"POLLING","interval":5}"#,
        ),
        ("OCEAN__EVENT_LISTENER__TYPE", "ONCE"),
    ]))
    .unwrap();
    assert_eq!(config.event_listener, EventListener::Once);

    let config = Config::from_env_map(with(&[
        (
            "OCEAN__EVENT_LISTENER",
            r#"{"type":"POLLING","resyncOnStart":false}"#,
        ),
        ("OCEAN__EVENT_LISTENER__INTERVAL", "120"),
    ]))
    .unwrap();
    assert_eq!(
        config.event_listener,
        EventListener::Polling {
            interval: Duration::from_secs(120),
            resync_on_start: false
        }
    );

    let config =
        Config::from_env_map(with(&[("OCEAN__EVENT_LISTENER__TYPE", "WEBHOOKS_ONLY")])).unwrap();
    assert_eq!(config.event_listener, EventListener::WebhooksOnly);

    let config = Config::from_env_map(with(&[(
        "OCEAN__EVENT_LISTENER",
        r#"{"type":"KAFKA","brokers":"b1:9092"}"#,
    )]))
    .unwrap();
    match config.event_listener {
        EventListener::Kafka { settings } => assert_eq!(settings["brokers"], "b1:9092"),
        other => panic!("expected Kafka, got {other:?}"),
    }
}

#[test]
fn bad_event_listener_type_is_an_error() {
    let error =
        Config::from_env_map(with(&[("OCEAN__EVENT_LISTENER__TYPE", "SOMETIMES")])).unwrap_err();
    assert_eq!(error.variable, "OCEAN__EVENT_LISTENER__TYPE");
    assert!(error.to_string().contains("SOMETIMES"));
}

#[test]
fn integration_config_as_json_or_exploded() {
    let mut vars = base();
    vars.remove("OCEAN__INTEGRATION__CONFIG__API_TOKEN");
    vars.insert(
        "OCEAN__INTEGRATION__CONFIG".into(),
        r#"{"apiToken":"json-token","apiUrl":"https://api.eu.opsgenie.com/","appHost":"h"}"#.into(),
    );
    let config = Config::from_env_map(vars.clone()).unwrap();
    assert_eq!(config.integration.config.api_token.expose(), "json-token");
    assert_eq!(
        config.integration.config.api_url,
        "https://api.eu.opsgenie.com"
    );
    assert_eq!(config.integration.config.extra["app_host"], "h");

    vars.insert(
        "OCEAN__INTEGRATION__CONFIG__API_URL".into(),
        "http://127.0.0.1:9999///".into(),
    );
    let config = Config::from_env_map(vars).unwrap();
    assert_eq!(config.integration.config.api_url, "http://127.0.0.1:9999");
    assert_eq!(config.integration.config.api_token.expose(), "json-token");
}

#[test]
fn identifier_type_and_urls() {
    let config = Config::from_env_map(with(&[
        ("OCEAN__INTEGRATION__TYPE", "OpsGenie"),
        ("OCEAN__PORT__BASE_URL", "https://api.us.getport.io/"),
    ]))
    .unwrap();
    assert_eq!(config.integration.kind, "opsgenie");
    assert_eq!(config.integration.identifier, "my-opsgenie-integration");
    assert_eq!(config.port.base_url, "https://api.us.getport.io");

    let config =
        Config::from_env_map(with(&[("OCEAN__INTEGRATION__IDENTIFIER", "og-prod")])).unwrap();
    assert_eq!(config.integration.identifier, "og-prod");

    let error = Config::from_env_map(with(&[("OCEAN__PORT__BASE_URL", "getport.io")])).unwrap_err();
    assert_eq!(error.variable, "OCEAN__PORT__BASE_URL");
}

#[test]
fn scalar_settings_parse() {
    let config = Config::from_env_map(with(&[
        ("OCEAN__INITIALIZE_PORT_RESOURCES", "False"),
        ("OCEAN__SEND_RAW_DATA_EXAMPLES", "0"),
        ("OCEAN__SCHEDULED_RESYNC_INTERVAL", "15"),
        ("OCEAN__CLIENT_TIMEOUT", "2.5"),
        ("OCEAN__PATH_PREFIX", "/og"),
        ("OCEAN__UPSERT_ENTITIES_BATCH_MAX_LENGTH", "7"),
        ("OCEAN__UPSERT_ENTITIES_BATCH_MAX_SIZE_IN_BYTES", "4096"),
        ("OCEAN__DELETE_ENTITIES_MAX_BATCH_SIZE", "1000"),
        ("APPLICATION__PORT", "9000"),
        ("APPLICATION__LOG_LEVEL", "debug"),
        ("OCEAN__UPDATE_BLUEPRINTS", "true"),
    ]))
    .unwrap();
    assert!(!config.initialize_port_resources);
    assert!(config.update_blueprints);
    assert!(!config.send_raw_data_examples);
    assert_eq!(
        config.scheduled_resync_interval,
        Some(Duration::from_secs(900))
    );
    assert_eq!(config.client_timeout, Duration::from_millis(2500));
    assert_eq!(config.path_prefix.as_deref(), Some("/og"));
    assert_eq!(config.upsert_batch_max_length, 7);
    assert_eq!(config.upsert_batch_max_bytes, 4096);
    assert_eq!(config.delete_batch_max_length, 100);
    assert_eq!(config.application.port, 9000);
    assert_eq!(config.application.log_level, "DEBUG");
}

#[test]
fn malformed_scalars_name_the_variable() {
    for (variable, value) in [
        ("OCEAN__CLIENT_TIMEOUT", "soon"),
        // 0 made every request time out, each retried for minutes.
        ("OCEAN__CLIENT_TIMEOUT", "0"),
        ("OCEAN__CLIENT_TIMEOUT", "0.0"),
        ("OCEAN__CLIENT_TIMEOUT", "0.0000001"),
        ("OCEAN__INITIALIZE_PORT_RESOURCES", "maybe"),
        ("OCEAN__UPDATE_BLUEPRINTS", "additive"),
        ("OCEAN__UPSERT_ENTITIES_BATCH_MAX_LENGTH", "0"),
        ("APPLICATION__PORT", "70000"),
        ("APPLICATION__LOG_LEVEL", "LOUD"),
    ] {
        let error = Config::from_env_map(with(&[(variable, value)])).unwrap_err();
        assert_eq!(error.variable, variable, "{error}");
    }
    // A polling interval of 0 polled Port without a pause.
    let error = Config::from_env_map(with(&[
        ("OCEAN__EVENT_LISTENER__TYPE", "POLLING"),
        ("OCEAN__EVENT_LISTENER__INTERVAL", "0"),
    ]))
    .unwrap_err();
    assert_eq!(error.variable, "OCEAN__EVENT_LISTENER__INTERVAL", "{error}");
    let error = Config::from_env_map(with(&[("OCEAN__CLIENT_TIMEOUT", "0")])).unwrap_err();
    assert!(error.to_string().contains("at least 0.001"), "{error}");
}

#[test]
fn secret_values_never_appear_in_errors() {
    let mut vars = base();
    vars.insert(
        "OCEAN__PORT__CLIENT_SECRET".into(),
        r#"{"oops":"csecret-value"}"#.into(),
    );
    let error = Config::from_env_map(vars).unwrap_err();
    assert_eq!(error.variable, "OCEAN__PORT__CLIENT_SECRET");
    assert!(!error.to_string().contains("csecret-value"));
}

#[test]
fn dotenv_is_lowest_precedence() {
    let dotenv = "OCEAN__PORT__CLIENT_ID=file-id\nOCEAN__PORT__CLIENT_SECRET=file-secret\n\
                  OCEAN__INTEGRATION__CONFIG__API_TOKEN=file-token\nOCEAN__INTEGRATION__IDENTIFIER=from-file\n";
    let env: HashMap<String, String> = [(
        "OCEAN__INTEGRATION__IDENTIFIER".to_owned(),
        "from-env".to_owned(),
    )]
    .into();
    let config = Config::from_dotenv_and_env(dotenv, env).unwrap();
    assert_eq!(config.integration.identifier, "from-env");
    assert_eq!(config.port.client_id.expose(), "file-id");
}
