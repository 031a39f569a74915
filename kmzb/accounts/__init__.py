"""Police accounts: users (argon2 hashes) and login state (sessions, attempt throttle) on disk.
No HTTP here: the web layer (web.auth) uses them."""
