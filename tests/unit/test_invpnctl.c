/* invpnctl's output: JSON printing, tables that fit, and the status lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/invpnctl.h"

/* What f wrote, as a string the caller frees. */
static char *slurp(FILE *f)
{
	long n;
	char *s;

	assert_int_equal(fflush(f), 0);
	n = ftell(f);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

static char *json_text(struct json_object *o)
{
	FILE *f = tmpfile();
	char *s;

	assert_non_null(f);
	ictl_write_json(f, o);
	s = slurp(f);
	fclose(f);
	return s;
}

typedef int (*render_fn)(struct json_object *, const struct ictl_opts *);

/* What a command's renderer prints for reply (given as JSON text). */
static char *render(render_fn fn, const char *reply, bool wide)
{
	struct ictl_opts o = {.wide = wide};
	struct json_object *r = json_tokener_parse(reply);
	FILE *f = tmpfile();
	int saved;
	char *s;

	assert_non_null(r);
	assert_non_null(f);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDOUT_FILENO) >= 0);
	assert_int_equal(fn(r, &o), ICTL_EXIT_OK);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	fseek(f, 0, SEEK_END);
	s = slurp(f);
	fclose(f);
	json_object_put(r);
	return s;
}

static size_t longest_line(const char *s)
{
	size_t max = 0;

	while (*s) {
		size_t n = strcspn(s, "\n");

		if (n > max)
			max = n;
		s += n + (s[n] == '\n');
	}
	return max;
}

static bool trailing_blanks(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == ' ' && (p[1] == '\n' || !p[1]))
			return true;
	}
	return false;
}

/* ---- JSON ---- */

static void json_empty_containers(void **state)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	char *s;

	json_object_object_add(o, "peers", json_object_new_array());
	json_object_object_add(o, "counters", json_object_new_object());
	json_object_array_add(a, json_object_new_array());
	json_object_array_add(a, json_object_new_string("[\n  ] \"quoted\" /"));
	json_object_array_add(a, NULL);
	json_object_array_add(a, json_object_new_double_s(0.25, "0.250"));
	json_object_array_add(a, json_object_new_boolean(1));
	json_object_object_add(o, "mixed", a);
	json_object_object_add(o, "ok", json_object_new_int(-3));
	s = json_text(o);
	assert_string_equal(s, "{\n"
			       "  \"peers\": [],\n"
			       "  \"counters\": {},\n"
			       "  \"mixed\": [\n"
			       "    [],\n"
			       "    \"[\\n  ] \\\"quoted\\\" /\",\n"
			       "    null,\n"
			       "    0.250,\n"
			       "    true\n"
			       "  ],\n"
			       "  \"ok\": -3\n"
			       "}\n");
	free(s);
	json_object_put(o);

	/* an empty reply list at the top, and a scalar */
	o = json_object_new_array();
	s = json_text(o);
	assert_string_equal(s, "[]\n");
	free(s);
	json_object_put(o);
	o = json_object_new_string("x");
	s = json_text(o);
	assert_string_equal(s, "\"x\"\n");
	free(s);
	json_object_put(o);
}

/* What we print parses back to the same value. */
static void json_roundtrip(void **state)
{
	const char *in = "{\"a\":[1,[],{},{\"b\":[{\"c\":null}]}],\"d\":\"\\u00e9\\t\",\"e\":{}}";
	struct json_object *o = json_tokener_parse(in), *back;
	char *s;

	assert_non_null(o);
	s = json_text(o);
	back = json_tokener_parse(s);
	assert_non_null(back);
	assert_true(json_object_equal(o, back));
	assert_null(strstr(s, "[\n"
			      "  ]"));
	free(s);
	json_object_put(o);
	json_object_put(back);
}

/* ---- tables ---- */

static char *table_text(struct ictl_table *t, size_t max)
{
	FILE *f = tmpfile();
	char *s;

	assert_non_null(f);
	ictl_table_print(t, f, max);
	s = slurp(f);
	fclose(f);
	return s;
}

static struct ictl_table *wide_table(void)
{
	struct ictl_table *t = ictl_table_new(4, "lrlr");

	ictl_table_optional(t, 1, 2);
	ictl_table_optional(t, 3, 1);
	ictl_table_cell(t, "NAME");
	ictl_table_cell(t, "N");
	ictl_table_cell(t, "WHERE");
	ictl_table_cell(t, "M");
	ictl_table_cell(t, "aaaaaaaaaa");
	ictl_table_cell(t, "1");
	ictl_table_cell(t, "bbbbbbbbbbbbbbbbbbbb");
	ictl_table_cell(t, NULL);
	return t;
}

