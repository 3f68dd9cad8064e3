/* invpnctl: the local commands (status, peers, routes, nodes) for people. */
#include "invpnctl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- sorting arrays of objects by their "mac" (absent last), then "address" ---- */

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return !a - !b;
	return strcmp(a, b);
}

static int cmp_entry(const void *pa, const void *pb)
{
	struct json_object *a = *(struct json_object *const *)pa;
	struct json_object *b = *(struct json_object *const *)pb;
	int r = cmp_str(ictl_get_str(a, "mac"), ictl_get_str(b, "mac"));

	return r ? r : cmp_str(ictl_get_str(a, "address"), ictl_get_str(b, "address"));
}

/* The entries of arr sorted; the caller frees the returned array (not the entries). */
static struct json_object **sorted(struct json_object *arr, size_t *n)
{
	struct json_object **v;

	*n = arr ? json_object_array_length(arr) : 0;
	v = calloc(*n ? *n : 1, sizeof(*v));
	if (!v) {
		ictl_err("out of memory");
		exit(ICTL_EXIT_FAIL);
	}
	for (size_t i = 0; i < *n; i++)
		v[i] = json_object_array_get_idx(arr, i);
	qsort(v, *n, sizeof(*v), cmp_entry);
	return v;
}

static void cell_u64(struct ictl_table *t, struct json_object *o, const char *key)
{
	uint64_t v;

	if (ictl_get_u64(o, key, &v))
		ictl_table_cellf(t, "%llu", (unsigned long long)v);
	else
		ictl_table_cell(t, NULL);
}

static void cell_bytes(struct ictl_table *t, struct json_object *o, const char *key)
{
	char buf[ICTL_FMT_LEN];
	uint64_t v;

	ictl_table_cell(t, ictl_get_u64(o, key, &v) ? ictl_fmt_bytes(v, buf) : NULL);
}

static void cell_age(struct ictl_table *t, struct json_object *o, const char *key)
{
	char buf[ICTL_FMT_LEN];
	uint64_t v;

	ictl_table_cell(t, ictl_get_u64(o, key, &v) ? ictl_fmt_age(v, buf) : NULL);
}

static void headers(struct ictl_table *t, const char *const *h)
{
	for (; *h; h++)
		ictl_table_cell(t, *h);
}

/*
 * The start of a list command: the reply as JSON, or its array sorted by MAC
 * into a table with these headers. NULL when nothing is left to do (JSON
 * printed, or the list is empty and said so).
 */
static struct ictl_table *begin_list(struct json_object *r, const struct ictl_opts *o,
				     const char *key, const char *empty, const char *align,
				     const char *const *h, struct json_object ***v, size_t *n)
{
	struct ictl_table *t;

	if (o->json) {
		ictl_print_json(r);
		return NULL;
	}
	*v = sorted(ictl_get_array(r, key), n);
	if (!*n) {
		puts(empty);
		free(*v);
		return NULL;
	}
	t = ictl_table_new(strlen(align), align);
	headers(t, h);
	return t;
}

/* ---- status ---- */

static uint64_t u64_or(struct json_object *o, const char *key, uint64_t dflt)
{
	uint64_t v;

	return ictl_get_u64(o, key, &v) ? v : dflt;
}

static void kv(struct ictl_table *t, const char *key, const char *value)
{
	ictl_table_cell(t, key);
	ictl_table_cell(t, value);
}

/* "2027-03-01 12:00 UTC (in 98 days)", with a warning inside 30 days. */
static const char *fmt_expiry(struct json_object *r, const char *key, char *buf, size_t len)
{
	uint64_t when;
	time_t t;
	struct tm tm;
	long long days;
	char date[32];

	if (!ictl_get_u64(r, key, &when) || when == 0)
		return NULL;
	t = (time_t)when;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	days = ((long long)when - (long long)time(NULL)) / 86400;
	if ((long long)when < (long long)time(NULL))
		snprintf(buf, len, "%s (EXPIRED)", date);
	else
		snprintf(buf, len, "%s (in %lld days%s)", date, days, days < 30 ? ", renew soon" : "");
	return buf;
}

