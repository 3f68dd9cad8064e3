/*
 * The InVPN wire format (PROTOCOL.md): bounds-checked encode and decode of
 * every frame type. No sockets, no state. Decoded frames point into the
 * caller's buffer; they are views, valid while it is.
 *
 * A wire frame is: u16 len | u8 type | body (len - 1 bytes).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

enum proto_type {
	PROTO_ANNOUNCE = 0x00,
	PROTO_INFO = 0x01,
	PROTO_HEALTH_REQ = 0x02,
	PROTO_HEALTH_RESP = 0x03,
	PROTO_CAPS = 0x04,   /* (ext) what a node can take; originals skip it */
	PROTO_DEGREE = 0x05, /* (ext) flooded among CAPS_MESH peers: a node's link count */
	PROTO_FULL = 0x06,   /* (ext) to a CAPS_MESH peer: at max_links, closing after replay */
	PROTO_GONE = 0x07,   /* (ext) flooded among CAPS_MESH peers: lost the link to a node */
	PROTO_SIGNED_INFO =
		0x08,	       /* (ext) flooded among CAPS_SIGN peers: a signed INFO (sigproto.h) */
	PROTO_CERT_REQ = 0x09, /* (ext) to a CAPS_SIGN peer: send me the certificate of a node */
	PROTO_CERT = 0x0a,     /* (ext) to a CAPS_SIGN peer that asked: a node's certificate */
	PROTO_OBSERVED = 0x0b, /* (ext) to a CAPS_SIGN peer: the address we see it at */
	PROTO_WITHDRAW = 0x0c, /* (ext) to a CAPS_WITHDRAW peer: routes through us are gone */
	PROTO_DRAIN = 0x0d,    /* (ext) to a CAPS_DRAIN peer: this link closes soon, or stays */
	PROTO_UNICAST = 0x80,
	PROTO_BROADCAST = 0x81,
	PROTO_UNICAST_GSO = 0x82, /* (ext) virtio header + a large frame; only to CAPS_GSO peers */
};

/* CAPS bits */
#define PROTO_CAPS_GSO 0x00000001u
#define PROTO_CAPS_MESH 0x00000002u	/* takes DEGREE, FULL and GONE */
#define PROTO_CAPS_SIGN 0x00000004u	/* takes SIGNED_INFO, CERT_REQ, CERT and OBSERVED */
#define PROTO_CAPS_WITHDRAW 0x00000008u /* takes WITHDRAW */
#define PROTO_CAPS_DRAIN 0x00000010u	/* takes DRAIN */
#define PROTO_CAPS_PACE \
	0x00000020u		/* floods rarely in a big mesh, keeps routes 4 rounds (pace.h) */
#define PROTO_DEGREE_BODY 17	/* version, id, mac, u16 links */
#define PROTO_FULL_BODY 1	/* version */
#define PROTO_DRAIN_BODY 2	/* version, u8 closing (1) or kept (0) */
#define PROTO_GONE_BODY 29	/* version, id, origin, gone, last_id */
#define PROTO_CAPS_BODY 5	/* version, u32 caps */
#define PROTO_WITHDRAW_FIXED 3	/* version, u16 count */
#define PROTO_WITHDRAW_ENTRY 14 /* mac, i64 last_id */
#define PROTO_WITHDRAW_MAX 256	/* entries in one frame at most */
#define PROTO_WITHDRAW_FRAME \
	(PROTO_HDR_SIZE + PROTO_WITHDRAW_FIXED + PROTO_WITHDRAW_MAX * PROTO_WITHDRAW_ENTRY)
#define PROTO_GSO_HDR 10 /* the virtio_net_hdr of a UNICAST_GSO, big-endian */

#define PROTO_VERSION 1
#define PROTO_LEN_SIZE 2
#define PROTO_HDR_SIZE 3    /* len + type */
#define PROTO_MAX_LEN 65535 /* largest value of the len field */
#define PROTO_MAX_FRAME (PROTO_LEN_SIZE + PROTO_MAX_LEN)
#define PROTO_ANNOUNCE_BODY 17
#define PROTO_INFO_FIXED 18 /* body without the ip */
#define PROTO_INFO_MAX (PROTO_HDR_SIZE + PROTO_INFO_FIXED + 16)
#define PROTO_HREQ_FIXED 15    /* version, id, origin */
#define PROTO_HRESP_FIXED 21   /* version, dst, src, id */
#define PROTO_BCAST_FIXED 14   /* id, src */
#define PROTO_UNICAST_FIXED 12 /* dst, src */
/* A HEALTH RESPONSE leaves room for this many return-path MACs. */
#define PROTO_RTRACE_RESERVE 64

enum proto_iptype {
	PROTO_IP_NONE = 0,
	PROTO_IP_V4 = 1,
	PROTO_IP_V6 = 2,
};

struct proto_announce {
	int64_t id;
	uint8_t mac[MAC_LEN];
	uint16_t port;
};

struct proto_info {
	int64_t id;
	uint8_t mac[MAC_LEN];
	uint16_t port;
	uint8_t iptype;
	uint8_t ip[16]; /* 4 bytes used for IPv4 */
};

struct proto_health_req {
	int64_t id;
	uint8_t origin[MAC_LEN];
	const uint8_t *trace; /* ntrace MACs */
	size_t ntrace;
};

