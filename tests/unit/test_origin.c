/*
 * The rules for every frame (origin.c, PROTOCOL.md: Rules), with a fake
 * clock: ids and times are plain numbers here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "origin.h"

static void test_skew_bound(void **state)
{
	uint64_t now = 1700000000000ull;

	(void)state;
	assert_false(origin_id_too_new((int64_t)now, now));
	assert_false(origin_id_too_new((int64_t)(now + ORIGIN_MAX_SKEW_MS), now));
	assert_true(origin_id_too_new((int64_t)(now + ORIGIN_MAX_SKEW_MS + 1), now));
	/* the hijack of issue 9: now + 10^12 */
	assert_true(origin_id_too_new((int64_t)(now + 1000000000000ull), now));
	assert_true(origin_id_too_new(INT64_MAX, now));
	/* old and odd ids are the duplicate window's business, not this rule's */
	assert_false(origin_id_too_new(1, now));
	assert_false(origin_id_too_new(-5, now));
	assert_false(origin_id_too_new(INT64_MIN, now));
}

static void test_bucket_burst_then_rate(void **state)
{
	struct origin_bucket b = {0};
	uint64_t t = 5000;
	int n = 0;

	(void)state;
	while (origin_bucket_take(&b, t, 10, 2))
		n++;
	assert_int_equal(n, 10); /* a full bucket at first */
	assert_false(origin_bucket_take(&b, t + 499, 10, 2));
	assert_true(origin_bucket_take(&b, t + 500, 10, 2)); /* 2 per second */
	assert_false(origin_bucket_take(&b, t + 500, 10, 2));
	/* a long pause refills to the burst, not beyond */
	n = 0;
	while (origin_bucket_take(&b, t + 1000000, 10, 2))
		n++;
	assert_int_equal(n, 10);
	/* a clock that goes back (it is monotonic, but) gives nothing */
	assert_false(origin_bucket_take(&b, t, 10, 2));
}

static void test_route_reserve(void **state)
{
	(void)state;
	/* a full-size table keeps the last 256 for direct neighbours */
	assert_true(origin_route_room(4096 - 257, 4096, false));
	assert_false(origin_route_room(4096 - 256, 4096, false));
	assert_true(origin_route_room(4096 - 256, 4096, true));
	assert_true(origin_route_room(4095, 4096, true));
	assert_false(origin_route_room(4096, 4096, true));
	/* a small one keeps a quarter */
	assert_true(origin_route_room(47, 64, false));
	assert_false(origin_route_room(48, 64, false));
	assert_true(origin_route_room(63, 64, true));
}

static void test_upstream_generations(void **state)
{
	struct origin_upstream u;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_false(origin_upstream_has(&u, 0));
	assert_false(origin_upstream_has(&u, 7));
	origin_upstream_reset(&u, 7); /* INFO n first on link 7 */
	origin_upstream_note(&u, 8);  /* its copy on link 8 */
	origin_upstream_note(&u, 8);
	assert_true(origin_upstream_has(&u, 7));
	assert_true(origin_upstream_has(&u, 8));
	assert_false(origin_upstream_has(&u, 9));
	/* INFO n + 1 on link 9: 7 and 8 stay until n + 2 */
	origin_upstream_reset(&u, 9);
	assert_true(origin_upstream_has(&u, 9));
	assert_true(origin_upstream_has(&u, 8));
	origin_upstream_reset(&u, 9);
	assert_false(origin_upstream_has(&u, 8));
	assert_false(origin_upstream_has(&u, 7));
	/* bounded: the first ORIGIN_UPSTREAM + 1 links are kept */
	for (uint64_t l = 10; l < 30; l++)
		origin_upstream_note(&u, l);
	assert_true(origin_upstream_has(&u, 10));
	assert_false(origin_upstream_has(&u, 29));
	/* a closed link is forgotten in both generations */
	origin_upstream_reset(&u, 40);
	origin_upstream_forget(&u, 10);
	origin_upstream_forget(&u, 40);
	assert_false(origin_upstream_has(&u, 10));
	assert_false(origin_upstream_has(&u, 40));
	assert_true(origin_upstream_has(&u, 9));
}