int ictl_show_status(struct json_object *r, const struct ictl_opts *o)
{
	static const struct {
		const char *key, *label;
	} drops[] = {
		{"drop_foreign_src", "foreign source"}, {"drop_no_route", "no route"},
		{"drop_queue_full", "queue full"},      {"drop_duplicate", "duplicate"},
		{"drop_unknown_origin", "unknown origin"}, {"drop_tap_write", "TAP write failed"},
	};
	struct json_object *cnt = ictl_get(r, "counters");
	struct ictl_table *t;
	char buf[256], a[ICTL_FMT_LEN];
	size_t len = 0;
	uint64_t v;

	if (o->json) {
		ictl_print_json(r);
		return ICTL_EXIT_OK;
	}
	t = ictl_table_new(2, "ll");
	kv(t, "node:", ictl_get_str(r, "mac"));
	kv(t, "version:", ictl_get_str(r, "version"));
	kv(t, "interface:", ictl_get_str(r, "interface"));
	if (ictl_get_u64(r, "port", &v))
		snprintf(buf, sizeof(buf), "%llu (%s)", (unsigned long long)v,
			 ictl_get_bool(r, "listening", false) ? "listening" : "not listening");
	else
		buf[0] = '\0';
	kv(t, "port:", buf);
	kv(t, "uptime:", ictl_get_u64(r, "uptime_s", &v) ? ictl_fmt_age(v, a) : NULL);
	snprintf(buf, sizeof(buf), "%llu up, %llu pending (keeps %llu to %llu)",
		 (unsigned long long)u64_or(r, "links", 0),
		 (unsigned long long)u64_or(r, "links_pending", 0),
		 (unsigned long long)u64_or(r, "min_links", 0),
		 (unsigned long long)u64_or(r, "max_links", 0));
	kv(t, "links:", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u64_or(r, "routes", 0));
	kv(t, "routes:", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u64_or(r, "nodes", 0));
	kv(t, "known addresses:", buf);
	snprintf(buf, sizeof(buf), "%llu frames, %s",
		 (unsigned long long)u64_or(cnt, "tap_rx_frames", 0),
		 ictl_fmt_bytes(u64_or(cnt, "tap_rx_bytes", 0), a));
	kv(t, "from interface:", buf);
	snprintf(buf, sizeof(buf), "%llu frames, %s",
		 (unsigned long long)u64_or(cnt, "tap_tx_frames", 0),
		 ictl_fmt_bytes(u64_or(cnt, "tap_tx_bytes", 0), a));
	kv(t, "to interface:", buf);
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		v = u64_or(cnt, drops[i].key, 0);
		if (v && len < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%llu %s",
						len ? ", " : "", (unsigned long long)v,
						drops[i].label);
	}
	kv(t, "dropped frames:", len ? buf : "none");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u64_or(cnt, "bad_frames", 0));
	kv(t, "bad frames:", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u64_or(cnt, "links_refused", 0));
	kv(t, "refused links:", buf);
	kv(t, "certificate expires:", fmt_expiry(r, "cert_expires", buf, sizeof(buf)));
	kv(t, "CA expires:", fmt_expiry(r, "ca_expires", buf, sizeof(buf)));
	ictl_table_print(t, stdout);
	return ICTL_EXIT_OK;
}

/* ---- peers ---- */

