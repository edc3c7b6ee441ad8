/* SPDX-License-Identifier: Apache-2.0 */
/* html.h: the small pieces the readable reports (access reply, impact assessment) are
 * written with: escaping, a page head, and a table of JSON objects. */
#ifndef PV_HTML_H
#define PV_HTML_H

#include <jansson.h>
#include <stdio.h>

/* Write s with <, >, & and " escaped. */
void pv_html_text(FILE *out, const char *s);

/* The document head with title (escaped) and the shared style, up to <body>. */
void pv_html_head(FILE *out, const char *title);

/* A heading (escaped) and a table: one column per name in cols (NULL-terminated), one row
 * per object of rows (strings, integers, booleans as yes/no); "None." when empty. */
void pv_html_table(FILE *out, const char *title, json_t *rows, const char *const *cols);

#endif
