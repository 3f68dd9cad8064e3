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

/* ---- columns ---- */

/*
 * A list table's columns. A table shows the columns that are not wide_only,
 * and leaves out those with a drop rank (lowest first) when a line would
 * be wider than ICTL_WIDTH; --wide shows every column and never leaves one
 * out.
 */
struct column {
	const char *head;
	char align;
	unsigned drop_rank;
	bool wide_only;
};

#define CELL_LEN 96

static const char *fmt_u64(struct json_object *o, const char *key, char buf[CELL_LEN])
{
	uint64_t v;

	if (!ictl_get_u64(o, key, &v))
		return NULL;
	snprintf(buf, CELL_LEN, "%llu", (unsigned long long)v);
	return buf;
}

static const char *fmt_bytes(struct json_object *o, const char *key, char buf[CELL_LEN])
{
	uint64_t v;

	return ictl_get_u64(o, key, &v) ? ictl_fmt_bytes(v, buf) : NULL;
}

static const char *fmt_age(struct json_object *o, const char *key, char buf[CELL_LEN])
{
	uint64_t v;

	return ictl_get_u64(o, key, &v) ? ictl_fmt_age(v, buf) : NULL;
}

/* Add one row: cells[i] for every column the table shows. */
static void add_row(struct ictl_table *t, const struct column *cols, size_t n, bool wide,
		    const char *const *cells)
{
	for (size_t i = 0; i < n; i++) {
		if (wide || !cols[i].wide_only)
			ictl_table_cell(t, cells[i]);
	}
}

/*
 * The start of a list command: the reply as JSON, or its array sorted by MAC
 * into a table with these columns' headers. NULL when nothing is left to do
 * (JSON printed, or the list is empty and said so).
 */
