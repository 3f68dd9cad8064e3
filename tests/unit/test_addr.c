/* addr: formatting, IP literals, building sockaddrs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "addr.h"

/* Built the long way, to compare with: everything else zero. */
static socklen_t ref_v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return sizeof(*in);
}

static socklen_t ref_v6(struct sockaddr_storage *ss, const char *ip, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	in6->sin6_scope_id = scope;
	assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	return sizeof(*in6);
}

static void test_format(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	char buf[ADDR_STRLEN];

	ref_v4(&ss, "192.0.2.1", 41744);
	addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1:41744");
	addr_format_ip((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1");
	assert_int_equal(addr_port((struct sockaddr *)&ss), 41744);

	ref_v6(&ss, "2001:db8::1", 1, 0);
	addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:1");
	addr_format_ip((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	assert_int_equal(addr_port((struct sockaddr *)&ss), 1);

	/* a long one fits */
	ref_v6(&ss, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535, 0);
	addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	assert_string_equal(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535");

	addr_format((struct sockaddr *)&un, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	addr_format_ip((struct sockaddr *)&un, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	assert_int_equal(addr_port((struct sockaddr *)&un), 0);

	/* truncated, but terminated */
	ref_v4(&ss, "192.0.2.1", 41744);
	addr_format((struct sockaddr *)&ss, buf, 8);
	assert_string_equal(buf, "192.0.2");
}

static void test_is_ip(void **state)
{
	static const char *const good[] = {"192.0.2.1",	  "0.0.0.0",	      "::",	"::1",
					   "2001:db8::1", "::ffff:192.0.2.1", "fe80::1"};
	static const char *const bad[] =
		{"",	      "192.0.2",	  "192.0.2.256", "[::1]",	 "::1:",
		 "1.2.3.4:5", "seed.example.net", "localhost",	 "fe80::1%eth0", " ::1"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!addr_is_ip(good[i]))
			fail_msg("rejected %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_is_ip(bad[i]))
			fail_msg("took %s", bad[i]);
	}
}

static void test_make(void **state)
{
	static const uint8_t ip4[4] = {192, 0, 2, 7};
	static const uint8_t ip6[16] = {0xfe, 0x80, [15] = 1};
	struct sockaddr_storage ss, want;
	socklen_t len;

	memset(&ss, 0xa5, sizeof(ss));
	len = addr_make(&ss, AF_INET, ip4, 80, 99);
	assert_int_equal(len, ref_v4(&want, "192.0.2.7", 80));
	/* the whole storage: the directory compares with memcmp */
	assert_memory_equal(&ss, &want, sizeof(ss));

	memset(&ss, 0xa5, sizeof(ss));
	len = addr_make(&ss, AF_INET6, ip6, 443, 3);
	assert_int_equal(len, ref_v6(&want, "fe80::1", 443, 3));
	assert_memory_equal(&ss, &want, sizeof(ss));

	assert_int_equal(addr_make(&ss, AF_UNIX, ip6, 1, 0), 0);

	len = addr_any(&ss, AF_INET, 41744);
	assert_int_equal(len, ref_v4(&want, "0.0.0.0", 41744));
	assert_memory_equal(&ss, &want, sizeof(ss));
	len = addr_any(&ss, AF_INET6, 41744);
	assert_int_equal(len, ref_v6(&want, "::", 41744, 0));
	assert_memory_equal(&ss, &want, sizeof(ss));

	addr_set_port(&ss, 7);
	assert_int_equal(addr_port((struct sockaddr *)&ss), 7);
	ref_v4(&ss, "192.0.2.1", 1);
	addr_set_port(&ss, 65535);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 65535);
}

static void test_from_string(void **state)
{
	struct sockaddr_storage ss, want;
	static const uint8_t zero[sizeof(ss)];

	assert_int_equal(addr_from_string(&ss, "192.0.2.1", 5), ref_v4(&want, "192.0.2.1", 5));
	assert_memory_equal(&ss, &want, sizeof(ss));
	assert_int_equal(addr_from_string(&ss, "2001:db8::1", 6),
			 ref_v6(&want, "2001:db8::1", 6, 0));
	assert_memory_equal(&ss, &want, sizeof(ss));
	/* a mapped address stays IPv6 (the directory keeps what it was told) */
	assert_int_equal(addr_from_string(&ss, "::ffff:192.0.2.1", 6), sizeof(struct sockaddr_in6));

	memset(&ss, 0xa5, sizeof(ss));
	assert_int_equal(addr_from_string(&ss, "seed.example.net", 5), 0);
	assert_memory_equal(&ss, zero, sizeof(ss));
	assert_int_equal(addr_from_string(&ss, "[::1]", 5), 0);
	assert_int_equal(addr_from_string(&ss, "", 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_is_ip),
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_from_string),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
