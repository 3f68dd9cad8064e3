/*
 * Writes the proto seed corpus (tests/fuzz/corpus/proto) from the encoders:
 *   gen_proto_corpus DIR
 * Each file is a byte stream as it arrives on a link: one or more wire frames.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const uint8_t MAC_A[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t MAC_B[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t MAC_C[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};
static const uint8_t BCAST[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static const char *dir;

static int put(const char *name, const uint8_t *data, int size)
{
	char path[4096];
	FILE *f;

	if (size < 0) {
		fprintf(stderr, "%s: encoder failed: %s\n", name, strerror(-size));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, (size_t)size, f) != (size_t)size || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* An Ethernet frame: dst, src, ethertype, n bytes of payload */
static size_t eth(uint8_t *out, const uint8_t *dst, const uint8_t *src, uint16_t type, size_t n)
{
	memcpy(out, dst, MAC_LEN);
	memcpy(out + MAC_LEN, src, MAC_LEN);
	proto_put16(out + 2 * MAC_LEN, type);
	for (size_t i = 0; i < n; i++)
		out[14 + i] = (uint8_t)(i * 13 + 1);
	return 14 + n;
}

int main(int argc, char **argv)
{
	static uint8_t buf[PROTO_MAX_FRAME], stream[8192], frame[2048];
	const int64_t id = 1700000000000LL;
	uint8_t macs[12 * MAC_LEN];
	size_t n = 0, len;
	int r = 0, size;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	for (size_t i = 0; i < sizeof(macs); i++)
		macs[i] = i % MAC_LEN == 0 ? 0x02 : (uint8_t)(i * 7);

	{
		struct proto_announce a = {.id = id, .port = 41744};

		memcpy(a.mac, MAC_A, MAC_LEN);
		r |= put("announce", buf, proto_encode_announce(buf, sizeof(buf), &a));
	}
	{
		struct proto_info in = {.id = id + 1, .port = 41744, .iptype = PROTO_IP_NONE};

		memcpy(in.mac, MAC_B, MAC_LEN);
		r |= put("info-none", buf, proto_encode_info(buf, sizeof(buf), &in));
		in.iptype = PROTO_IP_V4;
		memcpy(in.ip, (uint8_t[]){198, 18, 0, 2}, 4);
		r |= put("info-v4", buf, proto_encode_info(buf, sizeof(buf), &in));
		in.iptype = PROTO_IP_V6;
		memcpy(in.ip,
		       (uint8_t[]){0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 16);
		r |= put("info-v6", buf, proto_encode_info(buf, sizeof(buf), &in));
	}
	{
		struct proto_health_req q = {.id = id + 2, .trace = macs, .ntrace = 0};

		memcpy(q.origin, MAC_A, MAC_LEN);
		r |= put("health-req", buf, proto_encode_health_req(buf, sizeof(buf), &q));
		q.ntrace = 3;
		r |= put("health-req-trace", buf, proto_encode_health_req(buf, sizeof(buf), &q));
	}
	{
		struct proto_health_resp s = {
			.id = id + 2,
			.conn = macs,
			.nconn = 2,
			.routes = macs,
			.nroutes = 3,
			.trace = macs + 6 * MAC_LEN,
			.ntrace = 2,
			.rtrace = macs + 8 * MAC_LEN,
			.nrtrace = 2,
		};

		memcpy(s.dst, MAC_A, MAC_LEN);
		memcpy(s.src, MAC_C, MAC_LEN);
		r |= put("health-resp", buf, proto_encode_health_resp(buf, sizeof(buf), &s));
		s.nconn = s.nroutes = s.ntrace = s.nrtrace = 0;
		r |= put("health-resp-empty", buf, proto_encode_health_resp(buf, sizeof(buf), &s));
	}
	len = eth(frame, MAC_B, MAC_A, 0x0800, 46);
	r |= put("unicast", buf, proto_encode_unicast(buf, sizeof(buf), frame, len));
	len = eth(frame, BCAST, MAC_A, 0x0806, 28);
	r |= put("broadcast-arp", buf,
		 proto_encode_broadcast(buf, sizeof(buf), id + 3, frame, len));
	len = eth(frame, (uint8_t[]){0x33, 0x33, 0, 0, 0, 1}, MAC_A, 0x86dd, 72);
	r |= put("broadcast-ipv6", buf,
		 proto_encode_broadcast(buf, sizeof(buf), id + 4, frame, len));

#ifdef PROTO_CAPS_BODY
	r |= put("caps", buf, proto_encode_caps(buf, sizeof(buf), PROTO_CAPS_GSO));
	r |= put("drain", buf, proto_encode_drain(buf, sizeof(buf), true));
#endif
#ifdef PROTO_GSO_HDR
	/* as switch.c builds it: header, virtio_net_hdr (big-endian), the frame */
	len = eth(frame, MAC_B, MAC_A, 0x0800, 1400);
	proto_put_header(buf, PROTO_UNICAST_GSO, PROTO_GSO_HDR + len);
	memset(buf + PROTO_HDR_SIZE, 0, PROTO_GSO_HDR);
	buf[PROTO_HDR_SIZE] = 1;		     /* flags: needs checksum */
	buf[PROTO_HDR_SIZE + 1] = 1;		     /* gso type: TCPv4 */
	proto_put16(buf + PROTO_HDR_SIZE + 2, 54);   /* hdr_len */
	proto_put16(buf + PROTO_HDR_SIZE + 4, 1448); /* gso_size */
	proto_put16(buf + PROTO_HDR_SIZE + 6, 34);   /* csum_start */
	proto_put16(buf + PROTO_HDR_SIZE + 8, 16);   /* csum_offset */
	memcpy(buf + PROTO_HDR_SIZE + PROTO_GSO_HDR, frame, len);
	r |= put("unicast-gso", buf, (int)(PROTO_HDR_SIZE + PROTO_GSO_HDR + len));
#endif
	/* a link's worth: several frames back to back, and an unknown type skipped by len */
	{
		struct proto_announce a = {.id = id, .port = 41744};
		struct proto_info in = {.id = id,
					.port = 41744,
					.iptype = PROTO_IP_V4,
					.ip = {10, 0, 0, 1}};

		memcpy(a.mac, MAC_A, MAC_LEN);
		memcpy(in.mac, MAC_C, MAC_LEN);
		n += (size_t)proto_encode_announce(stream + n, sizeof(stream) - n, &a);
		n += (size_t)proto_encode_info(stream + n, sizeof(stream) - n, &in);
		stream[n++] = 0x00;
		stream[n++] = 0x05;
		stream[n++] = 0x42;
		memcpy(stream + n, "\x01\x02\x03\x04", 4);
		n += 4;
		len = eth(frame, MAC_C, MAC_A, 0x0800, 100);
		n += (size_t)proto_encode_unicast(stream + n, sizeof(stream) - n, frame, len);
		len = eth(frame, BCAST, MAC_A, 0x0806, 28);
		size = proto_encode_broadcast(stream + n, sizeof(stream) - n, id + 5, frame, len);
		n += (size_t)size;
		/* and the start of a frame still on its way */
		memcpy(stream + n, stream, 7);
		n += 7;
		r |= put("stream", stream, (int)n);
	}
	return r ? 1 : 0;
}
