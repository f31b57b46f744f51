//! The compiler's inputs, each validated into a model with spans: the port-app-config
//! ([`app_config`]), Port blueprints ([`blueprint`]), Opsgenie source schemas ([`schema`]), and
//! where they come from ([`mapdir`]: a mapping directory on disk; [`port`]: the mapping and
//! blueprints as Port's API returns them).

pub mod app_config;
pub mod blueprint;
pub mod mapdir;
pub mod port;
pub mod schema;
