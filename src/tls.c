#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"

const char *tls_errors(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, len, "no details");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/*
 * The first Common Name, printable: a peer's certificate goes into our logs,
 * so every byte outside printable ASCII (and the quote) is shown as \xNN.
 * Returns false if there is none.
 */
static bool cert_cn(X509 *cert, char *buf, size_t len)
{
	X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
	int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	const ASN1_STRING *v;
	const unsigned char *p;
	size_t o = 0;
	int n;

	if (i < 0 || !len)
		return false;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	p = ASN1_STRING_get0_data(v);
	n = ASN1_STRING_length(v);
	buf[0] = '\0';
	for (int k = 0; k < n && o + 5 <= len; k++) {
		if (p[k] >= 0x20 && p[k] < 0x7f && p[k] != '\'' && p[k] != '\\')
			buf[o++] = (char)p[k];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", p[k]);
	}
	buf[o] = '\0';
	return true;
}

/* How many Common Names a certificate's subject has. */
static int cn_count(X509 *cert)
{
	X509_NAME *name = cert ? X509_get_subject_name(cert) : NULL;
	int n = 0;

	for (int i = -1; name && (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;)
		n++;
	return n;
}

int tls_cert_mac(X509 *cert, uint8_t mac[MAC_LEN], char *why, size_t whylen)
{
	char cn[128];
	int n = cn_count(cert);

	/* two CNs would be read as the first by us and maybe as another by someone else */
	if (n > 1) {
		snprintf(why, whylen,
			 "certificate has %d Common Names (want exactly one: the node's MAC)", n);
		return -EINVAL;
	}
	if (!cert_cn(cert, cn, sizeof(cn))) {
		snprintf(why, whylen, "certificate has no Common Name (want the node's MAC)");
		return -EINVAL;
	}
	/* escaped bytes (an embedded NUL, say) make it no MAC */
	if (mac_parse(cn, mac) < 0) {
		snprintf(why, whylen, "certificate Common Name '%s' is not a MAC address", cn);
		return -EINVAL;
	}
	if (!mac_is_node(mac)) {
		snprintf(why, whylen, "certificate Common Name '%s' is a group or all-zero MAC",
			 cn);
		return -EINVAL;
	}
	return 0;
}

int tls_peer_mac(SSL *ssl, uint8_t mac[MAC_LEN], char *why, size_t whylen)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	int r;

	if (!cert) {
		snprintf(why, whylen, "sent no certificate");
		return -EINVAL;
	}
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		snprintf(why, whylen, "%s",
			 X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
		X509_free(cert);
		return -EINVAL;
	}
	r = tls_cert_mac(cert, mac, why, whylen);
	X509_free(cert);
	return r;
}

/*
 * Where the verify callback keeps the peer's certificate and how deep in its
 * chain verification failed: OpenSSL drops a certificate it refused, and the
 * log should still say whose it was. One process-wide index, made once.
 */
static int seen_idx = -1, depth_idx = -1, policy_idx = -1;

/*
 * Our own rules on top of OpenSSL's chain checks, for a peer's chain: the
 * leaf is no CA and has exactly one CN, a unicast MAC; a CA certificate
 * between it and the trust anchor is not a node's certificate (CN a MAC).
 * Returns why not, or NULL.
 */
static const char *policy_refusal(X509_STORE_CTX *x, X509 *cert, int depth)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(x);
	uint8_t mac[MAC_LEN];
	char cn[128];

	if (depth == 0) {
		if (X509_check_ca(cert))
			return "certificate is a CA certificate (a node's must be CA:FALSE)";
		if (cn_count(cert) != 1)
			return cn_count(cert)
				       ? "certificate has more than one Common Name (want "
					 "exactly one: the node's MAC)"
				       : "certificate has no Common Name (want the node's MAC)";
		/* whether that CN is a unicast MAC: tls_peer_mac, which can quote it */
		return NULL;
	}
	/* the trust anchor is the last of the chain: ours, from the ca file */
	if (chain && depth < sk_X509_num(chain) - 1 && cert_cn(cert, cn, sizeof(cn)) &&
	    mac_parse(cn, mac) == 0)
		return "its chain has a node's certificate (CN a MAC) as a CA";
	return NULL;
}

static void free_seen(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	X509_free(ptr);
}

