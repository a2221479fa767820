//! The page under `web/`, built into the binary: nothing is fetched from
//! anywhere else at run time.

/// The page's files: path, content type, text.
const FILES: [(&str, &str, &str); 4] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../web/index.html"),
    ),
    (
        "/index.html",
        "text/html; charset=utf-8",
        include_str!("../../web/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/app.js"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_str!("../../web/style.css"),
    ),
];

/// The content type and text of the page's file at `path`.
pub fn file(path: &str) -> Option<(&'static str, &'static str)> {
    FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, content_type, text)| (*content_type, *text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_files() {
        let (content_type, html) = file("/").expect("the page");
        assert!(content_type.starts_with("text/html"));
        assert!(html.contains("<script src=\"app.js\"></script>"));
        assert!(html.contains("href=\"style.css\""));
        // No address of another host in any file the page is made of.
        for (path, _, text) in FILES {
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "{path}"
            );
            assert!(!text.contains("//cdn"), "{path}");
        }
        assert!(file("/other.js").is_none());
    }
}
