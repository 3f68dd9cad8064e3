/*
 * What the daemon layer calls below it that the simulator has no use for:
 * the control socket, the TAP (writes are counted, reads find nothing) and
 * TLS (links are simulated; the certificates are never loaded). mDNS, DNS
 * and systemd use the tree's own stubs (src/mdns_none.c, resolve_none.c,
 * notify_none.c).
 */
#include <errno.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "sim.h"
#include "tap.h"
#include "tls.h"

uint64_t sim_tap_writes;

int control_open(struct invpnd *d, char *err, size_t errlen)
{
	d->control = NULL;
	return 0;
}

int control_fd(const struct invpnd *d)
{
	return -1;
}

void control_close(struct invpnd *d)
{
}

void control_tick(struct invpnd *d, uint64_t now_ms)
{
}

void control_after_round(struct invpnd *d)
{
}

int tap_open(struct tap *t, const char *name_template, const uint8_t mac[MAC_LEN], unsigned mtu,
	     bool offload, const char **why)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	strcpy(t->name, "sim0");
	return 0;
}

int tap_adopt(struct tap *t, int fd, const uint8_t mac[MAC_LEN], unsigned mtu, const char **why)
{
	return tap_open(t, NULL, mac, mtu, false, why);
}

void tap_close(struct tap *t)
{
	t->fd = -1;
}

ssize_t tap_read(struct tap *t, uint8_t *buf, size_t cap)
{
	return 0;
}

int tap_write(struct tap *t, const uint8_t *vhdr, const uint8_t *frame, size_t len)
{
	sim_tap_writes++;
	return 0;
}

int tls_init(struct tls *t, const struct config *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "sim: no TLS");
	return -ENOTSUP;
}

void tls_fini(struct tls *t)
{
}

int tls_recheck_peer(const struct tls *t, SSL *ssl, const char **why)
{
	return 0;
}

void tls_warn_expiry(const struct tls *t, int days)
{
}

/* the metrics snapshot asks for these (no certificates here) */
void tls_expiry(const struct tls *t, long long *cert_expires, long long *ca_expires)
{
	*cert_expires = 0;
	*ca_expires = 0;
}

long long tls_crl_next_update(const struct tls *t)
{
	return 0;
}

/* signed announcements (announce.c): off in the simulator (sign = no) */
int tls_verify_cert(const struct tls *t, X509 *cert, const uint8_t mac[MAC_LEN], char *why,
		    size_t whylen)
{
	snprintf(why, whylen, "sim: no certificates");
	return -EINVAL;
}

int tls_cert_mac(X509 *cert, uint8_t mac[MAC_LEN], char *why, size_t whylen)
{
	snprintf(why, whylen, "sim: no certificates");
	return -EINVAL;
}