static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	X509 *leaf = X509_STORE_CTX_get0_cert(x);

	if (ssl && leaf && !SSL_get_ex_data(ssl, seen_idx) && X509_up_ref(leaf) &&
	    !SSL_set_ex_data(ssl, seen_idx, leaf))
		X509_free(leaf);
	if (ssl && ok && leaf) {
		X509 *cur = X509_STORE_CTX_get_current_cert(x);
		const char *no = cur ? policy_refusal(x, cur, X509_STORE_CTX_get_error_depth(x))
				     : NULL;

		if (no) {
			if (!SSL_get_ex_data(ssl, policy_idx))
				SSL_set_ex_data(ssl, policy_idx, (void *)(uintptr_t)no);
			X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
			ok = 0;
		}
	}
	/*
	 * A CRL past its nextUpdate is still enforced (a revoked certificate
	 * stays refused) but does not stop the mesh: every handshake failing at
	 * once is worse than a stale list. The operator is told loudly
	 * (tls_warn_expiry, status, this line).
	 */
	if (!ok && X509_STORE_CTX_get_error(x) == X509_V_ERR_CRL_HAS_EXPIRED) {
		static struct ratelimit rl;

		log_ratelimited(&rl, loop_clock_ms(), LOG_WARNING,
				"our CRL has expired: still enforced, make a fresh one "
				"(invpn-pki crl CA_DIR), copy it to every node and reload");
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 1;
	}
	if (ssl && !ok && !SSL_get_ex_data(ssl, depth_idx))
		SSL_set_ex_data(ssl, depth_idx,
				(void *)(intptr_t)(X509_STORE_CTX_get_error_depth(x) + 1));
	return ok;
}

/* For our own checks (start, reload): an expired CRL is still used, as in verify_cb. */
static int crl_expired_ok(int ok, X509_STORE_CTX *x)
{
	if (!ok && X509_STORE_CTX_get_error(x) == X509_V_ERR_CRL_HAS_EXPIRED) {
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 1;
	}
	return ok;
}

static X509 *seen_cert(SSL *ssl)
{
	X509 *c = SSL_get0_peer_certificate(ssl);

	return c ? c : SSL_get_ex_data(ssl, seen_idx);
}

const char *tls_peer_label(SSL *ssl, char *buf, size_t len)
{
	X509 *c = ssl ? seen_cert(ssl) : NULL;
	uint8_t mac[MAC_LEN];
	char cn[128], m[MAC_STRLEN];

	buf[0] = '\0';
	if (!c || !cert_cn(c, cn, sizeof(cn)))
		return buf;
	if (mac_parse(cn, mac) == 0)
		snprintf(buf, len, " (MAC %s)", mac_format(mac, m));
	else
		snprintf(buf, len, " (CN '%s')", cn);
	return buf;
}

static void format_time(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(buf, len, "?");
}

/* Our verdict on the peer's certificate, in the user's words; OpenSSL's in parentheses. */
static void verify_words(SSL *ssl, long v, char *buf, size_t len)
{
	bool ca = (intptr_t)SSL_get_ex_data(ssl, depth_idx) > 1; /* not the peer's own */
	X509 *c = seen_cert(ssl);
	const char *detail = X509_verify_cert_error_string(v);
	char when[40];

	switch (v) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		snprintf(buf, len, "certificate not issued by our CA (%s)", detail);
		return;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		if (ca) {
			snprintf(buf, len, "the CA certificate of its chain has expired (%s)",
				 detail);
			return;
		}
		format_time(c ? X509_get0_notAfter(c) : NULL, when, sizeof(when));
		snprintf(buf, len, "certificate expired on %s (%s)", when, detail);
		return;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		if (ca) {
			snprintf(buf, len, "the CA certificate of its chain is not valid yet (%s)",
				 detail);
			return;
		}
		format_time(c ? X509_get0_notBefore(c) : NULL, when, sizeof(when));
		snprintf(buf, len, "certificate not valid before %s: check the clocks (%s)", when,
			 detail);
		return;
	case X509_V_ERR_CERT_REVOKED:
		snprintf(buf, len, "%s revoked: it is in our CRL (%s)",
			 ca ? "the CA certificate of its chain is" : "certificate", detail);
		return;
	case X509_V_ERR_CRL_HAS_EXPIRED:
		snprintf(buf, len,
			 "our CRL has expired: make a fresh one (invpn-pki crl CA_DIR), copy it to "
			 "every node and reload (%s)",
			 detail);
		return;
	case X509_V_ERR_CRL_NOT_YET_VALID:
		snprintf(buf, len, "our CRL is not valid yet: check the clock (%s)", detail);
		return;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		snprintf(buf, len, "our crl file has no CRL from the CA that issued it (%s)",
			 detail);
		return;
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
		snprintf(buf, len, "our CRL is not signed by its CA (%s)", detail);
		return;
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		snprintf(buf, len,
			 "certificate chain too long: at most %d CA certificate(s) between a node's "
			 "and the CA (%s)",
			 TLS_VERIFY_DEPTH, detail);
		return;
	case X509_V_ERR_APPLICATION_VERIFICATION:
		if (SSL_get_ex_data(ssl, policy_idx)) {
			snprintf(buf, len, "%s", (const char *)SSL_get_ex_data(ssl, policy_idx));
			return;
		}
		break;
	}
	snprintf(buf, len, "certificate not accepted (%s)", detail);
}

