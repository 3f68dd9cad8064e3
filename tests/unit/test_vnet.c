/* TAP offloads: cutting TCP super-frames and finishing checksums (vnet.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "vnet.h"

#define PAYLOAD 5000
#define MSS 1448

static uint8_t super[65536];
static uint8_t out[65536];

struct collected {
	uint8_t frames[16][6000];
	size_t len[16];
	size_t n;
};

static void collect(uint8_t *frame, size_t len, void *arg)
{
	struct collected *c = arg;

	assert_true(c->n < 16);
	assert_true(len <= sizeof(c->frames[0]));
	memcpy(c->frames[c->n], frame, len);
	c->len[c->n++] = len;
}

/* eth + IPv4 or IPv6 + TCP (20) + PAYLOAD bytes; returns the frame size */
static size_t make_super(bool v6, uint8_t tcp_flags)
{
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), off = l4 + 20;

	memset(super, 0, sizeof(super));
	memset(super, 0x02, 6);
	memset(super + 6, 0x04, 6);
	proto_put16(super + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		super[l3] = 0x60;
		super[l3 + 6] = 6; /* TCP */
		super[l3 + 7] = 64;
		for (int i = 0; i < 32; i++)
			super[l3 + 8 + i] = (uint8_t)(i * 7 + 1);
	} else {
		super[l3] = 0x45;
		proto_put16(super + l3 + 4, 0x1234); /* id */
		super[l3 + 8] = 64;
		super[l3 + 9] = 6;
		memcpy(super + l3 + 12, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8);
	}
	proto_put16(super + l4, 40000);
	proto_put16(super + l4 + 2, 5201);
	proto_put16(super + l4 + 4, 0xfffe); /* seq 0xfffefff0: wraps while cutting */
	proto_put16(super + l4 + 6, 0xfff0);
	super[l4 + 12] = 5 << 4;
	super[l4 + 13] = tcp_flags;
	proto_put16(super + l4 + 16, 0xdead); /* whatever the kernel left there */
	for (size_t i = 0; i < PAYLOAD; i++)
		super[off + i] = (uint8_t)(i * 31 + 7);
	return off + PAYLOAD;
}

/* The one's-complement sum over a correct header or segment (with pseudo-header) is 0xffff. */
static void assert_tcp_valid(const uint8_t *f, size_t len, bool v6)
{
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20);
	uint32_t sum;

	if (v6) {
		assert_int_equal(proto_get16(f + l3 + 4), len - l3 - 40);
		sum = vnet_csum_add(0, f + l3 + 8, 32);
	} else {
		assert_int_equal(proto_get16(f + l3 + 2), len - l3);
		assert_int_equal(vnet_csum_fold(vnet_csum_add(0, f + l3, 20)), 0);
		sum = vnet_csum_add(0, f + l3 + 12, 8);
	}
	sum += 6 + (uint32_t)(len - l4);
	assert_int_equal(vnet_csum_fold(vnet_csum_add(sum, f + l4, len - l4)), 0);
}

static void check_cut(bool v6)
{
	struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM,
			     .gso_type = v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4,
			     .gso_size = MSS};
	size_t len = make_super(v6, 0x18 /* PSH ACK */ | 0x01 /* FIN */ | 0x80 /* CWR */);
	size_t l4 = 14 + (v6 ? 40 : 20), hdrs = l4 + 20, got = 0;
	static struct collected c;

	memset(&c, 0, sizeof(c));
	h.hdr_len = (uint16_t)hdrs;
	h.csum_start = (uint16_t)l4;
	h.csum_offset = 16;
	assert_int_equal(vnet_segment(super, len, &h, out, sizeof(out), collect, &c), 0);
	assert_int_equal(c.n, (PAYLOAD + MSS - 1) / MSS);
	for (size_t i = 0; i < c.n; i++) {
		const uint8_t *f = c.frames[i];
		uint32_t seq = (uint32_t)proto_get16(f + l4 + 4) << 16 | proto_get16(f + l4 + 6);
		uint8_t flags = f[l4 + 13];
		bool last = i == c.n - 1;

		assert_int_equal(c.len[i], hdrs + (last ? PAYLOAD - MSS * (c.n - 1) : MSS));
		assert_tcp_valid(f, c.len[i], v6);
		assert_int_equal(seq, (uint32_t)(0xfffefff0u + got));
		assert_int_equal(!!(flags & 0x01), last);   /* FIN only on the last */
		assert_int_equal(!!(flags & 0x08), last);   /* PSH only on the last */
		assert_int_equal(!!(flags & 0x80), i == 0); /* CWR only on the first */
		assert_true(flags & 0x10);		    /* ACK on all */
		if (!v6)
			assert_int_equal(proto_get16(f + 14 + 4), 0x1234 + i);
		assert_memory_equal(f + hdrs, super + hdrs + got, c.len[i] - hdrs);
		got += c.len[i] - hdrs;
	}
	assert_int_equal(got, PAYLOAD);
}

static void cut_ipv4(void **state)
{
	check_cut(false);
}

static void cut_ipv6(void **state)
{
	check_cut(true);
}

static void small_super_frame_is_one_piece(void **state)
{
	struct vnet_hdr h = {.gso_type = VNET_GSO_TCPV4, .gso_size = 9000};
	size_t len = make_super(false, 0x10);
	static struct collected c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(vnet_segment(super, len, &h, out, sizeof(out), collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], len);
	assert_tcp_valid(c.frames[0], len, false);
}

