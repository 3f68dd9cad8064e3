#include "proto_check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Re-encode what a decoder produced into out (cap bytes); size or -errno. */
static int reencode(uint8_t type, const uint8_t *body, size_t len, uint8_t *out, size_t cap,
		    int *decoded, const char **why)
{
	switch (type) {
	case PROTO_ANNOUNCE: {
		struct proto_announce a;

		*decoded = proto_decode_announce(body, len, &a);
		return *decoded ? 0 : proto_encode_announce(out, cap, &a);
	}
	case PROTO_INFO: {
		struct proto_info in;

		*decoded = proto_decode_info(body, len, &in);
		return *decoded ? 0 : proto_encode_info(out, cap, &in);
	}
	case PROTO_HEALTH_REQ: {
		struct proto_health_req r;

		*decoded = proto_decode_health_req(body, len, &r);
		if (*decoded)
			return 0;
		if (r.ntrace && (r.trace < body || r.trace + r.ntrace * MAC_LEN > body + len)) {
			*why = "HEALTH REQUEST trace points outside the body";
			return -EFAULT;
		}
		return proto_encode_health_req(out, cap, &r);
	}
	case PROTO_HEALTH_RESP: {
		struct proto_health_resp r;

		*decoded = proto_decode_health_resp(body, len, &r);
		if (*decoded)
			return 0;
		if ((r.nconn && r.conn + r.nconn * MAC_LEN > body + len) ||
		    (r.nroutes && r.routes + r.nroutes * 2 * MAC_LEN > body + len) ||
		    (r.ntrace && r.trace + r.ntrace * MAC_LEN > body + len) ||
		    (r.nrtrace && r.rtrace + r.nrtrace * MAC_LEN > body + len)) {
			*why = "HEALTH RESPONSE list points outside the body";
			return -EFAULT;
		}
		return proto_encode_health_resp(out, cap, &r);
	}
	case PROTO_UNICAST: {
		struct proto_unicast u;

		*decoded = proto_decode_unicast(body, len, &u);
		if (*decoded)
			return 0;
		if (u.eth != body || u.eth_len != len || u.dst != body || u.src != body + MAC_LEN) {
			*why = "UNICAST view does not match the body";
			return -EFAULT;
		}
		return proto_encode_unicast(out, cap, u.eth, u.eth_len);
	}
	case PROTO_BROADCAST: {
		struct proto_broadcast b;
		uint8_t *eth;
		int r;

		*decoded = proto_decode_broadcast(body, len, &b);
		if (*decoded)
			return 0;
		if (b.src != body + 8 || b.rest != body + PROTO_BCAST_FIXED ||
		    b.rest_len != len - PROTO_BCAST_FIXED) {
			*why = "BROADCAST view does not match the body";
			return -EFAULT;
		}
		/* as a receiver delivers it: broadcast destination, src, rest */
		eth = malloc(2 * MAC_LEN + b.rest_len);
		if (!eth) {
			*why = "out of memory";
			return -ENOMEM;
		}
		memset(eth, 0xff, MAC_LEN);
		memcpy(eth + MAC_LEN, b.src, MAC_LEN);
		if (b.rest_len)
			memcpy(eth + 2 * MAC_LEN, b.rest, b.rest_len);
		r = proto_encode_broadcast(out, cap, b.id, eth, 2 * MAC_LEN + b.rest_len);
		free(eth);
		return r;
	}
#ifdef PROTO_CAPS_BODY
	case PROTO_CAPS: {
		uint32_t caps;
		int r;

		*decoded = proto_decode_caps(body, len, &caps);
		if (*decoded)
			return 0;
		/* a later version may send more: only the part we know re-encodes */
		r = proto_encode_caps(out, cap, caps);
		if (r == PROTO_HDR_SIZE + PROTO_CAPS_BODY && len > PROTO_CAPS_BODY) {
			memcpy(out + r, body + PROTO_CAPS_BODY, len - PROTO_CAPS_BODY);
			proto_put16(out, (uint16_t)(len + 1));
			r = (int)(len + PROTO_HDR_SIZE);
		}
		return r;
	}
#endif
#ifdef PROTO_WITHDRAW_MAX
	case PROTO_WITHDRAW: {
		struct proto_withdraw w;
		struct proto_withdraw_entry *e;
		size_t known;
		int r;

		*decoded = proto_decode_withdraw(body, len, &w);
		if (*decoded)
			return 0;
		if (w.entries != body + PROTO_WITHDRAW_FIXED) {
			*why = "WITHDRAW view does not match the body";
			return -EFAULT;
		}
		e = calloc(w.n, sizeof(*e));
		if (!e)
			return -ENOMEM;
		for (size_t i = 0; i < w.n; i++)
			proto_withdraw_get(&w, i, &e[i]);
		r = proto_encode_withdraw(out, cap, e, w.n);
		free(e);
		/* a later version may send more: only the entries re-encode */
		known = PROTO_WITHDRAW_FIXED + w.n * PROTO_WITHDRAW_ENTRY;
		if (r == (int)(PROTO_HDR_SIZE + known) && len > known) {
			memcpy(out + r, body + known, len - known);
			proto_put16(out, (uint16_t)(len + 1));
			r = (int)(len + PROTO_HDR_SIZE);
		}
		return r;
	}
#endif
#ifdef PROTO_DRAIN_BODY
	case PROTO_DRAIN: {
		bool closing;
		int r;

		*decoded = proto_decode_drain(body, len, &closing);
		if (*decoded)
			return 0;
		r = proto_encode_drain(out, cap, closing);
		/* a later version may send more: only the part we know re-encodes */
		if (r == PROTO_HDR_SIZE + PROTO_DRAIN_BODY && len > PROTO_DRAIN_BODY) {
			memcpy(out + r, body + PROTO_DRAIN_BODY, len - PROTO_DRAIN_BODY);
			proto_put16(out, (uint16_t)(len + 1));
			r = (int)(len + PROTO_HDR_SIZE);
		}
		return r;
	}
#endif
#ifdef PROTO_GSO_HDR
	case PROTO_UNICAST_GSO: {
		struct proto_unicast u;
		const uint8_t *gso;

		*decoded = proto_decode_unicast_gso(body, len, &gso, &u);
		if (*decoded)
			return 0;
		if (gso != body || u.eth != body + PROTO_GSO_HDR ||
		    u.eth_len != len - PROTO_GSO_HDR || u.dst != u.eth ||
		    u.src != u.eth + MAC_LEN) {
			*why = "UNICAST_GSO view does not match the body";
			return -EFAULT;
		}
		/* no encoder: switch.c builds it in place, header + virtio header + frame */
		if (len + PROTO_HDR_SIZE > cap)
			return -ENOSPC;
		proto_put_header(out, PROTO_UNICAST_GSO, len);
		memcpy(out + PROTO_HDR_SIZE, gso, PROTO_GSO_HDR);
		memcpy(out + PROTO_HDR_SIZE + PROTO_GSO_HDR, u.eth, u.eth_len);
		return (int)(len + PROTO_HDR_SIZE);
	}
#endif
	default:
		*decoded = -ENOTSUP;
		return 0;
	}
}

