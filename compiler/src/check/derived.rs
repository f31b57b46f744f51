//! What a run derives from a checked resource besides its jq: the decoding projection (only the
//! fields its leaves read are built) and the enrichments to fetch (`__team` only when read).
//! Both back ends use these, so a mapping edited in Port decodes and fetches what it reads.

use super::ResourcePlan;
use crate::jq::infer::ReadTree;
use opsgenie_port_jq::Projection;

/// Every enrichment field the runtime knows; all are fetched when a mapping reads the whole item.
pub const ALL_ENRICHMENTS: &[&str] = &[
    "__team",
    "__incidents",
    "__oncalls",
    "__impactedServices",
    "__relatedIncident",
    "__members",
    "__currentOncalls",
];

impl ReadTree {
    /// The decoding projection that keeps exactly what this tree reads.
    pub fn projection(&self) -> Projection {
        if self.all {
            return Projection::ALL;
        }
        Projection::some(
            self.fields
                .iter()
                .map(|(name, sub)| (name.as_str(), sub.projection()))
                .collect(),
            self.elements.as_ref().map(|e| e.projection()),
        )
    }
}

impl ResourcePlan {
    /// The enrichment fields some leaf of this resource reads (all of them when a leaf reads
    /// the whole item).
    pub fn enrichments(&self) -> Vec<&'static str> {
        match self.reads.top_fields() {
            None => ALL_ENRICHMENTS.to_vec(),
            Some(top) => ALL_ENRICHMENTS
                .iter()
                .copied()
                .filter(|e| top.contains(e))
                .collect(),
        }
    }
}
