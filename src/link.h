/*
 * Links: TLS/TCP connections to peers, and the set that owns them. A link
 * dials or accepts, does the handshake, reassembles frames, and keeps a
 * bounded output buffer written out in coalesced TLS records at the end of
 * each loop round. A closed link stays allocated until the round is over, so
 * pointers held during dispatch stay valid.
 *
 * This module is a leaf: it knows the loop, TLS and the wire's length
 * prefix, nothing above. What it has to say goes through struct
 * link_events, which the daemon connects to the switch and to autoconnect.
 *
 * Back-pressure lives here too. A data frame that takes a link's queue past
 * half full marks the set "filling": the link being read pauses (TCP then
 * slows its sender) and the owner is told to hold its other sources (the
 * TAP) until every link that is still moving data has drained.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "mac.h"
#include "origin.h"

struct link;
struct link_set;
struct tls;
typedef struct ssl_st SSL;

enum link_state {
	LINK_CONNECTING, /* TCP connect in progress */
	LINK_HANDSHAKE,	 /* TLS handshake in progress */
	LINK_UP,
	LINK_CLOSED,
};

#define LINK_IN_CAP (2 * 65537 + 16384)
#define LINK_OUT_CAP (512 * 1024)
/* Data frames may fill the output buffer up to here; the rest is for control frames. */
#define LINK_OUT_DATA_CAP (LINK_OUT_CAP - 160 * 1024)
#define LINK_WRITE_CHUNK 16384
/* a connection that has not finished TLS by then is closed */
#define LINK_HANDSHAKE_TIMEOUT_MS 10000
/* an incoming connection that has sent no TLS byte by then is closed */
#define LINK_SILENT_MS 2000
/*
 * Unfinished incoming handshakes: at most LINK_PENDING_PER_ADDR from one IP
 * address, at most LINK_PENDING_MAX in all, of which the last
 * LINK_PENDING_RESERVED only for addresses that finished a handshake with us
 * before (the last LINK_KNOWN_ADDRS of them), so that an outsider holding
 * every slot it can does not keep the mesh's own nodes out.
 */
#define LINK_PENDING_PER_ADDR 8
#define LINK_PENDING_MAX 256
#define LINK_PENDING_RESERVED 64
#define LINK_KNOWN_ADDRS 256
/*
 * This many frames of unknown types in a row close a link: the stream is out
 * of step (an original node's HEALTH REQUEST bug shifts it by 6 bytes), and
 * its garbage must not keep the link alive. Only known, well-formed frames
 * count as liveness.
 */
#define LINK_MAX_UNKNOWN_RUN 16
/* a link that took no bytes for this long no longer holds the TAP back */
#define LINK_STALL_MS 200
/* a link taken in at max_links only to hand over addresses (PROTOCOL: FULL) lives this long */
#define LINK_FULL_LINGER_MS 3000
/* such links at once, at most; beyond, a newcomer is closed at once as before */
#define LINK_MAX_FULL 8

/* What a link set tells its owner. Every callback may be NULL. */
struct link_events {
	/* a frame arrived: frame points at the type byte, len is its len field
	 * (type + body); the frame may be changed in place */
	void (*frame)(struct link *l, uint8_t *frame, size_t len);
	void (*up)(struct link *l);
	void (*down)(struct link *l);
	/* a link appeared or went (the count may be under min_links now) */
	void (*changed)(struct link_set *s);
	/* a dial ended: ok once the peer's first frame came (mac is then the peer's) */
	void (*dial_done)(struct link_set *s, uint64_t addr_id, bool ok, const uint8_t *mac);
	/* the address dialled (addr_id) is our own */
	void (*self)(struct link_set *s, uint64_t addr_id);
	/* back-pressure: stop (true) or resume (false) reading other sources */
	void (*hold)(struct link_set *s, bool hold);
};

