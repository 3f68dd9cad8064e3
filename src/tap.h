/* The TAP device: no packet-info header, non-blocking, our MAC, MTU, up. */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mac.h"

struct tap {
	int fd;
	char name[IFNAMSIZ];
	uint8_t mac[MAC_LEN];
	unsigned mtu;
	bool vnet; /* every frame read or written has a virtio_net_hdr in front */
};

/**
 * Create the TAP from a name template ("invpn%d"), set its MAC and MTU and
 * bring it up. 0 or -errno; *why names the step that failed.
 */
int tap_open(struct tap *t, const char *name_template, const uint8_t mac[MAC_LEN], unsigned mtu,
	     bool offload, const char **why);
/**
 * Take over an open TAP fd (kept across a SIGUSR2 re-exec): find its name,
 * and set MAC, MTU and up only where they differ (we may have no
 * CAP_NET_ADMIN any more).
 */
int tap_adopt(struct tap *t, int fd, const uint8_t mac[MAC_LEN], unsigned mtu, const char **why);
/** Close the fd (the kernel removes the non-persistent device). */
void tap_close(struct tap *t);

/**
 * Read one frame (behind its virtio_net_hdr if t->vnet); returns the size
 * read, 0 if none is ready, or -errno.
 */
ssize_t tap_read(struct tap *t, uint8_t *buf, size_t cap);
/**
 * Write one frame; vhdr is its virtio_net_hdr in kernel form (NULL: a plain
 * frame). 0, or -errno (a full queue is -EAGAIN: the frame is dropped).
 */
int tap_write(struct tap *t, const uint8_t *vhdr, const uint8_t *frame, size_t len);
