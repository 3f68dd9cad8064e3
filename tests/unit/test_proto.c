/* proto: encode/decode round trips, limits, and truncation / bit-flip sweeps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_check.h"

static const uint8_t MAC_A[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t MAC_B[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t MAC_C[MAC_LEN] = {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

/* n MACs with distinct, recognisable contents */
static uint8_t *make_macs(size_t n, uint8_t tag)
{
	uint8_t *m = malloc(n * MAC_LEN + 1);

	assert_non_null(m);
	for (size_t i = 0; i < n; i++) {
		m[i * MAC_LEN + 0] = 0x02;
		m[i * MAC_LEN + 1] = tag;
		m[i * MAC_LEN + 2] = (uint8_t)(i >> 24);
		m[i * MAC_LEN + 3] = (uint8_t)(i >> 16);
		m[i * MAC_LEN + 4] = (uint8_t)(i >> 8);
		m[i * MAC_LEN + 5] = (uint8_t)i;
	}
	return m;
}

/* An Ethernet frame of n bytes: dst, src, ethertype, payload pattern. */
static uint8_t *make_eth(size_t n, const uint8_t dst[MAC_LEN], const uint8_t src[MAC_LEN])
{
	uint8_t *e = malloc(n ? n : 1);

	assert_non_null(e);
	for (size_t i = 0; i < n; i++)
		e[i] = (uint8_t)(i * 7 + 3);
	if (n >= MAC_LEN)
		memcpy(e, dst, MAC_LEN);
	if (n >= 2 * MAC_LEN)
		memcpy(e + MAC_LEN, src, MAC_LEN);
	return e;
}

/* The frame's header is right and its body passes the round-trip property. */
static void assert_frame(const uint8_t *f, int size, uint8_t type)
{
	assert_true(size >= PROTO_HDR_SIZE);
	assert_int_equal(proto_get16(f), size - PROTO_LEN_SIZE);
	assert_int_equal(f[2], type);
	assert_int_equal(proto_check_body(type, f + PROTO_HDR_SIZE, (size_t)size - PROTO_HDR_SIZE,
					  NULL),
			 PROTO_CHECK_OK);
}

/* ---- 0x00 ANNOUNCE ---- */

static void test_announce(void **state)
{
	static const uint8_t expect[] = {0x00, 0x12, 0x00, 0x01, 0x01, 0x02, 0x03,
					 0x04, 0x05, 0x06, 0x07, 0x08, 0x0a, 0xbb,
					 0xcc, 0xdd, 0xee, 0xff, 0xa3, 0x10};
	const int64_t ids[] = {0x0102030405060708LL, 0, 1, -1, INT64_MIN, INT64_MAX};
	struct proto_announce a = {.id = 0x0102030405060708LL, .port = 41744}, d;
	uint8_t buf[64];

	memcpy(a.mac, MAC_C, MAC_LEN);
	assert_int_equal(proto_encode_announce(buf, sizeof(buf), &a), sizeof(expect));
	assert_memory_equal(buf, expect, sizeof(expect));
	assert_int_equal(proto_decode_announce(buf + 3, PROTO_ANNOUNCE_BODY, &d), 0);
	assert_true(d.id == a.id);
	assert_memory_equal(d.mac, MAC_C, MAC_LEN);
	assert_int_equal(d.port, 41744);

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		a.id = ids[i];
		a.port = (uint16_t)(i * 9000);
		assert_int_equal(proto_encode_announce(buf, sizeof(buf), &a), 20);
		assert_frame(buf, 20, PROTO_ANNOUNCE);
		assert_int_equal(proto_decode_announce(buf + 3, 17, &d), 0);
		assert_true(d.id == ids[i]);
		assert_int_equal(d.port, a.port);
	}
	/* the body has exactly one size */
	assert_int_equal(proto_decode_announce(buf + 3, 16, &d), -EBADMSG);
	memset(buf + 20, 0, 1);
	assert_int_equal(proto_decode_announce(buf + 3, 18, &d), -EBADMSG);
	/* cap */
	assert_int_equal(proto_encode_announce(buf, 19, &a), -ENOSPC);
	assert_int_equal(proto_encode_announce(buf, 20, &a), 20);
}

/* ---- 0x01 INFO ---- */

static void test_info(void **state)
{
	static const uint8_t v4[4] = {192, 0, 2, 7};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				       0,    0,	   0,	 0,    0, 0, 0, 0x42};
	const struct {
		uint8_t iptype;
		const uint8_t *ip;
		int size;
	} cases[] = {{PROTO_IP_NONE, NULL, 21}, {PROTO_IP_V4, v4, 25}, {PROTO_IP_V6, v6, 37}};
	uint8_t buf[PROTO_INFO_MAX], body[64];

	for (size_t i = 0; i < 3; i++) {
		struct proto_info in = {.id = 1700000000000LL + (int64_t)i,
					.port = 65535,
					.iptype = cases[i].iptype};
		struct proto_info d;
		int iplen = proto_iptype_len(cases[i].iptype);

		memcpy(in.mac, MAC_A, MAC_LEN);
		if (cases[i].ip)
			memcpy(in.ip, cases[i].ip, (size_t)iplen);
		assert_int_equal(proto_encode_info(buf, sizeof(buf), &in), cases[i].size);
		assert_true(cases[i].size <= PROTO_INFO_MAX);
		assert_frame(buf, cases[i].size, PROTO_INFO);
		assert_int_equal(buf[3], PROTO_VERSION);
		assert_int_equal(buf[3 + 17], cases[i].iptype);
		memset(&d, 0xa5, sizeof(d));
		assert_int_equal(proto_decode_info(buf + 3, (size_t)cases[i].size - 3, &d), 0);
		assert_true(d.id == in.id);
		assert_memory_equal(d.mac, MAC_A, MAC_LEN);
		assert_int_equal(d.port, 65535);
		assert_int_equal(d.iptype, cases[i].iptype);
		/* the unused part of ip is cleared */
		assert_memory_equal(d.ip, in.ip, sizeof(d.ip));

		/* the size must match the iptype */
		memcpy(body, buf + 3, (size_t)cases[i].size - 3);
		memset(body + cases[i].size - 3, 0, 4);
		assert_int_equal(proto_decode_info(body, (size_t)cases[i].size - 3 + 4, &d),
				 -EBADMSG);
		assert_int_equal(proto_decode_info(body, (size_t)cases[i].size - 4, &d), -EBADMSG);
		assert_int_equal(proto_encode_info(buf, (size_t)cases[i].size - 1, &in), -ENOSPC);
	}
	/* unknown iptype: the encoder refuses it, the decoder too */
	{
		struct proto_info in = {.iptype = 3};
		struct proto_info d;

		assert_int_equal(proto_encode_info(buf, sizeof(buf), &in), -EINVAL);
		memset(body, 0, sizeof(body));
		body[0] = PROTO_VERSION;
		for (int t = 3; t < 256; t++) {
			body[17] = (uint8_t)t;
			for (size_t len = 18; len <= 18 + 16; len++)
				assert_int_equal(proto_decode_info(body, len, &d), -EBADMSG);
		}
	}
	assert_int_equal(proto_iptype_len(0), 0);
	assert_int_equal(proto_iptype_len(1), 4);
	assert_int_equal(proto_iptype_len(2), 16);
	assert_int_equal(proto_iptype_len(3), -1);
	assert_int_equal(proto_iptype_len(255), -1);
}

