//! Search snippets as HTML: the text escaped, the matched words in `<mark>`. Message text
//! is rendered by [`crate::chat::markup`].

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
