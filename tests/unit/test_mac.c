/* mac: parsing, formatting, classification. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mac.h"

static void test_parse_good(void **state)
{
	static const struct {
		const char *s;
		uint8_t mac[MAC_LEN];
	} cases[] = {
		{"02:00:00:00:00:01", {0x02, 0, 0, 0, 0, 0x01}},
		{"0a:bb:cc:dd:ee:ff", {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
		{"0A:BB:CC:DD:EE:FF", {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
		{"0a:Bb:cC:dD:Ee:fF", {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
		{"0a-bb-cc-dd-ee-ff", {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
		{"0a-bb:cc-dd:ee-ff", {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
		{"ff:ff:ff:ff:ff:ff", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"00:00:00:00:00:00", {0, 0, 0, 0, 0, 0}},
		{"01:23:45:67:89:ab", {0x01, 0x23, 0x45, 0x67, 0x89, 0xab}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t mac[MAC_LEN];

		memset(mac, 0x5a, sizeof(mac));
		if (mac_parse(cases[i].s, mac) != 0)
			fail_msg("rejected %s", cases[i].s);
		assert_memory_equal(mac, cases[i].mac, MAC_LEN);
	}
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"0",
		"02",
		"02:",
		"02:00:00:00:00",
		"02:00:00:00:00:",
		"02:00:00:00:00:0",
		"02:00:00:00:00:01:",
		"02:00:00:00:00:01:02",
		"02:00:00:00:00:011",
		"02:00:00:00:00:01 ",
		" 02:00:00:00:00:01",
		"02:00:00:00:00:01\n",
		"02:00:00:00:00:0g",
		"g2:00:00:00:00:01",
		"2:00:00:00:00:01",
		"02:0:00:00:00:01",
		"02.00.00.00.00.01",
		"02 00 00 00 00 01",
		"0200:0000:0001",
		"020000000001",
		"02::00:00:00:01",
		"02:00:00:00:00:01@host",
		"0x:00:00:00:00:01",
		"+2:00:00:00:00:01",
	};
	const uint8_t before[MAC_LEN] = {1, 2, 3, 4, 5, 6};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t mac[MAC_LEN];

		memcpy(mac, before, MAC_LEN);
		if (mac_parse(bad[i], mac) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		/* the output is untouched on failure */
		assert_memory_equal(mac, before, MAC_LEN);
	}
}

static void test_format(void **state)
{
	const uint8_t m1[MAC_LEN] = {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	const uint8_t m0[MAC_LEN] = {0};
	char buf[MAC_STRLEN + 4];
	uint8_t back[MAC_LEN];

	memset(buf, 'X', sizeof(buf));
	assert_ptr_equal(mac_format(m1, buf), buf);
	assert_string_equal(buf, "0a:bb:cc:dd:ee:ff");
	assert_int_equal(strlen(buf), MAC_STRLEN - 1);
	/* nothing written past MAC_STRLEN */
	assert_int_equal(buf[MAC_STRLEN], 'X');
	assert_string_equal(mac_format(m0, buf), "00:00:00:00:00:00");
	/* format and parse are inverse, for every value of each byte */
	for (unsigned v = 0; v < 256; v++) {
		uint8_t m[MAC_LEN];

		for (int i = 0; i < MAC_LEN; i++)
			m[i] = (uint8_t)(v + (unsigned)i * 41);
		assert_int_equal(mac_parse(mac_format(m, buf), back), 0);
		assert_memory_equal(back, m, MAC_LEN);
	}
}

static void test_classify(void **state)
{
	const uint8_t node[MAC_LEN] = {0x02, 0, 0, 0, 0, 1};
	const uint8_t node2[MAC_LEN] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t zero[MAC_LEN] = {0};
	const uint8_t bcast[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t v6mc[MAC_LEN] = {0x33, 0x33, 0, 0, 0, 1};
	const uint8_t v4mc[MAC_LEN] = {0x01, 0x00, 0x5e, 0, 0, 0xfb};
	const uint8_t low[MAC_LEN] = {0, 0, 0, 0, 0, 1};

	assert_true(mac_is_node(node));
	assert_true(mac_is_node(node2));
	assert_true(mac_is_node(low));
	assert_false(mac_is_node(zero));
	assert_false(mac_is_node(bcast));
	assert_false(mac_is_node(v6mc));
	assert_false(mac_is_node(v4mc));
	assert_true(mac_is_group(bcast));
	assert_true(mac_is_group(v6mc));
	assert_false(mac_is_group(node));
	assert_true(mac_is_zero(zero));
	assert_false(mac_is_zero(low));
	assert_true(mac_eq(node, node));
	assert_false(mac_eq(node, low));
	/* the group bit is the low bit of the first byte, whatever the rest */
	for (unsigned b = 0; b < 256; b++) {
		uint8_t m[MAC_LEN] = {(uint8_t)b, 0, 0, 0, 0, 0};

		assert_int_equal(mac_is_group(m), b & 1);
		assert_int_equal(mac_is_node(m), b != 0 && !(b & 1));
		m[5] = 1;
		assert_int_equal(mac_is_node(m), !(b & 1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests_name("mac", tests, NULL, NULL);
}