/* ---- 0x02 HEALTH REQUEST ---- */

static void test_health_req(void **state)
{
	/* the most trace MACs that fit under the len ceiling */
	const size_t max_trace = (PROTO_MAX_LEN - 1 - PROTO_HREQ_FIXED) / MAC_LEN;
	uint8_t *trace = make_macs(max_trace + 1, 0x11);
	uint8_t *buf = malloc(PROTO_MAX_FRAME);
	const size_t counts[] = {0, 1, 2, 3, 10, 255, 256, 1000, max_trace};

	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct proto_health_req r = {.id = -5 + (int64_t)i,
					     .trace = trace,
					     .ntrace = counts[i]};
		struct proto_health_req d;
		size_t body = PROTO_HREQ_FIXED + counts[i] * MAC_LEN;
		int size;

		memcpy(r.origin, MAC_B, MAC_LEN);
		size = proto_encode_health_req(buf, PROTO_MAX_FRAME, &r);
		assert_int_equal(size, body + PROTO_HDR_SIZE);
		assert_frame(buf, size, PROTO_HEALTH_REQ);
		assert_int_equal(proto_decode_health_req(buf + 3, body, &d), 0);
		assert_true(d.id == r.id);
		assert_memory_equal(d.origin, MAC_B, MAC_LEN);
		assert_int_equal(d.ntrace, counts[i]);
		/* a view into the buffer */
		assert_ptr_equal(d.trace, buf + 3 + PROTO_HREQ_FIXED);
		if (counts[i])
			assert_memory_equal(d.trace, trace, counts[i] * MAC_LEN);
		assert_int_equal(proto_encode_health_req(buf, (size_t)size - 1, &r), -ENOSPC);
	}
	/* the largest possible request is 5 bytes short of the ceiling; one more MAC is too many */
	assert_int_equal(PROTO_HDR_SIZE + PROTO_HREQ_FIXED + max_trace * MAC_LEN,
			 PROTO_MAX_FRAME - 5);
	{
		struct proto_health_req r = {.trace = trace, .ntrace = max_trace + 1};

		assert_int_equal(proto_encode_health_req(buf, PROTO_MAX_FRAME, &r), -ENOSPC);
		assert_int_equal(proto_encode_health_req(buf, SIZE_MAX, &r), -ENOSPC);
	}
	/* a trace that is not whole MACs */
	{
		struct proto_health_req d;

		memset(buf, 0, 64);
		buf[0] = PROTO_VERSION;
		for (size_t extra = 1; extra < MAC_LEN; extra++) {
			assert_int_equal(proto_decode_health_req(buf, PROTO_HREQ_FIXED + extra, &d),
					 -EBADMSG);
			assert_int_equal(proto_decode_health_req(buf,
								 PROTO_HREQ_FIXED + MAC_LEN + extra,
								 &d),
					 -EBADMSG);
		}
	}
	free(trace);
	free(buf);
}

/* ---- 0x03 HEALTH RESPONSE ---- */

static int encode_resp(uint8_t *buf, size_t cap, size_t nconn, size_t nroutes, size_t ntrace,
		       size_t nrtrace, const uint8_t *macs)
{
	struct proto_health_resp r = {
		.id = 0x7fffffff00000001LL,
		.conn = macs,
		.nconn = nconn,
		.routes = macs,
		.nroutes = nroutes,
		.trace = macs,
		.ntrace = ntrace,
		.rtrace = macs,
		.nrtrace = nrtrace,
	};

	memcpy(r.dst, MAC_A, MAC_LEN);
	memcpy(r.src, MAC_B, MAC_LEN);
	return proto_encode_health_resp(buf, cap, &r);
}

static size_t resp_body(size_t nconn, size_t nroutes, size_t ntrace, size_t nrtrace)
{
	return PROTO_HRESP_FIXED + 6 + (nconn + 2 * nroutes + ntrace + nrtrace) * MAC_LEN;
}

