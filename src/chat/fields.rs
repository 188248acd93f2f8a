//! Validated chat input: message content, names, emoji, client ids.

use crate::error::AppError;

/// Largest message, in characters after trimming.
pub const MAX_CONTENT_CHARS: usize = 10_000;

/// Message text: 1–10,000 characters after trimming; CRLF folded to LF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let text = raw.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::validation("message must not be empty"));
        }
        if text.chars().count() > MAX_CONTENT_CHARS {
            return Err(AppError::PayloadTooLarge(format!(
                "message must be at most {MAX_CONTENT_CHARS} characters"
            )));
        }
        if text.contains('\0') {
            return Err(AppError::validation(
                "message must not contain NUL characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }
    /// Like [`MessageContent::parse`], but a message carrying files may have no text.
    pub fn parse_with_files(raw: &str, has_files: bool) -> Result<Self, AppError> {
        if has_files && raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        Self::parse(raw)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A group's name: 1–80 characters after trimming, no control characters.
pub fn thread_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::validation("group name must not be empty"));
    }
    if name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(AppError::validation(
            "group name must be at most 80 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// A reaction: exactly one emoji of the Unicode emoji list (any skin tone, flags, ZWJ
/// sequences), stored in its fully-qualified form so `❤` and `❤️` count as one reaction.
/// Text, several emoji, or an emoji with anything around it are refused.
pub fn emoji(raw: &str) -> Result<String, AppError> {
    let raw = raw.trim();
    // An emoji without its variation selector (`❤`) is looked up with it, too.
    let found = emojis::get(raw).or_else(|| {
        (raw.chars().count() == 1 && !raw.is_ascii())
            .then(|| emojis::get(&format!("{raw}\u{fe0f}")))
            .flatten()
    });
    match found {
        Some(emoji) => Ok(emoji.as_str().to_owned()),
        None => Err(AppError::validation("emoji must be a single emoji")),
    }
}

/// A client-chosen idempotency key: 1–64 characters of letters, digits, `-_.:`.
pub fn client_id(raw: &str) -> Result<String, AppError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if !ok {
        return Err(AppError::validation(
            "clientId must be 1 to 64 letters, digits, '-', '_', '.' or ':'",
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_bounded() {
        assert_eq!(
            MessageContent::parse("  hi\r\nthere ").unwrap().as_str(),
            "hi\nthere"
        );
        assert!(matches!(
            MessageContent::parse(" \n "),
            Err(AppError::Validation(_))
        ));
        assert!(MessageContent::parse(&"x".repeat(MAX_CONTENT_CHARS)).is_ok());
        assert!(matches!(
            MessageContent::parse(&"x".repeat(MAX_CONTENT_CHARS + 1)),
            Err(AppError::PayloadTooLarge(_))
        ));
    }

    #[test]
    fn small_fields_are_checked() {
        assert!(emoji("👍").is_ok());
        assert!(emoji("a b").is_err());
        assert!(emoji(&"x".repeat(33)).is_err());
        assert!(client_id("c-1:2").is_ok());
        assert!(client_id("").is_err());
        assert!(client_id("a b").is_err());
        assert!(thread_name(" Team ").unwrap() == "Team");
        assert!(thread_name("").is_err());
    }

    #[test]
    fn a_reaction_is_one_emoji() {
        for ok in ["👍", "❤️", "😂", "👍🏽", "🇫🇷", "👩‍💻", "🏳️‍🌈", "1️⃣", " 🎉 "]
        {
            assert!(emoji(ok).is_ok(), "{ok:?} is an emoji");
        }
        assert_eq!(emoji("❤").unwrap(), "❤️", "stored fully qualified");
        assert_eq!(emoji("❤️").unwrap(), "❤️");
        for bad in [
            "", "x", "ok", "1", "#", "👍👍", "👍 ok", "<b>", "🇫", "\u{200d}", "\u{fe0f}",
        ] {
            assert!(emoji(bad).is_err(), "{bad:?} is not one emoji");
        }
    }

    #[test]
    fn every_emoji_the_picker_offers_is_accepted() {
        let list: Vec<(String, String)> =
            serde_json::from_str(include_str!("../../assets/emoji.json")).expect("emoji.json");
        assert!(list.len() > 1500, "the picker offers {} emoji", list.len());
        for (e, _) in &list {
            assert_eq!(
                emoji(e).ok().as_deref(),
                Some(e.as_str()),
                "the picker offers {e:?}"
            );
        }
    }
}
