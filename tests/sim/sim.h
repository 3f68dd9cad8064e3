/*
 * The simulator's shared state: many real daemons (struct invpnd, driven by
 * the real daemon.c, switch.c, autoconnect.c, route.c, nodes.c, health.c)
 * in one process, one fake clock, one event queue. sim_loop.c stands in for
 * loop.c (timers on the queue), sim_link.c for link.c (links are pipes with
 * latency: no sockets, no TLS). Nothing here is part of invpnd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "daemon.h"

/* wall-clock ms at simulated time 0 (loop_wall_ms): 2026-01-01 */
#define SIM_EPOCH_MS 1767225600000ull
#define SIM_PORT 41744

struct sim_node {
	struct invpnd d;
	struct config cfg;
	uint32_t idx;
	bool alive;
	uint64_t wake_ms; /* the earliest wake-up queued for its timers; UINT64_MAX: none */
	/* control traffic this node sent (all frames of the simulation are control frames) */
	uint64_t tx_frames, tx_bytes, tx_wire;
	uint64_t tx_wire_last; /* at the last sample */
};

enum sim_ev_kind {
	SIM_EV_WAKE,	    /* run the node's due timers */
	SIM_EV_DIAL_ARRIVE, /* a dialler's ClientHello reaches the node's listener */
	SIM_EV_DIAL_FAIL,   /* the dialled node has no listener (connection refused) */
	SIM_EV_CLIENT_DONE, /* the server's handshake flight reaches the dialler */
	SIM_EV_FINISHED,    /* the client's Finished reaches the server */
	SIM_EV_DATA,	    /* a flushed TLS record (frames) reaches the other end */
	SIM_EV_CLOSE,	    /* the other end closed (FIN/RST) */
};

struct sim_ev {
	uint64_t when, seq;
	uint8_t kind;
	uint32_t node, src_node; /* receiver, sender */
	uint64_t link, src_link; /* link ids (global, never reused) at each end */
	uint8_t *data;		 /* SIM_EV_DATA: malloc'd frames, owned by the event */
	uint32_t len;
};

/* Frames sent, by type byte. */
struct sim_traffic {
	uint64_t frames[256], bytes[256];
	uint64_t records, segments; /* TLS records and TCP segments they would take */
	uint64_t handshakes;	    /* TLS handshakes begun (dials that reached a listener) */
};

struct sim {
	struct sim_node **nodes;
	uint32_t n;
	uint64_t now;
	uint64_t seq;
	struct sim_ev *heap;
	size_t heap_len, heap_cap;
	uint64_t next_link_id;
	uint32_t lat_min, lat_max; /* one-way latency per node pair, ms */
	uint64_t seed;
	/* a partition: nodes with idx < cut_at and the others cannot reach each other */
	bool partitioned;
	uint32_t cut_at;
	struct sim_traffic tx;
	uint64_t events;
};

extern struct sim sim;

void sim_push(const struct sim_ev *e);
/** The node whose daemon owns this loop (or link set). */
struct sim_node *sim_node_of_loop(struct loop *l);
/** Run due timers and the round's end for a node, at sim.now. */
void sim_node_wake(struct sim_node *n);
/** The daemon's round end (after_round), as loop.c calls it after every round. */
void sim_node_after_round(struct sim_node *n);
/** Handle one event of sim_link.c's kinds. */
void sim_link_event(const struct sim_ev *e);
/** Close every link crossing the partition, both ends, silently (the cut). */
void sim_link_cut(void);
/** One-way latency between two nodes (a fixed function of the pair and the seed). */
uint32_t sim_latency(uint32_t a, uint32_t b);
bool sim_cut(uint32_t a, uint32_t b);
/** Node index of a sockaddr in the simulated underlay, or -1. */
long sim_addr_node(const void *sa);
void sim_node_addr(uint32_t idx, void *ss, uint16_t port);
void sim_node_mac(uint32_t idx, uint8_t mac[6]);
long sim_mac_node(const uint8_t mac[6]);