static void table_fits_by_dropping(void **state)
{
	char *s;

	/* no limit: everything, padded, "-" for nothing, no trailing blanks */
	s = table_text(wide_table(), 0);
	assert_string_equal(s, "NAME        N  WHERE                 M\n"
			       "aaaaaaaaaa  1  bbbbbbbbbbbbbbbbbbbb  -\n");
	free(s);
	/* fits as is */
	s = table_text(wide_table(), 38);
	assert_int_equal(longest_line(s), 38);
	free(s);
	/* one short: the lowest rank goes first */
	s = table_text(wide_table(), 37);
	assert_string_equal(s, "NAME        N  WHERE\n"
			       "aaaaaaaaaa  1  bbbbbbbbbbbbbbbbbbbb\n");
	free(s);
	/* then the next */
	s = table_text(wide_table(), 32);
	assert_string_equal(s, "NAME        WHERE\n"
			       "aaaaaaaaaa  bbbbbbbbbbbbbbbbbbbb\n");
	free(s);
	/* what is left is needed: printed whole, however wide */
	s = table_text(wide_table(), 10);
	assert_string_equal(s, "NAME        WHERE\n"
			       "aaaaaaaaaa  bbbbbbbbbbbbbbbbbbbb\n");
	free(s);
}

static void table_wraps(void **state)
{
	struct ictl_table *t = ictl_table_new(2, "ll");
	char *s;

	ictl_table_wrap(t, 1);
	ictl_table_cell(t, "drops:");
	ictl_table_cell(t, "11 foreign source, 22 no route, 33 queue full, 44 duplicate");
	ictl_table_blank(t);
	ictl_table_cell(t, "second line");
	ictl_table_cell(t, "x:");
	ictl_table_cell(t, "averyveryveryverylongwordwithoutanyspace");
	s = table_text(t, 30);
	assert_true(longest_line(s) <= 30);
	assert_false(trailing_blanks(s));
	/*
	 * 22 columns for the value: at ", " first (the comma stays) if that
	 * fills half the line, else at a space, else a hard cut
	 */
	assert_string_equal(s, "drops:  11 foreign source,\n"
			       "        22 no route,\n"
			       "        33 queue full,\n"
			       "        44 duplicate\n"
			       "        second line\n"
			       "x:      averyveryveryverylongw\n"
			       "        ordwithoutanyspace\n");
	free(s);

	/* a comma early in the line is not worth a short line */
	t = ictl_table_new(2, "ll");
	ictl_table_wrap(t, 1);
	ictl_table_cell(t, "k:");
	ictl_table_cell(t, "ab, cdefgh ijklmnop qrstuvwx yz");
	s = table_text(t, 24);
	assert_string_equal(s, "k:  ab, cdefgh ijklmnop\n"
			       "    qrstuvwx yz\n");
	free(s);

	t = ictl_table_new(2, "ll");
	ictl_table_wrap(t, 1);
	ictl_table_cell(t, "k:");
	ictl_table_cell(t, "a b c d e f g h i j k l m n o p");
	s = table_text(t, 0);
	assert_string_equal(s, "k:  a b c d e f g h i j k l m n o p\n");
	free(s);
}

/* ---- the commands' tables ---- */

static const char peers_reply[] =
	"{\"ok\": true, \"command\": \"peers\", \"peers\": ["
	"{\"mac\": \"02:00:5e:30:00:02\", \"address\": \"198.18.31.2:54321\", "
	"\"direction\": \"incoming\", \"state\": \"up\", \"age_s\": 3600, "
	"\"tls_version\": \"TLSv1.3\", \"cipher\": \"TLS_AES_256_GCM_SHA384\", "
	"\"rx_frames\": 123456789, \"rx_bytes\": 123456789012, \"tx_frames\": 123456789, "
	"\"tx_bytes\": 123456789012, \"drops\": 12345, \"queued_bytes\": 1234567},"
	"{\"mac\": null, \"address\": \"255.255.255.255:65535\", \"direction\": \"outgoing\", "
	"\"state\": \"connecting\", \"age_s\": 3, \"tls_version\": null, \"cipher\": null, "
	"\"rx_frames\": 0, \"rx_bytes\": 0, \"tx_frames\": 0, \"tx_bytes\": 0, \"drops\": 0, "
	"\"queued_bytes\": 0}]}";

