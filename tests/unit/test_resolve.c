/* SRV ordering (RFC 2782): priorities strictly, weights by chance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "resolve.h"

/* a fixed xorshift, so the test is repeatable */
static uint32_t xorshift(void *arg)
{
	uint32_t *s = arg;

	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void priorities_come_first(void **state)
{
	struct resolve_srv v[] = {
		{20, 5, 1, "c"},  {10, 0, 2, "a"}, {30, 100, 3, "e"},
		{10, 50, 4, "b"}, {20, 5, 5, "d"},
	};
	uint32_t seed = 12345;

	for (int round = 0; round < 100; round++) {
		resolve_srv_order(v, 5, xorshift, &seed);
		for (int i = 1; i < 5; i++)
			assert_true(v[i - 1].priority <= v[i].priority);
		assert_int_equal(v[4].priority, 30);
	}
}

static void weights_decide_how_often_first(void **state)
{
	uint32_t seed = 777;
	int heavy_first = 0, zero_first = 0;
	const int rounds = 20000;

	for (int round = 0; round < rounds; round++) {
		struct resolve_srv v[] = {{0, 90, 1, "heavy"},
					  {0, 9, 2, "light"},
					  {0, 0, 3, "zero"}};

		resolve_srv_order(v, 3, xorshift, &seed);
		heavy_first += !strcmp(v[0].target, "heavy");
		zero_first += !strcmp(v[0].target, "zero");
	}
	/* 91 / 102 and 1 / 102 of the time, give or take */
	assert_true(heavy_first > rounds * 85 / 100 && heavy_first < rounds * 93 / 100);
	assert_true(zero_first > 0 && zero_first < rounds * 3 / 100);
}

static void keeps_every_record(void **state)
{
	struct resolve_srv v[] = {{1, 1, 1, "a"}, {1, 1, 2, "b"}, {0, 0, 3, "c"}, {2, 9, 4, "d"}};
	uint32_t seed = 1;
	unsigned seen = 0;

	resolve_srv_order(v, 4, xorshift, &seed);
	for (int i = 0; i < 4; i++)
		seen |= 1u << v[i].port;
	assert_int_equal(seen, 0x1e);
	resolve_srv_order(v, 0, xorshift, &seed); /* nothing to do, no crash */
	resolve_srv_order(v, 1, xorshift, &seed);
}

/* What invpnctl status shows for a name: the last answer, even during a refresh. */
static void state_names(void **state)
{
	struct resolve_info ri = {0};

	assert_string_equal(resolve_state_name(&ri), "resolving");
	ri.busy = true;
	assert_string_equal(resolve_state_name(&ri), "resolving");
	ri.done = ri.ok = true;
	assert_string_equal(resolve_state_name(&ri), "ok");
	ri.busy = false;
	assert_string_equal(resolve_state_name(&ri), "ok");
	ri.ok = false;
	assert_string_equal(resolve_state_name(&ri), "failed");
	ri.busy = true;
	assert_string_equal(resolve_state_name(&ri), "failed");

	/* no names to resolve: nothing to show */
	assert_int_equal(resolve_count(NULL), 0);
	ri.name = "x";
	assert_false(resolve_get_info(NULL, 0, &ri));
	assert_null(ri.name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(priorities_come_first),
		cmocka_unit_test(weights_decide_how_often_first),
		cmocka_unit_test(keeps_every_record),
		cmocka_unit_test(state_names),
	};

	return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
