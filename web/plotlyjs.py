"""plotly.js for the dashboard's charts: the cartesian partial bundle instead of the full one.

The dashboard draws only bar, scatter and heatmap traces; the full plotly.js is 4.8 MB to download,
parse and compile on every first visit, the cartesian bundle 1.5 MB (web/static/vendor/README.md).
Dash's renderer points dcc.Graph at PLOTLY_URL when it needs plotly.js; the route below answers that
URL with the vendored bundle (werkzeug matches a rule without converters before Dash's
`/_dash-component-suites/<package>/<path>`). Only while the vendored bundle is the version the
installed `plotly` package ships (the figures' JSON is written for that version); otherwise Dash's
own full bundle is served and a warning logged.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from flask import Flask, send_from_directory

log = logging.getLogger(__name__)

VENDOR = Path(__file__).parent / "static" / "vendor"
BUNDLE = "plotly-cartesian.min.js"
PLOTLY_URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"
TRACES = ("bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image", "pie",
          "scatter", "scatterternary", "violin")


def bundle_version(path: Path = VENDOR / BUNDLE) -> str | None:
    try:
        head = path.read_bytes()[:300].decode("ascii", "replace")
    except OSError:
        return None
    m = re.search(r"plotly\.js \(cartesian[^)]*\) v(\S+)", head)
    return m.group(1) if m else None


def init_plotlyjs(server: Flask) -> bool:
    """Serve the cartesian bundle at Dash's plotly.js URL; False (and Dash's full bundle) when the
    versions differ."""
    from plotly.offline import get_plotlyjs_version

    have, want = bundle_version(), get_plotlyjs_version()
    if have != want:
        log.warning("vendored plotly.js cartesian bundle is %s, the plotly package ships %s: serving the full "
                    "bundle (see web/static/vendor/README.md)", have, want)
        return False

    @server.get(PLOTLY_URL)
    def plotly_cartesian():
        return send_from_directory(VENDOR, BUNDLE, mimetype="text/javascript", max_age=86400)
    return True
