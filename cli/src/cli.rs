//! Command-line interface definitions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The exit-status table (also in the README), printed after the top-level help.
const EXIT_STATUS: &str = "\
Exit status (every subcommand):
  0    success (validate: no errors; sync: resync completed; plan: plan complete)
  1    the operation ran and failed: mapping errors (validate), a failed resync (sync, serve
       with ONCE; nothing is deleted then), an incomplete plan, start-up failure (serve)
  2    unusable input: a wrong flag, missing or invalid OCEAN__* configuration, no such file,
       a mapping file missing or unreadable (E0008)
  3    plan --detailed-exitcode only: the plan is complete and a resync would change something
  130  sync or plan interrupted by Ctrl-C or SIGTERM (nothing deleted; serve exits 0 instead)";

/// Sync Opsgenie alerts, incidents, services, teams, schedules and users into Port's catalog.
///
/// The mapping (Port's port-app-config YAML with jq expressions, plus blueprints) is compiled
/// into this binary at build time: `OPSGENIE_PORT_MAPPINGS=./my-mappings cargo build --release`.
#[derive(Parser, Debug)]
#[command(
    name = "opsgenie-port",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = EXIT_STATUS
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `sim`'s account and knobs.
#[derive(Args, Debug)]
pub struct SimArgs {
    /// How many alerts the generated account has.
    #[arg(long, default_value_t = 1000)]
    pub alerts: usize,
    /// Seed of the generated account (same seed, same account).
    #[arg(long, default_value_t = 20_261_128)]
    pub seed: u64,
    /// Post the Webhook integration's event of every alert action made through the Opsgenie
    /// simulator's Alert API to URL (e.g. serve's http://127.0.0.1:8000/integration/webhook).
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// Port's request budget, requests per second for the organisation: 429 beyond it, and
    /// x-ratelimit-limit/remaining/reset on every answer [default: 100,000 per minute].
    #[arg(long, value_name = "PER_SECOND")]
    pub port_rate: Option<u32>,
    /// Opsgenie's limit per request domain (search, alert, incident, configuration, schedule
    /// on-calls), requests per second: 429 with X-RateLimit-State THROTTLED beyond it
    /// [default: unlimited].
    #[arg(long, value_name = "PER_SECOND")]
    pub opsgenie_rate: Option<u32>,
    /// Probability of a fault on each request to either simulator: a 429, a 5xx, a 5 s stall, a
    /// truncated body or a reset connection.
    #[arg(long, value_name = "0..1", default_value_t = 0.0)]
    pub error_rate: f64,
    /// Milliseconds added before every answer of either simulator.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a mapping directory (all static checks, no build), or the mapping Port holds.
    ///
    /// With --from-port, reads the integration's mapping and its blueprints from Port (the
    /// OCEAN__* credentials, as `sync`) and checks them as a resync would: diagnostics are
    /// located by field path, and errors are those that would stop a resource at run time.
    /// Exit status: 0 when clean (warnings allowed), 1 when errors were found, 2 when the input
    /// cannot be used at all (no such directory, a mapping file missing or unreadable, no
    /// configuration, Port unreachable).
    ///
    /// Examples:
    ///   opsgenie-port validate mappings/
    ///   opsgenie-port validate ./my-mappings --format github
    ///   opsgenie-port validate --from-port
    ///   opsgenie-port validate --explain E0201
    #[command(verbatim_doc_comment)]
    Validate {
        /// The mapping directory (port-app-config.yaml, blueprints.json, optional sources/).
        #[arg(default_value = "mappings")]
        dir: PathBuf,
        /// Output format: human (rustc style), json (one object per line), github (workflow
        /// annotations).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Check the mapping and blueprints Port holds for the integration instead of DIR.
        #[arg(long, conflicts_with = "explain")]
        from_port: bool,
        /// Print what a diagnostic code means (e.g. E0201) and what it does at run time.
        #[arg(long, value_name = "CODE")]
        explain: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Map raw Opsgenie objects (JSON lines) to Port entities with the compiled mapping.
    ///
    /// Reads Opsgenie objects from FILE (or stdin with `-` or no FILE) — JSON lines, a JSON
    /// array, or JSON documents — one at a time, so memory stays bounded whatever the input
    /// size (one object may take up to 16 MiB). Writes one entity per line (Port's entity
    /// JSON) as it goes, then a summary to stderr: invalid, refused and skipped items, fields
    /// that produced no value. Exit status 1 when an item is not valid JSON, its selector
    /// fails, or Port would refuse its entity (an identifier that is not a string of Port's
    /// pattern), as a resync fails such items.
    /// With --mapping DIR, maps with that mapping directory, compiled now and interpreted (no
    /// rebuild needed; the output is the same as a binary built with DIR would print).
    ///
    /// Examples:
    ///   opsgenie-port map --kind alert alerts.jsonl
    ///   opsgenie-port map --mapping ./my-mappings --kind alert alerts.jsonl
    ///   curl … | jq -c '.data[]' | opsgenie-port map --kind incident -
    #[command(verbatim_doc_comment)]
    Map {
        /// A mapping directory to use instead of the compiled mapping (interpreted).
        #[arg(long, value_name = "DIR")]
        mapping: Option<PathBuf>,
        /// The Opsgenie kind of the input objects (alert, incident, service, team, schedule,
        /// schedule-oncall, user).
        #[arg(long)]
        kind: String,
        /// Use only the resource at this index of `resources:` (default: every resource of
        /// the kind).
        #[arg(long)]
        resource: Option<usize>,
        /// Input file (JSON lines, a JSON array or JSON documents); `-` or nothing reads stdin.
        file: Option<PathBuf>,
    },
    /// Run one full resync from Opsgenie into Port (Port Ocean's ONCE mode), then exit.
    ///
    /// Configuration comes from Ocean's environment variables (`OCEAN__PORT__CLIENT_ID`,
    /// `OCEAN__PORT__CLIENT_SECRET`, `OCEAN__INTEGRATION__CONFIG__API_TOKEN`, …, and `.env`);
    /// the flags below override them. Entities equal to what Port holds are not written again.
    /// Shows a progress bar per kind on a terminal, then prints a per-kind summary. Exit
    /// status: 0 when the resync completed, 1 when it failed (nothing is deleted then), 2 on
    /// unusable configuration, 130 when interrupted by Ctrl-C or SIGTERM.
    ///
    /// Examples:
    ///   opsgenie-port sync
    ///   opsgenie-port sync --identifier my-opsgenie-integration --log-format json
    ///   opsgenie-port sync --mapping-source compiled --update-blueprints
    #[command(verbatim_doc_comment)]
    Sync {
        #[command(flatten)]
        connection: Connection,
        /// Do not PATCH the integration's resync-state in Port.
        #[arg(long)]
        no_resync_state: bool,
        #[command(flatten)]
        blueprints: UpdateBlueprints,
    },
    /// Show what a resync would create, update and delete in Port, changing nothing.
    ///
    /// Reads Opsgenie and Port exactly as `sync` does (same configuration, same mapping, the
    /// same comparison with Port's entities and the same deletion rules) but writes nothing:
    /// no entities, no deletions, no resync-state, no blueprints. Prints per blueprint how many
    /// entities would be created, updated, left unchanged and deleted, with the first
    /// identifiers of each. Entities Port would refuse (property type, enum, format, limits,
    /// required, checked against the blueprints in Port) are listed apart with the reason; a
    /// resync would then fail and delete nothing. Exit status: 0 when the plan is complete (3 with
    /// --detailed-exitcode when it is not empty), 1 when it could not be completed, 2 on
    /// unusable configuration, 130 when interrupted.
    ///
    /// Examples:
    ///   opsgenie-port plan
    ///   opsgenie-port plan --show 20
    ///   opsgenie-port plan --format json > plan.json
    ///   opsgenie-port plan --detailed-exitcode || echo "the catalog is out of date"
    ///   opsgenie-port plan --mapping-source compiled --update-blueprints
    #[command(verbatim_doc_comment)]
    Plan {
        #[command(flatten)]
        connection: Connection,
        #[command(flatten)]
        blueprints: UpdateBlueprints,
        /// Output: text (a table and the first identifiers) or json (every identifier).
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// How many identifiers to list per blueprint and change (text output; 0 for counts only).
        #[arg(long, default_value_t = 5)]
        show: usize,
        /// Exit with 3 instead of 0 when a resync would change something.
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Run always-on: Opsgenie webhooks in real time plus resyncs (Port Ocean's default mode).
    ///
    /// Serves `POST /integration/webhook` (Opsgenie's Webhook integration; with
    /// OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET set, requests must carry it in the
    /// `X-Opsgenie-Port-Secret` header), `GET /health/live`, `GET /health/ready` and
    /// `GET /metrics`, all under OCEAN__PATH_PREFIX. Resyncs follow OCEAN__EVENT_LISTENER
    /// (POLLING: when Port's resync request changes; ONCE: one, then exit; WEBHOOKS_ONLY: none)
    /// and OCEAN__SCHEDULED_RESYNC_INTERVAL (minutes). Creates the integration and the compiled
    /// blueprints in Port when missing (OCEAN__INITIALIZE_PORT_RESOURCES). SIGTERM finishes
    /// accepted webhook events, marks a running resync aborted and exits 0 within 10 s.
    /// Exit status: 0 on a clean stop, 1 when start-up or a ONCE resync failed, 2 on unusable
    /// configuration.
    ///
    /// Examples:
    ///   opsgenie-port serve
    ///   opsgenie-port serve --port 8080 --event-listener WEBHOOKS_ONLY
    #[command(verbatim_doc_comment)]
    Serve {
        /// HTTP port (APPLICATION__PORT, default 8000).
        #[arg(long)]
        port: Option<u16>,
        /// ONCE, POLLING or WEBHOOKS_ONLY (OCEAN__EVENT_LISTENER__TYPE, default POLLING).
        #[arg(long)]
        event_listener: Option<String>,
        /// Create the integration and blueprints in Port when missing
        /// (OCEAN__INITIALIZE_PORT_RESOURCES, default true).
        #[arg(long)]
        initialize_port_resources: Option<bool>,
        /// DEBUG, INFO, WARNING, ERROR or CRITICAL (APPLICATION__LOG_LEVEL).
        #[arg(long)]
        log_level: Option<String>,
        /// auto (JSON unless stderr is a terminal), json or text.
        #[arg(long)]
        log_format: Option<String>,
        /// Which mapping runs (OCEAN__MAPPING_SOURCE): `port` (default) runs the mapping Port
        /// holds for the integration, as Port Ocean does; `compiled` runs the one built into
        /// this binary and writes it to Port at start (GitOps).
        #[arg(long, value_parser = ["port", "compiled"])]
        mapping_source: Option<String>,
        #[command(flatten)]
        blueprints: UpdateBlueprints,
    },
    /// Print the Rust code generated from the mapping this binary was built with.
    ///
    /// The code every mapping expression was compiled to, formatted; useful to see what a jq
    /// expression became or to report a compiler bug.
    ///
    /// Examples:
    ///   opsgenie-port expand > generated.rs
    ///   opsgenie-port expand | grep -n 'fn resource_2'
    #[command(verbatim_doc_comment)]
    Expand,
    /// Run the Opsgenie and Port simulators standalone on loopback until Ctrl-C.
    ///
    /// Prints their URLs and the OCEAN__* variables that point `sync` or `serve` at them. The
    /// Opsgenie account is generated from the seed (plus the Port documentation's samples).
    ///
    /// Examples:
    ///   opsgenie-port sim
    ///   opsgenie-port sim --alerts 20000 --seed 7
    ///   opsgenie-port sim --port-rate 50 --opsgenie-rate 20 --error-rate 0.1
    ///   opsgenie-port sim --webhook-url http://127.0.0.1:8000/integration/webhook
    ///
    /// With --webhook-url, an alert action made through the Opsgenie simulator's Alert API
    /// (create, close, acknowledge, notes, tags, delete) is posted to URL as Opsgenie's Webhook
    /// integration posts it, once the action has taken effect:
    ///   curl -X POST -H "Authorization: GenieKey $KEY" $OPSGENIE/v2/alerts/$ID/close
    #[command(verbatim_doc_comment)]
    Sim(SimArgs),
    /// Run everything against built-in Opsgenie and Port simulators: no credentials, no network.
    ///
    /// Starts both simulators with a seeded account (the Port documentation's sample objects
    /// included), starts the service (which creates the blueprints and the integration in the
    /// Port simulator), prints the plan, runs a full resync, sends webhook events (Acknowledge,
    /// Close, Delete), prints what changed per blueprint, and writes the final catalog as JSON.
    ///
    /// Examples:
    ///   opsgenie-port demo
    ///   opsgenie-port demo --alerts 5000 --output /tmp/catalog.json
    #[command(verbatim_doc_comment)]
    Demo {
        /// How many alerts the generated account has (besides the sample objects).
        #[arg(long, default_value_t = 500)]
        alerts: usize,
        /// Where to write the resulting catalog.
        #[arg(long, default_value = "demo-catalog.json")]
        output: PathBuf,
    },
}

/// Where `sync` and `plan` connect and how they report (flags over the `OCEAN__*` variables).
#[derive(Args, Debug, Default)]
pub struct Connection {
    /// Port API root (OCEAN__PORT__BASE_URL).
    #[arg(long)]
    pub port_base_url: Option<String>,
    /// Opsgenie API root (OCEAN__INTEGRATION__CONFIG__API_URL).
    #[arg(long)]
    pub opsgenie_api_url: Option<String>,
    /// Installation id in Port (OCEAN__INTEGRATION__IDENTIFIER).
    #[arg(long)]
    pub identifier: Option<String>,
    /// DEBUG, INFO, WARNING, ERROR or CRITICAL (APPLICATION__LOG_LEVEL).
    #[arg(long)]
    pub log_level: Option<String>,
    /// auto (JSON unless stderr is a terminal, which also shows progress bars), json or text.
    #[arg(long)]
    pub log_format: Option<String>,
    /// No progress bars (they are shown only when stderr is a terminal and logs are text).
    #[arg(long)]
    pub no_progress: bool,
    /// Which mapping runs (OCEAN__MAPPING_SOURCE): `port` (default) runs the mapping Port holds
    /// for the integration, as Port Ocean does; `compiled` runs the one built into this binary
    /// and writes it to Port first (GitOps).
    #[arg(long, value_parser = ["port", "compiled"])]
    pub mapping_source: Option<String>,
}

/// `--update-blueprints`, for the commands that run the mapping (`sync`, `plan`, `serve`).
#[derive(Args, Debug, Default)]
pub struct UpdateBlueprints {
    /// When the built mapping runs (--mapping-source compiled, or Port holds the built
    /// mapping), first add to Port's blueprints what blueprints.json adds: properties,
    /// relations, enum values, looser limits; nothing is removed or narrowed
    /// (OCEAN__UPDATE_BLUEPRINTS=true). `plan` only lists the changes. Without it, a resource
    /// whose blueprint in Port lacks what it writes does not run.
    #[arg(long)]
    pub update_blueprints: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Json,
}