static void test_health_resp(void **state)
{
	/* MACs that fit in one response: 65534 - 27 bytes of body */
	const size_t max_macs = (PROTO_MAX_LEN - 1 - PROTO_HRESP_FIXED - 6) / MAC_LEN;
	uint8_t *macs = make_macs(70000, 0x22);
	uint8_t *buf = malloc(PROTO_MAX_FRAME);
	const size_t cases[][4] = {
		{0, 0, 0, 0},
		{1, 0, 0, 0},
		{0, 1, 0, 0},
		{0, 0, 1, 0},
		{0, 0, 0, 1},
		{3, 5, 2, 1},
		{16, 200, 7, PROTO_RTRACE_RESERVE},
		{0, 5000, 0, 0},	       /* many routes */
		{0, 0, 5000, 1},	       /* a long trace */
		{1, 1, 1, 5000},	       /* a long return path */
		{0, 0, 0, max_macs},	       /* at the ceiling: rtrace only */
		{1, (max_macs - 3) / 2, 1, 1}, /* at the ceiling, every list */
	};

	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const size_t *c = cases[i];
		size_t body = resp_body(c[0], c[1], c[2], c[3]);
		struct proto_health_resp d;
		int size;

		assert_true(body + 1 <= PROTO_MAX_LEN);
		size = encode_resp(buf, PROTO_MAX_FRAME, c[0], c[1], c[2], c[3], macs);
		assert_int_equal(size, body + PROTO_HDR_SIZE);
		assert_frame(buf, size, PROTO_HEALTH_RESP);
		assert_int_equal(proto_decode_health_resp(buf + 3, body, &d), 0);
		assert_memory_equal(d.dst, MAC_A, MAC_LEN);
		assert_memory_equal(d.src, MAC_B, MAC_LEN);
		assert_true(d.id == 0x7fffffff00000001LL);
		assert_int_equal(d.nconn, c[0]);
		assert_int_equal(d.nroutes, c[1]);
		assert_int_equal(d.ntrace, c[2]);
		assert_int_equal(d.nrtrace, c[3]);
		assert_ptr_equal(d.conn, buf + 3 + PROTO_HRESP_FIXED + 2);
		assert_ptr_equal(d.routes, d.conn + c[0] * MAC_LEN + 2);
		assert_ptr_equal(d.trace, d.routes + c[1] * 2 * MAC_LEN + 2);
		assert_ptr_equal(d.rtrace, d.trace + c[2] * MAC_LEN);
		if (c[1])
			assert_memory_equal(d.routes, macs, c[1] * 2 * MAC_LEN);
		if (c[3])
			assert_memory_equal(d.rtrace, macs, c[3] * MAC_LEN);
		assert_int_equal(encode_resp(buf, (size_t)size - 1, c[0], c[1], c[2], c[3], macs),
				 -ENOSPC);
	}
	/* 27 + 6 * max_macs is 65529 bytes of body (len 65530): one MAC more passes 65535 */
	assert_int_equal(encode_resp(buf, PROTO_MAX_FRAME, 0, 0, 0, max_macs + 1, macs), -ENOSPC);
	assert_int_equal(encode_resp(buf, PROTO_MAX_FRAME, 0, 0, max_macs + 1, 0, macs), -ENOSPC);
	assert_int_equal(encode_resp(buf, PROTO_MAX_FRAME, max_macs + 1, 0, 0, 0, macs), -ENOSPC);
	assert_int_equal(encode_resp(buf, PROTO_MAX_FRAME, 0, max_macs / 2 + 1, 0, 0, macs),
			 -ENOSPC);
	/* counts that do not fit a u16, whatever the room */
	assert_int_equal(encode_resp(buf, SIZE_MAX, 65536, 0, 0, 0, macs), -ENOSPC);
	assert_int_equal(encode_resp(buf, SIZE_MAX, 0, 65536, 0, 0, macs), -ENOSPC);
	assert_int_equal(encode_resp(buf, SIZE_MAX, 0, 0, 65536, 0, macs), -ENOSPC);
	free(macs);
	free(buf);
}

/* Declared counts that run past the end of the body. */
static void test_health_resp_counts(void **state)
{
	uint8_t body[256];
	struct proto_health_resp d;
	size_t len;

	memset(body, 0, sizeof(body));
	body[0] = PROTO_VERSION;
	/* all three counts zero: 27 bytes, valid */
	assert_int_equal(proto_decode_health_resp(body, 27, &d), 0);
	assert_int_equal(d.nconn + d.nroutes + d.ntrace + d.nrtrace, 0);
	/* a count field cut in half, or missing */
	for (len = 21; len < 27; len++)
		assert_int_equal(proto_decode_health_resp(body, len, &d), -EBADMSG);

	/* nconn = 2 with one MAC present */
	proto_put16(body + 21, 2);
	assert_int_equal(proto_decode_health_resp(body, 21 + 2 + 6, &d), -EBADMSG);
	/* ... and with two MACs but no room for nroutes */
	assert_int_equal(proto_decode_health_resp(body, 21 + 2 + 12, &d), -EBADMSG);
	assert_int_equal(proto_decode_health_resp(body, 21 + 2 + 12 + 2 + 2, &d), 0);
	assert_int_equal(d.nconn, 2);

	/* nroutes = 1 (12 bytes) with 11 present */
	memset(body, 0, sizeof(body));
	body[0] = PROTO_VERSION;
	proto_put16(body + 23, 1);
	assert_int_equal(proto_decode_health_resp(body, 25 + 11, &d), -EBADMSG);
	assert_int_equal(proto_decode_health_resp(body, 25 + 12, &d), -EBADMSG); /* no ntrace */
	assert_int_equal(proto_decode_health_resp(body, 25 + 12 + 2, &d), 0);
	assert_int_equal(d.nroutes, 1);

	/* ntrace = 0xffff */
	memset(body, 0, sizeof(body));
	body[0] = PROTO_VERSION;
	proto_put16(body + 25, 0xffff);
	for (len = 27; len < sizeof(body); len++)
		assert_int_equal(proto_decode_health_resp(body, len, &d), -EBADMSG);
	/* every count at its maximum */
	proto_put16(body + 21, 0xffff);
	assert_int_equal(proto_decode_health_resp(body, sizeof(body), &d), -EBADMSG);

	/* a return path that is not whole MACs */
	memset(body, 0, sizeof(body));
	body[0] = PROTO_VERSION;
	for (size_t extra = 1; extra < MAC_LEN; extra++) {
		assert_int_equal(proto_decode_health_resp(body, 27 + extra, &d), -EBADMSG);
		assert_int_equal(proto_decode_health_resp(body, 27 + 6 + extra, &d), -EBADMSG);
	}
	assert_int_equal(proto_decode_health_resp(body, 27 + 12, &d), 0);
	assert_int_equal(d.nrtrace, 2);
}

