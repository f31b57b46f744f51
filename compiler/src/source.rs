//! Source files and byte spans.
//!
//! Every file the compiler reads (mapping YAML, blueprints, source schemas) is added to a
//! [`SourceMap`] once; diagnostics then refer to it through [`Span`]s, byte ranges into the
//! original text, which the renderers turn into `path:line:col` and snippets.
//!
//! A mapping or blueprint fetched from Port's API has no file the user could open: it is
//! serialised into a virtual file ([`SourceMap::add_port`]) whose regions are named by field
//! path ([`FieldPath`]), and the renderers show `Port mapping: resources[2].port…` instead of a
//! line number.

/// Identifies one file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    /// The smallest span covering both (same file assumed; `self`'s file wins).
    pub fn to(self, other: Span) -> Span {
        Span::new(
            self.file,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

struct SourceFile {
    path: String,
    text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// `Some` for a file serialised from a Port API object: its regions by field path.
    port: Option<Vec<FieldPath>>,
}

/// A region of a virtual file serialised from a Port object, named by where it sits in that
/// object (every value and every key of the JSON document has one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    /// Byte range in the virtual file.
    pub start: usize,
    pub end: usize,
    /// The object: `Port mapping`, `blueprint opsGenieAlert`.
    pub origin: String,
    /// Where in it: `resources[2].port.entity.mappings.properties.title`; empty for the
    /// object itself.
    pub path: String,
}

impl FieldPath {
    /// `origin: path`, or just the origin for the whole object.
    pub fn location(&self) -> String {
        if self.path.is_empty() {
            self.origin.clone()
        } else {
            format!("{}: {}", self.origin, self.path)
        }
    }
}

/// All files read during one compilation.
#[derive(Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl std::fmt::Debug for SourceMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.files.iter().map(|file| &file.path))
            .finish()
    }
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file; `path` is the name shown to users (relative where possible).
    pub fn add(&mut self, path: impl Into<String>, text: String) -> FileId {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            path: path.into(),
            text,
            line_starts,
            port: None,
        });
        id
    }

    /// Adds a virtual file holding a Port object serialised as JSON; `name` (e.g.
    /// `Port mapping`) is shown where no field path is known. Name its regions with
    /// [`SourceMap::set_field_paths`] once the text is parsed.
    pub fn add_port(&mut self, name: impl Into<String>, text: String) -> FileId {
        let id = self.add(name, text);
        self.files[id.0 as usize].port = Some(Vec::new());
        id
    }

    /// Names the regions of a virtual Port file (ignored for other files).
    pub fn set_field_paths(&mut self, id: FileId, paths: Vec<FieldPath>) {
        if let Some(slot) = self
            .files
            .get_mut(id.0 as usize)
            .and_then(|f| f.port.as_mut())
        {
            *slot = paths;
        }
    }

    /// Whether the file was serialised from a Port object (no lines a user could look up).
    pub fn is_port(&self, id: FileId) -> bool {
        self.file(id).is_some_and(|f| f.port.is_some())
    }

    /// The innermost named region of a Port file that holds `span` (`None` for other files).
    pub fn field_path(&self, span: Span) -> Option<&FieldPath> {
        let paths = self.file(span.file)?.port.as_ref()?;
        paths
            .iter()
            .filter(|p| p.start <= span.start && span.end <= p.end)
            .min_by_key(|p| p.end - p.start)
    }

    /// Where a span is, as users see it: `path:line:col`, or a Port field path.
    pub fn location(&self, span: Span) -> String {
        if self.is_port(span.file) {
            return match self.field_path(span) {
                Some(p) => p.location(),
                None => self.path(span.file).to_string(),
            };
        }
        let (line, col) = self.line_col(span.file, span.start);
        format!("{}:{line}:{col}", self.path(span.file))
    }

    fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The user-facing path, or `<unknown>` for an id from another map.
    pub fn path(&self, id: FileId) -> &str {
        self.file(id).map_or("<unknown>", |f| f.path.as_str())
    }

    pub fn text(&self, id: FileId) -> &str {
        self.file(id).map_or("", |f| f.text.as_str())
    }

    /// Number of files added so far.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// 1-based line and column of a byte offset; the column counts chars, not bytes.
    /// Offsets past the end (or inside a char) are clamped.
    pub fn line_col(&self, id: FileId, byte: usize) -> (usize, usize) {
        let Some(file) = self.file(id) else {
            return (1, 1);
        };
        let byte = floor_char_boundary(&file.text, byte);
        let line = file.line_starts.partition_point(|&s| s <= byte).max(1) - 1;
        let start = file.line_starts[line];
        let col = file.text[start..byte].chars().count();
        (line + 1, col + 1)
    }

    /// The text of 1-based line `line`, without its line terminator.
    pub fn line_text(&self, id: FileId, line: usize) -> &str {
        let Some(file) = self.file(id) else {
            return "";
        };
        let Some(&start) = file.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = file
            .line_starts
            .get(line)
            .map_or(file.text.len(), |&next| next - 1);
        file.text[start..end].trim_end_matches('\r')
    }

    /// Number of lines in a file (a trailing newline does not start a new line).
    pub fn line_count(&self, id: FileId) -> usize {
        self.file(id).map_or(0, |f| {
            let n = f.line_starts.len();
            if n > 1 && f.line_starts[n - 1] == f.text.len() {
                n - 1
            } else {
                n
            }
        })
    }
}

