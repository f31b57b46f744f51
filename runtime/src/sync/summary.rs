//! What a resync did: per-kind counters, the deletion phase, the final status.

use crate::http::HttpCounters;
use std::fmt::Write as _;
use std::time::Duration;

/// The status Ocean reports to `resync-state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResyncStatus {
    Completed,
    Failed,
    Aborted,
}

impl ResyncStatus {
    /// The wire value (`completed`, `failed`, `aborted`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResyncStatus::Completed => "completed",
            ResyncStatus::Failed => "failed",
            ResyncStatus::Aborted => "aborted",
        }
    }
}

/// Counters of one resource (`kind` at `index` of the mapping).
#[derive(Clone, Debug, Default)]
pub struct KindSummary {
    pub kind: &'static str,
    pub index: usize,
    /// Raw items read from Opsgenie.
    pub fetched: u64,
    /// Entities produced by the mapping.
    pub mapped: u64,
    /// Items the selector rejected.
    pub filtered: u64,
    /// Items without a truthy identifier/blueprint (or whose itemsToParse was not an array).
    pub skipped: u64,
    /// Entities Port refused plus items whose selector failed.
    pub failed: u64,
    /// In a plan: entities Port's checks would refuse (also counted in `failed`).
    pub refused: u64,
    /// Entities written (`created + updated`; in a plan, none).
    pub upserted: u64,
    /// Entities Port created (in a plan: would create).
    pub created: u64,
    /// Entities Port updated, including ones taken over from another owner (in a plan: would
    /// update).
    pub updated: u64,
    /// Entities equal to what Port holds, not written (ocean-core.md §3.5).
    pub unchanged: u64,
    /// Entities not written because a later entity of the resource has their identifier
    /// (Port keeps the last one written).
    pub superseded: u64,
    /// Stale entities of this resource's blueprint deleted at the end of the resync.
    pub deleted: u64,
    /// Requests sent to Opsgenie (retries included) while this resource ran.
    pub opsgenie_calls: u64,
    /// Requests sent to Port while this resource ran.
    pub port_calls: u64,
    pub elapsed: Duration,
    /// Why the resource stopped early, if it did (one line, masked).
    pub error: Option<String>,
}

/// The reconciliation phase.
#[derive(Clone, Debug, PartialEq)]
pub enum DeletionOutcome {
    /// Nothing was deleted, and why.
    Skipped(String),
    Done {
        /// Entities owned by this integration and not written during the resync.
        candidates: u64,
        stale: u64,
        /// Stale entities kept because a generated entity relates to them.
        protected: u64,
        deleted: u64,
        failed: u64,
    },
}

/// Which mapping a resync or plan ran, and why (see [`super::Selection`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappingUsed {
    /// `compiled` or `interpreted`.
    pub backend: &'static str,
    /// `port`, `compiled` or `dir`: where the mapping came from.
    pub origin: &'static str,
    /// Why: `same`, `differs`, `pinned`, `no-integration` (a label for metrics).
    pub reason: &'static str,
    /// Which mapping runs and why, for people.
    pub headline: String,
    /// Resources of the mapping that were blocked by their diagnostics.
    pub blocked: usize,
    /// How many resources (or top-level keys) of Port's mapping differ from the built one.
    pub differing: usize,
}

impl MappingUsed {
    pub fn of(selection: &super::Selection) -> MappingUsed {
        let origin = match selection.mapping.origin {
            crate::mapping::Origin::Compiled { .. } => "compiled",
            crate::mapping::Origin::Port => "port",
            crate::mapping::Origin::Dir(_) => "dir",
        };
        MappingUsed {
            backend: selection.mapping.origin.backend(),
            origin,
            reason: selection.reason.label(),
            headline: selection.headline(),
            blocked: selection.blocked.len(),
            differing: match &selection.reason {
                super::Reason::Differs(names) => names.len(),
                _ => 0,
            },
        }
    }
}

