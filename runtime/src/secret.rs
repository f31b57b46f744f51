//! Secrets that never print, and a masker that scrubs known secret values from text.
//!
//! Tokens travel inside [`Secret`] so that a stray `{:?}` or `{}` cannot leak them; the only way
//! to read the value is [`Secret::expose`], which makes every use site greppable. Log lines and
//! error texts that may have picked up a secret some other way (a server echoing a header, a URL
//! with a key in it) go through a [`Masker`] before they are shown. A masker also hides the
//! user-info of every URL in the text (`https://user:password@host` → `https://[REDACTED]@host`),
//! registered or not: `OCEAN__PORT__BASE_URL` may carry credentials that way.

use std::fmt;
use std::sync::{OnceLock, RwLock};

/// What a secret prints as.
pub const REDACTED: &str = "[REDACTED]";

/// A string whose `Debug` and `Display` print `[REDACTED]`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value; call only where it is sent to the service that owns it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every registered secret value in a text with `[REDACTED]`.
#[derive(Clone, Default)]
pub struct Masker {
    // Longest first, so a secret that contains another is replaced whole.
    values: Vec<String>,
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Masker({} secrets)", self.values.len())
    }
}

impl Masker {
    pub fn new() -> Self {
        Masker::default()
    }

    /// A masker for the given secrets.
    pub fn with<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut masker = Masker::new();
        for secret in secrets {
            masker.add(secret);
        }
        masker
    }

    /// Registers a secret. Empty values are ignored (they would match everywhere).
    pub fn add(&mut self, secret: &Secret) {
        self.add_value(secret.expose());
    }

    fn add_value(&mut self, value: &str) {
        if value.is_empty() || self.values.iter().any(|known| known == value) {
            return;
        }
        self.values.push(value.to_owned());
        self.values
            .sort_by_key(|value| std::cmp::Reverse(value.len()));
    }

    /// `text` with every secret value, and the user-info of every URL, replaced by
    /// `[REDACTED]`.
    pub fn mask(&self, text: &str) -> String {
        let mut masked = mask_url_userinfo(text);
        for value in &self.values {
            if masked.contains(value.as_str()) {
                masked = masked.replace(value.as_str(), REDACTED);
            }
        }
        masked
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// `text` with the user-info of every `scheme://user:password@host` replaced by `[REDACTED]`.
/// The authority runs from `://` to the first `/`, `?`, `#`, whitespace, quote or bracket; its
/// part before the last `@` is the user-info.
pub fn mask_url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '\\' | '`')
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(user_end) if user_end > 0 && !authority[..user_end].starts_with(REDACTED) => {
                out.push_str(REDACTED);
                out.push_str(&authority[user_end..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn global_masker() -> &'static RwLock<Masker> {
    static GLOBAL: OnceLock<RwLock<Masker>> = OnceLock::new();
    GLOBAL.get_or_init(|| RwLock::new(Masker::new()))
}

/// Registers a secret with the process-wide masker used by [`mask`]. Clients register their
/// credentials when they are built, so every error they produce is scrubbed.
pub fn register(secret: &Secret) {
    if secret.is_empty() {
        return;
    }
    // A poisoned lock only means another thread panicked mid-insert; the list is still usable.
    let mut masker = global_masker()
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    masker.add(secret);
}

/// `text` with every secret registered through [`register`] replaced by `[REDACTED]`.
pub fn mask(text: &str) -> String {
    let masker = global_masker()
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    masker.mask(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_formats_its_value() {
        let secret = Secret::new("s3cr3t-value");
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert!(!format!("{:?}", Some(secret.clone())).contains("s3cr3t"));
        assert_eq!(secret.expose(), "s3cr3t-value");
    }

    #[test]
    fn masker_replaces_every_occurrence_and_longest_first() {
        let short = Secret::new("abc");
        let long = Secret::new("abcdef");
        let masker = Masker::with([&short, &long]);
        assert_eq!(
            masker.mask("key=abcdef and abc, again abcdef"),
            "key=[REDACTED] and [REDACTED], again [REDACTED]"
        );
    }

    #[test]
    fn masker_ignores_empty_secrets() {
        let masker = Masker::with([&Secret::new("")]);
        assert!(masker.is_empty());
        assert_eq!(masker.mask("nothing to hide"), "nothing to hide");
    }

    #[test]
    fn url_userinfo_is_masked_without_registration() {
        let masker = Masker::new();
        assert_eq!(
            masker.mask("PATCH https://user:s3cret@port.example.com/v1/x?a=b failed"),
            "PATCH https://[REDACTED]@port.example.com/v1/x?a=b failed"
        );
        assert_eq!(
            mask(r#"{"url":"http://only-user@127.0.0.1:8080","n":1}"#),
            r#"{"url":"http://[REDACTED]@127.0.0.1:8080","n":1}"#
        );
        // An `@` after the authority (a path, a query) is not user-info; plain text is kept.
        let kept = "https://api.getport.io/v1/users/a@b.c?x=y@z and mail me@example.com";
        assert_eq!(mask_url_userinfo(kept), kept);
        assert_eq!(
            mask_url_userinfo("a=https://u:p@h1/ b=http://v:q@h2"),
            "a=https://[REDACTED]@h1/ b=http://[REDACTED]@h2"
        );
        // Masking twice changes nothing more; a password with `@` is hidden whole.
        let once = mask_url_userinfo("https://u:p@ss@host/v1");
        assert_eq!(once, "https://[REDACTED]@host/v1");
        assert_eq!(mask_url_userinfo(&once), once);
    }

    #[test]
    fn global_mask_uses_registered_secrets() {
        register(&Secret::new("globally-registered-token-123"));
        assert_eq!(
            mask("Authorization: GenieKey globally-registered-token-123"),
            "Authorization: GenieKey [REDACTED]"
        );
    }
}
