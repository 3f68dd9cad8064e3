#include "proto.h"

#include <errno.h>
#include <string.h>

int proto_iptype_len(uint8_t iptype)
{
	switch (iptype) {
	case PROTO_IP_NONE:
		return 0;
	case PROTO_IP_V4:
		return 4;
	case PROTO_IP_V6:
		return 16;
	default:
		return -1;
	}
}

/* The name of a type this node knows, or NULL. */
static const char *known_name(uint8_t type)
{
	switch (type) {
	case PROTO_ANNOUNCE:
		return "ANNOUNCE";
	case PROTO_INFO:
		return "INFO";
	case PROTO_HEALTH_REQ:
		return "HEALTH REQUEST";
	case PROTO_HEALTH_RESP:
		return "HEALTH RESPONSE";
	case PROTO_UNICAST:
		return "UNICAST";
	case PROTO_BROADCAST:
		return "BROADCAST";
	case PROTO_CAPS:
		return "CAPS";
	case PROTO_UNICAST_GSO:
		return "UNICAST GSO";
	case PROTO_DEGREE:
		return "DEGREE";
	case PROTO_FULL:
		return "FULL";
	case PROTO_GONE:
		return "GONE";
	case PROTO_SIGNED_INFO:
		return "SIGNED INFO";
	case PROTO_CERT_REQ:
		return "CERT REQUEST";
	case PROTO_CERT:
		return "CERT";
	case PROTO_OBSERVED:
		return "OBSERVED";
	case PROTO_WITHDRAW:
		return "WITHDRAW";
	case PROTO_DRAIN:
		return "DRAIN";
	default:
		return NULL;
	}
}

const char *proto_type_name(uint8_t type)
{
	const char *name = known_name(type);

	return name ? name : "unknown";
}

bool proto_type_known(uint8_t type)
{
	return known_name(type) != NULL;
}

int proto_decode_announce(const uint8_t *body, size_t len, struct proto_announce *out)
{
	if (len != PROTO_ANNOUNCE_BODY)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	out->id = (int64_t)proto_get64(body + 1);
	memcpy(out->mac, body + 9, MAC_LEN);
	out->port = proto_get16(body + 15);
	return 0;
}

int proto_decode_info(const uint8_t *body, size_t len, struct proto_info *out)
{
	int iplen;

	if (len < PROTO_INFO_FIXED)
		return -EBADMSG;
	iplen = proto_iptype_len(body[17]);
	if (iplen < 0 || len != PROTO_INFO_FIXED + (size_t)iplen)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	out->id = (int64_t)proto_get64(body + 1);
	memcpy(out->mac, body + 9, MAC_LEN);
	out->port = proto_get16(body + 15);
	out->iptype = body[17];
	memset(out->ip, 0, sizeof(out->ip));
	memcpy(out->ip, body + PROTO_INFO_FIXED, (size_t)iplen);
	return 0;
}

int proto_decode_health_req(const uint8_t *body, size_t len, struct proto_health_req *out)
{
	if (len < PROTO_HREQ_FIXED || (len - PROTO_HREQ_FIXED) % MAC_LEN)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	out->id = (int64_t)proto_get64(body + 1);
	memcpy(out->origin, body + 9, MAC_LEN);
	out->trace = body + PROTO_HREQ_FIXED;
	out->ntrace = (len - PROTO_HREQ_FIXED) / MAC_LEN;
	return 0;
}

/* Take a u16 count of items of item_size bytes; advance *pos past them. */
static int take_counted(const uint8_t *body, size_t len, size_t *pos, size_t item_size,
			const uint8_t **items, size_t *count)
{
	size_t n;

	if (len - *pos < 2)
		return -EBADMSG;
	n = proto_get16(body + *pos);
	*pos += 2;
	if (n * item_size > len - *pos)
		return -EBADMSG;
	*items = body + *pos;
	*count = n;
	*pos += n * item_size;
	return 0;
}

