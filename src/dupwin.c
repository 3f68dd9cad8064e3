#include "dupwin.h"

#include <string.h>

static void bit_set(struct dupwin *w, uint64_t id)
{
	w->bits[(id / 64) % (DUPWIN_SIZE / 64)] |= 1ULL << (id % 64);
}

static bool bit_get(const struct dupwin *w, uint64_t id)
{
	return w->bits[(id / 64) % (DUPWIN_SIZE / 64)] >> (id % 64) & 1;
}

static void bit_clear(struct dupwin *w, uint64_t id)
{
	w->bits[(id / 64) % (DUPWIN_SIZE / 64)] &= ~(1ULL << (id % 64));
}

enum dupwin_verdict dupwin_check(struct dupwin *w, int64_t id)
{
	/* unsigned arithmetic: ids are compared by distance, so no overflow traps */
	uint64_t uid = (uint64_t)id, top = (uint64_t)w->top;

	if (!w->used || id > w->top) {
		if (!w->used || uid - top >= DUPWIN_SIZE) {
			memset(w->bits, 0, sizeof(w->bits));
		} else {
			for (uint64_t i = top + 1; i != uid + 1; i++)
				bit_clear(w, i);
		}
		w->used = true;
		w->top = id;
		bit_set(w, uid);
		return DUPWIN_NEWEST;
	}
	if (top - uid >= DUPWIN_SIZE)
		return DUPWIN_OLD;
	if (bit_get(w, uid))
		return DUPWIN_SEEN;
	bit_set(w, uid);
	return DUPWIN_LATE;
}
