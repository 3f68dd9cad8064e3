/* The TLS context: CA, certificate, key, CRL, verification, node MACs from certificates. */
#pragma once

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

struct config;

/*
 * At most this many CA certificates between a node's certificate and the
 * trust anchor in the ca file (OpenSSL's verify depth): 1 allows one
 * intermediate CA, which invpn-pki never makes; a longer chain is refused.
 */
#define TLS_VERIFY_DEPTH 1
/* TLS 1.2 suites: ECDHE and AEAD only (TLS 1.3 has nothing else) */
#define TLS12_CIPHERS                                                \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"

struct tls {
	SSL_CTX *ctx;
	uint8_t mac[MAC_LEN]; /* our own, from our certificate's CN */
};

/** Build the context from the config's files; errors name the file. 0 or -errno. */
int tls_init(struct tls *t, const struct config *c, char *err, size_t errlen);
void tls_fini(struct tls *t);

/** The MAC in a certificate's CN; 0, or -EINVAL with why (naming the CN) written. */
int tls_cert_mac(X509 *cert, uint8_t mac[MAC_LEN], char *why, size_t whylen);
/** The verified peer's MAC after a handshake; 0, or -EINVAL with why written. */
int tls_peer_mac(SSL *ssl, uint8_t mac[MAC_LEN], char *why, size_t whylen);

/**
 * Why a handshake or a read failed, in the user's words: our verdict on the
 * peer's certificate, or the peer's alert about ours ("refused our
 * certificate: it does not trust our CA"), with OpenSSL's words in
 * parentheses. Drains the error queue. Returns buf.
 */
const char *tls_failure(SSL *ssl, char *buf, size_t len);
/**
 * " (MAC m)", or " (CN 'x')" if that is no MAC, from the peer's certificate,
 * verified or not; "" if it sent none (yet). Returns buf.
 */
const char *tls_peer_label(SSL *ssl, char *buf, size_t len);

/**
 * Verify a certificate that came without a handshake (a CERT frame, the
 * certificate cache) as a handshake would: chain to the CA file, the CRL,
 * our policy (no CA, one CN, a unicast MAC), and, if mac is not NULL, that
 * its CN is mac. 0, or -EINVAL with why written.
 */
int tls_verify_cert(const struct tls *t, X509 *cert, const uint8_t mac[MAC_LEN], char *why,
		    size_t whylen);

/**
 * Check a live session's peer certificate against the current CA and CRL
 * (after a reload). 0, or -EINVAL with *why set.
 */
int tls_recheck_peer(const struct tls *t, SSL *ssl, const char **why);

/** When our certificate and the soonest-expiring CA certificate expire (Unix time). */
void tls_expiry(const struct tls *t, long long *cert_expires, long long *ca_expires);
/* warn this many days ahead of the CRL's nextUpdate (invpn-pki makes 30-day CRLs) */
#define TLS_CRL_WARN_DAYS 7
/** The soonest nextUpdate of the CRLs loaded (Unix time), 0 without a CRL. */
long long tls_crl_next_update(const struct tls *t);
/**
 * Log a warning if our certificate or a CA expires within days, or the CRL
 * within TLS_CRL_WARN_DAYS (or has: it is still enforced, see tls.c).
 */
void tls_warn_expiry(const struct tls *t, int days);

/** Drain OpenSSL's error queue into buf (the first error, for logs); returns buf. */
const char *tls_errors(char *buf, size_t len);
