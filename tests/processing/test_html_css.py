"""HTML pages and CSS style sheets: title and links."""

from guides_processor.processing import (
    HTML_CSS,
    LINK_FILE,
    LINK_IMAGE,
    LINK_MULTIMEDIA,
    SCOPE_EXTERNAL,
    SUCCESS,
)

from .conftest import Process, Write


def test_it_extracts_an_html_pages_title_and_links(write: Write, run: Process) -> None:
    write("site/css/site.css", "body {}")
    write(
        "site/index.html",
        "<!DOCTYPE html>\n<html><head><title>  Home\n page </title>\n"
        '<link rel="stylesheet" href="css/site.css?v=2">\n'
        '<script src="https://cdn.example.com/x.js"></script></head>\n'
        '<body><a href="guide/start.html#top">Start</a>\n'
        '<img src="img/logo.png"><video src="media/intro.mp4"><source src="media/intro.webm">'
        "</video>\n"
        '<object data="media/anim.swf"></object>\n'
        '<img src="data:image/png;base64,iVBORw0KGgo=">\n'
        "<!-- <a href='commented.html'> -->\n"
        '<a href="mailto:docs@example.com">mail</a></body></html>\n',
    )
    result = run("site/index.html")
    assert (result.status, result.asset_type, result.title) == (SUCCESS, HTML_CSS, "Home page")
    assert [
        (ref.attribute, ref.element, ref.link_type, ref.target, ref.broken, ref.line)
        for ref in result.references
    ] == [
        ("href", "link", LINK_FILE, "site/css/site.css", False, 4),
        ("src", "script", LINK_FILE, None, False, 5),
        ("href", "a", LINK_FILE, "site/guide/start.html", True, 6),
        ("src", "img", LINK_IMAGE, "site/img/logo.png", True, 7),
        ("src", "video", LINK_MULTIMEDIA, "site/media/intro.mp4", True, 7),
        ("src", "source", LINK_MULTIMEDIA, "site/media/intro.webm", True, 7),
        ("data", "object", LINK_MULTIMEDIA, "site/media/anim.swf", True, 8),
        ("href", "a", LINK_FILE, None, False, 11),
    ]
    assert [ref.scope for ref in result.references if ref.target is None] == [SCOPE_EXTERNAL] * 2


def test_it_accepts_an_empty_html_page(write: Write, run: Process) -> None:
    write("empty.htm", b"  \n")
    result = run("empty.htm")
    assert (result.status, result.title, result.references) == (SUCCESS, "", [])


def test_it_extracts_urls_and_imports_from_css(write: Write, run: Process) -> None:
    write("css/base.css", "")
    write(
        "css/site.css",
        '@import "base.css";\n'
        "@import url(print.css) print;\n"
        "/* background: url(commented.png); */\n"
        "h1 { background: url( 'img/head.PNG' ) no-repeat; }\n"
        'li { list-style: url("https://example.com/dot.gif"); }\n'
        "i { background: url(data:image/png;base64,AAAA); }\n"
        "@font-face { src: url(../fonts/a.woff2#x) }\n",
    )
    result = run("css/site.css")
    assert (result.status, result.asset_type) == (SUCCESS, HTML_CSS)
    assert [
        (ref.attribute, ref.value, ref.link_type, ref.target, ref.broken, ref.line)
        for ref in result.references
    ] == [
        ("@import", "base.css", LINK_FILE, "css/base.css", False, 1),
        ("url", "print.css", LINK_FILE, "css/print.css", True, 2),
        ("url", "img/head.PNG", LINK_IMAGE, "css/img/head.PNG", True, 4),
        ("url", "https://example.com/dot.gif", LINK_IMAGE, None, False, 5),
        ("url", "../fonts/a.woff2#x", LINK_FILE, "fonts/a.woff2", True, 7),
    ]
