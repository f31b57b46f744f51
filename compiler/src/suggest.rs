//! "Did you mean …?" suggestions for misspelt names.

/// The candidate closest to `name`, if any is close enough to be a plausible typo.
///
/// Preference order: a case-insensitive match, then a match ignoring `_`/`-` and case
/// (`is_seen` vs `isSeen`), then the smallest Levenshtein distance within about a third
/// of the name's length (as rustc does). Ties keep the earlier candidate.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().filter(|c| *c != name).collect();
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(c);
    }
    let folded = fold(name);
    if let Some(c) = candidates.iter().find(|c| fold(c) == folded) {
        return Some(c);
    }
    let name_len = name.chars().count();
    let limit = (name_len.max(3) / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for &c in &candidates {
        let d = levenshtein(&name.to_lowercase(), &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Formats an optional suggestion as a help line: "did you mean `x`?".
pub fn help_did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edit distance in chars (insert, delete, substitute, and adjacent transposition).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows i-2, i-1 and i of the Damerau (optimal string alignment) table.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(before[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let fields = ["message", "status", "createdAt", "isSeen", "priority"];
        assert_eq!(did_you_mean("mesage", fields), Some("message"));
        assert_eq!(did_you_mean("Status", fields), Some("status"));
        assert_eq!(did_you_mean("is_seen", fields), Some("isSeen"));
        assert_eq!(did_you_mean("created_at", fields), Some("createdAt"));
        assert_eq!(did_you_mean("prioirty", fields), Some("priority"));
        assert_eq!(did_you_mean("zzz", fields), None);
        assert_eq!(
            did_you_mean("message", fields),
            None,
            "exact names need no help"
        );
        assert_eq!(did_you_mean("x", std::iter::empty()), None);
    }

    #[test]
    fn distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("ab", "ba"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("ü", "u"), 1);
    }
}
