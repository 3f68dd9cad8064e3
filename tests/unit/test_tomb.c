/* Tombs: bounded, expiring, cleared by a newer INFO (tomb.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tomb.h"

static struct tombs t;

static const uint8_t *mac_n(unsigned n)
{
	static uint8_t m[4][MAC_LEN];
	static int next;
	uint8_t *p = m[next++ % 4];

	p[0] = 0x02;
	p[1] = 0;
	p[2] = (uint8_t)(n >> 24);
	p[3] = (uint8_t)(n >> 16);
	p[4] = (uint8_t)(n >> 8);
	p[5] = (uint8_t)n;
	return p;
}

static void test_blocks_old_ids_until_a_newer_one(void **state)
{
	memset(&t, 0, sizeof(t));
	assert_false(tomb_blocks(&t, mac_n(1), 5, 1000));
	tomb_add(&t, mac_n(1), 500, 1000);
	assert_true(tomb_blocks(&t, mac_n(1), 500, 1001));
	assert_true(tomb_blocks(&t, mac_n(1), 3, 1001));
	assert_false(tomb_blocks(&t, mac_n(2), 3, 1001));
	/* raised, never lowered */
	tomb_add(&t, mac_n(1), 400, 1002);
	assert_true(tomb_blocks(&t, mac_n(1), 450, 1003));
	tomb_add(&t, mac_n(1), 600, 1004);
	assert_true(tomb_blocks(&t, mac_n(1), 550, 1005));
	/* a newer INFO: alive, the tomb is gone */
	assert_false(tomb_blocks(&t, mac_n(1), 601, 1006));
	assert_false(tomb_blocks(&t, mac_n(1), 5, 1007));
}

static void test_expires(void **state)
{
	memset(&t, 0, sizeof(t));
	tomb_add(&t, mac_n(7), 500, 1000);
	assert_true(tomb_blocks(&t, mac_n(7), 1, 1000 + TOMB_MS - 1));
	assert_false(tomb_blocks(&t, mac_n(7), 1, 1000 + TOMB_MS));
	assert_null(tomb_find(&t, mac_n(7), 1000 + TOMB_MS));
}

/* Many more than fit: bounded, every lookup stays within its probe window,
 * and the newest tombs are the ones kept. */
static void test_bounded_and_newest_kept(void **state)
{
	const unsigned n = TOMB_SLOTS * 4;
	unsigned kept = 0, recent = 0;

	memset(&t, 0, sizeof(t));
	for (unsigned i = 0; i < n; i++)
		tomb_add(&t, mac_n(i), 100, 1000 + i);
	for (unsigned i = 0; i < n; i++) {
		bool b = tomb_find(&t, mac_n(i), 1000 + n) != NULL;

		kept += b;
		recent += b && i >= n - TOMB_SLOTS / 4;
	}
	assert_true(kept <= TOMB_SLOTS);
	assert_true(kept >= TOMB_SLOTS / 2);
	/* of the last quarter-table added, nearly all are still there */
	assert_true(recent >= TOMB_SLOTS / 4 - TOMB_SLOTS / 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_old_ids_until_a_newer_one),
		cmocka_unit_test(test_expires),
		cmocka_unit_test(test_bounded_and_newest_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
