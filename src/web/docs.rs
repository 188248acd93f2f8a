//! `/api/docs`: the API reference for bot authors, Confab's OpenAPI document rendered by
//! the vendored Swagger UI (`assets/vendor`, pinned in `VERSIONS.md`; no CDN).

use askama::Template;
use askama_web::WebTemplate;

#[derive(Template, WebTemplate)]
#[template(path = "pages/api_docs.html")]
pub struct ApiDocs;

pub async fn page() -> ApiDocs {
    ApiDocs
}
