"""What the core needs from a request, handed over as arguments: the data gateway scoped to this
request (one snapshot, each aggregate once) and the request's audience."""

from __future__ import annotations

from flask import current_app, g, has_request_context

PUBLIC, POLICE = "public", "police"


def gateway():
    """The app's gateway bound to a memo that lives as long as this request."""
    gw = current_app.extensions["kmzb_gateway"]
    if not has_request_context():
        return gw
    scoped = g.get("_kmzb_gateway")
    if scoped is None:
        scoped = g._kmzb_gateway = gw.scoped({})
    return scoped


def audience() -> str:
    """'police' for a logged-in police user of this request, else 'public' (also when there is
    no request or no login manager: the safe answer)."""
    from web.auth import audience as login_audience

    try:
        return login_audience()
    except Exception:
        return PUBLIC
