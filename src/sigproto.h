/*
 * (ext) The wire format of signed self-announcements (PROTOCOL.md, "Signed
 * announcements"): SIGNED_INFO, CERT_REQ, CERT and OBSERVED. Bounds-checked
 * encode and decode only: no keys, no state (announce.c signs and verifies).
 * Decoded frames are views into the caller's buffer.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "proto.h"

/* the most addresses a SIGNED_INFO carries (its origin picks the best seen) */
#define SIGPROTO_MAX_ADDRS 4
/* a signature is at most this long (RSA 4096 is 512 bytes, ECDSA P-256 72, Ed25519 64) */
#define SIGPROTO_MAX_SIG 1024
/* a certificate (DER) is at most this long */
#define SIGPROTO_MAX_DER 8192
/* version, id, mac, port, caps, naddr */
#define SIGPROTO_SINFO_FIXED 22
/* the largest SIGNED_INFO, as a wire frame */
#define SIGPROTO_SINFO_MAX \
	(PROTO_HDR_SIZE + SIGPROTO_SINFO_FIXED + SIGPROTO_MAX_ADDRS * 17 + 2 + SIGPROTO_MAX_SIG)
#define SIGPROTO_CERT_REQ_BODY 7 /* version, origin */
#define SIGPROTO_CERT_FIXED 9	 /* version, origin, u16 derlen */
#define SIGPROTO_CERT_MAX (PROTO_HDR_SIZE + SIGPROTO_CERT_FIXED + SIGPROTO_MAX_DER)
#define SIGPROTO_OBSERVED_MAX (PROTO_HDR_SIZE + 2 + 16)
/*
 * What a signature covers: this context string (no NUL), then the body of
 * the SIGNED_INFO from its version byte up to (not including) siglen.
 */
#define SIGPROTO_CONTEXT "invpn signed info 1"
#define SIGPROTO_CONTEXT_LEN (sizeof(SIGPROTO_CONTEXT) - 1)

struct sigproto_addr {
	uint8_t iptype; /* PROTO_IP_V4 or PROTO_IP_V6 */
	uint8_t ip[16];
};

struct sigproto_sinfo {
	int64_t id;
	uint8_t mac[MAC_LEN];
	uint16_t port;
	uint32_t caps; /* the origin's CAPS bits */
	size_t naddr;
	struct sigproto_addr addr[SIGPROTO_MAX_ADDRS];
	/* decode: views into the body; encode: ignored */
	const uint8_t *signed_part; /* body bytes the signature covers (after the context) */
	size_t signed_len;
	const uint8_t *sig;
	size_t siglen;
};

struct sigproto_cert {
	uint8_t origin[MAC_LEN];
	const uint8_t *der;
	size_t derlen;
};

/*
 * Decoders take the body (after the type byte) and return 0, -EBADMSG for a
 * frame that breaks the layout (the link is closed), or -EPROTONOSUPPORT for
 * an unknown version (the frame is dropped).
 */
int sigproto_decode_sinfo(const uint8_t *body, size_t len, struct sigproto_sinfo *out);
int sigproto_decode_cert_req(const uint8_t *body, size_t len, uint8_t origin[MAC_LEN]);
int sigproto_decode_cert(const uint8_t *body, size_t len, struct sigproto_cert *out);
int sigproto_decode_observed(const uint8_t *body, size_t len, struct sigproto_addr *out);

/*
 * The unsigned part of a SIGNED_INFO: writes the frame header and every field
 * up to siglen into buf and returns where siglen goes (the frame's size so
 * far), or -ENOSPC/-EINVAL. sigproto_sinfo_finish then appends siglen and the
 * signature, fixes len, and returns the frame's size.
 */
int sigproto_encode_sinfo_start(uint8_t *buf, size_t cap, const struct sigproto_sinfo *s);
int sigproto_sinfo_finish(uint8_t *buf, size_t cap, size_t off, const uint8_t *sig, size_t siglen);
/** The bytes to sign of a frame from sigproto_encode_sinfo_start (off: its return). */
static inline const uint8_t *sigproto_sinfo_tbs(const uint8_t *buf, size_t off, size_t *len)
{
	*len = off - PROTO_HDR_SIZE;
	return buf + PROTO_HDR_SIZE;
}

int sigproto_encode_cert_req(uint8_t *buf, size_t cap, const uint8_t origin[MAC_LEN]);
int sigproto_encode_cert(uint8_t *buf, size_t cap, const uint8_t origin[MAC_LEN],
			 const uint8_t *der, size_t derlen);
int sigproto_encode_observed(uint8_t *buf, size_t cap, const struct sigproto_addr *a);
