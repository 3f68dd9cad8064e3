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

	if (!v ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
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

static void indent(FILE *f, int depth)
{
	fprintf(f, "%*s", 2 * depth, "");
}

static void put_scalar(FILE *f, struct json_object *v)
{
	fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
}

/*
 * json-c's own pretty printer, but an empty array or object is "[]" or "{}":
 * json-c writes "[\n  ]", which reads as if something were missing.
 */
static void put_json(FILE *f, struct json_object *v, int depth)
{
	size_t n, i = 0;

	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		if (!n) {
			fputs("[]", f);
			return;
		}
		fputs("[\n", f);
		for (i = 0; i < n; i++) {
			indent(f, depth + 1);
			put_json(f, json_object_array_get_idx(v, i), depth + 1);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
		indent(f, depth);
		fputc(']', f);
	} else if (json_object_is_type(v, json_type_object)) {
		n = (size_t)json_object_object_length(v);
		if (!n) {
			fputs("{}", f);
			return;
		}
		fputs("{\n", f);
		/* the iterator, not json_object_object_foreach: that is a GNU statement expression */
		for (struct json_object_iterator it = json_object_iter_begin(v),
						 end = json_object_iter_end(v);
		     !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			struct json_object *k =
				json_object_new_string(json_object_iter_peek_name(&it));

			indent(f, depth + 1);
			put_scalar(f, k);
			json_object_put(k);
			fputs(": ", f);
			put_json(f, json_object_iter_peek_value(&it), depth + 1);
			fputs(++i < n ? ",\n" : "\n", f);
		}
		indent(f, depth);
		fputc('}', f);
	} else {
		/* NULL (json null) included: json-c prints it as "null" */
		put_scalar(f, v);
	}
}

void ictl_write_json(FILE *f, struct json_object *obj)
{
	put_json(f, obj, 0);
	fputc('\n', f);
}

void ictl_print_json(struct json_object *obj)
{
	ictl_write_json(stdout, obj);
}

/* ---- units ---- */

char *ictl_fmt_age(uint64_t s, char buf[ICTL_FMT_LEN])
{
	if (s < 60)
		snprintf(buf, ICTL_FMT_LEN, "%us", (unsigned)s);
	else if (s < 3600)
		snprintf(buf, ICTL_FMT_LEN, "%um%us", (unsigned)(s / 60), (unsigned)(s % 60));
	else if (s < 86400)
		snprintf(buf, ICTL_FMT_LEN, "%uh%um", (unsigned)(s / 3600),
			 (unsigned)(s % 3600 / 60));
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
	unsigned *drop_rank; /* per column: 0 = always shown, else dropped in this order */
	size_t wrap_col;     /* the column that may wrap; ncols: none */
	char **cells;	     /* row-major; a row is complete every ncols cells */
	size_t n, cap;
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		ictl_err("out of memory");
		exit(ICTL_EXIT_FAIL);
	}
	return p;
}

struct ictl_table *ictl_table_new(size_t ncols, const char *align)
{
	struct ictl_table *t = xrealloc(NULL, sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->align = xstrdup(align);
	t->drop_rank = xrealloc(NULL, ncols * sizeof(*t->drop_rank));
	memset(t->drop_rank, 0, ncols * sizeof(*t->drop_rank));
	t->wrap_col = ncols;
	return t;
}

void ictl_table_optional(struct ictl_table *t, size_t col, unsigned rank)
{
	if (col < t->ncols)
		t->drop_rank[col] = rank;
}

void ictl_table_wrap(struct ictl_table *t, size_t col)
{
	t->wrap_col = col < t->ncols ? col : t->ncols;
}

static void add_cell(struct ictl_table *t, const char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof(*t->cells));
	}
	t->cells[t->n++] = xstrdup(s);
}

void ictl_table_cell(struct ictl_table *t, const char *s)
{
	add_cell(t, s && *s ? s : "-");
}

