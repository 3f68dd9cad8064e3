/*
 * Signed announcements: SIGNED_INFO/CERT_REQ/CERT/OBSERVED round trips,
 * truncation and bit-flip sweeps (a flipped bit must never verify), signing
 * and verifying with EC, Ed25519 and RSA keys, tls_verify_cert for a
 * certificate without a handshake (chain, CN, CRL), and the certificate
 * store's bounds and eviction. Keys and certificates are made at test time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certstore.h"
#include "sigproto.h"
#include "tls.h"

static const uint8_t MAC_A[MAC_LEN] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t MAC_B[MAC_LEN] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x02};

static EVP_PKEY *key_ec, *key_ed, *key_rsa, *key_ca, *key_other_ca;
static X509 *ca, *other_ca;
static long serial = 1;
static bool leaf_is_ca; /* make_cert: issue a CA:TRUE certificate with a MAC as its CN */

static void add_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

static const EVP_MD *md_for(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

/* A certificate for key with Common Name cn, issued by issuer (NULL: self-signed CA). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	add_ext(x, NID_basic_constraints,
		issuer && !leaf_is_ca ? "critical,CA:FALSE" : "critical,CA:TRUE");
	if (!issuer_key)
		issuer_key = key;
	assert_true(X509_sign(x, issuer_key, md_for(issuer_key)) > 0);
	return x;
}

static int setup(void **state)
{
	(void)state;
	key_ec = EVP_EC_gen("P-256");
	key_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	key_rsa = EVP_RSA_gen(2048);
	key_ca = EVP_EC_gen("P-256");
	key_other_ca = EVP_EC_gen("P-256");
	if (!key_ec || !key_ed || !key_rsa || !key_ca || !key_other_ca)
		return -1;
	ca = make_cert(key_ca, "test CA", NULL, NULL);
	other_ca = make_cert(key_other_ca, "other CA", NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(ca);
	X509_free(other_ca);
	EVP_PKEY_free(key_ec);
	EVP_PKEY_free(key_ed);
	EVP_PKEY_free(key_rsa);
	EVP_PKEY_free(key_ca);
	EVP_PKEY_free(key_other_ca);
	return 0;
}

/* A whole SIGNED_INFO frame for MAC_A, signed with key; returns its size. */
static int make_sinfo(uint8_t *buf, size_t cap, EVP_PKEY *key, int64_t id, size_t naddr)
{
	struct sigproto_sinfo s = {.id = id, .port = 41744, .caps = 0x6, .naddr = naddr};
	uint8_t sig[SIGPROTO_MAX_SIG];
	const uint8_t *tbs;
	size_t tbslen, siglen;
	int off;

	memcpy(s.mac, MAC_A, MAC_LEN);
	for (size_t i = 0; i < naddr; i++) {
		s.addr[i].iptype = i % 2 ? PROTO_IP_V6 : PROTO_IP_V4;
		memset(s.addr[i].ip, 0, 16);
		s.addr[i].ip[0] = 198;
		s.addr[i].ip[1] = 18;
		s.addr[i].ip[3] = (uint8_t)(i + 1);
		if (s.addr[i].iptype == PROTO_IP_V6)
			s.addr[i].ip[15] = 0x42;
	}
	off = sigproto_encode_sinfo_start(buf, cap, &s);
	assert_true(off > 0);
	tbs = sigproto_sinfo_tbs(buf, (size_t)off, &tbslen);
	assert_int_equal(certstore_sign(key, (const uint8_t *)SIGPROTO_CONTEXT,
					SIGPROTO_CONTEXT_LEN, tbs, tbslen, sig, sizeof(sig),
					&siglen),
			 0);
	return sigproto_sinfo_finish(buf, cap, (size_t)off, sig, siglen);
}

static bool frame_verifies(EVP_PKEY *pub, const uint8_t *f, size_t n)
{
	struct sigproto_sinfo s;

	if (sigproto_decode_sinfo(f + PROTO_HDR_SIZE, n - PROTO_HDR_SIZE, &s) != 0)
		return false;
	return certstore_verify(pub, (const uint8_t *)SIGPROTO_CONTEXT, SIGPROTO_CONTEXT_LEN,
				s.signed_part, s.signed_len, s.sig, s.siglen);
}

static void round_trip_with(EVP_PKEY *key)
{
	uint8_t f[SIGPROTO_SINFO_MAX];
	struct sigproto_sinfo s;
	int n = make_sinfo(f, sizeof(f), key, 1700000000123, 3);

	assert_true(n > 0);
	assert_int_equal(proto_get16(f), n - PROTO_LEN_SIZE);
	assert_int_equal(f[2], PROTO_SIGNED_INFO);
	assert_int_equal(sigproto_decode_sinfo(f + 3, (size_t)n - 3, &s), 0);
	assert_int_equal(s.id, 1700000000123);
	assert_memory_equal(s.mac, MAC_A, MAC_LEN);
	assert_int_equal(s.port, 41744);
	assert_int_equal(s.caps, 0x6);
	assert_int_equal(s.naddr, 3);
	assert_int_equal(s.addr[0].iptype, PROTO_IP_V4);
	assert_int_equal(s.addr[1].iptype, PROTO_IP_V6);
	assert_int_equal(s.addr[1].ip[15], 0x42);
	assert_int_equal(s.addr[2].ip[3], 3);
	assert_true(frame_verifies(key, f, (size_t)n));
	/* another key's signature is no signature */
	assert_false(frame_verifies(key == key_ec ? key_ed : key_ec, f, (size_t)n));
}

static void test_sinfo_round_trip_ec(void **state)
{
	round_trip_with(key_ec);
}

static void test_sinfo_round_trip_ed25519(void **state)
{
	round_trip_with(key_ed);
}

static void test_sinfo_round_trip_rsa(void **state)
{
	round_trip_with(key_rsa);
}

static void test_sinfo_limits(void **state)
{
	uint8_t f[SIGPROTO_SINFO_MAX];
	struct sigproto_sinfo s = {.naddr = SIGPROTO_MAX_ADDRS + 1};
	uint8_t sig[SIGPROTO_MAX_SIG + 1] = {0};
	int off;

	assert_int_equal(sigproto_encode_sinfo_start(f, sizeof(f), &s), -EINVAL);
	s.naddr = 1;
	s.addr[0].iptype = PROTO_IP_NONE; /* an address is v4 or v6 */
	assert_int_equal(sigproto_encode_sinfo_start(f, sizeof(f), &s), -EINVAL);
	s.addr[0].iptype = PROTO_IP_V4;
	assert_int_equal(sigproto_encode_sinfo_start(f, 10, &s), -ENOSPC);
	off = sigproto_encode_sinfo_start(f, sizeof(f), &s);
	assert_int_equal(off, PROTO_HDR_SIZE + SIGPROTO_SINFO_FIXED + 5);
	assert_int_equal(sigproto_sinfo_finish(f, sizeof(f), (size_t)off, sig, 0), -EINVAL);
	assert_int_equal(sigproto_sinfo_finish(f, sizeof(f), (size_t)off, sig, sizeof(sig)),
			 -EINVAL);
	assert_int_equal(sigproto_sinfo_finish(f, (size_t)off + 3, (size_t)off, sig, 2), -ENOSPC);
	assert_true(sigproto_sinfo_finish(f, sizeof(f), (size_t)off, sig, SIGPROTO_MAX_SIG) > 0);
	assert_int_equal(sigproto_decode_sinfo(f + 3, proto_get16(f) - 1u, &s), 0);
	/* an unknown version is dropped, not a protocol error */
	f[3] = 2;
	assert_int_equal(sigproto_decode_sinfo(f + 3, proto_get16(f) - 1u, &s), -EPROTONOSUPPORT);
}

/* Every prefix of a valid body, and the body with a byte more, is refused. */
static void test_truncation_sweep(void **state)
{
	uint8_t f[SIGPROTO_CERT_MAX + 1], der[300];
	struct sigproto_sinfo s;
	struct sigproto_cert c;
	struct sigproto_addr o = {.iptype = PROTO_IP_V6}, o2;
	uint8_t mac[MAC_LEN];
	int n;

	for (size_t naddr = 0; naddr <= SIGPROTO_MAX_ADDRS; naddr++) {
		n = make_sinfo(f, sizeof(f), key_ec, 42, naddr);
		for (size_t len = 0; len < (size_t)n - 3; len++)
			assert_int_equal(sigproto_decode_sinfo(f + 3, len, &s), -EBADMSG);
		f[n] = 0;
		assert_int_equal(sigproto_decode_sinfo(f + 3, (size_t)n - 2, &s), -EBADMSG);
	}
	n = sigproto_encode_cert_req(f, sizeof(f), MAC_B);
	assert_int_equal(n, 10);
	assert_int_equal(sigproto_decode_cert_req(f + 3, 7, mac), 0);
	assert_memory_equal(mac, MAC_B, MAC_LEN);
	for (size_t len = 0; len <= 8; len++)
		if (len != 7)
			assert_int_equal(sigproto_decode_cert_req(f + 3, len, mac), -EBADMSG);

	for (size_t i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)i;
	n = sigproto_encode_cert(f, sizeof(f), MAC_B, der, sizeof(der));
	assert_int_equal(n, 3 + 9 + 300);
	assert_int_equal(sigproto_decode_cert(f + 3, (size_t)n - 3, &c), 0);
	assert_memory_equal(c.origin, MAC_B, MAC_LEN);
	assert_int_equal(c.derlen, sizeof(der));
	assert_memory_equal(c.der, der, sizeof(der));
	for (size_t len = 0; len < (size_t)n - 3; len++)
		assert_int_equal(sigproto_decode_cert(f + 3, len, &c), -EBADMSG);
	assert_int_equal(sigproto_decode_cert(f + 3, (size_t)n - 2, &c), -EBADMSG);
	assert_int_equal(sigproto_encode_cert(f, sizeof(f), MAC_B, der, 0), -EINVAL);
	assert_int_equal(sigproto_encode_cert(f, sizeof(f), MAC_B, der, SIGPROTO_MAX_DER + 1),
			 -EINVAL);

	memset(o.ip, 0x20, 16);
	n = sigproto_encode_observed(f, sizeof(f), &o);
	assert_int_equal(n, 3 + 18);
	assert_int_equal(sigproto_decode_observed(f + 3, 18, &o2), 0);
	assert_memory_equal(o2.ip, o.ip, 16);
	for (size_t len = 0; len <= 19; len++)
		if (len != 18)
			assert_int_equal(sigproto_decode_observed(f + 3, len, &o2), -EBADMSG);
	o.iptype = PROTO_IP_NONE;
	assert_int_equal(sigproto_encode_observed(f, sizeof(f), &o), -EINVAL);
}

/* Flip each bit of a signed body: it is refused, or decodes and fails to verify. */
static void flip_sweep(EVP_PKEY *key)
{
	uint8_t f[SIGPROTO_SINFO_MAX];
	int n = make_sinfo(f, sizeof(f), key, 1700000000000, 2);
	size_t decoded = 0, verified = 0;

	for (size_t bit = 0; bit < ((size_t)n - 3) * 8; bit++) {
		struct sigproto_sinfo s;

		f[3 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (sigproto_decode_sinfo(f + 3, (size_t)n - 3, &s) == 0) {
			decoded++;
			if (certstore_verify(key, (const uint8_t *)SIGPROTO_CONTEXT,
					     SIGPROTO_CONTEXT_LEN, s.signed_part, s.signed_len,
					     s.sig, s.siglen))
				verified++;
		}
		f[3 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_true(frame_verifies(key, f, (size_t)n)); /* restored */
	/* most flips decode (ids, MACs, addresses, the signature itself) ... */
	assert_true(decoded > ((size_t)n - 3) * 8 / 2);
	/* ... and not one of them verifies */
	assert_int_equal(verified, 0);
}

static void test_bit_flips_never_verify(void **state)
{
	flip_sweep(key_ec);
	flip_sweep(key_ed);
}

/* A struct tls around a context that trusts ca (and a CRL, if given). */
static void tls_with(struct tls *t, X509_CRL *crl)
{
	X509_STORE *st;

	memset(t, 0, sizeof(*t));
	t->ctx = SSL_CTX_new(TLS_method());
	assert_non_null(t->ctx);
	st = SSL_CTX_get_cert_store(t->ctx);
	assert_int_equal(X509_STORE_add_cert(st, ca), 1);
	if (crl) {
		assert_int_equal(X509_STORE_add_crl(st, crl), 1);
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	}
}

static X509_CRL *crl_revoking(X509 *leaf)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_TIME *t = ASN1_TIME_new();

	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	X509_gmtime_adj(t, -60);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, 86400);
	X509_CRL_set1_nextUpdate(crl, t);
	if (leaf) {
		X509_REVOKED_set_serialNumber(rv, X509_get_serialNumber(leaf));
		X509_gmtime_adj(t, -30);
		X509_REVOKED_set_revocationDate(rv, t);
		X509_CRL_add0_revoked(crl, rv);
	} else {
		X509_REVOKED_free(rv);
	}
	ASN1_TIME_free(t);
	X509_CRL_sort(crl);
	assert_true(X509_CRL_sign(crl, key_ca, EVP_sha256()) > 0);
	return crl;
}

static void test_verify_cert_like_a_handshake(void **state)
{
	X509 *leaf = make_cert(key_ec, "02:00:5e:00:00:01", ca, key_ca);
	X509 *stranger = make_cert(key_ec, "02:00:5e:00:00:01", other_ca, key_other_ca);
	X509 *not_mac = make_cert(key_ec, "node-a", ca, key_ca);
	X509 *self = make_cert(key_ec, "02:00:5e:00:00:01", NULL, NULL), *as_ca;
	X509_CRL *empty = crl_revoking(NULL), *revoking = crl_revoking(leaf);
	struct tls t;
	char why[256];

	leaf_is_ca = true;
	as_ca = make_cert(key_ec, "02:00:5e:00:00:01", ca, key_ca);
	leaf_is_ca = false;
	tls_with(&t, NULL);
	assert_int_equal(tls_verify_cert(&t, leaf, MAC_A, why, sizeof(why)), 0);
	assert_int_equal(tls_verify_cert(&t, leaf, NULL, why, sizeof(why)), 0);
	/* CN = the MAC it speaks for */
	assert_int_equal(tls_verify_cert(&t, leaf, MAC_B, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not 02:00:5e:00:00:02"));
	/* chain to our CA */
	assert_int_equal(tls_verify_cert(&t, stranger, MAC_A, why, sizeof(why)), -EINVAL);
	assert_int_equal(tls_verify_cert(&t, not_mac, NULL, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is not a MAC address"));
	/* a self-signed one is not from our CA */
	assert_int_equal(tls_verify_cert(&t, self, MAC_A, why, sizeof(why)), -EINVAL);
	/* our policy, as in a handshake: a CA certificate is no node's, even from our CA */
	assert_int_equal(tls_verify_cert(&t, as_ca, MAC_A, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "is a CA certificate"));
	tls_fini(&t);

	/* the CRL */
	tls_with(&t, empty);
	assert_int_equal(tls_verify_cert(&t, leaf, MAC_A, why, sizeof(why)), 0);
	tls_fini(&t);
	tls_with(&t, revoking);
	assert_int_equal(tls_verify_cert(&t, leaf, MAC_A, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "revoked"));
	tls_fini(&t);

	X509_CRL_free(empty);
	X509_CRL_free(revoking);
	X509_free(leaf);
	X509_free(stranger);
	X509_free(not_mac);
	X509_free(as_ca);
	X509_free(self);
}

static void mac_n(uint8_t mac[MAC_LEN], unsigned i)
{
	memcpy(mac, MAC_A, MAC_LEN);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

/* At the bound: pinned (direct) peers stay, never-signed ones go first, then the least used. */
static void test_certstore_bounds_and_eviction(void **state)
{
	X509 *cert = make_cert(key_ec, "02:00:5e:00:00:01", ca, key_ca);
	struct certstore cs;
	struct cert_entry *e;
	uint8_t mac[MAC_LEN];

	certstore_init(&cs, 4);
	/* 0, 1: direct peers; 2: seen signed, used at 300; 3: seen signed, used at 400 */
	for (unsigned i = 0; i < 4; i++) {
		mac_n(mac, i);
		e = certstore_put(&cs, mac, cert, i < 2, 100 * (i + 1));
		assert_non_null(e);
		e->signed_seen = true;
	}
	assert_int_equal(cs.count, 4);
	/* the same MAC again is no new entry */
	mac_n(mac, 3);
	assert_non_null(certstore_put(&cs, mac, cert, false, 450));
	assert_int_equal(cs.count, 4);
	/* a fifth pushes out the least used unpinned one: 2 */
	mac_n(mac, 4);
	assert_non_null(certstore_put(&cs, mac, cert, false, 500));
	assert_int_equal(cs.count, 4);
	assert_int_equal(cs.evicted, 1);
	mac_n(mac, 2);
	assert_null(certstore_find(&cs, mac));
	for (unsigned i = 0; i < 2; i++) {
		mac_n(mac, i);
		assert_non_null(certstore_find(&cs, mac));
	}
	/* 4 was never seen signed: it goes before 3, though 3 is older */
	mac_n(mac, 5);
	assert_non_null(certstore_put(&cs, mac, cert, false, 600));
	mac_n(mac, 4);
	assert_null(certstore_find(&cs, mac));
	mac_n(mac, 3);
	assert_non_null(certstore_find(&cs, mac));
	/* all pinned: nothing is stored, nothing pushed out */
	for (unsigned i = 3; i <= 5; i += 2) {
		mac_n(mac, i);
		certstore_put(&cs, mac, cert, true, 700);
	}
	mac_n(mac, 6);
	assert_null(certstore_put(&cs, mac, cert, false, 800));
	assert_int_equal(cs.count, 4);
	/* a link going down unpins: then it may go */
	mac_n(mac, 0);
	certstore_unpin(&cs, mac);
	mac_n(mac, 6);
	assert_non_null(certstore_put(&cs, mac, cert, false, 900));
	mac_n(mac, 0);
	assert_null(certstore_find(&cs, mac));
	certstore_fini(&cs);
	X509_free(cert);
}

/* A new certificate for a MAC forgets the frame verified with the old one. */
static void test_certstore_replace_forgets_frame(void **state)
{
	X509 *c1 = make_cert(key_ec, "02:00:5e:00:00:01", ca, key_ca);
	X509 *c2 = make_cert(key_ed, "02:00:5e:00:00:01", ca, key_ca);
	struct certstore cs;
	struct cert_entry *e;
	uint8_t frame[8] = {1, 2, 3};

	certstore_init(&cs, 4);
	e = certstore_put(&cs, MAC_A, c1, false, 1);
	assert_int_equal(certstore_keep_frame(e, frame, sizeof(frame), 7), 0);
	assert_ptr_equal(certstore_put(&cs, MAC_A, c1, false, 2), e);
	assert_non_null(e->frame);
	assert_ptr_equal(certstore_put(&cs, MAC_A, c2, false, 3), e);
	assert_null(e->frame);
	assert_ptr_equal(e->pub, X509_get0_pubkey(c2));
	certstore_fini(&cs);
	X509_free(c1);
	X509_free(c2);
}

static int take_cn(X509 *cert, uint8_t mac[MAC_LEN], void *arg)
{
	char why[128];

	(void)arg;
	return tls_cert_mac(cert, mac, why, sizeof(why));
}

/* Only certificates seen signed are saved; loading brings them back as seen signed. */
static void test_certstore_save_load(void **state)
{
	char dir[] = "/tmp/test_sig.XXXXXX", path[64];
	X509 *ca_ = make_cert(key_ec, "02:00:5e:00:00:01", ca, key_ca);
	X509 *cb = make_cert(key_ed, "02:00:5e:00:00:02", ca, key_ca);
	struct certstore cs;
	struct cert_entry *e;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/peers.cache.certs", dir);
	certstore_init(&cs, 8);
	e = certstore_put(&cs, MAC_A, ca_, false, 1);
	e->signed_seen = true;
	certstore_put(&cs, MAC_B, cb, true, 1);
	assert_int_equal(certstore_save(&cs, path), 0);
	certstore_fini(&cs);

	certstore_init(&cs, 8);
	assert_int_equal(certstore_load(&cs, path, take_cn, NULL, 5), 1);
	e = certstore_find(&cs, MAC_A);
	assert_non_null(e);
	assert_true(e->signed_seen);
	assert_int_equal(X509_cmp(e->cert, ca_), 0);
	assert_null(certstore_find(&cs, MAC_B));
	certstore_fini(&cs);
	/* no file yet */
	unlink(path);
	certstore_init(&cs, 8);
	assert_int_equal(certstore_load(&cs, path, take_cn, NULL, 5), -ENOENT);
	certstore_fini(&cs);
	rmdir(dir);
	X509_free(ca_);
	X509_free(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sinfo_round_trip_ec),
		cmocka_unit_test(test_sinfo_round_trip_ed25519),
		cmocka_unit_test(test_sinfo_round_trip_rsa),
		cmocka_unit_test(test_sinfo_limits),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_bit_flips_never_verify),
		cmocka_unit_test(test_verify_cert_like_a_handshake),
		cmocka_unit_test(test_certstore_bounds_and_eviction),
		cmocka_unit_test(test_certstore_replace_forgets_frame),
		cmocka_unit_test(test_certstore_save_load),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
