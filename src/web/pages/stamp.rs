//! A moment as pages show it: `<time datetime>` with an RFC 3339 value for the browser to
//! show in the reader's own zone (`assets/reading.js`), and a UTC text with its zone for
//! pages read without JavaScript.

use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

pub struct Stamp {
    /// RFC 3339, UTC (`2026-12-04T14:05:09Z`).
    pub iso: String,
    /// `2026-12-04 14:05 UTC`.
    pub text: String,
}

impl Stamp {
    pub fn new(at: OffsetDateTime) -> Self {
        let at = at.to_offset(UtcOffset::UTC);
        Self {
            iso: at.format(&Rfc3339).unwrap_or_default(),
            text: format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute()),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::Stamp;

    #[test]
    fn a_stamp_is_in_utc_with_its_zone() {
        let stamp = Stamp::new(datetime!(2026-12-04 15:05:09.5 +01:00));
        assert_eq!(stamp.iso, "2026-12-04T14:05:09.5Z");
        assert_eq!(stamp.text, "2026-12-04 14:05 UTC");
    }
}
