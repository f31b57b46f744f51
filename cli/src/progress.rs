//! Progress bars per resource for `sync` and `plan` on a terminal, with log lines printed
//! above the bars instead of through them.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use opsgenie_port_runtime::logging::{self, LogFormat, LogOptions, MaskedLine};
use opsgenie_port_runtime::sync::{KindSummary, Progress};
use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// One spinner per resource, showing its counters; finished lines stay on screen.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<usize, ProgressBar>>,
    /// `plan` counts what would happen; `sync` what did.
    planning: bool,
}

impl Bars {
    /// Bars when stderr is a terminal and logs are text; `None` otherwise (logs only).
    pub fn for_terminal(format: LogFormat, planning: bool) -> Option<Bars> {
        if !io::stderr().is_terminal() || format.is_json() {
            return None;
        }
        Some(Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
            planning,
        })
    }

    /// Installs the process-wide logger so that each line is printed above the bars.
    pub fn init_logging(&self, options: &LogOptions) {
        let writer = AboveBars(self.multi.clone());
        let _ = tracing::subscriber::set_global_default(logging::subscriber(options, writer));
    }

    fn message(&self, summary: &KindSummary) -> String {
        let mut parts = vec![format!("{} fetched", summary.fetched)];
        let verbs = if self.planning {
            ["to create", "to update", "unchanged"]
        } else {
            ["created", "updated", "unchanged"]
        };
        for (count, verb) in [summary.created, summary.updated, summary.unchanged]
            .into_iter()
            .zip(verbs)
        {
            parts.push(format!("{count} {verb}"));
        }
        if summary.filtered > 0 {
            parts.push(format!("{} filtered", summary.filtered));
        }
        if summary.failed > 0 {
            parts.push(format!("{} failed", summary.failed));
        }
        parts.join(" · ")
    }
}

impl Progress for Bars {
    fn started(&self, kind: &'static str, index: usize) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        let style = ProgressStyle::with_template("{spinner} {prefix:<22} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(format!("{kind} (#{index})"));
        bar.set_message("listing…");
        bar.enable_steady_tick(Duration::from_millis(120));
        lock(&self.bars).insert(index, bar);
    }

    fn advanced(&self, summary: &KindSummary) {
        if let Some(bar) = lock(&self.bars).get(&summary.index) {
            bar.set_message(self.message(summary));
        }
    }

    fn finished(&self, summary: &KindSummary) {
        if let Some(bar) = lock(&self.bars).remove(&summary.index) {
            let mut message = self.message(summary);
            if summary.error.is_some() {
                message.push_str(" · FAILED");
            }
            bar.finish_with_message(message);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes masked log lines to stderr with the bars hidden for the moment of the write.
struct AboveBars(MultiProgress);

impl<'a> MakeWriter<'a> for AboveBars {
    type Writer = MaskedLine<SuspendedStderr>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedLine::new(SuspendedStderr(self.0.clone()))
    }
}

struct SuspendedStderr(MultiProgress);

impl Write for SuspendedStderr {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.suspend(|| io::stderr().write_all(data))?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