/// The largest char boundary `<= byte` (clamped to the text's length).
pub(crate) fn floor_char_boundary(text: &str, byte: usize) -> usize {
    let mut b = byte.min(text.len());
    while !text.is_char_boundary(b) {
        b -= 1;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_and_clamps() {
        let mut sm = SourceMap::new();
        let f = sm.add("a.yaml", "ab\nçd: x\n".to_string());
        assert_eq!(sm.line_col(f, 0), (1, 1));
        assert_eq!(sm.line_col(f, 2), (1, 3));
        assert_eq!(sm.line_col(f, 3), (2, 1));
        // `ç` is two bytes; `d` is the second char.
        assert_eq!(sm.line_col(f, 5), (2, 2));
        // Inside `ç`: clamped back to its start.
        assert_eq!(sm.line_col(f, 4), (2, 1));
        assert_eq!(sm.line_col(f, 1000), (3, 1));
        assert_eq!(sm.line_text(f, 2), "çd: x");
        assert_eq!(sm.line_text(f, 9), "");
        assert_eq!(sm.line_count(f), 2);
        assert_eq!(sm.path(f), "a.yaml");
        assert_eq!(sm.path(FileId(7)), "<unknown>");
        assert!(!sm.is_port(f));
        assert_eq!(sm.location(Span::new(f, 5, 6)), "a.yaml:2:2");
    }

    #[test]
    fn port_files_are_located_by_the_innermost_field_path() {
        let mut sm = SourceMap::new();
        let text = "{\"a\": {\"b\": \".x\"}}".to_string();
        let f = sm.add_port("integration.config", text);
        let path = |start, end, path: &str| FieldPath {
            start,
            end,
            origin: "Port mapping".into(),
            path: path.into(),
        };
        // `{"a": {"b": ".x"}}`: the root, `a`'s value, the key `b`, `b`'s value.
        sm.set_field_paths(
            f,
            vec![
                path(0, 18, ""),
                path(6, 17, "a"),
                path(7, 10, "a.b"),
                path(12, 16, "a.b"),
            ],
        );
        assert!(sm.is_port(f));
        assert_eq!(sm.location(Span::new(f, 13, 15)), "Port mapping: a.b");
        assert_eq!(sm.location(Span::new(f, 6, 7)), "Port mapping: a");
        assert_eq!(sm.location(Span::new(f, 0, 1)), "Port mapping");
        assert_eq!(sm.location(Span::new(f, 17, 30)), "integration.config");
    }
}
