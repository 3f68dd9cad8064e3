/* config: defaults, INI text, every key, error messages, command line, peers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "config.h"

#define ORIGIN "t.conf"

static int parse(struct config *c, const char *text, char *err)
{
	err[0] = '\0';
	return config_parse_text(c, text, strlen(text), ORIGIN, err, CONFIG_ERR_SIZE);
}

/* Parsing text fails, and the message starts with prefix. */
static void expect_error(const char *text, size_t len, const char *prefix)
{
	struct config c;
	char err[CONFIG_ERR_SIZE] = "";

	config_init(&c);
	if (config_parse_text(&c, text, len, ORIGIN, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: \"%s\"", text);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("for \"%s\": message \"%s\" does not start with \"%s\"", text, err,
			 prefix);
	/* one line; a prefix that ends with ": " is followed by the reason */
	assert_null(strchr(err, '\n'));
	if (prefix[strlen(prefix) - 1] == ' ')
		assert_true(strlen(err) > strlen(prefix));
	config_fini(&c);
}

static void expect_error_s(const char *text, const char *prefix)
{
	expect_error(text, strlen(text), prefix);
}

static void expect_ok(const char *text)
{
	struct config c;
	char err[CONFIG_ERR_SIZE];

	config_init(&c);
	if (parse(&c, text, err) != 0)
		fail_msg("rejected: \"%s\": %s", text, err);
	config_fini(&c);
}

static void test_defaults(void **state)
{
	struct config c;
	char err[CONFIG_ERR_SIZE];

	config_init(&c);
	assert_string_equal(c.key, CONFIG_DIR "/node.key");
	assert_string_equal(c.cert, CONFIG_DIR "/node.crt");
	assert_string_equal(c.ca, CONFIG_DIR "/ca.crt");
	assert_null(c.crl);
	assert_int_equal(c.port, CONFIG_DEFAULT_PORT);
	assert_int_equal(c.port, 41744);
	assert_null(c.listen);
	assert_int_equal(c.n_init, 0);
	assert_int_equal(c.n_srv, 0);
	assert_true(c.mdns);
	assert_string_equal(c.cache, "/var/lib/invpn/peers.cache");
	assert_int_equal(c.min_links, 2);
	assert_int_equal(c.max_links, 16);
	assert_int_equal(c.max_routes, 4096);
	assert_int_equal(c.max_nodes, 1024);
	assert_false(c.no_incoming);
	assert_false(c.no_relay);
	assert_string_equal(c.interface, "invpn%d");
	assert_int_equal(c.mtu, 1500);
	assert_string_equal(c.control, "/run/invpn/invpnd.sock");
	assert_int_equal(c.announce_interval, 5);
	assert_int_equal(c.route_timeout, 30);
	assert_int_equal(c.announce_interval_max, 60);
	assert_int_equal(c.link_timeout, 15);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	/* empty text changes nothing */
	assert_int_equal(parse(&c, "", err), 0);
	assert_int_equal(parse(&c, "\n\n   \n\t\n", err), 0);
	assert_int_equal(c.port, 41744);
	config_fini(&c);
	/* fini twice is harmless (it clears) */
	config_fini(&c);
}

static void test_ini(void **state)
{
	static const char text[] =
		"# the original's invpn.conf\n"
		"; a comment too\n"
		"\n"
		"[General]\n"
		"  port = 1234  \n"
		"cert=\"/etc/my certs/node.crt\"\n"
		"key = \"\"x\"\"\n"
		"Max_Links = 9\r\n"
		"[Peers]\n"
		"init = 02:00:00:00:00:01@192.0.2.1:1, 198.51.100.7,[2001:db8::1]:99\n"
		"init = \"node.example.net:7\"\n"
		"srv = example.com,example.org\n"
		"\t# indented comment\n"
		"[Misc Section]\n"
		"no-incoming = yes\n"
		"no_relay = On\n"
		"mdns = false\n"
		"log-level = DEBUG\n"
		"interface = tap%d\n"
		"crl = /etc/invpn/crl.pem"; /* no newline at the end */
	struct config c;
	char err[CONFIG_ERR_SIZE];

	config_init(&c);
	if (parse(&c, text, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.port, 1234);
	assert_string_equal(c.cert, "/etc/my certs/node.crt");
	/* only one pair of quotes comes off */
	assert_string_equal(c.key, "\"x\"");
	assert_int_equal(c.max_links, 9);
	assert_int_equal(c.n_init, 4);
	assert_true(c.init[0].has_mac);
	assert_memory_equal(c.init[0].mac, ((uint8_t[]){2, 0, 0, 0, 0, 1}), MAC_LEN);
	assert_string_equal(c.init[0].host, "192.0.2.1");
	assert_int_equal(c.init[0].port, 1);
	assert_false(c.init[1].has_mac);
	assert_string_equal(c.init[1].host, "198.51.100.7");
	/* no port: 0 means "the configured port" */
	assert_int_equal(c.init[1].port, 0);
	assert_string_equal(c.init[2].host, "2001:db8::1");
	assert_int_equal(c.init[2].port, 99);
	assert_string_equal(c.init[3].host, "node.example.net");
	assert_int_equal(c.init[3].port, 7);
	assert_int_equal(c.n_srv, 2);
	assert_string_equal(c.srv[0], "example.com");
	assert_string_equal(c.srv[1], "example.org");
	assert_true(c.no_incoming);
	assert_true(c.no_relay);
	assert_false(c.mdns);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_string_equal(c.interface, "tap%d");
	assert_string_equal(c.crl, "/etc/invpn/crl.pem");
	/* another text (another file) may set a key again; lists append */
	assert_int_equal(parse(&c, "port = 2\ninit = 192.0.2.9\n", err), 0);
	assert_int_equal(c.port, 2);
	assert_int_equal(c.n_init, 5);
	config_fini(&c);
}

/* A line of exactly the longest length is fine; one more is an error. */
static void test_long_lines(void **state)
{
	char *text = malloc(8192);
	size_t n;

	assert_non_null(text);
	strcpy(text, "# first\ncache = ");
	n = strlen(text);
	/* "cache = " + x... makes a line of 4095 characters */
	memset(text + n, 'x', 4095 - 8);
	n += 4095 - 8;
	text[n] = '\0';
	expect_ok(text);
	text[n] = 'x';
	text[n + 1] = '\n';
	text[n + 2] = '\0';
	expect_error(text, strlen(text), ORIGIN ":2: line too long");
	free(text);
}

struct key_case {
	const char *key;
	const char *good[4];
	const char *bad[6];
};

/* Every key of config.c's table, with values it must take and values it must refuse. */
static const struct key_case key_cases[] = {
	{"key", {"/k.pem", "relative.key"}, {""}},
	{"cert", {"/c.pem"}, {""}},
	{"ca", {"/ca.pem"}, {""}},
	{"crl", {"/crl.pem"}, {""}},
	{"port", {"1", "65535", "41744"}, {"0", "65536", "-1", "abc", "12x", ""}},
	{"listen", {"0.0.0.0", "::", "192.0.2.1", "fe80::1"}, {"localhost", "1.2.3", "::g", ""}},
	{"init",
	 {"192.0.2.1", "02:00:00:00:00:01@[::1]:5", "a.example, b.example:9"},
	 {"02:00:00:00:00:0g@h", "03:00:00:00:00:01@h", "h:0", "[::1", "h/x", "300.1.1.1"}},
	{"srv", {"example.com", "a.example,b.example"}, {"ex/ample", "a.example,b@example"}},
	{"mdns", {"yes", "no", "TRUE", "off"}, {"maybe", "2", "", "yes please"}},
	{"cache", {"/var/cache/x", ""}, {NULL}}, /* empty: no cache */
	{"min_links", {"0", "1024"}, {"1025", "-1", "", "one"}},
	{"max_links", {"1", "1024"}, {"0", "1025", ""}},
	{"max_routes", {"512", "1048576"}, {"511", "1048577", ""}},
	{"max_nodes", {"16", "262144"}, {"15", "262145", ""}},
	{"no_incoming", {"1", "0"}, {"sure", ""}},
	{"no_relay", {"on", "false"}, {"nope", ""}},
	{"interface",
	 {"invpn%d", "tap0", "abcdefghijklmno"},
	 {"", "a/b", "a%s", "a%d%d", "abcdefghijklmnop", "a b"}},
	{"mtu", {"68", "1500", "65000"}, {"67", "65001", "", "1e3"}},
	{"offload", {"yes", "no"}, {"auto", ""}},
	{"sign", {"yes", "no"}, {"auto", ""}},
	{"require_signed", {"yes", "no"}, {"maybe", ""}},
	{"control", {"/run/x.sock"}, {""}},
	{"announce_interval", {"1", "3600"}, {"0", "3601", ""}},
	{"announce_interval_max", {"1", "3600"}, {"0", "3601", ""}},
	{"route_timeout", {"1", "86400"}, {"0", "86401", ""}},
	{"link_timeout", {"1", "3600"}, {"0", "3601", ""}},
	{"log_level",
	 {
		 "error",
		 "warning",
		 "notice",
		 "info",
	 },
	 {"verbose", "", "7", "err"}},
	{"user", {"invpn", "nobody"}, {""}},
	{"group", {"invpn"}, {""}},
	{"up", {"/etc/invpn/up.sh", "\"ip link set dev $INTERFACE up\""}, {""}},
	{"down", {"/etc/invpn/down.sh"}, {""}},
	{"metrics",
	 {"127.0.0.1:9120", "[::1]:9120", "0.0.0.0:80"},
	 {"127.0.0.1", "localhost:9120", "02:00:00:00:00:01@127.0.0.1:1", "127.0.0.1:0", "::1:9120",
	  ""}},
};

static const struct key_case *find_case(const char *key)
{
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		if (!strcmp(key_cases[i].key, key))
			return &key_cases[i];
	}
	return NULL;
}

static void test_every_key(void **state)
{
	char text[512], prefix[128];

	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		const struct key_case *k = &key_cases[i];

		for (size_t j = 0; j < 4 && k->good[j]; j++) {
			snprintf(text, sizeof(text), "[s]\n# x\n%s = %s\n", k->key, k->good[j]);
			expect_ok(text);
		}
		for (size_t j = 0; j < 6 && k->bad[j]; j++) {
			/* the error is on line 4 */
			snprintf(text, sizeof(text), "; c\n\n[s]\n%s = %s\nport = 1\n", k->key,
				 k->bad[j]);
			snprintf(prefix, sizeof(prefix), ORIGIN ":4: %s: ", k->key);
			expect_error(text, strlen(text), prefix);
		}
	}
}