/* ---- 0x80 UNICAST ---- */

static void test_unicast(void **state)
{
	const size_t sizes[] = {12, 13, 14, 60, 1514, 9000, PROTO_MAX_LEN - 1};
	uint8_t *buf = malloc(PROTO_MAX_FRAME + 16);

	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *eth = make_eth(sizes[i], MAC_A, MAC_B);
		struct proto_unicast d;
		int size = proto_encode_unicast(buf, PROTO_MAX_FRAME, eth, sizes[i]);

		assert_int_equal(size, sizes[i] + 3);
		assert_frame(buf, size, PROTO_UNICAST);
		assert_memory_equal(buf + 3, eth, sizes[i]);
		assert_int_equal(proto_decode_unicast(buf + 3, sizes[i], &d), 0);
		assert_ptr_equal(d.dst, buf + 3);
		assert_ptr_equal(d.src, buf + 3 + MAC_LEN);
		assert_ptr_equal(d.eth, buf + 3);
		assert_int_equal(d.eth_len, sizes[i]);
		assert_int_equal(proto_encode_unicast(buf, (size_t)size - 1, eth, sizes[i]),
				 -ENOSPC);
		free(eth);
	}
	/* exactly at the len ceiling (65535), and one byte over */
	{
		uint8_t *eth = make_eth(PROTO_MAX_LEN, MAC_A, MAC_B);

		assert_int_equal(proto_encode_unicast(buf, PROTO_MAX_FRAME, eth, PROTO_MAX_LEN - 1),
				 PROTO_MAX_FRAME);
		assert_int_equal(proto_get16(buf), 65535);
		assert_int_equal(proto_encode_unicast(buf, PROTO_MAX_FRAME + 16, eth,
						      PROTO_MAX_LEN),
				 -ENOSPC);
		assert_int_equal(proto_encode_unicast(buf, SIZE_MAX, eth, PROTO_MAX_LEN), -ENOSPC);
		free(eth);
	}
	/* shorter than two MACs */
	{
		uint8_t eth[12] = {0};
		struct proto_unicast d;

		assert_int_equal(proto_encode_unicast(buf, 64, eth, 11), -EINVAL);
		assert_int_equal(proto_encode_unicast(buf, 64, eth, 0), -EINVAL);
		for (size_t len = 0; len < PROTO_UNICAST_FIXED; len++)
			assert_int_equal(proto_decode_unicast(eth, len, &d), -EBADMSG);
	}
	/* built in place: the Ethernet frame already sits after room for the header */
	{
		uint8_t *eth = make_eth(100, MAC_A, MAC_B);
		uint8_t expect[103];

		assert_int_equal(proto_encode_unicast(expect, sizeof(expect), eth, 100), 103);
		memcpy(buf + 3, eth, 100);
		assert_int_equal(proto_encode_unicast(buf, 103, buf + 3, 100), 103);
		assert_memory_equal(buf, expect, 103);
		free(eth);
	}
	free(buf);
}

/* ---- 0x81 BROADCAST ---- */

static void check_broadcast(const uint8_t *f, int size, int64_t id, const uint8_t *eth,
			    size_t eth_len)
{
	struct proto_broadcast d;
	size_t body = PROTO_BCAST_FIXED + eth_len - 2 * MAC_LEN;

	assert_int_equal(size, body + 3);
	assert_frame(f, size, PROTO_BROADCAST);
	assert_int_equal(proto_decode_broadcast(f + 3, body, &d), 0);
	assert_true(d.id == id);
	assert_ptr_equal(d.src, f + 3 + 8);
	assert_memory_equal(d.src, eth + MAC_LEN, MAC_LEN);
	assert_int_equal(d.rest_len, eth_len - 2 * MAC_LEN);
	assert_ptr_equal(d.rest, f + 3 + PROTO_BCAST_FIXED);
	if (d.rest_len)
		assert_memory_equal(d.rest, eth + 2 * MAC_LEN, d.rest_len);
}

