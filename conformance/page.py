"""The one look of every page the project writes: `templates/page.html.j2` (C74).

`report.html` (a server's conformance run), `exam.html` (a client's exam) and the client
verdict's page all extend this base: its Content-Security-Policy, its CSS, its header. Each
package keeps its own templates; this environment finds theirs first, then the base. Pure:
Jinja2 only, so `clientjudge` and the mock (the light install, without Schemathesis) render
with it as the suite does.
"""

from __future__ import annotations

from functools import cache

import jinja2

BASE = "page.html.j2"


@cache
def environment(package: str) -> jinja2.Environment:
    """Templates of `package` (its `templates/` folder), with the shared base behind them.

    Autoescaped: a server's answer and a client's query go into these pages."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader(package, "templates")]
    if package != "conformance":
        loaders.append(jinja2.PackageLoader("conformance", "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
