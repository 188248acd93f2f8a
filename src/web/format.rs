//! Safe light formatting of message text: everything is HTML-escaped first, then
//! `` `code` ``, `**bold**`, `*italics*`, http(s) links and line breaks are turned into
//! markup. No user-written HTML ever reaches a page.

use std::fmt::Write;

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
}

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

/// Wraps the text between complete pairs of `marker` in `tag`. `inner` formats each part
/// and is told whether the part is inside the tag. An unpaired marker stays as typed.
fn paired(
    text: &str,
    marker: &str,
    tag: &str,
    out: &mut String,
    inner: &dyn Fn(&str, bool, &mut String),
) {
    let parts: Vec<&str> = text.split(marker).collect();
    let complete = if parts.len() % 2 == 1 {
        parts.len()
    } else {
        parts.len() - 1
    };
    for (i, part) in parts.iter().enumerate() {
        if i >= complete {
            out.push_str(marker);
            inner(part, false, out);
        } else if i % 2 == 1 && !part.is_empty() {
            let _ = write!(out, "<{tag}>");
            inner(part, true, out);
            let _ = write!(out, "</{tag}>");
        } else if i % 2 == 1 {
            out.push_str(marker);
            out.push_str(marker);
        } else {
            inner(part, false, out);
        }
    }
}

fn emphasis(text: &str, out: &mut String) {
    paired(text, "**", "strong", out, &|t, _, o| {
        paired(t, "*", "em", o, &|t, _, o| escape(t, o))
    });
}

/// Splits off http(s) URLs as links; trailing punctuation stays outside the link.
fn links(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        emphasis(&rest[..start], out);
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
        let scheme_only = url == "https://" || url == "http://";
        if scheme_only {
            emphasis(url, out);
        } else {
            out.push_str("<a href=\"");
            escape(url, out);
            out.push_str("\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">");
            escape(url, out);
            out.push_str("</a>");
        }
        rest = &tail[url.len()..];
    }
    emphasis(rest, out);
}

/// Renders message text as safe HTML.
pub fn message_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    // Inside code nothing else applies; outside, links and emphasis do.
    paired(text, "`", "code", &mut out, &|t, in_code, o| {
        if in_code { escape(t, o) } else { links(t, o) }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::message_html as html;

    #[test]
    fn user_html_is_always_escaped() {
        assert_eq!(
            html("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(html("`<b>`"), "<code>&lt;b&gt;</code>");
        assert!(!html("**<img src=x onerror=alert(1)>**").contains("<img"));
        assert!(!html("https://x.io/\"onmouseover=\"alert(1)").contains("\"onmouseover"));
    }

    #[test]
    fn light_formatting_is_applied() {
        assert_eq!(html("a **b** *c*"), "a <strong>b</strong> <em>c</em>");
        assert_eq!(
            html("run `cargo *test*` now"),
            "run <code>cargo *test*</code> now"
        );
        assert_eq!(html("one\ntwo"), "one<br>two");
        assert_eq!(html("2 * 3 = 6"), "2 * 3 = 6");
        assert_eq!(html("a ** b"), "a ** b");
        assert_eq!(
            html("see https://example.com/a?b=1&c=2."),
            "see <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">https://example.com/a?b=1&amp;c=2</a>."
        );
        assert_eq!(html("javascript:alert(1)"), "javascript:alert(1)");
    }
}
