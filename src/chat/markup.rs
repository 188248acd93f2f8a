//! A message's text as HTML: Markdown (pulldown-cmark: paragraphs, fenced and inline code,
//! quotes, lists, bold, italics, strikethrough; bare http(s) URLs become links), then
//! sanitized (ammonia) against a short list of tags. Raw HTML is shown as typed, images
//! become plain links (no picture is ever fetched from a URL), headings become bold lines,
//! and every link gets `rel="noopener nofollow ugc"` and opens in a new tab.
//!
//! Pages, the page stream and the JSON API (`contentHtml`) all show this one rendering.
//! Runs of plain text (outside code and links) pass through a [`TextHook`], so a caller
//! can mark things in them (e.g. @mentions) without touching the Markdown rules.

use std::{borrow::Cow, collections::HashSet, sync::LazyLock};

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

/// Writes one run of plain text as HTML into `out`; it must escape what it copies
/// (see [`escape`]). Its output is sanitized like the rest: tags it may use are listed in
/// [`SANITIZER`] (`<span class="mention">` among them).
pub type TextHook<'a> = &'a dyn Fn(&str, &mut String);

/// Classes a hook may put on `<span>`.
const SPAN_CLASSES: &[&str] = &["mention", "mention-me"];

const TAGS: &[&str] = &[
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "span",
    "hr",
];

/// The one sanitizer every rendering goes through.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(TAGS.iter().copied().collect())
        .tag_attributes(
            [("a", ["href"].into()), ("ol", ["start"].into())]
                .into_iter()
                .collect(),
        )
        .allowed_classes([("span", SPAN_CLASSES.iter().copied().collect())].into())
        .url_schemes(["http", "https", "mailto"].into())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(same_site_path)))
        .link_rel(Some("noopener nofollow ugc"))
        .set_tag_attribute_value("a", "target", "_blank")
        .clean_content_tags(HashSet::from(["script", "style"]));
    builder
});