static char *help_text(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	config_print_keys(f);
	fclose(f);
	return out;
}

/*
 * The test's table covers every key that config.c knows (from --help), and
 * --help gives each one a default, within CONFIG_HELP_COLUMNS.
 */
static void test_key_table_complete(void **state)
{
	char *out = help_text(), *line, *save = NULL, name[64] = "";
	size_t n = 0;
	bool has_default = true;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) > CONFIG_HELP_COLUMNS)
			fail_msg("longer than %d columns: \"%s\"", CONFIG_HELP_COLUMNS, line);
		/* a key's line, or its default alone on the next line */
		if (strncmp(line, "  --", 4)) {
			assert_non_null(strstr(line, "(default: "));
			assert_int_equal(line[strspn(line, " ")], '(');
			has_default = true;
			continue;
		}
		if (!has_default)
			fail_msg("key %s shows no default", name);
		assert_int_equal(sscanf(line, " --%63s", name), 1);
		if (!find_case(name))
			fail_msg("key %s has no test case", name);
		has_default = strstr(line, "(default: ") != NULL;
		n++;
	}
	if (!has_default)
		fail_msg("key %s shows no default", name);
	assert_int_equal(n, sizeof(key_cases) / sizeof(key_cases[0]));
	free(out);
}

/* The defaults --help shows are config_init's. */
static void test_help_defaults(void **state)
{
	static const char *const want[] = {
		"  --port               listening port (default: 41744)\n",
		"  --mdns               publish and browse _invpn._tcp on the LAN (default: yes)\n",
		"  --no_relay           relay nothing for others (implies no_incoming) "
		"(default: no)\n",
		"  --log_level          error, warning, notice, info or debug (default: info)\n",
		"  --crl                certificate revocation list (PEM) (default: none)\n",
		"  --listen             bind address (default: all, IPv4 and IPv6)\n",
		"  --interface          TAP interface name template (default: invpn%d)\n",
		"  --min_links          links to keep at least (default: 2)\n",
		"  --cache              peer cache file (empty: keep none) "
		"(default: /var/lib/invpn/peers.cache)\n",
		/* too long for one line: the default goes below, under the meaning */
		"  --cert               certificate file (PEM); its CN is this node's MAC\n"
		"                       (default: " CONFIG_DIR "/node.crt)\n",
	};
	char *out = help_text();

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(out, want[i]))
			fail_msg("--help lacks \"%s\" in:\n%s", want[i], out);
	}
	free(out);
}