static void finish_udp_checksum(void **state)
{
	/* eth + IPv4 + UDP + 100 bytes, checksum left to us */
	uint8_t f[14 + 20 + 8 + 100] = {0};
	struct vnet_hdr h = {.flags = VNET_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6};
	uint32_t pseudo;
	static struct collected c;

	proto_put16(f + 12, 0x0800);
	f[14] = 0x45;
	f[23] = 17;
	memcpy(f + 26, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8);
	proto_put16(f + 34 + 4, 108);
	for (int i = 0; i < 100; i++)
		f[42 + i] = (uint8_t)i;
	/* as the kernel leaves it: the pseudo-header sum, not complemented */
	pseudo = vnet_csum_add(0, f + 26, 8) + 17 + 108;
	while (pseudo >> 16)
		pseudo = (pseudo & 0xffff) + (pseudo >> 16);
	proto_put16(f + 34 + 6, (uint16_t)pseudo);
	memset(&c, 0, sizeof(c));
	assert_int_equal(vnet_segment(f, sizeof(f), &h, out, sizeof(out), collect, &c), 0);
	assert_int_equal(c.n, 1);
	pseudo = vnet_csum_add(0, c.frames[0] + 26, 8) + 17 + 108;
	assert_int_equal(vnet_csum_fold(vnet_csum_add(pseudo, c.frames[0] + 34, 108)), 0);
}

static void refuses_what_it_cannot_cut(void **state)
{
	struct vnet_hdr h = {.gso_type = VNET_GSO_TCPV4, .gso_size = MSS};
	size_t len = make_super(false, 0x10);
	static struct collected c;

	memset(&c, 0, sizeof(c));
	/* wrong family for the GSO type */
	h.gso_type = VNET_GSO_TCPV6;
	assert_int_equal(vnet_segment(super, len, &h, out, sizeof(out), collect, &c), -EINVAL);
	/* UDP fragmentation offload is not something we asked for */
	h.gso_type = 3;
	assert_int_equal(vnet_segment(super, len, &h, out, sizeof(out), collect, &c), -EINVAL);
	/* mss 0 */
	h.gso_type = VNET_GSO_TCPV4;
	h.gso_size = 0;
	assert_int_equal(vnet_segment(super, len, &h, out, sizeof(out), collect, &c), -EINVAL);
	/* truncated in every header */
	h.gso_size = MSS;
	for (size_t cut = 0; cut < 54; cut++)
		assert_int_equal(vnet_segment(super, cut, &h, out, sizeof(out), collect, &c),
				 -EINVAL);
	/* not IP */
	proto_put16(super + 12, 0x0806);
	assert_int_equal(vnet_segment(super, len, &h, out, sizeof(out), collect, &c), -EINVAL);
	/* checksum offsets past the end */
	h = (struct vnet_hdr){.flags = VNET_F_NEEDS_CSUM, .csum_start = 60, .csum_offset = 16};
	assert_int_equal(vnet_finish_csum(super, 70, &h), -EINVAL);
	assert_int_equal(vnet_finish_csum(super, 60, &h), -EINVAL);
	/* an output buffer too small for one piece */
	len = make_super(false, 0x10);
	h = (struct vnet_hdr){.gso_type = VNET_GSO_TCPV4, .gso_size = MSS};
	assert_int_equal(vnet_segment(super, len, &h, out, 100, collect, &c), -EINVAL);
	assert_int_equal(c.n, 0);
}

static void checks_a_peers_header(void **state)
{
	size_t len = make_super(false, 0x10);
	struct vnet_hdr good = {.flags = VNET_F_NEEDS_CSUM,
				.gso_type = VNET_GSO_TCPV4,
				.hdr_len = 54,
				.gso_size = MSS,
				.csum_start = 34,
				.csum_offset = 16};
	struct vnet_hdr h;

	assert_int_equal(vnet_check(super, len, &good), 0);
	h = (struct vnet_hdr){0};
	assert_int_equal(vnet_check(super, len, &h), 0); /* a plain frame */
	h = good;
	h.gso_size = VNET_MIN_GSO_SIZE - 1; /* tiny segments: 65,000 writes from one frame */
	assert_int_equal(vnet_check(super, len, &h), -EINVAL);
	h = good;
	h.gso_type = VNET_GSO_TCPV6; /* the wrong IP version */
	assert_int_equal(vnet_check(super, len, &h), -EINVAL);
	h = good;
	h.gso_type = 3; /* UDP: never produced by us */
	assert_int_equal(vnet_check(super, len, &h), -EINVAL);
	h = good;
	h.flags = 0x80; /* unknown flag */
	assert_int_equal(vnet_check(super, len, &h), -EINVAL);
	h = good;
	h.csum_start = (uint16_t)(len - 1); /* checksum field past the end */
	assert_int_equal(vnet_check(super, len, &h), -EINVAL);
	h = good;
	h.flags = 0; /* GSO without a checksum to finish */
	assert_int_equal(vnet_check(super, len, &h), -EINVAL);
	assert_int_equal(vnet_check(super, 40, &good), -EINVAL); /* truncated */
}

static void header_round_trips(void **state)
{
	struct vnet_hdr a = {1, 4, 0x1234, 1448, 54, 16}, b;
	uint8_t buf[VNET_HDR_LEN];

	vnet_hdr_to_wire(&a, buf);
	assert_int_equal(buf[2], 0x12); /* big-endian on the wire */
	vnet_hdr_from_wire(buf, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	vnet_hdr_to_kernel(&a, buf);
	vnet_hdr_from_kernel(buf, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cut_ipv4),
		cmocka_unit_test(cut_ipv6),
		cmocka_unit_test(small_super_frame_is_one_piece),
		cmocka_unit_test(finish_udp_checksum),
		cmocka_unit_test(refuses_what_it_cannot_cut),
		cmocka_unit_test(checks_a_peers_header),
		cmocka_unit_test(header_round_trips),
	};

	return cmocka_run_group_tests_name("vnet", tests, NULL, NULL);
}
