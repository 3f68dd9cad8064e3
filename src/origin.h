/*
 * Rules that hold for every frame, signed or not (PROTOCOL.md: Rules): the
 * checks that keep one node with a valid certificate from silencing,
 * cutting off or crowding out others. Pure: time and state are passed in;
 * the switch applies them and counts what they refuse.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A flooded frame's id (ms since the epoch) may be at most this far ahead of our clock. */
#define ORIGIN_MAX_SKEW_MS 60000

/* New origins (nodes we have no route to yet) one link may introduce: a burst, then a rate. */
#define ORIGIN_NEW_BURST 512
#define ORIGIN_NEW_PER_S 64
/* Routes kept free for direct neighbours: others are refused when only this many are left. */
#define ORIGIN_ROUTE_RESERVE 256
/* HEALTH REQUESTs taken from one origin: a burst, then a rate. */
#define ORIGIN_HREQ_BURST 4
#define ORIGIN_HREQ_PER_S 1
/* Links other than the route that delivered an origin's newest INFO and may speak for it. */
#define ORIGIN_UPSTREAM 4

/**
 * Is there room for a route to one more node in a table of max entries
 * holding count? Direct neighbours may use the last ORIGIN_ROUTE_RESERVE
 * entries (a quarter of a smaller table), other nodes may not.
 */
bool origin_route_room(size_t count, size_t max, bool direct);

/** An id more than ORIGIN_MAX_SKEW_MS ahead of now_wall_ms (a forged far-future id)? */
bool origin_id_too_new(int64_t id, uint64_t now_wall_ms);

/* A token bucket; all zero is a full bucket on first use. */
struct origin_bucket {
	uint64_t milli; /* tokens x 1000 */
	uint64_t last_ms;
	bool primed;
};

/** Take one token (refilled at per_s per second up to burst) at now_ms; false if none left. */
bool origin_bucket_take(struct origin_bucket *b, uint64_t now_ms, uint32_t burst, uint32_t per_s);

/*
 * The links (by link id, never a pointer: a closed link's memory may be
 * reused) that delivered a copy of an origin's newest INFO, and those that
 * delivered the one before (so that a newer INFO does not cut an
 * asymmetric path off until its second copy arrives). The first copy's
 * link comes first.
 */
struct origin_upstream {
	uint64_t link[ORIGIN_UPSTREAM + 1]; /* 0: free */
	uint64_t prev[ORIGIN_UPSTREAM + 1];
};

/** A newer INFO arrived first on link_id: the links of the one before become prev. */
void origin_upstream_reset(struct origin_upstream *u, uint64_t link_id);
/** Another copy of the newest INFO arrived on link_id: remember it (if there is room). */
void origin_upstream_note(struct origin_upstream *u, uint64_t link_id);
/** Forget a closed link. */
void origin_upstream_forget(struct origin_upstream *u, uint64_t link_id);
bool origin_upstream_has(const struct origin_upstream *u, uint64_t link_id);

/**
 * (ext) The id up to which a tomb for `gone` blocks its INFO after a GONE
 * (PROTOCOL: 0x07) with last_id, at now_wall_ms. heard/top: what our dropped
 * route to it had taken (ids we have had are never news). Beyond that, never
 * above our own clock: a GONE may block old copies of gone's INFO, never its
 * next one (a far-future last_id would silence gone here for the tomb's life).
 */
int64_t origin_gone_tomb_id(bool heard, int64_t top, int64_t last_id, uint64_t now_wall_ms);

enum origin_addr_verdict {
	ORIGIN_ADDR_OK,
	ORIGIN_ADDR_LOOPBACK,
	ORIGIN_ADDR_UNSPECIFIED,
	ORIGIN_ADDR_MULTICAST, /* and the IPv4 limited broadcast */
	ORIGIN_ADDR_OWN,       /* one of own[] */
	ORIGIN_ADDR_BAD,       /* no IPv4/IPv6 address, or port 0 */
};

/**
 * May a node dial sa, an address someone else told it of? own[] are the
 * node's own listening endpoints (IP and port). An IPv4-mapped IPv6 address is
 * judged as the IPv4 address it maps.
 */
enum origin_addr_verdict origin_addr_check(const struct sockaddr *sa,
					   const struct sockaddr_storage *own, size_t n_own);
const char *origin_addr_verdict_name(enum origin_addr_verdict v);