/// The result of [`super::Engine::resync`].
#[derive(Clone, Debug)]
pub struct ResyncReport {
    pub status: ResyncStatus,
    /// Which mapping ran and why.
    pub mapping: MappingUsed,
    /// How Port's blueprints compared with the built ones, and what `--update-blueprints` did.
    pub blueprints: super::BlueprintUpdates,
    pub kinds: Vec<KindSummary>,
    /// Every error, one line each, secrets masked.
    pub errors: Vec<String>,
    pub deletion: DeletionOutcome,
    pub elapsed: Duration,
    /// The requests of the resync per service and kind, 429s and waits on rate limits.
    pub traffic: Traffic,
}

/// Each client's counters over one resync (see [`HttpCounters::since`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub opsgenie: HttpCounters,
    pub port: HttpCounters,
}

impl Traffic {
    /// One line per service: requests per kind, 429s, time waiting on limits (paced before
    /// sending; after 429s).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (service, counters) in [("opsgenie", &self.opsgenie), ("port", &self.port)] {
            let kinds: Vec<String> = counters
                .named_kinds()
                .filter(|kind| kind.requests > 0)
                .map(|kind| match kind.throttled {
                    0 => format!("{} {}", kind.name, kind.requests),
                    throttled => format!("{} {} ({throttled} 429)", kind.name, kind.requests),
                })
                .collect();
            let _ = writeln!(
                out,
                "{service}: {} requests ({}), {} answered 429; waited {:.1}s paced, {:.1}s after 429s",
                counters.requests,
                kinds.join(", "),
                counters.throttled,
                counters.paced_wait.as_secs_f64(),
                counters.rate_limit_wait.as_secs_f64()
            );
        }
        out
    }
}

impl ResyncReport {
    pub fn is_success(&self) -> bool {
        self.status == ResyncStatus::Completed
    }

    /// Total requests sent to Opsgenie and to Port.
    pub fn api_calls(&self) -> (u64, u64) {
        self.kinds
            .iter()
            .fold((0, 0), |(o, p), k| (o + k.opsgenie_calls, p + k.port_calls))
    }

    /// A table of the per-kind counters, then the deletion result and the status.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "mapping: {}", self.mapping.headline);
        out.push_str(&self.blueprints.render());
        let _ = writeln!(
            out,
            "{:<20} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>9} {:>8} {:>9} {:>9} {:>8}",
            "kind",
            "fetched",
            "mapped",
            "filtered",
            "skipped",
            "failed",
            "created",
            "updated",
            "unchanged",
            "deleted",
            "opsgenie",
            "port",
            "time"
        );
        for kind in &self.kinds {
            let name = format!("{} (#{})", kind.kind, kind.index);
            let _ = writeln!(
                out,
                "{:<20} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>9} {:>8} {:>9} {:>9} {:>7.1}s",
                name,
                kind.fetched,
                kind.mapped,
                kind.filtered,
                kind.skipped,
                kind.failed,
                kind.created,
                kind.updated,
                kind.unchanged,
                kind.deleted,
                kind.opsgenie_calls,
                kind.port_calls,
                kind.elapsed.as_secs_f64()
            );
        }
        match &self.deletion {
            DeletionOutcome::Skipped(why) => {
                let _ = writeln!(out, "deletion: skipped ({why})");
            }
            DeletionOutcome::Done {
                candidates,
                stale,
                protected,
                deleted,
                failed,
            } => {
                let _ = writeln!(
                    out,
                    "deletion: {deleted} deleted of {stale} stale ({candidates} candidates, \
                     {protected} protected as relation targets, {failed} failed)"
                );
            }
        }
        out.push_str(&self.traffic.render());
        let (opsgenie, port) = self.api_calls();
        let _ = writeln!(
            out,
            "resync {} in {:.1}s ({opsgenie} Opsgenie and {port} Port requests, {})",
            self.status.as_str(),
            self.elapsed.as_secs_f64(),
            count_of(self.errors.len(), "error")
        );
        out
    }
}

/// "1 error", "3 errors".
pub fn count_of(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Watches a resync or plan as it runs (progress bars); every method has a no-op default.
pub trait Progress: Send + Sync {
    /// A resource starts.
    fn started(&self, _kind: &'static str, _index: usize) {}
    /// A page of the resource was fetched, mapped and written (or classified).
    fn advanced(&self, _summary: &KindSummary) {}
    /// The resource ended (`summary.error` says whether it failed).
    fn finished(&self, _summary: &KindSummary) {}
}

/// Watches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