int proto_decode_health_resp(const uint8_t *body, size_t len, struct proto_health_resp *out)
{
	size_t pos = PROTO_HRESP_FIXED;

	if (len < PROTO_HRESP_FIXED)
		return -EBADMSG;
	if (take_counted(body, len, &pos, MAC_LEN, &out->conn, &out->nconn) ||
	    take_counted(body, len, &pos, 2 * MAC_LEN, &out->routes, &out->nroutes) ||
	    take_counted(body, len, &pos, MAC_LEN, &out->trace, &out->ntrace))
		return -EBADMSG;
	if ((len - pos) % MAC_LEN)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	memcpy(out->dst, body + 1, MAC_LEN);
	memcpy(out->src, body + 7, MAC_LEN);
	out->id = (int64_t)proto_get64(body + 13);
	out->rtrace = body + pos;
	out->nrtrace = (len - pos) / MAC_LEN;
	return 0;
}

int proto_decode_unicast(const uint8_t *body, size_t len, struct proto_unicast *out)
{
	if (len < PROTO_UNICAST_FIXED)
		return -EBADMSG;
	out->dst = body;
	out->src = body + MAC_LEN;
	out->eth = body;
	out->eth_len = len;
	return 0;
}

int proto_decode_broadcast(const uint8_t *body, size_t len, struct proto_broadcast *out)
{
	if (len < PROTO_BCAST_FIXED)
		return -EBADMSG;
	out->id = (int64_t)proto_get64(body);
	out->src = body + 8;
	out->rest = body + PROTO_BCAST_FIXED;
	out->rest_len = len - PROTO_BCAST_FIXED;
	return 0;
}

int proto_decode_caps(const uint8_t *body, size_t len, uint32_t *caps)
{
	/* longer bodies are a later version's: take what we know */
	if (len < PROTO_CAPS_BODY)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	*caps = (uint32_t)proto_get16(body + 1) << 16 | proto_get16(body + 3);
	return 0;
}

/* The mesh extensions: a longer body is a later version's, as for CAPS. */
int proto_decode_degree(const uint8_t *body, size_t len, struct proto_degree *out)
{
	if (len < PROTO_DEGREE_BODY)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	out->id = (int64_t)proto_get64(body + 1);
	memcpy(out->mac, body + 9, MAC_LEN);
	out->links = proto_get16(body + 15);
	return 0;
}

int proto_decode_full(const uint8_t *body, size_t len)
{
	if (len < PROTO_FULL_BODY)
		return -EBADMSG;
	return body[0] == PROTO_VERSION ? 0 : -EPROTONOSUPPORT;
}

int proto_decode_drain(const uint8_t *body, size_t len, bool *closing)
{
	if (len < PROTO_DRAIN_BODY)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	/* 1 closes; 0 keeps; anything else is no value we defined */
	if (body[1] > 1)
		return -EBADMSG;
	*closing = body[1] == 1;
	return 0;
}

int proto_decode_gone(const uint8_t *body, size_t len, struct proto_gone *out)
{
	if (len < PROTO_GONE_BODY)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	out->id = (int64_t)proto_get64(body + 1);
	memcpy(out->origin, body + 9, MAC_LEN);
	memcpy(out->gone, body + 15, MAC_LEN);
	out->last_id = (int64_t)proto_get64(body + 21);
	return 0;
}

int proto_decode_withdraw(const uint8_t *body, size_t len, struct proto_withdraw *out)
{
	size_t n;

	if (len < PROTO_WITHDRAW_FIXED)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	n = proto_get16(body + 1);
	if (n == 0 || n > PROTO_WITHDRAW_MAX ||
	    len < PROTO_WITHDRAW_FIXED + n * PROTO_WITHDRAW_ENTRY)
		return -EBADMSG;
	out->entries = body + PROTO_WITHDRAW_FIXED;
	out->n = n;
	return 0;
}

void proto_withdraw_get(const struct proto_withdraw *w, size_t i, struct proto_withdraw_entry *e)
{
	const uint8_t *p = w->entries + i * PROTO_WITHDRAW_ENTRY;

	memcpy(e->mac, p, MAC_LEN);
	e->last_id = (int64_t)proto_get64(p + MAC_LEN);
}

int proto_decode_unicast_gso(const uint8_t *body, size_t len, const uint8_t **gso_hdr,
			     struct proto_unicast *out)
{
	if (len < PROTO_GSO_HDR + PROTO_UNICAST_FIXED)
		return -EBADMSG;
	*gso_hdr = body;
	return proto_decode_unicast(body + PROTO_GSO_HDR, len - PROTO_GSO_HDR, out);
}

