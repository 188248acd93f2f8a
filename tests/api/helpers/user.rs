//! `TestUser`: one logged-in user with their own cookie jar, and a method for each thing
//! a user does (conversations, messages, reactions, reads, blocks, streams, pages).

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use super::{Sse, csrf_from, ok_json};

/// How a form is posted: as a browser without JavaScript, or as htmx.
#[derive(Clone, Copy, Debug)]
pub enum Post {
    Form,
    Htmx,
}

/// A logged-in user of a test server (clones share the session).
#[derive(Clone)]
pub struct TestUser {
    client: Client,
    /// The server's base URL.
    pub address: String,
    pub id: String,
    pub username: String,
    /// The user as the API returned it at registration or login.
    pub json: Value,
}

/// The `id` of a thread or message given as its JSON.
fn id_of(item: &Value) -> &Value {
    &item["id"]
}

impl TestUser {
    pub fn new(client: Client, address: &str, json: Value) -> TestUser {
        TestUser {
            client,
            address: address.to_owned(),
            id: json["id"].as_str().expect("a user id").to_owned(),
            username: json["username"].as_str().expect("a username").to_owned(),
            json,
        }
    }

    /// The user's HTTP client (session cookie included), for hand-built requests.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    // Plain JSON requests.

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GETs `path` and returns its JSON, which must be a success.
    pub async fn get_json(&self, path: &str) -> Value {
        ok_json(self.get(path).await).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.json_request(reqwest::Method::POST, path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> Response {
        self.json_request(reqwest::Method::PATCH, path, body).await
    }

    pub async fn delete_json(&self, path: &str, body: Value) -> Response {
        self.json_request(reqwest::Method::DELETE, path, body).await
    }

    async fn json_request(&self, method: reqwest::Method, path: &str, body: Value) -> Response {
        let request = self.client.request(method, self.url(path)).json(&body);
        request.send().await.unwrap()
    }

    pub async fn me(&self) -> Response {
        self.get("/api/me").await
    }

    pub async fn logout(&self) -> Response {
        self.client
            .post(self.url("/api/auth/logout"))
            .send()
            .await
            .unwrap()
    }

    // Conversations.

    /// Posts one `/api/threads` action (create, rename, add, remove, leave, archive…).
    pub async fn thread_action(&self, body: Value) -> Response {
        self.post_json("/api/threads", body).await
    }

    /// Starts (or finds) the DM with `other`.
    pub async fn dm(&self, other: &TestUser) -> Value {
        ok_json(
            self.thread_action(json!({"action": "create", "participantIds": [other.id]}))
                .await,
        )
        .await
    }

    /// Creates a group named `name` of this user and `members`.
    pub async fn group(&self, name: &str, members: &[&TestUser]) -> Value {
        let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
        ok_json(
            self.thread_action(json!({"action": "create", "name": name, "participantIds": ids}))
                .await,
        )
        .await
    }

    /// The conversations in this user's list.
    pub async fn threads(&self) -> Vec<Value> {
        self.get_json("/api/threads")
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// One conversation as this user sees it (any status).
    pub async fn thread(&self, thread: &Value) -> Response {
        self.get(&format!("/api/threads/{}", id_str(thread))).await
    }

    /// This user's entry for `thread` in their list.
    pub async fn listed(&self, thread: &Value) -> Option<Value> {
        self.threads()
            .await
            .into_iter()
            .find(|t| t["id"] == *id_of(thread))
    }

    // Messages.

    /// Sends `text` to `thread` and returns the message.
    pub async fn send(&self, thread: &Value, text: &str) -> Value {
        ok_json(
            self.send_with(json!({"threadId": id_of(thread), "content": text}))
                .await,
        )
        .await
    }

    /// Sends `text` with a `clientId` and returns the message.
    pub async fn send_as(&self, thread: &Value, text: &str, client_id: &str) -> Value {
        ok_json(
            self.send_with(
                json!({"threadId": id_of(thread), "content": text, "clientId": client_id}),
            )
            .await,
        )
        .await
    }

    /// Posts a message body as given (any fields, any status).
    pub async fn send_with(&self, body: Value) -> Response {
        self.post_json("/api/messages", body).await
    }

    pub async fn edit(&self, message: &Value, text: &str) -> Response {
        self.patch_json(
            "/api/messages",
            json!({"messageId": id_of(message), "content": text}),
        )
        .await
    }

    pub async fn delete(&self, message: &Value) -> Response {
        self.delete_json("/api/messages", json!({"messageId": id_of(message)}))
            .await
    }

    /// The newest page of `thread`'s messages.
    pub async fn messages(&self, thread: &Value) -> Value {
        self.get_json(&format!("/api/messages?threadId={}", id_str(thread)))
            .await
    }

    /// The page of `thread`'s messages before the cursor `before`.
    pub async fn messages_before(&self, thread: &Value, before: &str) -> Value {
        self.get_json(&format!(
            "/api/messages?threadId={}&before={before}",
            id_str(thread)
        ))
        .await
    }

    /// This user's mentions (`GET /api/mentions`): `{mentions, unread, nextCursor}`.
    pub async fn mentions(&self) -> Value {
        self.get_json("/api/mentions").await
    }

    // Reactions and reads.

    pub async fn react(&self, message: &Value, emoji: &str) -> Response {
        self.post_json(
            "/api/reactions",
            json!({"messageId": id_of(message), "emoji": emoji}),
        )
        .await
    }

    pub async fn unreact(&self, message: &Value, emoji: &str) -> Response {
        self.delete_json(
            "/api/reactions",
            json!({"messageId": id_of(message), "emoji": emoji}),
        )
        .await
    }

    /// Marks all of `thread` read; returns the answer (with `unreadCount`).
    pub async fn mark_read(&self, thread: &Value) -> Value {
        ok_json(
            self.post_json("/api/messages/read", json!({"threadId": id_of(thread)}))
                .await,
        )
        .await
    }

    /// Marks `thread` read up to `message`; returns the answer (with `unreadCount`).
    pub async fn mark_read_up_to(&self, thread: &Value, message: &Value) -> Value {
        ok_json(
            self.post_json(
                "/api/messages/read",
                json!({"threadId": id_of(thread), "messageId": id_of(message)}),
            )
            .await,
        )
        .await
    }

    pub async fn typing(&self, thread: &Value) -> Response {
        self.post_json("/api/typing", json!({"threadId": id_of(thread)}))
            .await
    }

    // Blocks and tokens.

    pub async fn block(&self, other: &TestUser) -> Response {
        self.post_json("/api/blocks", json!({"userId": other.id}))
            .await
    }

    pub async fn unblock(&self, other: &TestUser) -> Response {
        self.delete_json("/api/blocks", json!({"userId": other.id}))
            .await
    }

    /// Creates an API token named `name`; returns it (with the secret `token`).
    pub async fn create_token(&self, name: &str) -> Value {
        let response = self.post_json("/api/tokens", json!({"name": name})).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Revokes the API token `token` (as `create_token` returned it).
    pub async fn revoke_token(&self, token: &Value) -> Response {
        self.client
            .delete(self.url(&format!("/api/tokens/{}", id_str(token))))
            .send()
            .await
            .unwrap()
    }

    /// As an admin: changes the role or status of the user with id `user_id`.
    pub async fn admin_patch(&self, user_id: &str, body: Value) -> Response {
        self.patch_json(&format!("/api/admin/users/{user_id}"), body)
            .await
    }

    // Live streams.

    /// Opens this user's JSON event stream.
    pub async fn stream(&self) -> Sse {
        Sse::start(self.client.get(self.url("/api/chat/sse"))).await
    }

    /// Opens this user's JSON event stream resuming after `last_id` (`Last-Event-ID`).
    pub async fn stream_after(&self, last_id: &str) -> Sse {
        Sse::start(
            self.client
                .get(self.url("/api/chat/sse"))
                .header("Last-Event-ID", last_id),
        )
        .await
    }

    /// Opens the event stream at `path` (a page's `/events`, or a query-string resume).
    pub async fn stream_at(&self, path: &str) -> Sse {
        Sse::start(self.client.get(self.url(path))).await
    }

    // Pages.

    pub async fn get_page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// GETs `path` the way htmx does (with `HX-Request`).
    pub async fn get_htmx(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("HX-Request", "true")
            .send()
            .await
            .unwrap()
    }

    /// The CSRF token from a page's forms.
    pub async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get_page(path).await;
        csrf_from(&html).unwrap_or_else(|| panic!("no csrf token on {path}"))
    }

    /// Posts a form the way a browser without JavaScript does.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Changes the password on the settings page (as htmx), from `current` to `new`.
    pub async fn change_password(&self, current: &str, new: &str) -> Response {
        let csrf = self.csrf("/settings").await;
        self.post_htmx(
            "/settings/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", current),
                ("new_password", new),
            ],
        )
        .await
    }

    /// Presses a form's only button (the form carries just its CSRF token) and checks the
    /// answer's status.
    pub async fn press(&self, expected: StatusCode, how: Post, path: &str, csrf: &str) -> Response {
        self.submit(expected, how, path, &[("csrf_token", csrf)])
            .await
    }

    /// Posts a form (plainly or as htmx) and checks the answer's status.
    pub async fn submit(
        &self,
        expected: StatusCode,
        how: Post,
        path: &str,
        form: &[(&str, &str)],
    ) -> Response {
        let response = match how {
            Post::Form => self.post_form(path, form).await,
            Post::Htmx => self.post_htmx(path, form).await,
        };
        assert_eq!(response.status(), expected, "posting {path}");
        response
    }

    /// Posts a form the way htmx does (same fields, plus `HX-Request`).
    pub async fn post_htmx(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header("HX-Request", "true")
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// The id of a thread or message JSON as text.
pub fn id_str(item: &Value) -> &str {
    item["id"].as_str().expect("an id")
}
