/*
 * The wire-format property shared by test_proto and fuzz_proto: a frame body
 * that a decoder accepts re-encodes to exactly the same bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum proto_check_result {
	PROTO_CHECK_OK,	      /* decoded, and re-encoding gave the same bytes */
	PROTO_CHECK_REJECTED, /* the decoder refused it (-EBADMSG, -EPROTONOSUPPORT) */
	PROTO_CHECK_SKIPPED,  /* unknown type: a receiver skips it */
	PROTO_CHECK_BROKEN,   /* the property does not hold; see the message */
};

/*
 * Decode one frame body of the given type, re-encode it and compare the
 * result with len/type/body. The body is copied into a buffer of exactly len
 * bytes first, so that AddressSanitizer sees any read past its end. On
 * PROTO_CHECK_BROKEN, why (if not NULL) says what went wrong.
 */
enum proto_check_result proto_check_body(uint8_t type, const uint8_t *body, size_t len,
					 const char **why);

struct proto_check_stats {
	size_t ok, rejected, skipped;
};

/*
 * Walk a byte stream as link.c's parse_frames does (u16 len, type, body;
 * len 0 ends the stream as a protocol error, an incomplete last frame is left
 * over) and check every frame. Returns PROTO_CHECK_BROKEN on the first
 * violation, else PROTO_CHECK_OK; counts go to stats if not NULL.
 */
enum proto_check_result proto_check_stream(const uint8_t *data, size_t size,
					   struct proto_check_stats *stats, const char **why);
