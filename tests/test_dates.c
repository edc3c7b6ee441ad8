/* SPDX-License-Identifier: Apache-2.0 */
/* test_dates.c: calendar arithmetic (dates.c) against a table of cases worked out by
 * hand: month ends, leap years (every 4, not every 100, every 400), days carried over
 * month and year ends, timestamps as input, and what must not parse; the library's
 * printed times back as Unix seconds (pv_time_unix). */
#include "testutil.h"

#include "dates.h"
#include "pivault.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct add_case {
	const char *date;
	unsigned years, months, days;
	const char *want; /* NULL: refused */
};

static const struct add_case add_cases[] = {
	{ "2025-01-31", 0, 1, 0, "2025-02-28" },   /* 31 Jan + 1 month, common year */
	{ "2024-01-31", 0, 1, 0, "2024-02-29" },   /* ... leap year */
	{ "2024-02-29", 0, 12, 0, "2025-02-28" },  /* 29 Feb + 12 months */
	{ "2024-02-29", 1, 0, 0, "2025-02-28" },   /* ... + 1 year */
	{ "2024-02-29", 4, 0, 0, "2028-02-29" },
	{ "2023-03-31", 0, 1, 0, "2023-04-30" },   /* into a 30-day month */
	{ "2023-12-31", 0, 1, 0, "2024-01-31" },   /* over the year's end */
	{ "2023-11-30", 0, 3, 0, "2024-02-29" },
	{ "2100-01-31", 0, 1, 0, "2100-02-28" },   /* every 100 years: not leap */
	{ "2000-01-31", 0, 1, 0, "2000-02-29" },   /* every 400 years: leap */
	{ "1900-02-28", 0, 0, 1, "1900-03-01" },
	{ "2024-12-31", 0, 0, 1, "2025-01-01" },
	{ "2024-02-28", 0, 0, 1, "2024-02-29" },
	{ "2023-02-28", 0, 0, 1, "2023-03-01" },
	{ "2024-01-31", 0, 1, 1, "2024-03-01" },   /* the month first (clamped), then the day */
	{ "2024-05-15", 0, 0, 0, "2024-05-15" },
	{ "2024-01-15", 0, 25, 0, "2026-02-15" },
	{ "2024-01-01", 0, 0, 366, "2025-01-01" }, /* a leap year's days */
	{ "2023-01-01", 0, 0, 365, "2024-01-01" },
	{ "2024-08-31", 2, 6, 0, "2027-02-28" },   /* years and months together */
	{ "2024-03-10T08:00:00Z", 0, 0, 1, "2024-03-11" }, /* a timestamp: its date */
	{ "2024-03-10 23:59", 0, 0, 1, "2024-03-11" },
	{ "2024-02-30", 0, 0, 0, NULL },
	{ "2023-02-29", 0, 0, 0, NULL },
	{ "2024-13-01", 0, 0, 0, NULL },
	{ "2024-00-10", 0, 0, 0, NULL },
	{ "2024-1-15", 0, 0, 0, NULL },
	{ "24-01-15", 0, 0, 0, NULL },
	{ "2024-01-15x", 0, 0, 0, NULL },
	{ "", 0, 0, 0, NULL },
};

static void test_date_add_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof add_cases / sizeof *add_cases; i++) {
		const struct add_case *c = &add_cases[i];
		char out[11] = "";
		int rc = pv_date_add(c->date, c->years, c->months, c->days, out);
		if (!c->want && rc != -1)
			fail_msg("%s: refused expected, got %s", c->date, out);
		if (c->want && (rc != 0 || strcmp(out, c->want) != 0))
			fail_msg("%s + %uy %um %ud: %s, want %s", c->date, c->years, c->months,
				 c->days, rc ? "refused" : out, c->want);
	}
	assert_int_equal(pv_date_add(NULL, 0, 0, 0, (char[11]){ 0 }), -1);
}

static void test_day_numbers(void **state)
{
	(void)state;
	assert_int_equal(pv_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(pv_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(pv_days_from_civil(2000, 3, 1), 11017); /* 10957 + 31 + 29 */
	assert_int_equal(pv_days_from_civil(2038, 1, 19), 24855);
	int y, m, d;
	pv_civil_from_days(11016, &y, &m, &d);
	assert_true(y == 2000 && m == 2 && d == 29);
	pv_civil_from_days(-1, &y, &m, &d);
	assert_true(y == 1969 && m == 12 && d == 31);
	/* every day of four centuries there and back */
	long from = pv_days_from_civil(1900, 1, 1), to = pv_days_from_civil(2300, 1, 1);
	for (long z = from; z < to; z++) {
		pv_civil_from_days(z, &y, &m, &d);
		if (pv_days_from_civil(y, m, d) != z)
			fail_msg("day %ld: %04d-%02d-%02d does not come back", z, y, m, d);
	}
	assert_int_equal(to - from, 400 * 365 + 97); /* 97 leap days in 400 years */
}

/* pv_time_unix: the times and dates the library prints, as Unix seconds; anything else
 * -1. */
static void test_time_unix(void **state)
{
	(void)state;
	assert_int_equal(pv_time_unix("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(pv_time_unix("2026-12-07T08:15:00Z"), 1796631300);
	assert_int_equal(pv_time_unix("2026-12-07"), 1796601600);
	char iso[32];
	time_t now = time(NULL);
	pv_time_iso(iso, sizeof iso, now);
	assert_int_equal(pv_time_unix(iso), (int64_t)now);
	const char *bad[] = { NULL, "", "2026-12-07T08:15:00", "2026-12-07T08:15Z",
			      "2026-12-07T25:00:00Z", "2026-02-30", "2026-12-07T08:15:00Zx",
			      "2026-12-07 08:15:00Z" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(pv_time_unix(bad[i]), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_add_table),
		cmocka_unit_test(test_day_numbers),
		cmocka_unit_test(test_time_unix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