static void test_values(void **state)
{
	struct config c;
	char err[CONFIG_ERR_SIZE];

	config_init(&c);
	assert_int_equal(parse(&c,
			       "port=65535\nlisten=::1\nmin_links=0\nmax_links=1024\nmtu=68\n"
			       "announce_interval=3600\nroute_timeout=86400\nlink_timeout=1\n"
			       "log_level=error\ncontrol=/c\ncache=/x\n",
			       err),
			 0);
	assert_int_equal(c.port, 65535);
	assert_string_equal(c.listen, "::1");
	assert_int_equal(c.min_links, 0);
	assert_int_equal(c.max_links, 1024);
	assert_int_equal(c.mtu, 68);
	assert_int_equal(c.announce_interval, 3600);
	assert_int_equal(c.route_timeout, 86400);
	assert_int_equal(c.link_timeout, 1);
	assert_int_equal(c.log_level, LOG_ERR);
	assert_string_equal(c.control, "/c");
	assert_string_equal(c.cache, "/x");
	/* a refused value leaves the old one */
	assert_int_equal(parse(&c, "port = 0\n", err), -EINVAL);
	assert_int_equal(c.port, 65535);
	assert_int_equal(parse(&c, "log_level = warning\nmtu = 9000\n", err), 0);
	assert_int_equal(c.log_level, LOG_WARNING);
	assert_int_equal(c.mtu, 9000);
	/* config_set directly, either spelling */
	assert_int_equal(config_set(&c, "no-relay", "yes", "here", err, sizeof(err)), 0);
	assert_true(c.no_relay);
	assert_int_equal(config_set(&c, "NO_RELAY", "no", "here", err, sizeof(err)), 0);
	assert_false(c.no_relay);
	assert_int_equal(config_set(&c, "max-links", "x", "here", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "here: max_links: 'x' is not a whole number from 1 to 1024");
	config_fini(&c);
}

static void test_lists(void **state)
{
	struct config c;
	char err[CONFIG_ERR_SIZE], text[8192];
	size_t n = 0;

	/* one per line or comma separated, up to CONFIG_MAX_LIST entries */
	for (int i = 0; i < CONFIG_MAX_LIST; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "init = 192.0.2.%d:%d\n", i + 1,
				      i + 1);
	config_init(&c);
	assert_int_equal(parse(&c, text, err), 0);
	assert_int_equal(c.n_init, CONFIG_MAX_LIST);
	assert_string_equal(c.init[63].host, "192.0.2.64");
	assert_int_equal(c.init[63].port, 64);
	assert_int_equal(parse(&c, "\ninit = 192.0.2.200\n", err), -EINVAL);
	assert_string_equal(err, ORIGIN ":2: init: more than 64 entries");
	config_fini(&c);

	n = 0;
	n += (size_t)snprintf(text, sizeof(text), "srv = ");
	for (int i = 0; i < CONFIG_MAX_LIST + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "d%d.example,", i);
	config_init(&c);
	assert_int_equal(parse(&c, text, err), -EINVAL);
	assert_string_equal(err, ORIGIN ":1: srv: more than 64 entries");
	config_fini(&c);

	/* a list value longer than the list buffer (only the command line can give one) */
	{
		char *big = malloc(6000);

		assert_non_null(big);
		memset(big, 'a', 5000);
		big[5000] = '\0';
		config_init(&c);
		assert_int_equal(config_set(&c, "srv", big, "command line --srv", err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "command line --srv: srv: value too long");
		config_fini(&c);
		free(big);
	}
	/* a line longer than the line buffer */
	{
		char *big = malloc(6000);

		assert_non_null(big);
		strcpy(big, "srv = ");
		memset(big + 6, 'a', 4200);
		big[4206] = '\0';
		expect_error(big, strlen(big), ORIGIN ":1: line too long");
		free(big);
	}
	config_init(&c);
	assert_int_equal(parse(&c, "init =\nsrv = ,, ,\n", err), 0);
	assert_int_equal(c.n_init, 0);
	assert_int_equal(c.n_srv, 0);
	config_fini(&c);
}

static void test_errors(void **state)
{
	/* unknown key */
	expect_error_s("\n\nbogus = 1\n", ORIGIN ":3: bogus: unknown key");
	expect_error_s("port = 1\nno relay = yes\n", ORIGIN ":2: no relay: unknown key");
	/* syntax errors: "FILE:LINE: why" */
	expect_error_s("port = 1\n[General\n", ORIGIN ":2: bad section header");
	expect_error_s("# ok\n\njust words\n", ORIGIN ":3: expected 'key = value'");
	expect_error_s("= 5\n", ORIGIN ":1: missing key before '='");
	expect_error_s("  \t = 5\n", ORIGIN ":1: missing key before '='");
	/* a NUL byte in the file */
	{
		static const char nul[] = "port = 1\nmtu = 1500\nca = /x\0y\n";

		expect_error(nul, sizeof(nul) - 1, ORIGIN ":3: NUL byte in file");
	}
	/* the exact messages */
	{
		struct config c;
		char err[CONFIG_ERR_SIZE];

		config_init(&c);
		assert_int_equal(parse(&c, "a=1\n[x]\n\nmtu = 10\n", err), -EINVAL);
		assert_string_equal(err, ORIGIN ":1: a: unknown key");
		assert_int_equal(parse(&c, "[x]\n\nmtu = 10\n", err), -EINVAL);
		assert_string_equal(err,
				    ORIGIN ":3: mtu: '10' is not a whole number from 68 to 65000");
		assert_int_equal(parse(&c, "#\n[x\n", err), -EINVAL);
		assert_string_equal(err, ORIGIN ":2: bad section header '[x'");
		assert_int_equal(parse(&c, "\n\n\n\nnothing\n", err), -EINVAL);
		assert_string_equal(err, ORIGIN ":5: expected 'key = value', got 'nothing'");
		assert_int_equal(parse(&c, "mdns = maybe\n", err), -EINVAL);
		assert_string_equal(err, ORIGIN ":1: mdns: 'maybe' is not yes or no");
		assert_int_equal(parse(&c, "cert =\n", err), -EINVAL);
		assert_string_equal(err, ORIGIN ":1: cert: empty value");
		assert_int_equal(parse(&c, "listen = host\n", err), -EINVAL);
		assert_string_equal(err, ORIGIN ":1: listen: 'host' is not an IP address");
		assert_int_equal(parse(&c, "init = 1.2.3.4:0\n", err), -EINVAL);
		assert_string_equal(err, ORIGIN ":1: init: '1.2.3.4:0': bad port (want 1-65535)");
		config_fini(&c);
	}
	/* the origin may be any path */
	{
		struct config c;
		char err[CONFIG_ERR_SIZE];

		config_init(&c);
		assert_int_equal(config_parse_text(&c, "\nx\n", 3, "/etc/invpn/invpn.conf", err,
						   sizeof(err)),
				 -EINVAL);
		assert_string_equal(err,
				    "/etc/invpn/invpn.conf:2: expected 'key = value', got 'x'");
		/* a small err buffer truncates, never overflows */
		assert_int_equal(config_parse_text(&c, "\nx\n", 3, "o", err, 8), -EINVAL);
		assert_string_equal(err, "o:2: ex");
		config_fini(&c);
	}
}

static void test_validate(void **state)
{
	struct config c;
	char err[CONFIG_ERR_SIZE];

	config_init(&c);
	c.min_links = 5;
	c.max_links = 5;
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	c.min_links = 6;
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "configuration: min_links: 6 is more than max_links (5)");
	c.min_links = 0;

	/* require_signed without signing could verify nothing */
	c.require_signed = true;
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	c.sign = false;
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "require_signed: needs sign = yes"));
	c.require_signed = false;
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	c.sign = true;

	c.announce_interval = 10;
	c.link_timeout = 10;
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "link_timeout: "));
	c.link_timeout = 9;
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	c.link_timeout = 11;
	c.route_timeout = 10;
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "route_timeout: "));
	c.route_timeout = 11;
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	config_fini(&c);

	/* through the text: each value is fine alone, not together */
	config_init(&c);
	assert_int_equal(parse(&c, "min_links = 20\n", err), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_int_equal(parse(&c, "max_links = 20\nannounce_interval = 15\n", err), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_int_equal(parse(&c, "link_timeout = 45\n", err), 0);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	config_fini(&c);
}

/* ---- command line ---- */

/*
 * argv from string literals: config_parse_args does not write to argv, and
 * the values it keeps point into it, so the literals must outlive cl.
 */
static char **argv_of(const char *const *a)
{
	return (char **)(uintptr_t)a;
}

#define ARGS(...) argv_of((const char *const[]){"invpnd", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((const char *[]){"invpnd", __VA_ARGS__}) / sizeof(char *)))
#define PARSE_ARGS(cl, err, ...) \
	config_parse_args(ARGC(__VA_ARGS__), ARGS(__VA_ARGS__), (cl), (err), CONFIG_ERR_SIZE)
#define APPLY(c, err, ...) apply((c), ARGC(__VA_ARGS__), ARGS(__VA_ARGS__), (err))

/* The value given for key on the command line, or NULL. */
static const char * override(const struct cmdline *cl, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; i < cl->n_overrides; i++) {
		if (!strcmp(cl->keys[i], key))
			v = cl->values[i];
	}
	return v;
}

