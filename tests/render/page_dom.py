"""An HTML page read back the way a browser would, for the tests of the HTML preview:
its elements (tag, attributes, classes, the text inside) and its visible text, parsed with
the standard library's HTML parser (Chromium's own DOM is used where it is installed), and
what in it would be live that digest text must never make live."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "source", "wbr"})
INVISIBLE = frozenset({"head", "title", "style", "script"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self) -> list[Element]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open: list[Element] = [self.root]
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, 0, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data
        if not any(element.tag in INVISIBLE for element in self.open):
            self.visible.append(data)


@dataclass
class Page:
    elements: list[Element]
    visible_text: str

    def by_class(self, name: str) -> list[Element]:
        return [element for element in self.elements if name in element.classes]

    def by_tag(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]

    def links(self) -> list[tuple[str, str]]:
        """(href, visible text) of every link."""
        return [(a.attrs.get("href", ""), a.text) for a in self.by_tag("a")]


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return Page(reader.root.walk()[1:], "".join(reader.visible))


def html_violations(page: Page, our_urls: Collection[str]) -> list[str]:
    """Anything on the page that could run or mislead: a script element, an event handler
    attribute, a link or image to anything but http(s), or a link whose text is not its
    own address and whose target is not one of `our_urls` (a paper's URL fields); [] when
    there is none. A link showing its address is fine: Discord links written-out
    addresses too, and the reader sees where it goes."""
    problems = [f"<script> element: {s.text[:60]!r}" for s in page.by_tag("script")]
    for element in page.elements:
        for name, value in element.attrs.items():
            if name.startswith("on"):
                problems.append(f"<{element.tag} {name}>: event handler")
            if name in {"href", "src"} and urlsplit(value).scheme not in {"http", "https"}:
                problems.append(f"<{element.tag} {name}={value[:60]!r}>: not http(s)")
    ours = {unquote(url) for url in our_urls}
    for href, text in page.links():
        if unquote(text.strip()) != unquote(href) and unquote(href) not in ours:
            problems.append(f"link {text[:40]!r} to a URL that is not ours: {href[:60]!r}")
    return problems
