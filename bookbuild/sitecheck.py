"""Checks over the built site's files: which pages exist, and whether every internal link lands.

The crawl starts at ``index.html`` and follows links, so a page nobody links to
is not a page of the book (the test compares with ``sitemap.xml``). Links are
checked offline against the files themselves, anchors included. LinkChecker
(PyPI), tried first, took 31 s for the six pages of chapter 1 without anchor
checking and over 4 minutes with it. Reading the files takes well under a second.

Run ``python -m bookbuild.sitecheck site/`` for a report.
"""

from __future__ import annotations

import html.parser
import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

__all__ = ["Page", "broken_links", "crawl", "parse"]

_LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src", "iframe": "src"}
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


@dataclass
class Page:
    """What one HTML file links to and which anchors it offers."""

    path: str  # relative to the site root, e.g. "chapters/01-convolution/index.html"
    links: list = field(default_factory=list)  # (tag, url)
    ids: set = field(default_factory=set)


class _Parser(html.parser.HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.page.ids.add(attrs[key])
        attr = _LINK_ATTRS.get(tag)
        if attr and attrs.get(attr):
            if tag == "link" and not {"stylesheet", "icon", "preload", "manifest"} & set((attrs.get("rel") or "").split()):
                return  # canonical, prev/next: pages, checked through the <a> links anyway
            self.page.links.append((tag, attrs[attr]))
        if tag in ("img", "source") and attrs.get("srcset"):
            for candidate in attrs["srcset"].split(","):
                self.page.links.append((tag, candidate.split()[0]))


def parse(site, path):
    """The links and anchors of the HTML file ``path`` (relative to ``site``)."""
    page = Page(path)
    _Parser(page).feed((Path(site) / path).read_text(encoding="utf-8"))
    return page


def _target(site_url, page_path, url):
    """The site file a link points to (relative path) and its fragment, or None for external links."""
    if url.startswith(("data:", "mailto:", "javascript:", "tel:")):
        return None
    if site_url and url.startswith(site_url):
        url = "/" + url[len(site_url):]
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    url, fragment = urldefrag(url)
    path = unquote(url)
    if not path:
        return page_path, fragment
    base = posixpath.dirname(page_path)
    resolved = posixpath.normpath(path.lstrip("/") if path.startswith("/") else posixpath.join(base, path))
    if resolved.startswith(".."):
        return "..", fragment  # outside the site: always broken
    return resolved, fragment


def _file_for(site, resolved):
    """The file a resolved path serves, as a static server would (folders serve their index.html)."""
    candidate = Path(site) / resolved
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def crawl(site, site_url=""):
    """Every HTML page reachable from ``index.html`` by links (and ``404.html``), as parsed Pages."""
    site = Path(site)
    queue, pages = ["index.html"] + (["404.html"] if (site / "404.html").is_file() else []), {}
    while queue:
        path = queue.pop()
        if path in pages:
            continue
        pages[path] = page = parse(site, path)
        for tag, url in page.links:
            if tag != "a":
                continue
            target = _target(site_url, path, url)
            if target is None:
                continue
            file = _file_for(site, target[0])
            if file is not None and file.suffix == ".html":
                queue.append(file.relative_to(site).as_posix())
    return [pages[p] for p in sorted(pages)]


def broken_links(site, pages, site_url=""):
    """Every internal link, image, script, stylesheet or CSS ``url()`` that does not land.

    Returns a list of ``(where, url, why)``; anchors are checked against the ids of the target page.
    """
    site = Path(site)
    ids = {p.path: p.ids for p in pages}
    problems = []
    stylesheets = set()
    for page in pages:
        for tag, url in page.links:
            target = _target(site_url, page.path, url)
            if target is None:
                continue
            resolved, fragment = target
            file = _file_for(site, resolved)
            if file is None:
                problems.append((page.path, url, "no such file"))
                continue
            rel = file.relative_to(site).as_posix()
            if file.suffix == ".css":
                stylesheets.add(rel)
            if fragment and tag == "a" and file.suffix == ".html":
                if rel not in ids:
                    ids[rel] = parse(site, rel).ids
                if unquote(fragment) not in ids[rel]:
                    problems.append((page.path, url, f"no anchor #{fragment} in {rel}"))
    for rel in sorted(stylesheets):
        css = (site / rel).read_text(encoding="utf-8", errors="replace")
        for url in _CSS_URL.findall(css):
            target = _target(site_url, rel, url.strip())
            if target is not None and target[0] and _file_for(site, target[0]) is None:
                problems.append((rel, url, "no such file"))
    return problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    site = Path(argv[0] if argv else "site")
    pages = crawl(site)
    problems = broken_links(site, pages)
    links = sum(len(p.links) for p in pages)
    print(f"{len(pages)} pages, {links} links and resources, {len(problems)} broken")
    for where, url, why in problems:
        print(f"  {where}: {url} ({why})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