/* Check room for a body of body_len bytes; returns the wire size or -ENOSPC. */
static int frame_size(size_t cap, size_t body_len)
{
	if (body_len + 1 > PROTO_MAX_LEN || body_len + PROTO_HDR_SIZE > cap)
		return -ENOSPC;
	return (int)(body_len + PROTO_HDR_SIZE);
}

int proto_encode_announce(uint8_t *buf, size_t cap, const struct proto_announce *a)
{
	int size = frame_size(cap, PROTO_ANNOUNCE_BODY);
	uint8_t *b = buf + PROTO_HDR_SIZE;

	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_ANNOUNCE, PROTO_ANNOUNCE_BODY);
	b[0] = PROTO_VERSION;
	proto_put64(b + 1, (uint64_t)a->id);
	memcpy(b + 9, a->mac, MAC_LEN);
	proto_put16(b + 15, a->port);
	return size;
}

int proto_encode_info(uint8_t *buf, size_t cap, const struct proto_info *in)
{
	int iplen = proto_iptype_len(in->iptype);
	uint8_t *b = buf + PROTO_HDR_SIZE;
	int size;

	if (iplen < 0)
		return -EINVAL;
	size = frame_size(cap, PROTO_INFO_FIXED + (size_t)iplen);
	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_INFO, PROTO_INFO_FIXED + (size_t)iplen);
	b[0] = PROTO_VERSION;
	proto_put64(b + 1, (uint64_t)in->id);
	memcpy(b + 9, in->mac, MAC_LEN);
	proto_put16(b + 15, in->port);
	b[17] = in->iptype;
	memcpy(b + PROTO_INFO_FIXED, in->ip, (size_t)iplen);
	return size;
}

int proto_encode_health_req(uint8_t *buf, size_t cap, const struct proto_health_req *r)
{
	size_t body = PROTO_HREQ_FIXED + r->ntrace * MAC_LEN;
	uint8_t *b = buf + PROTO_HDR_SIZE;
	int size = frame_size(cap, body);

	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_HEALTH_REQ, body);
	b[0] = PROTO_VERSION;
	proto_put64(b + 1, (uint64_t)r->id);
	memcpy(b + 9, r->origin, MAC_LEN);
	if (r->ntrace)
		memcpy(b + PROTO_HREQ_FIXED, r->trace, r->ntrace * MAC_LEN);
	return size;
}

static uint8_t *put_counted(uint8_t *p, const uint8_t *items, size_t count, size_t item_size)
{
	proto_put16(p, (uint16_t)count);
	if (count)
		memcpy(p + 2, items, count * item_size);
	return p + 2 + count * item_size;
}

int proto_encode_health_resp(uint8_t *buf, size_t cap, const struct proto_health_resp *r)
{
	size_t body = PROTO_HRESP_FIXED + 6 + (r->nconn + r->ntrace + r->nrtrace) * MAC_LEN +
		      r->nroutes * 2 * MAC_LEN;
	uint8_t *b = buf + PROTO_HDR_SIZE;
	int size;

	if (r->nconn > UINT16_MAX || r->nroutes > UINT16_MAX || r->ntrace > UINT16_MAX)
		return -ENOSPC;
	size = frame_size(cap, body);
	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_HEALTH_RESP, body);
	b[0] = PROTO_VERSION;
	memcpy(b + 1, r->dst, MAC_LEN);
	memcpy(b + 7, r->src, MAC_LEN);
	proto_put64(b + 13, (uint64_t)r->id);
	b = put_counted(b + PROTO_HRESP_FIXED, r->conn, r->nconn, MAC_LEN);
	b = put_counted(b, r->routes, r->nroutes, 2 * MAC_LEN);
	b = put_counted(b, r->trace, r->ntrace, MAC_LEN);
	if (r->nrtrace)
		memcpy(b, r->rtrace, r->nrtrace * MAC_LEN);
	return size;
}

int proto_encode_caps(uint8_t *buf, size_t cap, uint32_t caps)
{
	int size = frame_size(cap, PROTO_CAPS_BODY);

	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_CAPS, PROTO_CAPS_BODY);
	buf[3] = PROTO_VERSION;
	proto_put16(buf + 4, (uint16_t)(caps >> 16));
	proto_put16(buf + 6, (uint16_t)caps);
	return size;
}

