#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"

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

int tls_cert_mac(X509 *cert, uint8_t mac[MAC_LEN], const char **why)
{
	X509_NAME *name = X509_get_subject_name(cert);
	char cn[64];
	int n;

	if (!name) {
		*why = "certificate has no subject";
		return -EINVAL;
	}
	n = X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof(cn));
	if (n < 0) {
		*why = "certificate has no Common Name";
		return -EINVAL;
	}
	/* an embedded NUL makes n shorter than what we compare */
	if ((size_t)n != strlen(cn) || mac_parse(cn, mac) < 0) {
		*why = "certificate Common Name is not a MAC address";
		return -EINVAL;
	}
	if (!mac_is_node(mac)) {
		*why = "certificate Common Name is a group or all-zero MAC";
		return -EINVAL;
	}
	return 0;
}

int tls_peer_mac(SSL *ssl, uint8_t mac[MAC_LEN], const char **why)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	int r;

	if (!cert) {
		*why = "peer sent no certificate";
		return -EINVAL;
	}
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		*why = X509_verify_cert_error_string(SSL_get_verify_result(ssl));
		X509_free(cert);
		return -EINVAL;
	}
	r = tls_cert_mac(cert, mac, why);
	X509_free(cert);
	return r;
}

static int load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
	char e[256];

	if (!lookup || X509_load_crl_file(lookup, path, X509_FILETYPE_PEM) <= 0) {
		snprintf(err, errlen, "%s: crl: cannot load: %s", path, tls_errors(e, sizeof(e)));
		return -EINVAL;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

int tls_init(struct tls *t, const struct config *c, char *err, size_t errlen)
{
	const char *why;
	char e[256];
	X509 *own;

	memset(t, 0, sizeof(*t));
	t->ctx = SSL_CTX_new(TLS_method());
	if (!t->ctx) {
		snprintf(err, errlen, "TLS: cannot create a context: %s", tls_errors(e, sizeof(e)));
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(t->ctx, 8);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(t->ctx, 0);
	/* AES-128-GCM is as safe here and faster than OpenSSL's first choice, AES-256 */
	SSL_CTX_set_ciphersuites(t->ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
					 "TLS_AES_256_GCM_SHA384");

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
	if (SSL_CTX_use_PrivateKey_file(t->ctx, c->key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "%s: key: cannot load private key: %s", c->key,
			 tls_errors(e, sizeof(e)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		snprintf(err, errlen, "%s: key: does not match the certificate %s", c->key, c->cert);
		ERR_clear_error();
		goto fail;
	}
	if (c->crl && load_crl(t->ctx, c->crl, err, errlen) < 0)
		goto fail;

	own = SSL_CTX_get0_certificate(t->ctx);
	if (tls_cert_mac(own, t->mac, &why) < 0) {
		snprintf(err, errlen, "%s: cert: %s", c->cert, why);
		goto fail;
	}
	/* our own certificate must chain to the CA we trust, or no peer will take us */
	{
		X509_STORE_CTX *vctx = X509_STORE_CTX_new();
		int ok;

		if (!vctx)
			goto fail;
		X509_STORE_CTX_init(vctx, SSL_CTX_get_cert_store(t->ctx), own, NULL);
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

void tls_warn_expiry(const struct tls *t, int days)
{
	long long cert, ca, now = (long long)time(NULL), soon = now + (long long)days * 86400;

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
