/* route: learning, moving, dropping, expiry and the table bound, with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "link.h"
#include "route.h"

/* only their addresses matter */
static struct link link_a, link_b, link_c;

static void mac_n(uint8_t mac[MAC_LEN], unsigned n)
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void test_learn(void **state)
{
	struct route_table rt;
	uint8_t m1[MAC_LEN], m2[MAC_LEN];
	struct route *r;

	mac_n(m1, 1);
	mac_n(m2, 2);
	route_init(&rt, 16);
	assert_int_equal(rt.count, 0);
	assert_null(route_find(&rt, m1));
	assert_null(route_lookup(&rt, m1));

	r = route_learn(&rt, m1, 1000, &link_a, 5000);
	assert_non_null(r);
	assert_memory_equal(r->mac, m1, MAC_LEN);
	assert_ptr_equal(r->via, &link_a);
	assert_int_equal(r->learned_ms, 5000);
	assert_int_equal(r->updated_ms, 5000);
	assert_ptr_equal(route_find(&rt, m1), r);
	assert_ptr_equal(route_lookup(&rt, m1), &link_a);
	assert_null(route_lookup(&rt, m2));
	assert_int_equal(rt.count, 1);

	/* the same announcement again, on any link: a duplicate, nothing moves */
	assert_null(route_learn(&rt, m1, 1000, &link_a, 5100));
	assert_null(route_learn(&rt, m1, 1000, &link_b, 5100));
	assert_ptr_equal(route_lookup(&rt, m1), &link_a);
	assert_int_equal(r->updated_ms, 5000);

	/* a newer id on the same link refreshes but does not "move" */
	assert_ptr_equal(route_learn(&rt, m1, 1001, &link_a, 6000), r);
	assert_int_equal(r->learned_ms, 5000);
	assert_int_equal(r->updated_ms, 6000);

	/* a newer id first seen on another link moves the route */
	assert_ptr_equal(route_learn(&rt, m1, 1002, &link_b, 7000), r);
	assert_ptr_equal(route_lookup(&rt, m1), &link_b);
	assert_int_equal(r->learned_ms, 7000);
	assert_int_equal(r->updated_ms, 7000);
	/* its later copy on the old link does not */
	assert_null(route_learn(&rt, m1, 1002, &link_a, 7001));
	assert_ptr_equal(route_lookup(&rt, m1), &link_b);

	/* an older id (late, or far below the window) does not move it either */
	assert_null(route_learn(&rt, m1, 999, &link_c, 8000));
	assert_null(route_learn(&rt, m1, 1, &link_c, 8000));
	assert_null(route_learn(&rt, m1, -5, &link_c, 8000));
	assert_ptr_equal(route_lookup(&rt, m1), &link_b);
	assert_int_equal(r->updated_ms, 7000);

	/* a second node */
	assert_non_null(route_learn(&rt, m2, 5, &link_c, 9000));
	assert_ptr_equal(route_lookup(&rt, m2), &link_c);
	assert_ptr_equal(route_lookup(&rt, m1), &link_b);
	assert_int_equal(rt.count, 2);
	route_fini(&rt);
	assert_int_equal(rt.count, 0);
}

/* MACs that land in the same bucket (only the last three bytes are hashed). */
static void test_collisions(void **state)
{
	struct route_table rt;
	uint8_t m[MAC_LEN];

	route_init(&rt, 1000);
	for (unsigned i = 0; i < 200; i++) {
		mac_n(m, 7);
		m[1] = (uint8_t)i;
		m[2] = (uint8_t)(i * 3);
		assert_non_null(route_learn(&rt, m, 1, i % 2 ? &link_a : &link_b, 1));
	}
	assert_int_equal(rt.count, 200);
	for (unsigned i = 0; i < 200; i++) {
		mac_n(m, 7);
		m[1] = (uint8_t)i;
		m[2] = (uint8_t)(i * 3);
		assert_ptr_equal(route_lookup(&rt, m), i % 2 ? &link_a : &link_b);
	}
	assert_int_equal(route_drop_link(&rt, &link_a), 100);
	for (unsigned i = 0; i < 200; i++) {
		mac_n(m, 7);
		m[1] = (uint8_t)i;
		m[2] = (uint8_t)(i * 3);
		if (i % 2)
			assert_null(route_find(&rt, m));
		else
			assert_ptr_equal(route_lookup(&rt, m), &link_b);
	}
	route_fini(&rt);
}

struct tally {
	size_t n, via_a, via_b, via_c;
};

static void count_route(const struct route *r, void *arg)
{
	struct tally *t = arg;

	t->n++;
	t->via_a += r->via == &link_a;
	t->via_b += r->via == &link_b;
	t->via_c += r->via == &link_c;
}

