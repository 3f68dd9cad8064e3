/*
 * Fuzz the decoders of signed announcements (src/sigproto.c) as a peer's
 * bytes reach them: the first input byte picks the frame type (0x08
 * SIGNED_INFO, 0x09 CERT_REQ, 0x0a CERT, 0x0b OBSERVED, by its low two
 * bits), the rest is the body. A body a decoder accepts must re-encode to
 * exactly the same bytes; an accepted SIGNED_INFO is also checked against a
 * fixed key (made once): random bytes never verify, and verifying never
 * crashes on any signature length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certstore.h"
#include "fuzz.h"
#include "sigproto.h"

static uint8_t copy[PROTO_MAX_FRAME], out[PROTO_MAX_FRAME];
static EVP_PKEY *key;

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_sig: %s\n", why);
	abort();
}

static void same(int n, const uint8_t *body, size_t len)
{
	if (n < 0 || (size_t)n != len + PROTO_HDR_SIZE || memcmp(out + PROTO_HDR_SIZE, body, len))
		fail("re-encoding an accepted body gave other bytes");
	if (proto_get16(out) != len + 1)
		fail("re-encoded len field is wrong");
}

static void sinfo(const uint8_t *body, size_t len)
{
	struct sigproto_sinfo s;
	int off;

	if (sigproto_decode_sinfo(body, len, &s) != 0)
		return;
	if (s.naddr > SIGPROTO_MAX_ADDRS || s.siglen > SIGPROTO_MAX_SIG ||
	    s.signed_len + 2 + s.siglen != len)
		fail("decoded SIGNED_INFO out of bounds");
	off = sigproto_encode_sinfo_start(out, sizeof(out), &s);
	if (off < 0 || (size_t)off != s.signed_len + PROTO_HDR_SIZE)
		fail("SIGNED_INFO: the signed part re-encodes to another length");
	same(sigproto_sinfo_finish(out, sizeof(out), (size_t)off, s.sig, s.siglen), body, len);
	if (!key)
		key = EVP_EC_gen("P-256");
	if (key && certstore_verify(key, (const uint8_t *)SIGPROTO_CONTEXT, SIGPROTO_CONTEXT_LEN,
				    s.signed_part, s.signed_len, s.sig, s.siglen))
		fail("a made-up signature verified");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t type, mac[MAC_LEN];
	struct sigproto_cert c;
	struct sigproto_addr a;
	const uint8_t *body;
	size_t len;

	if (size < 1 || size - 1 > PROTO_MAX_LEN - 1)
		return 0;
	type = (uint8_t)(PROTO_SIGNED_INFO + (data[0] & 3));
	len = size - 1;
	/* exactly len bytes, so that AddressSanitizer sees a read past the end */
	body = memcpy(copy + sizeof(copy) - len, data + 1, len);
	switch (type) {
	case PROTO_SIGNED_INFO:
		sinfo(body, len);
		break;
	case PROTO_CERT_REQ:
		if (sigproto_decode_cert_req(body, len, mac) == 0)
			same(sigproto_encode_cert_req(out, sizeof(out), mac), body, len);
		break;
	case PROTO_CERT:
		if (sigproto_decode_cert(body, len, &c) == 0)
			same(sigproto_encode_cert(out, sizeof(out), c.origin, c.der, c.derlen),
			     body, len);
		break;
	default:
		if (sigproto_decode_observed(body, len, &a) == 0)
			same(sigproto_encode_observed(out, sizeof(out), &a), body, len);
		break;
	}
	return 0;
}
