//! Secrets that never print, and a masker that scrubs known secret values from text.
//!
//! Tokens travel inside [`Secret`] so that a stray `{:?}` or `{}` cannot leak them; the only way
//! to read the value is [`Secret::expose`], which makes every use site greppable. Log lines and
//! error texts that may have picked up a secret some other way (a server echoing a header, a URL
//! with a key in it) go through a [`Masker`] before they are shown.

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

    /// `text` with every secret value replaced by `[REDACTED]`.
    pub fn mask(&self, text: &str) -> String {
        let mut masked = text.to_owned();
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
    fn global_mask_uses_registered_secrets() {
        register(&Secret::new("globally-registered-token-123"));
        assert_eq!(
            mask("Authorization: GenieKey globally-registered-token-123"),
            "Authorization: GenieKey [REDACTED]"
        );
    }
}
