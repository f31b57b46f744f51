//! Structured logging on `tracing`, with every emitted line passed through [`secret::mask`].
//!
//! Lines are JSON when stderr is not a terminal (containers, log shippers) or when asked for,
//! human-readable text otherwise. The level comes from `APPLICATION__LOG_LEVEL` (Ocean's names:
//! CRITICAL, ERROR, WARNING, INFO, DEBUG); `RUST_LOG`, when set, takes precedence.

use crate::secret;
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// JSON unless stderr is a terminal.
    #[default]
    Auto,
    Json,
    Text,
}

impl LogFormat {
    /// `auto`, `json` or `text` (case-insensitive).
    pub fn parse(text: &str) -> Option<LogFormat> {
        match text.to_ascii_lowercase().as_str() {
            "auto" => Some(LogFormat::Auto),
            "json" => Some(LogFormat::Json),
            "text" | "human" => Some(LogFormat::Text),
            _ => None,
        }
    }

    /// Whether lines are JSON (for `Auto`: stderr is not a terminal).
    pub fn is_json(self) -> bool {
        match self {
            LogFormat::Json => true,
            LogFormat::Text => false,
            LogFormat::Auto => !io::stderr().is_terminal(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct LogOptions {
    /// Ocean's level names (`DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`); unknown means INFO.
    pub level: String,
    pub format: LogFormat,
}

/// Ocean's level name as a `tracing` filter.
pub fn level_filter(level: &str) -> LevelFilter {
    match level.to_ascii_uppercase().as_str() {
        "DEBUG" => LevelFilter::DEBUG,
        "TRACE" => LevelFilter::TRACE,
        "WARNING" | "WARN" => LevelFilter::WARN,
        "ERROR" | "CRITICAL" => LevelFilter::ERROR,
        _ => LevelFilter::INFO,
    }
}

/// Installs the process-wide subscriber writing to stderr. A second call is a no-op (the first
/// subscriber stays), so commands and tests may both call it.
pub fn init(options: &LogOptions) {
    let _ = tracing::subscriber::set_global_default(subscriber(options, MaskingStderr));
}

/// A subscriber writing masked lines to `writer`; tests capture logs with a [`CaptureWriter`].
pub fn subscriber<W>(options: &LogOptions, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::default().add_directive(level_filter(&options.level).into()),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(true);
    if options.format.is_json() {
        Box::new(builder.json().flatten_event(true).finish())
    } else {
        Box::new(builder.with_ansi(false).finish())
    }
}

/// Writes each formatted line to stderr after masking it. The fmt layer hands over one whole
/// event per writer, so buffering until drop masks complete lines (a secret is never split).
#[derive(Clone, Copy, Debug, Default)]
pub struct MaskingStderr;

impl<'a> MakeWriter<'a> for MaskingStderr {
    type Writer = MaskedLine<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedLine::new(io::stderr())
    }
}

/// Buffers one event and writes it, masked, to the inner writer when dropped.
pub struct MaskedLine<W: Write> {
    buffer: Vec<u8>,
    inner: W,
}

impl<W: Write> MaskedLine<W> {
    pub fn new(inner: W) -> Self {
        MaskedLine {
            buffer: Vec::with_capacity(256),
            inner,
        }
    }
}

impl<W: Write> Write for MaskedLine<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for MaskedLine<W> {
    fn drop(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let masked = secret::mask(&String::from_utf8_lossy(&self.buffer));
        // Logging must never fail the program; a closed stderr loses the line.
        let _ = self.inner.write_all(masked.as_bytes());
        let _ = self.inner.flush();
    }
}

/// Collects masked log output in memory (tests).
#[derive(Clone, Debug, Default)]
pub struct CaptureWriter {
    lines: Arc<Mutex<Vec<u8>>>,
}

impl CaptureWriter {
    pub fn new() -> Self {
        CaptureWriter::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> String {
        let bytes = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Appends to the shared buffer.
pub struct CaptureSink(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CaptureWriter {
    type Writer = MaskedLine<CaptureSink>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedLine::new(CaptureSink(self.lines.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn levels_follow_ocean_names() {
        assert_eq!(level_filter("warning"), LevelFilter::WARN);
        assert_eq!(level_filter("CRITICAL"), LevelFilter::ERROR);
        assert_eq!(level_filter("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(level_filter("nonsense"), LevelFilter::INFO);
    }

    #[test]
    fn captured_lines_are_masked() {
        secret::register(&Secret::new("logging-test-secret-4242"));
        let capture = CaptureWriter::new();
        let options = LogOptions {
            level: "DEBUG".into(),
            format: LogFormat::Json,
        };
        let subscriber = subscriber(&options, capture.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(header = "GenieKey logging-test-secret-4242", "sending");
            tracing::info!("token logging-test-secret-4242 in a message");
        });
        let text = capture.contents();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains("logging-test-secret-4242"), "{text}");
        assert!(text.contains("GenieKey [REDACTED]"), "{text}");
        for line in text.lines() {
            let parsed: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            assert!(parsed.get("level").is_some());
        }
    }
}