/* The peer's alert about our certificate, or another failure OpenSSL names, in the user's words. */
static const char *reason_words(unsigned long e)
{
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return NULL;
	switch (ERR_GET_REASON(e)) {
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
		return "refused our certificate: it does not trust our CA";
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
		return "refused our certificate as expired (by its clock; or its CRL has expired)";
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
		return "refused our certificate: it is revoked";
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
		return "refused our certificate";
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return "sent no certificate";
	case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
	case SSL_R_TLSV1_ALERT_INSUFFICIENT_SECURITY:
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_SHARED_CIPHER:
		return "has no TLS version or cipher in common with us";
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_HTTP_REQUEST:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
		return "does not speak TLS (not an invpn node?)";
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return "closed the connection without a TLS close";
	}
	return NULL;
}

const char *tls_failure(SSL *ssl, char *buf, size_t len)
{
	long v = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_error();
	const char *words = reason_words(e);

	if (v != X509_V_OK) {
		verify_words(ssl, v, buf, len);
	} else if (words) {
		const char *detail = ERR_reason_error_string(e);

		snprintf(buf, len, "%s (%s)", words, detail ? detail : "no details");
	} else {
		char e2[256];

		snprintf(buf, len, "%s%s",
			 SSL_is_init_finished(ssl) ? "" : "TLS handshake failed: ",
			 tls_errors(e2, sizeof(e2)));
	}
	ERR_clear_error();
	return buf;
}

/*
 * A file we are about to give OpenSSL: say in plain words if it cannot be read
 * at all, so that OpenSSL's words are left for what is inside.
 */
static int readable(const char *path, const char *key, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: %s: cannot read: %s", path, key, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: %s: is a directory, not a file", path, key);
		return -EISDIR;
	}
	close(fd);
	return 0;
}

static int no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf, (void)size, (void)rwflag;
	*(bool *)asked = true;
	return -1;
}

/*
 * Load the key ourselves and check it against the certificate:
 * SSL_CTX_use_PrivateKey_file calls a key of another node "cannot load".
 */
static int load_key(SSL_CTX *ctx, const char *path, const char *cert, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	bool asked = false;
	EVP_PKEY *k;
	char e[256];

	if (!f) {
		snprintf(err, errlen, "%s: key: cannot read: %s", path, strerror(errno));
		return -EINVAL;
	}
	/* never prompt: a daemon has no one to ask */
	k = PEM_read_PrivateKey(f, NULL, no_passphrase, &asked);
	fclose(f);
	if (!k && asked) {
		snprintf(err, errlen,
			 "%s: key: is protected by a passphrase, which invpnd cannot ask for "
			 "(store it without one, mode 0600)",
			 path);
		ERR_clear_error();
		return -EINVAL;
	}
	if (!k) {
		snprintf(err, errlen,
			 "%s: key: cannot load private key: not a PEM private key (%s)", path,
			 tls_errors(e, sizeof(e)));
		return -EINVAL;
	}
	if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), k) != 1) {
		snprintf(err, errlen, "%s: key: does not match the certificate %s", path, cert);
		ERR_clear_error();
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey(ctx, k) != 1) {
		snprintf(err, errlen, "%s: key: cannot use private key: %s", path,
			 tls_errors(e, sizeof(e)));
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	EVP_PKEY_free(k);
	return 0;
}