static void test_broadcast(void **state)
{
	static const uint8_t bcast[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t mcast[MAC_LEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
	const size_t sizes[] = {12, 13, 14, 42, 1514, PROTO_MAX_LEN - 3};
	uint8_t *buf = malloc(PROTO_MAX_FRAME + 16);

	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *eth = make_eth(sizes[i], i % 2 ? mcast : bcast, MAC_C);
		int64_t id = (int64_t)i - 3;
		int size = proto_encode_broadcast(buf, PROTO_MAX_FRAME, id, eth, sizes[i]);

		check_broadcast(buf, size, id, eth, sizes[i]);
		assert_int_equal(proto_encode_broadcast(buf, (size_t)size - 1, id, eth, sizes[i]),
				 -ENOSPC);
		free(eth);
	}
	/* exactly at the len ceiling: 14 + 65532 - 12 = 65534 bytes of body; one over */
	{
		uint8_t *eth = make_eth(PROTO_MAX_LEN, bcast, MAC_C);
		int size = proto_encode_broadcast(buf, PROTO_MAX_FRAME, 42, eth, PROTO_MAX_LEN - 3);

		assert_int_equal(size, PROTO_MAX_FRAME);
		assert_int_equal(proto_get16(buf), 65535);
		check_broadcast(buf, size, 42, eth, PROTO_MAX_LEN - 3);
		assert_int_equal(proto_encode_broadcast(buf, PROTO_MAX_FRAME + 16, 42, eth,
							PROTO_MAX_LEN - 2),
				 -ENOSPC);
		assert_int_equal(proto_encode_broadcast(buf, SIZE_MAX, 42, eth, PROTO_MAX_LEN),
				 -ENOSPC);
		free(eth);
	}
	/* shorter than two MACs */
	{
		uint8_t eth[PROTO_BCAST_FIXED] = {0};
		struct proto_broadcast d;

		assert_int_equal(proto_encode_broadcast(buf, 64, 1, eth, 11), -EINVAL);
		for (size_t len = 0; len < PROTO_BCAST_FIXED; len++)
			assert_int_equal(proto_decode_broadcast(eth, len, &d), -EBADMSG);
		assert_int_equal(proto_decode_broadcast(eth, PROTO_BCAST_FIXED, &d), 0);
		assert_int_equal(d.rest_len, 0);
	}
	free(buf);
}

/*
 * Built in place as src/switch.c does: the TAP frame is read behind some
 * headroom, and the wire frame starts 5 bytes before it (3 header + 14 fixed
 * - 12 for the two MACs), so eth overlaps buf.
 */
static void test_broadcast_in_place(void **state)
{
	const size_t headroom = 64, shift = PROTO_HDR_SIZE + PROTO_BCAST_FIXED - 2 * MAC_LEN;
	const size_t sizes[] = {12, 14, 60, 1514, PROTO_MAX_LEN - PROTO_BCAST_FIXED};
	static const uint8_t mcast[MAC_LEN] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
	uint8_t *tap_buf = malloc(headroom + PROTO_MAX_LEN);
	uint8_t *expect = malloc(PROTO_MAX_FRAME);

	assert_non_null(tap_buf);
	assert_non_null(expect);
	assert_int_equal(shift, 5);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *src = make_eth(n, mcast, MAC_A);
		uint8_t *eth = tap_buf + headroom, *wire = eth - shift;
		int want, size;

		want = proto_encode_broadcast(expect, PROTO_MAX_FRAME, 1234567, src, n);
		assert_int_equal(want, n + shift);
		memcpy(eth, src, n);
		size = proto_encode_broadcast(wire, n + shift, 1234567, eth, n);
		assert_int_equal(size, want);
		assert_memory_equal(wire, expect, (size_t)size);
		check_broadcast(wire, size, 1234567, src, n);
		free(src);
	}
	free(tap_buf);
	free(expect);
}

/* ---- (ext) 0x04 CAPS and 0x82 UNICAST_GSO, where this tree has them ---- */

#ifdef PROTO_CAPS_BODY
static void test_caps(void **state)
{
	const uint32_t values[] = {0, PROTO_CAPS_GSO, 0x12345678u, 0xffffffffu};
	uint8_t buf[64], body[64];
	uint32_t caps;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int size = proto_encode_caps(buf, sizeof(buf), values[i]);

		assert_int_equal(size, PROTO_HDR_SIZE + PROTO_CAPS_BODY);
		assert_frame(buf, size, PROTO_CAPS);
		assert_int_equal(buf[3], PROTO_VERSION);
		caps = ~values[i];
		assert_int_equal(proto_decode_caps(buf + 3, PROTO_CAPS_BODY, &caps), 0);
		assert_true(caps == values[i]);
		assert_int_equal(proto_encode_caps(buf, (size_t)size - 1, values[i]), -ENOSPC);
	}
	/* a later version's longer body: what we know of it is read */
	assert_int_equal(proto_encode_caps(buf, sizeof(buf), 0x00010203u), 8);
	memcpy(body, buf + 3, 5);
	memset(body + 5, 0xee, 20);
	assert_int_equal(proto_decode_caps(body, 25, &caps), 0);
	assert_true(caps == 0x00010203u);
	assert_int_equal(proto_check_body(PROTO_CAPS, body, 25, NULL), PROTO_CHECK_OK);
	for (size_t len = 0; len < PROTO_CAPS_BODY; len++)
		assert_int_equal(proto_decode_caps(body, len, &caps), -EBADMSG);
	body[0] = 2;
	assert_int_equal(proto_decode_caps(body, PROTO_CAPS_BODY, &caps), -EPROTONOSUPPORT);
	assert_string_equal(proto_type_name(PROTO_CAPS), "CAPS");
}
#endif

#ifdef PROTO_GSO_HDR
static void test_unicast_gso(void **state)
{
	uint8_t body[PROTO_GSO_HDR + 200];
	const uint8_t *gso = NULL;
	struct proto_unicast u;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 5 + 1);
	assert_int_equal(proto_decode_unicast_gso(body, sizeof(body), &gso, &u), 0);
	assert_ptr_equal(gso, body);
	assert_ptr_equal(u.eth, body + PROTO_GSO_HDR);
	assert_ptr_equal(u.dst, body + PROTO_GSO_HDR);
	assert_ptr_equal(u.src, body + PROTO_GSO_HDR + MAC_LEN);
	assert_int_equal(u.eth_len, sizeof(body) - PROTO_GSO_HDR);
	assert_int_equal(proto_check_body(PROTO_UNICAST_GSO, body, sizeof(body), NULL),
			 PROTO_CHECK_OK);
	/* the virtio header and two MACs at least */
	for (size_t len = 0; len < PROTO_GSO_HDR + PROTO_UNICAST_FIXED; len++)
		assert_int_equal(proto_decode_unicast_gso(body, len, &gso, &u), -EBADMSG);
	assert_int_equal(proto_decode_unicast_gso(body, PROTO_GSO_HDR + PROTO_UNICAST_FIXED, &gso,
						  &u),
			 0);
	assert_string_equal(proto_type_name(PROTO_UNICAST_GSO), "UNICAST GSO");
}
#endif

/* ---- versions, short bodies ---- */

