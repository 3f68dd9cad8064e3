/* How often a node floods, and how long routes live, as the mesh grows (pace.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

static void test_small_meshes_flood_every_base_interval(void **state)
{
	(void)state;
	assert_int_equal(pace_flood_ms(5, 60, 0), 5000);
	assert_int_equal(pace_flood_ms(5, 60, PACE_NODES), 5000);
}

static void test_interval_grows_with_the_mesh_up_to_its_cap(void **state)
{
	(void)state;
	assert_int_equal(pace_flood_ms(5, 60, 2 * PACE_NODES), 10000);
	assert_int_equal(pace_flood_ms(5, 60, 11 * PACE_NODES), 55000);
	assert_int_equal(pace_flood_ms(5, 60, 12 * PACE_NODES + 1), 60000);
	assert_int_equal(pace_flood_ms(5, 60, 1u << 20), 60000);
	/* a cap below the base interval is the base interval: no growth */
	assert_int_equal(pace_flood_ms(5, 1, 1000), 5000);
}

static void test_routes_live_four_rounds_at_least_route_timeout(void **state)
{
	(void)state;
	assert_int_equal(pace_route_timeout_ms(30, 5000), 30000);
	assert_int_equal(pace_route_timeout_ms(30, 50000), 200000);
	assert_int_equal(pace_route_timeout_ms(300, 50000), 300000);
}

static void test_refreshes_are_jittered_and_spaced(void **state)
{
	(void)state;
	/* none yet: within the jitter */
	assert_int_equal(pace_refresh_at(100000, 0, 5000, 0), 100000);
	assert_int_equal(pace_refresh_at(100000, 0, 5000, PACE_REFRESH_JITTER_MS + 7), 100007);
	assert_true(pace_refresh_at(100000, 0, 5000, UINT32_MAX) < 100000 + PACE_REFRESH_JITTER_MS);
	/* one 2 s ago: not before a base interval has passed since it */
	assert_int_equal(pace_refresh_at(100000, 98000, 5000, 0), 103000);
	/* long ago: jitter only */
	assert_int_equal(pace_refresh_at(100000, 50000, 5000, 10), 100010);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_meshes_flood_every_base_interval),
		cmocka_unit_test(test_interval_grows_with_the_mesh_up_to_its_cap),
		cmocka_unit_test(test_routes_live_four_rounds_at_least_route_timeout),
		cmocka_unit_test(test_refreshes_are_jittered_and_spaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
