/* dupwin: the sliding duplicate window over broadcast ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dupwin.h"

#define W DUPWIN_SIZE

static void test_first(void **state)
{
	const int64_t firsts[] = {0, 1, -1, 1700000000000LL, INT64_MIN, INT64_MAX};

	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		struct dupwin w;

		memset(&w, 0, sizeof(w));
		assert_int_equal(dupwin_check(&w, firsts[i]), DUPWIN_NEWEST);
		assert_true(w.used);
		assert_true(w.top == firsts[i]);
		assert_int_equal(dupwin_check(&w, firsts[i]), DUPWIN_SEEN);
		assert_int_equal(dupwin_check(&w, firsts[i]), DUPWIN_SEEN);
	}
	assert_true(dupwin_is_new(DUPWIN_NEWEST));
	assert_true(dupwin_is_new(DUPWIN_LATE));
	assert_false(dupwin_is_new(DUPWIN_SEEN));
	assert_false(dupwin_is_new(DUPWIN_OLD));
}

static void test_in_order(void **state)
{
	struct dupwin w = {0};

	for (int64_t id = 1000; id < 1000 + 5 * W; id++) {
		assert_int_equal(dupwin_check(&w, id), DUPWIN_NEWEST);
		assert_int_equal(dupwin_check(&w, id), DUPWIN_SEEN);
		if (id > 1000)
			assert_int_equal(dupwin_check(&w, id - 1), DUPWIN_SEEN);
	}
}

static void test_reorder(void **state)
{
	struct dupwin w = {0};

	assert_int_equal(dupwin_check(&w, 100), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, 105), DUPWIN_NEWEST);
	/* the ones in between arrive late, once each */
	for (int64_t id = 101; id < 105; id++) {
		assert_int_equal(dupwin_check(&w, id), DUPWIN_LATE);
		assert_int_equal(dupwin_check(&w, id), DUPWIN_SEEN);
	}
	assert_int_equal(dupwin_check(&w, 100), DUPWIN_SEEN);
	assert_int_equal(dupwin_check(&w, 105), DUPWIN_SEEN);
	/* older than the first id, but inside the window */
	assert_int_equal(dupwin_check(&w, 99), DUPWIN_LATE);
	assert_int_equal(dupwin_check(&w, 99), DUPWIN_SEEN);
	assert_true(w.top == 105);
}

/* The window holds W ids: top - (W - 1) .. top. */
static void test_window_edges(void **state)
{
	struct dupwin w = {0};
	const int64_t top = 1000000;

	assert_int_equal(dupwin_check(&w, top), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, top - W), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, top - W - 1), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, top - 1000000), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, INT64_MIN), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, top - (W - 1)), DUPWIN_LATE);
	assert_int_equal(dupwin_check(&w, top - (W - 1)), DUPWIN_SEEN);
	/* OLD does not mark anything or move the window */
	assert_true(w.top == top);
	assert_int_equal(dupwin_check(&w, top - W), DUPWIN_OLD);
	/* everything inside the window, from oldest to newest */
	for (int64_t id = top - (W - 2); id < top; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_LATE);
	for (int64_t id = top - (W - 1); id <= top; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_SEEN);
}

/* A jump larger than the window forgets everything before. */
static void test_jump(void **state)
{
	struct dupwin w = {0};

	for (int64_t id = 0; id < 64; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, 63 + W), DUPWIN_NEWEST);
	/* 63 + W - (W - 1) = 64 is the oldest id in the window: never seen */
	assert_int_equal(dupwin_check(&w, 63), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, 64), DUPWIN_LATE);

	memset(&w, 0, sizeof(w));
	for (int64_t id = 0; id < 2 * W; id += 3)
		dupwin_check(&w, id);
	assert_int_equal(dupwin_check(&w, 10 * W), DUPWIN_NEWEST);
	for (int64_t id = 9 * W + 1; id < 10 * W; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_LATE);
	assert_int_equal(dupwin_check(&w, 9 * W), DUPWIN_OLD);

	/* exactly the window size, and one less */
	memset(&w, 0, sizeof(w));
	assert_int_equal(dupwin_check(&w, 0), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, W), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, 0), DUPWIN_OLD);
	memset(&w, 0, sizeof(w));
	assert_int_equal(dupwin_check(&w, 0), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, W - 1), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, 0), DUPWIN_SEEN);
	for (int64_t id = 1; id < W - 1; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_LATE);
}

/*
 * Sliding must clear the bits the window leaves behind: an id seen W or more
 * ids ago shares its bit with an id of the new range, which must count as
 * not seen.
 */
