//! Mentions in rendered message HTML: a step over whatever the formatter produced, so it
//! works with any formatter. In text outside tags (and outside links, code and pre
//! blocks), each `@name` becomes `<a class="mention" data-mention="name"
//! href="/people?q=name">@name</a>`. `assets/mentions.js` marks the messages whose
//! `data-mention` names the viewer.

use crate::chat::mentions;

/// Elements whose text is left alone.
const SKIP: [&str; 3] = ["a", "code", "pre"];

/// `html` with its mentions linked.
pub fn highlight(html: &str) -> String {
    if !html.contains('@') {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut skip_depth = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        match rest.find('<') {
            Some(0) => {
                let end = rest.find('>').map_or(rest.len(), |i| i + 1);
                let tag = &rest[..end];
                let closing = tag.starts_with("</");
                let name: String = tag
                    .trim_start_matches(['<', '/'])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if SKIP.contains(&name.as_str()) {
                    if closing {
                        skip_depth = skip_depth.saturating_sub(1);
                    } else if !tag.ends_with("/>") {
                        skip_depth += 1;
                    }
                }
                out.push_str(tag);
                rest = &rest[end..];
            }
            found => {
                let end = found.unwrap_or(rest.len());
                let text = &rest[..end];
                if skip_depth > 0 {
                    out.push_str(text);
                } else {
                    link_text(text, &mut out);
                }
                rest = &rest[end..];
            }
        }
    }
    out
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Escaped text with its `@name`s linked (names are plain ASCII: safe as they are).
fn link_text(text: &str, out: &mut String) {
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("in bounds");
        if c == '@' && !prev.is_some_and(name_char) {
            let after = &text[i + 1..];
            let end = after.find(|c: char| !name_char(c)).unwrap_or(after.len());
            let name = after[..end].trim_end_matches(['.', '-']);
            if mentions::is_name(name) {
                let lower = name.to_ascii_lowercase();
                out.push_str(&format!(
                    "<a class=\"mention\" data-mention=\"{lower}\" href=\"/people?q={lower}\">@{name}</a>"
                ));
                i += 1 + name.len();
                prev = name.chars().last();
                continue;
            }
        }
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
}

#[cfg(test)]
mod tests {
    use super::highlight;

    #[test]
    fn mentions_in_text_become_links_and_the_rest_stays() {
        assert_eq!(
            highlight("hi @Bob. <code>@x_y</code> <a href=\"u\">@ann</a> a@b.com"),
            "hi <a class=\"mention\" data-mention=\"bob\" href=\"/people?q=bob\">@Bob</a>. \
             <code>@x_y</code> <a href=\"u\">@ann</a> a@b.com"
        );
        assert_eq!(highlight("no mention"), "no mention");
        assert_eq!(
            highlight("&lt;@everyone&gt;"),
            "&lt;<a class=\"mention\" data-mention=\"everyone\" href=\"/people?q=everyone\">@everyone</a>&gt;"
        );
    }
}