static void test_args_words(void **state)
{
	struct cmdline cl;
	char err[CONFIG_ERR_SIZE];
	assert_int_equal(config_parse_args(1, argv_of((const char *const[]){"invpnd", NULL}), &cl,
					   err, sizeof(err)),
			 0);
	assert_null(cl.config_file);
	assert_false(cl.foreground);
	assert_false(cl.check_only);
	assert_int_equal(cl.verbose, 0);
	assert_int_equal(cl.n_overrides, 0);

	assert_int_equal(PARSE_ARGS(&cl, err, "-c", "/x.conf", "-f", "-n", "-v", "-v"), 0);
	assert_string_equal(cl.config_file, "/x.conf");
	assert_true(cl.foreground);
	assert_true(cl.check_only);
	assert_int_equal(cl.verbose, 2);
	assert_false(cl.help);
	assert_false(cl.version);

	assert_int_equal(PARSE_ARGS(&cl, err, "--config=/y.conf", "--foreground", "--check",
				    "--verbose", "-h", "-V"),
			 0);
	assert_string_equal(cl.config_file, "/y.conf");
	assert_true(cl.foreground && cl.check_only && cl.help && cl.version);
	assert_int_equal(cl.verbose, 1);
	assert_int_equal(PARSE_ARGS(&cl, err, "--config", "/z.conf", "--help", "--version"), 0);
	assert_string_equal(cl.config_file, "/z.conf");

	/* the descriptors a re-exec passes on */
	assert_int_equal(cl.tunfd, -1);
	assert_int_equal(cl.ctlfd, -1);
	assert_int_equal(cl.listenfd[0], -1);
	assert_int_equal(cl.listenfd[1], -1);
	assert_int_equal(PARSE_ARGS(&cl, err, "--tunfd=3", "--ctlfd=4", "--listenfd=5",
				    "--listenfd=6"),
			 0);
	assert_int_equal(cl.tunfd, 3);
	assert_int_equal(cl.ctlfd, 4);
	assert_int_equal(cl.listenfd[0], 5);
	assert_int_equal(cl.listenfd[1], 6);
	assert_int_equal(cl.n_overrides, 0);
	assert_int_equal(PARSE_ARGS(&cl, err, "--tunfd=2"), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "--ctlfd=x"), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "--listenfd="), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "--tunfd=65536"), -EINVAL);

	/* usage errors */
	assert_int_equal(PARSE_ARGS(&cl, err, "-f", "-c"), -EINVAL);
	assert_string_equal(err, "command line: -c: needs a file");
	assert_int_equal(PARSE_ARGS(&cl, err, "--config"), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "stray"), -EINVAL);
	assert_string_equal(err, "command line: stray: unexpected argument "
				 "(invpnd takes only options: --KEY VALUE)");
	/* a key without its dashes */
	assert_int_equal(PARSE_ARGS(&cl, err, "-f", "port", "5"), -EINVAL);
	assert_string_equal(err, "command line: port: unexpected argument (the option is --port)");
	assert_int_equal(PARSE_ARGS(&cl, err, "no-relay=yes"), -EINVAL);
	assert_string_equal(err, "command line: no-relay=yes: unexpected argument "
				 "(the option is --no-relay=yes)");
	/* a word after a non-flag option's value */
	assert_int_equal(PARSE_ARGS(&cl, err, "--port", "5", "6"), -EINVAL);
	assert_string_equal(err, "command line: 6: unexpected argument "
				 "(invpnd takes only options: --KEY VALUE)");
	assert_int_equal(PARSE_ARGS(&cl, err, "-x"), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "--"), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "-"), -EINVAL);
}