struct link_set_counters {
	uint64_t refused; /* handshakes that failed, were refused or timed out */
	/* connections refused or closed before TLS, by reason (also in refused) */
	uint64_t refused_per_addr; /* LINK_PENDING_PER_ADDR from that address already */
	uint64_t refused_full; /* no slot left (for an unknown address: none outside the reserve) */
	uint64_t closed_silent;	    /* no TLS byte within LINK_SILENT_MS */
	uint64_t refused_timeout;   /* no finished handshake within LINK_HANDSHAKE_TIMEOUT_MS */
	uint64_t refused_handshake; /* the TLS handshake failed or the peer was not accepted */
	uint64_t dials,
		dial_failures; /* connections dialled; of them, failed before a frame came */
	uint64_t bad_frames;   /* links closed for malformed frames */
	uint64_t queue_full;   /* frames dropped: a link's output queue was full */
	uint64_t full_refused; /* newcomers taken in at max_links, told FULL and closed */
};

/* Every link of the daemon. */
struct link_set {
	struct loop *loop;
	const struct tls *tls;
	const struct link_events *ev;
	uint8_t mac[MAC_LEN]; /* our own */
	size_t max_links;     /* links up, at most */
	uint64_t idle_ms;     /* a peer silent this long is dead */

	struct link *list;  /* all live links */
	struct link *dead;  /* closed, freed after the round */
	struct link *dirty; /* links with output to flush this round */
	size_t n_links, n_up, n_pending_in, n_dialing;
	size_t n_full; /* of n_up: links taken in at max_links only to be told FULL */
	uint64_t next_id;
	bool filling; /* a data frame took a link past half full this round */
	bool held;    /* the owner was told to hold its sources */
	struct loop_timer recheck;
	struct loop_timer batch; /* flushes the links holding a round's frames (link_send_round) */
	struct link_set_counters c;
	char reason[320]; /* a close reason being built */
	/* IP addresses (IPv6 form) that finished a handshake with us, a ring */
	uint8_t known[LINK_KNOWN_ADDRS][16];
	size_t n_known, known_next;
};

struct link_counters {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t drops; /* frames dropped because the output buffer was full */
};

struct link {
	struct link_set *set;
	struct loop_io io;
	uint64_t id;
	enum link_state state;
	bool outgoing;
	bool want_write; /* TLS needs the socket writable */
	bool on_dirty_list;
	bool batched;	      /* holds frames of a flood round, flushed by the set's batch timer */
	bool confirmed;	      /* a frame arrived: the peer accepted us too */
	bool announced;	      /* incoming: the peer's first ANNOUNCE was recorded as a success */
	bool rx_paused;	      /* not reading: a link we forward to must drain first */
	bool full;	      /* taken in at max_links: gets the replay and FULL, then closes */
	uint32_t peer_caps;   /* PROTO_CAPS_* the peer sent */
	bool peer_sent_caps;  /* a CAPS came: not an original node (PROTOCOL: CAPS) */
	unsigned unknown_run; /* frames of unknown types in a row */
	struct origin_bucket
		new_origins; /* origins this link may still introduce (PROTOCOL: Rules) */
	/* (ext) signed announcements (announce.c) */
	bool sig_intro;		/* our replay waits for the peer's CAPS (or first frame) */
	bool sig_observed;	/* the peer told us how it sees us (first OBSERVED only) */
	uint8_t sig_obs_iptype; /* ... at this address */
	uint8_t sig_obs_ip[16];
	uint64_t sig_window_ms; /* the second that sig_work counts in */
	unsigned sig_work;	/* verifications and certificates sent in it */
	SSL *ssl;
	struct sockaddr_storage addr; /* the remote end */
	socklen_t addrlen;
	bool expect_mac; /* dialled a node whose MAC we know */
	uint8_t expected_mac[MAC_LEN];
	uint8_t peer_mac[MAC_LEN]; /* valid once UP */
	uint64_t addr_id;	   /* the directory address dialled (0: incoming) */
	uint64_t created_ms, up_ms, last_rx_ms;
	uint64_t last_tx_ms; /* the last frame queued (keepalives: switch_keepalive) */
	/* a planned close (autoconnect's superfluous link): when it is due, 0 if
	 * none. Meanwhile no floods go out on it and no INFO is learned from it,
	 * so routes move to other links before it closes (see autoconnect.c) */
	uint64_t drain_ms;
	bool drain_by_peer; /* (ext) the peer said DRAIN: it closes the link */
	bool drain_checked; /* (ext) ours checked: nothing goes over it here */
	/* our replay of routes to the new peer, paced (switch.c: replay_step) */
	bool replaying, replay_signed;
	size_t replay_bucket;
	uint64_t last_tx_progress_ms; /* the last time TLS took bytes (or the queue was empty) */

	uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_start, out_end;
	size_t pending_write; /* bytes of the last SSL_write that must be retried */

	struct link_counters c;
	char name[80]; /* "02:..:01 [198.18.0.2]:41744", for logs */

	struct link *next, *prev; /* the set's list */
	struct link *next_dead;
	struct link *next_dirty;
};

/** An empty set. The owner sets max_links and idle_ms (and may change them later). */
void link_set_init(struct link_set *s, struct loop *loop, const struct tls *tls,
		   const uint8_t mac[MAC_LEN], const struct link_events *ev);
/** Dial addr. expect_mac may be NULL. Returns the link or NULL (logged; dial_done reported). */
struct link *link_dial(struct link_set *s, const struct sockaddr *addr, socklen_t addrlen,
		       const uint8_t *expect_mac, uint64_t addr_id);
/** Take an accepted socket. */
struct link *link_accept(struct link_set *s, int fd, const struct sockaddr *addr,
			 socklen_t addrlen);
/** Close with a reason for the log; safe to call twice. The memory lives until the round ends. */
void link_close(struct link *l, const char *reason);
/**
 * May a new incoming connection from addr take a handshake slot? 0, or
 * -EBUSY with *why set (counted); the caller closes it.
 */
int link_admit(struct link_set *s, const struct sockaddr *addr, const char **why);
/** Links that are up and really part of the mesh (not FULL notices being handed over). */
static inline size_t link_set_degree(const struct link_set *s)
{
	return s->n_up - s->n_full;
}

/** Close a link whose peer sent something malformed (counted in bad_frames). */
void link_protocol_error(struct link *l, const char *why);

/**
 * Copy a whole wire frame into the output buffer; false if it was dropped
 * (counted: the buffer is full). Control frames may use the reserve above
 * LINK_OUT_DATA_CAP, data frames not.
 */
bool link_send(struct link *l, const void *frame, size_t n, bool control);

/*
 * A flood round's frames (INFO, SIGNED INFO, DEGREE, keepalives) may wait
 * this long for others: a round then crosses a link in a few TLS records and
 * TCP segments, not one (and one ACK) per origin (PROTOCOL: Timing, Pace).
 * Anything else sent on the link takes them along at once.
 */
#define LINK_ROUND_BATCH_MS 25

/** link_send for a control frame of a flood round: flushed within LINK_ROUND_BATCH_MS. */
bool link_send_round(struct link *l, const void *frame, size_t n);

/** Bytes queued for output. */
static inline size_t link_queued(const struct link *l)
{
	return l->out_end - l->out_start;
}

/** A data frame took a link past half full this round: a reader should stop and let it drain. */
static inline bool link_set_filling(const struct link_set *s)
{
	return s->filling;
}

/**
 * After each loop round: write out what every link has queued, free closed
 * links, and apply back-pressure (hold or release the owner's sources, and
 * resume links paused while the ones they feed drain).
 */
void link_after_round(struct link_set *s);
/** Close links whose handshake or peer is silent for too long. */
void link_check_timeouts(struct link_set *s, uint64_t now_ms);
/** Close and free every link (shutdown). */
void link_close_all(struct link_set *s);
/** Check the set's counts against its list (aborts on a mismatch; debug builds only). */
void link_set_check(const struct link_set *s);

const char *link_state_name(enum link_state s);