int ictl_show_peers(struct json_object *r, const struct ictl_opts *o)
{
	static const char *const h[] = {"PEER",      "ADDRESS",  "DIR",       "STATE",
					"AGE",       "TLS",      "CIPHER",    "RX FRAMES",
					"RX BYTES",  "TX FRAMES", "TX BYTES", "DROPS",
					"QUEUED",    NULL};
	struct json_object **v;
	struct ictl_table *t;
	size_t n;

	t = begin_list(r, o, "peers", "no links", "lllllllrrrrrr", h, &v, &n);
	if (!t)
		return ICTL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		const char *dir = ictl_get_str(v[i], "direction");

		ictl_table_cell(t, ictl_get_str(v[i], "mac"));
		ictl_table_cell(t, ictl_get_str(v[i], "address"));
		ictl_table_cell(t, !dir ? NULL : !strcmp(dir, "outgoing") ? "out" : "in");
		ictl_table_cell(t, ictl_get_str(v[i], "state"));
		cell_age(t, v[i], "age_s");
		ictl_table_cell(t, ictl_get_str(v[i], "tls_version"));
		ictl_table_cell(t, ictl_get_str(v[i], "cipher"));
		cell_u64(t, v[i], "rx_frames");
		cell_bytes(t, v[i], "rx_bytes");
		cell_u64(t, v[i], "tx_frames");
		cell_bytes(t, v[i], "tx_bytes");
		cell_u64(t, v[i], "drops");
		cell_bytes(t, v[i], "queued_bytes");
	}
	ictl_table_print(t, stdout);
	free(v);
	return ICTL_EXIT_OK;
}

/* ---- routes ---- */

int ictl_show_routes(struct json_object *r, const struct ictl_opts *o)
{
	static const char *const h[] = {"DESTINATION", "NEXT HOP", "NEXT HOP ADDRESS",
					"AGE",         "UPDATED",  NULL};
	struct json_object **v;
	struct ictl_table *t;
	size_t n;

	t = begin_list(r, o, "routes", "no routes", "lllrr", h, &v, &n);
	if (!t)
		return ICTL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		char buf[ICTL_FMT_LEN];
		uint64_t s;

		ictl_table_cell(t, ictl_get_str(v[i], "mac"));
		ictl_table_cell(t, ictl_get_str(v[i], "via"));
		ictl_table_cell(t, ictl_get_str(v[i], "via_address"));
		cell_age(t, v[i], "age_s");
		if (ictl_get_u64(v[i], "updated_s", &s))
			ictl_table_cellf(t, "%s ago", ictl_fmt_age(s, buf));
		else
			ictl_table_cell(t, NULL);
	}
	ictl_table_print(t, stdout);
	free(v);
	return ICTL_EXIT_OK;
}

/* ---- nodes ---- */

/* Every source an address was learned from ("mdns,mesh"), or the one "source". */
static void cell_sources(struct ictl_table *t, struct json_object *node)
{
	struct json_object *a = ictl_get_array(node, "sources");
	char buf[64] = "";
	size_t len = 0;

	for (size_t i = 0; a && i < json_object_array_length(a) && len < sizeof(buf); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "," : "",
					s ? s : "?");
	}
	ictl_table_cell(t, len ? buf : ictl_get_str(node, "source"));
}

int ictl_show_nodes(struct json_object *r, const struct ictl_opts *o)
{
	static const char *const h[] = {"NODE",         "ADDRESS", "LEARNED FROM", "FAILS",
					"LAST SUCCESS", "RETRY",   NULL};
	uint64_t now = (uint64_t)time(NULL);
	struct json_object **v;
	struct ictl_table *t;
	size_t n;

	t = begin_list(r, o, "nodes", "no known nodes", "lllrrr", h, &v, &n);
	if (!t)
		return ICTL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		char buf[ICTL_FMT_LEN];
		uint64_t s;

		ictl_table_cell(t, ictl_get_str(v[i], "mac"));
		ictl_table_cell(t, ictl_get_str(v[i], "address"));
		cell_sources(t, v[i]);
		cell_u64(t, v[i], "fails");
		if (ictl_get_u64(v[i], "last_success", &s))
			ictl_table_cellf(t, "%s ago", ictl_fmt_age(now > s ? now - s : 0, buf));
		else
			ictl_table_cell(t, NULL);
		if (ictl_get_bool(v[i], "dialing", false))
			ictl_table_cell(t, "dialing");
		else if (ictl_get_u64(v[i], "retry_in_s", &s) && s)
			ictl_table_cellf(t, "in %s", ictl_fmt_age(s, buf));
		else
			ictl_table_cell(t, NULL);
	}
	ictl_table_print(t, stdout);
	free(v);
	return ICTL_EXIT_OK;
}