static void test_args_keys(void **state)
{
	struct cmdline cl;
	char err[CONFIG_ERR_SIZE];

	assert_int_equal(PARSE_ARGS(&cl, err, "--port", "5", "--mtu=1400", "-f",
				    "--log-level=debug"),
			 0);
	assert_int_equal(cl.n_overrides, 3);
	assert_string_equal(override(&cl, "port"), "5");
	assert_string_equal(override(&cl, "mtu"), "1400");
	assert_string_equal(override(&cl, "log-level"), "debug");
	assert_true(cl.foreground);
	/* "--key=" gives an empty value, checked later */
	assert_int_equal(PARSE_ARGS(&cl, err, "--cert="), 0);
	assert_string_equal(override(&cl, "cert"), "");
	/* values are not checked here */
	assert_int_equal(PARSE_ARGS(&cl, err, "--port", "abc"), 0);
	assert_string_equal(override(&cl, "port"), "abc");
	/* a non-boolean key takes the next word, even one that looks like an option */
	assert_int_equal(PARSE_ARGS(&cl, err, "--cache", "-f"), 0);
	assert_string_equal(override(&cl, "cache"), "-f");
	assert_false(cl.foreground);

	/* bare boolean flags */
	assert_int_equal(PARSE_ARGS(&cl, err, "--no-relay", "-f"), 0);
	assert_string_equal(override(&cl, "no-relay"), "yes");
	assert_true(cl.foreground);
	assert_int_equal(PARSE_ARGS(&cl, err, "--no-relay", "--port", "7"), 0);
	assert_string_equal(override(&cl, "no-relay"), "yes");
	assert_string_equal(override(&cl, "port"), "7");
	assert_int_equal(PARSE_ARGS(&cl, err, "--no-relay", "no"), 0);
	assert_string_equal(override(&cl, "no-relay"), "no");
	assert_int_equal(cl.n_overrides, 1);
	assert_int_equal(PARSE_ARGS(&cl, err, "--mdns", "off", "--no-incoming"), 0);
	assert_string_equal(override(&cl, "mdns"), "off");
	assert_string_equal(override(&cl, "no-incoming"), "yes");
	assert_int_equal(PARSE_ARGS(&cl, err, "--no_relay=no"), 0);
	assert_string_equal(override(&cl, "no_relay"), "no");
	/* a word after a flag is its value, good or bad: checked later, by the key */
	assert_int_equal(PARSE_ARGS(&cl, err, "--mdns", "maybe"), 0);
	assert_string_equal(override(&cl, "mdns"), "maybe");
	assert_int_equal(PARSE_ARGS(&cl, err, "--mdns", "maybe", "-f"), 0);
	assert_string_equal(override(&cl, "mdns"), "maybe");
	assert_true(cl.foreground);
	assert_int_equal(PARSE_ARGS(&cl, err, "--offload", "2", "--mdns"), 0);
	assert_string_equal(override(&cl, "offload"), "2");
	assert_string_equal(override(&cl, "mdns"), "yes");
	/* ... and an option after a flag is the next option */
	assert_int_equal(PARSE_ARGS(&cl, err, "--mdns", "--no-relay=no", "-n"), 0);
	assert_string_equal(override(&cl, "mdns"), "yes");
	assert_string_equal(override(&cl, "no-relay"), "no");
	assert_true(cl.check_only);

	/* usage errors */
	assert_int_equal(PARSE_ARGS(&cl, err, "--bogus", "1"), -EINVAL);
	assert_string_equal(err, "command line: --bogus: unknown option");
	assert_int_equal(PARSE_ARGS(&cl, err, "--bogus=1"), -EINVAL);
	assert_string_equal(err, "command line: --bogus=1: unknown option");
	assert_int_equal(PARSE_ARGS(&cl, err, "--=1"), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "--bogus"), -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err, "-f", "--port"), -EINVAL);
	assert_string_equal(err, "command line: --port: needs a value");
	/* names longer than any key */
	assert_int_equal(PARSE_ARGS(&cl, err,
				    "--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaa"),
			 -EINVAL);
	assert_int_equal(PARSE_ARGS(&cl, err,
				    "--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaa=1"),
			 -EINVAL);
}