void ictl_table_blank(struct ictl_table *t)
{
	add_cell(t, "");
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

/* The bytes of s that fill at most w columns. */
static size_t bytes_for(const char *s, size_t w)
{
	size_t i = 0, cols = 0;

	while (s[i]) {
		size_t j = i + 1;

		while (((unsigned char)s[j] & 0xc0) == 0x80)
			j++;
		if (cols + 1 > w)
			break;
		cols++;
		i = j;
	}
	return i;
}

/*
 * The length of the first line of s in at most w columns, and where the next
 * line starts: after ", " or a space if there is one in reach (the comma stays
 * on the line), else a hard cut.
 */
static size_t wrap_line(const char *s, size_t w, size_t *next)
{
	size_t fit = bytes_for(s, w), cut = 0, comma = 0;

	if (!s[fit]) {
		*next = fit;
		return fit;
	}
	/* the last space the line may end before; better one after a comma (a list) */
	for (size_t i = 1; i <= fit; i++) {
		if (s[i] != ' ')
			continue;
		cut = i;
		if (s[i - 1] == ',')
			comma = i;
	}
	if (comma && comma >= fit / 2)
		cut = comma;
	if (!cut) {
		*next = fit ? fit : bytes_for(s, 1);
		return *next;
	}
	*next = cut;
	while (s[*next] == ' ')
		(*next)++;
	return cut;
}

/* The columns' widths when shown; false if it does not fit max (0: any width). */
static bool layout(const struct ictl_table *t, const size_t *w, const bool *shown, size_t max,
		   size_t *wrap_w)
{
	size_t total = 0, k = 0;

	for (size_t c = 0; c < t->ncols; c++) {
		if (!shown[c])
			continue;
		total += w[c] + (k++ ? 2 : 0);
	}
	*wrap_w = t->wrap_col < t->ncols ? w[t->wrap_col] : 0;
	if (!max || total <= max)
		return true;
	if (t->wrap_col < t->ncols && shown[t->wrap_col] &&
	    total - w[t->wrap_col] + ICTL_WRAP_MIN <= max) {
		*wrap_w = max - (total - w[t->wrap_col]);
		return true;
	}
	return false;
}

/* One printed line: cells (NULL: blank) of the shown columns, padded. */
static void print_line(const struct ictl_table *t, FILE *f, const size_t *w, const bool *shown,
		       const char *const *cell, const size_t *len)
{
	size_t last = 0, pending = 0;

	for (size_t c = 0; c < t->ncols; c++) {
		if (shown[c] && len[c])
			last = c;
	}
	for (size_t c = 0, k = 0; c <= last; c++) {
		size_t cw, pad;
		char *piece;

		if (!shown[c])
			continue;
		if (k++)
			pending += 2;
		piece = xrealloc(NULL, len[c] + 1);
		memcpy(piece, cell[c], len[c]);
		piece[len[c]] = '\0';
		cw = width(piece);
		pad = w[c] > cw ? w[c] - cw : 0;
		if (t->align[c] == 'r')
			pending += pad;
		/* padding is written only before text: no trailing blanks */
		if (len[c]) {
			fprintf(f, "%*s%s", (int)pending, "", piece);
			pending = 0;
		}
		if (t->align[c] != 'r')
			pending += pad;
		free(piece);
	}
	fputc('\n', f);
}

void ictl_table_print(struct ictl_table *t, FILE *f, size_t max)
{
	size_t nc = t->ncols, wrap_w = 0, nrows = nc ? t->n / nc : 0;
	size_t *w = xrealloc(NULL, nc * sizeof(*w)), *len = xrealloc(NULL, nc * sizeof(*len));
	bool *shown = xrealloc(NULL, nc * sizeof(*shown));
	const char **cell = xrealloc(NULL, nc * sizeof(*cell));

	memset(w, 0, nc * sizeof(*w));
	for (size_t i = 0; i < nrows * nc; i++) {
		size_t cw = width(t->cells[i]);

		if (cw > w[i % nc])
			w[i % nc] = cw;
	}
	for (size_t c = 0; c < nc; c++)
		shown[c] = true;
	/* leave out optional columns, lowest rank first, until the rest fits */
	while (!layout(t, w, shown, max, &wrap_w)) {
		size_t drop = nc;

		for (size_t c = 0; c < nc; c++) {
			if (shown[c] && t->drop_rank[c] &&
			    (drop == nc || t->drop_rank[c] < t->drop_rank[drop]))
				drop = c;
		}
		if (drop == nc)
			break; /* what is left is needed: wider than max, then */
		shown[drop] = false;
	}
	if (t->wrap_col < nc)
		w[t->wrap_col] = wrap_w;

	for (size_t r = 0; r < nrows; r++) {
		char **row = t->cells + r * nc;
		const char *rest = NULL;

		for (size_t c = 0; c < nc; c++) {
			cell[c] = row[c];
			len[c] = strlen(row[c]);
		}
		if (t->wrap_col < nc && shown[t->wrap_col] && wrap_w) {
			size_t next;

			len[t->wrap_col] = wrap_line(row[t->wrap_col], wrap_w, &next);
			rest = row[t->wrap_col] + next;
		}
		print_line(t, f, w, shown, cell, len);
		/* continuation lines: the wrapped column alone, in its place */
		while (rest && *rest) {
			size_t next;

			for (size_t c = 0; c < nc; c++) {
				cell[c] = "";
				len[c] = 0;
			}
			cell[t->wrap_col] = rest;
			len[t->wrap_col] = wrap_line(rest, wrap_w, &next);
			rest += next;
			print_line(t, f, w, shown, cell, len);
		}
	}
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(cell);
	free(shown);
	free(len);
	free(w);
	free(t->cells);
	free(t->drop_rank);
	free(t->align);
	free(t);
}