static void peers_fit(void **state)
{
	char *s = render(ictl_show_peers, peers_reply, false);

	assert_true(longest_line(s) <= ICTL_WIDTH);
	assert_false(trailing_blanks(s));
	/* the most useful columns, all of them here */
	assert_non_null(strstr(s, "PEER "));
	assert_non_null(strstr(s, "ADDRESS"));
	assert_non_null(strstr(s, "RX BYTES"));
	assert_non_null(strstr(s, "TX BYTES"));
	assert_non_null(strstr(s, "DROPS"));
	assert_null(strstr(s, "CIPHER"));
	assert_null(strstr(s, "RX FRAMES"));
	free(s);

	s = render(ictl_show_peers, peers_reply, true);
	assert_true(longest_line(s) > ICTL_WIDTH);
	assert_non_null(strstr(s, "TLS_AES_256_GCM_SHA384"));
	assert_non_null(strstr(s, "RX FRAMES"));
	assert_non_null(strstr(s, "QUEUED"));
	free(s);
}

static void long_addresses_still_fit(void **state)
{
	const char *v6 = "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff%invpnbridge0]:65535";
	char reply[2048], *s;

	snprintf(reply, sizeof(reply),
		 "{\"ok\": true, \"command\": \"nodes\", \"nodes\": [{\"mac\": "
		 "\"02:00:5e:30:00:02\", \"address\": \"%s\", \"source\": \"config\", \"sources\": "
		 "[\"config\", \"mesh\", \"cache\", \"mdns\", \"dns\"], \"fails\": 12, "
		 "\"last_success\": 1, \"dialing\": false, \"retry_in_s\": 3000}]}",
		 v6);
	s = render(ictl_show_nodes, reply, false);
	assert_true(longest_line(s) <= ICTL_WIDTH);
	assert_non_null(strstr(s, v6));
	free(s);
	s = render(ictl_show_nodes, reply, true);
	assert_true(longest_line(s) > ICTL_WIDTH);
	assert_non_null(strstr(s, "config,mesh,cache,mdns,dns"));
	free(s);

	snprintf(reply, sizeof(reply),
		 "{\"ok\": true, \"command\": \"routes\", \"routes\": [{\"mac\": "
		 "\"02:00:5e:30:00:02\", \"via\": \"02:00:5e:30:00:03\", \"via_address\": \"%s\", "
		 "\"age_s\": 100000, \"updated_s\": 100000}]}",
		 v6);
	s = render(ictl_show_routes, reply, false);
	assert_true(longest_line(s) <= ICTL_WIDTH);
	free(s);

	snprintf(reply, sizeof(reply),
		 "{\"ok\": true, \"command\": \"peers\", \"peers\": [{\"mac\": "
		 "\"02:00:5e:30:00:02\", \"address\": \"%s\", \"direction\": \"incoming\", "
		 "\"state\": \"handshake\", \"age_s\": 100000, \"rx_bytes\": 123456789012, "
		 "\"tx_bytes\": 123456789012, \"drops\": 123456789}]}",
		 v6);
	s = render(ictl_show_peers, reply, false);
	assert_true(longest_line(s) <= ICTL_WIDTH);
	assert_non_null(strstr(s, v6));
	free(s);
}

static const char status_reply[] =
	"{\"ok\": true, \"command\": \"status\", \"mac\": \"02:00:5e:30:00:01\", "
	"\"port\": 41744, \"listening\": true, \"uptime_s\": 5, \"links\": 1, "
	"\"mdns\": {\"state\": \"published\", \"service_name\": \"invpn 02005e300001\", "
	"\"browsing\": true, \"services\": 3, \"resolved\": 4, \"error\": null, "
	"\"retry_in_s\": null},"
	"\"dns\": [{\"name\": \"seed.mesh.test\", \"type\": \"seed\", \"state\": \"ok\", "
	"\"resolving\": false, \"addresses\": 1, \"targets\": null, \"fails\": 0, \"error\": null, "
	"\"next_lookup_s\": 299},"
	"{\"name\": \"_invpn._tcp.mesh.test\", \"type\": \"srv\", \"state\": \"ok\", "
	"\"resolving\": false, \"addresses\": 2, \"targets\": 1, \"fails\": 0, \"error\": null, "
	"\"next_lookup_s\": 60},"
	"{\"name\": \"nowhere.mesh.test\", \"type\": \"seed\", \"state\": \"failed\", "
	"\"resolving\": false, \"addresses\": 0, \"targets\": null, \"fails\": 3, "
	"\"error\": \"Domain name not found\", \"next_lookup_s\": 8},"
	"{\"name\": \"slow.mesh.test\", \"type\": \"seed\", \"state\": \"resolving\", "
	"\"resolving\": true, \"addresses\": 0, \"targets\": null, \"fails\": 0, \"error\": null, "
	"\"next_lookup_s\": null}],"
	"\"counters\": {\"drop_foreign_src\": 11111, \"drop_no_route\": 22222, "
	"\"drop_queue_full\": 33333, \"drop_duplicate\": 44444, \"drop_unknown_origin\": 55555, "
	"\"drop_tap_write\": 66666}}";

