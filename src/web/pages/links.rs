//! `/invite/{secret}` and `/reset/{secret}`: the pages behind an admin's one-time links.
//! An invite registers one account (even with registration closed) and logs it in; a reset
//! link sets a new password and sends the user to log in. Plain forms, no JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{PageCtx, auth::form_error};
use crate::{
    accounts::{
        NewAccount,
        fields::Password,
        links::{self, Purpose},
    },
    auth, chat,
    error::Result,
    web::{
        AppState,
        extract::{Form, Path},
    },
};

#[derive(Template, WebTemplate)]
#[template(path = "pages/invite.html")]
pub struct InvitePage {
    ctx: PageCtx,
    action: String,
    error: Option<String>,
    username: String,
    name: String,
}

pub async fn invite_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(secret): Path<String>,
) -> Result<InvitePage> {
    links::check(&state.db, &secret, Purpose::Invite).await?;
    Ok(InvitePage {
        ctx,
        action: format!("/invite/{secret}"),
        error: None,
        username: String::new(),
        name: String::new(),
    })
}

#[derive(Deserialize)]
pub struct InviteForm {
    username: String,
    password: String,
    #[serde(default)]
    name: String,
}

pub async fn accept_invite(
    State(state): State<AppState>,
    session: Session,
    ctx: PageCtx,
    Path(secret): Path<String>,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    let attempt = async {
        let new = NewAccount::parse(&form.username, &form.password, Some(&form.name), None)?;
        chat::threads::sign_up_invited(&state.db, &secret, new).await
    };
    match attempt.await {
        Ok(user) => {
            auth::start_session(&session, user.id).await?;
            Ok(Redirect::to("/chats").into_response())
        }
        Err(err) => {
            let page = InvitePage {
                ctx,
                action: format!("/invite/{secret}"),
                error: Some(err.to_string()),
                username: form.username,
                name: form.name,
            };
            form_error(err, page)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/reset_password.html")]
pub struct ResetPage {
    ctx: PageCtx,
    action: String,
    error: Option<String>,
}

pub async fn reset_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(secret): Path<String>,
) -> Result<ResetPage> {
    links::check(&state.db, &secret, Purpose::PasswordReset).await?;
    Ok(ResetPage {
        ctx,
        action: format!("/reset/{secret}"),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
}

pub async fn reset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(secret): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response> {
    let attempt = async {
        let new = Password::parse(&form.password)?;
        links::reset_password(&state.db, &state.tokens, &secret, new).await
    };
    match attempt.await {
        Ok(_) => Ok(Redirect::to("/login").into_response()),
        Err(err) => {
            let page = ResetPage {
                ctx,
                action: format!("/reset/{secret}"),
                error: Some(err.to_string()),
            };
            form_error(err, page)
        }
    }
}
