//! A mapping directory: `port-app-config.yaml`, `blueprints.json` and `sources/*.json`.

use crate::diag::{Diagnostic, Diagnostics};
use crate::documents::{too_large, MAX_DOCUMENT_BYTES};
use crate::inputs::app_config::{load_app_config, AppConfig};
use crate::inputs::blueprint::{load_blueprints, Blueprint};
use crate::inputs::schema::{load_schema, Schema};
use crate::source::SourceMap;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

/// Config file names, in order of preference (as Ocean's defaults loader accepts them).
pub const CONFIG_FILE_NAMES: &[&str] = &[
    "port-app-config.yaml",
    "port-app-config.yml",
    "port-app-config.json",
];
pub const BLUEPRINTS_FILE_NAME: &str = "blueprints.json";
pub const SOURCES_DIR_NAME: &str = "sources";

/// Everything loaded from a mapping directory.
#[derive(Debug, Default)]
pub struct MappingDir {
    pub sm: SourceMap,
    pub config: Option<AppConfig>,
    pub blueprints: Vec<Blueprint>,
    /// Source schema per kind.
    pub schemas: BTreeMap<String, Schema>,
    /// The JSON text of each schema in `schemas`, so a binary built from this directory checks
    /// mappings read at run time against the same schemas.
    pub schema_texts: BTreeMap<String, String>,
    /// Every file read, and the directories searched (so that added files are noticed too),
    /// for `cargo::rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
}

/// Where the default source schemas come from.
#[derive(Clone, Copy)]
pub enum DefaultSources<'a> {
    /// `*.json` files of a directory (build.rs, tests).
    Dir(&'a Path),
    /// `(kind, schema text)` pairs compiled into the binary ([`BUILTIN_SOURCES`]).
    Embedded(&'a [(&'a str, &'a str)]),
}

/// The Opsgenie schemas shipped in `mappings/sources/`, compiled in, so that a binary can check
/// mappings anywhere.
pub const BUILTIN_SOURCES: &[(&str, &str)] = &[
    (
        "alert",
        include_str!("../../../mappings/sources/alert.json"),
    ),
    (
        "incident",
        include_str!("../../../mappings/sources/incident.json"),
    ),
    (
        "schedule",
        include_str!("../../../mappings/sources/schedule.json"),
    ),
    (
        "schedule-oncall",
        include_str!("../../../mappings/sources/schedule-oncall.json"),
    ),
    (
        "service",
        include_str!("../../../mappings/sources/service.json"),
    ),
    ("team", include_str!("../../../mappings/sources/team.json")),
    ("user", include_str!("../../../mappings/sources/user.json")),
];

/// The shipped default port-app-config (`mappings/port-app-config.yaml`), to tell a binary
/// built with another mapping apart.
pub const SHIPPED_DEFAULT_CONFIG: &str = include_str!("../../../mappings/port-app-config.yaml");

/// Loads `dir`; source schemas come from `default_sources/*.json`, each replaced by
/// `dir/sources/<kind>.json` when present. Missing config or blueprints: E0008.
pub fn load_mapping_dir(dir: &Path, default_sources: &Path, diags: &mut Diagnostics) -> MappingDir {
    load_mapping_dir_with(dir, DefaultSources::Dir(default_sources), diags)
}

/// [`load_mapping_dir`] with the default schemas given explicitly.
pub fn load_mapping_dir_with(
    dir: &Path,
    defaults: DefaultSources<'_>,
    diags: &mut Diagnostics,
) -> MappingDir {
    let mut out = MappingDir::default();
    out.inputs.push(dir.to_path_buf());

    // Whatever is there counts (a directory or a FIFO by that name is reported, not skipped).
    let existing: Vec<PathBuf> = CONFIG_FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    match existing.first() {
        Some(path) => {
            if existing.len() > 1 {
                let others: Vec<String> = existing[1..].iter().map(|p| display(p)).collect();
                diags.push(
                    Diagnostic::warning(
                        "E0010",
                        format!("several mapping files; using `{}`", display(path)),
                    )
                    .with_note(format!("ignored: {}", others.join(", "))),
                );
            }
            if let Some(text) = read(path, &mut out.sm, &mut out.inputs, diags) {
                out.config = load_app_config(&mut out.sm, &display(path), text, diags);
            }
        }
        None => diags.push(
            Diagnostic::error(
                "E0008",
                format!("no port-app-config.yaml in `{}`", display(dir)),
            )
            .with_help(
                "a mapping directory holds port-app-config.yaml (the mapping) and blueprints.json",
            )
            .with_note("set OPSGENIE_PORT_MAPPINGS to the directory that holds your mapping"),
        ),
    }

    let bp_path = dir.join(BLUEPRINTS_FILE_NAME);
    if bp_path.symlink_metadata().is_ok() {
        if let Some(text) = read(&bp_path, &mut out.sm, &mut out.inputs, diags) {
            out.blueprints = load_blueprints(&mut out.sm, &display(&bp_path), text, diags);
        }
    } else {
        diags.push(
            Diagnostic::error("E0008", format!("no blueprints.json in `{}`", display(dir)))
                .with_help("add the Port blueprints the mapping writes to (a JSON list of blueprint definitions)"),
        );
    }

    load_sources(&mut out, defaults, Some(&dir.join(SOURCES_DIR_NAME)), diags);
    out
}

/// Like [`load_mapping_dir`] for texts given inline (the proc macro): `(path shown, text)`.
pub fn load_mapping_texts(
    config: (&str, String),
    blueprints: (&str, String),
    default_sources: &Path,
    diags: &mut Diagnostics,
) -> MappingDir {
    let mut out = MappingDir::default();
    out.config = load_app_config(&mut out.sm, config.0, config.1, diags);
    out.blueprints = load_blueprints(&mut out.sm, blueprints.0, blueprints.1, diags);
    load_sources(&mut out, DefaultSources::Dir(default_sources), None, diags);
    out
}

fn load_sources(
    out: &mut MappingDir,
    defaults: DefaultSources<'_>,
    own: Option<&Path>,
    diags: &mut Diagnostics,
) {
    let defaults = match defaults {
        DefaultSources::Dir(d) => Some(d),
        DefaultSources::Embedded(pairs) => {
            for (kind, text) in pairs {
                let shown = format!("<built-in>/sources/{kind}.json");
                if let Some(schema) = load_schema(&mut out.sm, &shown, text.to_string(), diags) {
                    out.schemas.insert(kind.to_string(), schema);
                    out.schema_texts.insert(kind.to_string(), text.to_string());
                }
            }
            // The mapping directory's own sources still override per kind, below.
            None
        }
    };
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    let same_dir = matches!((own, defaults), (Some(own), Some(d)) if same_path(own, d));
    for dir in defaults.into_iter().chain(own.filter(|_| !same_dir)) {
        if !dir.is_dir() {
            continue;
        }
        out.inputs.push(dir.to_path_buf());
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "E0008",
                    format!("cannot read `{}`: {e}", display(dir)),
                ));
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            if let Some(kind) = path.file_stem().and_then(|s| s.to_str()) {
                // The mapping directory's own file replaces the default for that kind.
                files.insert(kind.to_string(), path.clone());
            }
        }
    }
    for (kind, path) in files {
        if let Some(text) = read(&path, &mut out.sm, &mut out.inputs, diags) {
            if let Some(schema) = load_schema(&mut out.sm, &display(&path), text.clone(), diags) {
                out.schemas.insert(kind.clone(), schema);
                out.schema_texts.insert(kind, text);
            }
        }
    }
}

