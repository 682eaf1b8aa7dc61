"""Signed A/B updates of the station (issue 14). Layout under `[update] root`:

    root.json                 pinned TUF root (provisioning)
    tuf/                      trusted TUF metadata (python-tuf keeps it)
    wheels/                   verified wheels, reused by later releases (same sha256)
    releases/<version>/       one virtualenv per release; `.complete` written last
    current -> releases/V     what the systemd unit starts (swapped with rename(2))
    previous -> releases/U    kept for rollback
    state.json                pending switch, start times, failures (kiosk/update/state.py)
    health/<version>.<event>  markers the running release writes: first_frame, sync_ok
    health/activity.json      visit on / last touch, for the install window
    (health/ is the only folder the app itself writes; the rest is the updater's)

Nothing here imports screens/ or devices/.
"""
