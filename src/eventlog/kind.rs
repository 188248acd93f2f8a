//! Every kind of event, named once: the variant and its wire name (the SSE `event:` name
//! and the log's `kind` column) stand on one line of the table below.

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal, $stored:ident;)*) => {
        /// What happened.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($(#[$doc])* $variant,)*
        }

        impl Kind {
            /// Every kind, in table order.
            pub const ALL: &[Kind] = &[$(Kind::$variant),*];

            /// The wire name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// Where the kind lives.
            pub const fn life(self) -> Life {
                match self {
                    $(Self::$variant => Life::$stored,)*
                }
            }
        }
    };
}

/// Where events of a kind live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    /// Written to the log and delivered to clients under this name.
    Logged,
    /// Written to the log to steer delivery; never reaches a client under this name.
    Internal,
    /// Never stored: sent to whoever is connected, with no position (never replayed).
    Ephemeral,
}

kinds! {
    MessageCreated = "message.created", Logged;
    MessageUpdated = "message.updated", Logged;
    MessageDeleted = "message.deleted", Logged;
    ThreadUpdated = "thread.updated", Logged;
    ThreadRemoved = "thread.removed", Logged;
    Read = "read", Logged;
    Delivered = "delivered", Logged;
    /// The user's count of unread mentions changed: `{unread}`.
    MentionsUpdated = "mentions.updated", Logged;
    /// A thread's name or members changed: each member gets `thread.updated` as they see it.
    ThreadChanged = "thread.changed", Internal;
    /// Members joined a thread without telling everyone (a new user in an open room).
    MembersChanged = "members.changed", Internal;
    /// Credentials of a user ended (logout, password change, deactivation, token revoked).
    AuthRevoked = "auth.revoked", Internal;
    /// A user's account changed (name, role): what was cached about them is stale.
    UserChanged = "user.changed", Internal;
    Typing = "typing", Ephemeral;
    Presence = "presence", Ephemeral;
    /// The client's position is unknown or too old: reload state, then carry on.
    Reset = "reset", Ephemeral;
    /// The keep-alive comment line.
    Heartbeat = "heartbeat", Ephemeral;
}

impl Kind {
    /// The kind with this wire name; `None` for one this build does not know.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == raw)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, Life};

    #[test]
    fn every_kind_round_trips_through_its_wire_name() {
        for &kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("no.such.kind"), None);
    }

    #[test]
    fn wire_names_are_unique() {
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        assert_eq!(Kind::AuthRevoked.life(), Life::Internal);
    }
}