#ifdef PROTO_WITHDRAW_MAX
static void test_withdraw(void **state)
{
	struct proto_withdraw_entry e[PROTO_WITHDRAW_MAX + 1], got;
	static uint8_t buf[PROTO_WITHDRAW_FRAME + 64];
	const size_t two = PROTO_WITHDRAW_FIXED + 2 * PROTO_WITHDRAW_ENTRY;
	struct proto_withdraw w;
	uint8_t *body = buf + PROTO_HDR_SIZE;
	int size;

	for (size_t i = 0; i <= PROTO_WITHDRAW_MAX; i++) {
		memset(e[i].mac, (int)i, MAC_LEN);
		e[i].mac[0] = 0x02;
		e[i].last_id = 1700000000000LL + (int64_t)i;
	}
	e[1].last_id = -1; /* any i64 goes through as it is */
	size = proto_encode_withdraw(buf, sizeof(buf), e, 3);
	assert_int_equal(size, PROTO_HDR_SIZE + PROTO_WITHDRAW_FIXED + 3 * PROTO_WITHDRAW_ENTRY);
	assert_frame(buf, size, PROTO_WITHDRAW);
	assert_int_equal(body[0], PROTO_VERSION);
	assert_int_equal(proto_get16(body + 1), 3);
	assert_int_equal(proto_decode_withdraw(body, (size_t)size - PROTO_HDR_SIZE, &w), 0);
	assert_int_equal(w.n, 3);
	for (size_t i = 0; i < 3; i++) {
		proto_withdraw_get(&w, i, &got);
		assert_memory_equal(got.mac, e[i].mac, MAC_LEN);
		assert_true(got.last_id == e[i].last_id);
	}
	/* too small a buffer; no entries; more than a frame may hold */
	assert_int_equal(proto_encode_withdraw(buf, (size_t)size - 1, e, 3), -ENOSPC);
	assert_int_equal(proto_encode_withdraw(buf, sizeof(buf), e, 0), -EINVAL);
	assert_int_equal(proto_encode_withdraw(buf, sizeof(buf), e, PROTO_WITHDRAW_MAX + 1),
			 -EINVAL);
	size = proto_encode_withdraw(buf, sizeof(buf), e, PROTO_WITHDRAW_MAX);
	assert_int_equal(size, PROTO_WITHDRAW_FRAME);
	assert_int_equal(proto_decode_withdraw(body, (size_t)size - PROTO_HDR_SIZE, &w), 0);
	assert_int_equal(w.n, PROTO_WITHDRAW_MAX);
	/* a count the body does not hold, a zero count, one past the bound */
	proto_encode_withdraw(buf, sizeof(buf), e, 2);
	for (size_t len = 0; len < two; len++)
		assert_int_equal(proto_decode_withdraw(body, len, &w), -EBADMSG);
	proto_put16(body + 1, 0);
	assert_int_equal(proto_decode_withdraw(body, 64, &w), -EBADMSG);
	proto_put16(body + 1, PROTO_WITHDRAW_MAX + 1);
	assert_int_equal(proto_decode_withdraw(body, sizeof(buf) - PROTO_HDR_SIZE, &w), -EBADMSG);
	/* a later version's longer body: the entries are read, the rest ignored */
	proto_put16(body + 1, 2);
	memset(body + two, 0xee, 10);
	assert_int_equal(proto_decode_withdraw(body, two + 10, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(proto_check_body(PROTO_WITHDRAW, body, two + 10, NULL), PROTO_CHECK_OK);
	body[0] = 2;
	assert_int_equal(proto_decode_withdraw(body, 64, &w), -EPROTONOSUPPORT);
	assert_string_equal(proto_type_name(PROTO_WITHDRAW), "WITHDRAW");
}
#endif

#ifdef PROTO_DRAIN_BODY
static void test_drain(void **state)
{
	uint8_t buf[PROTO_HDR_SIZE + PROTO_DRAIN_BODY + 4];
	const uint8_t *body = buf + PROTO_HDR_SIZE;
	bool closing = false;
	int size;

	(void)state;
	for (int want = 0; want <= 1; want++) {
		size = proto_encode_drain(buf, sizeof(buf), want);
		assert_int_equal(size, PROTO_HDR_SIZE + PROTO_DRAIN_BODY);
		assert_int_equal(buf[2], PROTO_DRAIN);
		assert_int_equal(proto_get16(buf), PROTO_DRAIN_BODY + 1);
		closing = !want;
		assert_int_equal(proto_decode_drain(body, PROTO_DRAIN_BODY, &closing), 0);
		assert_int_equal(closing, want);
	}
	assert_int_equal(proto_encode_drain(buf, PROTO_HDR_SIZE + 1, true), -ENOSPC);
	/* truncated, an undefined value, another version; a longer body is a later version's */
	assert_int_equal(proto_decode_drain(body, 1, &closing), -EBADMSG);
	assert_int_equal(proto_decode_drain(body, 0, &closing), -EBADMSG);
	buf[4] = 2;
	assert_int_equal(proto_decode_drain(body, PROTO_DRAIN_BODY, &closing), -EBADMSG);
	buf[4] = 1;
	assert_int_equal(proto_decode_drain(body, PROTO_DRAIN_BODY + 4, &closing), 0);
	assert_true(closing);
	assert_int_equal(proto_check_body(PROTO_DRAIN, body, PROTO_DRAIN_BODY + 4, NULL),
			 PROTO_CHECK_OK);
	buf[3] = 2;
	assert_int_equal(proto_decode_drain(body, PROTO_DRAIN_BODY, &closing), -EPROTONOSUPPORT);
	assert_string_equal(proto_type_name(PROTO_DRAIN), "DRAIN");
}
#endif

static void test_version(void **state)
{
	uint8_t body[64];
	struct proto_announce a;
	struct proto_info in;
	struct proto_health_req rq;
	struct proto_health_resp rs;
	const uint8_t versions[] = {0, 2, 0x81, 0xff};

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		memset(body, 0, sizeof(body));
		body[0] = versions[i];
		assert_int_equal(proto_decode_announce(body, PROTO_ANNOUNCE_BODY, &a),
				 -EPROTONOSUPPORT);
		assert_int_equal(proto_decode_info(body, PROTO_INFO_FIXED, &in), -EPROTONOSUPPORT);
		body[17] = PROTO_IP_V4;
		assert_int_equal(proto_decode_info(body, PROTO_INFO_FIXED + 4, &in),
				 -EPROTONOSUPPORT);
		assert_int_equal(proto_decode_health_req(body, PROTO_HREQ_FIXED + 6, &rq),
				 -EPROTONOSUPPORT);
		memset(body + 1, 0, sizeof(body) - 1);
		assert_int_equal(proto_decode_health_resp(body, PROTO_HRESP_FIXED + 6, &rs),
				 -EPROTONOSUPPORT);
		/* a broken layout is reported as such whatever the version */
		assert_int_equal(proto_decode_announce(body, PROTO_ANNOUNCE_BODY - 1, &a),
				 -EBADMSG);
		assert_int_equal(proto_decode_health_resp(body, PROTO_HRESP_FIXED + 5, &rs),
				 -EBADMSG);
	}
}

static void test_short_bodies(void **state)
{
	uint8_t body[64];
	struct proto_announce a;
	struct proto_info in;
	struct proto_health_req rq;
	struct proto_health_resp rs;
	struct proto_unicast u;
	struct proto_broadcast b;

	memset(body, 0, sizeof(body));
	body[0] = PROTO_VERSION;
	for (size_t len = 0; len < PROTO_ANNOUNCE_BODY; len++)
		assert_int_equal(proto_decode_announce(body, len, &a), -EBADMSG);
	for (size_t len = 0; len < PROTO_INFO_FIXED; len++)
		assert_int_equal(proto_decode_info(body, len, &in), -EBADMSG);
	for (size_t len = 0; len < PROTO_HREQ_FIXED; len++)
		assert_int_equal(proto_decode_health_req(body, len, &rq), -EBADMSG);
	for (size_t len = 0; len < PROTO_HRESP_FIXED + 6; len++)
		assert_int_equal(proto_decode_health_resp(body, len, &rs), -EBADMSG);
	for (size_t len = 0; len < PROTO_UNICAST_FIXED; len++)
		assert_int_equal(proto_decode_unicast(body, len, &u), -EBADMSG);
	for (size_t len = 0; len < PROTO_BCAST_FIXED; len++)
		assert_int_equal(proto_decode_broadcast(body, len, &b), -EBADMSG);
	/* and each accepts its fixed part alone */
	assert_int_equal(proto_decode_announce(body, PROTO_ANNOUNCE_BODY, &a), 0);
	assert_int_equal(proto_decode_info(body, PROTO_INFO_FIXED, &in), 0);
	assert_int_equal(proto_decode_health_req(body, PROTO_HREQ_FIXED, &rq), 0);
	assert_int_equal(proto_decode_health_resp(body, PROTO_HRESP_FIXED + 6, &rs), 0);
	assert_int_equal(proto_decode_unicast(body, PROTO_UNICAST_FIXED, &u), 0);
	assert_int_equal(proto_decode_broadcast(body, PROTO_BCAST_FIXED, &b), 0);
}

static void test_names(void **state)
{
	assert_string_equal(proto_type_name(PROTO_ANNOUNCE), "ANNOUNCE");
	assert_string_equal(proto_type_name(PROTO_INFO), "INFO");
	assert_string_equal(proto_type_name(PROTO_HEALTH_REQ), "HEALTH REQUEST");
	assert_string_equal(proto_type_name(PROTO_HEALTH_RESP), "HEALTH RESPONSE");
	assert_string_equal(proto_type_name(PROTO_UNICAST), "UNICAST");
	assert_string_equal(proto_type_name(PROTO_BROADCAST), "BROADCAST");
	assert_string_equal(proto_type_name(0x42), "unknown");
}

/* ---- sweeps over a set of valid frames ---- */

struct sample {
	uint8_t *f;
	size_t size;
};

#define MAX_SAMPLES 32

static size_t add_sample(struct sample *s, size_t n, const uint8_t *f, int size)
{
	assert_true(size > 0);
	assert_true(n < MAX_SAMPLES);
	s[n].f = malloc((size_t)size);
	assert_non_null(s[n].f);
	memcpy(s[n].f, f, (size_t)size);
	s[n].size = (size_t)size;
	return n + 1;
}

/* Small valid frames of every type, built by the encoders. */
static size_t make_samples(struct sample *s)
{
	uint8_t buf[2048], *macs = make_macs(64, 0x33);
	size_t n = 0;

	{
		struct proto_announce a = {.id = 1700000000123LL, .port = 41744};

		memcpy(a.mac, MAC_A, MAC_LEN);
		n = add_sample(s, n, buf, proto_encode_announce(buf, sizeof(buf), &a));
	}
	for (uint8_t t = 0; t <= 2; t++) {
		struct proto_info in = {.id = -2,
					.port = 1,
					.iptype = t,
					.ip = {10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
					       15}};

		memcpy(in.mac, MAC_B, MAC_LEN);
		n = add_sample(s, n, buf, proto_encode_info(buf, sizeof(buf), &in));
	}
	for (size_t nt = 0; nt <= 3; nt++) {
		struct proto_health_req r = {.id = 99, .trace = macs, .ntrace = nt};

		memcpy(r.origin, MAC_C, MAC_LEN);
		n = add_sample(s, n, buf, proto_encode_health_req(buf, sizeof(buf), &r));
	}
	n = add_sample(s, n, buf, encode_resp(buf, sizeof(buf), 0, 0, 0, 0, macs));
	n = add_sample(s, n, buf, encode_resp(buf, sizeof(buf), 0, 0, 0, 1, macs));
	n = add_sample(s, n, buf, encode_resp(buf, sizeof(buf), 2, 3, 2, 2, macs));
	n = add_sample(s, n, buf, encode_resp(buf, sizeof(buf), 1, 0, 3, 0, macs));
#ifdef PROTO_CAPS_BODY
	n = add_sample(s, n, buf, proto_encode_caps(buf, sizeof(buf), 0x80000001u));
#endif
#ifdef PROTO_GSO_HDR
	{
		uint8_t *eth = make_eth(60, MAC_A, MAC_B);

		proto_put_header(buf, PROTO_UNICAST_GSO, PROTO_GSO_HDR + 60);
		memset(buf + PROTO_HDR_SIZE, 0, PROTO_GSO_HDR);
		buf[PROTO_HDR_SIZE] = 1;
		memcpy(buf + PROTO_HDR_SIZE + PROTO_GSO_HDR, eth, 60);
		n = add_sample(s, n, buf, PROTO_HDR_SIZE + PROTO_GSO_HDR + 60);
		free(eth);
	}
#endif
#ifdef PROTO_WITHDRAW_MAX
	{
		struct proto_withdraw_entry e[2] = {{.last_id = 1700000000123LL}, {.last_id = 5}};

		memcpy(e[0].mac, MAC_A, MAC_LEN);
		memcpy(e[1].mac, MAC_B, MAC_LEN);
		n = add_sample(s, n, buf, proto_encode_withdraw(buf, sizeof(buf), e, 1));
		n = add_sample(s, n, buf, proto_encode_withdraw(buf, sizeof(buf), e, 2));
	}
#endif
#ifdef PROTO_DRAIN_BODY
	n = add_sample(s, n, buf, proto_encode_drain(buf, sizeof(buf), true));
	n = add_sample(s, n, buf, proto_encode_drain(buf, sizeof(buf), false));
#endif
	for (size_t len = 12; len <= 64; len += 26) {
		uint8_t *eth = make_eth(len, MAC_A, MAC_B);

		n = add_sample(s, n, buf, proto_encode_unicast(buf, sizeof(buf), eth, len));
		eth[0] = 0xff;
		n = add_sample(s, n, buf, proto_encode_broadcast(buf, sizeof(buf), 7, eth, len));
		free(eth);
	}
	free(macs);
	return n;
}

static void free_samples(struct sample *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].f);
}

