//! Attachment files: storage ([`storage::Files`], a directory or an S3 bucket), uploads
//! streamed into it ([`upload`]), and image work off the request path ([`images`],
//! [`jobs`]). The rows and their rules (who may attach or download what) are
//! `chat::attachments`'.
//!
//! An upload streams the file to storage under a generated key, sniffs its type from its
//! bytes, and records a row with no message. A send claims its author's unsent uploads,
//! once each, in the send's transaction. Images are then stripped of metadata and get a
//! thumbnail in the background; until that is done they are not served, and when it
//! finishes for a message already sent, a `message.updated` brings the thumbnail to every
//! reader. Uploads never sent are removed after `UNATTACHED_UPLOAD_TTL_SECS`.

pub mod avatars;
pub mod images;
pub mod jobs;
pub mod slots;
pub mod storage;
pub mod upload;