static void test_drop_link(void **state)
{
	struct route_table rt;
	struct link *links[] = {&link_a, &link_b, &link_c};
	struct tally t = {0};
	uint8_t m[MAC_LEN];

	route_init(&rt, 4096);
	for (unsigned i = 0; i < 900; i++) {
		mac_n(m, i + 1);
		assert_non_null(route_learn(&rt, m, 100, links[i % 3], 10));
	}
	assert_int_equal(rt.count, 900);
	assert_int_equal(route_drop_link(&rt, &link_b), 300);
	assert_int_equal(rt.count, 600);
	route_foreach(&rt, count_route, &t);
	assert_int_equal(t.n, 600);
	assert_int_equal(t.via_a, 300);
	assert_int_equal(t.via_b, 0);
	assert_int_equal(t.via_c, 300);
	for (unsigned i = 0; i < 900; i++) {
		mac_n(m, i + 1);
		if (i % 3 == 1)
			assert_null(route_find(&rt, m));
		else
			assert_ptr_equal(route_lookup(&rt, m), links[i % 3]);
	}
	/* again: nothing left through it */
	assert_int_equal(route_drop_link(&rt, &link_b), 0);
	/* a dropped node is learned afresh, even with an id older than before */
	mac_n(m, 2);
	assert_non_null(route_learn(&rt, m, 50, &link_a, 20));
	assert_ptr_equal(route_lookup(&rt, m), &link_a);
	assert_int_equal(route_drop_link(&rt, &link_a), 301);
	assert_int_equal(route_drop_link(&rt, &link_c), 300);
	assert_int_equal(rt.count, 0);
	route_fini(&rt);
}

static void test_expire(void **state)
{
	struct route_table rt;
	uint8_t m1[MAC_LEN], m2[MAC_LEN], m3[MAC_LEN];
	const uint64_t timeout = 30000;
	uint64_t now = 1000000;

	mac_n(m1, 1);
	mac_n(m2, 2);
	mac_n(m3, 3);
	route_init(&rt, 16);
	assert_non_null(route_learn(&rt, m1, 1, &link_a, now));
	assert_non_null(route_learn(&rt, m2, 1, &link_b, now + 10000));
	assert_non_null(route_learn(&rt, m3, 1, &link_c, now + 20000));

	/* the clock is monotonic: expiry never runs before the last update */
	assert_int_equal(route_expire(&rt, now + 20000, timeout), 0);
	assert_int_equal(route_expire(&rt, now + timeout - 1, timeout), 0);
	/* m1 is refreshed just in time; a duplicate would not have refreshed it */
	assert_null(route_learn(&rt, m1, 1, &link_a, now + timeout - 1));
	assert_non_null(route_learn(&rt, m1, 2, &link_a, now + timeout - 1));
	assert_int_equal(route_expire(&rt, now + timeout, timeout), 0);
	/* m2 reaches its timeout */
	assert_int_equal(route_expire(&rt, now + 10000 + timeout, timeout), 1);
	assert_null(route_find(&rt, m2));
	assert_non_null(route_find(&rt, m1));
	assert_non_null(route_find(&rt, m3));
	/* far later, everything */
	assert_int_equal(route_expire(&rt, now + 10 * timeout, timeout), 2);
	assert_int_equal(rt.count, 0);
	route_fini(&rt);
}

static void test_max(void **state)
{
	struct route_table rt;
	uint8_t m[MAC_LEN];
	const size_t max = 100;

	route_init(&rt, max);
	for (unsigned i = 0; i < max; i++) {
		mac_n(m, i + 1);
		assert_non_null(route_learn(&rt, m, 1, &link_a, 1));
	}
	assert_int_equal(rt.count, max);
	/* a new node does not fit */
	mac_n(m, 1000);
	assert_null(route_learn(&rt, m, 1, &link_a, 2));
	assert_null(route_find(&rt, m));
	assert_int_equal(rt.count, max);
	/* known nodes still learn */
	mac_n(m, 5);
	assert_non_null(route_learn(&rt, m, 2, &link_b, 3));
	assert_ptr_equal(route_lookup(&rt, m), &link_b);
	/* room again after a drop */
	assert_int_equal(route_drop_link(&rt, &link_b), 1);
	mac_n(m, 1000);
	assert_non_null(route_learn(&rt, m, 1, &link_a, 4));
	assert_null(route_learn(&rt, (uint8_t[MAC_LEN]){2, 0, 0, 0, 0x10, 0x01}, 1, &link_a, 5));
	route_fini(&rt);

	/* a table of zero takes nothing */
	route_init(&rt, 0);
	assert_null(route_learn(&rt, m, 1, &link_a, 1));
	assert_int_equal(rt.count, 0);
	route_fini(&rt);
}

/*
 * The buckets grow with max (they were 256 whatever max was: a 1 000-node
 * mesh walked chains of 4 to 16): a full table's longest chain stays short,
 * for MACs that differ in their low bytes and for ones that differ higher up.
 */
static void test_buckets_scale(void **state)
{
	struct route_table rt;
	uint8_t m[MAC_LEN];
	const size_t max = 8192;

	for (int high = 0; high < 2; high++) {
		size_t longest = 0, n = 0;

		assert_int_equal(route_init(&rt, max), 0);
		assert_true(rt.nbuckets >= max / 2);
		assert_int_equal(rt.nbuckets & (rt.nbuckets - 1), 0);
		for (unsigned i = 0; i < max; i++) {
			mac_n(m, high ? i << 16 : i);
			assert_non_null(route_learn(&rt, m, 1, &link_a, 1));
		}
		for (size_t b = 0; b < rt.nbuckets; b++) {
			size_t len = 0;

			for (const struct route *r = rt.buckets[b]; r; r = r->next)
				len++;
			n += len;
			if (len > longest)
				longest = len;
		}
		assert_int_equal(n, max);
		assert_true(longest <= 12);
		route_fini(&rt);
		assert_null(rt.buckets);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn),	  cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_drop_link), cmocka_unit_test(test_expire),
		cmocka_unit_test(test_max),	  cmocka_unit_test(test_buckets_scale),
	};

	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
