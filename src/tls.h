/* The TLS context: CA, certificate, key, CRL, verification, node MACs from certificates. */
#pragma once

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

struct config;

struct tls {
	SSL_CTX *ctx;
	uint8_t mac[MAC_LEN]; /* our own, from our certificate's CN */
};

/** Build the context from the config's files; errors name the file. 0 or -errno. */
int tls_init(struct tls *t, const struct config *c, char *err, size_t errlen);
void tls_fini(struct tls *t);

/** The MAC in a certificate's CN; 0, or -EINVAL with *why set. */
int tls_cert_mac(X509 *cert, uint8_t mac[MAC_LEN], const char **why);
/** The verified peer's MAC after a handshake; 0, or -EINVAL with *why set. */
int tls_peer_mac(SSL *ssl, uint8_t mac[MAC_LEN], const char **why);

/** Drain OpenSSL's error queue into buf (the first error, for logs); returns buf. */
const char *tls_errors(char *buf, size_t len);