/* Parse args and apply them to c; returns config_apply_cmdline's result. */
static int apply(struct config *c, int argc, char **argv, char *err)
{
	struct cmdline cl;

	assert_int_equal(config_parse_args(argc, argv, &cl, err, CONFIG_ERR_SIZE), 0);
	return config_apply_cmdline(c, &cl, err, CONFIG_ERR_SIZE);
}

static void test_apply(void **state)
{
	struct config c;
	char err[CONFIG_ERR_SIZE];

	/* --no_relay and --no-relay are the same key */
	config_init(&c);
	assert_int_equal(APPLY(&c, err, "--no_relay"), 0);
	assert_true(c.no_relay);
	config_fini(&c);
	config_init(&c);
	assert_int_equal(APPLY(&c, err, "--no-relay"), 0);
	assert_true(c.no_relay);
	assert_int_equal(APPLY(&c, err, "--no-relay", "no"), 0);
	assert_false(c.no_relay);
	assert_int_equal(APPLY(&c, err, "--no-relay", "-f"), 0);
	assert_true(c.no_relay);
	config_fini(&c);

	/* the command line wins over the file; list keys replace the file's list */
	config_init(&c);
	assert_int_equal(parse(&c,
			       "port = 1000\nmtu = 1400\n"
			       "init = 192.0.2.1, 192.0.2.2\ninit = 192.0.2.3\n"
			       "srv = file.example\n",
			       err),
			 0);
	assert_int_equal(c.n_init, 3);
	assert_int_equal(APPLY(&c, err, "--port", "2000", "--init", "198.51.100.1:5",
			       "--init=198.51.100.2", "--srv", "cmd.example"),
			 0);
	assert_int_equal(c.port, 2000);
	assert_int_equal(c.mtu, 1400); /* not on the command line: the file's */
	assert_int_equal(c.n_init, 2);
	assert_string_equal(c.init[0].host, "198.51.100.1");
	assert_int_equal(c.init[0].port, 5);
	assert_string_equal(c.init[1].host, "198.51.100.2");
	assert_int_equal(c.n_srv, 1);
	assert_string_equal(c.srv[0], "cmd.example");
	/* without list keys on the command line, the file's list stays */
	assert_int_equal(APPLY(&c, err, "--mtu", "1300"), 0);
	assert_int_equal(c.n_init, 2);
	assert_int_equal(c.n_srv, 1);
	assert_int_equal(c.mtu, 1300);

	/* bad values are reported with the flag as typed */
	assert_int_equal(APPLY(&c, err, "--port", "abc"), -EINVAL);
	assert_string_equal(err,
			    "command line: --port: 'abc' is not a whole number from 1 to 65535");
	assert_int_equal(APPLY(&c, err, "--mtu=1"), -EINVAL);
	assert_string_equal(err, "command line: --mtu: '1' is not a whole number from 68 to 65000");
	assert_int_equal(APPLY(&c, err, "--mdns", "maybe"), -EINVAL);
	assert_string_equal(err, "command line: --mdns: 'maybe' is not yes or no");
	assert_int_equal(APPLY(&c, err, "-f", "--no_incoming", "sure", "-n"), -EINVAL);
	assert_string_equal(err, "command line: --no_incoming: 'sure' is not yes or no");
	assert_int_equal(APPLY(&c, err, "--init", "300.1.1.1"), -EINVAL);
	assert_string_equal(err, "command line: --init: '300.1.1.1': not an IPv4 address "
				 "(want four numbers 0-255, like 192.0.2.1)");
	/* a bare flag, last or before another option, is yes */
	assert_int_equal(APPLY(&c, err, "--mdns", "no"), 0);
	assert_false(c.mdns);
	assert_int_equal(APPLY(&c, err, "--mdns"), 0);
	assert_true(c.mdns);
	assert_int_equal(APPLY(&c, err, "--mdns", "off", "--offload", "--port", "7"), 0);
	assert_false(c.mdns);
	assert_true(c.offload);
	assert_int_equal(c.port, 7);
	config_fini(&c);
}

