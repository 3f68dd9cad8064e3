/*
 * The one daemon object: everything invpnd owns, passed down explicitly.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "discovery.h"
#include "health.h"
#include "link.h"
#include "loop.h"
#include "nodes.h"
#include "route.h"
#include "tap.h"
#include "tls.h"
#include "tomb.h"

struct announce;
struct control;
struct resolve;
struct mdns;
struct metrics_http;

#define DAEMON_MAX_LISTEN 2
#define DAEMON_TICK_MS 1000
/* a BROADCAST header is 5 bytes longer than the two MACs it replaces; keep it aligned */
#define DAEMON_TAP_HEADROOM 16
/* a TSO super-frame (64 KiB of IP) and its Ethernet header, with room to spare */
#define DAEMON_TAP_MAX_READ (65536 + 256)

/* Node-wide counters (the link set's are in struct link_set, per-link ones in struct link). */
struct daemon_counters {
	uint64_t tap_rx_frames, tap_rx_bytes;
	uint64_t tap_tx_frames, tap_tx_bytes;
	uint64_t drop_foreign_src;    /* TAP frames whose source is not our MAC */
	uint64_t drop_no_route;	      /* unicast with no route */
	uint64_t drop_duplicate;      /* flooded frames seen before */
	uint64_t drop_unknown_origin; /* flooded frames from origins without a route */
	uint64_t drop_tap_write;      /* the TAP would not take a frame */
	uint64_t drop_offload;	      /* super-frames or checksums we could not handle */
	uint64_t full_notices;	      /* (ext) seeds that told us FULL */
	uint64_t drain_notices;	      /* (ext) peers that told us DRAIN (closing) */
	uint64_t routes_gone;	      /* (ext) routes dropped on a GONE */
	uint64_t routes_withdrawn;    /* (ext) routes dropped on a WITHDRAW */
	uint64_t withdraw_ignored;    /* (ext) WITHDRAW entries for routes not through that link */
	uint64_t keepalives;	      /* our announcement resent between floods (pace.h) */
	uint64_t refreshes;	      /* fresh floods a GONE, DEGREE or drain asked for (pace.h) */
	uint64_t rounds_joined; /* own floods sent early with another node's (daemon_join_round) */
	/* the rules for every frame (PROTOCOL: Rules), what each refused */
	uint64_t drop_future_id;    /* a flooded frame's id too far ahead of our clock */
	uint64_t drop_reverse_path; /* a frame for an origin from a link not on its path */
	uint64_t drop_not_direct;   /* INFO about a linked peer from another link */
	uint64_t drop_new_origins;  /* INFO about a new node past its link's rate */
	uint64_t drop_routes_full;  /* INFO about a new node with no room left for it */
	uint64_t drop_health_rate;  /* HEALTH REQUESTs past their origin's rate */
	uint64_t drop_spoofed_src;  /* unicast with our own MAC or no node's MAC as source */
};

struct invpnd {
	struct config *cfg;
	struct loop loop;
	struct tls tls;
	uint8_t mac[MAC_LEN];

	struct tap tap;
	struct loop_io tap_io;
	struct loop_io signal_io;
	int signal_fd;

	struct daemon_listener {
		struct loop_io io;
		struct invpnd *d;
	} listeners[DAEMON_MAX_LISTEN];
	size_t n_listen;
	struct loop_timer accept_pause;

	struct link_set links;
	struct health health;

	struct route_table routes;
	struct nodes nodes;
	/* when the number of routes last changed (wall clock, ms): tests and
	 * operators read convergence from it rather than from their poll times */
	size_t routes_seen;
	uint64_t routes_changed_wall_ms;
	/* the link count our last DEGREE said, and announcements since */
	unsigned degree_sent, degree_quiet;
	uint64_t degree_sent_ms;
	struct loop_timer degree_timer; /* a DEGREE that waits for its turn (switch_degree_soon) */

