#include "sigproto.h"

#include <errno.h>
#include <string.h>

/* an address of a SIGNED_INFO or OBSERVED: IPv4 or IPv6, never "none" */
static int addr_len(uint8_t iptype)
{
	if (iptype == PROTO_IP_V4)
		return 4;
	if (iptype == PROTO_IP_V6)
		return 16;
	return -1;
}

int sigproto_decode_sinfo(const uint8_t *body, size_t len, struct sigproto_sinfo *out)
{
	size_t o = SIGPROTO_SINFO_FIXED;

	if (len < SIGPROTO_SINFO_FIXED + 2)
		return -EBADMSG;
	out->naddr = body[21];
	if (out->naddr > SIGPROTO_MAX_ADDRS)
		return -EBADMSG;
	for (size_t i = 0; i < out->naddr; i++) {
		int n = o < len ? addr_len(body[o]) : -1;

		if (n < 0 || o + 1 + (size_t)n > len)
			return -EBADMSG;
		out->addr[i].iptype = body[o];
		memset(out->addr[i].ip, 0, sizeof(out->addr[i].ip));
		memcpy(out->addr[i].ip, body + o + 1, (size_t)n);
		o += 1 + (size_t)n;
	}
	if (o + 2 > len)
		return -EBADMSG;
	out->signed_part = body;
	out->signed_len = o;
	out->siglen = proto_get16(body + o);
	out->sig = body + o + 2;
	/* nothing after the signature: every byte of the frame is accounted for */
	if (out->siglen == 0 || out->siglen > SIGPROTO_MAX_SIG || o + 2 + out->siglen != len)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	out->id = (int64_t)proto_get64(body + 1);
	memcpy(out->mac, body + 9, MAC_LEN);
	out->port = proto_get16(body + 15);
	out->caps = (uint32_t)proto_get16(body + 17) << 16 | proto_get16(body + 19);
	return 0;
}

int sigproto_decode_cert_req(const uint8_t *body, size_t len, uint8_t origin[MAC_LEN])
{
	if (len != SIGPROTO_CERT_REQ_BODY)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	memcpy(origin, body + 1, MAC_LEN);
	return 0;
}

int sigproto_decode_cert(const uint8_t *body, size_t len, struct sigproto_cert *out)
{
	if (len < SIGPROTO_CERT_FIXED)
		return -EBADMSG;
	out->derlen = proto_get16(body + 7);
	if (out->derlen == 0 || out->derlen > SIGPROTO_MAX_DER ||
	    len != SIGPROTO_CERT_FIXED + out->derlen)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	memcpy(out->origin, body + 1, MAC_LEN);
	out->der = body + SIGPROTO_CERT_FIXED;
	return 0;
}

int sigproto_decode_observed(const uint8_t *body, size_t len, struct sigproto_addr *out)
{
	int n = len >= 2 ? addr_len(body[1]) : -1;

	if (n < 0 || len != 2 + (size_t)n)
		return -EBADMSG;
	if (body[0] != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	out->iptype = body[1];
	memset(out->ip, 0, sizeof(out->ip));
	memcpy(out->ip, body + 2, (size_t)n);
	return 0;
}

int sigproto_encode_sinfo_start(uint8_t *buf, size_t cap, const struct sigproto_sinfo *s)
{
	size_t o = PROTO_HDR_SIZE + SIGPROTO_SINFO_FIXED;

	if (s->naddr > SIGPROTO_MAX_ADDRS)
		return -EINVAL;
	if (cap < o)
		return -ENOSPC;
	buf[3] = PROTO_VERSION;
	proto_put64(buf + 4, (uint64_t)s->id);
	memcpy(buf + 12, s->mac, MAC_LEN);
	proto_put16(buf + 18, s->port);
	proto_put16(buf + 20, (uint16_t)(s->caps >> 16));
	proto_put16(buf + 22, (uint16_t)s->caps);
	buf[24] = (uint8_t)s->naddr;
	for (size_t i = 0; i < s->naddr; i++) {
		int n = addr_len(s->addr[i].iptype);

		if (n < 0)
			return -EINVAL;
		if (o + 1 + (size_t)n > cap)
			return -ENOSPC;
		buf[o] = s->addr[i].iptype;
		memcpy(buf + o + 1, s->addr[i].ip, (size_t)n);
		o += 1 + (size_t)n;
	}
	proto_put_header(buf, PROTO_SIGNED_INFO, o - PROTO_HDR_SIZE);
	return (int)o;
}

int sigproto_sinfo_finish(uint8_t *buf, size_t cap, size_t off, const uint8_t *sig, size_t siglen)
{
	if (siglen == 0 || siglen > SIGPROTO_MAX_SIG)
		return -EINVAL;
	if (off + 2 + siglen > cap)
		return -ENOSPC;
	proto_put16(buf + off, (uint16_t)siglen);
	memcpy(buf + off + 2, sig, siglen);
	proto_put_header(buf, PROTO_SIGNED_INFO, off + 2 + siglen - PROTO_HDR_SIZE);
	return (int)(off + 2 + siglen);
}

int sigproto_encode_cert_req(uint8_t *buf, size_t cap, const uint8_t origin[MAC_LEN])
{
	if (cap < PROTO_HDR_SIZE + SIGPROTO_CERT_REQ_BODY)
		return -ENOSPC;
	proto_put_header(buf, PROTO_CERT_REQ, SIGPROTO_CERT_REQ_BODY);
	buf[3] = PROTO_VERSION;
	memcpy(buf + 4, origin, MAC_LEN);
	return PROTO_HDR_SIZE + SIGPROTO_CERT_REQ_BODY;
}

int sigproto_encode_cert(uint8_t *buf, size_t cap, const uint8_t origin[MAC_LEN],
			 const uint8_t *der, size_t derlen)
{
	size_t n = PROTO_HDR_SIZE + SIGPROTO_CERT_FIXED + derlen;

	if (derlen == 0 || derlen > SIGPROTO_MAX_DER)
		return -EINVAL;
	if (cap < n)
		return -ENOSPC;
	proto_put_header(buf, PROTO_CERT, n - PROTO_HDR_SIZE);
	buf[3] = PROTO_VERSION;
	memcpy(buf + 4, origin, MAC_LEN);
	proto_put16(buf + 10, (uint16_t)derlen);
	memcpy(buf + 12, der, derlen);
	return (int)n;
}

int sigproto_encode_observed(uint8_t *buf, size_t cap, const struct sigproto_addr *a)
{
	int n = addr_len(a->iptype);

	if (n < 0)
		return -EINVAL;
	if (cap < PROTO_HDR_SIZE + 2 + (size_t)n)
		return -ENOSPC;
	proto_put_header(buf, PROTO_OBSERVED, 2 + (size_t)n);
	buf[3] = PROTO_VERSION;
	buf[4] = a->iptype;
	memcpy(buf + 5, a->ip, (size_t)n);
	return PROTO_HDR_SIZE + 2 + n;
}
