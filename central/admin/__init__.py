"""Server-rendered admin pages for county staff (Chinese first, English second)."""