static void assert_not_broken(enum proto_check_result r, const char *why, size_t sample,
			      size_t where)
{
	if (r == PROTO_CHECK_BROKEN)
		fail_msg("sample %zu at %zu: %s", sample, where, why ? why : "?");
}

static void test_samples_valid(void **state)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s), total = 0;
	struct proto_check_stats st = {0};
	uint8_t *stream;
	const char *why = NULL;

	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		assert_frame(s[i].f, (int)s[i].size, s[i].f[2]);
		total += s[i].size;
	}
	/* all of them back to back, as on a link, plus an incomplete tail */
	stream = malloc(total + 2);
	assert_non_null(stream);
	total = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(stream + total, s[i].f, s[i].size);
		total += s[i].size;
	}
	stream[total++] = 0x00;
	assert_int_equal(proto_check_stream(stream, total, &st, &why), PROTO_CHECK_OK);
	assert_int_equal(st.ok, n);
	assert_int_equal(st.rejected + st.skipped, 0);
	/* an unknown type is skipped by its len */
	stream[0] = 0;
	stream[1] = 4;
	stream[2] = 0x42;
	memset(&st, 0, sizeof(st));
	assert_int_equal(proto_check_stream(stream, 6, &st, &why), PROTO_CHECK_OK);
	assert_int_equal(st.skipped, 1);
	free(stream);
	free_samples(s, n);
}

