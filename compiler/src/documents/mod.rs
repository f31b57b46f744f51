//! Documents with spans: YAML and JSON parsed into one [`tree::Node`] type whose scalars map
//! every decoded byte back to the file, so any input (port-app-config, blueprints, source
//! schemas) can be underlined exactly in diagnostics.
//!
//! Loading is bounded, since a mapping may come from anywhere (at run time, from Port):
//!
//! | limit | what | code |
//! |-------|------|------|
//! | [`MAX_DOCUMENT_BYTES`] | size of one file | E0001 (YAML), E0002 (JSON) |
//! | [`MAX_DEPTH`] | nesting of collections (YAML aliases included) | E0001, E0002 |
//! | [`MAX_ALIAS_COPIES`] | nodes copied by YAML anchors and aliases | E0001 |
//!
//! A document past a limit is not loaded, as one with a syntax error. Both parsers keep their
//! own stack of open collections, so only the tree they build (and its users) recurse, on its
//! depth.

pub mod json;
pub mod tree;
pub mod yaml;

use crate::diag::Diagnostic;
use crate::source::{FileId, Span};

/// Largest mapping, blueprints or schema file, in bytes (real ones are a few KiB to a few
/// hundred KiB). A loaded document takes about 100 bytes per node and 17 per byte of text.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Deepest nesting of collections in a document (mapping files nest fewer than 10 levels).
pub const MAX_DEPTH: usize = 128;

/// Most nodes that YAML anchors and aliases may copy in one document (each anchored node is
/// copied once, and again for each alias of it). A few lines of nested aliases ("billion
/// laughs") would otherwise expand to gigabytes.
pub const MAX_ALIAS_COPIES: usize = 250_000;

/// Bytes of scalar text that weigh as much as one node, for [`MAX_ALIAS_COPIES`].
pub const SCALAR_BYTES_PER_NODE: usize = 16;

/// E0002 (`json`) or E0001 (YAML) for a file over [`MAX_DOCUMENT_BYTES`], on its first byte:
/// `size` in bytes when known.
pub fn too_large(file: FileId, json: bool, size: Option<u64>) -> Diagnostic {
    let (code, format, what) = if json {
        ("E0002", "JSON", "a JSON file")
    } else {
        ("E0001", "YAML", "a mapping file")
    };
    let size = match size {
        Some(size) => format!("{size} bytes"),
        None => format!("more than {MAX_DOCUMENT_BYTES} bytes"),
    };
    Diagnostic::error(code, format!("{format} file is too large ({size})"))
        .with_primary(Span::new(file, 0, 0), "")
        .with_help(format!("{what} may be at most {MAX_DOCUMENT_BYTES} bytes"))
}
