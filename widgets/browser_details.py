"""What the DatasetBrowser writes about datasets: a result line with its badges, a dataset's
metadata and columns, and the code that reads it (all static HTML, no script).
"""

from __future__ import annotations

from .badges import FreshnessBadge, QualityBadge
from .code_text import literal
from .filters import column_kind
from .i18n import format_number, t
from .labels import LABELS
from .style import BORDER, MUTED, css, esc, tag

CELL = css(padding="0.2rem 0.6rem", border_bottom=f"1px solid {BORDER}", text_align="left")


def read_code(dataset: str) -> str:
    """The Python cell that reads a whole dataset into a DataFrame.

    >>> print(read_code("air_quality"))
    from widgets import catalog
    df = catalog()["air_quality"].read()
    """
    return f"from widgets import catalog\ndf = catalog()[{literal(dataset)}].read()"


def badges(metadata: dict, locale: str | None, now=None) -> str:
    """The freshness and quality badges of a dataset, side by side."""
    return tag("div", FreshnessBadge(metadata, locale=locale, now=now).static_html(),
               QualityBadge(metadata, locale=locale).static_html(),
               style=css(display="flex", flex_wrap="wrap", gap="0 1rem"))


def result_line(metadata: dict, locale: str | None, now=None) -> str:
    """A result: title (and id), theme, badges."""
    theme = metadata.get("theme")
    return tag("div", tag("strong", esc(metadata.get("title") or metadata["id"])), " ",
               tag("code", esc(metadata["id"]), style=css(color=MUTED, font_size="0.8rem")),
               tag("span", " · " + esc(theme), style=css(color=MUTED)) if theme else "",
               badges(metadata, locale, now),
               style=css(padding="0.4rem 0", border_bottom=f"1px solid {BORDER}"))


def frequency_text(frequency: str | None, locale: str | None) -> str:
    key = f"frequency_{frequency}"
    return t(key, locale) if key in LABELS else (frequency or t("missing", locale))


def type_text(column: dict, locale: str | None) -> str:
    kind = "geometry" if column["type"] == "geometry" else column_kind(column["type"])
    word = {"category": "type_text", "number": "type_number", "date": "type_date",
            "geometry": "type_geometry"}.get(kind)
    return t(word, locale) if word else (column["type"] if kind else t("type_other", locale))


def rule_text(rule: str | None, locale: str | None) -> str:
    if not rule:
        return ""
    if rule == "pseudonymised":
        return t("rule_pseudonymised", locale)
    return f"{t('rule_generalised', locale)} ({rule.removeprefix('generalised to ')})"


def columns_table(columns: list[dict], locale: str | None) -> str:
    head = tag("tr", *(tag("th", esc(t(k, locale)), scope="col", style=CELL)
                       for k in ("column_name", "column_type", "column_rule")))
    rows = [tag("tr", tag("td", tag("code", esc(c["name"])), style=CELL),
                tag("td", esc(type_text(c, locale)), style=CELL),
                tag("td", esc(rule_text(c.get("rule"), locale)), style=CELL)) for c in columns]
    return tag("table", tag("thead", head), tag("tbody", *rows),
               style=css(border_collapse="collapse", font_size="0.85rem"))


def details(metadata: dict, locale: str | None, now=None) -> str:
    """A dataset's metadata: description, theme, licence, update frequency, rows, columns."""
    rows = metadata.get("rows")
    facts = [("meta_theme", metadata.get("theme")),
             ("meta_keywords", ", ".join(metadata.get("keywords") or ())),
             ("meta_licence", metadata.get("licence")),
             ("meta_frequency", frequency_text(metadata.get("update_frequency"), locale)),
             ("meta_rows", format_number(rows, 0, locale) if rows is not None else None)]
    listed = tag("dl", *(tag("div", tag("dt", esc(t(k, locale)), style=css(font_weight="600",
                                                                            display="inline")),
                             tag("dd", esc(v), style=css(display="inline", margin="0 0 0 0.4rem")))
                         for k, v in facts if v),
                 style=css(margin="0.4rem 0"))
    return tag("section",
               tag("h3", esc(metadata.get("title") or metadata["id"]),
                   style=css(margin="0 0 0.3rem", font_size="1.1rem")),
               badges(metadata, locale, now),
               tag("p", esc(metadata.get("description") or ""), style=css(margin="0.4rem 0")),
               listed,
               tag("h4", esc(t("meta_columns", locale)), style=css(margin="0.6rem 0 0.2rem")),
               columns_table(metadata.get("columns") or [], locale),
               aria_label=metadata.get("title") or metadata["id"],
               style=css(border=f"1px solid {BORDER}", border_radius="8px",
                         padding="0.8rem 1rem", margin="0.8rem 0"))


def code_block(code: str, locale: str | None, hint_key: str = "browser_code_hint") -> str:
    """Code to copy: a hint and a ``<pre>`` (selectable, printed as it is)."""
    return tag("div", tag("p", esc(t(hint_key, locale)), style=css(margin="0.4rem 0 0.2rem",
                                                                    color=MUTED)),
               tag("pre", tag("code", esc(code)),
                   style=css(background="#f4f4f4", padding="0.6rem 0.8rem",
                             border_radius="6px", overflow_x="auto", font_size="0.85rem",
                             white_space="pre-wrap")))
