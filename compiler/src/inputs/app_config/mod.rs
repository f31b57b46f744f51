//! The port-app-config front end: YAML/JSON with spans → validated [`AppConfig`].

pub mod canonical;
pub mod jqtext;
pub mod kinds;
mod load;
pub mod model;

pub use jqtext::JqSource;
pub use load::{load_app_config, load_app_config_file, load_app_config_root};
pub use model::*;
