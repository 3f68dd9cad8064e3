/*
 * metrics_text: the Prometheus text format of a snapshot. Every line is a
 * HELP, a TYPE or a sample of the family just declared, names and label
 * sets are well formed, counters end in _total, no family twice; known
 * numbers come out where they belong; label values are escaped; per-link
 * series are one per peer and bounded.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics_text.h"

static struct metrics_snapshot snapshot(void)
{
	struct metrics_snapshot s = {
		.version = "0.1.0",
		.features = "+mdns -dns +systemd +metrics",
		.mac = {0x02, 0, 0, 0, 0, 0x01},
		.interface = "invpn0",
		.start_time_s = 1700000000,
		.links_up = 2,
		.links_pending = 1,
		.links_min = 2,
		.links_max = 16,
		.routes = 5,
		.known_addresses = 9,
		.dials = 7,
		.dial_failures = 3,
		.refused_per_addr = 11,
		.refused_slots = 12,
		.refused_silent = 13,
		.refused_timeout = 14,
		.refused_tls = 15,
		.tap_rx_frames = 100,
		.tap_tx_bytes = 123456789012ULL,
		.drop_no_route = 21,
		.drop_queue_full = 22,
		.health_rounds = 4,
		.cert_expiry_s = 1900000000,
		.ca_expiry_s = 2000000000,
	};
	return s;
}

static char *render(const struct metrics_snapshot *s)
{
	size_t len = 0;
	char *t = metrics_text_render(s, &len);

	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	assert_true(len > 0 && t[len - 1] == '\n');
	return t;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		if (!strncmp(p, prefix, len))
			n++;
		if (!strchr(p, '\n'))
			break;
	}
	return n;
}

static bool name_ok(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != ':')
			return false;
	}
	return true;
}

/* {a="x",b="y\"z"}: label names well formed, values quoted with escapes; returns past '}' */
static const char *labels_ok(const char *p)
{
	if (*p != '{')
		return p;
	p++;
	while (*p != '}') {
		const char *eq = strchr(p, '=');

		assert_non_null(eq);
		assert_true(name_ok(p, (size_t)(eq - p)));
		assert_int_equal(eq[1], '"');
		for (p = eq + 2; *p != '"'; p++) {
			assert_true(*p && *p != '\n');
			if (*p == '\\') {
				p++;
				assert_true(*p == '\\' || *p == '"' || *p == 'n');
			}
		}
		p++;
		if (*p == ',')
			p++;
		else
			assert_int_equal(*p, '}');
	}
	return p + 1;
}

/* The exposition format, line by line. Returns the number of samples. */
static size_t check_format(char *text)
{
	char family[128] = "", type[16] = "", help_of[128] = "";
	char seen[256][128];
	size_t n_seen = 0, samples = 0;

	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line, "# HELP %127s", help_of), 1);
			assert_true(name_ok(help_of, strlen(help_of)));
			assert_true(strlen(line) > 8 + strlen(help_of)); /* some help text */
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line, "# TYPE %127s %15s", family, type), 2);
			assert_string_equal(family, help_of); /* HELP, then TYPE, same name */
			assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
			if (!strcmp(type, "counter")) {
				size_t l = strlen(family);

				assert_true(l > 6 && !strcmp(family + l - 6, "_total"));
			}
			assert_int_equal(strncmp(family, "invpn_", 6), 0);
			for (size_t i = 0; i < n_seen; i++)
				assert_string_not_equal(seen[i], family);
			assert_true(n_seen < 256);
			strcpy(seen[n_seen++], family);
			continue;
		}
		/* a sample of the family just declared */
		size_t nl = strcspn(line, "{ ");
		const char *p;
		char *end;

		assert_true(line[0] != '#');
		assert_true(family[0]);
		assert_int_equal(nl, strlen(family));
		assert_int_equal(strncmp(line, family, nl), 0);
		p = labels_ok(line + nl);
		assert_int_equal(*p, ' ');
		strtod(p + 1, &end);
		assert_true(end > p + 1 && *end == '\0');
		samples++;
	}
	return samples;
}

static void test_format(void **state)
{
	struct metrics_link links[2] = {
		{{0x02, 0, 0, 0, 0, 0x02}, 1, 2, 3, 4, 5},
		{{0x02, 0, 0, 0, 0, 0x03}, 6, 7, 8, 9, 10},
	};
	struct metrics_snapshot s = snapshot();
	char *t;

	s.links = links;
	s.n_links = 2;
	s.crl_next_update_s = 1800000000;
	t = render(&s);
	/* 7 per link (frames, bytes: rx and tx; drops) */
	assert_true(check_format(t) >= 30 + 2 * 5);
	free(t);
}