static enum origin_addr_verdict check(const char *ip, uint16_t port,
				      const struct sockaddr_storage *own, size_t n)
{
	struct sockaddr_storage ss;

	assert_true(addr_from_string(&ss, ip, port) > 0);
	return origin_addr_check((struct sockaddr *)&ss, own, n);
}

static void test_addresses_not_to_dial(void **state)
{
	struct sockaddr_storage own[2];

	(void)state;
	addr_from_string(&own[0], "198.18.1.1", 41744);
	addr_from_string(&own[1], "2001:db8::1", 41744);
	assert_int_equal(check("198.18.1.2", 41744, own, 2), ORIGIN_ADDR_OK);
	assert_int_equal(check("2001:db8::2", 41744, own, 2), ORIGIN_ADDR_OK);
	assert_int_equal(check("127.0.0.1", 41744, own, 2), ORIGIN_ADDR_LOOPBACK);
	assert_int_equal(check("127.9.9.9", 1, own, 2), ORIGIN_ADDR_LOOPBACK);
	assert_int_equal(check("::1", 41744, own, 2), ORIGIN_ADDR_LOOPBACK);
	assert_int_equal(check("::ffff:127.0.0.1", 41744, own, 2), ORIGIN_ADDR_LOOPBACK);
	assert_int_equal(check("0.0.0.0", 41744, own, 2), ORIGIN_ADDR_UNSPECIFIED);
	assert_int_equal(check("::", 41744, own, 2), ORIGIN_ADDR_UNSPECIFIED);
	assert_int_equal(check("224.0.0.251", 5353, own, 2), ORIGIN_ADDR_MULTICAST);
	assert_int_equal(check("255.255.255.255", 1, own, 2), ORIGIN_ADDR_MULTICAST);
	assert_int_equal(check("ff02::1", 1, own, 2), ORIGIN_ADDR_MULTICAST);
	assert_int_equal(check("198.18.1.1", 41744, own, 2), ORIGIN_ADDR_OWN);
	assert_int_equal(check("::ffff:198.18.1.1", 41744, own, 2), ORIGIN_ADDR_OWN);
	assert_int_equal(check("2001:db8::1", 41744, own, 2), ORIGIN_ADDR_OWN);
	/* another daemon on this host listens elsewhere: fine */
	assert_int_equal(check("198.18.1.1", 41745, own, 2), ORIGIN_ADDR_OK);
	assert_int_equal(check("198.18.1.2", 0, own, 2), ORIGIN_ADDR_BAD);
	assert_string_equal(origin_addr_verdict_name(ORIGIN_ADDR_LOOPBACK), "a loopback address");
}

/* a GONE's last_id tombs no more than what we had and what our clock has reached */
static void test_gone_tomb_id(void **state)
{
	(void)state;
	/* honest: last_id below our clock */
	assert_int_equal(origin_gone_tomb_id(false, 0, 1000, 5000), 1000);
	assert_int_equal(origin_gone_tomb_id(true, 900, 1000, 5000), 1000);
	/* a far-future last_id: capped at our clock */
	assert_int_equal(origin_gone_tomb_id(false, 0, INT64_MAX, 5000), 5000);
	/* what the route had is never news, even past our clock (gone's clock ahead) */
	assert_int_equal(origin_gone_tomb_id(true, 7000, 8000, 5000), 7000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skew_bound),
		cmocka_unit_test(test_bucket_burst_then_rate),
		cmocka_unit_test(test_route_reserve),
		cmocka_unit_test(test_upstream_generations),
		cmocka_unit_test(test_addresses_not_to_dial),
		cmocka_unit_test(test_gone_tomb_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