/* A key set twice in one file is a mistake: the error names both lines. */
static void test_duplicates(void **state)
{
	struct config c;
	char err[CONFIG_ERR_SIZE];

	config_init(&c);
	assert_int_equal(parse(&c, "[a]\nport = 1\n\n# c\nmtu = 1400\n[b]\nport = 2\n", err),
			 -EINVAL);
	assert_string_equal(err, ORIGIN ":7: port: already set on line 2");
	/* either spelling, any case, is the same key */
	assert_int_equal(parse(&c, "no-relay = yes\nNO_RELAY = no\n", err), -EINVAL);
	assert_string_equal(err, ORIGIN ":2: no_relay: already set on line 1");
	/* the same value twice is still a mistake (one of them is stale) */
	assert_int_equal(parse(&c, "mdns = no\nmdns = no\n", err), -EINVAL);
	assert_string_equal(err, ORIGIN ":2: mdns: already set on line 1");
	/* an empty value sets the key too */
	assert_int_equal(parse(&c, "cache =\ncache = /x\n", err), -EINVAL);
	assert_string_equal(err, ORIGIN ":2: cache: already set on line 1");
	config_fini(&c);

	/* init and srv accumulate, line after line */
	config_init(&c);
	assert_int_equal(parse(&c,
			       "init = 192.0.2.1\nsrv = a.example\ninit = 192.0.2.2, 192.0.2.3\n"
			       "srv = b.example\nInit = 192.0.2.4\n",
			       err),
			 0);
	assert_int_equal(c.n_init, 4);
	assert_string_equal(c.init[3].host, "192.0.2.4");
	assert_int_equal(c.n_srv, 2);
	config_fini(&c);

	/* the command line wins over the file: not a duplicate */
	config_init(&c);
	assert_int_equal(parse(&c, "port = 1000\nmdns = yes\n", err), 0);
	assert_int_equal(APPLY(&c, err, "--port", "2000", "--mdns", "no"), 0);
	assert_int_equal(c.port, 2000);
	assert_false(c.mdns);
	config_fini(&c);
}

