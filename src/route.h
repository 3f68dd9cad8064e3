/*
 * The route table: for every node we have heard an INFO from, the link its
 * newest announcement arrived on first (the first-seen broadcast path), and
 * that origin's duplicate windows. Pure: time is passed in.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dupwin.h"
#include "mac.h"
#include "origin.h"
#include "proto.h"

struct link;

/*
 * Where the newest INFO from an origin stands. A route moves only on a newer
 * one (route_learn); a late or repeated copy of an older one never moves it,
 * so no window of older ids is needed (a 1 024-bit one was: 128 bytes each).
 */
struct route_newest {
	int64_t top; /* newest id seen; valid when used */
	bool used;
};

/*
 * One per known node: 224 bytes (on x86-64; it was 488) plus the allocator's
 * 16, plus 144 for the flood window of an origin that broadcast or asked
 * for health. The fields a chain walk reads (mac, next) come first: one
 * cache line per entry walked.
 */
struct route {
	uint8_t mac[MAC_LEN];
	uint8_t info_len;
	bool sig;		  /* (ext) learned from a verified SIGNED_INFO (announce.c) */
	struct route *next;	  /* hash chain */
	struct link *via;	  /* next hop; never NULL while the entry exists */
	uint64_t learned_ms;	  /* when the route last moved */
	uint64_t updated_ms;	  /* when the last new INFO was accepted */
	struct route_newest info; /* INFO ids */
	/* HEALTH REQUEST and BROADCAST ids: allocated at the first such frame
	 * (route_flood_window), most origins never send one */
	struct dupwin *flood;
	/* the last INFO accepted, as on the wire: replayed to new neighbours */
	uint8_t info_frame[PROTO_INFO_MAX];
	/* (ext) the node's own link count from its newest DEGREE, and that frame's id */
	uint16_t degree;
	int64_t degree_id;
	/* (PROTOCOL: Rules) links that may speak for this origin, and its HEALTH REQUEST budget */
	struct origin_upstream up;
	struct origin_bucket hreq;
};

struct route_table {
	/* hash chains: a power of two, at least max / 2 (so a full table's
	 * chains are 2 long on average), allocated by route_init */
	struct route **buckets;
	size_t nbuckets;
	size_t count;
	size_t max; /* entries at most; INFO about further nodes is dropped */
};

/** An empty table for at most max routes; 0 or -ENOMEM. */
int route_init(struct route_table *rt, size_t max);
/** Free every entry and the buckets; the table may be initialised again. */
void route_fini(struct route_table *rt);

struct route *route_find(const struct route_table *rt, const uint8_t mac[MAC_LEN]);
/** The next hop for mac, or NULL. */
struct link *route_lookup(const struct route_table *rt, const uint8_t mac[MAC_LEN]);

/**
 * Offer an INFO (id from mac) that arrived on link at now_ms. If it is newer
 * than anything seen from mac, the route is set to link and the entry is
 * returned; otherwise (duplicate, older, table full) NULL.
 */
struct route *route_learn(struct route_table *rt, const uint8_t mac[MAC_LEN], int64_t id,
			  struct link *link, uint64_t now_ms);

/** The origin's flood duplicate window (allocated on first use), or NULL if out of memory. */
struct dupwin *route_flood_window(struct route *r);

/** Remove every route through link; returns how many. */
size_t route_drop_link(struct route_table *rt, const struct link *link);
/** Point every route through from at to instead (both links to one peer); returns how many. */
size_t route_move_link(struct route_table *rt, const struct link *from, struct link *to);
/** Remove one entry (from route_find). */
void route_remove(struct route_table *rt, struct route *r);
/** Remove routes not refreshed within timeout_ms; returns how many. */
size_t route_expire(struct route_table *rt, uint64_t now_ms, uint64_t timeout_ms);

/**
 * Call fn for the routes of the hash buckets from *bucket on, until fn has
 * returned true budget times (the bucket that reached it is finished);
 * *bucket is then where to go on (nbuckets: done). Returns fn's trues. fn
 * must not change the table; between calls it may change (a route added
 * or moved meanwhile may be seen twice or not at all).
 */
size_t route_foreach_from(const struct route_table *rt, size_t *bucket, size_t budget,
			  bool (*fn)(const struct route *r, void *arg), void *arg);

/** Call fn for every route. fn must not change the table. */
void route_foreach(const struct route_table *rt, void (*fn)(const struct route *r, void *arg),
		   void *arg);
