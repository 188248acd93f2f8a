//! Search snippets as HTML: the text escaped, the matched words in `<mark>`; the size an
//! inline image is shown at. Message text is rendered by [`crate::chat::markup`].

use crate::chat::markup::escape;

/// A search snippet as HTML: the text escaped, the matched words in `<mark>`.
pub fn snippet_html(fragments: &[crate::chat::search::Fragment]) -> String {
    let mut out = String::new();
    for fragment in fragments {
        if fragment.matched {
            out.push_str("<mark>");
            escape(&fragment.text, &mut out);
            out.push_str("</mark>");
        } else {
            escape(&fragment.text, &mut out);
        }
    }
    out
}

/// The width and height the pages show an inline image at (within 400 × 300 px, never
/// enlarged), given to its `<img>` so its space is kept before it loads.
pub fn shown_size(attachment: &crate::chat::attachments::AttachmentView) -> Option<(i32, i32)> {
    let (w, h) = (attachment.width?.max(1), attachment.height?.max(1));
    let scale = (400.0 / f64::from(w)).min(300.0 / f64::from(h)).min(1.0);
    Some((
        (f64::from(w) * scale).round() as i32,
        (f64::from(h) * scale).round() as i32,
    ))
}