static void status_discovery_lines(void **state)
{
	char *s = render(ictl_show_status, status_reply, false);

	assert_true(longest_line(s) <= ICTL_WIDTH);
	assert_false(trailing_blanks(s));
	assert_non_null(strstr(s, "\nmdns:                 published as 'invpn 02005e300001', "
				  "3 services seen\n"));
	assert_non_null(strstr(s,
			       "\ndns:                  seed.mesh.test: 1 address, next lookup "
			       "in 4m59s\n"
			       "                      _invpn._tcp.mesh.test (SRV): 1 target, 2 "
			       "addresses, next lookup in 1m0s\n"
			       "                      nowhere.mesh.test: failed (Domain name not "
			       "found; 3 in a row), retry in 8s\n"
			       "                      slow.mesh.test: resolving\n"));
	/* the long list of drops wraps after a comma */
	assert_non_null(
		strstr(s, "\ndropped frames:       11111 foreign source, 22222 no route, "));
	assert_non_null(strstr(s, ",\n                      "));
	free(s);
	s = render(ictl_show_status, status_reply, true);
	assert_true(longest_line(s) > ICTL_WIDTH);
	free(s);
}

static void status_mdns_states(void **state)
{
	static const struct {
		const char *mdns, *line;
	} cases[] = {
		{"{\"state\": \"off\"}", "mdns:  off (mdns = no)\n"},
		{"{\"state\": \"no_dbus\", \"browsing\": false, \"services\": 0, "
		 "\"error\": \"Daemon not running\", \"retry_in_s\": 4}",
		 "mdns:  no D-Bus system bus (Daemon not running), retrying in 4s\n"},
		{"{\"state\": \"no_daemon\", \"browsing\": false, \"services\": 0, "
		 "\"error\": \"avahi-daemon is not running\", \"retry_in_s\": null}",
		 "mdns:  waiting for avahi-daemon (avahi-daemon is not running)\n"},
		{"{\"state\": \"registering\", \"service_name\": \"invpn 1\", \"browsing\": true, "
		 "\"services\": 1}",
		 "mdns:  registering 'invpn 1', 1 service seen\n"},
		{"{\"state\": \"browsing\", \"service_name\": null, \"browsing\": true, "
		 "\"services\": 0}",
		 "mdns:  browsing only (no_incoming or no_relay: nothing published), 0 services "
		 "seen\n"},
		{"{\"state\": \"failed\", \"service_name\": \"x\", \"browsing\": false, "
		 "\"error\": \"Bad state\"}",
		 "mdns:  publishing failed (Bad state), not browsing: Bad state\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char reply[1024], *s, *line;

		snprintf(reply, sizeof(reply),
			 "{\"ok\": true, \"command\": \"status\", \"mdns\": %s, \"dns\": []}",
			 cases[i].mdns);
		s = render(ictl_show_status, reply, false);
		line = strstr(s, "\nmdns:");
		assert_non_null(line);
		/* the labels are wider than "mdns:": compare without the padding */
		{
			char got[256];
			const char *v = line + 6 + strspn(line + 6, " ");
			size_t n = strcspn(v, "\n");

			snprintf(got, sizeof(got), "mdns:  %.*s\n", (int)n, v);
			assert_string_equal(got, cases[i].line);
		}
		assert_non_null(
			strstr(s, "\ndns:                  no names to look up (init, srv)\n"));
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_empty_containers),
		cmocka_unit_test(json_roundtrip),
		cmocka_unit_test(table_fits_by_dropping),
		cmocka_unit_test(table_wraps),
		cmocka_unit_test(peers_fit),
		cmocka_unit_test(long_addresses_still_fit),
		cmocka_unit_test(status_discovery_lines),
		cmocka_unit_test(status_mdns_states),
	};

	return cmocka_run_group_tests_name("invpnctl", tests, NULL, NULL);
}
