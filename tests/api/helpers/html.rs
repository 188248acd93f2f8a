//! Reading pages: redirects, escaping, message ids, and starting a DM from /people the
//! way a person does.

use reqwest::{StatusCode, header};

use super::{TestUser, csrf_from};

/// The `Location` a response redirects to.
pub fn location(response: &reqwest::Response) -> String {
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Whether `html` holds `text` HTML-escaped (named or numeric entities).
pub fn escaped(html: &str, text: &str) -> bool {
    let named = text.replace('<', "&lt;").replace('>', "&gt;");
    let numeric = text.replace('<', "&#60;").replace('>', "&#62;");
    html.contains(&named) || html.contains(&numeric)
}

/// The ids of the messages on a page or in a fragment, in order.
pub fn message_ids(html: &str) -> Vec<String> {
    let marker = "data-message-id=\"";
    html.match_indices(marker)
        .map(|(i, _)| {
            let start = i + marker.len();
            let end = html[start..].find('"').unwrap() + start;
            html[start..end].to_owned()
        })
        .collect()
}

impl TestUser {
    /// Starts a DM with `other` from /people; returns the conversation's path.
    pub async fn start_dm_from_people(&self, other: &TestUser) -> String {
        let other_id = &other.id;
        let (status, html) = self.get_page("/people").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!("/people/{other_id}/message")));
        let csrf = csrf_from(&html).unwrap();
        let r = self
            .post_form(
                &format!("/people/{other_id}/message"),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let path = location(&r);
        assert!(path.starts_with("/chats/"), "{path}");
        path
    }
}
