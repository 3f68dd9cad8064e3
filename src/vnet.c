#include "vnet.h"

#include <errno.h>
#include <string.h>

#include "proto.h"

void vnet_hdr_from_kernel(const uint8_t *p, struct vnet_hdr *h)
{
	h->flags = p[0];
	h->gso_type = p[1];
	memcpy(&h->hdr_len, p + 2, 2);
	memcpy(&h->gso_size, p + 4, 2);
	memcpy(&h->csum_start, p + 6, 2);
	memcpy(&h->csum_offset, p + 8, 2);
}

void vnet_hdr_to_kernel(const struct vnet_hdr *h, uint8_t *p)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	memcpy(p + 2, &h->hdr_len, 2);
	memcpy(p + 4, &h->gso_size, 2);
	memcpy(p + 6, &h->csum_start, 2);
	memcpy(p + 8, &h->csum_offset, 2);
}

void vnet_hdr_from_wire(const uint8_t *p, struct vnet_hdr *h)
{
	h->flags = p[0];
	h->gso_type = p[1];
	h->hdr_len = proto_get16(p + 2);
	h->gso_size = proto_get16(p + 4);
	h->csum_start = proto_get16(p + 6);
	h->csum_offset = proto_get16(p + 8);
}

void vnet_hdr_to_wire(const struct vnet_hdr *h, uint8_t *p)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	proto_put16(p + 2, h->hdr_len);
	proto_put16(p + 4, h->gso_size);
	proto_put16(p + 6, h->csum_start);
	proto_put16(p + 8, h->csum_offset);
}

