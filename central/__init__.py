"""Reference central job API for gig stations, with admin pages for county staff.

Shares nothing with `kiosk/` but the HTTP contract (see central/README.md).
"""