/// Relative links stay only as paths on this site (`/chats/…`), never `//elsewhere`.
fn same_site_path(url: &str) -> Option<Cow<'_, str>> {
    (url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\"))
        .then_some(Cow::Borrowed(url))
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The hook that only escapes.
fn plain(text: &str, out: &mut String) {
    escape(text, out);
}

/// Renders message text as safe HTML.
pub fn to_html(text: &str) -> String {
    to_html_with(text, &plain)
}

/// Renders message text as safe HTML, runs of plain text through `hook`.
pub fn to_html_with(text: &str, hook: TextHook<'_>) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut events = Vec::new();
    // Inside code and links text is left alone (no nested links, no hook).
    let mut verbatim = 0usize;
    for event in Parser::new_ext(text, options) {
        match event {
            Event::Start(tag @ (Tag::CodeBlock(_) | Tag::Link { .. })) => {
                verbatim += 1;
                events.push(Event::Start(tag));
            }
            Event::End(end @ (TagEnd::CodeBlock | TagEnd::Link)) => {
                verbatim = verbatim.saturating_sub(1);
                events.push(Event::End(end));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                verbatim += 1;
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::End(TagEnd::Image) => {
                verbatim = verbatim.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Heading { .. }) => {
                events.push(Event::Start(Tag::Paragraph));
                events.push(Event::Start(Tag::Strong));
            }
            Event::End(TagEnd::Heading(_)) => {
                events.push(Event::End(TagEnd::Strong));
                events.push(Event::End(TagEnd::Paragraph));
            }
            Event::Start(Tag::HtmlBlock) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => events.push(Event::End(TagEnd::Paragraph)),
            Event::Html(raw) | Event::InlineHtml(raw) => {
                as_typed(&raw, verbatim > 0, hook, &mut events)
            }
            Event::SoftBreak => events.push(Event::HardBreak),
            Event::Text(text) if verbatim == 0 => plain_text(&text, hook, &mut events),
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(text.len() + 32);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// Raw HTML shown as the text it is, its line breaks kept.
fn as_typed<'a>(raw: &str, verbatim: bool, hook: TextHook<'_>, events: &mut Vec<Event<'a>>) {
    let mut lines = raw.split('\n').peekable();
    while let Some(line) = lines.next() {
        if verbatim {
            events.push(Event::Text(CowStr::from(line.to_owned())));
        } else {
            plain_text(line, hook, events);
        }
        if lines.peek().is_some_and(|rest| !rest.is_empty()) {
            events.push(Event::HardBreak);
        }
    }
}

/// Plain text: bare http(s) URLs become links, the rest goes through the hook.
fn plain_text<'a>(text: &str, hook: TextHook<'_>, events: &mut Vec<Event<'a>>) {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut html = String::new();
    for span in finder.spans(text) {
        let part = span.as_str();
        let is_web = span.kind().is_some()
            && ["http://", "https://"]
                .iter()
                .any(|scheme| part.len() > scheme.len() && part.starts_with(scheme));
        if is_web {
            html.push_str("<a href=\"");
            escape(part, &mut html);
            html.push_str("\">");
            escape(part, &mut html);
            html.push_str("</a>");
        } else {
            hook(part, &mut html);
        }
    }
    events.push(Event::InlineHtml(CowStr::from(html)));
}

#[cfg(test)]
mod tests {
    use super::{to_html as html, to_html_with};

    #[test]
    fn user_html_is_shown_as_text_and_never_runs() {
        assert_eq!(
            html("<script>alert('x')</script>"),
            "<p>&lt;script&gt;alert('x')&lt;/script&gt;</p>\n"
        );
        assert_eq!(
            html("hi <b onclick=x>there</b>"),
            "<p>hi &lt;b onclick=x&gt;there&lt;/b&gt;</p>\n"
        );
        for attack in [
            "<img src=x onerror=alert(1)>",
            "**<img src=x onerror=alert(1)>**",
            "<div>\n<img src=x onerror=alert(1)>\n</div>",
            "`<img src=x>`",
            "```\n<script>alert(1)</script>\n```",
        ] {
            let out = html(attack);
            assert!(!out.contains("<img"), "{attack} gave {out}");
            assert!(!out.contains("<script"), "{attack} gave {out}");
            assert!(!out.contains("<div"), "{attack} gave {out}");
        }
    }

    #[test]
    fn images_become_links_and_no_picture_is_fetched() {
        assert_eq!(
            html("![cat](https://example.com/cat.png)"),
            "<p><a href=\"https://example.com/cat.png\" target=\"_blank\" rel=\"noopener nofollow ugc\">cat</a></p>\n"
        );
    }

    #[test]
    fn links_carry_rel_and_only_web_schemes_survive() {
        assert_eq!(
            html("see https://example.com/a?b=1&c=2."),
            "<p>see <a href=\"https://example.com/a?b=1&amp;c=2\" target=\"_blank\" rel=\"noopener nofollow ugc\">https://example.com/a?b=1&amp;c=2</a>.</p>\n"
        );
        assert_eq!(
            html("[docs](https://example.com)"),
            "<p><a href=\"https://example.com\" target=\"_blank\" rel=\"noopener nofollow ugc\">docs</a></p>\n"
        );
        let js = html("[x](javascript:alert(1))");
        assert!(!js.contains("javascript"), "{js}");
        let elsewhere = html("[x](//evil.example/)");
        assert!(!elsewhere.contains("href"), "{elsewhere}");
        assert_eq!(html("javascript:alert(1)"), "<p>javascript:alert(1)</p>\n");
        assert_eq!(
            html("https://x.io/\"onmouseover=\"alert(1)"),
            "<p><a href=\"https://x.io/\" target=\"_blank\" rel=\"noopener nofollow ugc\">https://x.io/</a>\"onmouseover=\"alert(1)</p>\n"
        );
    }

    #[test]
    fn markdown_blocks_and_inlines_render() {
        assert_eq!(
            html("a **b** *c* ~~d~~ `e*f*`"),
            "<p>a <strong>b</strong> <em>c</em> <del>d</del> <code>e*f*</code></p>\n"
        );
        assert_eq!(html("one\ntwo"), "<p>one<br>\ntwo</p>\n");
        assert_eq!(html("2 * 3 = 6"), "<p>2 * 3 = 6</p>\n");
        assert_eq!(
            html("```rust\nfn main() { a < b }\n```"),
            "<pre><code>fn main() { a &lt; b }\n</code></pre>\n"
        );
        assert_eq!(
            html("> quoted\n\nafter"),
            "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>after</p>\n"
        );
        assert_eq!(
            html("- one\n- two"),
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        );
        assert_eq!(
            html("3. three\n4. four"),
            "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n"
        );
        assert_eq!(html("# big"), "<p><strong>big</strong></p>\n");
        assert_eq!(
            html("`https://example.com`"),
            "<p><code>https://example.com</code></p>\n"
        );
    }

    #[test]
    fn the_hook_sees_plain_text_only_and_its_markup_is_sanitized() {
        let hook = |text: &str, out: &mut String| {
            for word in text.split_inclusive(' ') {
                if word.trim_end() == "@ann" {
                    out.push_str("<span class=\"mention\" onclick=\"x\">@ann</span>");
                    out.push_str(&word[4..]);
                } else {
                    super::escape(word, out);
                }
            }
        };
        assert_eq!(
            to_html_with("hi @ann `@ann` https://x.io/@ann", &hook),
            "<p>hi <span class=\"mention\">@ann</span> <code>@ann</code> <a href=\"https://x.io/@ann\" target=\"_blank\" rel=\"noopener nofollow ugc\">https://x.io/@ann</a></p>\n"
        );
    }
}
