/*
 * (ext) Signed self-announcements (PROTOCOL.md, "Signed announcements"):
 * a node signs what it says about itself (SIGNED_INFO) with its
 * certificate's key; every node verifies it against the origin's
 * certificate (fetched with CERT_REQ/CERT, kept in a certstore) before it
 * learns a route or an address from it. Peers that do not take it (CAPS
 * without SIGN, or no CAPS) keep getting unsigned INFO. The switch calls
 * these hooks; everything else about signing lives here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certstore.h"
#include "mac.h"
#include "sigproto.h"

struct invpnd;
struct link;
struct route;

/* certificates kept at most (direct peers and fetched ones; as many as routes) */
#define ANNOUNCE_CERTS 4096
/* origins waiting for their certificate at once (a node joining a mesh of a few
 * hundred asks for all in its first round); further unknown origins are dropped */
#define ANNOUNCE_PENDING 256
/* per waiting origin, the other links whose copy of its frame is remembered */
#define ANNOUNCE_PENDING_ALSO 8
/* a CERT_REQ unanswered this long may be asked again (of the next link to name it) */
#define ANNOUNCE_ASK_MS 3000
/* CERT_REQs sent per second in all */
#define ANNOUNCE_REQ_PER_S 256
/* per link and second: signature verifications plus certificates sent */
#define ANNOUNCE_LINK_WORK 256
/* a SIGNED INFO that does not verify against a cached certificate asks anew at most this often */
#define ANNOUNCE_REASK_MS 60000
/* a link whose peer sent no CAPS this long after the handshake is taken as an original */
#define ANNOUNCE_INTRO_MS 3000

struct announce_counters {
	uint64_t sig_ok;	   /* SIGNED_INFOs verified */
	uint64_t sig_cached;	   /* ... taken without verifying again (same origin, id, bytes) */
	uint64_t sig_bad;	   /* ... whose signature did not verify */
	uint64_t sig_no_cert;	   /* ... from an origin without a certificate yet (asked) */
	uint64_t sig_over_budget;  /* ... dropped unverified: the link's work budget was spent */
	uint64_t cert_req_sent;	   /* CERT_REQs we sent */
	uint64_t cert_sent;	   /* CERTs we sent */
	uint64_t cert_ok;	   /* CERTs verified and stored */
	uint64_t cert_bad;	   /* CERTs refused (chain, CN, CRL, or not DER) */
	uint64_t cert_unasked;	   /* CERTs nobody asked for, dropped */
	uint64_t unsigned_refused; /* INFO/ANNOUNCE about a MAC seen signed, or require_signed */
};

struct announce_pending {
	uint8_t mac[MAC_LEN];
	uint64_t link_id; /* the link asked, and the frame's link; 0: a free slot */
	uint64_t asked_ms;
	uint8_t *frame; /* the SIGNED_INFO that named it (whole wire frame), or NULL */
	size_t len;
	/* other links that delivered the same frame meanwhile: paths from the origin too */
	uint64_t also[ANNOUNCE_PENDING_ALSO];
};

struct announce {
	struct certstore certs;
	struct announce_pending pending[ANNOUNCE_PENDING];
	uint64_t req_window_ms;
	unsigned req_count;
	uint8_t own[SIGPROTO_SINFO_MAX]; /* our last SIGNED_INFO */
	size_t own_len;
	char *path; /* the certificate cache file, or NULL */
	bool dirty; /* a certificate was seen signed since the last save */
	struct announce_counters c;
};

/** Set up (d->tls and d->cfg loaded); loads the certificate cache. 0 or -ENOMEM. */
int announce_init(struct invpnd *d);
void announce_fini(struct invpnd *d);
/** Save the certificate cache if it changed (or always, with force). */
void announce_save(struct invpnd *d, bool force);
/** After a reload: certificates that no longer verify (CRL, CA) are forgotten. */
void announce_reload(struct invpnd *d);

/** Whether l takes SIGNED_INFO from us (we sign, it said CAPS SIGN). */
bool announce_takes_signed(const struct invpnd *d, const struct link *l);
/** Our CAPS bits for signing (0 with sign = no). */
uint32_t announce_caps(const struct invpnd *d);

/** A link came up (not a FULL one): pin its certificate; the replay waits for its CAPS. */
void announce_link_up(struct invpnd *d, struct link *l);
/** A link went down (not a FULL one). */
void announce_link_down(struct invpnd *d, struct link *l);
/**
 * Every frame from l, before the switch handles it. false: drop it (l may be
 * closed: require_signed and a peer that sent no CAPS first).
 */
bool announce_gate(struct invpnd *d, struct link *l, uint8_t type);
/** The peer's CAPS arrived (l->peer_caps set). */
void announce_on_caps(struct invpnd *d, struct link *l);

/** Whether an unsigned INFO about mac may be learned (never after it was seen signed). */
bool announce_unsigned_ok(struct invpnd *d, const uint8_t mac[MAC_LEN]);
/** Sign and send our own SIGNED_INFO with id (this round's) to every link that takes it. */
void announce_round(struct invpnd *d, int64_t id);
/** A new link's replay of route r: true if sent here (signed), false for the unsigned one. */
bool announce_replay(struct invpnd *d, const struct route *r, struct link *to);
/** Our last SIGNED INFO again, to a peer that takes it (a keepalive); false if none was sent. */
bool announce_keepalive(struct invpnd *d, struct link *to);

void announce_on_sinfo(struct invpnd *d, struct link *from, const uint8_t *body, size_t len);
void announce_on_cert_req(struct invpnd *d, struct link *from, const uint8_t *body, size_t len);
void announce_on_cert(struct invpnd *d, struct link *from, const uint8_t *body, size_t len);
void announce_on_observed(struct invpnd *d, struct link *from, const uint8_t *body, size_t len);