/* ---- peers ---- */

struct peer_case {
	const char *s;
	bool has_mac;
	const char *host;
	uint16_t port;
};

static void test_peer_good(void **state)
{
	static const struct peer_case cases[] = {
		{"02:00:00:00:00:01@1.2.3.4:5", true, "1.2.3.4", 5},
		{"1.2.3.4", false, "1.2.3.4", 41744},
		{"1.2.3.4:65535", false, "1.2.3.4", 65535},
		{"[::1]:5", false, "::1", 5},
		{"[::1]", false, "::1", 41744},
		{"::1", false, "::1", 41744},
		{"2001:db8::7", false, "2001:db8::7", 41744},
		{"::ffff:192.0.2.1", false, "::ffff:192.0.2.1", 41744},
		{"0A-BB-CC-DD-EE-FF@[2001:db8::1]:443", true, "2001:db8::1", 443},
		{"node.example.com", false, "node.example.com", 41744},
		{"node.example.com:7", false, "node.example.com", 7},
		{"02:00:00:00:00:01@host_1:9", true, "host_1", 9},
		{"localhost", false, "localhost", 41744},
	};
	struct config_peer p;
	const char *why = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (config_parse_peer(cases[i].s, 41744, &p, &why) != 0)
			fail_msg("rejected \"%s\": %s", cases[i].s, why);
		assert_int_equal(p.has_mac, cases[i].has_mac);
		assert_string_equal(p.host, cases[i].host);
		assert_int_equal(p.port, cases[i].port);
	}
	/* a name may hold digits, as long as it is not all digits and dots */
	assert_int_equal(config_parse_peer("1.2.3.4.example:5", 1, &p, &why), 0);
	assert_string_equal(p.host, "1.2.3.4.example");
	assert_int_equal(config_parse_peer("0A-BB-CC-DD-EE-FF@h", 1, &p, &why), 0);
	assert_memory_equal(p.mac, ((uint8_t[]){0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}), MAC_LEN);
	assert_int_equal(p.port, 1);
}

static void test_peer_bad(void **state)
{
	static const char *const bad[] = {
		/* bad MAC */
		"02:00:00:00:00@1.2.3.4",
		"02:00:00:00:00:0g@1.2.3.4",
		"@1.2.3.4",
		"02:00:00:00:00:01:02@h",
		"02:00:00:00:00:01 @h",
		"02:00:00:00:00:01@02:00@h",
		/* group and zero MACs */
		"03:00:00:00:00:01@1.2.3.4",
		"ff:ff:ff:ff:ff:ff@h",
		"00:00:00:00:00:00@h",
		/* bad port */
		"1.2.3.4:0",
		"1.2.3.4:65536",
		"1.2.3.4:",
		"1.2.3.4:x",
		"1.2.3.4:-1",
		"1.2.3.4:+5",
		"[::1]:",
		"[::1]:0",
		"[::1]:99999",
		"h:5x",
		"h: 5",
		/* empty host */
		"",
		":5",
		"02:00:00:00:00:01@",
		"02:00:00:00:00:01@:5",
		"[]",
		"[]:5",
		/* not a host */
		"[::1",
		"[::1]x",
		"[::1]5",
		"ho st",
		"h/x",
		"a:b:c",
		"1.2.3.4:5:6",
		"h@",
		"02:00:00:00:00:01",
		/*
		 * digits and dots are meant as IPv4, never a name to look up; the resolver
		 * would read "10.1" or "123" as inet_aton shorthand, "010.0.0.1" as octal
		 */
		"300.1.1.1",
		"1.2.3.256",
		"1.2.3",
		"1.2.3.4.5",
		"10.1",
		"123",
		"1.2.3.4.",
		"010.0.0.1",
		".1.2.3",
		"02:00:00:00:00:01@300.1.1.1:5",
		"1..2.3",
	};
	struct config_peer p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		if (config_parse_peer(bad[i], 41744, &p, &why) != -EINVAL)
			fail_msg("accepted \"%s\" (host %s)", bad[i], p.host);
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}
	/* a long host, and a long MAC part */
	{
		char s[600];
		const char *why = NULL;

		memset(s, 'a', sizeof(s) - 1);
		s[sizeof(s) - 1] = '\0';
		assert_int_equal(config_parse_peer(s, 1, &p, &why), -EINVAL);
		s[300] = '@';
		assert_int_equal(config_parse_peer(s, 1, &p, &why), -EINVAL);
		/* 253 characters is the longest DNS name */
		memset(s, 'a', 253);
		s[253] = '\0';
		assert_int_equal(config_parse_peer(s, 1, &p, &why), 0);
		s[253] = 'a';
		s[254] = '\0';
		assert_int_equal(config_parse_peer(s, 1, &p, &why), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ini),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_key_table_complete),
		cmocka_unit_test(test_help_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_args_words),
		cmocka_unit_test(test_args_keys),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_peer_good),
		cmocka_unit_test(test_peer_bad),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