static void test_slide_clears(void **state)
{
	struct dupwin w = {0};

	for (int64_t id = 0; id < W; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_NEWEST);
	/* slide by a little: id W reuses the bit of id 0 */
	assert_int_equal(dupwin_check(&w, W + 10), DUPWIN_NEWEST);
	for (int64_t id = W; id < W + 10; id++) {
		assert_int_equal(dupwin_check(&w, id), DUPWIN_LATE);
		assert_int_equal(dupwin_check(&w, id), DUPWIN_SEEN);
	}
	/* the ids that are still inside keep their marks */
	for (int64_t id = 11; id < W; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_SEEN);
	for (int64_t id = 0; id <= 10; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_OLD);

	/* slide by almost a whole window, in one step */
	assert_int_equal(dupwin_check(&w, 2 * W + 9), DUPWIN_NEWEST);
	for (int64_t id = W + 10; id < 2 * W + 9; id++) {
		/* W + 10 is the oldest in the window and was seen */
		assert_int_equal(dupwin_check(&w, id), id == W + 10 ? DUPWIN_SEEN : DUPWIN_LATE);
	}

	/* ids spread over many windows, each slide a different amount */
	memset(&w, 0, sizeof(w));
	{
		int64_t id = 5;
		uint32_t x = 12345;

		for (int i = 0; i < 2000; i++) {
			int64_t step;

			x = x * 1103515245u + 12345u;
			step = 1 + (int64_t)(x >> 16) % (W + W / 2);
			assert_int_equal(dupwin_check(&w, id + step), DUPWIN_NEWEST);
			/* every id between the old top and the new one is unseen */
			for (int64_t j = id + step - 1; j > id && j > id + step - W; j -= 37)
				assert_int_equal(dupwin_check(&w, j), DUPWIN_LATE);
			id += step;
		}
	}
}

/* Compare with a plain set of seen ids, over a random walk of ids. */
static void test_against_model(void **state)
{
	static uint8_t seen[16 * W];
	struct dupwin w = {0};
	int64_t top = -1;
	uint32_t x = 42;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 200000; i++) {
		int64_t id;
		enum dupwin_verdict want, got;

		x = x * 1664525u + 1013904223u;
		/* mostly near the top, sometimes ahead, sometimes far behind */
		id = (top < 0 ? 0 : top) + (int64_t)((x >> 8) % 96) - 80;
		if ((x & 0xff) == 7)
			id = (top < 0 ? 0 : top) + (int64_t)((x >> 20) % (2 * W)) - W;
		if (id < 0)
			id = 0;
		if (id >= (int64_t)sizeof(seen))
			break;
		if (id > top)
			want = DUPWIN_NEWEST;
		else if (top - id >= W)
			want = DUPWIN_OLD;
		else
			want = seen[id] ? DUPWIN_SEEN : DUPWIN_LATE;
		got = dupwin_check(&w, id);
		if (got != want)
			fail_msg("step %d: id %lld top %lld: got %d, want %d", i, (long long)id,
				 (long long)top, got, want);
		if (dupwin_is_new(want))
			seen[id] = 1;
		if (id > top)
			top = id;
	}
	assert_true(top > 2 * W);
}

/* Negative ids and the int64 extremes: no crash, no signed overflow (UBSan). */
static void test_extremes(void **state)
{
	struct dupwin w = {0};

	assert_int_equal(dupwin_check(&w, INT64_MIN), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, INT64_MIN + 1), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, INT64_MIN), DUPWIN_SEEN);
	assert_int_equal(dupwin_check(&w, -1), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, INT64_MIN), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, -2), DUPWIN_LATE);
	assert_int_equal(dupwin_check(&w, 0), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, -1), DUPWIN_SEEN);
	assert_int_equal(dupwin_check(&w, -3), DUPWIN_LATE);
	assert_int_equal(dupwin_check(&w, INT64_MAX), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, INT64_MAX), DUPWIN_SEEN);
	assert_int_equal(dupwin_check(&w, INT64_MAX - 1), DUPWIN_LATE);
	assert_int_equal(dupwin_check(&w, INT64_MAX - (W - 1)), DUPWIN_LATE);
	assert_int_equal(dupwin_check(&w, INT64_MAX - W), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, INT64_MIN), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, 0), DUPWIN_OLD);
	assert_int_equal(dupwin_check(&w, -1), DUPWIN_OLD);
	assert_true(w.top == INT64_MAX);

	/* a window whose range crosses zero */
	memset(&w, 0, sizeof(w));
	assert_int_equal(dupwin_check(&w, -(W / 2)), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, W / 2 - 1), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, -(W / 2)), DUPWIN_SEEN);
	assert_int_equal(dupwin_check(&w, -(W / 2) - 1), DUPWIN_OLD);
	for (int64_t id = -(W / 2) + 1; id < W / 2 - 1; id++)
		assert_int_equal(dupwin_check(&w, id), DUPWIN_LATE);

	/* a window just below INT64_MAX that slides up to it */
	memset(&w, 0, sizeof(w));
	assert_int_equal(dupwin_check(&w, INT64_MAX - 10), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, INT64_MAX), DUPWIN_NEWEST);
	assert_int_equal(dupwin_check(&w, INT64_MAX - 10), DUPWIN_SEEN);
	assert_int_equal(dupwin_check(&w, INT64_MAX - 5), DUPWIN_LATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first),	      cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reorder),	      cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_jump),	      cmocka_unit_test(test_slide_clears),
		cmocka_unit_test(test_against_model), cmocka_unit_test(test_extremes),
	};

	return cmocka_run_group_tests_name("dupwin", tests, NULL, NULL);
}
