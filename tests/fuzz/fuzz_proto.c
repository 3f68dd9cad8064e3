/*
 * Fuzz the wire-format decoders: the input is a byte stream as it arrives on
 * a link (u16 len, type, body, ...), walked as src/link.c's parse_frames
 * does. Every frame a decoder accepts must re-encode to the same bytes.
 * The input is also tried as one frame whose len field is ignored (type at
 * byte 2, the body is all the rest), which reaches the decoders with bodies
 * of every size, whatever mutations did to len.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "proto.h"
#include "proto_check.h"

static void check(enum proto_check_result r, const char *why)
{
	if (r == PROTO_CHECK_BROKEN) {
		fprintf(stderr, "fuzz_proto: %s\n", why ? why : "round trip broken");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;

	check(proto_check_stream(data, size, NULL, &why), why);
	if (size >= PROTO_HDR_SIZE && size - PROTO_HDR_SIZE < PROTO_MAX_LEN)
		check(proto_check_body(data[2], data + PROTO_HDR_SIZE, size - PROTO_HDR_SIZE, &why),
		      why);
	return 0;
}
