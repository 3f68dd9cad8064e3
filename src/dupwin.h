/*
 * A sliding duplicate window over one origin's broadcast ids (like an IPsec
 * anti-replay window): remembers which of the DUPWIN_SIZE ids up to the
 * newest have been seen.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define DUPWIN_SIZE 1024

struct dupwin {
	int64_t top; /* newest id seen; valid when used */
	bool used;
	uint64_t bits[DUPWIN_SIZE / 64];
};

enum dupwin_verdict {
	DUPWIN_NEWEST, /* above the window: new, and now the newest */
	DUPWIN_LATE,   /* inside the window and not seen before: new */
	DUPWIN_SEEN,   /* a duplicate */
	DUPWIN_OLD,    /* below the window: too old to tell, treated as seen */
};

/** Classify id and, if it is new, mark it seen. */
enum dupwin_verdict dupwin_check(struct dupwin *w, int64_t id);

static inline bool dupwin_is_new(enum dupwin_verdict v)
{
	return v == DUPWIN_NEWEST || v == DUPWIN_LATE;
}
