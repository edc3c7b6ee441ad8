/* SPDX-License-Identifier: Apache-2.0 */
/* dates.h: calendar arithmetic on YYYY-MM-DD dates (proleptic Gregorian, no time zones):
 * adding years, months and days with the end of the month kept in range (a year after
 * 2024-02-29 is 2025-02-28), and today's date in UTC. */
#ifndef PV_DATES_H
#define PV_DATES_H

#include <stddef.h>
#include <time.h>

/* Days since 1970-01-01 of y-m-d, and the date of such a day number. */
long pv_days_from_civil(int y, int m, int d);
void pv_civil_from_days(long z, int *y, int *m, int *d);

/* Parse the leading YYYY-MM-DD of s: a date, or an ISO 8601 timestamp (T or a space
 * after the date); 0, or -1 for anything else. */
int pv_date_parse(const char *s, int *y, int *m, int *d);

/* date + years, months (the day clamped to the month's last) + days, as YYYY-MM-DD into
 * out (11 bytes); 0, or -1 when date does not parse. */
int pv_date_add(const char *date, unsigned years, unsigned months, unsigned days, char out[11]);

/* Today in UTC as YYYY-MM-DD, plus n days. */
void pv_date_today(int n, char out[11]);

/* t, or now, in UTC as YYYY-MM-DDTHH:MM:SSZ (out: 21 bytes at least). */
void pv_time_iso(char *out, size_t n, time_t t);
void pv_time_now(char *out, size_t n);

#endif
