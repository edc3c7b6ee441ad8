/* SPDX-License-Identifier: Apache-2.0 */
/* html.c: escaping, the page head and JSON tables for the readable reports. */
#include "html.h"

void pv_html_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

void pv_html_head(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<title>", out);
	pv_html_text(out, title);
	fputs("</title>\n"
	      "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
	      "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;"
	      "text-align:left;vertical-align:top}</style></head><body>\n", out);
}

/* A JSON scalar as table text: strings as they are, integers in decimal, yes/no. */
static const char *cell_text(json_t *x, char *num, size_t cap)
{
	if (json_is_integer(x)) {
		snprintf(num, cap, "%lld", (long long)json_integer_value(x));
		return num;
	}
	if (json_is_boolean(x))
		return json_is_true(x) ? "yes" : "no";
	return json_is_string(x) ? json_string_value(x) : "";
}

void pv_html_table(FILE *out, const char *title, json_t *rows, const char *const *cols)
{
	fputs("<h2>", out);
	pv_html_text(out, title);
	fputs("</h2>\n", out);
	if (!json_array_size(rows)) {
		fputs("<p>None.</p>\n", out);
		return;
	}
	fputs("<table>\n<tr>", out);
	for (const char *const *c = cols; *c; c++) {
		fputs("<th>", out);
		pv_html_text(out, *c);
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		fputs("<tr>", out);
		for (const char *const *c = cols; *c; c++) {
			char num[32];
			fputs("<td>", out);
			pv_html_text(out, cell_text(json_object_get(row, *c), num, sizeof num));
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}