	struct loop_timer tick;
	struct loop_timer refresh_timer;   /* a fresh flood asked for (daemon_refresh_soon) */
	uint64_t flooded_ms, refreshed_ms; /* our last flood, our last asked-for one */
	uint64_t joined_ms;		   /* our last flood joined to another's round */
	uint64_t unpaced_seen_ms;	   /* the last invpn node seen that does not pace */
	/* our last unsigned announcement, resent as a keepalive between floods */
	uint8_t own_info[PROTO_INFO_MAX];
	size_t own_info_len;
	struct loop_timer autoconnect_timer;
	uint64_t heal_next_ms, shape_next_ms; /* autoconnect's own pace (monotonic) */
	/* rewiring (autoconnect.c): when, whether done, the address dialled
	 * for it while its new link settles (0: none) */
	uint64_t rewire_at_ms;
	bool rewired;
	uint64_t rewire_addr;
	uint64_t drain_announce_ms; /* the last fresh announcement for a drain */
	struct loop_timer watchdog_timer;
	uint64_t watchdog_ms;
	size_t notified_up, notified_routes; /* what systemd's STATUS last said */

	char **argv;	/* for the SIGUSR2 re-exec */
	char exe[4096]; /* our binary's path, read at start: an upgrade puts the new one there */
	const char *config_path; /* the config file read, or NULL (for the scripts' INVPN_CONFIG) */
	/* fds to adopt after a SIGUSR2 re-exec, or -1 */
	int tunfd, ctlfd, listenfd[DAEMON_MAX_LISTEN];

	int64_t last_id;
	uint64_t started_ms; /* monotonic */
	uint64_t started_wall_ms;
	uint64_t last_cache_write_ms;
	struct daemon_counters counters;
	struct tombs tombs; /* (ext) routes a GONE or WITHDRAW took (tomb.h) */
	struct control *control;
	struct announce *sig; /* (ext) signed announcements and certificates (announce.c) */
	struct resolve *resolve;
	struct mdns *mdns;
	struct metrics_http *metrics; /* the /metrics server (metrics.c); NULL: off */
	struct discovery_env disc;    /* what mdns and resolve know of us */
	/* frames built for forwarding (one at a time) */
	uint8_t scratch[PROTO_MAX_FRAME + 64];
	/* TAP reads land here, after room for a frame header */
	uint8_t tap_buf[DAEMON_TAP_HEADROOM + DAEMON_TAP_MAX_READ];
	/* frames cut from a super-frame for a peer that cannot take it, one at a time */
	uint8_t seg_buf[DAEMON_TAP_HEADROOM + PROTO_MAX_LEN];
	bool stopping;
	/* SIGHUP re-reads the configuration (file and command line) with this; NULL: not */
	int (*read_config)(struct config *c, void *arg, char *err, size_t errlen);
	void *read_config_arg;
};

/** A fresh broadcast id: wall-clock ms, strictly increasing (PROTOCOL.md). */
int64_t daemon_next_id(struct invpnd *d);

/** How often we flood our INFO now, in ms (grows with the routes known: pace.h). */
uint64_t daemon_flood_ms(const struct invpnd *d);

/** A link went down or drains somewhere (GONE, DEGREE, DRAIN): flood a fresh INFO soon (pace_refresh_at). */
void daemon_refresh_soon(struct invpnd *d);
/** A fresh INFO from another node came: flood ours with it if half our interval is up. */
void daemon_join_round(struct invpnd *d);

/**
 * Bring everything up: TLS must already be loaded into d->tls. Opens the
 * listening sockets, the control socket and the TAP, loads the cache.
 * Returns 0, or -errno with a one-line message in err (nothing left behind).
 */
int daemon_start(struct invpnd *d, struct config *cfg, char *err, size_t errlen);
/** Run the loop until SIGTERM/SIGINT. */
int daemon_run(struct invpnd *d);
/** Close links, save the cache, remove the TAP and the control socket, free everything. */
void daemon_stop(struct invpnd *d);
/** SIGHUP: reload CA, CRL, certificate and key; close links whose peer is no longer accepted. */
void daemon_reload(struct invpnd *d);
/** SIGUSR2: re-execute ourselves, keeping the TAP device. Returns only if that failed. */
void daemon_reexec(struct invpnd *d);
/** Save the peer cache now (logs failures). */
void daemon_save_cache(struct invpnd *d);