static int load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
	char e[256];

	if (readable(path, "crl", err, errlen) < 0)
		return -EINVAL;
	if (!lookup || X509_load_crl_file(lookup, path, X509_FILETYPE_PEM) <= 0) {
		snprintf(err, errlen, "%s: crl: cannot load: %s", path, tls_errors(e, sizeof(e)));
		return -EINVAL;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

int tls_init(struct tls *t, const struct config *c, char *err, size_t errlen)
{
	char e[256], why[256];
	X509 *own;

	memset(t, 0, sizeof(*t));
	if (seen_idx < 0)
		seen_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_seen);
	if (depth_idx < 0)
		depth_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (policy_idx < 0)
		policy_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (seen_idx < 0 || depth_idx < 0 || policy_idx < 0) {
		snprintf(err, errlen, "TLS: out of memory");
		return -ENOMEM;
	}
	t->ctx = SSL_CTX_new(TLS_method());
	if (!t->ctx) {
		snprintf(err, errlen, "TLS: cannot create a context: %s", tls_errors(e, sizeof(e)));
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_verify_depth(t->ctx, TLS_VERIFY_DEPTH);
	SSL_CTX_set_mode(t->ctx,
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(t->ctx, 0);
	/* AES-128-GCM is as safe here and faster than OpenSSL's first choice, AES-256 */
	SSL_CTX_set_ciphersuites(t->ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
					 "TLS_AES_256_GCM_SHA384");
	/*
	 * TLS 1.2: forward secrecy and AEAD only (no static RSA, no CBC); the
	 * same order as for 1.3. A peer that offers nothing else is refused.
	 */
	if (SSL_CTX_set_cipher_list(t->ctx, TLS12_CIPHERS) != 1) {
		snprintf(err, errlen, "TLS: cannot set the TLS 1.2 cipher list: %s",
			 tls_errors(e, sizeof(e)));
		goto fail;
	}

	if (readable(c->ca, "ca", err, errlen) < 0 || readable(c->cert, "cert", err, errlen) < 0 ||
	    readable(c->key, "key", err, errlen) < 0)
		goto fail;
	if (SSL_CTX_load_verify_locations(t->ctx, c->ca, NULL) != 1) {
		snprintf(err, errlen, "%s: ca: cannot load CA certificates: %s", c->ca,
			 tls_errors(e, sizeof(e)));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(t->ctx, c->cert) != 1) {
		snprintf(err, errlen, "%s: cert: cannot load certificate: %s", c->cert,
			 tls_errors(e, sizeof(e)));
		goto fail;
	}
	if (load_key(t->ctx, c->key, c->cert, err, errlen) < 0)
		goto fail;
	if (c->crl && load_crl(t->ctx, c->crl, err, errlen) < 0)
		goto fail;

	own = SSL_CTX_get0_certificate(t->ctx);
	if (tls_cert_mac(own, t->mac, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: cert: %s", c->cert, why);
		goto fail;
	}
	/* every peer would refuse it: say so now, not at every handshake */
	if (X509_check_ca(own)) {
		snprintf(err, errlen,
			 "%s: cert: is a CA certificate (basicConstraints CA:TRUE, or a v1 "
			 "self-signed one); a node's must be CA:FALSE: peers refuse it",
			 c->cert);
		goto fail;
	}
	/* our own certificate must chain to the CA we trust, or no peer will take us */
	{
		X509_STORE_CTX *vctx = X509_STORE_CTX_new();
		int ok;

		if (!vctx)
			goto fail;
		STACK_OF(X509) *chain = NULL;

		SSL_CTX_get0_chain_certs(t->ctx, &chain);
		X509_STORE_CTX_init(vctx, SSL_CTX_get_cert_store(t->ctx), own, chain);
		X509_STORE_CTX_set_verify_cb(vctx, crl_expired_ok);
		X509_STORE_CTX_set_depth(vctx, TLS_VERIFY_DEPTH);
		ok = X509_verify_cert(vctx);
		if (ok != 1) {
			snprintf(err, errlen, "%s: cert: not signed by the CA in %s: %s", c->cert,
				 c->ca,
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
			X509_STORE_CTX_free(vctx);
			ERR_clear_error();
			goto fail;
		}
		X509_STORE_CTX_free(vctx);
	}
	return 0;
fail:
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
	return -EINVAL;
}

/* For a certificate that came without a handshake: the same rules as verify_cb's. */
struct standalone {
	const char *policy; /* our policy's refusal, if that is why it failed */
};

static int standalone_idx = -1;

static int standalone_cb(int ok, X509_STORE_CTX *x)
{
	struct standalone *st = X509_STORE_CTX_get_ex_data(x, standalone_idx);
	X509 *cur = X509_STORE_CTX_get_current_cert(x);

	if (ok && cur) {
		const char *no = policy_refusal(x, cur, X509_STORE_CTX_get_error_depth(x));

		if (no) {
			if (st && !st->policy)
				st->policy = no;
			X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
			return 0;
		}
	}
	return crl_expired_ok(ok, x);
}

int tls_verify_cert(const struct tls *t, X509 *cert, const uint8_t mac[MAC_LEN], char *why,
		    size_t whylen)
{
	struct standalone st = {NULL};
	uint8_t cn_mac[MAC_LEN];
	X509_STORE_CTX *v;
	int ok;

	if (standalone_idx < 0)
		standalone_idx = X509_STORE_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	v = X509_STORE_CTX_new();
	if (standalone_idx < 0 || !v ||
	    X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(t->ctx), cert, NULL) != 1) {
		X509_STORE_CTX_free(v);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	X509_STORE_CTX_set_ex_data(v, standalone_idx, &st);
	X509_STORE_CTX_set_depth(v, TLS_VERIFY_DEPTH);
	X509_STORE_CTX_set_verify_cb(v, standalone_cb);
	ok = X509_verify_cert(v);
	if (ok != 1)
		snprintf(why, whylen, "%s",
			 st.policy ? st.policy
				   : X509_verify_cert_error_string(X509_STORE_CTX_get_error(v)));
	X509_STORE_CTX_free(v);
	ERR_clear_error();
	if (ok != 1)
		return -EINVAL;
	if (tls_cert_mac(cert, cn_mac, why, whylen) < 0)
		return -EINVAL;
	if (mac && !mac_eq(cn_mac, mac)) {
		char m1[MAC_STRLEN], m2[MAC_STRLEN];

		snprintf(why, whylen, "certificate is for %s, not %s", mac_format(cn_mac, m1),
			 mac_format(mac, m2));
		return -EINVAL;
	}
	return 0;
}

int tls_recheck_peer(const struct tls *t, SSL *ssl, const char **why)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);
	X509_STORE_CTX *v;
	int ok;

	if (!peer) {
		*why = "no peer certificate";
		return -EINVAL;
	}
	v = X509_STORE_CTX_new();
	if (!v || X509_STORE_CTX_init(v, SSL_CTX_get_cert_store(t->ctx), peer,
				      SSL_get_peer_cert_chain(ssl)) != 1) {
		X509_STORE_CTX_free(v);
		*why = "out of memory";
		return -ENOMEM;
	}
	X509_STORE_CTX_set_depth(v, TLS_VERIFY_DEPTH);
	X509_STORE_CTX_set_verify_cb(v, crl_expired_ok);
	ok = X509_verify_cert(v);
	if (ok != 1)
		*why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(v));
	X509_STORE_CTX_free(v);
	ERR_clear_error();
	return ok == 1 ? 0 : -EINVAL;
}

static long long not_after(X509 *x)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return 0;
	return (long long)timegm(&tm);
}

