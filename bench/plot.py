"""Charts as inline SVG in one self-contained HTML page: what bench.html and soak.html share.

matplotlib draws with its Agg backend (no display), writes SVG with text as paths (no font is
loaded by the page) and a fixed hash salt (the same data gives the same file). The page is a
Jinja2 template with inline CSS; a Content-Security-Policy forbids every load, as in
report.html. matplotlib is the `charts` extra: imported here only, by the tools that draw.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import markupsafe

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{ title }}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 980px;
  padding: 1.5rem; color: #1d2329; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d5dae0; }
.muted { color: #6a737d; } svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
{% for line in intro %}<p class="muted">{{ line }}</p>
{% endfor %}
{% for chart in charts %}
<section id="{{ chart.key }}">
<h2>{{ chart.title }}</h2>
{% if chart.svg %}{{ chart.svg }}{% else %}<p>No figures: {{ chart.missing }}</p>{% endif %}
{% if chart.note %}<p class="muted">{{ chart.note }}</p>{% endif %}
</section>
{% endfor %}
</body>
</html>
"""


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    svg: str = ""
    note: str = ""
    # Why there is no picture (the run did not measure it).
    missing: str = ""


def figure(width: float = 8.0, height: float = 3.6, columns: int = 1) -> Any:
    """A new matplotlib figure and its axes (`columns` of them), drawn off-screen."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "stardust"
    matplotlib.rcParams["svg.fonttype"] = "path"
    from matplotlib import pyplot

    return pyplot.subplots(1, columns, figsize=(width, height), layout="constrained")


def svg(fig: Any) -> str:
    """The figure as an `<svg>` element (no XML prolog), and the figure closed."""
    from matplotlib import pyplot

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    pyplot.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def page(title: str, intro: Sequence[str], charts: Sequence[Chart]) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    shown = [
        {"key": c.key, "title": c.title, "svg": markupsafe.Markup(c.svg), "note": c.note,
         "missing": c.missing}
        for c in charts
    ]  # fmt: skip
    return environment.from_string(PAGE).render(title=title, intro=intro, charts=shown)
