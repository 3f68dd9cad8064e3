/*
 * The node directory: addresses we could dial, which MAC each belongs to (if
 * known), where each was learned, and per-address dial backoff. Bounded.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mac.h"

enum node_source {
	NODE_SRC_CONFIG,
	NODE_SRC_MESH,
	NODE_SRC_CACHE,
	NODE_SRC_MDNS,
	NODE_SRC_DNS,
	NODE_SRC_COUNT,
};

struct node_addr {
	uint64_t id; /* 0 = free slot */
	bool has_mac;
	bool verify_mac; /* the MAC came from config or the mesh: check the server's CN */
	uint8_t mac[MAC_LEN];
	struct sockaddr_storage sa;
	socklen_t salen;
	enum node_source source;       /* the best source it was learned from */
	unsigned sources;	       /* every source it was learned from: 1 << enum node_source */
	uint64_t learned_wall_ms;      /* learned or refreshed */
	uint64_t last_success_wall_ms; /* last link up through this address; 0: never */
	unsigned fails;		       /* failed dials since the last success */
	uint64_t next_try_ms;	       /* monotonic; backoff */
	bool dialing;
	unsigned rank;	  /* order among SRV targets (1 = first); 0 otherwise */
	bool tried;	  /* dialled at least once since start */
	uint64_t full_ms; /* monotonic: when it last told us FULL; 0: never */
	uint64_t keep_ms; /* monotonic: when it was last dialled to heal a split or rewire; 0: never */
};

#define NODES_BACKOFF_MIN_MS 1000
/* own endpoints remembered (for "never dial ourselves", PROTOCOL: Rules) */
#define NODES_MAX_OWN 32
#define NODES_BACKOFF_MAX_MS 60000
#define NODES_NONE UINT32_MAX

struct nodes {
	struct node_addr *v;
	size_t cap;
	/* slots in use: v[0..used) (entries are replaced, never freed, so the
	 * used ones are a prefix) */
	size_t used;
	/* an index by address (chained hash, slot numbers; NODES_NONE ends a
	 * chain): nodes_add looks an address up in O(1), not by a scan */
	uint32_t *addr_head; /* nbuckets chain heads */
	uint32_t *addr_next; /* cap links, one per slot */
	size_t nbuckets;     /* a power of two, >= 2 x cap */
	uint64_t next_id;
	bool dirty; /* something worth saving in the cache changed */
	/* our own listening endpoints, IP and port (nodes_set_own): addresses others tell us of are never these */
	struct sockaddr_storage own[NODES_MAX_OWN];
	size_t n_own;
	/* claims refused (PROTOCOL: Rules): a MAC for a protected address, an address not to dial */
	uint64_t refused_rebind, refused_address;
};

int nodes_init(struct nodes *n, size_t cap);
void nodes_fini(struct nodes *n);

/**
 * Add or refresh an address. mac may be NULL (unknown). When the table is
 * full, the least useful entry that is not from the config is replaced
 * (entries that never linked go first). Returns the entry or NULL.
 *
 * What the mesh, mDNS or the cache says (a claim, nodes_is_claim) is held
 * to the rules of PROTOCOL.md (Rules): it never names loopback,
 * unspecified, multicast or own addresses (NULL, refused_address++), and
 * never changes the MAC of a configured seed or of an address whose MAC
 * completed a handshake there (the entry is returned unchanged,
 * refused_rebind++).
 */
struct node_addr *nodes_add(struct nodes *n, const uint8_t *mac, const struct sockaddr *sa,
			    socklen_t salen, enum node_source src, uint64_t now_wall_ms);
struct node_addr *nodes_get(struct nodes *n, uint64_t id);

/** A dial through entry id finished: link up with peer_mac, or failed. Sets backoff. */
void nodes_dial_done(struct nodes *n, uint64_t id, bool ok, const uint8_t *peer_mac,
		     uint64_t now_ms, uint64_t now_wall_ms);

/**
 * A link from node mac, which dialled us, is up, and sa is where it can be
 * dialled: its announced listening port at the address the link came from.
 * Records the success there (adding the address from the mesh if it is new)
 * so that it is kept and cached like a dialled one; the dial failures and
 * backoff of the address are ours and are left alone. Returns the entry.
 */
struct node_addr *nodes_inbound_success(struct nodes *n, const uint8_t mac[MAC_LEN],
					const struct sockaddr *sa, socklen_t salen,
					uint64_t now_wall_ms);

/** Does what src says about an address come from someone else (the mesh, mDNS, the cache)? */
bool nodes_is_claim(enum node_source src);
/** Replace the list of own endpoints (IP and listening port); at most NODES_MAX_OWN are kept. */
void nodes_set_own(struct nodes *n, const struct sockaddr_storage *own, size_t count);
/** May a (claimed) address be dialled? 0, or the reason it may not (enum origin_addr_verdict). */
int nodes_addr_verdict(const struct nodes *n, const struct sockaddr *sa);

/** Backoff after fails failures: exponential, capped, with +-25% jitter. */
uint64_t nodes_backoff_ms(unsigned fails, unsigned jitter_seed);

const char *nodes_source_name(enum node_source s);
/** -1 if unknown. */
int nodes_source_parse(const char *name);

#define nodes_foreach(n, a)                                            \
	for (struct node_addr *a = (n)->v; a < (n)->v + (n)->cap; a++) \
		if (a->id)
