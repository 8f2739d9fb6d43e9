"""Public site: calendar, map, commune and visit pages, iCalendar feeds of the published tour."""