/// The text of a file of the mapping directory. Only a regular file is opened (a FIFO would
/// block, a device never end), and at most [`MAX_DOCUMENT_BYTES`] + 1 bytes of it are read: a
/// larger file is E0001 (YAML) or E0002 (JSON), shown by its first line. A file that cannot be
/// read (missing, a directory, not a regular file, a symbolic link loop, not UTF-8) is E0008.
fn read(
    path: &Path,
    sm: &mut SourceMap,
    inputs: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) -> Option<String> {
    inputs.push(path.to_path_buf());
    match read_bounded(path) {
        Ok(Bounded::Text(text)) => Some(text),
        Ok(Bounded::TooLarge { size, first_line }) => {
            let file = sm.add(display(path), first_line);
            let json = path.extension().is_some_and(|x| x == "json");
            diags.push(too_large(file, json, size));
            None
        }
        Err(reason) => {
            diags.push(Diagnostic::error(
                "E0008",
                format!("cannot read `{}`: {reason}", display(path)),
            ));
            None
        }
    }
}

enum Bounded {
    Text(String),
    /// Over [`MAX_DOCUMENT_BYTES`]: the size when known, and the first line (for the snippet).
    TooLarge {
        size: Option<u64>,
        first_line: String,
    },
}

/// How much of a file too large to load is read, for the first line of its diagnostic.
const FIRST_LINE_BYTES: u64 = 1024;

impl Bounded {
    fn too_large(size: Option<u64>, head: &[u8]) -> Bounded {
        let head = &head[..head.len().min(FIRST_LINE_BYTES as usize)];
        let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
        Bounded::TooLarge {
            size,
            first_line: String::from_utf8_lossy(first).into_owned(),
        }
    }
}

fn read_bounded(path: &Path) -> Result<Bounded, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == ErrorKind::NotFound && path.symlink_metadata().is_ok() {
            "it is a symbolic link to nothing".to_owned()
        } else {
            e.to_string()
        }
    })?;
    if meta.is_dir() {
        return Err("it is a directory".to_owned());
    }
    if !meta.is_file() {
        return Err("it is not a regular file (a FIFO, socket or device)".to_owned());
    }
    let limit = MAX_DOCUMENT_BYTES as u64;
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    if meta.len() > limit {
        (&mut file)
            .take(FIRST_LINE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        return Ok(Bounded::too_large(Some(meta.len()), &bytes));
    }
    // At most one byte more than allowed: a file may grow, or report no size (as in /proc).
    bytes.reserve_exact(meta.len() as usize);
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Ok(Bounded::too_large(None, &bytes));
    }
    String::from_utf8(bytes)
        .map(Bounded::Text)
        .map_err(|_| "it is not UTF-8 text".to_owned())
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The path as users should see it: relative to the current directory when inside it.
fn display(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    shown.display().to_string()
}