static struct ictl_table *begin_list(struct json_object *r, const struct ictl_opts *o,
				     const char *key, const char *empty, const struct column *cols,
				     size_t ncols, struct json_object ***v, size_t *n)
{
	struct ictl_table *t;
	char align[32];
	const char *heads[32];
	size_t k = 0;

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
	for (size_t i = 0; i < ncols && k + 1 < sizeof(align); i++) {
		if (o->wide || !cols[i].wide_only) {
			align[k] = cols[i].align;
			heads[k++] = cols[i].head;
		}
	}
	align[k] = '\0';
	t = ictl_table_new(k, align);
	k = 0;
	for (size_t i = 0; i < ncols; i++) {
		if (o->wide || !cols[i].wide_only) {
			if (!o->wide)
				ictl_table_optional(t, k, cols[i].drop_rank);
			k++;
		}
	}
	for (size_t i = 0; i < k; i++)
		ictl_table_cell(t, heads[i]);
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
		snprintf(buf, len, "%s (in %lld days%s)", date, days,
			 days < 30 ? ", renew soon" : "");
	return buf;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "published as 'invpn 02..', 3 services seen", "no D-Bus (...), retrying in 4s" */
static const char *fmt_mdns(struct json_object *m, char *buf, size_t len)
{
	const char *state = ictl_get_str(m, "state"), *name = ictl_get_str(m, "service_name");
	const char *err = ictl_get_str(m, "error");
	char a[ICTL_FMT_LEN], retry[ICTL_FMT_LEN + 16] = "";
	uint64_t seen = u64_or(m, "services", 0), s;
	size_t k;

	if (!m || !state)
		return NULL;
	if (ictl_get_u64(m, "retry_in_s", &s))
		snprintf(retry, sizeof(retry), ", retrying in %s", ictl_fmt_age(s, a));
	if (!strcmp(state, "off"))
		return "off (mdns = no)";
	if (!strcmp(state, "no_dbus")) {
		snprintf(buf, len, "no D-Bus system bus (%s)%s", err ? err : "?", retry);
		return buf;
	}
	if (!strcmp(state, "no_daemon")) {
		snprintf(buf, len, "waiting for avahi-daemon (%s)%s", err ? err : "?", retry);
		return buf;
	}
	if (!strcmp(state, "registering"))
		k = (size_t)snprintf(buf, len, "registering '%s'", name ? name : "?");
	else if (!strcmp(state, "published"))
		k = (size_t)snprintf(buf, len, "published as '%s'", name ? name : "?");
	else if (!strcmp(state, "browsing"))
		k = (size_t)snprintf(buf, len,
				     "browsing only (no_incoming or no_relay: "
				     "nothing published)");
	else if (!strcmp(state, "failed"))
		k = (size_t)snprintf(buf, len, "publishing failed (%s)", err ? err : "?");
	else
		k = (size_t)snprintf(buf, len, "%s", state);
	if (k >= len)
		return buf;
	if (ictl_get_bool(m, "browsing", false))
		snprintf(buf + k, len - k, ", %llu %s seen", (unsigned long long)seen,
			 plural(seen, "service", "services"));
	else
		snprintf(buf + k, len - k, ", not browsing%s%s", err ? ": " : "", err ? err : "");
	return buf;
}

/* "seed.example: 2 addresses, next lookup in 4m59s", "...: failed (why), retry in 8s" */
static const char *fmt_dns(struct json_object *e, char *buf, size_t len)
{
	const char *name = ictl_get_str(e, "name"), *state = ictl_get_str(e, "state");
	const char *type = ictl_get_str(e, "type"), *err = ictl_get_str(e, "error");
	bool srv = type && !strcmp(type, "srv");
	uint64_t addrs = u64_or(e, "addresses", 0), targets = u64_or(e, "targets", 0), s;
	char a[ICTL_FMT_LEN], next[ICTL_FMT_LEN + 32] = "";
	size_t k;

	if (ictl_get_bool(e, "resolving", false))
		snprintf(next, sizeof(next), ", looking up again now");
	else if (ictl_get_u64(e, "next_lookup_s", &s))
		snprintf(next, sizeof(next), ", %s in %s",
			 state && !strcmp(state, "failed") ? "retry" : "next lookup",
			 ictl_fmt_age(s, a));
	k = (size_t)snprintf(buf, len, "%s%s: ", name ? name : "?", srv ? " (SRV)" : "");
	if (k >= len)
		return buf;
	if (!state || !strcmp(state, "resolving"))
		snprintf(buf + k, len - k, "resolving");
	else if (!strcmp(state, "failed"))
		snprintf(buf + k, len - k, "failed (%s; %llu in a row)%s", err ? err : "?",
			 (unsigned long long)u64_or(e, "fails", 0), next);
	else if (srv)
		snprintf(buf + k, len - k, "%llu %s, %llu %s%s", (unsigned long long)targets,
			 plural(targets, "target", "targets"), (unsigned long long)addrs,
			 plural(addrs, "address", "addresses"), next);
	else
		snprintf(buf + k, len - k, "%llu %s%s", (unsigned long long)addrs,
			 plural(addrs, "address", "addresses"), next);
	return buf;
}

int ictl_show_status(struct json_object *r, const struct ictl_opts *o)
{
	static const struct {
		const char *key, *label;
	} drops[] = {
		{"drop_foreign_src", "foreign source"},
		{"drop_no_route", "no route"},
		{"drop_queue_full", "queue full"},
		{"drop_duplicate", "duplicate"},
		{"drop_unknown_origin", "unknown origin"},
		{"drop_tap_write", "TAP write failed"},
		/* the rules for every frame (PROTOCOL.md: Rules) */
		{"drop_future_id", "id in the future"},
		{"drop_reverse_path", "not on the path"},
		{"drop_not_direct", "neighbour via another"},
		{"drop_new_origins", "new-origin rate"},
		{"drop_routes_full", "route table full"},
		{"drop_health_rate", "health rate"},
		{"drop_spoofed_src", "spoofed source"},
	};
	struct json_object *cnt = ictl_get(r, "counters"), *dns = ictl_get_array(r, "dns");
	struct ictl_table *t;
	char buf[512], a[ICTL_FMT_LEN];
	size_t len = 0;
	uint64_t v;

	if (o->json) {
		ictl_print_json(r);
		return ICTL_EXIT_OK;
	}
	t = ictl_table_new(2, "ll");
	ictl_table_wrap(t, 1);
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
	kv(t, "mdns:", fmt_mdns(ictl_get(r, "mdns"), buf, sizeof(buf)));
	if (!dns || !json_object_array_length(dns))
		kv(t, "dns:", dns ? "no names to look up (init, srv)" : NULL);
	for (size_t i = 0; dns && i < json_object_array_length(dns); i++) {
		if (i)
			ictl_table_blank(t);
		else
			ictl_table_cell(t, "dns:");
		ictl_table_cell(t, fmt_dns(json_object_array_get_idx(dns, i), buf, sizeof(buf)));
	}
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
	ictl_table_print(t, stdout, ictl_width(o));
	return ICTL_EXIT_OK;
}

/* ---- peers ---- */

int ictl_show_peers(struct json_object *r, const struct ictl_opts *o)
{
	/* by default who, where and how much; TLS details and frame counts with --wide */
	static const struct column cols[] = {
		{"PEER", 'l', 0, false},     {"ADDRESS", 'l', 0, false},
		{"DIR", 'l', 0, false},	     {"STATE", 'l', 0, false},
		{"AGE", 'l', 4, false},	     {"TLS", 'l', 0, true},
		{"CIPHER", 'l', 0, true},    {"RX FRAMES", 'r', 0, true},
		{"RX BYTES", 'r', 3, false}, {"TX FRAMES", 'r', 0, true},
		{"TX BYTES", 'r', 2, false}, {"DROPS", 'r', 1, false},
		{"QUEUED", 'r', 0, true},
	};
	enum {
		NC = sizeof(cols) / sizeof(cols[0])
	};
	struct json_object **v;
	struct ictl_table *t;
	size_t n;

	t = begin_list(r, o, "peers", "no links", cols, NC, &v, &n);
	if (!t)
		return ICTL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		const char *dir = ictl_get_str(v[i], "direction");
		char b[7][CELL_LEN];
		const char *cells[NC] = {
			ictl_get_str(v[i], "mac"),
			ictl_get_str(v[i], "address"),
			!dir			   ? NULL
			: !strcmp(dir, "outgoing") ? "out"
						   : "in",
			ictl_get_str(v[i], "state"),
			fmt_age(v[i], "age_s", b[0]),
			ictl_get_str(v[i], "tls_version"),
			ictl_get_str(v[i], "cipher"),
			fmt_u64(v[i], "rx_frames", b[1]),
			fmt_bytes(v[i], "rx_bytes", b[2]),
			fmt_u64(v[i], "tx_frames", b[3]),
			fmt_bytes(v[i], "tx_bytes", b[4]),
			fmt_u64(v[i], "drops", b[5]),
			fmt_bytes(v[i], "queued_bytes", b[6]),
		};

		add_row(t, cols, NC, o->wide, cells);
	}
	ictl_table_print(t, stdout, ictl_width(o));
	free(v);
	return ICTL_EXIT_OK;
}