uint32_t vnet_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
	uint64_t s = sum;
	size_t i = 0;

	/* 32 bits at a time into a 64-bit accumulator; no carries are lost */
	for (; i + 4 <= len; i += 4)
		s += (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 |
		     (uint32_t)data[i + 2] << 8 | data[i + 3];
	for (; i + 2 <= len; i += 2)
		s += (uint32_t)data[i] << 8 | data[i + 1];
	if (i < len)
		s += (uint32_t)data[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t vnet_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int vnet_finish_csum(uint8_t *frame, size_t len, const struct vnet_hdr *h)
{
	size_t start = h->csum_start, field = start + h->csum_offset;
	uint16_t c;

	if (!(h->flags & VNET_F_NEEDS_CSUM))
		return 0;
	if (start >= len || field + 2 > len)
		return -EINVAL;
	/* the field holds the pseudo-header sum: summing over it finishes the job */
	c = vnet_csum_fold(vnet_csum_add(0, frame + start, len - start));
	/* a UDP checksum of 0 means "none": send 0xffff instead (RFC 768) */
	if (c == 0 && h->csum_offset == 6)
		c = 0xffff;
	proto_put16(frame + field, c);
	return 0;
}

/* Where the layers of a TCP frame start. */
struct layers {
	size_t l3, l4, payload;
	bool v6;
};

static int find_layers(const uint8_t *f, size_t len, struct layers *ly)
{
	size_t l3 = 14;
	uint16_t type;

	if (len < 14)
		return -EINVAL;
	type = proto_get16(f + 12);
	if (type == 0x8100) { /* one VLAN tag */
		if (len < 18)
			return -EINVAL;
		type = proto_get16(f + 16);
		l3 = 18;
	}
	if (type == 0x0800) {
		size_t ihl;

		if (len < l3 + 20 || (f[l3] >> 4) != 4 || f[l3 + 9] != 6)
			return -EINVAL;
		ihl = (size_t)(f[l3] & 0x0f) * 4;
		if (ihl < 20)
			return -EINVAL;
		ly->l4 = l3 + ihl;
		ly->v6 = false;
	} else if (type == 0x86dd) {
		/* no extension headers: the kernel's TSO frames from a TAP have none */
		if (len < l3 + 40 || (f[l3] >> 4) != 6 || f[l3 + 6] != 6)
			return -EINVAL;
		ly->l4 = l3 + 40;
		ly->v6 = true;
	} else {
		return -EINVAL;
	}
	if (len < ly->l4 + 20)
		return -EINVAL;
	ly->payload = ly->l4 + (size_t)(f[ly->l4 + 12] >> 4) * 4;
	if (ly->payload < ly->l4 + 20 || ly->payload > len)
		return -EINVAL;
	ly->l3 = l3;
	return 0;
}

/* Finish the IP and TCP headers of one segment in place. */
static void fix_segment(uint8_t *s, size_t len, const struct layers *ly, uint16_t ip_id)
{
	size_t tcp_len = len - ly->l4;
	uint32_t sum;

	if (ly->v6) {
		proto_put16(s + ly->l3 + 4, (uint16_t)(len - ly->l3 - 40));
		sum = vnet_csum_add(0, s + ly->l3 + 8, 32); /* source and destination */
	} else {
		proto_put16(s + ly->l3 + 2, (uint16_t)(len - ly->l3));
		proto_put16(s + ly->l3 + 4, ip_id);
		proto_put16(s + ly->l3 + 10, 0);
		proto_put16(s + ly->l3 + 10,
			    vnet_csum_fold(vnet_csum_add(0, s + ly->l3, ly->l4 - ly->l3)));
		sum = vnet_csum_add(0, s + ly->l3 + 12, 8);
	}
	sum += 6 + (uint32_t)tcp_len; /* the rest of the pseudo-header */
	proto_put16(s + ly->l4 + 16, 0);
	proto_put16(s + ly->l4 + 16, vnet_csum_fold(vnet_csum_add(sum, s + ly->l4, tcp_len)));
}

int vnet_check(const uint8_t *frame, size_t len, const struct vnet_hdr *h)
{
	uint8_t gso = h->gso_type & (uint8_t)~VNET_GSO_ECN;
	struct layers ly;

	if (h->flags & ~(VNET_F_NEEDS_CSUM | 2 /* DATA_VALID */))
		return -EINVAL;
	if ((h->flags & VNET_F_NEEDS_CSUM) &&
	    ((size_t)h->csum_start + h->csum_offset + 2 > len || h->csum_start < 14))
		return -EINVAL;
	if (gso == VNET_GSO_NONE)
		return h->gso_type == VNET_GSO_NONE ? 0 : -EINVAL;
	if ((gso != VNET_GSO_TCPV4 && gso != VNET_GSO_TCPV6) || h->gso_size < VNET_MIN_GSO_SIZE ||
	    find_layers(frame, len, &ly) < 0 || ly.v6 != (gso == VNET_GSO_TCPV6) ||
	    !(h->flags & VNET_F_NEEDS_CSUM))
		return -EINVAL;
	return 0;
}

int vnet_segment(const uint8_t *frame, size_t len, const struct vnet_hdr *h, uint8_t *out,
		 size_t out_cap, vnet_emit_fn *emit, void *arg)
{
	uint8_t gso = h->gso_type & (uint8_t)~VNET_GSO_ECN;
	struct layers ly;
	size_t mss = h->gso_size, payload, hdrs, off;
	uint32_t seq0;
	uint16_t id0 = 0;
	uint8_t flags0;

	if (gso == VNET_GSO_NONE) {
		if (len > out_cap)
			return -EINVAL;
		memcpy(out, frame, len);
		if (vnet_finish_csum(out, len, h) < 0)
			return -EINVAL;
		emit(out, len, arg);
		return 0;
	}
	if ((gso != VNET_GSO_TCPV4 && gso != VNET_GSO_TCPV6) || mss == 0 ||
	    find_layers(frame, len, &ly) < 0 || ly.v6 != (gso == VNET_GSO_TCPV6))
		return -EINVAL;
	hdrs = ly.payload;
	payload = len - hdrs;
	if (hdrs + mss > out_cap)
		return -EINVAL;
	seq0 = (uint32_t)proto_get16(frame + ly.l4 + 4) << 16 | proto_get16(frame + ly.l4 + 6);
	flags0 = frame[ly.l4 + 13];
	if (!ly.v6)
		id0 = proto_get16(frame + ly.l3 + 4);
	off = 0;
	do {
		size_t n = payload - off < mss ? payload - off : mss;
		bool last = off + n >= payload;
		uint32_t seq = seq0 + (uint32_t)off;
		uint8_t flags = flags0;

		memcpy(out, frame, hdrs);
		memcpy(out + hdrs, frame + hdrs + off, n);
		proto_put16(out + ly.l4 + 4, (uint16_t)(seq >> 16));
		proto_put16(out + ly.l4 + 6, (uint16_t)seq);
		if (!last)
			flags &= (uint8_t)~0x09; /* FIN and PSH only on the last */
		if (off)
			flags &= (uint8_t)~0x80; /* CWR only on the first */
		out[ly.l4 + 13] = flags;
		fix_segment(out, hdrs + n, &ly, (uint16_t)(id0 + off / mss));
		emit(out, hdrs + n, arg);
		off += n;
	} while (off < payload);
	return 0;
}
