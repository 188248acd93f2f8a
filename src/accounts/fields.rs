//! Validated account fields. Parse at the edge; the rest of the code trusts these types.

use crate::error::AppError;

/// 3–32 characters of letters, digits, `_`, `.` or `-`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(3..=32).contains(&len) {
            return Err(AppError::validation("username must be 3 to 32 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        {
            return Err(AppError::validation(
                "username may use letters, digits, '_', '.' and '-', and must start with a letter or digit",
            ));
        }
        Ok(Self(name.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 8–256 characters; never trimmed, never logged.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let len = raw.chars().count();
        if len < 8 {
            return Err(AppError::validation(
                "password must be at least 8 characters",
            ));
        }
        if len > 256 {
            return Err(AppError::validation(
                "password must be at most 256 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// 1–64 characters after trimming, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(AppError::validation("name must not be empty"));
        }
        if name.chars().count() > 64 {
            return Err(AppError::validation("name must be at most 64 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::validation(
                "name must not contain control characters",
            ));
        }
        if name.chars().any(is_invisible_format) {
            return Err(AppError::validation(
                "name must not contain direction overrides or invisible characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Characters that change how the text around them is shown without being seen
/// themselves: bidirectional overrides, embeddings and isolates, direction marks,
/// zero-width characters, the word joiner family and the byte order mark. In a name they
/// serve only impersonation ("Ana" + U+200B looks like "Ana"; U+202E reverses the rest).
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// A plausible e-mail address (something@domain), at most 254 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let email = raw.trim();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err(AppError::validation("email address is not valid"));
        }
        Ok(Self(email.to_owned()))
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A short label such as an API token's name: 1–64 characters after trimming.
pub fn label(raw: &str, what: &str) -> Result<String, AppError> {
    let label = raw.trim();
    if label.is_empty() || label.chars().count() > 64 || label.chars().any(char::is_control) {
        return Err(AppError::validation(format!(
            "{what} must be 1 to 64 characters"
        )));
    }
    Ok(label.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked() {
        for ok in ["ana", "Ana_B", "a.b-c", "x12"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "-ana",
            "ana b",
            "ana<script>",
            &"a".repeat(33),
            "ánä",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_and_names_are_checked() {
        assert!(Email::parse("ana@example.com").is_ok());
        for bad in ["ana", "@x.com", "ana@x", "ana@.com", "a b@x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse("Ana\u{7}").is_err());
        for impostor in [
            "Ana\u{200B}",
            "\u{202E}anA",
            "A\u{2066}na\u{2069}",
            "Ana\u{200F}",
            "\u{FEFF}Ana",
            "An\u{2060}a",
            "Ana\u{E0041}",
        ] {
            assert!(DisplayName::parse(impostor).is_err(), "{impostor:?}");
        }
        assert!(
            DisplayName::parse("Zoë 김 المدير").is_ok(),
            "letters of any script"
        );
        assert_eq!(DisplayName::parse(" Ana ").unwrap().into_inner(), "Ana");
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"p".repeat(257)).is_err());
    }
}