struct proto_health_resp {
	uint8_t dst[MAC_LEN];
	uint8_t src[MAC_LEN];
	int64_t id;
	const uint8_t *conn; /* nconn MACs */
	size_t nconn;
	const uint8_t *routes; /* nroutes pairs of MACs: target, via */
	size_t nroutes;
	const uint8_t *trace; /* ntrace MACs */
	size_t ntrace;
	const uint8_t *rtrace; /* nrtrace MACs */
	size_t nrtrace;
};

struct proto_degree {
	int64_t id;
	uint8_t mac[MAC_LEN];
	uint16_t links;
};

struct proto_gone {
	int64_t id;		 /* the origin's fresh broadcast id */
	uint8_t origin[MAC_LEN]; /* the node that lost its link */
	uint8_t gone[MAC_LEN];	 /* the peer of that link */
	int64_t last_id;	 /* the newest INFO id from gone that origin had accepted */
};

/* One route a WITHDRAW takes back: its node, and the newest INFO id the route had taken. */
struct proto_withdraw_entry {
	uint8_t mac[MAC_LEN];
	int64_t last_id;
};

/* A decoded WITHDRAW: n entries of PROTO_WITHDRAW_ENTRY bytes (proto_withdraw_get). */
struct proto_withdraw {
	const uint8_t *entries;
	size_t n;
};

struct proto_unicast {
	const uint8_t *dst;
	const uint8_t *src;
	const uint8_t *eth; /* the whole Ethernet frame (dst, src, rest) */
	size_t eth_len;
};

struct proto_broadcast {
	int64_t id;
	const uint8_t *src;
	const uint8_t *rest; /* the Ethernet frame after its two MACs */
	size_t rest_len;
};

static inline uint16_t proto_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void proto_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint64_t proto_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void proto_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/** Write len and type in front of a body of body_len bytes (body_len < PROTO_MAX_LEN). */
static inline void proto_put_header(uint8_t *p, uint8_t type, size_t body_len)
{
	proto_put16(p, (uint16_t)(body_len + 1));
	p[2] = type;
}

/*
 * Decoders take the body (after the type byte). They return 0, -EBADMSG for
 * a frame that breaks the layout (the link must be closed), or
 * -EPROTONOSUPPORT for an unknown version (the frame is dropped).
 */
int proto_decode_announce(const uint8_t *body, size_t len, struct proto_announce *out);
int proto_decode_info(const uint8_t *body, size_t len, struct proto_info *out);
int proto_decode_health_req(const uint8_t *body, size_t len, struct proto_health_req *out);
int proto_decode_health_resp(const uint8_t *body, size_t len, struct proto_health_resp *out);
int proto_decode_unicast(const uint8_t *body, size_t len, struct proto_unicast *out);
int proto_decode_broadcast(const uint8_t *body, size_t len, struct proto_broadcast *out);
int proto_decode_caps(const uint8_t *body, size_t len, uint32_t *caps);
int proto_decode_degree(const uint8_t *body, size_t len, struct proto_degree *out);
int proto_decode_full(const uint8_t *body, size_t len);
/** DRAIN: *closing is true for "closes soon", false for "kept after all". */
int proto_decode_drain(const uint8_t *body, size_t len, bool *closing);
int proto_decode_gone(const uint8_t *body, size_t len, struct proto_gone *out);
/** A WITHDRAW of 1..PROTO_WITHDRAW_MAX entries; bytes after them are a later version's. */
int proto_decode_withdraw(const uint8_t *body, size_t len, struct proto_withdraw *out);
/** Entry i (< w->n) of a decoded WITHDRAW. */
void proto_withdraw_get(const struct proto_withdraw *w, size_t i, struct proto_withdraw_entry *e);
/** A UNICAST_GSO: the header (wire form) and the frame it carries. */
int proto_decode_unicast_gso(const uint8_t *body, size_t len, const uint8_t **gso_hdr,
			     struct proto_unicast *out);

/*
 * Encoders write a whole wire frame (with len and type) into buf and return
 * its size, or -ENOSPC if cap is too small or the frame would pass
 * PROTO_MAX_LEN.
 */
int proto_encode_announce(uint8_t *buf, size_t cap, const struct proto_announce *a);
int proto_encode_info(uint8_t *buf, size_t cap, const struct proto_info *in);
int proto_encode_health_req(uint8_t *buf, size_t cap, const struct proto_health_req *r);
int proto_encode_health_resp(uint8_t *buf, size_t cap, const struct proto_health_resp *r);
int proto_encode_unicast(uint8_t *buf, size_t cap, const uint8_t *eth, size_t eth_len);
int proto_encode_broadcast(uint8_t *buf, size_t cap, int64_t id, const uint8_t *eth,
			   size_t eth_len);

int proto_encode_caps(uint8_t *buf, size_t cap, uint32_t caps);
int proto_encode_degree(uint8_t *buf, size_t cap, const struct proto_degree *g);
int proto_encode_full(uint8_t *buf, size_t cap);
int proto_encode_drain(uint8_t *buf, size_t cap, bool closing);
int proto_encode_gone(uint8_t *buf, size_t cap, const struct proto_gone *g);
/** n entries, 1..PROTO_WITHDRAW_MAX (-EINVAL otherwise). */
int proto_encode_withdraw(uint8_t *buf, size_t cap, const struct proto_withdraw_entry *e, size_t n);

/** Bytes of ip for an iptype (0, 4, 16), or -1 if the iptype is unknown. */
int proto_iptype_len(uint8_t iptype);

/** A printable name for a frame type, for logs. */
const char *proto_type_name(uint8_t type);
/** A type this node handles (every other one is skipped by its len). */
bool proto_type_known(uint8_t type);
