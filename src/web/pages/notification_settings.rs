//! `POST /settings/notifications`: the viewer's notification settings (the section on the
//! settings page). A plain form post: the page comes back with the new settings, which the
//! pages hand to `assets/notify.js`.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::{
    accounts::notifications::{self, NotificationSettings},
    auth::CurrentUser,
    error::Result,
    web::{AppState, extract::Form},
};

/// Checkboxes: present when ticked.
#[derive(Deserialize)]
pub struct NotificationsForm {
    desktop: Option<String>,
    sound: Option<String>,
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<NotificationsForm>,
) -> Result<Response> {
    let settings = NotificationSettings {
        desktop: form.desktop.is_some(),
        sound: form.sound.is_some(),
    };
    notifications::set(&state.db, user.id(), settings).await?;
    Ok(Redirect::to("/settings#settings-notifications").into_response())
}