enum proto_check_result proto_check_body(uint8_t type, const uint8_t *body, size_t len,
					 const char **why)
{
	const char *dummy;
	enum proto_check_result res = PROTO_CHECK_BROKEN;
	size_t cap = len + PROTO_HDR_SIZE;
	uint8_t *copy, *out;
	int decoded = 0, size;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (len + 1 > PROTO_MAX_LEN) {
		*why = "body longer than a len field can say";
		return PROTO_CHECK_BROKEN;
	}
	/* exact sizes: ASan catches a decoder reading or an encoder writing past them */
	copy = malloc(len ? len : 1);
	out = malloc(cap);
	if (!copy || !out) {
		*why = "out of memory";
		goto out;
	}
	if (len)
		memcpy(copy, body, len);
	size = reencode(type, copy, len, out, cap, &decoded, why);
	if (*why)
		goto out;
	if (decoded == -ENOTSUP) {
		res = PROTO_CHECK_SKIPPED;
		goto out;
	}
	if (decoded) {
		if (decoded != -EBADMSG && decoded != -EPROTONOSUPPORT)
			*why = "decoder returned an error other than -EBADMSG/-EPROTONOSUPPORT";
		else if (decoded == -EPROTONOSUPPORT &&
			 (type == PROTO_UNICAST || type == PROTO_BROADCAST || type >= 0x80 ||
			  !len || body[0] == PROTO_VERSION))
			*why = "-EPROTONOSUPPORT for a frame of the supported version";
		else
			res = PROTO_CHECK_REJECTED;
		goto out;
	}
	if (size < 0) {
		*why = "re-encoding a decoded frame failed";
		goto out;
	}
	if ((size_t)size != cap) {
		*why = "re-encoding a decoded frame gave a different size";
		goto out;
	}
	if (proto_get16(out) != len + 1 || out[2] != type) {
		*why = "re-encoding a decoded frame gave a different header";
		goto out;
	}
	if (len && memcmp(out + PROTO_HDR_SIZE, body, len)) {
		*why = "re-encoding a decoded frame gave different bytes";
		goto out;
	}
	res = PROTO_CHECK_OK;
out:
	free(copy);
	free(out);
	return res;
}

enum proto_check_result proto_check_stream(const uint8_t *data, size_t size,
					   struct proto_check_stats *stats, const char **why)
{
	size_t pos = 0;

	while (size - pos >= PROTO_LEN_SIZE) {
		size_t len = proto_get16(data + pos);
		enum proto_check_result r;

		if (len == 0)
			break; /* protocol error: the link is closed */
		if (size - pos - PROTO_LEN_SIZE < len)
			break; /* incomplete: wait for more */
		r = proto_check_body(data[pos + PROTO_LEN_SIZE], data + pos + PROTO_HDR_SIZE,
				     len - 1, why);
		if (r == PROTO_CHECK_BROKEN)
			return r;
		if (stats) {
			if (r == PROTO_CHECK_OK)
				stats->ok++;
			else if (r == PROTO_CHECK_REJECTED)
				stats->rejected++;
			else
				stats->skipped++;
		}
		/* a receiver would close the link on -EBADMSG; go on to check the rest */
		pos += PROTO_LEN_SIZE + len;
	}
	return PROTO_CHECK_OK;
}