int proto_encode_degree(uint8_t *buf, size_t cap, const struct proto_degree *g)
{
	int size = frame_size(cap, PROTO_DEGREE_BODY);

	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_DEGREE, PROTO_DEGREE_BODY);
	buf[3] = PROTO_VERSION;
	proto_put64(buf + 4, (uint64_t)g->id);
	memcpy(buf + 12, g->mac, MAC_LEN);
	proto_put16(buf + 18, g->links);
	return size;
}

int proto_encode_full(uint8_t *buf, size_t cap)
{
	int size = frame_size(cap, PROTO_FULL_BODY);

	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_FULL, PROTO_FULL_BODY);
	buf[3] = PROTO_VERSION;
	return size;
}

int proto_encode_drain(uint8_t *buf, size_t cap, bool closing)
{
	int size = frame_size(cap, PROTO_DRAIN_BODY);

	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_DRAIN, PROTO_DRAIN_BODY);
	buf[3] = PROTO_VERSION;
	buf[4] = closing ? 1 : 0;
	return size;
}

int proto_encode_gone(uint8_t *buf, size_t cap, const struct proto_gone *g)
{
	int size = frame_size(cap, PROTO_GONE_BODY);

	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_GONE, PROTO_GONE_BODY);
	buf[3] = PROTO_VERSION;
	proto_put64(buf + 4, (uint64_t)g->id);
	memcpy(buf + 12, g->origin, MAC_LEN);
	memcpy(buf + 18, g->gone, MAC_LEN);
	proto_put64(buf + 24, (uint64_t)g->last_id);
	return size;
}

int proto_encode_withdraw(uint8_t *buf, size_t cap, const struct proto_withdraw_entry *e, size_t n)
{
	int size;
	uint8_t *p;

	if (n == 0 || n > PROTO_WITHDRAW_MAX)
		return -EINVAL;
	size = frame_size(cap, PROTO_WITHDRAW_FIXED + n * PROTO_WITHDRAW_ENTRY);
	if (size < 0)
		return size;
	proto_put_header(buf, PROTO_WITHDRAW, PROTO_WITHDRAW_FIXED + n * PROTO_WITHDRAW_ENTRY);
	buf[3] = PROTO_VERSION;
	proto_put16(buf + 4, (uint16_t)n);
	p = buf + PROTO_HDR_SIZE + PROTO_WITHDRAW_FIXED;
	for (size_t i = 0; i < n; i++, p += PROTO_WITHDRAW_ENTRY) {
		memcpy(p, e[i].mac, MAC_LEN);
		proto_put64(p + MAC_LEN, (uint64_t)e[i].last_id);
	}
	return size;
}

int proto_encode_unicast(uint8_t *buf, size_t cap, const uint8_t *eth, size_t eth_len)
{
	int size;

	if (eth_len < PROTO_UNICAST_FIXED)
		return -EINVAL;
	size = frame_size(cap, eth_len);
	if (size < 0)
		return size;
	/* the frame first: eth may overlap buf (in-place building) */
	memmove(buf + PROTO_HDR_SIZE, eth, eth_len);
	proto_put_header(buf, PROTO_UNICAST, eth_len);
	return size;
}

int proto_encode_broadcast(uint8_t *buf, size_t cap, int64_t id, const uint8_t *eth, size_t eth_len)
{
	size_t body;
	int size;

	if (eth_len < 2 * MAC_LEN)
		return -EINVAL;
	body = PROTO_BCAST_FIXED + eth_len - 2 * MAC_LEN;
	size = frame_size(cap, body);
	if (size < 0)
		return size;
	/* the rest first: eth may overlap buf (in-place building) */
	memmove(buf + PROTO_HDR_SIZE + PROTO_BCAST_FIXED, eth + 2 * MAC_LEN, eth_len - 2 * MAC_LEN);
	memmove(buf + PROTO_HDR_SIZE + 8, eth + MAC_LEN, MAC_LEN);
	proto_put_header(buf, PROTO_BROADCAST, body);
	proto_put64(buf + PROTO_HDR_SIZE, (uint64_t)id);
	return size;
}
