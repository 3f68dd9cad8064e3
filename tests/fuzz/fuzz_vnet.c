/*
 * Fuzz the offload header check and the segmenter: the input is a
 * UNICAST_GSO's offload header in its wire form (10 bytes, big-endian)
 * followed by the Ethernet frame, as on_unicast_gso in src/switch.c gets
 * them from a peer. A header that vnet_check passes goes to vnet_segment with
 * the daemon's buffer size; the pieces must add up to the frame: the same
 * headers in front of each, at most gso_size payload bytes in each, every
 * payload byte once. The segmenter is also fed the raw header unchecked (it
 * is its own last line of defence for the kernel's frames).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"
#include "vnet.h"

static uint8_t out[PROTO_MAX_LEN];

struct tally {
	size_t n, bytes, min, max;
};

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_vnet: %s\n", why);
	abort();
}

static void count(uint8_t *frame, size_t len, void *arg)
{
	struct tally *t = arg;

	if (frame < out || len > sizeof(out) || (size_t)(frame - out) + len > sizeof(out))
		fail("segment outside the output buffer");
	t->n++;
	t->bytes += len;
	if (!t->min || len < t->min)
		t->min = len;
	if (len > t->max)
		t->max = len;
}

static void segment(const uint8_t *frame, size_t len, const struct vnet_hdr *h, bool checked)
{
	struct tally t = {0};
	size_t hdrs, mss = h->gso_size;

	if (vnet_segment(frame, len, h, out, sizeof(out), count, &t) < 0) {
		if (t.n)
			fail("segments emitted before a failure");
		return;
	}
	if (!t.n)
		fail("success without a segment");
	if ((h->gso_type & (uint8_t)~VNET_GSO_ECN) == VNET_GSO_NONE) {
		if (t.n != 1 || t.bytes != len)
			fail("a plain frame changed size");
		return;
	}
	if (!checked || t.n == 1) {
		if (t.n == 1 && t.bytes != len)
			fail("a single segment changed size");
		return;
	}
	/* n segments of hdrs + piece_i bytes, sum(piece_i) = len - hdrs */
	if ((t.bytes - len) % (t.n - 1))
		fail("segments do not share one header length");
	hdrs = (t.bytes - len) / (t.n - 1);
	if (t.min <= hdrs || t.max - hdrs > mss)
		fail("a segment is empty or longer than gso_size");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_hdr h, back;
	uint8_t kh[VNET_HDR_LEN], wire[VNET_HDR_LEN];
	const uint8_t *frame;
	size_t len;

	if (size < VNET_HDR_LEN || size - VNET_HDR_LEN > PROTO_MAX_LEN)
		return 0;
	vnet_hdr_from_wire(data, &h);
	frame = data + VNET_HDR_LEN;
	len = size - VNET_HDR_LEN;

	/* both forms of the header round-trip */
	vnet_hdr_to_kernel(&h, kh);
	vnet_hdr_from_kernel(kh, &back);
	vnet_hdr_to_wire(&back, wire);
	if (memcmp(wire, data, VNET_HDR_LEN))
		fail("header does not round-trip");

	if (vnet_check(frame, len, &h) == 0) {
		uint8_t *copy = malloc(len ? len : 1);

		if (!copy)
			return 0;
		memcpy(copy, frame, len);
		/* a checked header's checksum offsets are inside the frame */
		if (vnet_finish_csum(copy, len, &h) < 0)
			fail("vnet_check passed offsets vnet_finish_csum refuses");
		free(copy);
		segment(frame, len, &h, true);
	} else {
		segment(frame, len, &h, false);
	}
	return 0;
}
