/* ctl_proto: control requests as JSON and as plain words. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_proto.h"

static const uint8_t TARGET[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static int parse(const char *line, struct ctl_request *req, const char **why)
{
	*why = NULL;
	return ctl_parse_request(line, strlen(line), req, why);
}

struct good_case {
	const char *line;
	enum ctl_command command;
	unsigned wait_ms;
	bool has_target;
};

static void check_good(const struct good_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ctl_request req;
		const char *why;

		memset(&req, 0xa5, sizeof(req));
		if (parse(cases[i].line, &req, &why) != 0)
			fail_msg("rejected '%s': %s", cases[i].line, why);
		if (req.command != cases[i].command || req.wait_ms != cases[i].wait_ms ||
		    req.has_target != cases[i].has_target)
			fail_msg("'%s': command %d wait %u target %d", cases[i].line, req.command,
				 req.wait_ms, req.has_target);
		if (req.has_target)
			assert_memory_equal(req.target, TARGET, MAC_LEN);
	}
}

static void check_bad(const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ctl_request req;
		const char *why;

		if (parse(lines[i], &req, &why) != -EINVAL)
			fail_msg("accepted '%s'", lines[i]);
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}
}

static void test_json_good(void **state)
{
	static const struct good_case cases[] = {
		{"{\"command\": \"status\"}", CTL_STATUS, CTL_DEFAULT_WAIT_MS, false},
		{"{\"command\":\"peers\"}", CTL_PEERS, CTL_DEFAULT_WAIT_MS, false},
		{"{\"command\":\"routes\"}", CTL_ROUTES, CTL_DEFAULT_WAIT_MS, false},
		{"{\"command\":\"nodes\"}", CTL_NODES, CTL_DEFAULT_WAIT_MS, false},
		{"{\"command\":\"graph\"}", CTL_GRAPH, CTL_DEFAULT_WAIT_MS, false},
		{"{\"command\": \"health\", \"wait\": 2}", CTL_HEALTH, 2000, false},
		{"{\"command\": \"health\", \"wait\": 0.5}", CTL_HEALTH, 500, false},
		{"{\"command\": \"health\", \"wait\": 0.001}", CTL_HEALTH, 1, false},
		{"{\"command\": \"health\", \"wait\": 1.001}", CTL_HEALTH, 1001, false},
		{"{\"command\": \"health\", \"wait\": 60}", CTL_HEALTH, 60000, false},
		{"{\"command\": \"health\", \"wait\": 6e1}", CTL_HEALTH, 60000, false},
		{"{\"wait\": 3, \"command\": \"graph\"}", CTL_GRAPH, 3000, false},
		{"{\"command\":\"traceroute\",\"target\":\"02:00:00:00:00:01\"}", CTL_TRACEROUTE,
		 CTL_DEFAULT_WAIT_MS, true},
		{"{\"command\":\"traceroute\",\"target\":\"02-00-00-00-00-01\",\"wait\":1}",
		 CTL_TRACEROUTE, 1000, true},
		/* unknown members are ignored; trailing CR and spaces are not part of it */
		{"{\"command\":\"status\",\"x\":[1,{\"y\":null}]}", CTL_STATUS, CTL_DEFAULT_WAIT_MS,
		 false},
		{"{\"command\":\"status\"}\r", CTL_STATUS, CTL_DEFAULT_WAIT_MS, false},
		{"{\"command\":\"status\"}   ", CTL_STATUS, CTL_DEFAULT_WAIT_MS, false},
		{"{ \"command\" : \"status\" }", CTL_STATUS, CTL_DEFAULT_WAIT_MS, false},
	};

	check_good(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_json_bad(void **state)
{
	static const char *const bad[] = {
		/* not JSON, or not only JSON */
		"{",
		"{\"command\":}",
		"{\"command\":\"status\"",
		"{\"command\":\"status\"} x",
		"{\"command\":\"status\"}{}",
		"{command:status}",
		/* wrong types */
		"{\"command\":5}",
		"{\"command\":null}",
		"{\"command\":[\"status\"]}",
		"{\"command\":{\"name\":\"status\"}}",
		"{\"command\":\"health\",\"wait\":\"2\"}",
		"{\"command\":\"health\",\"wait\":true}",
		"{\"command\":\"health\",\"wait\":null}",
		"{\"command\":\"health\",\"wait\":[2]}",
		"{\"command\":\"traceroute\",\"target\":5}",
		"{\"command\":\"traceroute\",\"target\":\"02:00:00:00:00\"}",
		"{\"command\":\"traceroute\",\"target\":\"node1\"}",
		"{\"command\":\"traceroute\",\"target\":null}",
		/* no command, unknown command */
		"{}",
		"{\"wait\":1}",
		"{\"command\":\"\"}",
		"{\"command\":\"reboot\"}",
		"{\"command\":\"STATUS\"}",
		"{\"command\":\"status \"}",
		/* wait out of range */
		"{\"command\":\"health\",\"wait\":0}",
		"{\"command\":\"health\",\"wait\":-1}",
		"{\"command\":\"health\",\"wait\":60.001}",
		"{\"command\":\"health\",\"wait\":61}",
		"{\"command\":\"health\",\"wait\":1e300}",
		"{\"command\":\"health\",\"wait\":-1e300}",
		"{\"command\":\"health\",\"wait\":99999999999999999999999}",
		/* target rules */
		"{\"command\":\"traceroute\"}",
		"{\"command\":\"traceroute\",\"wait\":2}",
		"{\"command\":\"status\",\"target\":\"02:00:00:00:00:01\"}",
		/* nested too deep */
		"{\"command\":\"status\",\"x\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}",
	};

	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_words_good(void **state)
{
	static const struct good_case cases[] = {
		{"status", CTL_STATUS, CTL_DEFAULT_WAIT_MS, false},
		{"peers", CTL_PEERS, CTL_DEFAULT_WAIT_MS, false},
		{"routes", CTL_ROUTES, CTL_DEFAULT_WAIT_MS, false},
		{"nodes", CTL_NODES, CTL_DEFAULT_WAIT_MS, false},
		{"graph 5", CTL_GRAPH, 5000, false},
		{"health", CTL_HEALTH, CTL_DEFAULT_WAIT_MS, false},
		{"health 2", CTL_HEALTH, 2000, false},
		{"health 0.25", CTL_HEALTH, 250, false},
		{"health 1.001", CTL_HEALTH, 1001, false},
		{"health 60", CTL_HEALTH, 60000, false},
		{"  health\t\t3  \r", CTL_HEALTH, 3000, false},
		{"health 1 2", CTL_HEALTH, 2000, false},
		{"traceroute 02:00:00:00:00:01", CTL_TRACEROUTE, CTL_DEFAULT_WAIT_MS, true},
		{"traceroute 02:00:00:00:00:01 3", CTL_TRACEROUTE, 3000, true},
		{"traceroute 4 02:00:00:00:00:01", CTL_TRACEROUTE, 4000, true},
		{"traceroute 02-00-00-00-00-01", CTL_TRACEROUTE, CTL_DEFAULT_WAIT_MS, true},
	};

	check_good(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_words_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"\r",
		"\t",
		"bogus",
		"Status",
		"status now",
		"health x",
		"health 2s",
		"health 0",
		"health -1",
		"health 61",
		"health nan",
		"health inf",
		"health 1e400",
		"traceroute",
		"traceroute 5",
		"traceroute 02:00:00:00:00",
		"traceroute 02:00:00:00:00:01 02:00:00:00:00:02",
		"status 02:00:00:00:00:01",
		"health 02:00:00:00:00:01",
		"[\"status\"]",
		"\"status\"",
	};

	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_nul_and_length(void **state)
{
	struct ctl_request req;
	const char *why;
	char *line = malloc(CTL_MAX_REQUEST + 16);

	assert_non_null(line);
	/* NUL bytes anywhere */
	assert_int_equal(ctl_parse_request("status\0x", 8, &req, &why), -EINVAL);
	assert_string_equal(why, "NUL byte in request");
	assert_int_equal(ctl_parse_request("\0", 1, &req, &why), -EINVAL);
	assert_int_equal(ctl_parse_request("{\"command\":\"status\"}\0", 21, &req, &why), -EINVAL);
	assert_int_equal(ctl_parse_request("{\"command\":\"sta\0tus\"}", 21, &req, &why), -EINVAL);
	/* only len bytes are read: what follows does not matter */
	assert_int_equal(ctl_parse_request("statusXYZ", 6, &req, &why), 0);
	assert_int_equal(req.command, CTL_STATUS);
	assert_int_equal(ctl_parse_request("health 20", 8, &req, &why), 0);
	assert_int_equal(req.wait_ms, 2000);

	/* the longest request, padded with spaces, and one byte more */
	memset(line, ' ', CTL_MAX_REQUEST + 16);
	memcpy(line, "status", 6);
	assert_int_equal(ctl_parse_request(line, CTL_MAX_REQUEST - 1, &req, &why), 0);
	assert_int_equal(ctl_parse_request(line, CTL_MAX_REQUEST, &req, &why), -EINVAL);
	assert_string_equal(why, "request too long");
	assert_int_equal(ctl_parse_request(line, CTL_MAX_REQUEST + 16, &req, &why), -EINVAL);
	/* a long word and a long JSON string */
	memset(line, 'a', CTL_MAX_REQUEST - 1);
	assert_int_equal(ctl_parse_request(line, CTL_MAX_REQUEST - 1, &req, &why), -EINVAL);
	memset(line, 'a', CTL_MAX_REQUEST);
	memcpy(line, "{\"command\":\"", 12);
	memcpy(line + CTL_MAX_REQUEST - 3, "\"}", 2);
	assert_int_equal(ctl_parse_request(line, CTL_MAX_REQUEST - 1, &req, &why), -EINVAL);
	assert_string_equal(why, "unknown command");
	free(line);
}

/* format -> parse gives the request back */
static void roundtrip(const struct ctl_request *req)
{
	char buf[256];
	struct ctl_request back;
	const char *why = NULL;
	int n = ctl_format_request(req, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	assert_int_equal(buf[n - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	if (ctl_parse_request(buf, (size_t)n - 1, &back, &why) != 0)
		fail_msg("'%s' does not parse: %s", buf, why);
	if (back.command != req->command || back.wait_ms != req->wait_ms ||
	    back.has_target != req->has_target)
		fail_msg("'%.*s' parses as command %d wait %u target %d", n - 1, buf, back.command,
			 back.wait_ms, back.has_target);
	if (req->has_target)
		assert_memory_equal(back.target, req->target, MAC_LEN);
}

static void test_format_roundtrip(void **state)
{
	struct ctl_request req;
	char buf[256];

	for (int c = 0; c < CTL_COMMAND_COUNT; c++) {
		memset(&req, 0, sizeof(req));
		req.command = (enum ctl_command)c;
		if (c == CTL_TRACEROUTE) {
			req.has_target = true;
			memcpy(req.target, ((uint8_t[]){0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}),
			       MAC_LEN);
		}
		for (unsigned ms = 1; ms <= CTL_MAX_WAIT_MS; ms += c == CTL_HEALTH ? 1 : 997) {
			req.wait_ms = ms;
			roundtrip(&req);
		}
		req.wait_ms = CTL_MAX_WAIT_MS;
		roundtrip(&req);
		req.wait_ms = CTL_DEFAULT_WAIT_MS;
		roundtrip(&req);
	}
	/* the exact text */
	memset(&req, 0, sizeof(req));
	req.command = CTL_HEALTH;
	req.wait_ms = 2500;
	assert_int_equal(ctl_format_request(&req, buf, sizeof(buf)), 34);
	assert_string_equal(buf, "{\"command\":\"health\",\"wait\":2.500}\n");
	req.command = CTL_TRACEROUTE;
	req.has_target = true;
	memcpy(req.target, TARGET, MAC_LEN);
	assert_true(ctl_format_request(&req, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"command\":\"traceroute\",\"wait\":2.500,"
				 "\"target\":\"02:00:00:00:00:01\"}\n");
	/* too small a buffer */
	req.command = CTL_HEALTH;
	req.has_target = false;
	assert_int_equal(ctl_format_request(&req, buf, 34), -ENOSPC);
	assert_int_equal(ctl_format_request(&req, buf, 35), 34);
	assert_int_equal(ctl_format_request(&req, buf, 1), -ENOSPC);
}

static void test_command_names(void **state)
{
	for (int c = 0; c < CTL_COMMAND_COUNT; c++)
		assert_int_equal(ctl_command_parse(ctl_command_name((enum ctl_command)c)), c);
	assert_string_equal(ctl_command_name(CTL_STATUS), "status");
	assert_string_equal(ctl_command_name(CTL_TRACEROUTE), "traceroute");
	assert_string_equal(ctl_command_name(CTL_COMMAND_COUNT), "?");
	assert_int_equal(ctl_command_parse("?"), -1);
	assert_int_equal(ctl_command_parse(""), -1);
	assert_int_equal(ctl_command_parse("statu"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_good),      cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_words_good),     cmocka_unit_test(test_words_bad),
		cmocka_unit_test(test_nul_and_length), cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_command_names),
	};

	return cmocka_run_group_tests_name("ctl_proto", tests, NULL, NULL);
}
