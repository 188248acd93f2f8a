//! A place in the log.

/// A place in the log: the writing transaction's id and the row id. Shown to clients as
/// the opaque string `"{xid}-{id}"`; [`Position::START`] is before everything. Positions
/// order by transaction first (see the module docs of [`crate::eventlog`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub xid: u64,
    pub id: i64,
}

impl Position {
    pub const START: Self = Self { xid: 0, id: 0 };

    /// Parses a client's `Last-Event-ID`; `None` for anything malformed.
    pub fn parse(raw: &str) -> Option<Self> {
        let (xid, id) = raw.trim().split_once('-')?;
        Some(Self {
            xid: xid.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.xid, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::Position;

    #[test]
    fn positions_round_trip_and_order_by_transaction_first() {
        let p = Position { xid: 900, id: 12 };
        assert_eq!(Position::parse(&p.to_string()), Some(p));
        assert!(Position { xid: 901, id: 1 } > p);
        for bad in ["", "12", "a-b", "-1-2", "1-", "1-2-3"] {
            assert_eq!(Position::parse(bad), None, "{bad:?}");
        }
    }
}
