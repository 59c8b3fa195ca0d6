"""The report as one Markdown document, and the same document as one self-contained HTML page.

The HTML is the Markdown rendered by markdown-it-py (tables enabled) into a Jinja2 template, so
the two cannot drift apart: headings get the anchors GitHub gives them (the headline and the
table of contents link to them), figures are embedded as base64 data URIs, and wide tables
scroll inside their own box rather than the page.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from importlib import resources

import jinja2
import pandas as pd
from markdown_it import MarkdownIt

from rectifier import tables as tbl


def anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


class Document:
    """The report's blocks in order, as Markdown; its figures as PNG bytes by name."""

    def __init__(self, title: str):
        self.title = title
        self.blocks: list[str] = [f"# {title}"]
        self.sections: list[str] = []              # the level-2 headings: the contents
        self.figures: dict[str, bytes] = {}

    def heading(self, text: str) -> None:
        self.sections.append(text)
        self.blocks.append(f"## {text}")

    def para(self, text: str) -> None:
        self.blocks.append(text)

    def items(self, lines: Iterable[str]) -> None:
        self.blocks.append("\n".join(f"- {line}" for line in lines))

    def table(self, table: pd.DataFrame) -> None:
        self.blocks.append(tbl.markdown(table))

    def figure(self, name: str, png: bytes, caption: str) -> None:
        self.figures[name] = png
        self.blocks.append(f"![{caption}](figures/{name}.png)\n\n*{caption}*")

    def contents(self) -> None:
        """A table of contents of the level-2 headings so far and to come: a placeholder that
        markdown() fills, since the later sections are not known yet."""
        self.blocks.append("<!-- contents -->")

    def markdown(self) -> str:
        toc = "**Contents:** " + " · ".join(f"[{s}](#{anchor(s)})" for s in self.sections)
        return "\n\n".join(toc if b == "<!-- contents -->" else b for b in self.blocks) + "\n"

    def html(self) -> str:
        md = MarkdownIt("commonmark", {"html": False}).enable("table")
        md.core.ruler.push("anchors", _anchors)
        body = md.render(self.markdown())
        for name, png in self.figures.items():        # the images, embedded
            data = base64.b64encode(png).decode("ascii")
            body = body.replace(f'src="figures/{name}.png"', f'src="data:image/png;base64,{data}"')
        return _template().render(title=self.title, body=body)


def _anchors(state) -> None:
    """markdown-it core rule: each heading gets its GitHub anchor as id."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            token.attrSet("id", anchor(tokens[i + 1].content))


def _template() -> jinja2.Template:
    source = resources.files("rectifier.report").joinpath("page.html.j2").read_text()
    return jinja2.Environment(autoescape=False, keep_trailing_newline=True).from_string(source)