static void test_values(void **state)
{
	struct metrics_link links[1] = {{{0x02, 0, 0, 0, 0, 0x02}, 1, 2, 3, 4, 5}};
	struct metrics_snapshot s = snapshot();
	char *t;

	s.links = links;
	s.n_links = 1;
	t = render(&s);
	assert_true(has_line(t, "invpn_build_info{version=\"0.1.0\",features=\"+mdns -dns "
				"+systemd +metrics\"} 1"));
	assert_true(
		has_line(t, "invpn_node_info{mac=\"02:00:00:00:00:01\",interface=\"invpn0\"} 1"));
	assert_true(has_line(t, "invpn_start_time_seconds 1700000000"));
	assert_true(has_line(t, "invpn_links_up 2"));
	assert_true(has_line(t, "invpn_links_pending 1"));
	assert_true(has_line(t, "invpn_links_max 16"));
	assert_true(has_line(t, "invpn_routes 5"));
	assert_true(has_line(t, "invpn_known_addresses 9"));
	assert_true(has_line(t, "invpn_dials_total 7"));
	assert_true(has_line(t, "invpn_dial_failures_total 3"));
	assert_true(has_line(t, "invpn_handshake_refusals_total{reason=\"per_address\"} 11"));
	assert_true(has_line(t, "invpn_handshake_refusals_total{reason=\"no_slot\"} 12"));
	assert_true(has_line(t, "invpn_handshake_refusals_total{reason=\"silent\"} 13"));
	assert_true(has_line(t, "invpn_handshake_refusals_total{reason=\"timeout\"} 14"));
	assert_true(has_line(t, "invpn_handshake_refusals_total{reason=\"tls\"} 15"));
	assert_true(has_line(t, "invpn_tap_frames_total{direction=\"rx\"} 100"));
	assert_true(has_line(t, "invpn_tap_bytes_total{direction=\"tx\"} 123456789012"));
	assert_true(has_line(t, "invpn_dropped_frames_total{reason=\"no_route\"} 21"));
	assert_true(has_line(t, "invpn_dropped_frames_total{reason=\"queue_full\"} 22"));
	assert_true(has_line(t, "invpn_health_rounds_total 4"));
	assert_true(has_line(t, "invpn_certificate_expiry_timestamp_seconds 1900000000"));
	assert_true(has_line(t, "invpn_ca_expiry_timestamp_seconds 2000000000"));
	/* no CRL: the family is declared, without a sample */
	assert_int_equal(count_prefix(t, "invpn_crl_next_update_timestamp_seconds"), 0);
	assert_true(
		has_line(t,
			 "invpn_link_frames_total{peer=\"02:00:00:00:00:02\",direction=\"rx\"} 1"));
	assert_true(
		has_line(t,
			 "invpn_link_frames_total{peer=\"02:00:00:00:00:02\",direction=\"tx\"} 3"));
	assert_true(
		has_line(t,
			 "invpn_link_bytes_total{peer=\"02:00:00:00:00:02\",direction=\"rx\"} 2"));
	assert_true(
		has_line(t,
			 "invpn_link_bytes_total{peer=\"02:00:00:00:00:02\",direction=\"tx\"} 4"));
	assert_true(has_line(t, "invpn_link_dropped_frames_total{peer=\"02:00:00:00:00:02\","
				"reason=\"queue_full\"} 5"));
	free(t);
	s.crl_next_update_s = 1800000000;
	t = render(&s);
	assert_true(has_line(t, "invpn_crl_next_update_timestamp_seconds 1800000000"));
	free(t);
}

static void test_escaping(void **state)
{
	struct metrics_snapshot s = snapshot();
	char *t;

	s.version = "1\"2\\3\n4";
	t = render(&s);
	assert_true(has_line(t, "invpn_build_info{version=\"1\\\"2\\\\3\\n4\",features=\"+mdns "
				"-dns +systemd +metrics\"} 1"));
	check_format(t);
	free(t);
}

/* A peer listed twice is one series, summed; past METRICS_MAX_LINKS peers, no more series. */
static void test_links_bounded(void **state)
{
	size_t n = METRICS_MAX_LINKS + 10;
	struct metrics_link *links = calloc(n + 1, sizeof(*links));
	struct metrics_snapshot s = snapshot();
	char *t;

	assert_non_null(links);
	for (size_t i = 0; i < n; i++) {
		links[i].peer[0] = 0x02;
		links[i].peer[4] = (uint8_t)(i >> 8);
		links[i].peer[5] = (uint8_t)i;
		links[i].tx_frames = 1;
	}
	links[n] = links[0]; /* a duplicate of the first */
	s.links = links;
	s.n_links = n + 1;
	t = render(&s);
	assert_true(
		has_line(t,
			 "invpn_link_frames_total{peer=\"02:00:00:00:00:00\",direction=\"tx\"} 2"));
	assert_int_equal(count_prefix(t, "invpn_link_frames_total{"), 2 * METRICS_MAX_LINKS);
	assert_int_equal(count_prefix(t, "invpn_link_dropped_frames_total{"), METRICS_MAX_LINKS);
	check_format(t);
	free(t);
	free(links);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_links_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
