"""The web layer: Flask routes (API, login), sessions, security headers, rate limits and the
request's audience. The core (kmzb) knows nothing of it."""
