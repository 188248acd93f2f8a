//! The JSON of a summary: the shared part encoded once per update, each member's own
//! fields appended to it.

use super::Personal;
use crate::{
    chat::ThreadView,
    error::Result,
    eventlog::Kind,
    realtime::delivery::{Delivery, Item},
};

/// A `thread.updated` that summarizes events delivered under their own positions: it
/// carries no `id:` of its own.
pub(in crate::realtime) fn summary(view: &ThreadView) -> Result<Item> {
    let json = serde_json::to_string(view).map_err(|e| anyhow::anyhow!(e))?;
    Ok(Delivery::new(None, Kind::ThreadUpdated, Some(view.id), &json).shared())
}

/// The view's JSON object without the fields in [`Personal`] and without its closing
/// brace.
pub(super) fn common_json(shared: &ThreadView) -> Result<String> {
    let mut value = serde_json::to_value(shared).map_err(|e| anyhow::anyhow!(e))?;
    if let Some(fields) = value.as_object_mut() {
        for own in ["name", "unreadCount", "archived", "role", "peerId"] {
            fields.remove(own);
        }
    }
    let mut json = value.to_string();
    json.pop();
    Ok(json)
}

/// The end of one member's view, after [`common_json`]: their own fields and the
/// closing brace.
pub(super) fn personal_json(p: &Personal) -> Result<String> {
    let mut own = serde_json::to_string(p).map_err(|e| anyhow::anyhow!(e))?;
    // The common part always holds the id, so a comma joins the two field lists.
    own.replace_range(..1, ",");
    Ok(own)
}
