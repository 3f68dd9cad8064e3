/*
 * (ext) The certificates of other nodes, for verifying their signed
 * announcements (announce.c): those of direct peers (from the TLS handshake,
 * pinned while the link is up) and a bounded cache of verified ones fetched
 * with CERT_REQ. Every entry holds a certificate that passed
 * tls_verify_cert for its MAC; the store itself trusts its caller on that.
 * Also signs and verifies with OpenSSL's EVP (EC, Ed25519 or RSA keys).
 */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

#define CERTSTORE_BUCKETS 256

struct cert_entry {
	uint8_t mac[MAC_LEN];
	X509 *cert;
	EVP_PKEY *pub;	  /* the certificate's public key (owned by cert) */
	unsigned pins;	  /* live links to this node: never evicted while > 0 */
	bool signed_seen; /* a SIGNED_INFO from it verified: never again learned unsigned */
	uint64_t used_ms; /* last put or verification (monotonic): the eviction order */
	/* the last SIGNED_INFO that verified, as on the wire (replayed to new links) */
	uint8_t *frame;
	size_t frame_len;
	int64_t frame_id;
	uint64_t reask_ms;	 /* announce.c: when a bad signature last made us ask again */
	struct cert_entry *next; /* hash chain */
};

struct certstore {
	struct cert_entry *buckets[CERTSTORE_BUCKETS];
	size_t count, max;
	uint64_t evicted; /* entries pushed out at the bound */
};

void certstore_init(struct certstore *cs, size_t max);
void certstore_fini(struct certstore *cs);

struct cert_entry *certstore_find(const struct certstore *cs, const uint8_t mac[MAC_LEN]);

/**
 * Store cert (already verified for mac; the store takes its own reference)
 * as mac's, replacing another certificate (and forgetting the frame verified
 * with it). pin: a live link presents it. At the bound, the unpinned entry
 * used least recently goes, preferring one never seen signed; if every entry
 * is pinned, NULL (nothing stored).
 */
struct cert_entry *certstore_put(struct certstore *cs, const uint8_t mac[MAC_LEN], X509 *cert,
				 bool pin, uint64_t now_ms);
/** A link to mac went down. */
void certstore_unpin(struct certstore *cs, const uint8_t mac[MAC_LEN]);
/** Remember frame (a verified SIGNED_INFO with id) in e. 0 or -ENOMEM. */
int certstore_keep_frame(struct cert_entry *e, const uint8_t *frame, size_t len, int64_t id);
/** Remove one entry. */
void certstore_remove(struct certstore *cs, struct cert_entry *e);
/** Call fn for every entry; fn may not change the store. */
void certstore_foreach(const struct certstore *cs, void (*fn)(struct cert_entry *e, void *arg),
		       void *arg);

/**
 * Sign ctx (ctxlen bytes) followed by msg with key; the signature goes into
 * sig (cap bytes), its length into *siglen. 0, or -EINVAL.
 */
int certstore_sign(EVP_PKEY *key, const uint8_t *ctx, size_t ctxlen, const uint8_t *msg, size_t len,
		   uint8_t *sig, size_t cap, size_t *siglen);
/** Whether sig is pub's signature over ctx followed by msg. */
bool certstore_verify(EVP_PKEY *pub, const uint8_t *ctx, size_t ctxlen, const uint8_t *msg,
		      size_t len, const uint8_t *sig, size_t siglen);

/** Write the certificates seen signed to path (PEM, atomically). 0 or -errno. */
int certstore_save(const struct certstore *cs, const char *path);
/**
 * Read path back: each certificate is offered to check (which verifies it and
 * writes its MAC, 0 to take it) and stored as seen signed. Returns how many
 * were taken, or -errno (-ENOENT: no file yet).
 */
int certstore_load(struct certstore *cs, const char *path,
		   int (*check)(X509 *cert, uint8_t mac[MAC_LEN], void *arg), void *arg,
		   uint64_t now_ms);
