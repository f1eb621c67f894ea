"""The utility's civil time zone. Querétaro keeps central time without daylight saving (Mexico since 2022), which
the IANA zone America/Mexico_City encodes; billing periods, due dates, SPEI value dates and ARCO terms are all
counted in it. This is the only place the zone is named."""

from __future__ import annotations

from zoneinfo import ZoneInfo

UTILITY_TZ_NAME = "America/Mexico_City"
UTILITY_TZ = ZoneInfo(UTILITY_TZ_NAME)
