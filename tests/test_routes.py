"""The route table (web.routes) is the server's: every route answered is listed, with its methods,
and every listed one exists."""

from __future__ import annotations

from web.routes import ROUTES


def test_every_route_is_in_the_table(settings):
    from app import create_app

    server = create_app(settings).server
    served = {(r.rule, ", ".join(sorted(r.methods - {"HEAD", "OPTIONS"}))) for r in server.url_map.iter_rules()}
    listed = {(r.rule, r.methods) for r in ROUTES}
    assert served - listed == set(), "routes served but not in web/routes.py"
    assert listed - served == set(), "routes listed in web/routes.py but not served"
    assert len(listed) == len(ROUTES)  # each once