void tls_expiry(const struct tls *t, long long *cert_expires, long long *ca_expires)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(t->ctx));

	*cert_expires = not_after(SSL_CTX_get0_certificate(t->ctx));
	*ca_expires = 0;
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		long long e = ca ? not_after(ca) : 0;

		if (e && (!*ca_expires || e < *ca_expires))
			*ca_expires = e;
	}
}

long long tls_crl_next_update(const struct tls *t)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(t->ctx));
	long long soonest = 0;

	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509_CRL *crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objs, i));
		const ASN1_TIME *next = crl ? X509_CRL_get0_nextUpdate(crl) : NULL;
		struct tm tm;
		long long e;

		if (!next || ASN1_TIME_to_tm(next, &tm) != 1)
			continue;
		e = (long long)timegm(&tm);
		if (!soonest || e < soonest)
			soonest = e;
	}
	return soonest;
}

void tls_warn_expiry(const struct tls *t, int days)
{
	long long cert, ca, now = (long long)time(NULL), soon = now + (long long)days * 86400;
	long long crl = tls_crl_next_update(t);

	if (crl && crl < now)
		log_warn("our CRL expired on %s: it is still enforced and the mesh keeps running, "
			 "but make a fresh one now (invpn-pki crl CA_DIR), copy it to every node "
			 "and reload",
			 strtok(ctime(&(time_t){(time_t)crl}), "\n"));
	else if (crl && crl < now + TLS_CRL_WARN_DAYS * 86400LL)
		log_warn("our CRL expires on %s: make a fresh one (invpn-pki crl CA_DIR), copy it "
			 "to every node and reload",
			 strtok(ctime(&(time_t){(time_t)crl}), "\n"));

	tls_expiry(t, &cert, &ca);
	if (cert && cert < soon)
		log_warn("our certificate %s on %s", cert < now ? "expired" : "expires",
			 strtok(ctime(&(time_t){(time_t)cert}), "\n"));
	if (ca && ca < soon)
		log_warn("a CA certificate %s on %s", ca < now ? "expired" : "expires",
			 strtok(ctime(&(time_t){(time_t)ca}), "\n"));
}

void tls_fini(struct tls *t)
{
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
}
