/* invpnctl: JSON access, human units and aligned tables. */
#include "invpnctl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void ictl_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("invpnctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		ictl_err("out of memory");
		exit(ICTL_EXIT_FAIL);
	}
	return p;
}

/* ---- JSON ---- */

struct json_object *ictl_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *ictl_get_str(struct json_object *o, const char *key)
{
	struct json_object *v = ictl_get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool ictl_get_u64(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v = ictl_get(o, key);

	if (!v || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

bool ictl_get_double(struct json_object *o, const char *key, double *out)
{
	struct json_object *v = ictl_get(o, key);

	if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

bool ictl_get_bool(struct json_object *o, const char *key, bool dflt)
{
	struct json_object *v = ictl_get(o, key);

	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : dflt;
}

struct json_object *ictl_get_array(struct json_object *o, const char *key)
{
	struct json_object *v = ictl_get(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

void ictl_print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---- units ---- */

char *ictl_fmt_age(uint64_t s, char buf[ICTL_FMT_LEN])
{
	if (s < 60)
		snprintf(buf, ICTL_FMT_LEN, "%us", (unsigned)s);
	else if (s < 3600)
		snprintf(buf, ICTL_FMT_LEN, "%um%us", (unsigned)(s / 60), (unsigned)(s % 60));
	else if (s < 86400)
		snprintf(buf, ICTL_FMT_LEN, "%uh%um", (unsigned)(s / 3600), (unsigned)(s % 3600 / 60));
	else
		snprintf(buf, ICTL_FMT_LEN, "%llud%uh", (unsigned long long)(s / 86400),
			 (unsigned)(s % 86400 / 3600));
	return buf;
}

char *ictl_fmt_bytes(uint64_t n, char buf[ICTL_FMT_LEN])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, ICTL_FMT_LEN, "%u B", (unsigned)n);
		return buf;
	}
	v /= 1024;
	while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, ICTL_FMT_LEN, "%.1f %s", v, units[u]);
	return buf;
}

char *ictl_fmt_seconds(unsigned ms, char buf[ICTL_FMT_LEN])
{
	snprintf(buf, ICTL_FMT_LEN, "%g", ms / 1000.0);
	return buf;
}

char *ictl_fmt_rtt(double ms, char buf[ICTL_FMT_LEN])
{
	snprintf(buf, ICTL_FMT_LEN, ms < 10 ? "%.3f ms" : "%.1f ms", ms);
	return buf;
}

/* ---- tables ---- */

struct ictl_table {
	size_t ncols;
	char *align;
	char **cells; /* row-major; a row is complete every ncols cells */
	size_t n, cap;
};

struct ictl_table *ictl_table_new(size_t ncols, const char *align)
{
	struct ictl_table *t = xrealloc(NULL, sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->align = strdup(align);
	if (!t->align) {
		ictl_err("out of memory");
		exit(ICTL_EXIT_FAIL);
	}
	return t;
}

void ictl_table_cell(struct ictl_table *t, const char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	t->cells[t->n] = strdup(s && *s ? s : "-");
	if (!t->cells[t->n]) {
		ictl_err("out of memory");
		exit(ICTL_EXIT_FAIL);
	}
	t->n++;
}

void ictl_table_cellf(struct ictl_table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ictl_table_cell(t, buf);
}

/* display width: UTF-8 continuation bytes take no column */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

void ictl_table_print(struct ictl_table *t, FILE *f)
{
	size_t *w = xrealloc(NULL, t->ncols * sizeof(*w));

	memset(w, 0, t->ncols * sizeof(*w));
	for (size_t i = 0; i < t->n; i++) {
		size_t cw = width(t->cells[i]);

		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t col = i % t->ncols, pad = w[col] - width(t->cells[i]);
		bool last = col == t->ncols - 1 || i == t->n - 1;

		if (t->align[col] == 'r')
			fprintf(f, "%*s", (int)pad, "");
		fputs(t->cells[i], f);
		if (!last && t->align[col] != 'r')
			fprintf(f, "%*s", (int)pad, "");
		fputs(last ? "\n" : "  ", f);
		free(t->cells[i]);
	}
	free(w);
	free(t->cells);
	free(t->align);
	free(t);
}