/* ---- routes ---- */

int ictl_show_routes(struct json_object *r, const struct ictl_opts *o)
{
	static const struct column cols[] = {
		{"DESTINATION", 'l', 0, false},	     {"NEXT HOP", 'l', 0, false},
		{"NEXT HOP ADDRESS", 'l', 3, false}, {"AGE", 'r', 2, false},
		{"UPDATED", 'r', 1, false},
	};
	enum {
		NC = sizeof(cols) / sizeof(cols[0])
	};
	struct json_object **v;
	struct ictl_table *t;
	size_t n;

	t = begin_list(r, o, "routes", "no routes", cols, NC, &v, &n);
	if (!t)
		return ICTL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		char age[CELL_LEN], upd[CELL_LEN], buf[ICTL_FMT_LEN];
		uint64_t s;
		const char *cells[NC] = {
			ictl_get_str(v[i], "mac"),
			ictl_get_str(v[i], "via"),
			ictl_get_str(v[i], "via_address"),
			fmt_age(v[i], "age_s", age),
			NULL,
		};

		if (ictl_get_u64(v[i], "updated_s", &s)) {
			snprintf(upd, sizeof(upd), "%s ago", ictl_fmt_age(s, buf));
			cells[4] = upd;
		}
		add_row(t, cols, NC, o->wide, cells);
	}
	ictl_table_print(t, stdout, ictl_width(o));
	free(v);
	return ICTL_EXIT_OK;
}

/* ---- nodes ---- */

/* Every source an address was learned from ("mdns,mesh"), or the one "source". */
static const char *fmt_sources(struct json_object *node, char buf[CELL_LEN])
{
	struct json_object *a = ictl_get_array(node, "sources");
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; a && i < json_object_array_length(a) && len < CELL_LEN; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));

		len += (size_t)snprintf(buf + len, CELL_LEN - len, "%s%s", len ? "," : "",
					s ? s : "?");
	}
	return len ? buf : ictl_get_str(node, "source");
}

int ictl_show_nodes(struct json_object *r, const struct ictl_opts *o)
{
	static const struct column cols[] = {
		{"NODE", 'l', 0, false},	 {"ADDRESS", 'l', 0, false},
		{"LEARNED FROM", 'l', 4, false}, {"FAILS", 'r', 2, false},
		{"LAST SUCCESS", 'r', 3, false}, {"RETRY", 'r', 1, false},
	};
	enum {
		NC = sizeof(cols) / sizeof(cols[0])
	};
	uint64_t now = (uint64_t)time(NULL);
	struct json_object **v;
	struct ictl_table *t;
	size_t n;

	t = begin_list(r, o, "nodes", "no known nodes", cols, NC, &v, &n);
	if (!t)
		return ICTL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		char src[CELL_LEN], fails[CELL_LEN], last[CELL_LEN], retry[CELL_LEN];
		char buf[ICTL_FMT_LEN];
		uint64_t s;
		const char *cells[NC] = {
			ictl_get_str(v[i], "mac"),
			ictl_get_str(v[i], "address"),
			fmt_sources(v[i], src),
			fmt_u64(v[i], "fails", fails),
			NULL,
			NULL,
		};

		if (ictl_get_u64(v[i], "last_success", &s)) {
			snprintf(last, sizeof(last), "%s ago",
				 ictl_fmt_age(now > s ? now - s : 0, buf));
			cells[4] = last;
		}
		if (ictl_get_bool(v[i], "dialing", false)) {
			cells[5] = "dialing";
		} else if (ictl_get_u64(v[i], "retry_in_s", &s) && s) {
			snprintf(retry, sizeof(retry), "in %s", ictl_fmt_age(s, buf));
			cells[5] = retry;
		}
		add_row(t, cols, NC, o->wide, cells);
	}
	ictl_table_print(t, stdout, ictl_width(o));
	free(v);
	return ICTL_EXIT_OK;
}
