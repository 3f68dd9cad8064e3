/*
 * One TLS/TCP connection to a peer: dial or accept, handshake, frame
 * reassembly, a bounded output buffer, coalesced TLS writes.
 *
 * Frames are appended to the output buffer with link_reserve/link_commit
 * (or link_send) and written at the end of the loop round, up to one full
 * TLS record per SSL_write. A closed link stays allocated until the round is
 * over, so pointers held during dispatch stay valid.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"
#include "mac.h"

struct invpnd;
typedef struct ssl_st SSL;

enum link_state {
	LINK_CONNECTING, /* TCP connect in progress */
	LINK_HANDSHAKE,  /* TLS handshake in progress */
	LINK_UP,
	LINK_CLOSED,
};

#define LINK_IN_CAP (2 * 65537 + 16384)
#define LINK_OUT_CAP (512 * 1024)
/* Data frames may fill the output buffer up to here; the rest is for control frames. */
#define LINK_OUT_DATA_CAP (LINK_OUT_CAP - 160 * 1024)
#define LINK_WRITE_CHUNK 16384

struct link_counters {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t drops; /* frames dropped because the output buffer was full */
};

struct link {
	struct invpnd *d;
	struct loop_io io;
	uint64_t id;
	enum link_state state;
	bool outgoing;
	bool want_write;  /* TLS needs the socket writable */
	bool on_dirty_list;
	bool confirmed;   /* a frame arrived: the peer accepted us too */
	bool announced;   /* incoming: the peer's first ANNOUNCE was recorded as a success */
	bool rx_paused;   /* not reading: a link we forward to must drain first */
	uint32_t peer_caps; /* PROTO_CAPS_* the peer sent */
	SSL *ssl;
	struct sockaddr_storage addr; /* the remote end */
	socklen_t addrlen;
	bool expect_mac; /* dialled a node whose MAC we know */
	uint8_t expected_mac[MAC_LEN];
	uint8_t peer_mac[MAC_LEN]; /* valid once UP */
	uint64_t addr_id;          /* the directory address dialled (0: incoming) */
	uint64_t created_ms, up_ms, last_rx_ms;
	uint64_t last_tx_progress_ms; /* the last time TLS took bytes (or the queue was empty) */

	uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_start, out_end;
	size_t pending_write; /* bytes of the last SSL_write that must be retried */

	struct link_counters c;
	char name[80]; /* "02:..:01 [198.18.0.2]:41744", for logs */

	struct link *next, *prev; /* daemon's list */
	struct link *next_dead;
	struct link *next_dirty;
};

/** Dial addr. expect_mac may be NULL. Returns the link or NULL (logged; dial failure recorded). */
struct link *link_dial(struct invpnd *d, const struct sockaddr *addr, socklen_t addrlen,
		       const uint8_t *expect_mac, uint64_t addr_id);
/** Take an accepted socket. */
struct link *link_accept(struct invpnd *d, int fd, const struct sockaddr *addr,
			 socklen_t addrlen);
/** Close with a reason for the log; safe to call twice. The memory lives until link_reap. */
void link_close(struct link *l, const char *reason);

/**
 * Room for n more bytes of output, or NULL if the frame must be dropped (the
 * drop is counted). Control frames may use the reserve above LINK_OUT_DATA_CAP.
 */
uint8_t *link_reserve(struct link *l, size_t n, bool control);
/** Queue the n bytes written into the space link_reserve returned. */
void link_commit(struct link *l, size_t n);
/** Copy a whole wire frame into the output buffer; false if dropped. */
bool link_send(struct link *l, const void *frame, size_t n, bool control);

/** Bytes queued for output. */
static inline size_t link_queued(const struct link *l)
{
	return l->out_end - l->out_start;
}

/** Write out what every dirty link has queued; then free closed links. Runs after each round. */
void link_after_round(struct invpnd *d);
/** Read again from a link paused by back-pressure (TLS may hold data already). */
void link_resume(struct link *l);
/** Close links whose handshake or peer is silent for too long. */
void link_check_timeouts(struct invpnd *d, uint64_t now_ms);
/** Close and free every link (shutdown). */
void link_close_all(struct invpnd *d);

/** Format a socket address as "1.2.3.4:5" or "[::1]:5". */
void link_format_addr(const struct sockaddr *sa, char *buf, size_t len);
const char *link_state_name(enum link_state s);
