/*
 * HEALTH REQUEST / RESPONSE (0x02/0x03): answering requests from the mesh,
 * and health rounds: a request flooded by us, the answers collected for a
 * while, then handed to whoever asked (the control socket) in one piece.
 *
 * A round is bounded: it keeps one answer per node (the first), at most
 * HEALTH_MAX_ANSWERS answers and HEALTH_MAX_BYTES bytes of them; what does
 * not fit is counted, never kept, and the asker is told.
 *
 * A leaf above the links and routes: it knows the link set and the route
 * table, nothing of the daemon or the control socket.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "proto.h"

struct link_set;
struct route_table;
struct health_round;

#define HEALTH_MAX_ANSWERS 4096
#define HEALTH_MAX_BYTES (4 * 1024 * 1024)
#define HEALTH_MAX_NOT_ASKED 64

struct health {
	struct loop *loop;
	struct link_set *links;
	struct route_table *routes;
	const uint8_t *mac;		      /* our own */
	int64_t (*next_id)(struct health *h); /* a fresh flood id */
	struct health_round *rounds;	      /* in progress */
	uint8_t buf[PROTO_MAX_FRAME];	      /* an answer being built */
};

/* One answer of a round: a copy of the 0x03 body, and its round trip. */
struct health_answer {
	uint8_t mac[MAC_LEN]; /* who answered */
	uint64_t rtt_us;
	uint8_t *body;
	size_t len;
};

/* Called once, when the round's wait is over. The round may be ended in it. */
typedef void health_done_fn(struct health_round *r);

struct health_round {
	struct health *h;
	int64_t id;
	uint64_t start_us;
	struct loop_timer timer;
	health_done_fn *done;
	struct health_answer *answers;
	size_t n, cap, bytes;
	/* answers not kept: a second one from the same node, or over a bound, or from a
	 * node we have no route to (made up: PROTOCOL: Rules) */
	size_t dup, over, unknown;
	/* linked peers not asked: they sent no CAPS (original nodes, PROTOCOL: CAPS) */
	uint8_t not_asked[HEALTH_MAX_NOT_ASKED][MAC_LEN];
	size_t n_not_asked; /* may exceed HEALTH_MAX_NOT_ASKED: only the first are kept */
	bool running;
	struct health_round *next, *prev;
};

void health_init(struct health *h, struct loop *loop, struct link_set *links,
		 struct route_table *routes, const uint8_t *mac,
		 int64_t (*next_id)(struct health *h));
/** End every round (shutdown). */
void health_fini(struct health *h);

/** Answer a new request from the mesh with a 0x03 routed to its origin. */
void health_answer(struct health *h, const struct proto_health_req *req);
/** A 0x03 addressed to us arrived (body as on the wire, resp decoded from it). */
void health_collect(struct health *h, const uint8_t *body, size_t len,
		    const struct proto_health_resp *resp);

/** Flood a request and collect answers for wait_ms; done is called then. 0 or -errno. */
int health_round_start(struct health *h, struct health_round *r, uint64_t wait_ms,
		       health_done_fn *done);
/** Stop collecting (if running) and free the answers. Safe on a round never started. */
void health_round_end(struct health_round *r);
/** Decode answer i of a finished round (0, or -errno for a body that does not decode). */
int health_round_get(const struct health_round *r, size_t i, struct proto_health_resp *out);

/**
 * Build our answer to req into buf (cap bytes); returns the wire size or
 * -ENOSPC. Routes are cut so that PROTO_RTRACE_RESERVE return-path MACs
 * still fit.
 */
int health_build_response(struct health *h, const struct proto_health_req *req, uint8_t *buf,
			  size_t cap);
