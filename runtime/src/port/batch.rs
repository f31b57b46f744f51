//! Splitting entities into bulk requests that respect Port's count and body-size limits.

use std::ops::Range;

/// Bytes of `{"entities":[` + `]}` around the entities.
pub const BULK_ENVELOPE_BYTES: usize = r#"{"entities":[]}"#.len();

/// Consecutive ranges of `sizes` (serialized entity sizes) such that each range has at most
/// `max_length` entities and its bulk body (envelope, entities, commas) at most `max_bytes`.
/// An entity too large on its own gets a range of its own (Port will refuse it, per entity).
pub fn plan_batches(sizes: &[usize], max_length: usize, max_bytes: usize) -> Vec<Range<usize>> {
    let max_length = max_length.max(1);
    let mut batches = Vec::new();
    let mut start = 0;
    let mut body = BULK_ENVELOPE_BYTES;
    for (index, &size) in sizes.iter().enumerate() {
        let count = index - start;
        let added = size + usize::from(count > 0);
        if count > 0 && (count == max_length || body + added > max_bytes) {
            batches.push(start..index);
            start = index;
            body = BULK_ENVELOPE_BYTES + size;
        } else {
            body += added;
        }
    }
    if start < sizes.len() {
        batches.push(start..sizes.len());
    }
    batches
}

/// The bulk body for already serialized entities.
pub(super) fn bulk_body<'a>(entities: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut body = Vec::from(&b"{\"entities\":["[..]);
    for (index, entity) in entities.enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(entity);
    }
    body.extend_from_slice(b"]}");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_len(sizes: &[usize]) -> usize {
        BULK_ENVELOPE_BYTES + sizes.iter().sum::<usize>() + sizes.len().saturating_sub(1)
    }

    #[test]
    fn count_limit() {
        assert_eq!(plan_batches(&[1; 45], 20, 1 << 20), [0..20, 20..40, 40..45]);
        assert!(plan_batches(&[], 20, 100).is_empty());
    }

    #[test]
    fn byte_limit_is_exact() {
        // Two 40-byte entities: 15 + 40 + 1 + 40 = 96 bytes.
        assert_eq!(plan_batches(&[40, 40], 20, 96), vec![0..2; 1]);
        assert_eq!(plan_batches(&[40, 40], 20, 95), [0..1, 1..2]);
    }

    #[test]
    fn oversized_entity_goes_alone() {
        assert_eq!(
            plan_batches(&[10, 500, 10, 10], 20, 100),
            [0..1, 1..2, 2..4]
        );
    }

    #[test]
    fn every_batch_fits_and_nothing_is_lost() {
        let sizes: Vec<usize> = (0..500).map(|i| (i * 7919) % 3000 + 1).collect();
        let batches = plan_batches(&sizes, 20, 20_000);
        let mut next = 0;
        for batch in &batches {
            assert_eq!(batch.start, next);
            next = batch.end;
            assert!(batch.len() <= 20);
            assert!(body_len(&sizes[batch.clone()]) <= 20_000);
        }
        assert_eq!(next, sizes.len());
    }

    #[test]
    fn body_matches_planned_size() {
        let entities: [&[u8]; 3] = [b"{\"a\":1}", b"{}", b"{\"b\":[1,2]}"];
        let body = bulk_body(entities.iter().copied());
        assert_eq!(body, br#"{"entities":[{"a":1},{},{"b":[1,2]}]}"#);
        assert_eq!(body.len(), body_len(&entities.map(<[u8]>::len)));
    }
}
