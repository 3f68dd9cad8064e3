/*
 * TAP offloads (IFF_VNET_HDR): the kernel hands us TCP super-frames of up to
 * 64 KiB and frames whose checksum is left to us, each behind a
 * virtio_net_hdr. This module is pure: it finishes checksums and cuts
 * super-frames into MSS-sized frames for peers that cannot take them, and
 * converts the header to and from its wire form.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_HDR_LEN 10 /* struct virtio_net_hdr, also its size on the wire */

#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN 0x80

/* The header, in host order. */
struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/** Read the kernel's header (host byte order, as TUN uses by default). */
void vnet_hdr_from_kernel(const uint8_t *p, struct vnet_hdr *h);
void vnet_hdr_to_kernel(const struct vnet_hdr *h, uint8_t *p);
/** The wire form (PROTOCOL: big-endian, same layout). */
void vnet_hdr_from_wire(const uint8_t *p, struct vnet_hdr *h);
void vnet_hdr_to_wire(const struct vnet_hdr *h, uint8_t *p);

/** Nothing to do: a plain frame with a complete checksum. */
static inline bool vnet_is_plain(const struct vnet_hdr *h)
{
	return h->gso_type == VNET_GSO_NONE && !(h->flags & VNET_F_NEEDS_CSUM);
}

/**
 * Fill in a checksum the kernel left to us (VNET_F_NEEDS_CSUM, no GSO).
 * 0, or -EINVAL if the offsets do not fit the frame.
 */
int vnet_finish_csum(uint8_t *frame, size_t len, const struct vnet_hdr *h);

/* The smallest segment size taken from a peer: a smaller one is an attack, not a TCP MSS. */
#define VNET_MIN_GSO_SIZE 256

/**
 * Is this header, as a peer sent it, one we would have produced for this
 * frame? (flags, GSO type matching the frame's IP version, a sane segment
 * size, checksum offsets inside the frame). 0 or -EINVAL. Checked before a
 * peer's header reaches the kernel or the segmenter.
 */
int vnet_check(const uint8_t *frame, size_t len, const struct vnet_hdr *h);

typedef void vnet_emit_fn(uint8_t *frame, size_t len, void *arg);

/**
 * Cut a TCP super-frame (IPv4 or IPv6, optionally VLAN-tagged) into frames
 * of at most gso_size payload bytes each, with correct lengths, ids,
 * sequence numbers, flags and checksums, and pass each to emit (built in
 * out, which must hold hdr + gso_size bytes). A frame that needs no cutting
 * is emitted with its checksum finished. 0, or -EINVAL for a frame we cannot
 * cut (it is dropped).
 */
int vnet_segment(const uint8_t *frame, size_t len, const struct vnet_hdr *h, uint8_t *out,
		 size_t out_cap, vnet_emit_fn *emit, void *arg);

/** The Internet checksum's running sum (RFC 1071) over data, added to sum. */
uint32_t vnet_csum_add(uint32_t sum, const uint8_t *data, size_t len);
/** Fold and complement a running sum. */
uint16_t vnet_csum_fold(uint32_t sum);
