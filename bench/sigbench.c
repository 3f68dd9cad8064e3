/*
 * sigbench: what signed announcements cost the control plane (issue 9).
 *
 *   sigbench [--cert FILE] [--nodes N] [--degree K] [--seconds S]
 *
 * On one core (the daemon is single-threaded): SIGNED_INFO signatures made
 * and verified per second with EC P-256 (what invpn-pki makes), Ed25519 and
 * RSA-2048 keys. Then the bytes per node per announce interval in an N-node
 * mesh whose nodes have K links on average (default 50 and 4), from the
 * real frame sizes: every node floods each origin's announcement once to
 * each of its other links, so one interval moves 2E - N + 1 copies of each
 * origin's frame (E = N K / 2 links), and a node receives on average that
 * many frames of the N origins' divided by N, times N: 2E - N + 1 frames.
 * Certificates (CERT) travel once per pair of nodes, when a node first
 * meets an origin, and not again after a restart (the certificate cache):
 * their bytes are given per node, once. --cert FILE takes the certificate
 * size from a real node certificate (PEM); else a P-256 one made here.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certstore.h"
#include "sigproto.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A SIGNED_INFO for one node with one IPv4 address, as a node sends it; returns its size. */
static int make_frame(EVP_PKEY *key, uint8_t *f, size_t cap, int64_t id)
{
	struct sigproto_sinfo s = {.id = id, .port = 41744, .caps = 0x6, .naddr = 1};
	uint8_t sig[SIGPROTO_MAX_SIG];
	const uint8_t *tbs;
	size_t tl, sl;
	int off;

	memcpy(s.mac, (const uint8_t[]){2, 0, 0x5e, 0, 0, 1}, MAC_LEN);
	s.addr[0].iptype = PROTO_IP_V4;
	memcpy(s.addr[0].ip, (const uint8_t[]){198, 18, 0, 1}, 4);
	off = sigproto_encode_sinfo_start(f, cap, &s);
	tbs = sigproto_sinfo_tbs(f, (size_t)off, &tl);
	if (certstore_sign(key, (const uint8_t *)SIGPROTO_CONTEXT, SIGPROTO_CONTEXT_LEN, tbs, tl,
			   sig, sizeof(sig), &sl) < 0)
		return -1;
	return sigproto_sinfo_finish(f, cap, (size_t)off, sig, sl);
}

struct result {
	const char *name;
	double sign_per_s, verify_per_s;
	int frame, sig;
};

static struct result run(const char *name, EVP_PKEY *key, double seconds)
{
	struct result r = {name, 0, 0, 0, 0};
	uint8_t f[SIGPROTO_SINFO_MAX];
	struct sigproto_sinfo s;
	double t0 = now_s(), t;
	long n = 0;

	do {
		r.frame = make_frame(key, f, sizeof(f), 1700000000000 + n);
		n++;
	} while ((t = now_s()) - t0 < seconds / 2);
	r.sign_per_s = (double)n / (t - t0);
	sigproto_decode_sinfo(f + PROTO_HDR_SIZE, (size_t)r.frame - PROTO_HDR_SIZE, &s);
	r.sig = (int)s.siglen;
	n = 0;
	t0 = now_s();
	do {
		if (!certstore_verify(key, (const uint8_t *)SIGPROTO_CONTEXT, SIGPROTO_CONTEXT_LEN,
				      s.signed_part, s.signed_len, s.sig, s.siglen)) {
			fprintf(stderr, "sigbench: %s: a good signature did not verify\n", name);
			exit(1);
		}
		n++;
	} while ((t = now_s()) - t0 < seconds / 2);
	r.verify_per_s = (double)n / (t - t0);
	return r;
}

static int cert_der_len(const char *path, EVP_PKEY *key)
{
	X509 *x = NULL;
	int n;

	if (path) {
		FILE *fp = fopen(path, "r");

		if (!fp || !(x = PEM_read_X509(fp, NULL, NULL, NULL))) {
			fprintf(stderr, "sigbench: %s: not a PEM certificate\n", path);
			exit(1);
		}
		fclose(fp);
	} else {
		/* like invpn-pki's: CN a MAC, a CA name, basic constraints, key usage */
		X509_NAME *nm;

		x = X509_new();
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234567890abcdefL);
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 825);
		X509_set_pubkey(x, key);
		nm = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
					   (const unsigned char *)"02:00:5e:00:00:01", -1, -1, 0);
		X509_set_issuer_name(x, nm);
		X509_sign(x, key, EVP_sha256());
	}
	n = i2d_X509(x, NULL);
	X509_free(x);
	return n;
}

int main(int argc, char **argv)
{
	const char *cert = NULL;
	int nodes = 50;
	double degree = 4, seconds = 2;
	EVP_PKEY *ec, *ed, *rsa;
	struct result r[3];
	double copies;
	int der, info_unsigned = 3 + 18 + 4;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cert"))
			cert = argv[i + 1];
		else if (!strcmp(argv[i], "--nodes"))
			nodes = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--degree"))
			degree = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
	}
	if (nodes < 2 || degree < 1 || degree > nodes - 1 || seconds <= 0) {
		fprintf(stderr, "usage: sigbench [--cert FILE] [--nodes N] [--degree K] "
				"[--seconds S]\n");
		return 2;
	}
	ec = EVP_EC_gen("P-256");
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	rsa = EVP_RSA_gen(2048);
	if (!ec || !ed || !rsa)
		return 1;
	r[0] = run("EC P-256 (invpn-pki)", ec, seconds);
	r[1] = run("Ed25519", ed, seconds);
	r[2] = run("RSA-2048", rsa, seconds);
	der = cert_der_len(cert, ec);

	printf("signed announcements, one core (%s)\n", OpenSSL_version(OPENSSL_VERSION));
	printf("%-22s %12s %12s %10s %10s\n", "key", "sign/s", "verify/s", "sig bytes", "frame");
	for (int i = 0; i < 3; i++)
		printf("%-22s %12.0f %12.0f %10d %10d\n", r[i].name, r[i].sign_per_s,
		       r[i].verify_per_s, r[i].sig, r[i].frame);

	copies = nodes * degree - nodes + 1; /* 2E - N + 1 */
	printf("\n%d-node mesh, %.1f links per node on average: %.0f copies of each announcement "
	       "per interval,\nso each node receives (and verifies at most, once per origin) "
	       "about %.0f frames per interval\n",
	       nodes, degree, copies, copies);
	printf("%-22s %14s %14s %16s\n", "per node, per interval", "frame bytes", "of them sig",
	       "verifies (cpu)");
	printf("%-22s %14.0f %14s %16s\n", "unsigned INFO", copies * info_unsigned, "0", "0");
	for (int i = 0; i < 3; i++)
		printf("%-22s %14.0f %14.0f %9d (%.1f ms)\n", r[i].name, copies * r[i].frame,
		       copies * (r[i].sig + 2), nodes - 1,
		       (nodes - 1) * 1000.0 / r[i].verify_per_s);
	printf("\ncertificates: %d bytes DER (CERT frame %d bytes); a node fetches each origin's "
	       "once:\n%d x %d = %d bytes per node when it joins (0 per interval afterwards, and 0 "
	       "after a restart: cached)\n",
	       der, der + 12, nodes - 1, der + 12 + 10, (nodes - 1) * (der + 12 + 10));
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
	return 0;
}
