/* SPDX-License-Identifier: Apache-2.0 */
/* dates.c: calendar arithmetic for deadlines and retention (see dates.h). */
#include "dates.h"
#include "pivault.h"
#include "validate.h"

#include <stdio.h>
#include <time.h>

long pv_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void pv_civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int pv_date_parse(const char *s, int *y, int *m, int *d)
{
	if (!s)
		return -1;
	/* exactly four, two and two digits: sscanf alone would take "2022-1-150" */
	for (int i = 0; i < 10; i++) {
		int dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return -1;
	}
	if (s[10] && s[10] != 'T' && s[10] != ' ')
		return -1;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	return pv_date_valid(*y, *m, *d) ? 0 : -1;
}

static void format(int y, int m, int d, char out[11])
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 13u,
		 (unsigned)d % 32u);
}

int pv_date_add(const char *date, unsigned years, unsigned months, unsigned days, char out[11])
{
	int y, m, d;
	if (pv_date_parse(date, &y, &m, &d) != 0)
		return -1;
	long total = (long)(m - 1) + (long)months;
	y += (int)years + (int)(total / 12);
	m = (int)(total % 12) + 1;
	while (d > 28 && !pv_date_valid(y, m, d)) /* 31 Jan + 1 month: 28 or 29 Feb */
		d--;
	pv_civil_from_days(pv_days_from_civil(y, m, d) + (long)days, &y, &m, &d);
	format(y, m, d, out);
	return 0;
}

void pv_date_today(int n, char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	int y, m, d;
	pv_civil_from_days(pv_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) + n,
			   &y, &m, &d);
	format(y, m, d, out);
}

void pv_time_iso(char *out, size_t n, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void pv_time_now(char *out, size_t n)
{
	pv_time_iso(out, n, time(NULL));
}

int64_t pv_time_unix(const char *text)
{
	int y, m, d, hh = 0, mm = 0, ss = 0;
	if (pv_date_parse(text, &y, &m, &d) != 0)
		return -1;
	if (text[10] != '\0') {
		char z = 0;
		if (text[10] != 'T' || sscanf(text + 11, "%2d:%2d:%2d%c", &hh, &mm, &ss, &z) != 4 ||
		    z != 'Z' || text[20] != '\0' || hh > 23 || mm > 59 || ss > 60)
			return -1;
	}
	return (int64_t)pv_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}
