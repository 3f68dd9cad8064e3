/*
 * Tombs: nodes whose route a GONE or a WITHDRAW took away, with the newest
 * INFO id that route had taken. Copies of older INFOs (replays to new links,
 * slow paths) must not bring a dead node's route back; a newer INFO clears
 * the tomb (the node spoke again). Pure: time is passed in.
 *
 * Bounded: TOMB_SLOTS entries in an open-addressed table, probed over
 * TOMB_PROBE slots from the MAC's hash. A new tomb takes a free or expired
 * slot there, else the oldest one (that node's old INFOs may then come back
 * until route_timeout, as without tombs).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mac.h"

#define TOMB_SLOTS 1024 /* power of two */
#define TOMB_PROBE 8
#define TOMB_MS 120000 /* a tomb's life */

struct tomb {
	uint8_t mac[MAC_LEN];
	int64_t last_id;
	uint64_t at_ms; /* monotonic; 0: free */
};

struct tombs {
	struct tomb slot[TOMB_SLOTS];
};

/** The live tomb for mac at now_ms, or NULL. */
struct tomb *tomb_find(struct tombs *t, const uint8_t mac[MAC_LEN], uint64_t now_ms);
/** Tomb mac up to last_id (raised, never lowered, if one exists), dated now_ms. */
void tomb_add(struct tombs *t, const uint8_t mac[MAC_LEN], int64_t last_id, uint64_t now_ms);
/**
 * Whether a tomb refuses INFO id from mac. An id above the tomb's clears it:
 * the node is alive.
 */
bool tomb_blocks(struct tombs *t, const uint8_t mac[MAC_LEN], int64_t id, uint64_t now_ms);