/* Every prefix of every valid body: no crash; what decodes re-encodes to itself. */
static void test_truncation_sweep(void **state)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s), decoded = 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *body = s[i].f + PROTO_HDR_SIZE;
		size_t len = s[i].size - PROTO_HDR_SIZE;

		for (size_t k = 0; k <= len; k++) {
			const char *why = NULL;
			enum proto_check_result r = proto_check_body(s[i].f[2], body, k, &why);

			assert_not_broken(r, why, i, k);
			if (k == len)
				assert_int_equal(r, PROTO_CHECK_OK);
			decoded += r == PROTO_CHECK_OK && k < len;
		}
		/* the same through the stream walker: the header says more than there is */
		for (size_t k = 0; k < s[i].size; k++) {
			const char *why = NULL;
			struct proto_check_stats st = {0};

			assert_not_broken(proto_check_stream(s[i].f, k, &st, &why), why, i, k);
			assert_int_equal(st.ok + st.rejected + st.skipped, 0);
		}
	}
	/* some prefixes are valid frames themselves (shorter traces, shorter Ethernet frames) */
	assert_true(decoded > 0);
	free_samples(s, n);
}

/* Every single-bit flip of every valid frame, header included. */
static void test_bitflip_sweep(void **state)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s), ok = 0, rejected = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t *f = malloc(s[i].size);

		assert_non_null(f);
		for (size_t bit = 0; bit < s[i].size * 8; bit++) {
			struct proto_check_stats st = {0};
			const char *why = NULL;

			memcpy(f, s[i].f, s[i].size);
			f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_not_broken(proto_check_stream(f, s[i].size, &st, &why), why, i, bit);
			/* the body alone, with the original type */
			assert_not_broken(proto_check_body(s[i].f[2], f + PROTO_HDR_SIZE,
							   s[i].size - PROTO_HDR_SIZE, &why),
					  why, i, bit);
			ok += st.ok;
			rejected += st.rejected;
		}
		free(f);
	}
	/* both outcomes happen: flipped payload bytes decode, flipped versions do not */
	assert_true(ok > 0);
	assert_true(rejected > 0);
	free_samples(s, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_announce),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_health_req),
		cmocka_unit_test(test_health_resp),
		cmocka_unit_test(test_health_resp_counts),
		cmocka_unit_test(test_unicast),
		cmocka_unit_test(test_broadcast),
		cmocka_unit_test(test_broadcast_in_place),
#ifdef PROTO_CAPS_BODY
		cmocka_unit_test(test_caps),
#endif
#ifdef PROTO_GSO_HDR
		cmocka_unit_test(test_unicast_gso),
#endif
#ifdef PROTO_WITHDRAW_MAX
		cmocka_unit_test(test_withdraw),
#endif
#ifdef PROTO_DRAIN_BODY
		cmocka_unit_test(test_drain),
#endif
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_short_bodies),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_samples_valid),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_bitflip_sweep),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
